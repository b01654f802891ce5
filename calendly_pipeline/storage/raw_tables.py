"""The raw layer (schema `raw`, mirroring Calendly API v2) and the bookkeeping schema `meta`.

Each `TableSpec` is the single source of a table's DDL, of the column schema the Dagster UI
shows and of `docs/raw_tables.md`. Column order here is the column order in DuckDB.
"""

from __future__ import annotations

from calendly_pipeline.storage.spec import Column, TableSpec

# --- column builders: the same column means the same thing in every table ---------------------


def _uri(what: str) -> Column:
    return Column("uri", "VARCHAR", f"Calendly URI of the {what}; the primary key.", False)


def _ref(name: str, what: str) -> Column:
    return Column(name, "VARCHAR", f"URI of the {what}.")


def _text(name: str, description: str) -> Column:
    return Column(name, "VARCHAR", description)


def _ts(name: str, description: str) -> Column:
    return Column(name, "TIMESTAMPTZ", f"{description} (UTC).")


def _created(what: str) -> Column:
    return _ts("created_at", f"When Calendly created the {what}")


def _updated(what: str) -> Column:
    return _ts("updated_at", f"When Calendly last changed the {what}")


SYNCED_AT = _ts("synced_at", "When our sync wrote this row")
DELETED_AT = _ts(
    "deleted_at",
    "Set by our sync when the row was no longer served by the API on a later re-read "
    "(Calendly only removes events for data-compliance requests); NULL while it is served",
)


def _utm(prefix: str = "utm") -> tuple[Column, ...]:
    return tuple(
        _text(f"{prefix}_{part}", f"UTM `{part}` parameter of the booking link, if any.")
        for part in ("source", "medium", "campaign", "content", "term")
    )


# --- raw: organization and people -------------------------------------------------------------

ORGANIZATIONS = TableSpec(
    "raw",
    "organizations",
    "The Calendly organization being synced (`GET /organizations/{uuid}`); one row.",
    (
        _uri("organization"),
        _text("name", "Organization name."),
        _text("kind", "`single` (one user) or `multiple` (a team account)."),
        _text(
            "plan",
            "Subscription plan: basic, essentials, standard, professional, teams or enterprise. "
            "Decides which features (and which API endpoints) are available.",
        ),
        _text("stage", "Billing stage: trial, free or paid."),
        _created("organization"),
        _updated("organization"),
        SYNCED_AT,
    ),
)

USERS = TableSpec(
    "raw",
    "users",
    "Calendly users of the organization (current members, from their memberships, plus the "
    "caller). Members' names and emails are kept: reclaiming a seat needs them.",
    (
        _uri("user"),
        _text("name", "Full name."),
        _text("slug", "Part of the user's booking page URL."),
        _text("email", "Email address (seat holder; kept)."),
        _text("scheduling_url", "The user's public booking page."),
        _text("timezone", "IANA time zone the user works in, e.g. `Europe/Paris`."),
        _text("time_notation", "`12h` or `24h`."),
        _text("locale", "Language preference, e.g. `en`."),
        _ref("current_organization", "organization the user currently belongs to"),
        _created("user record"),
        _updated("user record"),
        SYNCED_AT,
    ),
)

ORGANIZATION_MEMBERSHIPS = TableSpec(
    "raw",
    "organization_memberships",
    "The seat roster today: one row per member of the organization "
    "(`GET /organization_memberships`). A member removed upstream disappears here; "
    "`raw.membership_snapshots` keeps the history.",
    (
        _uri("membership"),
        _ref("organization", "organization"),
        _text("role", "`owner`, `admin` or `user`."),
        _ref("user_uri", "member's user"),
        _text("user_name", "Member's name."),
        _text("user_email", "Member's email (seat holder; kept)."),
        _text("user_slug", "Member's booking page slug."),
        _text("user_timezone", "Member's IANA time zone."),
        _ts("created_at", "When the member joined the organization"),
        _updated("membership"),
        SYNCED_AT,
    ),
)

MEMBERSHIP_SNAPSHOTS = TableSpec(
    "raw",
    "membership_snapshots",
    "The roster as seen on each sync day. A member missing from the latest snapshot but present "
    "in an earlier one was removed (offboarded) in between.",
    (
        Column("snapshot_date", "DATE", "UTC day of the sync that saw the roster.", False),
        Column("membership_uri", "VARCHAR", "URI of the membership.", False),
        _ref("user_uri", "member's user"),
        _text("user_name", "Member's name on that day."),
        _text("user_email", "Member's email on that day."),
        _text("role", "`owner`, `admin` or `user` on that day."),
        _ts("joined_at", "When the member joined the organization"),
        SYNCED_AT,
    ),
    primary_key=("snapshot_date", "membership_uri"),
)

ORGANIZATION_INVITATIONS = TableSpec(
    "raw",
    "organization_invitations",
    "Invitations to join the organization. A `pending` invitation is a seat offered but not "
    "yet taken.",
    (
        _uri("invitation"),
        _ref("organization", "organization"),
        _text("email", "Invited email address."),
        _text("status", "`pending`, `accepted` or `declined`."),
        _ts("last_sent_at", "When the invitation email was last sent"),
        _ref("user_uri", "user who accepted the invitation (NULL until accepted)"),
        _created("invitation"),
        _updated("invitation"),
        SYNCED_AT,
    ),
)

GROUPS = TableSpec(
    "raw",
    "groups",
    "Groups (departments, teams) that members belong to.",
    (
        _uri("group"),
        _text("name", "Group name."),
        _ref("organization", "organization"),
        Column("member_count", "INTEGER", "Number of members as reported by Calendly."),
        _created("group"),
        _updated("group"),
        SYNCED_AT,
    ),
)

GROUP_RELATIONSHIPS = TableSpec(
    "raw",
    "group_relationships",
    "Who belongs to or administers which group. The owner is a membership or a pending "
    "invitation (`owner_type`).",
    (
        _uri("group relationship"),
        _text("role", "`member` or `admin` of the group."),
        _text("owner_uri", "URI of the owner: a membership URI or an invitation URI."),
        _text("owner_type", "`OrganizationMembership` or `OrganizationInvitation`."),
        _ref("group_uri", "group"),
        _ref("organization", "organization"),
        _created("relationship"),
        _updated("relationship"),
        SYNCED_AT,
    ),
)

# --- raw: scheduling configuration ------------------------------------------------------------

EVENT_TYPES = TableSpec(
    "raw",
    "event_types",
    "Event types: the bookable meeting templates (`GET /event_types`). Their settings are the "
    "feature signals (group events, round robin, polls, secret, managed, payments, ...).",
    (
        _uri("event type"),
        _text("name", "Event type name shown to invitees."),
        _text("slug", "Part of the booking URL."),
        Column("active", "BOOLEAN", "Whether the event type can be booked."),
        Column("admin_managed", "BOOLEAN", "Managed event type, controlled by an admin."),
        _text("booking_method", "`instant`, or `poll` for a meeting poll."),
        _text("kind", "`solo` (one invitee per slot) or `group` (many invitees per slot)."),
        _text(
            "pooling_type",
            "Team scheduling: `round_robin`, `collective` or `multi_pool`; NULL for one host.",
        ),
        _text("type", "`StandardEventType`, or `AdhocEventType` for a one-off meeting."),
        Column("secret", "BOOLEAN", "Hidden from the booking page (link only)."),
        Column("is_paid", "BOOLEAN", "Invitees pay when booking."),
        Column("duration", "INTEGER", "Default length in minutes."),
        Column("duration_options", "INTEGER[]", "Lengths in minutes an invitee may choose."),
        Column(
            "location_kinds",
            "VARCHAR[]",
            "Kinds of location offered, e.g. `zoom_conference`, `physical`, `ask_invitee`.",
        ),
        Column(
            "custom_questions_enabled", "INTEGER", "Number of enabled custom booking questions."
        ),
        _text("profile_type", "Owner kind: `User` (personal) or `Team`."),
        _text("profile_owner", "URI of the owning user or team."),
        _text("profile_name", "Name of the owning user or team."),
        _text("scheduling_url", "Booking page of the event type."),
        Column("position", "INTEGER", "Display order on the booking page."),
        _created("event type"),
        _updated("event type"),
        _ts("deleted_at", "When the event type was deleted in Calendly (NULL if not deleted)"),
        Column(
            "custom_questions", "JSON", "Full custom question definitions as returned by the API."
        ),
        Column("locations", "JSON", "Full location configurations as returned by the API."),
        SYNCED_AT,
    ),
)

EVENT_TYPE_HOSTS = TableSpec(
    "raw",
    "event_type_hosts",
    "Hosts of each event type (`GET /event_type_memberships`): who takes meetings booked on it. "
    "A solo type on a user's own profile has one host, its owner, taken from the type and the "
    "roster instead of a request per type; such rows have no membership URI or timestamps.",
    (
        Column("event_type_uri", "VARCHAR", "URI of the event type.", False),
        Column("user_uri", "VARCHAR", "URI of the hosting user.", False),
        _text(
            "membership_uri",
            "URI of the event type membership record (NULL for a solo type's owner, not read).",
        ),
        _text("user_name", "Host's name."),
        _text("user_email", "Host's email."),
        _created("event type membership"),
        _updated("event type membership"),
        SYNCED_AT,
    ),
    primary_key=("event_type_uri", "user_uri"),
)

# --- raw: meetings ----------------------------------------------------------------------------

SCHEDULED_EVENTS = TableSpec(
    "raw",
    "scheduled_events",
    "Scheduled meetings (`GET /scheduled_events`), past and upcoming, loaded by daily "
    "partitions of `start_time`. Canceled meetings stay, with `status = 'canceled'`.",
    (
        _uri("scheduled event"),
        _text("name", "Meeting name (usually the event type's name)."),
        _text("status", "`active` or `canceled`."),
        _ts("start_time", "Meeting start"),
        _ts("end_time", "Meeting end"),
        _ref("event_type", "event type booked"),
        _text(
            "location_type",
            "Where it happens: `zoom`, `google_conference`, `microsoft_teams_conference`, "
            "`webex_conference`, `gotomeeting`, `inbound_call`, `outbound_call`, `physical`, "
            "`custom` or `ask_invitee`; NULL when none.",
        ),
        Column("invitees_total", "INTEGER", "Invitees ever booked, canceled ones included."),
        Column("invitees_active", "INTEGER", "Invitees still booked."),
        Column("invitees_limit", "INTEGER", "Maximum invitees per slot."),
        _text("canceled_by", "Name of who canceled (NULL unless canceled)."),
        _text("canceler_type", "`host` or `invitee` (NULL unless canceled)."),
        _text("cancel_reason", "Reason given when canceling."),
        _ts("canceled_at", "When the meeting was canceled"),
        Column("guest_count", "INTEGER", "Number of additional guests added by invitees."),
        _created("meeting (the booking moment)"),
        _updated("meeting"),
        DELETED_AT,
        SYNCED_AT,
    ),
)

EVENT_HOSTS = TableSpec(
    "raw",
    "event_hosts",
    "Hosts of each scheduled meeting (`event_memberships` of the event).",
    (
        Column("event_uri", "VARCHAR", "URI of the scheduled event.", False),
        Column("user_uri", "VARCHAR", "URI of the hosting user.", False),
        _text("user_email", "Host's email at booking time."),
        _text("user_name", "Host's name at booking time."),
        SYNCED_AT,
    ),
    primary_key=("event_uri", "user_uri"),
)

INVITEES = TableSpec(
    "raw",
    "invitees",
    "People who booked each meeting (`GET /scheduled_events/{uuid}/invitees`). Invitees are "
    "outside the company: by default their email is a salted SHA-256 hash and their name is "
    "dropped (setting `invitee_pii`: hash | keep | drop); the email domain is kept to tell "
    "internal from external meetings.",
    (
        _uri("invitee"),
        Column("event_uri", "VARCHAR", "URI of the scheduled event booked.", False),
        _text(
            "email",
            "Invitee email: salted SHA-256 hex by default, the address with `invitee_pii=keep`, "
            "NULL with `invitee_pii=drop`.",
        ),
        _text("email_domain", "Lower-case domain of the invitee's email (always kept)."),
        _text("name", "Invitee name: NULL unless `invitee_pii=keep`."),
        _text("status", "`active` or `canceled`."),
        _text("timezone", "Invitee's IANA time zone."),
        Column("rescheduled", "BOOLEAN", "The invitee rescheduled this booking to another time."),
        _ref("old_invitee", "invitee record this one replaced after a reschedule"),
        _ref("new_invitee", "invitee record that replaced this one after a reschedule"),
        _ref("routing_form_submission", "routing form submission that led to the booking"),
        _ref("no_show_uri", "no-show mark (NULL if the invitee attended or was not marked)"),
        _ts("no_show_at", "When the invitee was marked as a no-show"),
        _ts("reconfirmation_created_at", "When a reconfirmation was requested"),
        _ts("reconfirmation_confirmed_at", "When the invitee reconfirmed"),
        _text("payment_provider", "`stripe` or `paypal` when the booking was paid."),
        Column("payment_amount", "DOUBLE", "Amount paid."),
        _text("payment_currency", "Currency of the payment (AUD, CAD, EUR, GBP, USD)."),
        Column("payment_successful", "BOOLEAN", "Whether the payment went through."),
        *_utm(),
        _text("salesforce_uuid", "Salesforce record id passed in the booking link."),
        Column(
            "text_reminder", "BOOLEAN", "The invitee gave a number for SMS reminders (kept hidden)."
        ),
        _text("scheduling_method", "`instant_book`, `api` (Scheduling API) or NULL."),
        _ref("invitee_scheduled_by", "user who booked on the invitee's behalf"),
        _text("canceled_by", "Name of who canceled (NULL unless canceled)."),
        _text("canceler_type", "`host` or `invitee` (NULL unless canceled)."),
        _text("cancel_reason", "Reason given when canceling."),
        _ts("canceled_at", "When the booking was canceled"),
        _created("invitee (the booking moment)"),
        _updated("invitee"),
        DELETED_AT,
        SYNCED_AT,
    ),
)

INVITEE_QUESTIONS_AND_ANSWERS = TableSpec(
    "raw",
    "invitee_questions_and_answers",
    "Answers invitees gave to an event type's booking questions.",
    (
        Column("invitee_uri", "VARCHAR", "URI of the invitee.", False),
        Column("position", "INTEGER", "Question position on the booking form.", False),
        _text("question", "Question text."),
        _text("answer", "Answer text."),
        SYNCED_AT,
    ),
    primary_key=("invitee_uri", "position"),
)

# --- raw: routing, integrations, audit --------------------------------------------------------

ROUTING_FORMS = TableSpec(
    "raw",
    "routing_forms",
    "Routing forms that qualify and route visitors to an event type.",
    (
        _uri("routing form"),
        _ref("organization", "organization"),
        _text("name", "Form name."),
        _text("status", "`draft` or `published`."),
        Column("question_count", "INTEGER", "Number of questions on the form."),
        Column("questions", "JSON", "Full question definitions as returned by the API."),
        _created("routing form"),
        _updated("routing form"),
        SYNCED_AT,
    ),
)

ROUTING_FORM_SUBMISSIONS = TableSpec(
    "raw",
    "routing_form_submissions",
    "Submissions of routing forms and where each was routed.",
    (
        _uri("submission"),
        _ref("routing_form", "routing form"),
        _ref("submitter", "invitee who submitted (NULL when the visitor did not book)"),
        _text("submitter_type", "`Invitee` or NULL."),
        _text("result_type", "Routing outcome: `event_type`, `external_url` or `custom_message`."),
        _text(
            "result_value",
            "Event type URI or external URL routed to; for a custom message, its JSON.",
        ),
        *_utm()[:3],
        _created("submission"),
        _updated("submission"),
        Column("questions_and_answers", "JSON", "Questions and answers as returned by the API."),
        SYNCED_AT,
    ),
)

WEBHOOK_SUBSCRIPTIONS = TableSpec(
    "raw",
    "webhook_subscriptions",
    "Webhook subscriptions (integrations) of the organization and its users.",
    (
        _uri("webhook subscription"),
        _text("callback_url", "URL Calendly posts events to."),
        _text("state", "`active` or `disabled`."),
        Column("events", "VARCHAR[]", "Subscribed event names, e.g. `invitee.created`."),
        _text("scope", "`organization`, `user` or `group`."),
        _ref("organization", "organization"),
        _ref("user_uri", "user, for user-scoped subscriptions"),
        _ref("group_uri", "group, for group-scoped subscriptions"),
        _ref("creator", "user who created the subscription"),
        _ts("retry_started_at", "When Calendly started retrying failed deliveries"),
        _created("subscription"),
        _updated("subscription"),
        SYNCED_AT,
    ),
)

ACTIVITY_LOG_ENTRIES = TableSpec(
    "raw",
    "activity_log_entries",
    "Audit log of actions in the organization (`GET /activity_log_entries`; Enterprise plan).",
    (
        _uri("log entry"),
        _ts("occurred_at", "When the action happened"),
        _text("namespace", "Area of the product, e.g. `User`, `EventType`."),
        _text("action", "What was done, e.g. `Login`, `Updated`."),
        _text("fully_qualified_name", "`Namespace.Action`."),
        _text("actor_uri", "URI of who acted (usually a user)."),
        _text("actor_type", "Kind of actor, e.g. `User`."),
        _text("actor_display_name", "Actor's display name."),
        _text("actor_role", "Actor's role in the organization."),
        _ref("organization", "organization"),
        Column("details", "JSON", "Free-form details of the action."),
        SYNCED_AT,
    ),
)

RAW_TABLES: tuple[TableSpec, ...] = (
    ORGANIZATIONS,
    USERS,
    ORGANIZATION_MEMBERSHIPS,
    MEMBERSHIP_SNAPSHOTS,
    ORGANIZATION_INVITATIONS,
    GROUPS,
    GROUP_RELATIONSHIPS,
    EVENT_TYPES,
    EVENT_TYPE_HOSTS,
    SCHEDULED_EVENTS,
    EVENT_HOSTS,
    INVITEES,
    INVITEE_QUESTIONS_AND_ANSWERS,
    ROUTING_FORMS,
    ROUTING_FORM_SUBMISSIONS,
    WEBHOOK_SUBSCRIPTIONS,
    ACTIVITY_LOG_ENTRIES,
)

# --- meta: bookkeeping ------------------------------------------------------------------------

SCHEMA_MIGRATIONS = TableSpec(
    "meta",
    "schema_migrations",
    "Schema versions applied to this database file, oldest first.",
    (
        Column("version", "INTEGER", "Migration number.", False),
        Column("description", "VARCHAR", "What the migration changed."),
        _ts("applied_at", "When the migration ran"),
    ),
    primary_key=("version",),
)

SYNC_INFO = TableSpec(
    "meta",
    "sync_info",
    "One row describing the latest sync: which organization, when, from where, and the "
    "thresholds and prices the analytics used (so the dashboard can show them).",
    (
        Column("org_uri", "VARCHAR", "URI of the synced organization.", False),
        _text("org_name", "Organization name."),
        _text("plan", "Calendly plan at sync time."),
        _ts("synced_at", "When the latest sync finished"),
        _ts(
            "ran_at",
            "When our latest sync ran, by the clock of the machine that ran it (`synced_at` is "
            "the API's clock, the `as_of` of every figure)",
        ),
        Column(
            "is_synthetic",
            "BOOLEAN",
            "TRUE when the data comes from the embedded sandbox, not a real organization.",
        ),
        _text("api_host", "Host name of the API that was read (never a token)."),
        Column("idle_days", "INTEGER", "Days without activity after which a seat counts as idle."),
        Column("grace_days", "INTEGER", "Days a new member may stay inactive before being idle."),
        Column("price_per_seat", "DOUBLE", "Monthly price of one seat used for cost figures."),
        _text("currency", "Currency of `price_per_seat`, e.g. `USD`."),
        Column("trailing_days", "INTEGER", "Days each daily run re-reads before today."),
    ),
    primary_key=("org_uri",),
)

SYNC_RUNS = TableSpec(
    "meta",
    "sync_runs",
    "One row per asset materialization that wrote data: what it read and wrote.",
    (
        Column("run_id", "VARCHAR", "Dagster run id (or a CLI run id).", False),
        Column("asset", "VARCHAR", "Asset (table) that was written.", False),
        Column("partition", "VARCHAR", "Partition key (a UTC day); '' when unpartitioned.", False),
        _ts("window_start", "Start of the time window read"),
        _ts("window_end", "End (exclusive) of the time window read"),
        Column("requests", "INTEGER", "API requests made, retries included."),
        Column("rows_written", "BIGINT", "Rows written."),
        _ts("finished_at", "When the write committed"),
    ),
    primary_key=("run_id", "asset", "partition"),
)

INVITEE_SYNC = TableSpec(
    "meta",
    "invitee_sync",
    "For each scheduled event, the event version (`updated_at`) its invitees were last read at. "
    "Drives incremental invitee sync: invitees are re-read only when the event is new, changed, "
    "or in the trailing window.",
    (
        Column("event_uri", "VARCHAR", "Scheduled event URI.", False),
        _ts("event_updated_at", "The event's `updated_at` when its invitees were read"),
        _ts("fetched_at", "When the invitees were read (API clock)"),
    ),
    primary_key=("event_uri",),
)

REJECTED_RECORDS = TableSpec(
    "meta",
    "rejected_records",
    "Records the API served that could not be loaded (a missing key, a required field that is "
    "null or of the wrong type, an object where text was expected). Each is kept here as "
    "served, with the reason, while the rest of its table loads. Full-refresh tables replace "
    "their rejects on every read; windowed tables drop a reject once its key loads.",
    (
        Column("table_name", "VARCHAR", "Table the record was meant for, e.g. `raw.users`.", False),
        Column(
            "record_id",
            "VARCHAR",
            "SHA-256 of the table name and the record as served: the same bad record served "
            "again is one row.",
            False,
        ),
        _text(
            "record_key",
            "The row's key in its table when the record has one, else the API record's own "
            "`uri`; NULL when neither exists.",
        ),
        Column(
            "reason", "VARCHAR", "Why it was not loaded (names the field, never its value).", False
        ),
        Column("record", "JSON", "The API record as served."),
        _text("asset", "Dagster step that read it, e.g. `organization_memberships`."),
        _text("partition", "Partition (range) of the run; '' when unpartitioned."),
        _text("run_id", "Run that last rejected it."),
        _ts("rejected_at", "When it was last rejected (API clock)"),
    ),
    primary_key=("table_name", "record_id"),
)

WAREHOUSE_OWNER = TableSpec(
    "meta",
    "warehouse_owner",
    "The one organization this warehouse holds, recorded by its first sync; a sync of another "
    "organization, or synthetic data into real data (or the reverse), is refused.",
    (
        Column(
            "org_uuid", "VARCHAR", "UUID of the organization (the last part of its URI).", False
        ),
        Column("org_name", "VARCHAR", "Organization name when it was recorded."),
        Column("is_synthetic", "BOOLEAN", "TRUE for the embedded sandbox's generated data.", False),
        Column("api_host", "VARCHAR", "Host name of the API first synced from."),
        Column("claimed_at", "TIMESTAMPTZ", "When the first sync recorded it (UTC)."),
    ),
    primary_key=("org_uuid",),
)

CONNECTION_STATUS = TableSpec(
    "meta",
    "connection_status",
    "One row: how the pipeline last connected to Calendly, and whether it needs a Reconnect.",
    (
        Column("method", "VARCHAR", "`personal access token`, `OAuth` or the sandbox."),
        Column("connected_as", "VARCHAR", "Name and e-mail of the user whose token is used."),
        Column("role", "VARCHAR", "That user's role in the organization."),
        Column("organization", "VARCHAR", "Organization name."),
        Column("connected_since", "TIMESTAMPTZ", "When `calendly-pipeline connect` ran (OAuth)."),
        Column("last_success_at", "TIMESTAMPTZ", "Last time a run authenticated (UTC)."),
        Column(
            "reconnect_needed_since",
            "TIMESTAMPTZ",
            "First refused authentication since the last success; NULL when connected (UTC).",
        ),
        Column("last_error", "VARCHAR", "The one-line cause of that refusal (never a token)."),
    ),
    primary_key=(),
)

COLLECTION_READS = TableSpec(
    "meta",
    "collection_reads",
    "When each part of a collection read on a cadence was last read in full (API clock, UTC).",
    (
        Column("part", "VARCHAR", "The part, e.g. `webhook_subscriptions/user`.", False),
        Column("read_at", "TIMESTAMPTZ", "API clock of the run that last read it in full.", False),
    ),
    primary_key=("part",),
)

EVENT_COVERAGE = TableSpec(
    "meta",
    "event_coverage",
    "One row per UTC day of event start times the events step has read, with the API clock of "
    "the latest read. A day read at or after its end holds every meeting of that day; the "
    "utilization model calls a seat idle only when the days of its idle window are covered.",
    (
        Column("day", "DATE", "UTC day of event start times that was read.", False),
        Column(
            "synced_at",
            "TIMESTAMPTZ",
            "API clock of the latest read of the day's events (`raw.scheduled_events`).",
            False,
        ),
    ),
    primary_key=("day",),
)

META_TABLES: tuple[TableSpec, ...] = (
    SCHEMA_MIGRATIONS,
    SYNC_INFO,
    SYNC_RUNS,
    INVITEE_SYNC,
    REJECTED_RECORDS,
    WAREHOUSE_OWNER,
    CONNECTION_STATUS,
    COLLECTION_READS,
    EVENT_COVERAGE,
)

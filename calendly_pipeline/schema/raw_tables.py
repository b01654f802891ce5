"""The raw layer (schema `raw`, mirroring Calendly API v2).

Each column is written once, here: its type, key, NOT NULL, description and where it is in the
API object (`path`, and `derive` for the few computed ones). Each `TableSpec` is the single
source of a table's DDL, of the column schema the Dagster UI shows, of `docs/raw_tables.md` and
of `transforms.flatten`'s extraction. Column order here is the column order in DuckDB.
"""

from __future__ import annotations

from dataclasses import replace

from calendly_pipeline.schema.spec import Column, TableSpec

# --- column builders: the same column means the same thing in every table ---------------------


def _uri(what: str) -> Column:
    return Column("uri", "VARCHAR", f"Calendly URI of the {what}; the primary key.", False)


def _ref(name: str, what: str, path: str = "") -> Column:
    return Column(name, "VARCHAR", f"URI of the {what}.", path=path)


def text(name: str, description: str, path: str = "") -> Column:
    return Column(name, "VARCHAR", description, path=path)


def timestamp(name: str, description: str, path: str | None = "") -> Column:
    return Column(name, "TIMESTAMPTZ", f"{description} (UTC).", path=path)


def _created(what: str) -> Column:
    return timestamp("created_at", f"When Calendly created the {what}")


def _updated(what: str) -> Column:
    return timestamp("updated_at", f"When Calendly last changed the {what}")


SYNCED_AT = timestamp("synced_at", "When our sync wrote this row", path=None)
DELETED_AT = timestamp(
    "deleted_at",
    "Set by our sync when the row was no longer served by the API on a later re-read "
    "(Calendly only removes events for data-compliance requests); NULL while it is served",
    path=None,
)


def _ours(*columns: Column) -> tuple[Column, ...]:
    """Columns our sync fills itself: none is read from an API object."""
    return tuple(replace(c, path=None) for c in columns)


def _utm() -> tuple[Column, ...]:
    return tuple(
        text(
            f"utm_{part}",
            f"UTM `{part}` parameter of the booking link, if any.",
            f"tracking.utm_{part}",
        )
        for part in ("source", "medium", "campaign", "content", "term")
    )


def _cancellation(what: str) -> tuple[Column, ...]:
    """The `cancellation` object of a meeting or a booking."""
    return (
        text(
            "canceled_by",
            "Name of who canceled (NULL unless canceled).",
            "cancellation.canceled_by",
        ),
        text(
            "canceler_type",
            "`host` or `invitee` (NULL unless canceled).",
            "cancellation.canceler_type",
        ),
        text("cancel_reason", "Reason given when canceling.", "cancellation.reason"),
        timestamp("canceled_at", f"When the {what} was canceled", "cancellation.created_at"),
    )


# --- raw: organization and people -------------------------------------------------------------

ORGANIZATIONS = TableSpec(
    "raw",
    "organizations",
    "The Calendly organization being synced (`GET /organizations/{uuid}`); one row.",
    (
        _uri("organization"),
        text("name", "Organization name."),
        text("kind", "`single` (one user) or `multiple` (a team account)."),
        text(
            "plan",
            "Subscription plan: basic, essentials, standard, professional, teams or enterprise. "
            "Decides which features (and which API endpoints) are available.",
        ),
        text("stage", "Billing stage: trial, free or paid."),
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
        text("name", "Full name."),
        text("slug", "Part of the user's booking page URL."),
        text("email", "Email address (seat holder; kept)."),
        text("scheduling_url", "The user's public booking page."),
        text("timezone", "IANA time zone the user works in, e.g. `Europe/Paris`."),
        text("time_notation", "`12h` or `24h`."),
        text("locale", "Language preference, e.g. `en`."),
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
        text("role", "`owner`, `admin` or `user`."),
        _ref("user_uri", "member's user", "user.uri"),
        text("user_name", "Member's name.", "user.name"),
        text("user_email", "Member's email (seat holder; kept).", "user.email"),
        text("user_slug", "Member's booking page slug.", "user.slug"),
        text("user_timezone", "Member's IANA time zone.", "user.timezone"),
        timestamp("created_at", "When the member joined the organization"),
        _updated("membership"),
        SYNCED_AT,
    ),
)

MEMBERSHIP_SNAPSHOTS = TableSpec(
    "raw",
    "membership_snapshots",
    "The roster as seen on each sync day. A member missing from the latest snapshot but present "
    "in an earlier one was removed (offboarded) in between.",
    _ours(
        Column("snapshot_date", "DATE", "UTC day of the sync that saw the roster.", False),
        Column("membership_uri", "VARCHAR", "URI of the membership.", False),
        _ref("user_uri", "member's user"),
        text("user_name", "Member's name on that day."),
        text("user_email", "Member's email on that day."),
        text("role", "`owner`, `admin` or `user` on that day."),
        timestamp("joined_at", "When the member joined the organization"),
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
        text("email", "Invited email address."),
        text("status", "`pending`, `accepted` or `declined`."),
        timestamp("last_sent_at", "When the invitation email was last sent"),
        _ref("user_uri", "user who accepted the invitation (NULL until accepted)", "user"),
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
        text("name", "Group name."),
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
        text("role", "`member` or `admin` of the group."),
        text("owner_uri", "URI of the owner: a membership URI or an invitation URI.", "owner.uri"),
        text("owner_type", "`OrganizationMembership` or `OrganizationInvitation`.", "owner.type"),
        _ref("group_uri", "group", "group"),
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
        text("name", "Event type name shown to invitees."),
        text("slug", "Part of the booking URL."),
        Column("active", "BOOLEAN", "Whether the event type can be booked."),
        Column("admin_managed", "BOOLEAN", "Managed event type, controlled by an admin."),
        text("booking_method", "`instant`, or `poll` for a meeting poll."),
        text("kind", "`solo` (one invitee per slot) or `group` (many invitees per slot)."),
        text(
            "pooling_type",
            "Team scheduling: `round_robin`, `collective` or `multi_pool`; NULL for one host.",
        ),
        text("type", "`StandardEventType`, or `AdhocEventType` for a one-off meeting."),
        Column("secret", "BOOLEAN", "Hidden from the booking page (link only)."),
        Column("is_paid", "BOOLEAN", "Invitees pay when booking."),
        Column("duration", "INTEGER", "Default length in minutes."),
        Column("duration_options", "INTEGER[]", "Lengths in minutes an invitee may choose."),
        Column(
            "location_kinds",
            "VARCHAR[]",
            "Kinds of location offered, e.g. `zoom_conference`, `physical`, `ask_invitee`.",
            path="locations",
            derive="kinds",
        ),
        Column(
            "custom_questions_enabled",
            "INTEGER",
            "Number of enabled custom booking questions.",
            path="custom_questions",
            derive="enabled_count",
        ),
        text("profile_type", "Owner kind: `User` (personal) or `Team`.", "profile.type"),
        text("profile_owner", "URI of the owning user or team.", "profile.owner"),
        text("profile_name", "Name of the owning user or team.", "profile.name"),
        text("scheduling_url", "Booking page of the event type."),
        Column("position", "INTEGER", "Display order on the booking page."),
        _created("event type"),
        _updated("event type"),
        timestamp(
            "deleted_at", "When the event type was deleted in Calendly (NULL if not deleted)"
        ),
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
        Column(
            "event_type_uri",
            "VARCHAR",
            "URI of the event type.",
            False,
            path="event_type",
            derive="uri",
        ),
        Column("user_uri", "VARCHAR", "URI of the hosting user.", False, path="member.uri"),
        text(
            "membership_uri",
            "URI of the event type membership record (NULL for a solo type's owner, not read).",
            "uri",
        ),
        text("user_name", "Host's name.", "member.name"),
        text("user_email", "Host's email.", "member.email"),
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
        text("name", "Meeting name (usually the event type's name)."),
        text("status", "`active` or `canceled`."),
        timestamp("start_time", "Meeting start"),
        timestamp("end_time", "Meeting end"),
        _ref("event_type", "event type booked"),
        text(
            "location_type",
            "Where it happens: `zoom`, `google_conference`, `microsoft_teams_conference`, "
            "`webex_conference`, `gotomeeting`, `inbound_call`, `outbound_call`, `physical`, "
            "`custom` or `ask_invitee`; NULL when none.",
            "location.type",
        ),
        Column(
            "invitees_total",
            "INTEGER",
            "Invitees ever booked, canceled ones included.",
            path="invitees_counter.total",
        ),
        Column(
            "invitees_active", "INTEGER", "Invitees still booked.", path="invitees_counter.active"
        ),
        Column(
            "invitees_limit", "INTEGER", "Maximum invitees per slot.", path="invitees_counter.limit"
        ),
        *_cancellation("meeting"),
        Column(
            "guest_count",
            "INTEGER",
            "Number of additional guests added by invitees.",
            path="event_guests",
            derive="count_or_zero",
        ),
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
        Column("event_uri", "VARCHAR", "URI of the scheduled event.", False, path="uri"),
        Column(
            "user_uri",
            "VARCHAR",
            "URI of the hosting user.",
            False,
            path="event_memberships[].user",
        ),
        text("user_email", "Host's email at booking time.", "event_memberships[].user_email"),
        text("user_name", "Host's name at booking time.", "event_memberships[].user_name"),
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
        Column("event_uri", "VARCHAR", "URI of the scheduled event booked.", False, path="event"),
        Column(
            "email",
            "VARCHAR",
            "Invitee email: salted SHA-256 hex by default, the address with `invitee_pii=keep`, "
            "NULL with `invitee_pii=drop`.",
            derive="invitee_email",
        ),
        Column(
            "email_domain",
            "VARCHAR",
            "Lower-case domain of the invitee's email (always kept).",
            path="email",
            derive="email_domain",
        ),
        Column(
            "name",
            "VARCHAR",
            "Invitee name: NULL unless `invitee_pii=keep`.",
            derive="invitee_name",
        ),
        text("status", "`active` or `canceled`."),
        text("timezone", "Invitee's IANA time zone."),
        Column("rescheduled", "BOOLEAN", "The invitee rescheduled this booking to another time."),
        _ref("old_invitee", "invitee record this one replaced after a reschedule"),
        _ref("new_invitee", "invitee record that replaced this one after a reschedule"),
        _ref("routing_form_submission", "routing form submission that led to the booking"),
        _ref(
            "no_show_uri",
            "no-show mark (NULL if the invitee attended or was not marked)",
            "no_show.uri",
        ),
        timestamp("no_show_at", "When the invitee was marked as a no-show", "no_show.created_at"),
        timestamp(
            "reconfirmation_created_at",
            "When a reconfirmation was requested",
            "reconfirmation.created_at",
        ),
        timestamp(
            "reconfirmation_confirmed_at",
            "When the invitee reconfirmed",
            "reconfirmation.confirmed_at",
        ),
        text(
            "payment_provider",
            "`stripe` or `paypal` when the booking was paid.",
            "payment.provider",
        ),
        Column("payment_amount", "DOUBLE", "Amount paid.", path="payment.amount"),
        text(
            "payment_currency",
            "Currency of the payment (AUD, CAD, EUR, GBP, USD).",
            "payment.currency",
        ),
        Column(
            "payment_successful",
            "BOOLEAN",
            "Whether the payment went through.",
            path="payment.successful",
        ),
        *_utm(),
        text(
            "salesforce_uuid",
            "Salesforce record id passed in the booking link.",
            "tracking.salesforce_uuid",
        ),
        Column(
            "text_reminder",
            "BOOLEAN",
            "The invitee gave a number for SMS reminders (kept hidden).",
            path="text_reminder_number",
            derive="is_set",
        ),
        text("scheduling_method", "`instant_book`, `api` (Scheduling API) or NULL."),
        _ref("invitee_scheduled_by", "user who booked on the invitee's behalf"),
        *_cancellation("booking"),
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
        Column("invitee_uri", "VARCHAR", "URI of the invitee.", False, path="uri"),
        Column(
            "position",
            "INTEGER",
            "Question position on the booking form.",
            False,
            path="questions_and_answers[].position",
        ),
        text("question", "Question text.", "questions_and_answers[].question"),
        text("answer", "Answer text.", "questions_and_answers[].answer"),
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
        text("name", "Form name."),
        text("status", "`draft` or `published`."),
        Column(
            "question_count",
            "INTEGER",
            "Number of questions on the form.",
            path="questions",
            derive="count",
        ),
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
        text("submitter_type", "`Invitee` or NULL."),
        text(
            "result_type",
            "Routing outcome: `event_type`, `external_url` or `custom_message`.",
            "result.type",
        ),
        Column(
            "result_value",
            "VARCHAR",
            "Event type URI or external URL routed to; for a custom message, its JSON.",
            path="result.value",
            derive="json_text",
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
        text("callback_url", "URL Calendly posts events to."),
        text("state", "`active` or `disabled`."),
        Column("events", "VARCHAR[]", "Subscribed event names, e.g. `invitee.created`."),
        text("scope", "`organization`, `user` or `group`."),
        _ref("organization", "organization"),
        _ref("user_uri", "user, for user-scoped subscriptions", "user"),
        _ref("group_uri", "group, for group-scoped subscriptions", "group"),
        _ref("creator", "user who created the subscription"),
        timestamp("retry_started_at", "When Calendly started retrying failed deliveries"),
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
        timestamp("occurred_at", "When the action happened"),
        text("namespace", "Area of the product, e.g. `User`, `EventType`."),
        text("action", "What was done, e.g. `Login`, `Updated`."),
        text("fully_qualified_name", "`Namespace.Action`."),
        text("actor_uri", "URI of who acted (usually a user).", "actor.uri"),
        text("actor_type", "Kind of actor, e.g. `User`.", "actor.type"),
        text("actor_display_name", "Actor's display name.", "actor.display_name"),
        text("actor_role", "Actor's role in the organization.", "actor.organization.role"),
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

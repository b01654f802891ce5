"""The analytics layer (schema `analytics`): the utilization model's outputs, column by column.

The frames built in `calendly_pipeline.transforms` have exactly these columns in this order (a test
enforces it; `transforms` reads the names and dtypes from here); migrations create the tables
and `docs/tables.md` is rendered from these specs (`storage/analytics_tables.py`).
"""

from __future__ import annotations

from calendly_pipeline.schema.spec import Column, TableSpec

_MONTH = Column(
    "month",
    "DATE",
    "Calendar month end the figures stand for; the current month is computed at `as_of`.",
    False,
)

_INVITEES_COMPLETE_AFTER = Column(
    "invitees_complete_after",
    "TIMESTAMPTZ",
    "Features revealed by invitees only, while the invitee history is still being read "
    "(progressive first sync, docs/scaling.md): the start of the newest event whose "
    "invitees are not read yet; uses before it may be missing, so the row is not a "
    "complete figure. NULL: complete (or a feature not revealed by invitees).",
)


def _count(name: str, description: str) -> Column:
    return Column(name, "BIGINT", description, False)


def _feature_columns() -> tuple[Column, ...]:
    return (
        Column(
            "feature",
            "VARCHAR",
            "Feature key from the catalogue (`transforms/features.py`).",
            False,
        ),
        Column("feature_label", "VARCHAR", "Human-readable feature name."),
        Column(
            "tier",
            "VARCHAR",
            "Lowest Calendly plan that includes the feature (basic = the free plan).",
        ),
    )


SEAT_UTILIZATION = TableSpec(
    "analytics",
    "seat_utilization",
    "One row per seat at `as_of`: current members, pending invitations and removed members "
    "(seen in an earlier roster snapshot, or removed before the first one by the activity "
    "log). Activity is derived from what members do, since "
    "Calendly has no last-login field (rules: docs/architecture.md §4).",
    (
        Column(
            "seat_id", "VARCHAR", "Membership URI (members) or invitation URI (invitations).", False
        ),
        Column("seat_type", "VARCHAR", "`member` or `invitation`.", False),
        Column("user_uri", "VARCHAR", "Calendly user URI; NULL for an invitation."),
        Column("name", "VARCHAR", "Member's name (last known for removed members)."),
        Column("email", "VARCHAR", "Member's or invitee's e-mail address."),
        Column("role", "VARCHAR", "`owner`, `admin` or `user`; NULL for an invitation."),
        Column("group_names", "VARCHAR[]", "Names of the groups the seat belongs to, sorted."),
        Column(
            "joined_at",
            "TIMESTAMPTZ",
            "When the membership was created; for an invitation, when it was sent.",
        ),
        Column(
            "last_active_at",
            "TIMESTAMPTZ",
            "Latest activity signal, passive use included: a hosted event booked (passive), a "
            "meeting held, a host cancellation, an activity-log entry, or an edit of an own "
            "event type. NULL when there is none.",
        ),
        Column(
            "last_host_action_at",
            "TIMESTAMPTZ",
            "Latest signal of something the member did: a meeting held (status active, started), "
            "a host cancellation, an activity-log entry by the member, or an edit of an own event "
            "type; bookings by invitees left out. NULL when there is none.",
        ),
        Column(
            "activity_source",
            "VARCHAR",
            "Signal behind `last_active_at`: `meeting` (held), `host_cancel`, `activity_log`, "
            "`event_type_edit`, `booking` (ties in that order) or `none`.",
            False,
        ),
        Column(
            "days_since_active",
            "INTEGER",
            "Whole days from `last_active_at` (from `last_host_action_at` when the setting "
            "passive_counts_as_active is false) to `as_of` (floored); NULL without activity.",
        ),
        Column(
            "meetings_hosted_30d",
            "BIGINT",
            "Active (not canceled, status known) events the member hosted that started in the "
            "30 days up to `as_of`.",
            False,
        ),
        Column(
            "meetings_hosted_90d",
            "BIGINT",
            "Active (not canceled, status known) events the member hosted that started in the "
            "90 days up to `as_of`.",
            False,
        ),
        Column(
            "status",
            "VARCHAR",
            "`removed`; `pending` (invitation); `active` (days_since_active <= idle_days); `new` "
            "(joined within grace_days); `unknown` when the synced events do not cover the idle "
            "window (meta.event_coverage; `reason` names the missing days); else `idle`.",
            False,
        ),
        Column(
            "removed_at",
            "TIMESTAMPTZ",
            "For a member removed before the first roster snapshot, when the activity log "
            "recorded the removal; NULL otherwise (a snapshot shows only that it happened "
            "between two syncs).",
        ),
        Column(
            "removal_source",
            "VARCHAR",
            "How a removed member is known: `roster_snapshot` (in an earlier snapshot, not in "
            "the current roster) or `activity_log` (a removal entry, Enterprise plans only; "
            "`seat_id` is then the entry's URI); NULL for other seats.",
        ),
        Column(
            "excluded",
            "BOOLEAN",
            "E-mail is on the configured exclusion list (service accounts); such seats are "
            "reviewed by hand and left out of idle cost.",
            False,
        ),
        Column(
            "features_used",
            "VARCHAR[]",
            "Member-level feature keys used at least once up to `as_of`, in catalogue order.",
        ),
        Column(
            "paid_features_used",
            "VARCHAR[]",
            "The part of `features_used` whose tier is above the free plan.",
        ),
        Column(
            "monthly_cost",
            "DOUBLE",
            "Price per seat per month (configured currency): the `seat_price_month` setting, "
            "else the list price of the organization's plan; NULL when the plan is one this code "
            "does not know and no price is set; 0 for removed seats.",
        ),
        Column(
            "recommendation",
            "VARCHAR",
            "First rule that applies: NULL for removed seats; `review` if excluded; `reclaim` if "
            "an invitation pending longer than grace_days, or idle; `review` if `unknown` (never "
            "reclaimed on days not synced); `review` if active but with no host action in the "
            "last idle_days (used only passively); `review` if active but days_since_active > "
            "idle_days - review_margin_days (default 7), or if "
            "`activity_source` is `activity_log` or `event_type_edit`; `review` if new or "
            "invited within grace_days; else `keep`.",
        ),
        Column(
            "reason",
            "VARCHAR",
            "Why the recommendation, in words (which rule applied; for `unknown`, the missing "
            "days). NULL for removed seats.",
        ),
        Column(
            "as_of", "TIMESTAMPTZ", "The API clock at sync time the rules were applied at.", False
        ),
    ),
    primary_key=("seat_id",),
)

FEATURE_ADOPTION = TableSpec(
    "analytics",
    "feature_adoption",
    "One row per member (current, removed, or anyone who used a feature) and member-level "
    "feature. A use is a hosted event's booking that reveals the feature (credited to every "
    "host) or a webhook subscription the member created.",
    (
        Column("user_uri", "VARCHAR", "Calendly user URI.", False),
        *_feature_columns(),
        Column("first_used_at", "TIMESTAMPTZ", "First use; NULL if never used."),
        Column("last_used_at", "TIMESTAMPTZ", "Latest use up to `as_of`; NULL if never used."),
        _count("uses_total", "Uses up to `as_of`."),
        _count(
            "uses_90d",
            "Uses within the adoption window (adoption_days, 90 by default) before `as_of`.",
        ),
        Column(
            "adopted",
            "BOOLEAN",
            "Last use is within adoption_days: as_of - last_used_at <= adoption_days days "
            "(exact, no flooring).",
            False,
        ),
        _INVITEES_COMPLETE_AFTER,
    ),
    primary_key=("user_uri", "feature"),
)

ORG_FEATURE_ADOPTION = TableSpec(
    "analytics",
    "org_feature_adoption",
    "One row per feature and month: how many active seats used it, and which features the plan "
    "pays for that nobody used.",
    (
        *_feature_columns(),
        _MONTH,
        _count("adopters", "Seats active at the month end that used the feature during the month."),
        _count("active_seats", "Seats with status `active` at the month end (see seat_history)."),
        Column(
            "adoption_share",
            "DOUBLE",
            "adopters / active_seats, in [0, 1]; NULL when there are no active seats.",
        ),
        _count(
            "uses",
            "Uses during the month by anyone (organization-level features: activity-log entries).",
        ),
        Column(
            "in_plan",
            "BOOLEAN",
            "The organization's plan includes the feature's tier; NULL for a paid feature when "
            "the plan is one this code does not know (no verdict on an unknown tier).",
        ),
        Column(
            "paid_unused",
            "BOOLEAN",
            "A paid-tier feature included in the plan that nobody used during the month; NULL "
            "when `in_plan` is NULL and nobody used it.",
        ),
        _INVITEES_COMPLETE_AFTER,
    ),
    primary_key=("feature", "month"),
)

DAILY_ACTIVITY = TableSpec(
    "analytics",
    "daily_activity",
    "Meetings per host and UTC day of the start time, one outcome per event. An event with "
    "several hosts (collective, round robin pools) counts once for each host. A host "
    "cancellation after the start time is a host cancellation, never a no-show.",
    (
        Column("activity_date", "DATE", "UTC date of the event's start time.", False),
        Column("user_uri", "VARCHAR", "The host.", False),
        _count("scheduled", "All events of the day, whatever their outcome (including upcoming)."),
        _count(
            "completed",
            "Not canceled, started by `as_of`, and not every active invitee a no-show.",
        ),
        _count(
            "canceled_by_host",
            "Canceled with `canceler_type = host` (not part of a reschedule).",
        ),
        _count(
            "canceled_by_invitee",
            "Canceled with `canceler_type = invitee` (not part of a reschedule).",
        ),
        _count(
            "no_show",
            "Not canceled, started, and every active invitee marked as a no-show.",
        ),
        _count(
            "rescheduled",
            "Canceled because an invitee rescheduled (superseded by a new event).",
        ),
        _count(
            "unknown_status",
            "Events whose `status` is neither `active` nor `canceled` (a value the API added "
            "later, kept as served in raw.scheduled_events): counted here, never as completed, "
            "canceled or a no-show.",
        ),
        _count(
            "invitee_bookings",
            "Active invitees of the day's events: a group event with 12 attendees adds 1 to "
            "`scheduled` and 12 here.",
        ),
    ),
    primary_key=("activity_date", "user_uri"),
    grows_with_history=True,
)

EVENT_TYPE_USAGE = TableSpec(
    "analytics",
    "event_type_usage",
    "One row per event type, booked or not.",
    (
        Column("event_type_uri", "VARCHAR", "Event type URI.", False),
        Column(
            "name", "VARCHAR", "Event type name; NULL if the type is unknown to raw.event_types."
        ),
        Column("kind", "VARCHAR", "`solo` or `group`."),
        Column("pooling_type", "VARCHAR", "`round_robin`, `collective`, `multi_pool` or NULL."),
        Column("owner_name", "VARCHAR", "Profile name of the owning user or team."),
        _count(
            "bookings",
            "Events of this type, a reschedule chain A -> B -> C counting once.",
        ),
        _count("canceled", "Bookings canceled by the host or the invitee."),
        _count("no_shows", "Bookings where every active invitee was a no-show."),
        Column("cancellation_rate", "DOUBLE", "canceled / bookings; NULL without bookings."),
        Column(
            "no_show_rate",
            "DOUBLE",
            "no_shows / bookings that took place (completed or no-show); NULL when none did.",
        ),
    ),
    primary_key=("event_type_uri",),
)

SEAT_HISTORY = TableSpec(
    "analytics",
    "seat_history",
    "Seat status counts at every month end since the first hosted meeting, from re-applying the "
    "seat_utilization rules to what was known by then (the roster at a past month end is the "
    "current roster's members who had joined plus the latest snapshot taken by then).",
    (
        _MONTH,
        _count("seats_assigned", "active + idle + unknown + new."),
        _count("active", "Seats with status `active`."),
        _count("idle", "Seats with status `idle`."),
        _count(
            "unknown",
            "Seats that would be idle but whose idle window at the month end the synced events "
            "do not cover.",
        ),
        _count("new", "Seats with status `new`."),
        _count("pending", "Pending invitations sent by then."),
        _count(
            "removed",
            "Members removed by then: seen in an earlier snapshot, or removed before the first "
            "snapshot by the activity log (Enterprise).",
        ),
        Column(
            "idle_monthly_cost",
            "DOUBLE",
            "Monthly cost of idle seats, excluded seats left out (configured currency).",
            False,
        ),
    ),
    primary_key=("month",),
)

PLAN_OPTIONS = TableSpec(
    "analytics",
    "plan_options",
    "Plan advice for the whole organization (Calendly bills one plan per organization): the "
    "current plan and every cheaper plan on sale (legacy essentials and professional only as "
    "the current plan), most expensive first, with the features used in the adoption window "
    "each would lose. Empty under a plan this code does not know.",
    (
        Column("plan", "VARCHAR", "Calendly plan.", False),
        Column("current", "BOOLEAN", "The organization's plan at `as_of`.", False),
        Column(
            "price_per_seat_month",
            "DOUBLE",
            "The current plan at what the organization pays (`seat_price_month` when set); any "
            "other plan at its configured list price.",
        ),
        _count("active_seats", "Seats with status `active` at `as_of`: the seats priced here."),
        Column("yearly_cost", "DOUBLE", "active_seats x price_per_seat_month x 12."),
        Column("yearly_saving", "DOUBLE", "Current plan's yearly_cost minus this plan's."),
        Column(
            "features_lost",
            "VARCHAR[]",
            "Features used in the adoption window (a use within adoption_days before `as_of`, "
            "by anyone) whose tier is above this plan, in catalogue order.",
        ),
        Column(
            "people_per_feature_lost",
            "BIGINT[]",
            "For each of `features_lost`, the people who used it in the adoption window.",
        ),
        _count("people_losing", "People who used at least one of `features_lost`."),
        Column("keeps_all_features", "BOOLEAN", "`features_lost` is empty.", False),
        Column(
            "recommended",
            "BOOLEAN",
            "The cheapest plan that keeps every feature used and saves money; the current plan "
            "when there is none.",
            False,
        ),
        Column("as_of", "TIMESTAMPTZ", "The API clock at sync time.", False),
    ),
    primary_key=("plan",),
)

ANALYTICS_TABLES: list[TableSpec] = [
    SEAT_UTILIZATION,
    FEATURE_ADOPTION,
    ORG_FEATURE_ADOPTION,
    DAILY_ACTIVITY,
    EVENT_TYPE_USAGE,
    SEAT_HISTORY,
    PLAN_OPTIONS,
]

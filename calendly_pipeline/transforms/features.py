"""The Calendly feature catalogue, as data: one `Feature` per feature, nothing else to edit.

Each entry names the raw table whose rows reveal the feature (`source`), a vectorised predicate over
that table, the lowest plan that includes it (`tier`), and whether it is measured per member or only
for the whole organization. `feature_uses` turns the catalogue into dated, attributed uses following
docs/architecture.md §4. Tiers follow Calendly's public plan pages (2025): Free (`basic`) has
one-on-one and polls; Standard adds group/collective types, payments, workflows and webhooks;
Teams adds round robin, managed types and routing; Enterprise adds the activity log. The legacy
`essentials` and `professional` plans rank between them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from calendly_pipeline.schema.raw_tables import INVITEES
from calendly_pipeline.transforms._frames import (
    Frames,
    Hosted,
    hosted,
    is_true,
    live,
    naive_us,
    require,
)

PLANS: tuple[str, ...] = ("basic", "essentials", "standard", "professional", "teams", "enterprise")
FREE_PLAN = "basic"

# The enum columns the model reads, with the values the spec lists (openapi.json). Calendly may
# add values; any other value is kept as served, never folded into a known bucket, and the
# analytics count and report it (`storage.reads.unknown_values`).
MODEL_ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("organizations", "plan"): PLANS,
    ("organization_memberships", "role"): ("owner", "admin", "user"),
    ("organization_invitations", "status"): ("pending", "accepted", "declined"),
    ("event_types", "kind"): ("solo", "group"),
    ("event_types", "pooling_type"): ("round_robin", "collective", "multi_pool"),
    ("event_types", "booking_method"): ("instant", "poll"),
    ("scheduled_events", "status"): ("active", "canceled"),
    ("scheduled_events", "canceler_type"): ("host", "invitee"),
    ("scheduled_events", "location_type"): (
        "zoom", "google_conference", "microsoft_teams_conference", "webex_conference",
        "gotomeeting", "inbound_call", "outbound_call", "physical", "custom", "ask_invitee",
    ),
    ("invitees", "status"): ("active", "canceled"),
}  # fmt: skip

Level = Literal["member", "org"]
Source = Literal["event_type", "event", "invitee", "webhook", "activity_log"]
Predicate = Callable[[pd.DataFrame], pd.Series]

SOURCE_TABLES: dict[str, str] = {
    "event_type": "event_types",
    "event": "scheduled_events",
    "invitee": "invitees",
    "webhook": "webhook_subscriptions",
    "activity_log": "activity_log_entries",
}


@dataclass(frozen=True)
class Feature:
    key: str
    label: str
    tier: str
    level: Level
    source: Source
    signal: str
    predicate: Predicate

    @property
    def paid(self) -> bool:
        return self.tier != FREE_PLAN


def known_plan(plan: str | None) -> bool:
    """Whether the plan is one this catalogue can rank. Calendly may add plans (say
    `enterprise_plus`): such a plan gets no verdict that depends on its tier."""
    return plan in PLANS


def plan_rank(plan: str) -> int:
    """Position in `PLANS`; an unknown plan is an error, not a silent 'includes nothing'
    (callers check `known_plan` first)."""
    if plan not in PLANS:
        raise ValueError(f"unknown Calendly plan {plan!r}; expected one of {list(PLANS)}")
    return PLANS.index(plan)


def _location(key: str, label: str, tier: str, *types: str) -> Feature:
    return Feature(
        key,
        label,
        tier,
        "member",
        "event",
        f"event `location_type` in {list(types)}",
        lambda e: e["location_type"].isin(types),
    )


def _invitee(key: str, label: str, tier: str, signal: str, predicate: Predicate) -> Feature:
    return Feature(key, label, tier, "member", "invitee", f"an invitee with {signal}", predicate)


def _n_options(values: pd.Series) -> pd.Series:
    """Length of a list column; DuckDB hands lists back as lists or arrays, nulls as None/NaN."""
    return values.map(lambda v: len(v) if isinstance(v, list | tuple | np.ndarray) else 0)


UTM_COLUMNS = tuple(c for c in INVITEES.column_names if c.startswith("utm_"))

CATALOGUE: tuple[Feature, ...] = (
    Feature("one_on_one", "One-on-one event", "basic", "member", "event_type",
            "event type `kind = solo` and `pooling_type` null",
            lambda t: t["kind"].eq("solo").fillna(False) & t["pooling_type"].isna()),
    Feature("group_event", "Group event", "standard", "member", "event_type",
            "event type `kind = group`", lambda t: t["kind"].eq("group")),
    Feature("round_robin", "Round robin", "teams", "member", "event_type",
            "`pooling_type = round_robin`", lambda t: t["pooling_type"].eq("round_robin")),
    Feature("collective", "Collective event", "standard", "member", "event_type",
            "`pooling_type = collective`", lambda t: t["pooling_type"].eq("collective")),
    Feature("meeting_poll", "Meeting poll", "basic", "member", "event_type",
            "`booking_method = poll`", lambda t: t["booking_method"].eq("poll")),
    Feature("secret_event_type", "Secret event type", "basic", "member", "event_type",
            "`secret = true`", lambda t: is_true(t["secret"])),
    Feature("managed_event_type", "Managed event type", "teams", "member", "event_type",
            "`admin_managed = true`", lambda t: is_true(t["admin_managed"])),
    Feature("multiple_durations", "Multiple durations", "standard", "member", "event_type",
            "more than one entry in `duration_options`",
            lambda t: _n_options(t["duration_options"]) > 1),
    Feature("custom_questions", "Custom questions", "standard", "member", "event_type",
            "`custom_questions_enabled > 0` (at least one enabled custom question)",
            lambda t: t["custom_questions_enabled"].fillna(0).gt(0)),
    _location("location_zoom", "Zoom", "basic", "zoom"),
    _location("location_google_meet", "Google Meet", "basic", "google_conference"),
    _location("location_teams", "Microsoft Teams", "basic", "microsoft_teams_conference"),
    _location("location_webex", "Webex", "standard", "webex_conference"),
    _location("location_gotomeeting", "GoTo Meeting", "standard", "gotomeeting"),
    _location("location_phone", "Phone call", "basic", "inbound_call", "outbound_call"),
    _location("location_in_person", "In-person meeting", "basic", "physical"),
    _location("location_custom", "Custom location", "basic", "custom"),
    _location("location_ask_invitee", "Location asked of invitee", "basic", "ask_invitee"),
    _invitee("payments", "Payments (Stripe/PayPal)", "standard", "a `payment`",
             lambda i: i["payment_provider"].notna() | i["payment_amount"].notna()),
    _invitee("utm_tracking", "UTM-tracked embeds", "basic", "any `tracking.utm_*`",
             lambda i: i[list(UTM_COLUMNS)].notna().any(axis=1)),
    _invitee("no_show_marking", "No-show marking", "standard", "`no_show`",
             lambda i: i["no_show_uri"].notna()),
    _invitee("reconfirmation", "Reconfirmations", "standard", "`reconfirmation`",
             lambda i: i["reconfirmation_created_at"].notna()),
    _invitee("routing_forms", "Routing forms", "teams", "`routing_form_submission`",
             lambda i: i["routing_form_submission"].notna()),
    _invitee("text_reminders", "Text (SMS) reminders", "standard", "`text_reminder_number`",
             lambda i: is_true(i["text_reminder"])),
    Feature("webhooks", "Webhooks", "standard", "member", "webhook",
            "a webhook subscription whose `creator` is the member",
            lambda w: pd.Series(True, index=w.index)),
    Feature("activity_log", "Activity log", "enterprise", "org", "activity_log",
            "any activity-log entry (organization level)",
            lambda a: pd.Series(True, index=a.index)),
)  # fmt: skip

FEATURES: dict[str, Feature] = {f.key: f for f in CATALOGUE}
_ORDER = {key: i for i, key in enumerate(FEATURES)}
if len(FEATURES) != len(CATALOGUE):
    raise RuntimeError("duplicate feature key in CATALOGUE")

FEATURE_EVENT_COLUMNS = ["event_type", "location_type", "created_at"]
_EVENT_TYPE_COLUMNS = [
    "uri", "kind", "pooling_type", "booking_method", "secret", "admin_managed",
    "duration_options", "custom_questions_enabled",
]  # fmt: skip
INVITEE_FEATURE_COLUMNS = [
    "event_uri", "payment_provider", "payment_amount", *UTM_COLUMNS, "no_show_uri",
    "reconfirmation_created_at", "routing_form_submission", "text_reminder", "deleted_at",
]  # fmt: skip


def _flags(df: pd.DataFrame, source: Source) -> tuple[list[str], np.ndarray]:
    """Keys and a (rows x features) boolean matrix for the catalogue features of `source`."""
    keys = [f.key for f in CATALOGUE if f.source == source]
    matrix = np.zeros((len(df), len(keys)), dtype=bool)
    for j, feature in enumerate(f for f in CATALOGUE if f.source == source):
        matrix[:, j] = feature.predicate(df).fillna(False).to_numpy(dtype=bool)
    return keys, matrix


def event_feature_matrix(frames: Frames, events: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """Keys and an (events x features) boolean matrix of the features each live event reveals:
    from its event type, its own location, and any of its live invitees."""
    types = require(frames, "event_types", _EVENT_TYPE_COLUMNS).drop_duplicates("uri")
    invitees = live(require(frames, "invitees", INVITEE_FEATURE_COLUMNS))
    type_keys, type_flags = _flags(types, "event_type")
    type_pos = pd.Index(types["uri"]).get_indexer(events["event_type"])
    by_type = np.where((type_pos >= 0)[:, None], type_flags[type_pos], False)
    event_keys, by_event = _flags(events, "event")
    invitee_keys, invitee_flags = _flags(invitees, "invitee")
    invitee_pos = pd.Index(events["uri"]).get_indexer(invitees["event_uri"])
    by_invitees = np.zeros((len(events), len(invitee_keys)), dtype=bool)
    for j in range(len(invitee_keys)):
        hit = invitee_flags[:, j] & (invitee_pos >= 0)
        by_invitees[invitee_pos[hit], j] = True
    return (
        type_keys + event_keys + invitee_keys,
        np.hstack([by_type, by_event, by_invitees]),
    )


def _uses(
    users: np.ndarray | pd.Categorical, features: np.ndarray, times: np.ndarray
) -> pd.DataFrame:
    """Dated uses: `user_uri` and `feature` as categoricals (features in catalogue order)."""
    return pd.DataFrame(
        {
            "user_uri": pd.Categorical(users),
            "feature": pd.Categorical.from_codes(features, categories=list(FEATURES)),
            "used_at": pd.Series(times, dtype="datetime64[us]").dt.tz_localize("UTC"),
        }
    )


def hosted_uses(frames: Frames, h: Hosted) -> pd.DataFrame:
    """Uses revealed by events (their type, location and invitees), credited to every host at
    booking time; `h` must hold at least FEATURE_EVENT_COLUMNS."""
    keys, matrix = event_feature_matrix(frames, h.events)
    pair, column = np.nonzero(matrix[h.event_pos])
    return _uses(
        h.user[pair],
        np.asarray([_ORDER[k] for k in keys], dtype=np.int64)[column],
        naive_us(h.events["created_at"])[h.event_pos[pair]],
    )


def org_uses(frames: Frames) -> pd.DataFrame:
    """Uses no event carries: a webhook goes to its creator; an activity-log entry (an
    org-level feature) to its actor, so monthly adopters can be counted."""
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for source, user_col, time_col in (
        ("webhook", "creator", "created_at"),
        ("activity_log", "actor_uri", "occurred_at"),
    ):
        table = require(frames, SOURCE_TABLES[source], [user_col, time_col])
        for feature in (f for f in CATALOGUE if f.source == source):
            rows = table[feature.predicate(table).fillna(False).to_numpy(dtype=bool)]
            rows = rows[rows[user_col].notna()]
            parts.append(
                (
                    rows[user_col].to_numpy(dtype=object),
                    np.full(len(rows), _ORDER[feature.key], dtype=np.int64),
                    naive_us(rows[time_col]),
                )
            )
    return _uses(*(np.concatenate([p[i] for p in parts]) for i in range(3)))


def feature_uses(frames: Frames, h: Hosted | None = None) -> pd.DataFrame:
    """Every dated use of every catalogue feature, attributed per architecture §4.

    Columns `user_uri` and `feature` (categoricals; features in catalogue order) and `used_at`.
    `h` may be passed in (built with at least FEATURE_EVENT_COLUMNS) to share it.
    """
    h = hosted(frames, FEATURE_EVENT_COLUMNS) if h is None else h
    both = pd.concat([hosted_uses(frames, h), org_uses(frames)], ignore_index=True)
    return both.assign(
        user_uri=pd.Categorical(both["user_uri"]),
        feature=pd.Categorical(both["feature"], categories=list(FEATURES)),
    )

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

from calendly_pipeline.transforms._frames import Frames, is_true, live, require, utc

PLANS: tuple[str, ...] = ("basic", "essentials", "standard", "professional", "teams", "enterprise")
FREE_PLAN = "basic"

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


def plan_rank(plan: str) -> int:
    """Position in `PLANS`; an unknown plan is an error, not a silent 'includes nothing'."""
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


UTM_COLUMNS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")

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
if len(FEATURES) != len(CATALOGUE):
    raise RuntimeError("duplicate feature key in CATALOGUE")

USE_COLUMNS = ["user_uri", "feature", "used_at"]

_EVENT_COLUMNS = ["uri", "event_type", "location_type", "created_at", "deleted_at"]
_EVENT_TYPE_COLUMNS = [
    "uri", "kind", "pooling_type", "booking_method", "secret", "admin_managed",
    "duration_options", "custom_questions_enabled",
]  # fmt: skip
_INVITEE_COLUMNS = [
    "event_uri", "payment_provider", "payment_amount", *UTM_COLUMNS, "no_show_uri",
    "reconfirmation_created_at", "routing_form_submission", "text_reminder", "deleted_at",
]  # fmt: skip


def _flags(df: pd.DataFrame, source: Source) -> pd.DataFrame:
    """One boolean column per catalogue feature of `source`, aligned with `df`."""
    return pd.DataFrame(
        {
            f.key: f.predicate(df).fillna(False).astype(bool)
            for f in CATALOGUE
            if f.source == source
        },
        index=df.index,
    )


def _long(flags: pd.DataFrame, ids: pd.Series, id_name: str) -> pd.DataFrame:
    """(id, feature) pairs for every True flag, without a Python loop over rows."""
    stacked = flags.set_axis(ids.to_numpy(), axis=0).stack()
    stacked = stacked[stacked]
    return pd.DataFrame(
        {
            id_name: stacked.index.get_level_values(0).astype("str"),
            "feature": stacked.index.get_level_values(1).astype("str"),
        }
    )


def event_feature_pairs(frames: Frames) -> pd.DataFrame:
    """(event_uri, feature) for every live event and every event-level feature it reveals."""
    events = live(require(frames, "scheduled_events", _EVENT_COLUMNS))
    types = require(frames, "event_types", _EVENT_TYPE_COLUMNS)
    invitees = live(require(frames, "invitees", _INVITEE_COLUMNS))

    type_flags = _flags(types, "event_type").set_axis(types["uri"].to_numpy(), axis=0)
    type_flags = type_flags[~type_flags.index.duplicated()]
    by_type = type_flags.reindex(events["event_type"].to_numpy(), fill_value=False)
    invitee_flags = _flags(invitees, "invitee").groupby(invitees["event_uri"].to_numpy()).any()
    by_invitees = invitee_flags.reindex(events["uri"].to_numpy(), fill_value=False)
    flags = pd.concat(
        [
            by_type.set_axis(events.index, axis=0),
            _flags(events, "event"),
            by_invitees.set_axis(events.index, axis=0),
        ],
        axis=1,
    ).astype(bool)
    return _long(flags, events["uri"], "event_uri")


def feature_uses(frames: Frames) -> pd.DataFrame:
    """Every dated use of every catalogue feature, attributed per architecture §4.

    Columns `user_uri, feature, used_at`; org-level features are attributed to the entry's actor
    so that monthly adopter counts can still be taken.
    """
    events = live(require(frames, "scheduled_events", _EVENT_COLUMNS))
    hosts = require(frames, "event_hosts", ["event_uri", "user_uri"])
    pairs = event_feature_pairs(frames)
    booked = events[["uri", "created_at"]].rename(columns={"uri": "event_uri"})
    booked = booked.assign(created_at=utc(booked["created_at"]))
    per_host = pairs.merge(booked, on="event_uri").merge(
        hosts[["event_uri", "user_uri"]].drop_duplicates(), on="event_uri"
    )
    parts = [per_host.rename(columns={"created_at": "used_at"})[USE_COLUMNS]]

    for source, user_col, time_col in (
        ("webhook", "creator", "created_at"),
        ("activity_log", "actor_uri", "occurred_at"),
    ):
        table = require(frames, SOURCE_TABLES[source], [user_col, time_col])
        for feature in (f for f in CATALOGUE if f.source == source):
            rows = table[feature.predicate(table).fillna(False).astype(bool)]
            parts.append(
                pd.DataFrame(
                    {
                        "user_uri": rows[user_col].to_numpy(),
                        "feature": feature.key,
                        "used_at": utc(rows[time_col]).to_numpy(),
                    }
                )
            )
    uses = pd.concat(parts, ignore_index=True)
    uses = uses[uses["user_uri"].notna()]
    return uses.astype({"user_uri": "str", "feature": "str", "used_at": "datetime64[us, UTC]"})

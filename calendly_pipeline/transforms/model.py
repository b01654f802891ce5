"""All six analytics tables from one pass over the events, a chunk at a time.

Each public transform also works alone, but together they share the expensive parts: the event
summary (feature uses, activity signals, meetings held, outcomes), the seat inputs and the
month-end seat replays (whose last month *is* `seat_utilization`). Same rules, same functions,
computed once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd

from calendly_pipeline.transforms._frames import Frames, as_utc_timestamp
from calendly_pipeline.transforms.activity import type_usage
from calendly_pipeline.transforms.adoption import (
    member_feature_adoption,
    monthly_feature_adoption,
    seat_users,
)
from calendly_pipeline.transforms.completeness import mark_invitee_completeness
from calendly_pipeline.transforms.plans import plan_options
from calendly_pipeline.transforms.summary import EventSummary, summarize, with_org_uses
from calendly_pipeline.transforms.utilization import (
    SEAT_COLUMNS,
    history_counts,
    prepare_seat_inputs,
    seats_by_month,
)
from calendly_pipeline.transforms.utilization_config import UtilizationConfig

ANALYTICS_NAMES = (
    "seat_utilization",
    "feature_adoption",
    "org_feature_adoption",
    "daily_activity",
    "event_type_usage",
    "seat_history",
    "plan_options",
)
# The raw tables the model reads whole; the event tables come in chunks (EVENT_CHUNK_COLUMNS).
SMALL_TABLES = (
    "organizations",
    "organization_memberships",
    "membership_snapshots",
    "organization_invitations",
    "groups",
    "group_relationships",
    "event_types",
    "webhook_subscriptions",
    "activity_log_entries",
)
_EVENTS = ("scheduled_events", "invitees")
# The raw tables each analytics table is computed from, for the lineage graph. Seats read every
# table the model reads; feature uses come from the events, event types, webhooks and the log.
_USES = (*_EVENTS, "event_types", "webhook_subscriptions", "activity_log_entries")
_SEATS = (*SMALL_TABLES, *_EVENTS)
FEEDS: dict[str, tuple[str, ...]] = {
    "seat_utilization": _SEATS,
    "seat_history": _SEATS,
    "plan_options": _SEATS,
    "org_feature_adoption": _SEATS,
    "feature_adoption": (*_USES, "organization_memberships", "membership_snapshots"),
    "daily_activity": _EVENTS,
    "event_type_usage": ("event_types", *_EVENTS),
}


def summarize_chunks(
    frames: Frames,
    chunks: Iterable[Frames],
    config: UtilizationConfig,
    as_of: pd.Timestamp,
    write_daily: Callable[[pd.DataFrame], object],
) -> EventSummary:
    """Fold the chunks' summaries, handing each chunk's final `daily_activity` rows to
    `write_daily` so they never pile up. `frames` holds the small raw tables; each chunk holds
    a set of events (whole UTC days of start times) with all their hosts and invitees."""
    as_of = as_utc_timestamp(as_of)
    summary: EventSummary | None = None
    for chunk in chunks:
        part = summarize({**frames, **chunk}, config, as_of)
        write_daily(part.daily)
        part = part.without_daily()
        summary = part if summary is None else summary.merge(part)
    if summary is None:
        raise ValueError("no chunk of events to summarize (an empty table is one empty chunk)")
    return with_org_uses(summary.expanded(), frames, config, as_of)


def tables_from_summary(
    frames: Frames,
    summary: EventSummary,
    config: UtilizationConfig,
    as_of: pd.Timestamp,
    invitees_pending_since: pd.Timestamp | None = None,
) -> dict[str, pd.DataFrame]:
    """Every analytics table but `daily_activity`, from the small raw tables and the summary.
    `invitees_pending_since`: the start of the newest event whose invitees are not read yet
    (None: all read), carried by invitee-revealed feature rows (`transforms.completeness`)."""
    as_of = as_utc_timestamp(as_of)
    inputs = prepare_seat_inputs(frames, summary, config, as_of)
    monthly = seats_by_month(inputs, config, as_of)
    last = monthly["month"] == monthly["month"].max()
    seats = monthly.loc[last, SEAT_COLUMNS].reset_index(drop=True)
    tables = {
        "seat_utilization": seats,
        "feature_adoption": member_feature_adoption(
            summary.uses, seat_users(frames), config, as_of
        ),
        "org_feature_adoption": monthly_feature_adoption(summary.uses, monthly, inputs.plan),
        "event_type_usage": type_usage(frames, summary.type_outcomes),
        "seat_history": history_counts(monthly),
        "plan_options": plan_options(summary.uses, seats, inputs.plan, config, as_of),
    }
    return mark_invitee_completeness(tables, invitees_pending_since)


def build_analytics(
    frames: Frames, config: UtilizationConfig, as_of: pd.Timestamp
) -> dict[str, pd.DataFrame]:
    """Every `analytics.*` table from raw frames held at once (all events as one chunk), keyed
    by table name in ANALYTICS_NAMES order."""
    daily: list[pd.DataFrame] = []
    summary = summarize_chunks(frames, [frames], config, as_of, daily.append)
    tables = tables_from_summary(frames, summary, config, as_of)
    tables["daily_activity"] = daily[0]
    return {name: tables[name] for name in ANALYTICS_NAMES}

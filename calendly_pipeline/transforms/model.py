"""All six analytics tables from one pass over the raw frames.

Each public transform also works alone, but together they share the expensive parts: feature uses,
the seat inputs, the month-end seat replays (whose last month *is* `seat_utilization`) and the
event outcomes. Same rules, same functions, computed once.
"""

from __future__ import annotations

import pandas as pd

from calendly_pipeline.transforms._frames import Frames, as_utc_timestamp, hosted
from calendly_pipeline.transforms.activity import (
    EVENT_COLUMNS,
    OUTCOME_INVITEE_COLUMNS,
    host_daily_activity,
    outcomes_of,
    type_usage,
)
from calendly_pipeline.transforms.adoption import (
    member_feature_adoption,
    monthly_feature_adoption,
    seat_users,
)
from calendly_pipeline.transforms.config import UtilizationConfig
from calendly_pipeline.transforms.features import (
    FEATURE_EVENT_COLUMNS,
    INVITEE_FEATURE_COLUMNS,
    feature_uses,
)
from calendly_pipeline.transforms.utilization import (
    SEAT_COLUMNS,
    SEAT_EVENT_COLUMNS,
    history_counts,
    prepare_seat_inputs,
    seats_by_month,
)

_MODEL_EVENT_COLUMNS = [*FEATURE_EVENT_COLUMNS, *SEAT_EVENT_COLUMNS, *EVENT_COLUMNS]

# The columns `build_analytics` reads from the three large raw tables, so a caller can load only
# these (a column missing here fails loudly in `require`, never silently).
INPUT_COLUMNS: dict[str, list[str]] = {
    "scheduled_events": list(dict.fromkeys(["uri", "deleted_at", *_MODEL_EVENT_COLUMNS])),
    "event_hosts": ["event_uri", "user_uri"],
    "invitees": list(dict.fromkeys([*INVITEE_FEATURE_COLUMNS, *OUTCOME_INVITEE_COLUMNS])),
}

ANALYTICS_NAMES = (
    "seat_utilization",
    "feature_adoption",
    "org_feature_adoption",
    "daily_activity",
    "event_type_usage",
    "seat_history",
)


def build_analytics(
    frames: Frames, config: UtilizationConfig, as_of: pd.Timestamp
) -> dict[str, pd.DataFrame]:
    """Every `analytics.*` table, keyed by table name (see ANALYTICS_NAMES)."""
    as_of = as_utc_timestamp(as_of)
    h = hosted(frames, _MODEL_EVENT_COLUMNS)
    uses = feature_uses(frames, h)
    inputs = prepare_seat_inputs(frames, as_of, uses, h)
    monthly = seats_by_month(inputs, config, as_of)
    last = monthly["month"] == monthly["month"].max()
    outcomes = outcomes_of(frames, h, as_of)
    return {
        "seat_utilization": monthly.loc[last, SEAT_COLUMNS].reset_index(drop=True),
        "feature_adoption": member_feature_adoption(uses, seat_users(frames), config, as_of),
        "org_feature_adoption": monthly_feature_adoption(uses, monthly, inputs.plan, as_of),
        "daily_activity": host_daily_activity(outcomes, h),
        "event_type_usage": type_usage(frames, outcomes),
        "seat_history": history_counts(monthly),
    }

"""Events reduced a chunk at a time, so the model's memory follows users x months, not events.

A year of a 2,000-seat organization is a million events and more invitees: as pandas frames they
outgrow a sync's memory budget, and a daily sync would need more memory every day. Every
analytics figure that reads events is a count, minimum or maximum over them, so the model reads
the events in chunks (a third of a calendar month of start times, with all their hosts and
invitees), reduces each chunk to an `EventSummary` and merges the summaries. Daily activity
rows are final per chunk: a chunk holds whole UTC days, so the caller can write them and drop
them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from calendly_pipeline.transforms._frames import (
    DAY,
    Frames,
    Hosted,
    as_utc_timestamp,
    hosted,
    month_cutoff,
    month_end_of,
    month_ends,
    naive_us,
)
from calendly_pipeline.transforms.activity import (
    EVENT_COLUMNS,
    OUTCOME_INVITEE_COLUMNS,
    host_daily_activity,
    outcome_counts,
    outcomes_of,
)
from calendly_pipeline.transforms.features import (
    FEATURE_EVENT_COLUMNS,
    INVITEE_FEATURE_COLUMNS,
    hosted_uses,
    org_uses,
)
from calendly_pipeline.transforms.utilization_config import UtilizationConfig

# Tie-break order when two signals share the latest timestamp (architecture §4).
SOURCE_PRIORITY = {
    "meeting": 0, "host_cancel": 1, "activity_log": 2, "event_type_edit": 3, "booking": 4,
}  # fmt: skip
# What the member did themselves; `booking` (an invitee booked their link) is passive use.
HOST_ACTIONS = ("meeting", "host_cancel", "activity_log", "event_type_edit")
MEETING_SOURCES = ("meeting", "host_cancel", "booking")  # signals an event gives
SEAT_EVENT_COLUMNS = ["status", "start_time", "created_at", "canceled_at", "canceler_type"]
MEETING_WINDOWS = (30, 90)  # days: `meetings_hosted_30d` and `meetings_hosted_90d`
SUMMARY_EVENT_COLUMNS = list(
    dict.fromkeys(
        ["uri", "deleted_at", *FEATURE_EVENT_COLUMNS, *SEAT_EVENT_COLUMNS, *EVENT_COLUMNS]
    )
)
# The columns a chunk must hold of the three event tables (a missing one fails in `require`).
EVENT_CHUNK_COLUMNS: dict[str, list[str]] = {
    "scheduled_events": SUMMARY_EVENT_COLUMNS,
    "event_hosts": ["event_uri", "user_uri"],
    "invitees": list(dict.fromkeys([*INVITEE_FEATURE_COLUMNS, *OUTCOME_INVITEE_COLUMNS])),
}
USE_COLUMNS = [
    "user_uri",
    "feature",
    "month",
    "first_used_at",
    "last_used_at",
    "uses",
    "uses_recent",
]
SIGNAL_COLUMNS = ["user_uri", "source", "priority", "ts"]
MEETING_COLUMNS = ["cutoff", "user_uri", *(f"meetings_{d}d" for d in MEETING_WINDOWS)]


@dataclass(frozen=True)
class EventSummary:
    """What the model keeps of a chunk of events; `merge` folds two into one of the same shape
    (without daily rows: those are final per chunk and handed on before any merge)."""

    uses: pd.DataFrame  # USE_COLUMNS: per user, feature and month of use, up to as_of
    signals: pd.DataFrame  # SIGNAL_COLUMNS: latest meeting signal per user and month
    meetings: pd.DataFrame  # MEETING_COLUMNS: held meetings per month-end cutoff and host
    type_outcomes: pd.DataFrame  # index event_type, a column per outcome: event counts
    daily: pd.DataFrame  # activity.DAILY_ACTIVITY_COLUMNS: final rows for the chunk's days

    def merge(self, other: EventSummary) -> EventSummary:
        """The two folded into one, its repeated strings held as categories (`expanded` turns
        them back): a summary has users x months rows, and each chunk brings its own copies
        of the same user URIs, so as strings it grew with the history by tens of MiB."""
        return EventSummary(
            uses=_compact(_merge_uses(self.uses, other.uses)),
            signals=_compact(
                _latest_signals(pd.concat([self.signals, other.signals], ignore_index=True))
            ),
            meetings=_compact(
                pd.concat([self.meetings, other.meetings], ignore_index=True)
                .groupby(["cutoff", "user_uri"], as_index=False, sort=False, observed=True)
                .sum()
            ),
            type_outcomes=self.type_outcomes.add(other.type_outcomes, fill_value=0).astype("int64"),
            daily=self.daily.iloc[0:0],  # final per chunk: written by the caller, never merged
        )

    def expanded(self) -> EventSummary:
        """The same summary with the columns `merge` made categories as strings again, the
        dtypes the analytics tables are built from."""
        return replace(
            self,
            uses=_expanded(self.uses),
            signals=_expanded(self.signals),
            meetings=_expanded(self.meetings),
        )

    def without_daily(self) -> EventSummary:
        """The same summary with its daily rows dropped once the caller has written them."""
        return replace(self, daily=self.daily.iloc[0:0])


_REPEATED = ("user_uri", "feature", "source")  # the string columns a summary repeats


def _compact(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({c: "category" for c in _REPEATED if c in frame.columns})


def _expanded(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({c: "str" for c in _REPEATED if c in frame.columns})


def _latest_signals(signals: pd.DataFrame) -> pd.DataFrame:
    """Latest signal per user, source and calendar month: all a month-end replay needs."""
    if signals.empty:
        return signals
    month = signals["ts"].dt.tz_localize(None).to_numpy().astype("datetime64[M]")
    return (
        signals.assign(_m=month)
        .groupby(
            ["user_uri", "source", "priority", "_m"], as_index=False, sort=False, observed=True
        )["ts"]
        .max()[SIGNAL_COLUMNS]
    )


def latest_per_month(
    user: pd.Categorical | np.ndarray, ts: np.ndarray, source: str, as_of: pd.Timestamp
) -> pd.DataFrame:
    """SIGNAL_COLUMNS rows: the latest `ts` per user and calendar month, up to `as_of`; it
    shrinks millions of signals to users x months."""
    limit = np.datetime64(as_of.tz_localize(None).to_datetime64(), "us")
    keep = ~np.isnat(ts) & (ts <= limit)
    frame = pd.DataFrame(
        {"user_uri": user[keep], "month": ts[keep].astype("datetime64[M]"), "ts": ts[keep]}
    )
    latest = frame.groupby(["user_uri", "month"], observed=True, as_index=False)["ts"].max()
    return pd.DataFrame(
        {
            "user_uri": pd.Series(np.asarray(latest["user_uri"], dtype=object), dtype="str"),
            "source": pd.Series(source, index=latest.index, dtype="str"),
            "priority": SOURCE_PRIORITY[source],
            "ts": pd.Series(latest["ts"].to_numpy(), dtype="datetime64[us]").dt.tz_localize("UTC"),
        }
    )


def meeting_signals(h: Hosted, as_of: pd.Timestamp) -> pd.DataFrame:
    """The signals events give their hosts: `booking` (passive: an invitee booked the link, at
    `created_at`, whatever became of the meeting), `meeting` (a meeting that took place: status
    `active` and started, at its start) and `host_cancel` (canceled by the host, at
    `canceled_at`; every host of the event, as the API names the canceler only by name)."""
    events = h.events
    status = events["status"]
    held = status.eq("active").fillna(False).to_numpy(dtype=bool)[h.event_pos]
    by_host = (status.eq("canceled") & events["canceler_type"].eq("host")).fillna(False)
    by_host = by_host.to_numpy(dtype=bool)[h.event_pos]
    start = naive_us(events["start_time"])[h.event_pos]
    canceled = naive_us(events["canceled_at"])[h.event_pos]
    return pd.concat(
        [
            latest_per_month(h.user, naive_us(events["created_at"])[h.event_pos], "booking", as_of),
            latest_per_month(h.user[held], start[held], "meeting", as_of),
            latest_per_month(h.user[by_host], canceled[by_host], "host_cancel", as_of),
        ],
        ignore_index=True,
    )


def meeting_counts(h: Hosted, as_of: pd.Timestamp) -> pd.DataFrame:
    """Active (non-canceled) hosted events per host that started in the 30 and 90 days up to each
    month-end cutoff (`month_cutoff`, so the last one is `as_of`) that these events can reach.
    An event of unknown status is not known to have been held, so it is not counted."""
    held = h.events["status"].eq("active").fillna(False).to_numpy(dtype=bool)[h.event_pos]
    start = naive_us(h.events["start_time"])[h.event_pos][held]
    user = h.user[held]
    keep = ~np.isnat(start)
    start, codes = start[keep], user.codes[keep]
    parts = [pd.DataFrame({c: pd.Series(dtype=t) for c, t in _MEETING_DTYPES.items()})]
    if not len(start):
        return parts[0]
    order = np.argsort(start, kind="stable")
    start, codes = start[order], codes[order]
    last_reach = min(pd.Timestamp(start[-1]) + (max(MEETING_WINDOWS) + 1) * DAY, _naive(as_of))
    users = np.asarray(user.categories, dtype=object)
    for month_end in month_ends(pd.Timestamp(start[0]), last_reach):
        cutoff = month_cutoff(month_end, as_of)
        end = np.datetime64(_naive(cutoff).to_datetime64(), "us")
        hi = np.searchsorted(start, end, side="right")
        counts = {}
        for days in MEETING_WINDOWS:
            lo = np.searchsorted(start, end - np.timedelta64(days, "D"), side="right")
            counts[f"meetings_{days}d"] = np.bincount(codes[lo:hi], minlength=len(users))
        hosting = counts[f"meetings_{max(MEETING_WINDOWS)}d"] > 0
        parts.append(
            pd.DataFrame(
                {"cutoff": cutoff, "user_uri": users[hosting]}
                | {k: v[hosting] for k, v in counts.items()}
            )
        )
    return pd.concat(parts, ignore_index=True).astype(_MEETING_DTYPES)


_MEETING_DTYPES = {"cutoff": "datetime64[us, UTC]", "user_uri": "str"} | {
    f"meetings_{d}d": "int64" for d in MEETING_WINDOWS
}


def _naive(ts: pd.Timestamp) -> pd.Timestamp:
    return ts.tz_convert("UTC").tz_localize(None)


def reduce_uses(uses: pd.DataFrame, config: UtilizationConfig, as_of: pd.Timestamp) -> pd.DataFrame:
    """`feature_uses` rows up to `as_of` as USE_COLUMNS; `uses_recent` counts those inside the
    adoption window (`config.adoption_days` up to `as_of`)."""
    uses = uses[uses["used_at"] <= as_of]
    window_start = as_of - config.adoption_days * DAY
    out = (
        uses.assign(
            month=month_end_of(uses["used_at"]),
            recent=(uses["used_at"] >= window_start).astype("int64"),
        )
        .groupby(["user_uri", "feature", "month"], observed=True, as_index=False)
        .agg(
            first_used_at=("used_at", "min"),
            last_used_at=("used_at", "max"),
            uses=("used_at", "size"),
            uses_recent=("recent", "sum"),
        )
    )
    return out.astype(_USE_DTYPES)[USE_COLUMNS]


_USE_DTYPES = {
    "user_uri": "str",
    "feature": "str",
    "month": "datetime64[us]",
    "first_used_at": "datetime64[us, UTC]",
    "last_used_at": "datetime64[us, UTC]",
    "uses": "int64",
    "uses_recent": "int64",
}


def _merge_uses(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    both = pd.concat([a, b], ignore_index=True)
    return (
        both.groupby(["user_uri", "feature", "month"], as_index=False, sort=False, observed=True)
        .agg(
            first_used_at=("first_used_at", "min"),
            last_used_at=("last_used_at", "max"),
            uses=("uses", "sum"),
            uses_recent=("uses_recent", "sum"),
        )
        .astype(_USE_DTYPES)[USE_COLUMNS]
    )


def summarize(frames: Frames, config: UtilizationConfig, as_of: pd.Timestamp) -> EventSummary:
    """One chunk reduced: `frames` holds the chunk's events with all their hosts and invitees,
    plus `event_types` (features come from an event's type)."""
    as_of = as_utc_timestamp(as_of)
    h = hosted(frames, SUMMARY_EVENT_COLUMNS)
    outcomes = outcomes_of(frames, h, as_of)
    return EventSummary(
        uses=reduce_uses(hosted_uses(frames, h), config, as_of),
        signals=meeting_signals(h, as_of),
        meetings=meeting_counts(h, as_of),
        type_outcomes=outcome_counts(outcomes, ["event_type"]),
        daily=host_daily_activity(outcomes, h),
    )


def summarize_all(frames: Frames, config: UtilizationConfig, as_of: pd.Timestamp) -> EventSummary:
    """Every event in `frames` as one chunk, plus the uses that come from other tables: what
    the single-table functions use, on inputs small enough to hold at once."""
    as_of = as_utc_timestamp(as_of)
    return with_org_uses(summarize(frames, config, as_of), frames, config, as_of)


def with_org_uses(
    summary: EventSummary, frames: Frames, config: UtilizationConfig, as_of: pd.Timestamp
) -> EventSummary:
    """Add the feature uses no event carries (webhooks, the activity log); once per model."""
    extra = reduce_uses(org_uses(frames), config, as_of)
    return replace(summary, uses=_merge_uses(summary.uses, extra))

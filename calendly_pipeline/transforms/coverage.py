"""Which days of the idle window the synced events cover (docs/tables.md, "Coverage").

A seat without activity is idle only if the events of its idle window were read: absence of
meetings in days never synced is no evidence. A day counts as covered when its events were read
at or after the day's end (or at or after the instant the rules are applied, for that instant's
own day): a day read only in advance, as a forward day, may have gained bookings since.
"""

from __future__ import annotations

import pandas as pd

from calendly_pipeline.transforms._frames import DAY


def idle_window_days(at: pd.Timestamp, idle_days: int) -> pd.DatetimeIndex:
    """The UTC days a signal could lie on and still make a seat active at `at`: those meeting
    (at - (idle_days + 1) days, at], since days_since_active is floored."""
    first = (at - (idle_days + 1) * DAY).tz_convert("UTC").tz_localize(None).normalize()
    last = at.tz_convert("UTC").tz_localize(None).normalize()
    return pd.date_range(first, last, freq="D", unit="us")


def missing_event_days(
    coverage: pd.DataFrame | None, at: pd.Timestamp, idle_days: int
) -> pd.DatetimeIndex:
    """Days of the idle window at `at` whose events were not read (completely) by the sync.
    `coverage` None means the caller holds every event (frames built at once): nothing missing."""
    if coverage is None:
        return pd.DatetimeIndex([], dtype="datetime64[us]")
    naive_at = at.tz_convert("UTC").tz_localize(None)
    day = pd.to_datetime(coverage["day"]).astype("datetime64[us]")
    read_at = pd.to_datetime(coverage["synced_at"], utc=True).dt.tz_localize(None)
    complete = read_at >= (day + DAY).clip(upper=naive_at)
    return idle_window_days(at, idle_days).difference(pd.DatetimeIndex(day[complete]))


def describe_days(days: pd.DatetimeIndex, limit: int = 5) -> str:
    """`2026-04-01..2026-04-30, 2026-05-07` for the first `limit` runs of consecutive days."""
    if days.empty:
        return "none"
    ordered = days.sort_values()
    breaks = ordered.to_series().diff().ne(DAY).cumsum()
    runs = [
        (group.iloc[0], group.iloc[-1]) for _, group in ordered.to_series().groupby(breaks.values)
    ]
    text = [f"{a:%Y-%m-%d}" if a == b else f"{a:%Y-%m-%d}..{b:%Y-%m-%d}" for a, b in runs[:limit]]
    more = f" and {len(runs) - limit} more range(s)" if len(runs) > limit else ""
    return ", ".join(text) + more

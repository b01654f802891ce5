"""Shared input handling for the utilization model: raw frames arrive from DuckDB or from tests,
so every transform validates and normalises them the same way before any rule runs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

Frames = Mapping[str, pd.DataFrame]
DAY = pd.Timedelta(days=1)


def require(frames: Frames, table: str, columns: Iterable[str]) -> pd.DataFrame:
    """The raw table, or a ValueError naming the missing table or columns (never a KeyError deep
    inside a merge)."""
    if table not in frames:
        raise ValueError(f"raw table {table!r} is missing from the input frames")
    df = frames[table]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"raw table {table!r} lacks column(s) {missing}")
    return df


def utc(values: pd.Series) -> pd.Series:
    """Timestamps as datetime64[us, UTC], whatever form the caller used (ISO, naive, aware)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        out = values.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        out = values.dt.tz_localize("UTC")
    else:
        out = pd.to_datetime(values, utc=True, format="ISO8601")
    return out.astype("datetime64[us, UTC]")


def as_utc_timestamp(as_of: pd.Timestamp | str) -> pd.Timestamp:
    """`as_of` must be an aware instant: a naive one would silently shift every day count."""
    ts = pd.Timestamp(as_of)
    if ts.tzinfo is None:
        raise ValueError(f"as_of must be timezone-aware (got naive {ts}); pass e.g. tz='UTC'")
    return ts.tz_convert("UTC")


def dates(values: pd.Series) -> pd.Series:
    """DATE columns as naive midnight datetime64[us], the form DuckDB reads DATE back in."""
    out = pd.to_datetime(values)
    if isinstance(out.dtype, pd.DatetimeTZDtype):
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    return out.dt.normalize().astype("datetime64[us]")


def is_true(values: pd.Series) -> pd.Series:
    """Nullable booleans with null read as false."""
    return values.eq(True).fillna(False).astype(bool)


def live(df: pd.DataFrame) -> pd.DataFrame:
    """Rows the API still serves: `deleted_at` marks rows gone from a re-read window."""
    return df[df["deleted_at"].isna()]


def whole_days(delta: pd.Series) -> pd.Series:
    """floor(delta / 1 day) as nullable integers (architecture §4)."""
    return np.floor(delta / DAY).astype("Int64")


def month_ends(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """Calendar month ends (naive dates) from `start`'s month to `end`'s month inclusive."""
    first = pd.Timestamp(start.year, start.month, 1)
    last = pd.Timestamp(end.year, end.month, 1)
    return pd.date_range(first, last, freq="MS").to_period("M").to_timestamp(how="end").normalize()


def month_cutoff(month_end: pd.Timestamp, as_of: pd.Timestamp) -> pd.Timestamp:
    """The instant a month end stands for: its day's last microsecond, or `as_of` if sooner."""
    end_of_day = pd.Timestamp(month_end, tz="UTC") + DAY - pd.Timedelta(microseconds=1)
    return min(end_of_day, as_of)


def month_end_of(values: pd.Series) -> pd.Series:
    """The calendar month end (naive date) of each UTC timestamp."""
    months = naive_us(values).astype("datetime64[M]")
    ends = (months + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
    return pd.Series(ends.astype("datetime64[us]"), index=values.index)


def naive_us(values: pd.Series) -> np.ndarray:
    """UTC timestamps as a naive datetime64[us] numpy array, for fast vectorised arithmetic."""
    return utc(values).dt.tz_localize(None).to_numpy()


@dataclass(frozen=True)
class Hosted:
    """Live events and their (event, host) pairs by position: the base of activity signals,
    feature attribution and daily activity, built once without string merges."""

    events: pd.DataFrame  # live events, positional index 0..n-1
    event_pos: np.ndarray  # per host pair: position in `events`
    user: pd.Categorical  # per host pair: the host's user URI


def hosted(frames: Frames, event_columns: Iterable[str]) -> Hosted:
    columns = list(dict.fromkeys(["uri", "deleted_at", *event_columns]))
    events = live(require(frames, "scheduled_events", columns)).reset_index(drop=True)
    hosts = require(frames, "event_hosts", ["event_uri", "user_uri"])
    hosts = hosts[hosts["event_uri"].notna() & hosts["user_uri"].notna()]
    pos = pd.Index(events["uri"]).get_indexer(hosts["event_uri"])
    user = pd.Categorical(hosts["user_uri"].to_numpy())
    # hosts of deleted or unknown events credit nobody; a repeated pair counts once
    key = np.where(pos >= 0, pos.astype(np.int64) * (len(user.categories) + 1) + user.codes, -1)
    _, first = np.unique(key, return_index=True)
    keep = np.sort(first[key[first] >= 0])
    return Hosted(events, pos[keep], user[keep])

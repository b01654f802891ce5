"""Everything the dashboard shows, read from DuckDB in one short read-only connection.

The page is often rendered while a sync may start at any moment, so the connection is opened
read-only, every table is copied into pandas, and the file is released before any plotting starts.
Small tables are read whole through DuckDB's relational API; daily activity, which grows with
history, comes summed per day from `storage.reads`. The dashboard writes no SQL of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from calendly_pipeline.storage import coverage, identity, reads

TABLES = {
    "seats": "analytics.seat_utilization",
    "feature_adoption": "analytics.feature_adoption",
    "org_feature_adoption": "analytics.org_feature_adoption",
    "daily_activity": "analytics.daily_activity",
    "event_type_usage": "analytics.event_type_usage",
    "seat_history": "analytics.seat_history",
    "plan_options": "analytics.plan_options",
    "sync_info": "meta.sync_info",
}


class DashboardError(RuntimeError):
    """The database cannot feed the dashboard; the message names the file and what is missing."""


@dataclass(frozen=True)
class DashboardData:
    """The tables behind the page, plus the one-row sync description as a plain dict."""

    seats: pd.DataFrame
    feature_adoption: pd.DataFrame
    org_feature_adoption: pd.DataFrame
    daily_activity: pd.DataFrame  # summed over hosts: a row per day (`reads.daily_totals`)
    event_type_usage: pd.DataFrame
    seat_history: pd.DataFrame
    plan_options: pd.DataFrame
    sync_info: dict[str, Any]
    # `meta.connection_status` (None before a run recorded it): the connection card.
    connection: dict[str, Any] | None = None
    # `meta.event_coverage`: the days of events synced (empty before the first events run).
    event_coverage: pd.DataFrame = field(default_factory=lambda: _no_coverage())

    @property
    def as_of(self) -> datetime | None:
        """The API's clock at sync time: the 'today' every figure is relative to."""
        if "as_of" in self.seats and self.seats["as_of"].notna().any():
            return self.seats["as_of"].max().to_pydatetime()
        synced = self.sync_info.get("synced_at")
        return pd.Timestamp(synced).to_pydatetime() if synced is not None else None


def _no_coverage() -> pd.DataFrame:
    return pd.DataFrame({"day": [], "synced_at": []}).astype(
        {"day": "datetime64[us]", "synced_at": "datetime64[us, UTC]"}
    )


def _to_utc(df: pd.DataFrame) -> pd.DataFrame:
    """DuckDB hands TIMESTAMPTZ back in the session time zone; the project speaks UTC only."""
    tz_cols = [c for c in df.columns if isinstance(df[c].dtype, pd.DatetimeTZDtype)]
    return df.assign(**{c: df[c].dt.tz_convert("UTC") for c in tz_cols}) if tz_cols else df


def load(database: str) -> DashboardData:
    """Copy the dashboard's tables out of `database` (a path or an `md:` URI), read-only."""
    if not database.startswith("md:") and not Path(database).is_file():
        raise DashboardError(
            f"DuckDB file {database!r} does not exist; run `calendly-pipeline sync` first"
        )
    frames: dict[str, pd.DataFrame] = {}
    try:
        con = duckdb.connect(database, read_only=True)
    except duckdb.IOException as exc:
        raise DashboardError(
            f"cannot open DuckDB file {database!r} read-only, most likely because a sync is "
            f"writing to it; render the dashboard after the sync finishes ({exc})"
        ) from None
    with con:
        for key, table in TABLES.items():
            try:
                frames[key] = (
                    reads.daily_totals(con)
                    if key == "daily_activity"
                    else _to_utc(con.table(table).df())
                )
            except duckdb.CatalogException:
                raise DashboardError(
                    f"DuckDB file {database!r} has no table {table}; "
                    "run `calendly-pipeline sync` to build the analytics tables first"
                ) from None
        try:
            connection = identity.read_status(con)
        except duckdb.CatalogException:  # written before connection states were recorded
            connection = None
        try:
            covered = coverage.event_coverage(con)
        except duckdb.CatalogException:  # written before coverage was recorded: none known
            covered = _no_coverage()
    info = frames.pop("sync_info")
    if info.empty:
        raise DashboardError(f"meta.sync_info in {database!r} is empty: no sync has finished yet")
    sync_info = {k: (None if pd.isna(v) else v) for k, v in info.iloc[-1].items()}
    return DashboardData(
        **frames, sync_info=sync_info, connection=connection, event_coverage=covered
    )

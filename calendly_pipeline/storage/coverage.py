"""Which days of scheduled events the warehouse holds, and when each was last read.

A seat with no meeting in the idle window is idle only if the events of that window were synced:
a warehouse synced for March only knows nothing about June. The events step records every UTC
day it read (`record_event_days`); the utilization model reads them back (`event_coverage`) and
calls a seat `unknown` rather than `idle` when its window is not covered (docs/tables.md).
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from calendly_pipeline.storage.naming import table_ref
from calendly_pipeline.storage.raw_tables import EVENT_COVERAGE


def record_event_days(
    conn: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    synced_at: datetime,
) -> None:
    """Mark the UTC days of [start, end) as read at `synced_at` (call inside the transaction
    that wrote those days' events, so the record never claims what was not committed)."""
    conn.execute(
        f"""
        INSERT OR REPLACE INTO {table_ref(EVENT_COVERAGE)} BY NAME
        SELECT CAST(d AS DATE) AS day, CAST($at AS TIMESTAMPTZ) AS synced_at
        FROM range(CAST($start AS TIMESTAMP), CAST($end AS TIMESTAMP), INTERVAL 1 DAY) t(d)
        """,
        {
            "start": pd.Timestamp(start).tz_convert("UTC").tz_localize(None).to_pydatetime(),
            "end": pd.Timestamp(end).tz_convert("UTC").tz_localize(None).to_pydatetime(),
            "at": synced_at,
        },
    )


def event_coverage(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every covered day: `day` (datetime64[us], midnight) and `synced_at` (UTC)."""
    conn.execute("SET TimeZone = 'UTC'")
    frame = conn.execute(
        f"SELECT day, synced_at FROM {table_ref(EVENT_COVERAGE)} ORDER BY day"
    ).df()
    return frame.astype({"day": "datetime64[us]", "synced_at": "datetime64[us, UTC]"})

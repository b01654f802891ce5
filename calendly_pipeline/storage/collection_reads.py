"""When a collection read on a cadence (not on every run) was last read in full.

Per-parent lists cost one request per parent. User-scope webhook subscriptions cost one request
per seat and change rarely, so they are read every `user_webhooks_every_days` days instead of on
every run; this table remembers when they last were, so the cadence survives across runs.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from calendly_pipeline.storage.naming import run, table_ref
from calendly_pipeline.storage.raw_tables import COLLECTION_READS


def last_read(conn: duckdb.DuckDBPyConnection, part: str) -> datetime | None:
    """When `part` was last read in full, or None if never."""
    rows = run(
        conn,
        f"SELECT read_at FROM {table_ref(COLLECTION_READS)} WHERE part = ?",
        [part],
    )
    return rows[0][0] if rows else None


def record_read(conn: duckdb.DuckDBPyConnection, part: str, at: datetime) -> None:
    """Remember that `part` was read in full at `at` (inside the caller's transaction)."""
    run(
        conn,
        f"INSERT OR REPLACE INTO {table_ref(COLLECTION_READS)} VALUES (?, ?)",
        [part, at],
    )

"""The quarantine `meta.rejected_records`: API records that could not be loaded, kept as served.

One malformed record must not block its table (or the run): `transforms.flatten` sets it aside
with a reason, the asset loads the rest and records the rejects here, and an asset check reports
them. Nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from calendly_pipeline import safe_text
from calendly_pipeline.schema.rejected import Rejected
from calendly_pipeline.storage.naming import run, table_ref
from calendly_pipeline.storage.raw_tables import REJECTED_RECORDS
from calendly_pipeline.storage.writes import registered, transaction

EXAMPLES = 5


def record(
    conn: duckdb.DuckDBPyConnection,
    rejects: Sequence[Rejected],
    *,
    at: datetime | None,
    asset: str,
    partition: str = "",
    run_id: str = "",
    replace: Iterable[str] = (),
    loaded: dict[str, Iterable[str]] | None = None,
) -> int:
    """Store `rejects` (a record rejected again is one row, updated). Returns rows written.

    `replace` names tables re-read in full: their earlier rejects go first, so the quarantine
    holds what the latest read refused. `loaded` maps windowed tables to the keys that did load:
    a reject with one of those keys has since been served well and leaves the quarantine.
    """
    target = table_ref(REJECTED_RECORDS)
    frame = pd.DataFrame(
        {
            "table_name": [r.table for r in rejects],
            "record_id": [r.record_id for r in rejects],
            "record_key": [r.key for r in rejects],
            "reason": [r.reason for r in rejects],
            "record": [r.record_json for r in rejects],
        },
        dtype="str",
    )
    with transaction(conn):
        tables = sorted(set(replace))
        if tables:
            run(conn, f"DELETE FROM {target} WHERE list_contains(?, table_name)", [tables])
        for table, keys in (loaded or {}).items():
            run(
                conn,
                f"DELETE FROM {target} WHERE table_name = ? AND list_contains(?, record_key)",
                [table, [k for k in keys if isinstance(k, str)]],
            )
        if not rejects:
            return 0
        with registered(conn, frame) as batch:
            run(
                conn,
                f"INSERT OR REPLACE INTO {target} BY NAME "
                "SELECT table_name, record_id, record_key, reason, CAST(record AS JSON) AS record, "
                "? AS asset, ? AS partition, ? AS run_id, CAST(? AS TIMESTAMPTZ) AS rejected_at "
                f"FROM {batch} QUALIFY row_number() OVER "
                "(PARTITION BY table_name, record_id) = 1",
                [asset, partition, run_id, at],
            )
    return len(frame.drop_duplicates(["table_name", "record_id"]))


def describe(table: str, key: str | None, reason: str) -> str:
    """One line naming a reject for a log or a check: the key is server text, so it is made
    printable and capped; the reason is ours (it never quotes a value)."""
    return f"{table} {safe_text.plain(key or 'no key', 120)}: {reason}"


@dataclass(frozen=True)
class Summary:
    """Rejected records in the quarantine, and the first few as (table, key, reason)."""

    count: int
    examples: list[tuple[str, str | None, str]]


def summary(
    conn: duckdb.DuckDBPyConnection,
    tables: Iterable[str] | None = None,
    *,
    limit: int = EXAMPLES,
) -> Summary:
    """Count and examples, optionally for some tables only (oldest first, then by table)."""
    target = table_ref(REJECTED_RECORDS)
    names = None if tables is None else sorted(set(tables))
    where = "WHERE ? IS NULL OR list_contains(?, table_name)"
    (count,) = run(conn, f"SELECT count(*) FROM {target} {where}", [names, names])[0]
    rows = run(
        conn,
        f"SELECT table_name, record_key, reason FROM {target} {where} "
        "ORDER BY rejected_at, table_name, record_key NULLS LAST LIMIT ?",
        [names, names, limit],
    )
    return Summary(count, [(t, k, r) for t, k, r in rows])

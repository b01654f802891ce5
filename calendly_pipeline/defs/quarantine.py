"""Where an asset puts the records it could not load: `meta.rejected_records`, one warning line
per table, and a count in the materialization's metadata, so a bad record is visible in three
places and never blocks the rest of its table."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import dagster as dg
import duckdb

from calendly_pipeline.storage import rejected
from calendly_pipeline.storage.spec import TableSpec
from calendly_pipeline.transforms.flatten import Rejects


def _partition(context: dg.AssetExecutionContext) -> str:
    if not context.has_partition_key_range:
        return ""
    keys = context.partition_key_range
    return keys.start if keys.start == keys.end else f"{keys.start}..{keys.end}"


def quarantine(
    conn: duckdb.DuckDBPyConnection,
    context: dg.AssetExecutionContext,
    rejects: Rejects,
    specs: Iterable[TableSpec],
    *,
    at: datetime | None,
    full_refresh: bool,
    loaded: dict[str, Iterable[str]] | None = None,
) -> dict[str, int]:
    """Store `rejects` (call inside the transaction that writes the tables) and warn once per
    table. `full_refresh`: the tables were re-read whole, so their earlier rejects are replaced;
    otherwise `loaded` (table name -> keys that loaded) clears rejects served well since.
    Returns the rejects per table name, reported as each table's `rejected_records` metadata."""
    specs = list(specs)
    rejected.record(
        conn,
        rejects.records,
        at=at,
        asset=context.op_def.name,
        partition=_partition(context),
        run_id=context.run_id,
        replace=[s.qualified_name for s in specs] if full_refresh else (),
        loaded=loaded,
    )
    counts = {s.qualified_name: 0 for s in specs}
    for r in rejects.records:
        counts[r.table] += 1
    for table, n in counts.items():
        if n:
            first = next(r for r in rejects.records if r.table == table)
            context.log.warning(
                f"{n} record(s) could not be loaded and are kept in meta.rejected_records; "
                f"first: {rejected.describe(first.table, first.key, first.reason)}"
            )
    return counts

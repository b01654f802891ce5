"""Integrity queries behind the raw tables' asset checks, answered inside DuckDB.

A key or orphan check over a year of events would otherwise copy millions of URIs into pandas
on every daily sync; these return counts and a few examples instead, whatever the history.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from calendly_pipeline.storage.naming import ident, table_ref
from calendly_pipeline.storage.raw_tables import INVITEES, SCHEDULED_EVENTS
from calendly_pipeline.storage.spec import TableSpec

EXAMPLES = 10


@dataclass(frozen=True)
class KeyReport:
    """Rows of a table, and those whose primary key is null or shared (with a few keys)."""

    rows: int
    null_keys: int
    shared: int
    examples: list[str]


def key_report(
    conn: duckdb.DuckDBPyConnection, spec: TableSpec, *, catalog: str | None = None
) -> KeyReport:
    keys = ", ".join(ident(k) for k in spec.primary_key)
    label = f"row({keys})" if len(spec.primary_key) > 1 else keys  # as check_unique_keys names
    any_null = " OR ".join(f"{ident(k)} IS NULL" for k in spec.primary_key)
    target = table_ref(spec, catalog)
    rows, null_keys = conn.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {any_null}) FROM {target}"
    ).fetchone()
    shared = conn.execute(
        f"SELECT sum(n), list(k ORDER BY k)[1:{EXAMPLES}] FROM ("
        f"SELECT CAST({label} AS VARCHAR) AS k, count(*) AS n FROM {target} "
        f"WHERE NOT ({any_null}) GROUP BY {keys} HAVING count(*) > 1)"
    ).fetchone()
    return KeyReport(rows, null_keys, int(shared[0] or 0), list(shared[1] or []))


@dataclass(frozen=True)
class OrphanReport:
    """Live invitees, and those whose event is missing or deleted (with a few of them)."""

    live: int
    orphans: int
    examples: list[str]


def orphan_invitees(conn: duckdb.DuckDBPyConnection, *, catalog: str | None = None) -> OrphanReport:
    invitees, events = table_ref(INVITEES, catalog), table_ref(SCHEDULED_EVENTS, catalog)
    live, orphans, examples = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE e.uri IS NULL), "
        "list(i.uri || ' (event ' || coalesce(i.event_uri, 'none') || ')' ORDER BY i.uri) "
        f"FILTER (WHERE e.uri IS NULL)[1:{EXAMPLES}] "
        f"FROM {invitees} AS i LEFT JOIN {events} AS e "
        "ON e.uri = i.event_uri AND e.deleted_at IS NULL WHERE i.deleted_at IS NULL"
    ).fetchone()
    return OrphanReport(live, orphans, list(examples or []))

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
    """Rows of a table, and those that share their key with another row (with a few keys).

    Only uniqueness: DuckDB holds no PRIMARY KEY for the raw tables (`spec.key_enforced`) but
    still refuses a NULL in a key column, so counting those would test nothing.
    """

    rows: int
    shared: int
    examples: list[str]


def key_report(conn: duckdb.DuckDBPyConnection, spec: TableSpec) -> KeyReport:
    """Grouped by the key's 64-bit hash first, then by the key only where a hash repeats:
    grouping a year of URIs as strings would hold them all at once (~170 MiB per million)."""
    keys = ", ".join(ident(k) for k in spec.primary_key)
    label = f"row({keys})" if len(spec.primary_key) > 1 else keys
    target = table_ref(spec)
    rows, shared, examples = conn.execute(
        f"WITH repeated AS (SELECT hash({keys}) AS h FROM {target} GROUP BY h "
        "HAVING count(*) > 1), "
        f"shared AS (SELECT CAST({label} AS VARCHAR) AS k, count(*) AS n FROM {target} "
        f"WHERE hash({keys}) IN (SELECT h FROM repeated) GROUP BY {keys} HAVING count(*) > 1) "
        f"SELECT (SELECT count(*) FROM {target}), sum(n), list(k ORDER BY k)[1:{EXAMPLES}] "
        "FROM shared"
    ).fetchone()
    return KeyReport(rows, int(shared or 0), list(examples or []))


@dataclass(frozen=True)
class OrphanReport:
    """Live invitees, and those whose event is missing or deleted (with a few of them)."""

    live: int
    orphans: int
    examples: list[str]


def orphan_invitees(conn: duckdb.DuckDBPyConnection) -> OrphanReport:
    invitees, events = table_ref(INVITEES), table_ref(SCHEDULED_EVENTS)
    live, orphans, examples = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE e.uri IS NULL), "
        "list(i.uri || ' (event ' || coalesce(i.event_uri, 'none') || ')' ORDER BY i.uri) "
        f"FILTER (WHERE e.uri IS NULL)[1:{EXAMPLES}] "
        f"FROM {invitees} AS i LEFT JOIN {events} AS e "
        "ON e.uri = i.event_uri AND e.deleted_at IS NULL WHERE i.deleted_at IS NULL"
    ).fetchone()
    return OrphanReport(live, orphans, list(examples or []))

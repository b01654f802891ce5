"""What the pipeline, the utilization model and the dashboard read back, in UTC."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd

from calendly_pipeline.storage.migrations import analytics_tables
from calendly_pipeline.storage.naming import ident, table_ref
from calendly_pipeline.storage.raw_tables import (
    EVENT_HOSTS,
    EVENT_TYPES,
    INVITEES,
    META_TABLES,
    ORGANIZATION_MEMBERSHIPS,
    RAW_TABLES,
    SCHEDULED_EVENTS,
    SYNC_INFO,
)
from calendly_pipeline.storage.spec import TableSpec, pandas_dtypes


def all_tables() -> tuple[TableSpec, ...]:
    return RAW_TABLES + META_TABLES + analytics_tables()


def find_spec(name: str) -> TableSpec:
    """A table by `name` or `schema.name`; a typo gets the list of known tables."""
    specs = all_tables()
    for spec in specs:
        if name in (spec.name, spec.qualified_name):
            return spec
    known = ", ".join(s.qualified_name for s in specs)
    raise KeyError(f"unknown table {name!r}; known tables: {known}")


def _utc(conn: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """DuckDB returns TIMESTAMPTZ in the session time zone; the project speaks UTC only."""
    conn.execute("SET TimeZone = 'UTC'")
    return conn


def read_table(
    conn: duckdb.DuckDBPyConnection,
    table: TableSpec | str,
    where: str | None = None,
    params: list[Any] | dict[str, Any] | None = None,
    *,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """A whole table (or the rows matching the SQL condition `where`), in the same dtypes as
    the frames `transforms.flatten` builds. `columns` reads only those: a million events with
    every column of their invitees do not fit the memory budget of a sync."""
    spec = find_spec(table) if isinstance(table, str) else table
    dtypes = pandas_dtypes(spec)
    if columns is not None:
        unknown = [c for c in columns if c not in dtypes]
        if unknown:
            raise KeyError(f"{spec.qualified_name} has no column(s) {unknown}")
        dtypes = {c: dtypes[c] for c in dict.fromkeys(columns)}
    select = "*" if columns is None else ", ".join(f'"{c}"' for c in dtypes)
    sql = f"SELECT {select} FROM {table_ref(spec)}"
    if where:
        sql += f" WHERE {where}"
    return _utc(conn).execute(sql, params).df().astype(dtypes)


def raw_frames(
    conn: duckdb.DuckDBPyConnection,
    *,
    columns: Mapping[str, Sequence[str]] | None = None,
    tables: Iterable[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """The raw tables named in `tables` (default: all), keyed by table name
    (`"scheduled_events"`), for the utilization model; `columns` limits the tables it names to
    those columns."""
    only = columns or {}
    wanted = None if tables is None else set(tables)
    return {
        spec.name: read_table(conn, spec, columns=only.get(spec.name))
        for spec in RAW_TABLES
        if wanted is None or spec.name in wanted
    }


EVENT_TABLES = (SCHEDULED_EVENTS, EVENT_HOSTS, INVITEES)


def event_chunks(
    conn: duckdb.DuckDBPyConnection,
    columns: Mapping[str, Sequence[str]],
) -> Iterator[dict[str, pd.DataFrame]]:
    """The events a third of a calendar month (UTC) of `start_time` at a time (days 1-10, 11-20,
    then 21 to the end), each with all its hosts and invitees, keyed like `raw_frames`: the
    model's memory then follows ten days of events, not the history (a month of a 2,000-seat
    organization's events and invitees is ~100 MiB as pandas frames). In order, so a month's
    thirds come one after the other. `columns` picks the columns per table. No events at all is
    one empty chunk."""
    events = table_ref(SCHEDULED_EVENTS)
    third = (
        "date_trunc('month', start_time) + "
        "to_days(CAST(least((day(start_time) - 1) // 10, 2) * 10 AS INTEGER))"
    )
    thirds = [
        row[0]
        for row in _utc(conn)
        .execute(f"SELECT DISTINCT {third} AS t FROM {events} ORDER BY t NULLS LAST")
        .fetchall()
    ]
    in_third = f"{third} IS NOT DISTINCT FROM ?"
    of_events = f"event_uri IN (SELECT uri FROM {events} WHERE {in_third})"
    for start in thirds or [None]:
        yield {
            spec.name: read_table(
                conn,
                spec,
                in_third if spec is SCHEDULED_EVENTS else of_events,
                [start],
                columns=columns.get(spec.name),
            )
            for spec in EVENT_TABLES
        }


def event_versions(
    conn: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
) -> dict[str, datetime]:
    """`updated_at` of each live stored event starting in [start, end): an event whose version
    changed (or is missing here) needs its invitees re-read."""
    rows = (
        _utc(conn)
        .execute(
            f"SELECT uri, updated_at FROM {table_ref(SCHEDULED_EVENTS)} "
            "WHERE start_time >= ? AND start_time < ? AND deleted_at IS NULL",
            [start, end],
        )
        .fetchall()
    )
    return dict(rows)


def unknown_values(
    conn: duckdb.DuckDBPyConnection,
    known: Mapping[tuple[str, str], Sequence[str]],
) -> list[dict[str, Any]]:
    """Values of raw enum columns outside `known` ((table, column) -> listed values), counted
    in SQL: `[{"table", "column", "value", "rows"}]`, most rows first. NULLs are not counted."""
    out: list[dict[str, Any]] = []
    for (table, column), values in known.items():
        spec = find_spec(f"raw.{table}")
        col = ident(column)
        rows = conn.execute(
            f"SELECT {col}, count(*) FROM {table_ref(spec)} "
            f"WHERE {col} IS NOT NULL AND NOT list_contains(?, {col}) GROUP BY 1",
            [list(values)],
        ).fetchall()
        out += [{"table": table, "column": column, "value": v, "rows": n} for v, n in rows]
    return sorted(out, key=lambda r: (-r["rows"], r["table"], r["column"], str(r["value"])))


def unlisted_event_types(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Event types stored events point at that `raw.event_types` lacks (deleted or shared
    types the list does not serve), most-booked first: to be read one by one."""
    rows = conn.execute(
        f"SELECT event_type FROM {table_ref(SCHEDULED_EVENTS)} "
        "WHERE event_type IS NOT NULL AND event_type NOT IN "
        f"(SELECT uri FROM {table_ref(EVENT_TYPES)}) "
        "GROUP BY event_type ORDER BY count(*) DESC, event_type"
    ).fetchall()
    return [r[0] for r in rows]


def member_user_uris(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Users holding a seat today, in a stable order."""
    rows = conn.execute(
        f"SELECT DISTINCT user_uri FROM {table_ref(ORGANIZATION_MEMBERSHIPS)} "
        "WHERE user_uri IS NOT NULL ORDER BY user_uri"
    ).fetchall()
    return [r[0] for r in rows]


def distinct_values(conn: duckdb.DuckDBPyConnection, spec: TableSpec, column: str) -> list[str]:
    """The values `column` of `spec` holds (NULL aside), in a stable order: e.g. the parents
    whose children are stored."""
    col = ident(column)
    rows = conn.execute(
        f"SELECT DISTINCT {col} FROM {table_ref(spec)} WHERE {col} IS NOT NULL ORDER BY {col}"
    ).fetchall()
    return [r[0] for r in rows]


def offboarded_since_previous_snapshot(
    conn: duckdb.DuckDBPyConnection, day: date
) -> list[dict[str, str]]:
    """Members in the latest snapshot before `day` who are missing from `day`'s snapshot."""
    rows = conn.execute(
        """
        WITH previous AS (
            SELECT max(snapshot_date) AS d FROM raw.membership_snapshots WHERE snapshot_date < $day
        )
        SELECT p.user_uri, p.user_email, p.user_name
        FROM raw.membership_snapshots AS p, previous
        WHERE p.snapshot_date = previous.d
          AND p.membership_uri NOT IN (
              SELECT membership_uri FROM raw.membership_snapshots WHERE snapshot_date = $day)
        ORDER BY p.user_email
        """,
        {"day": day},
    ).fetchall()
    return [{"user_uri": u, "email": e, "name": n} for u, e, n in rows]


def read_sync_info(conn: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The one `meta.sync_info` row as a dict, or None before the first sync finished."""
    cursor = _utc(conn).execute(f"SELECT * FROM {table_ref(SYNC_INFO)} LIMIT 1")
    rows = cursor.fetchall()
    if not rows:
        return None
    return dict(zip([d[0] for d in cursor.description], rows[0], strict=True))


def row_count(conn: duckdb.DuckDBPyConnection, spec: TableSpec) -> int:
    """Rows in one table: the `dagster/row_count` a table asset reports."""
    return conn.execute(f"SELECT count(*) FROM {table_ref(spec)}").fetchall()[0][0]


def rows_between(
    conn: duckdb.DuckDBPyConnection, spec: TableSpec, column: str, start: datetime, end: datetime
) -> int:
    """Rows whose `column` falls in [start, end): what a partitioned run's window holds."""
    col = ident(column)
    sql = f"SELECT count(*) FROM {table_ref(spec)} WHERE {col} >= ? AND {col} < ?"
    return conn.execute(sql, [start, end]).fetchall()[0][0]


def daily_totals(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """`analytics.daily_activity` summed over hosts: a row per day rather than per host-day,
    so an organization-wide chart reads days, not the whole history of every member."""
    spec = find_spec("analytics.daily_activity")
    counts = [c.name for c in spec.columns if c.type == "BIGINT"]
    sums = ", ".join(f"CAST(sum({ident(c)}) AS BIGINT) AS {ident(c)}" for c in counts)
    return (
        conn.execute(
            f"SELECT activity_date, {sums} FROM {table_ref(spec)} "
            "GROUP BY activity_date ORDER BY activity_date"
        )
        .df()
        .astype({"activity_date": "datetime64[us]"})
    )

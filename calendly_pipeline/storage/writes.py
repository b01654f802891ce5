"""Transactional, idempotent writes: every logical write commits whole or not at all.

Frames are inserted by column name (`INSERT ... BY NAME`): a column the frame lacks becomes NULL,
a column the table lacks is refused with an error naming it. Every function opens its own
transaction, or joins the caller's `transaction(conn)`, so a partition's events, hosts,
invitees and answers can commit together.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from itertools import count
from typing import Any

import duckdb
import pandas as pd

from calendly_pipeline.storage.naming import ident, run, table_ref
from calendly_pipeline.storage.raw_tables import (
    EVENT_TYPES,
    INVITEE_QUESTIONS_AND_ANSWERS,
    INVITEE_SYNC,
    INVITEES,
    MEMBERSHIP_SNAPSHOTS,
    ORGANIZATION_MEMBERSHIPS,
    SCHEDULED_EVENTS,
    SYNC_INFO,
)
from calendly_pipeline.storage.spec import TableSpec, key_enforced


class FrameMismatchError(ValueError):
    """A frame does not fit the table it is written to; the message names the columns."""


# Connections inside a `transaction` block. DuckDB has no "am I in a transaction?" query, and a
# nested BEGIN would abort the open transaction, so nesting is tracked here.
_in_transaction: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN ... COMMIT, ROLLBACK on any error; inside an open `transaction`, join it instead.

    Joining lets the write functions below be combined freely: only the outermost block
    commits, so a partition's events, hosts and invitees land together or not at all.
    """
    if conn in _in_transaction:
        yield conn
        return
    run(conn, "BEGIN TRANSACTION")
    _in_transaction.add(conn)
    try:
        yield conn
    except BaseException:
        _in_transaction.discard(conn)
        _rollback(conn)
        raise
    _in_transaction.discard(conn)
    try:
        run(conn, "COMMIT")
    except BaseException:
        _rollback(conn)
        raise


def _rollback(conn: duckdb.DuckDBPyConnection) -> None:
    # The failed statement may already have aborted the transaction; the first error matters.
    with suppress(duckdb.Error):
        run(conn, "ROLLBACK")


_names = count()


@contextmanager
def registered(conn: duckdb.DuckDBPyConnection, df: pd.DataFrame) -> Iterator[str]:
    """Expose `df` to SQL under a fresh name (returned quoted) for the duration of one write.
    Unregistering in an aborted transaction fails too: that error never hides the first one."""
    name = f"_calendly_frame_{next(_names)}"
    conn.register(name, df)
    try:
        yield ident(name)
    except BaseException:
        # An aborted transaction refuses even this; its ROLLBACK drops the view anyway, and
        # the error worth reporting is the one in flight.
        with suppress(duckdb.Error):
            conn.unregister(name)
        raise
    conn.unregister(name)


def _uri_frame(uris: Iterable[str]) -> pd.DataFrame:
    return pd.DataFrame({"uri": pd.Series(list(uris), dtype="str")})


def check_frame(spec: TableSpec, df: pd.DataFrame, required: Iterable[str] = ()) -> None:
    """Refuse a frame with columns the table lacks, or without the `required` ones."""
    extra = [c for c in df.columns if c not in spec.column_names]
    if extra:
        raise FrameMismatchError(
            f"{spec.qualified_name} has no column(s) {extra}; its columns are {spec.column_names}"
        )
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise FrameMismatchError(f"frame for {spec.qualified_name} lacks column(s) {missing}")


def _replace(
    conn: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    df: pd.DataFrame,
    scope: str | None,
    params: list[Any],
    only_changed: bool = False,
) -> int:
    """Make the rows of `spec` that match the SQL condition `scope`, plus the rows of `df`,
    equal to `df` (`scope=None` deletes nothing: an upsert). Returns rows written.

    `only_changed` (with a `scope`) writes only the rows of `df` that differ from the stored
    rows in scope: rewriting a month of unchanged rows would cost time and transaction memory.

    Rows in scope whose key `df` lacks are deleted; `df` is then written by key. A table whose
    key DuckDB enforces is updated in place (`INSERT OR REPLACE`: deleting and re-inserting a
    key held in an index makes DuckDB's COMMIT several times slower); one without the index
    (`key_enforced`: the raw tables) goes through `_rewrite_changed`, which keeps each key on
    one row and leaves unchanged rows where they are. A key repeated in `df` (a page served
    twice while paging) is written once, keeping its latest `updated_at`. Columns `df` lacks
    are NULL.
    """
    target = table_ref(spec)
    present = set(df.columns)
    select = ", ".join(
        f"CAST({ident(c.name) if c.name in present else 'NULL'} AS {c.type}) AS {ident(c.name)}"
        for c in spec.columns
    )
    with transaction(conn), registered(conn, df) as frame:
        if scope is not None:
            where = f"({scope})"
            if spec.primary_key:
                where += f" AND NOT EXISTS (SELECT 1 FROM {frame} AS f WHERE {_same_key(spec)})"
            run(conn, f"DELETE FROM {target} AS t WHERE {where}", params)
        if df.empty:
            return 0
        if not spec.primary_key:
            return run(conn, f"INSERT INTO {target} BY NAME SELECT {select} FROM {frame}")[0][0]
        keys = ", ".join(ident(k) for k in spec.primary_key)
        latest = "ORDER BY updated_at DESC NULLS LAST" if "updated_at" in present else ""
        rows = (
            f"SELECT {select} FROM {frame} "
            f"QUALIFY row_number() OVER (PARTITION BY {keys} {latest}) = 1"
        )
        changed = only_changed and scope is not None
        if changed:
            stored = ", ".join(ident(c.name) for c in spec.columns)
            rows = f"({rows}) EXCEPT SELECT {stored} FROM {target} WHERE {scope}"
        params = params if changed else []
        if key_enforced(spec):
            return run(conn, f"INSERT OR REPLACE INTO {target} BY NAME {rows}", params)[0][0]
        if not changed:
            return _rewrite_changed(conn, spec, f"({rows})")
        # `rows` holds only the rows that differ from the stored ones already: they replace
        # theirs. No temporary tables: a long transaction (the analytics rebuild, a month at a
        # time) would keep every one of them until it commits.
        run(conn, f"DELETE FROM {target} AS t WHERE EXISTS "
                  f"(SELECT 1 FROM ({rows}) AS f WHERE {_same_key(spec)})", params)  # fmt: skip
        return run(conn, f"INSERT INTO {target} BY NAME {rows}", params)[0][0]


# Columns our sync stamps on every row it writes: a row whose other columns are unchanged gets
# them updated in place rather than being deleted and inserted again.
STAMPS = ("synced_at",)


def _rewrite_changed(conn: duckdb.DuckDBPyConnection, spec: TableSpec, rows: str) -> int:
    """Write `rows` (one per key) into a table whose key DuckDB does not hold: rows that differ
    from the stored row with their key (or are new) are deleted and inserted; the others only
    get their `STAMPS` updated in place. Returns the rows written (`rows`' count).

    A daily sync re-reads weeks of events that mostly have not changed. Deleting and
    re-inserting all of them thinned the table's row groups every day, and DuckDB's checkpoint
    then merged the thinned ones in memory: a peak that grew with the history stored
    (docs/scaling.md, daily memory)."""
    target = table_ref(spec)
    keys = ", ".join(ident(k) for k in spec.primary_key)
    compared = ", ".join(ident(c.name) for c in spec.columns if c.name not in STAMPS)
    stamps = [ident(c.name) for c in spec.columns if c.name in STAMPS]
    new = ident(f"_calendly_new_{next(_names)}")
    changed = ident(f"_calendly_changed_{next(_names)}")
    same_key = _same_key(spec)
    written = run(conn, f"CREATE TEMP TABLE {new} AS {rows}")[0][0]
    try:
        run(
            conn,
            f"CREATE TEMP TABLE {changed} AS SELECT {keys} FROM ("
            f"SELECT {compared} FROM {new} EXCEPT SELECT {compared} FROM {target} AS t "
            f"WHERE EXISTS (SELECT 1 FROM {new} AS f WHERE {same_key}))",
        )
        run(conn, f"DELETE FROM {target} AS t WHERE EXISTS "
                  f"(SELECT 1 FROM {changed} AS f WHERE {same_key})")  # fmt: skip
        run(
            conn,
            f"INSERT INTO {target} BY NAME SELECT * FROM {new} AS t "
            f"WHERE EXISTS (SELECT 1 FROM {changed} AS f WHERE {same_key})",
        )
        if stamps:
            assign = ", ".join(f"{s} = f.{s}" for s in stamps)
            stale = " OR ".join(f"t.{s} IS DISTINCT FROM f.{s}" for s in stamps)
            run(
                conn,
                f"UPDATE {target} AS t SET {assign} FROM {new} AS f "
                f"WHERE {same_key} AND ({stale}) AND NOT EXISTS "
                f"(SELECT 1 FROM {changed} AS c WHERE {_same_key(spec, 'c')})",
            )
        return written
    finally:
        # In an aborted transaction these fail too; its ROLLBACK drops the tables anyway.
        with suppress(duckdb.Error):
            run(conn, f"DROP TABLE IF EXISTS {changed}")
            run(conn, f"DROP TABLE IF EXISTS {new}")


def _same_key(spec: TableSpec, other: str = "f") -> str:
    """SQL: row `other` has the key of row `t`."""
    return " AND ".join(f"{other}.{ident(k)} = t.{ident(k)}" for k in spec.primary_key)


# Rows a full refresh leaves in place, per table: deleted event types. `/event_types` lists live
# types only, so a deleted type that events point at is read once by its URI, with its
# `deleted_at` (REFERENCE.md section 8), and kept rather than read again after every refresh.
KEPT_BY_FULL_REFRESH = {EVENT_TYPES.qualified_name: "deleted_at IS NOT NULL"}


def replace_all(
    conn: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    df: pd.DataFrame,
) -> int:
    """Full refresh: the table holds exactly `df` afterwards, plus the rows
    `KEPT_BY_FULL_REFRESH` names for it. Returns rows written."""
    check_frame(spec, df, spec.primary_key)
    kept = KEPT_BY_FULL_REFRESH.get(spec.qualified_name)
    return _replace(conn, spec, df, "true" if kept is None else f"NOT ({kept})", [])


def replace_window(
    conn: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    df: pd.DataFrame,
    column: str,
    start: datetime | date,
    end: datetime | date,
    *,
    only_changed: bool = False,
) -> int:
    """Replace the rows with `column` in [start, end) by `df`. Returns rows written (with
    `only_changed`, only rows that differ from the stored ones are written).

    Every row of `df` must fall inside the window, otherwise a re-run would not replace it.
    """
    check_frame(spec, df, (*spec.primary_key, column))
    if column not in spec.column_names:
        raise FrameMismatchError(f"{spec.qualified_name} has no window column {column!r}")
    if start >= end:
        raise ValueError(f"empty window: start {start} is not before end {end}")
    col = ident(column)
    with transaction(conn):
        if not df.empty:
            with registered(conn, df) as frame:
                outside = run(
                    conn,
                    f"SELECT count(*) FROM {frame} WHERE NOT ({col} >= ? AND {col} < ?)",
                    [start, end],
                )[0][0]
            if outside:
                raise ValueError(
                    f"{outside} row(s) for {spec.qualified_name} have {column} outside "
                    f"[{start}, {end})"
                )
        scope = f"{col} >= ? AND {col} < ?"
        return _replace(conn, spec, df, scope, [start, end], only_changed)


def replace_month(
    conn: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    df: pd.DataFrame,
    column: str,
) -> date:
    """`replace_window(only_changed=True)` over the calendar month of `df`'s rows (all in one
    month, else it raises), for tables rewritten a month at a time. Returns the month's first
    day, for `keep_months`."""
    start = month_start(df, column)
    end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    replace_window(conn, spec, df, column, start, end, only_changed=True)
    return start


def month_start(df: pd.DataFrame, column: str) -> date:
    """The first day of the calendar month of `df`'s earliest `column`."""
    first = pd.Timestamp(df[column].min())
    return date(first.year, first.month, 1)


def keep_months(
    conn: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    column: str,
    months: Iterable[date],
) -> int:
    """Delete the rows whose `column` lies in a calendar month not in `months` (their first
    days): what a month-by-month `replace_window` leaves of months that have no rows any more.
    Returns rows deleted."""
    if column not in spec.column_names:
        raise FrameMismatchError(f"{spec.qualified_name} has no column {column!r}")
    col = ident(column)
    with transaction(conn):
        return run(
            conn,
            f"DELETE FROM {table_ref(spec)} "
            f"WHERE NOT list_contains(?, CAST(date_trunc('month', {col}) AS DATE))",
            [sorted(set(months))],
        )[0][0]


def upsert(
    conn: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    df: pd.DataFrame,
) -> int:
    """Insert or replace rows by key; other rows stay. Returns rows written."""
    check_frame(spec, df, spec.primary_key)
    if not spec.primary_key:
        raise FrameMismatchError(f"{spec.qualified_name} has no primary key to upsert by")
    if df.empty:
        return 0
    return _replace(conn, spec, df, None, [])


def replace_children(
    conn: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    df: pd.DataFrame,
    parent_column: str,
    parent_uris: Iterable[str],
) -> int:
    """Replace all child rows of the given parents (e.g. hosts of re-read events) by `df`.

    A parent listed with no rows in `df` loses its old children (an answer was removed).
    Parents that appear only in `df` are replaced too, so a re-run never hits a duplicate key.
    """
    check_frame(spec, df, (*spec.primary_key, parent_column))
    parents_frame = _uri_frame([*parent_uris, *df[parent_column].dropna()])
    with transaction(conn), registered(conn, parents_frame) as parents:
        scope = f"{ident(parent_column)} IN (SELECT uri FROM {parents})"
        return _replace(conn, spec, df, scope, [])


def replace_since(
    conn: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    df: pd.DataFrame,
    column: str,
    since: datetime,
    parent_column: str,
    parents: Iterable[str],
) -> int:
    """Write what a newest-first read of each parent's children down to `since` saw: of the
    `parents` read, their rows with `column` at or after `since` are replaced by `df`; every
    row of another parent (deleted, or refused since) goes; older rows stay. Returns rows
    written."""
    check_frame(spec, df, (*spec.primary_key, parent_column))
    if column not in spec.column_names:
        raise FrameMismatchError(f"{spec.qualified_name} has no column {column!r}")
    with transaction(conn), registered(conn, _uri_frame(parents)) as read:
        scope = (
            f"t.{ident(column)} >= ? OR NOT EXISTS "
            f"(SELECT 1 FROM {read} AS p WHERE p.uri = t.{ident(parent_column)})"
        )
        return _replace(conn, spec, df, scope, [since])


@dataclass(frozen=True)
class TimeWindow:
    """A re-read window: rows whose `column` lies in [start, end)."""

    start: datetime
    end: datetime
    column: str = "start_time"


def mark_deleted(
    conn: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    window: TimeWindow,
    seen_uris: Iterable[str],
    at: datetime,
) -> int:
    """After re-reading `window`: rows not served again get `deleted_at = at` (the first time
    only), rows served again get it cleared. Returns the number of rows newly marked.

    Rows are kept, not dropped: a vanished event is a fact the analytics should see. Calendly
    removes scheduled events only on data-compliance requests, so when events are marked, their
    invitees and answers are purged in the same transaction (`purge_invitees`); the caller
    confirms each deletion first (a listing can skip a record). An event served again after
    being marked has its invitees re-read: its `meta.invitee_sync` row is dropped.
    """
    if "deleted_at" not in spec.column_names:
        raise FrameMismatchError(f"{spec.qualified_name} has no deleted_at column")
    target = table_ref(spec)
    col = ident(window.column)
    with transaction(conn):
        with registered(conn, _uri_frame(seen_uris)) as seen:
            marked = [
                uri
                for (uri,) in run(
                    conn,
                    f"UPDATE {target} SET deleted_at = ? WHERE {col} >= ? AND {col} < ? "
                    f"AND deleted_at IS NULL AND uri NOT IN (SELECT uri FROM {seen}) "
                    "RETURNING uri",
                    [at, window.start, window.end],
                )
            ]
            restored = [
                uri
                for (uri,) in run(
                    conn,
                    f"UPDATE {target} SET deleted_at = NULL "
                    f"WHERE deleted_at IS NOT NULL AND uri IN (SELECT uri FROM {seen}) "
                    "RETURNING uri",
                )
            ]
        if spec == SCHEDULED_EVENTS and marked:
            purge_invitees(conn, marked)
        if spec == SCHEDULED_EVENTS and restored:
            _forget_invitee_sync(conn, restored)
    return len(marked)


def _forget_invitee_sync(conn: duckdb.DuckDBPyConnection, event_uris: Iterable[str]) -> None:
    """Drop the invitee bookkeeping of these events, so the next invitee step reads them anew."""
    with registered(conn, _uri_frame(event_uris)) as events:
        run(
            conn,
            f"DELETE FROM {table_ref(INVITEE_SYNC)} WHERE event_uri IN (SELECT uri FROM {events})",
        )


def purge_invitees(conn: duckdb.DuckDBPyConnection, event_uris: Iterable[str]) -> int:
    """Delete the invitees (and their answers) of events Calendly no longer serves, and the
    record of having read them, so an event that is served again gets its invitees back.

    Calendly removes scheduled events only on data-compliance requests, so the people who
    booked them must disappear from our copy too. Returns the invitees deleted.
    """
    invitees = table_ref(INVITEES)
    event_uris = list(event_uris)
    with transaction(conn), registered(conn, _uri_frame(event_uris)) as events:
        run(
            conn,
            f"DELETE FROM {table_ref(INVITEE_QUESTIONS_AND_ANSWERS)} WHERE invitee_uri "
            f"IN (SELECT uri FROM {invitees} WHERE event_uri IN (SELECT uri FROM {events}))",
        )
        (deleted,) = run(
            conn, f"DELETE FROM {invitees} WHERE event_uri IN (SELECT uri FROM {events})"
        )[0]
        _forget_invitee_sync(conn, event_uris)
    return deleted


def snapshot_memberships(
    conn: duckdb.DuckDBPyConnection,
    snapshot_date: date,
    memberships: pd.DataFrame,
) -> int:
    """Record the roster (a `raw.organization_memberships` frame) as seen on `snapshot_date`.

    Re-running the same day replaces that day's snapshot; earlier days are never touched, so
    a member removed upstream stays visible in history.
    """
    check_frame(ORGANIZATION_MEMBERSHIPS, memberships, ("uri",))
    if isinstance(snapshot_date, datetime):
        raise TypeError("snapshot_date must be a date (a UTC day), not a datetime")
    target = table_ref(MEMBERSHIP_SNAPSHOTS)
    present = set(memberships.columns)
    pick = {
        "membership_uri": "uri",
        "user_uri": "user_uri",
        "user_name": "user_name",
        "user_email": "user_email",
        "role": "role",
        "joined_at": "created_at",
        "synced_at": "synced_at",
    }
    select = ", ".join(f"{ident(s)} AS {ident(d)}" for d, s in pick.items() if s in present)
    with transaction(conn):
        run(conn, f"DELETE FROM {target} WHERE snapshot_date = ?", [snapshot_date])
        if memberships.empty:
            return 0
        with registered(conn, memberships) as frame:
            run(
                conn,
                f"INSERT INTO {target} BY NAME SELECT ?::DATE AS snapshot_date, {select} "
                f"FROM {frame}",
                [snapshot_date],
            )
    return len(memberships)


def _insert_values(
    conn: duckdb.DuckDBPyConnection, spec: TableSpec, values: Mapping[str, Any]
) -> None:
    types = {c.name: c.type for c in spec.columns}
    unknown = [k for k in values if k not in types]
    if unknown:
        raise FrameMismatchError(
            f"{spec.qualified_name} has no column(s) {unknown}; its columns are {list(types)}"
        )
    select = ", ".join(f"CAST(? AS {types[k]}) AS {ident(k)}" for k in values)
    run(
        conn,
        f"INSERT INTO {table_ref(spec)} BY NAME SELECT {select}",
        list(values.values()),
    )


def write_sync_info(conn: duckdb.DuckDBPyConnection, **values: Any) -> None:
    """Replace the one-row `meta.sync_info` (columns by keyword; see `SYNC_INFO`)."""
    if "org_uri" not in values:
        raise FrameMismatchError("meta.sync_info needs org_uri")
    with transaction(conn):
        run(conn, f"DELETE FROM {table_ref(SYNC_INFO)}")
        _insert_values(conn, SYNC_INFO, values)

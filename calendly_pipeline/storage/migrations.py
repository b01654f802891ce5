"""Versioned, additive schema migrations, with DDL generated from the TableSpecs.

`raw` and `meta` hold data that cannot be re-read (deleted events, past roster snapshots), so
their schema only grows: version 1 creates the tables from the specs, and any later change is an
`ALTER TABLE ... ADD COLUMN` migration appended to `MIGRATIONS` (see `add_columns`), or a
rebuild that copies every row (`rebuild_tables`, for what DuckDB cannot alter in place). Analytics
tables are rebuilt from raw on every run, so they are simply (re)created to match their specs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from calendly_pipeline.storage.naming import ident, literal, run, table_ref
from calendly_pipeline.storage.raw_tables import (
    COLLECTION_READS,
    CONNECTION_STATUS,
    EVENT_COVERAGE,
    INVITEE_SYNC,
    META_TABLES,
    RAW_TABLES,
    REJECTED_RECORDS,
    SCHEMA_MIGRATIONS,
    SYNC_INFO,
    WAREHOUSE_OWNER,
)
from calendly_pipeline.storage.spec import TableSpec, key_enforced, key_sentence, not_null
from calendly_pipeline.storage.writes import transaction


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: Sequence[str]


def create_table_sql(spec: TableSpec) -> str:
    cols = [
        f"{ident(c.name)} {c.type}{' NOT NULL' if not_null(spec, c) else ''}" for c in spec.columns
    ]
    if key_enforced(spec):
        cols.append(f"PRIMARY KEY ({', '.join(ident(k) for k in spec.primary_key)})")
    body = ",\n  ".join(cols)
    return f"CREATE TABLE IF NOT EXISTS {table_ref(spec)} (\n  {body}\n)"


def create_tables(specs: Iterable[TableSpec]) -> list[str]:
    """Statements creating the schemas and tables of `specs` (IF NOT EXISTS: safe to re-run)."""
    specs = tuple(specs)
    schemas = dict.fromkeys(s.schema for s in specs)
    return [f"CREATE SCHEMA IF NOT EXISTS {ident(s)}" for s in schemas] + [
        create_table_sql(s) for s in specs
    ]


def add_columns(spec: TableSpec, *names: str) -> list[str]:
    """Statements adding columns of `spec` that an older database lacks (for later migrations)."""
    by_name = {c.name: c for c in spec.columns}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise ValueError(f"{spec.qualified_name} declares no column(s) {missing}")
    return [
        f"ALTER TABLE {table_ref(spec)} ADD COLUMN IF NOT EXISTS {ident(n)} {by_name[n].type}"
        for n in names
    ]


def rebuild_tables(specs: Iterable[TableSpec]) -> list[str]:
    """Statements recreating each table of `specs` from its spec, keeping every row.

    For what DuckDB cannot alter in place (dropping a PRIMARY KEY): the old table is renamed,
    the new one created and filled by column name, and the old one dropped, all in the
    migration's transaction. A column the spec has and the old table lacks is NULL.
    """
    out = []
    for spec in specs:
        old = ident(f"{spec.name}__before_rebuild")
        out += [
            f"ALTER TABLE {table_ref(spec)} RENAME TO {old}",
            create_table_sql(spec),
            f"INSERT INTO {table_ref(spec)} BY NAME SELECT * FROM {ident(spec.schema)}.{old}",
            f"DROP TABLE {ident(spec.schema)}.{old}",
        ]
    return out


def drop_tables(schema: str, *names: str) -> list[str]:
    """Statements dropping tables no spec declares any more (IF EXISTS: a fresh warehouse
    never created them, since version 1 creates only what the specs hold today)."""
    return [f"DROP TABLE IF EXISTS {ident(schema)}.{ident(n)}" for n in names]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "create raw and meta tables", create_tables(RAW_TABLES + META_TABLES)),
    Migration(
        2,
        "meta.rejected_records: records the API served that could not be loaded",
        create_tables([REJECTED_RECORDS]),
    ),
    Migration(
        4,
        "meta.warehouse_owner and meta.connection_status: one organization per warehouse, "
        "and the connection card",
        create_tables([WAREHOUSE_OWNER, CONNECTION_STATUS]),
    ),
    Migration(
        5,
        "meta.collection_reads: when a collection read on a cadence was last read (issue 17)",
        create_tables([COLLECTION_READS]),
    ),
    Migration(
        6,
        "meta.event_coverage: which days of events were synced, and when (issue 18)",
        create_tables([EVENT_COVERAGE]),
    ),
    Migration(
        7,
        "meta.sync_info.ran_at: when the sync ran by our clock, beside the API's (issue 16)",
        add_columns(SYNC_INFO, "ran_at"),
    ),
    Migration(
        8,
        "raw tables without PRIMARY KEY indexes: keys kept unique by the writes and checked by "
        "the unique_key asset checks, so a daily sync's memory does not grow with the history "
        "(issue 17)",
        rebuild_tables(RAW_TABLES),
    ),
    Migration(
        9,
        "drop meta.sync_runs: no run ever wrote it (issue 15 item 7)",
        drop_tables("meta", "sync_runs"),
    ),
    Migration(
        10,
        "meta.invitee_sync without its PRIMARY KEY index: one row per event, it grows with the "
        "history like the raw tables (issue 17)",
        rebuild_tables((INVITEE_SYNC,)),
    ),
)


def analytics_tables() -> tuple[TableSpec, ...]:
    """`ANALYTICS_TABLES` from `storage/analytics_tables.py`, or none while it does not exist."""
    try:
        from calendly_pipeline.storage.analytics_tables import ANALYTICS_TABLES
    except ModuleNotFoundError as exc:
        if exc.name != "calendly_pipeline.storage.analytics_tables":
            raise
        return ()
    return tuple(ANALYTICS_TABLES)


def applied_versions(conn: duckdb.DuckDBPyConnection) -> list[int]:
    rows = run(conn, f"SELECT version FROM {table_ref(SCHEMA_MIGRATIONS)} ORDER BY version")
    return [r[0] for r in rows]


def migrate(
    conn: duckdb.DuckDBPyConnection,
    *,
    migrations: Sequence[Migration] = MIGRATIONS,
    analytics: Sequence[TableSpec] | None = None,
) -> list[int]:
    """Bring the database up to date; returns the versions applied now (empty when current).

    Each migration commits with its version row, so an interrupted upgrade resumes where it
    stopped. `analytics` defaults to `ANALYTICS_TABLES`; pass `()` to leave analytics alone.
    """
    versions = [m.version for m in migrations]
    if versions != sorted(set(versions)):
        raise ValueError(f"migration versions must be unique and increasing, got {versions}")
    with transaction(conn):
        for sql in create_tables([SCHEMA_MIGRATIONS]):
            run(conn, sql)
    done = set(applied_versions(conn))
    unknown = done - set(versions)
    if unknown:
        raise RuntimeError(
            f"the database has schema version(s) {sorted(unknown)} that this code does not know; "
            "it was written by a newer calendly-pipeline: upgrade the code, not the data"
        )
    applied = []
    for m in migrations:
        if m.version in done:
            continue
        with transaction(conn):
            for sql in m.statements:
                run(conn, sql)
            run(
                conn,
                f"INSERT INTO {table_ref(SCHEMA_MIGRATIONS)} VALUES (?, ?, ?)",
                [m.version, m.description, datetime.now(UTC)],
            )
        applied.append(m.version)
    specs = RAW_TABLES + META_TABLES
    analytics = analytics_tables() if analytics is None else tuple(analytics)
    if analytics:
        ensure_analytics_tables(conn, analytics)
    sync_comments(conn, specs + tuple(analytics))
    return applied


def table_columns(conn: duckdb.DuckDBPyConnection, spec: TableSpec) -> list[tuple[str, str]]:
    """(name, DuckDB type) of the table as it exists, in column order; empty if it does not."""
    return [
        (name, dtype)
        for name, dtype in run(
            conn,
            """
            SELECT column_name, data_type FROM duckdb_columns()
            WHERE database_name = current_database() AND schema_name = ? AND table_name = ?
            ORDER BY column_index
            """,
            [spec.schema, spec.name],
        )
    ]


def spec_columns(conn: duckdb.DuckDBPyConnection, spec: TableSpec) -> list[tuple[str, str]]:
    """(name, type) as DuckDB spells the spec's types (TIMESTAMPTZ -> TIMESTAMP WITH TIME ZONE)."""
    return [
        (c.name, run(conn, f"SELECT typeof(CAST(NULL AS {c.type}))")[0][0]) for c in spec.columns
    ]


def ensure_analytics_tables(conn: duckdb.DuckDBPyConnection, specs: Sequence[TableSpec]) -> None:
    """Create analytics tables; recreate one whose columns no longer match its spec, and
    rebuild, keeping its rows, one whose key index the spec no longer wants (or now wants).

    Dropping is allowed here only because every analytics table is rebuilt from raw each run.
    """
    with transaction(conn):
        for sql in create_tables(specs):
            run(conn, sql)
        for spec in specs:
            if table_columns(conn, spec) != spec_columns(conn, spec):
                run(conn, f"DROP TABLE {table_ref(spec)}")
                run(conn, create_table_sql(spec))
            elif has_key_index(conn, spec) != key_enforced(spec):
                for sql in rebuild_tables((spec,)):
                    run(conn, sql)


def has_key_index(conn: duckdb.DuckDBPyConnection, spec: TableSpec) -> bool:
    """Whether DuckDB holds a PRIMARY KEY for the table."""
    return bool(
        run(
            conn,
            "SELECT count(*) FROM duckdb_constraints() WHERE database_name = current_database() "
            "AND schema_name = ? AND table_name = ? AND constraint_type = 'PRIMARY KEY'",
            [spec.schema, spec.name],
        )[0][0]
    )


def sync_comments(conn: duckdb.DuckDBPyConnection, specs: Sequence[TableSpec]) -> None:
    """Copy spec descriptions into DuckDB comments, so analysts see them in any SQL client;
    a table's comment also names its key (`duckdb_constraints()` lists only enforced ones)."""
    current = {
        (schema, table, column): comment
        for schema, table, column, comment in run(
            conn,
            """
            SELECT schema_name, table_name, column_name, comment FROM duckdb_columns()
            WHERE database_name = current_database()
            UNION ALL
            SELECT schema_name, table_name, NULL, comment FROM duckdb_tables()
            WHERE database_name = current_database()
            """,
        )
    }
    statements = []
    for spec in specs:
        ref = table_ref(spec)
        comment = (
            f"{spec.description} {key_sentence(spec)}" if spec.primary_key else spec.description
        )
        if current.get((spec.schema, spec.name, None)) != comment:
            statements.append(f"COMMENT ON TABLE {ref} IS {literal(comment)}")
        for c in spec.columns:
            if current.get((spec.schema, spec.name, c.name)) != c.description:
                statements.append(
                    f"COMMENT ON COLUMN {ref}.{ident(c.name)} IS {literal(c.description)}"
                )
    if statements:
        with transaction(conn):
            for sql in statements:
                run(conn, sql)

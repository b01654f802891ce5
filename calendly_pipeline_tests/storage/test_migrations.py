"""Migrations create every spec'd table, are idempotent, and only ever add."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import duckdb
import pytest

from calendly_pipeline.storage import migrations, reads, writes
from calendly_pipeline.storage import raw_tables as rt
from calendly_pipeline.storage.spec import Column, TableSpec
from calendly_pipeline.transforms import flatten

GROUP = {
    "uri": "https://api.calendly.com/groups/G1",
    "name": "Sales",
    "organization": "https://api.calendly.com/organizations/O1",
    "member_count": 4,
    "created_at": "2025-01-01T00:00:00.000000Z",
    "updated_at": "2025-02-01T00:00:00.000000Z",
}


def test_fresh_database_matches_every_spec(conn: duckdb.DuckDBPyConnection) -> None:
    assert migrations.applied_versions(conn) == [m.version for m in migrations.MIGRATIONS]
    for spec in rt.RAW_TABLES + rt.META_TABLES + migrations.analytics_tables():
        assert migrations.table_columns(conn, spec) == migrations.spec_columns(conn, spec), spec
    comments = dict(
        conn.execute(
            "SELECT column_name, comment FROM duckdb_columns() "
            "WHERE schema_name = 'raw' AND table_name = 'invitees'"
        ).fetchall()
    )
    assert comments == {c.name: c.description for c in rt.INVITEES.columns}


def test_migrate_is_idempotent_and_keeps_data(conn: duckdb.DuckDBPyConnection) -> None:
    writes.replace_all(conn, rt.GROUPS, flatten.groups([GROUP]))
    before = reads.read_table(conn, rt.GROUPS)
    assert migrations.migrate(conn) == []
    assert migrations.migrate(conn) == []
    assert migrations.applied_versions(conn) == [m.version for m in migrations.MIGRATIONS]
    assert reads.read_table(conn, rt.GROUPS).equals(before)


def test_later_migration_adds_a_column_without_touching_rows(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    writes.replace_all(conn, rt.GROUPS, flatten.groups([GROUP]))
    grown = dataclasses.replace(
        rt.GROUPS, columns=(*rt.GROUPS.columns, Column("color", "VARCHAR", "Badge colour."))
    )
    known = [m.version for m in migrations.MIGRATIONS]
    v2 = migrations.Migration(known[-1] + 1, "groups.color", migrations.add_columns(grown, "color"))
    assert migrations.migrate(conn, migrations=(*migrations.MIGRATIONS, v2)) == [v2.version]
    assert migrations.migrate(conn, migrations=(*migrations.MIGRATIONS, v2)) == []
    assert migrations.table_columns(conn, grown) == migrations.spec_columns(conn, grown)
    assert conn.execute("SELECT uri, name, color FROM raw.groups").fetchall() == [
        (GROUP["uri"], "Sales", None)
    ]
    assert migrations.applied_versions(conn) == [*known, v2.version]


def test_migration_9_drops_the_unused_sync_runs_table(conn: duckdb.DuckDBPyConnection) -> None:
    """A warehouse from before version 9 still holds `meta.sync_runs`, which no run wrote."""
    conn.execute("DELETE FROM meta.schema_migrations WHERE version = 9")
    columns = "run_id VARCHAR, asset VARCHAR, partition VARCHAR"
    conn.execute(f"CREATE TABLE IF NOT EXISTS meta.sync_runs ({columns})")
    conn.execute("INSERT INTO meta.sync_runs (run_id, asset, partition) VALUES ('r', 'a', '')")
    assert migrations.migrate(conn) == [9]
    tables = conn.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'meta'")
    assert {name for (name,) in tables.fetchall()} == {spec.name for spec in rt.META_TABLES}


def test_database_from_newer_code_is_refused(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(
        "INSERT INTO meta.schema_migrations VALUES (99, 'from the future', ?)", [datetime.now(UTC)]
    )
    with pytest.raises(RuntimeError, match=r"schema version\(s\) \[99\].*newer"):
        migrations.migrate(conn)


def test_add_columns_rejects_an_undeclared_column() -> None:
    with pytest.raises(ValueError, match=r"raw\.groups declares no column"):
        migrations.add_columns(rt.GROUPS, "colour")


def test_analytics_table_is_recreated_when_its_spec_changes(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    first = TableSpec("analytics", "probe", "Probe.", (Column("a", "INTEGER", "A."),), ())
    migrations.migrate(conn, analytics=[first])
    conn.execute("INSERT INTO analytics.probe VALUES (1)")
    second = dataclasses.replace(first, columns=(Column("b", "TIMESTAMPTZ", "B."),))
    migrations.migrate(conn, analytics=[second])
    assert migrations.table_columns(conn, second) == [("b", "TIMESTAMP WITH TIME ZONE")]
    migrations.migrate(conn, analytics=[second])  # unchanged spec: left alone
    assert conn.execute("SELECT count(*) FROM analytics.probe").fetchone() == (0,)

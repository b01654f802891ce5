"""Raw tables keep their key without a DuckDB PRIMARY KEY (issue 17 item 3): migration 8
rebuilds an existing warehouse's tables keeping every row, writes keep one row per key, and
the `unique_key` asset checks are what catch a shared key, in a real Dagster run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
import duckdb
import pandas as pd
from dagster_duckdb import DuckDBResource

from calendly_pipeline.defs import checks as asset_checks
from calendly_pipeline.schema.analytics_tables import ANALYTICS_TABLES
from calendly_pipeline.storage import database, integrity, migrations, writes
from calendly_pipeline.storage import raw_tables as rt
from calendly_pipeline.storage.naming import ident
from calendly_pipeline.storage.spec import TableSpec, key_enforced
from calendly_pipeline.transforms import flatten
from calendly_pipeline_tests.transforms.builders import sample_world

JAN, FEB, MAR = (datetime(2026, m, 1, tzinfo=UTC) for m in (1, 2, 3))
BEFORE_8 = tuple(m for m in migrations.MIGRATIONS if m.version < 8)
ANALYTICS = {spec.name: spec for spec in ANALYTICS_TABLES}


def _constraints(conn: duckdb.DuckDBPyConnection, schema: str) -> dict[str, set[str]]:
    """Constraint types per table of `schema`, e.g. {"users": {"PRIMARY KEY", "NOT NULL"}}."""
    found: dict[str, set[str]] = {}
    for table, kind in conn.execute(
        "SELECT table_name, constraint_type FROM duckdb_constraints() WHERE schema_name = ?",
        [schema],
    ).fetchall():
        found.setdefault(table, set()).add(kind)
    return found


def _rows(conn: duckdb.DuckDBPyConnection, spec: TableSpec) -> list[tuple[Any, ...]]:
    columns = ", ".join(ident(c) for c in spec.column_names)
    return conn.execute(f"SELECT {columns} FROM raw.{spec.name} ORDER BY ALL").fetchall()


# A value of each column type for row `i` (a SQL expression), so every column holds data.
VALUE_OF = {
    "VARCHAR": "'v' || i",
    "JSON": "CAST('{\"i\": ' || i || '}' AS JSON)",
    "BOOLEAN": "i % 2 = 0",
    "INTEGER": "CAST(i AS INTEGER)",
    "BIGINT": "i * 1000000000",
    "DOUBLE": "i * 1.5",
    "TIMESTAMPTZ": "TIMESTAMPTZ '2026-01-01 00:00:00+00' + i * INTERVAL 1 HOUR",
    "DATE": "DATE '2026-01-01' + CAST(i AS INTEGER)",
    "VARCHAR[]": "['a' || i, 'b']",
    "INTEGER[]": "[CAST(i AS INTEGER), 30]",
}


def _old_warehouse(conn: duckdb.DuckDBPyConnection) -> None:
    """A warehouse as versions 1-7 left it: every raw table with its PRIMARY KEY (the DDL
    before migration 8, written out here), holding the sample organization plus three rows
    with every column set."""
    migrations.migrate(conn, migrations=BEFORE_8)
    for spec in rt.RAW_TABLES:
        new = migrations.create_table_sql(spec)
        keys = ", ".join(ident(k) for k in spec.primary_key)
        assert new.endswith("\n)")
        conn.execute(f"DROP TABLE raw.{spec.name}")
        conn.execute(f"{new[:-2]},\n  PRIMARY KEY ({keys})\n)")
    frames = sample_world().frames()
    with writes.transaction(conn):
        for spec in rt.RAW_TABLES:
            writes.replace_all(conn, spec, frames[spec.name])
            values = ", ".join(f"{VALUE_OF[c.type]} AS {ident(c.name)}" for c in spec.columns)
            conn.execute(f"INSERT INTO raw.{spec.name} BY NAME SELECT {values} FROM range(3) t(i)")


def test_migration_8_keeps_every_row_and_drops_the_key_indexes(db_path: str) -> None:
    with database.connection(db_path) as conn:
        _old_warehouse(conn)
        before = {spec.name: _rows(conn, spec) for spec in rt.RAW_TABLES}
        assert all(len(rows) >= 3 for rows in before.values())
        assert all("PRIMARY KEY" in kinds for kinds in _constraints(conn, "raw").values())

        assert migrations.migrate(conn) == [8, 9, 10]

        assert {spec.name: _rows(conn, spec) for spec in rt.RAW_TABLES} == before
        for spec in rt.RAW_TABLES:
            assert migrations.table_columns(conn, spec) == migrations.spec_columns(conn, spec)
        raw = _constraints(conn, "raw")
        assert set(raw) == {spec.name for spec in rt.RAW_TABLES}
        assert all(kinds == {"NOT NULL"} for kinds in raw.values()), raw
        # The analysts still find the key, in the table's comment.
        (comment,) = conn.execute(
            "SELECT comment FROM duckdb_tables() WHERE schema_name = 'raw' "
            "AND table_name = 'event_hosts'"
        ).fetchone()
        assert "Key: `event_uri, user_uri`" in comment
        # Meta tables that do not grow with the history keep theirs.
        assert "PRIMARY KEY" in _constraints(conn, "meta")["sync_info"]
        assert migrations.migrate(conn) == []

    # The rebuilt file opens and takes upserts of stored keys, one row per key.
    with database.connection(db_path) as conn:
        frames = sample_world().frames()
        writes.upsert(conn, rt.SCHEDULED_EVENTS, frames["scheduled_events"])
        report = integrity.key_report(conn, rt.SCHEDULED_EVENTS)
        assert (report.rows, report.shared) == (len(before["scheduled_events"]), 0)


def _with_key_index(conn: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    """Recreate the (empty) table as the DDL before issue 17 made it: with its PRIMARY KEY."""
    new = migrations.create_table_sql(spec)
    keys = ", ".join(ident(k) for k in spec.primary_key)
    conn.execute(f"DROP TABLE {spec.qualified_name}")
    conn.execute(f"{new[:-2]},\n  PRIMARY KEY ({keys})\n)")


def test_migration_10_keeps_invitee_sync_and_drops_its_key_index(db_path: str) -> None:
    """One row per event, meta.invitee_sync grows with the history: its key index had to be
    held in memory by every invitee write, which a 1M-event warehouse's daily sync could not
    do under the DuckDB memory cap (an out-of-memory error)."""
    with database.connection(db_path) as conn:
        migrations.migrate(conn, migrations=[m for m in migrations.MIGRATIONS if m.version < 10])
        _with_key_index(conn, rt.INVITEE_SYNC)
        conn.execute(
            "INSERT INTO meta.invitee_sync SELECT 'https://api.calendly.com/scheduled_events/E' "
            "|| i, TIMESTAMPTZ '2026-01-01 00:00:00+00' + i * INTERVAL 1 HOUR, NULL "
            "FROM range(5) t(i)"
        )
        before = conn.execute("SELECT * FROM meta.invitee_sync ORDER BY ALL").fetchall()
        assert "PRIMARY KEY" in _constraints(conn, "meta")["invitee_sync"]

        assert migrations.migrate(conn) == [10]

        assert conn.execute("SELECT * FROM meta.invitee_sync ORDER BY ALL").fetchall() == before
        assert _constraints(conn, "meta")["invitee_sync"] == {"NOT NULL"}


def test_daily_activity_loses_its_key_index_and_keeps_its_rows(db_path: str) -> None:
    """Analytics tables are not migrated but reconciled with their specs as the warehouse
    opens; one per user and day, `daily_activity` is rebuilt without its index, rows kept."""
    daily = ANALYTICS["daily_activity"]
    with database.connection(db_path) as conn:
        migrations.migrate(conn)
        _with_key_index(conn, daily)
        values = ", ".join(f"{VALUE_OF[c.type]} AS {ident(c.name)}" for c in daily.columns)
        conn.execute(
            f"INSERT INTO {daily.qualified_name} BY NAME SELECT {values} FROM range(4) t(i)"
        )
        before = conn.execute(f"SELECT * FROM {daily.qualified_name} ORDER BY ALL").fetchall()
        assert migrations.has_key_index(conn, daily)

        migrations.migrate(conn)

        assert not migrations.has_key_index(conn, daily)
        assert (
            conn.execute(f"SELECT * FROM {daily.qualified_name} ORDER BY ALL").fetchall() == before
        )
        assert all(  # every other analytics table keeps its index
            migrations.has_key_index(conn, spec) for spec in ANALYTICS.values() if spec is not daily
        )


def test_tables_that_grow_with_the_history_go_without_an_enforced_key(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    growing = {"invitee_sync", "daily_activity"}
    assert not any(key_enforced(spec) for spec in rt.RAW_TABLES)
    for spec in (*rt.META_TABLES, *ANALYTICS.values()):
        if spec.primary_key:
            assert key_enforced(spec) == (spec.name not in growing), spec.qualified_name
    for spec in rt.RAW_TABLES:
        not_null = {
            name
            for (name,) in conn.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'raw' "
                "AND table_name = ? AND NOT is_nullable",
                [spec.name],
            ).fetchall()
        }
        assert set(spec.primary_key) <= not_null, spec.name


def _event(n: int, start: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "uri": f"https://api.calendly.com/scheduled_events/E{n}",
        "name": f"Meeting {n}",
        "status": "active",
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(minutes=30)).isoformat(),
        "event_type": "https://api.calendly.com/event_types/T1",
        "created_at": (start - timedelta(days=3)).isoformat(),
        "updated_at": (start - timedelta(days=2)).isoformat(),
        **fields,
    }


def _events(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return conn.execute("SELECT uri, name, start_time FROM raw.scheduled_events ORDER BY uri").df()


def test_an_event_moved_to_another_window_stays_one_row(conn: duckdb.DuckDBPyConnection) -> None:
    jan = [_event(1, JAN + timedelta(days=3)), _event(2, JAN + timedelta(days=4))]
    writes.replace_window(
        conn, rt.SCHEDULED_EVENTS, flatten.scheduled_events(jan), "start_time", JAN, FEB
    )
    moved = _event(1, FEB + timedelta(days=1), name="Moved")
    writes.replace_window(
        conn, rt.SCHEDULED_EVENTS, flatten.scheduled_events([moved]), "start_time", FEB, MAR
    )
    got = _events(conn)
    assert got["uri"].tolist() == [jan[0]["uri"], jan[1]["uri"]]
    assert got["name"].tolist() == ["Moved", "Meeting 2"]


def test_rewriting_only_changed_rows_without_a_key_index(conn: duckdb.DuckDBPyConnection) -> None:
    stored = [_event(n, JAN + timedelta(days=n)) for n in (1, 2, 3)]
    writes.replace_window(
        conn, rt.SCHEDULED_EVENTS, flatten.scheduled_events(stored), "start_time", JAN, FEB
    )
    again = [stored[0], _event(2, JAN + timedelta(days=2), name="Renamed"), _event(4, JAN)]
    frame = flatten.scheduled_events(again).assign(synced_at=pd.NaT)
    conn.execute("UPDATE raw.scheduled_events SET synced_at = NULL")
    written = writes.replace_window(
        conn, rt.SCHEDULED_EVENTS, frame, "start_time", JAN, FEB, only_changed=True
    )
    assert written == 2  # the renamed event and the new one; the first is left alone
    got = _events(conn)
    assert got["uri"].tolist() == [e["uri"] for e in (stored[0], stored[1], again[2])]
    assert got["name"].tolist() == ["Meeting 1", "Renamed", "Meeting 4"]


def test_a_re_read_leaves_unchanged_rows_in_place(conn: duckdb.DuckDBPyConnection) -> None:
    """A daily sync re-reads weeks of mostly unchanged events. Only the changed and new rows
    may be deleted and inserted: deleting and re-inserting every re-read row thinned the
    table's row groups, which DuckDB's checkpoint then merged in memory (docs/scaling.md)."""
    first = [_event(n, JAN + timedelta(days=n)) for n in (1, 2, 3)]
    writes.upsert(conn, rt.SCHEDULED_EVENTS, flatten.scheduled_events(first))
    placed = dict(conn.execute("SELECT uri, rowid FROM raw.scheduled_events").fetchall())
    later = datetime(2026, 2, 2, tzinfo=UTC)
    again = [first[0], _event(2, JAN + timedelta(days=2), name="Renamed"), first[2], _event(4, JAN)]
    written = writes.upsert(
        conn, rt.SCHEDULED_EVENTS, flatten.scheduled_events(again).assign(synced_at=later)
    )
    assert written == 4
    rows = conn.execute(
        "SELECT uri, rowid, name, synced_at FROM raw.scheduled_events ORDER BY uri"
    ).fetchall()
    assert [r[0] for r in rows] == [e["uri"] for e in (first[0], first[1], first[2], again[3])]
    unchanged = {first[0]["uri"], first[2]["uri"]}
    assert {uri: rowid for uri, rowid, *_ in rows if uri in unchanged} == {
        uri: placed[uri] for uri in unchanged
    }  # not deleted and inserted again
    assert [r[2] for r in rows] == ["Meeting 1", "Renamed", "Meeting 3", "Meeting 4"]
    assert {r[3] for r in rows} == {later}  # every row read again says when


def test_every_table_without_a_key_index_has_a_unique_key_check() -> None:
    checks = (
        (asset_checks.org_unique_keys, asset_checks.ORG_KEYS),
        (asset_checks.event_unique_keys, asset_checks.EVENT_KEYS),
        (asset_checks.analytics_unique_keys, asset_checks.ANALYTICS_KEYS),
    )
    covered = []
    for check, tables_of in checks:
        assert {key.asset_key for key in check.check_keys} == set(tables_of)
        covered += [spec.qualified_name for tables in tables_of.values() for spec in tables]
    unkeyed = [
        spec.qualified_name
        for spec in (*rt.RAW_TABLES, *rt.META_TABLES, *ANALYTICS.values())
        if spec.primary_key and not key_enforced(spec)
    ]
    assert sorted(covered) == sorted(unkeyed)
    assert {"meta.invitee_sync", "analytics.daily_activity"} <= set(unkeyed)


def test_unique_key_check_fails_on_a_shared_key_in_a_dagster_run(db_path: str) -> None:
    frames = sample_world().frames()
    first = frames["event_hosts"].iloc[0]
    with database.connection(db_path) as conn:
        migrations.migrate(conn)
        with writes.transaction(conn):
            for spec in (rt.SCHEDULED_EVENTS, rt.EVENT_HOSTS, rt.INVITEES):
                writes.replace_all(conn, spec, frames[spec.name])
        # DuckDB no longer refuses a second row with a stored key; the check must say so.
        conn.execute(
            "INSERT INTO raw.event_hosts SELECT * FROM raw.event_hosts "
            "WHERE event_uri = ? AND user_uri = ?",
            [first["event_uri"], first["user_uri"]],
        )
    result = dg.materialize(
        [
            asset_checks.event_unique_keys,
            dg.AssetSpec(asset_checks.EVENTS),
            dg.AssetSpec(asset_checks.INVITEES),
        ],
        selection=dg.AssetSelection.all_asset_checks(),
        resources={"duckdb": DuckDBResource(database=db_path)},
    )
    verdicts = {e.asset_key.to_user_string(): e for e in result.get_asset_check_evaluations()}
    assert verdicts["raw/invitees"].passed
    events = verdicts["raw/scheduled_events"]
    assert not events.passed and events.severity == dg.AssetCheckSeverity.ERROR
    assert events.description.startswith(
        f"raw.scheduled_events: {len(frames['scheduled_events'])} rows, key ('uri',) unique; "
        "raw.event_hosts: 2 rows share a key ('event_uri', 'user_uri'): "
    )
    assert str((first["event_uri"], first["user_uri"])) in events.description

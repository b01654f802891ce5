"""The raw tables' integrity queries, on a real DuckDB file: orphans and shared keys are
counted and named inside DuckDB, and the asset checks' messages name them."""

from __future__ import annotations

import duckdb
import pandas as pd

from calendly_pipeline.storage import quality, writes
from calendly_pipeline.storage import raw_tables as rt
from calendly_pipeline.storage.spec import Column, TableSpec
from calendly_pipeline.transforms import checks
from calendly_pipeline_tests.transforms.builders import sample_world


def _load(conn: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame]) -> None:
    with writes.transaction(conn):
        for spec in (rt.SCHEDULED_EVENTS, rt.INVITEES):
            writes.replace_all(conn, spec, frames[spec.name])


def _orphans(conn: duckdb.DuckDBPyConnection) -> checks.CheckResult:
    report = quality.orphan_invitees(conn)
    return checks.orphans_result(report.live, report.orphans, report.examples)


def test_clean_tables_pass(conn: duckdb.DuckDBPyConnection) -> None:
    frames = sample_world().frames()
    _load(conn, frames)
    passed, message = _orphans(conn)
    assert passed and f"all {len(frames['invitees'])} invitees" in message
    report = quality.key_report(conn, rt.INVITEES)
    assert report == quality.KeyReport(len(frames["invitees"]), 0, 0, [])


def test_invitee_without_its_event_is_named(conn: duckdb.DuckDBPyConnection) -> None:
    frames = sample_world().frames()
    invitees = frames["invitees"]
    frames["invitees"] = invitees.assign(
        event_uri=invitees["event_uri"].mask(invitees.index == 0, "https://x/scheduled_events/GONE")
    )
    _load(conn, frames)
    passed, message = _orphans(conn)
    assert not passed and message.startswith("1 invitee(s) without a live event")
    assert invitees["uri"].iloc[0] in message and "GONE" in message


def test_invitee_of_a_deleted_event_is_an_orphan(conn: duckdb.DuckDBPyConnection) -> None:
    frames = sample_world().frames()
    events = frames["scheduled_events"]
    frames["scheduled_events"] = events.assign(
        deleted_at=events["created_at"].where(events.index == 0)
    )
    _load(conn, frames)
    expected = frames["invitees"]["event_uri"].eq(events["uri"].iloc[0]).sum()
    passed, message = _orphans(conn)
    assert expected > 0 and not passed and events["uri"].iloc[0] in message
    assert message.startswith(f"{expected} invitee(s)")


def test_shared_and_null_keys_are_counted_and_named(conn: duckdb.DuckDBPyConnection) -> None:
    # Our tables enforce their primary key, so a table attached from elsewhere stands in.
    spec = TableSpec("raw", "foreign_events", "no key constraint", (Column("uri", "VARCHAR", ""),))
    conn.execute("CREATE TABLE raw.foreign_events (uri VARCHAR)")
    conn.execute("INSERT INTO raw.foreign_events VALUES ('a'), ('b'), ('b'), ('c'), (NULL)")
    report = quality.key_report(conn, spec)
    assert report == quality.KeyReport(rows=5, null_keys=1, shared=2, examples=["b"])
    passed, message = checks.key_result("raw.foreign_events", ["uri"], **vars(report))
    assert not passed and "1 row(s) with a null key" in message and "2 rows share" in message

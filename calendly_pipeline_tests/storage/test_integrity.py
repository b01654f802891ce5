"""The raw tables' integrity queries, on a real DuckDB file: orphans and shared keys are
counted and named inside DuckDB, and the asset checks' messages name them."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from calendly_pipeline.storage import integrity, writes
from calendly_pipeline.storage import raw_tables as rt
from calendly_pipeline.transforms import check_verdicts
from calendly_pipeline_tests.transforms.builders import sample_world


def _load(conn: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame]) -> None:
    with writes.transaction(conn):
        for spec in (rt.SCHEDULED_EVENTS, rt.INVITEES):
            writes.replace_all(conn, spec, frames[spec.name])


def _orphans(conn: duckdb.DuckDBPyConnection) -> check_verdicts.CheckResult:
    report = integrity.orphan_invitees(conn)
    return check_verdicts.orphans_result(report.live, report.orphans, report.examples)


def test_clean_tables_pass(conn: duckdb.DuckDBPyConnection) -> None:
    frames = sample_world().frames()
    _load(conn, frames)
    passed, message = _orphans(conn)
    assert passed and f"all {len(frames['invitees'])} invitees" in message
    report = integrity.key_report(conn, rt.INVITEES)
    assert report == integrity.KeyReport(len(frames["invitees"]), 0, [])


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


def test_shared_keys_are_counted_and_named(conn: duckdb.DuckDBPyConnection) -> None:
    # Raw tables hold no PRIMARY KEY any more: a second row with a stored key is accepted by
    # DuckDB, and only the check sees it.
    frames = sample_world().frames()
    hosts = frames["event_hosts"]
    writes.replace_all(conn, rt.EVENT_HOSTS, hosts)
    event_uri, user_uri = hosts.loc[0, "event_uri"], hosts.loc[0, "user_uri"]
    conn.execute(
        "INSERT INTO raw.event_hosts SELECT * FROM raw.event_hosts "
        "WHERE event_uri = ? AND user_uri = ?",
        [event_uri, user_uri],
    )
    report = integrity.key_report(conn, rt.EVENT_HOSTS)
    assert report == integrity.KeyReport(len(hosts) + 1, 2, [str((event_uri, user_uri))])
    passed, message = check_verdicts.key_result(
        "raw.event_hosts", rt.EVENT_HOSTS.primary_key, **vars(report)
    )
    assert not passed and "2 rows share a key ('event_uri', 'user_uri')" in message
    assert event_uri in message


def test_a_null_key_is_still_refused_by_duckdb(conn: duckdb.DuckDBPyConnection) -> None:
    # So the key check need not count null keys: the DDL keeps key columns NOT NULL.
    with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
        conn.execute("INSERT INTO raw.invitee_questions_and_answers (invitee_uri) VALUES ('x')")

"""One validation rule for every table (the specs' key and NOT NULL columns), and the quarantine
`meta.rejected_records` in a real DuckDB file: what is set aside, why, and how it is replaced."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest

from calendly_pipeline.storage import migrations, rejected, writes
from calendly_pipeline.storage import raw_tables as rt
from calendly_pipeline.transforms import flatten

AT = datetime(2026, 6, 30, 12, tzinfo=UTC)
EVENT = {"uri": "https://api/scheduled_events/E1", "start_time": "2026-06-29T10:00:00Z"}


def _reasons(rejects: flatten.Rejects) -> list[tuple[str, str | None, str]]:
    return [(r.table, r.key, r.reason) for r in rejects.records]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"name": "no uri"}, "uri: missing"),
        ({"uri": None}, "uri: missing"),
        ({"uri": 17}, "uri: int, not str"),
        ({"uri": {"id": "E9"}}, "uri: dict, not str"),
        (
            {"uri": "E9", "start_time": "next tuesday"},
            "start_time: value does not fit TIMESTAMPTZ (str)",
        ),
        ({"uri": "E9", "invitees_counter": "three"}, "malformed record (AttributeError)"),
        (
            {"uri": "E9", "invitees_counter": {"total": "many"}},
            "invitees_total: value does not fit INTEGER (str)",
        ),
        ("not an object", "malformed record (AttributeError)"),
    ],
)
def test_a_bad_event_is_set_aside_and_the_rest_load(bad: Any, reason: str) -> None:
    rejects = flatten.Rejects()
    frame = flatten.scheduled_events([EVENT, bad], rejects=rejects)
    assert list(frame["uri"]) == [EVENT["uri"]]
    key = "E9" if isinstance(bad, dict) and bad.get("uri") == "E9" else None
    assert _reasons(rejects) == [("raw.scheduled_events", key, reason)]
    assert rejects.records[0].record == bad


def test_child_tables_skip_a_rejected_parent_and_reject_their_own_bad_rows() -> None:
    good = {**EVENT, "event_memberships": [{"user": "U1"}, {"user": None}]}
    keyless = {"event_memberships": [{"user": "U2"}]}
    rejects = flatten.Rejects()
    flatten.scheduled_events([good, keyless], rejects=rejects)
    hosts = flatten.event_hosts([good, keyless], rejects=rejects)
    assert list(hosts["user_uri"]) == ["U1"]
    assert _reasons(rejects) == [
        ("raw.scheduled_events", None, "uri: missing"),
        ("raw.event_hosts", EVENT["uri"], "user_uri: missing"),
    ]


def test_membership_without_user_loads_and_its_user_row_is_set_aside() -> None:
    members = [
        {"uri": "M1", "role": "user", "user": {"uri": "U1", "name": None}},
        {"uri": "M2", "role": "user", "user": None},
    ]
    rejects = flatten.Rejects()
    seats = flatten.organization_memberships(members, rejects=rejects)
    users = flatten.users_from_memberships(members, rejects=rejects)
    assert list(seats["uri"]) == ["M1", "M2"]
    assert list(users["uri"]) == ["U1"] and users["name"].isna().all()
    assert _reasons(rejects) == [("raw.users", "M2", "uri: missing")]


def test_without_a_collector_a_bad_record_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match=r"^raw\.users\.uri: missing \(1 record\(s\) cannot be"):
        flatten.users([{"name": "x"}])


def _stored(conn: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT table_name, record_key, reason, record::VARCHAR, asset, partition, run_id "
        "FROM meta.rejected_records ORDER BY table_name, record_key"
    ).fetchall()


def _rejects(*items: Any) -> list[rejected.Rejected]:
    sink = flatten.Rejects()
    flatten.scheduled_events(list(items), rejects=sink)
    return sink.records


def test_quarantine_keeps_one_row_per_bad_record_and_forgets_records_that_load(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    bad = {"uri": "E2", "start_time": "soon"}
    keyless = {"name": "x"}
    kw: dict[str, Any] = {"at": AT, "asset": "raw__scheduled_events", "partition": "2026-06-29"}
    assert rejected.record(conn, _rejects(bad, keyless, keyless), run_id="r1", **kw) == 2
    assert rejected.record(conn, _rejects(bad), run_id="r2", **kw) == 1  # served again: one row
    assert _stored(conn) == [
        (
            "raw.scheduled_events",
            "E2",
            "start_time: value does not fit TIMESTAMPTZ (str)",
            '{"start_time": "soon", "uri": "E2"}',
            "raw__scheduled_events",
            "2026-06-29",
            "r2",
        ),
        (
            "raw.scheduled_events",
            None,
            "uri: missing",
            '{"name": "x"}',
            "raw__scheduled_events",
            "2026-06-29",
            "r1",
        ),
    ]
    # E2 is served well later: it leaves the quarantine; the keyless one stays.
    rejected.record(conn, [], loaded={"raw.scheduled_events": ["E2"]}, run_id="r3", **kw)
    assert [r[1] for r in _stored(conn)] == [None]
    summary = rejected.summary(conn, ["raw.scheduled_events"])
    assert (summary.count, summary.examples) == (
        1,
        [("raw.scheduled_events", None, "uri: missing")],
    )
    # A table re-read whole replaces its rejects with those of the latest read.
    rejected.record(conn, [], replace=["raw.scheduled_events"], run_id="r4", **kw)
    assert rejected.summary(conn).count == 0


def test_a_version_1_database_gets_the_quarantine_from_migration_2(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    conn.execute("DROP TABLE meta.rejected_records")
    conn.execute("DELETE FROM meta.schema_migrations WHERE version = 2")
    writes.replace_all(conn, rt.GROUPS, flatten.groups([{"uri": "G1", "name": "Sales"}]))
    applied = migrations.migrate(conn)
    assert applied == [2]
    assert rejected.summary(conn).count == 0
    assert conn.execute("SELECT uri FROM raw.groups").fetchall() == [("G1",)]


def test_invitees_and_their_answers_follow_the_same_rule() -> None:
    good = {
        "uri": "I1",
        "event": "E1",
        "email": "a@x.example",
        "questions_and_answers": [
            {"position": 0, "question": "Why?", "answer": "Because"},
            {"position": None, "question": "Lost position", "answer": "?"},
        ],
    }
    no_event = {"uri": "I2", "email": "b@x.example"}
    odd_email = {"uri": "I3", "event": "E1", "email": 42}
    items = [good, no_event, odd_email]
    rejects = flatten.Rejects()
    people = flatten.invitees(items, pii="hash", salt="s", rejects=rejects)
    answers = flatten.invitee_questions_and_answers(items, rejects=rejects)
    assert list(people["uri"]) == ["I1"]
    assert list(answers["position"]) == [0]
    assert _reasons(rejects) == [
        ("raw.invitees", "I2", "event_uri: missing"),
        ("raw.invitees", "I3", "malformed record (AttributeError)"),
        ("raw.invitee_questions_and_answers", "I1", "position: missing"),
    ]


@pytest.mark.parametrize(
    ("flatten_table", "bad", "reason"),
    [
        (flatten.event_types, {"uri": "T9", "active": [1]}, "active: value does not fit BOOLEAN"),
        (flatten.groups, {"uri": "T9", "member_count": [3]}, "member_count: value does not fit"),
    ],
)
def test_a_list_where_a_scalar_belongs_is_set_aside(
    flatten_table: Any, bad: dict[str, Any], reason: str
) -> None:
    """pandas raised IndexError (not ValueError) on a list in a BOOLEAN column, which escaped
    the quarantine and failed the whole table."""
    rejects = flatten.Rejects()
    frame = flatten_table([{"uri": "T1"}, bad], rejects=rejects)
    assert list(frame["uri"]) == ["T1"]
    [(_, key, why)] = _reasons(rejects)
    assert key == "T9" and why.startswith(reason) and why.endswith("(list)")

"""Writes are idempotent, transactional (a failure leaves the previous state), and by name."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pandas as pd
import pytest

from calendly_pipeline.storage import raw_tables as rt
from calendly_pipeline.storage import reads, writes
from calendly_pipeline.transforms import flatten

API = "https://api.calendly.com"
JAN = datetime(2026, 1, 1, tzinfo=UTC)
FEB = datetime(2026, 2, 1, tzinfo=UTC)


def iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event(n: int, start: datetime, *, status: str = "active", updated: datetime | None = None):
    updated = updated or start - timedelta(days=3)
    return {
        "uri": f"{API}/scheduled_events/E{n}",
        "name": "30 Minute Meeting",
        "status": status,
        "start_time": iso(start),
        "end_time": iso(start + timedelta(minutes=30)),
        "event_type": f"{API}/event_types/T1",
        "location": {"type": "zoom", "status": "pushed", "join_url": None, "data": None},
        "invitees_counter": {"total": 1, "active": int(status == "active"), "limit": 1},
        "created_at": iso(start - timedelta(days=5)),
        "updated_at": iso(updated),
        "event_memberships": [
            {"user": f"{API}/users/U{n % 3}", "user_email": f"u{n % 3}@acme.test", "user_name": "U"}
        ],
        "event_guests": [],
        "calendar_event": None,
        **(
            {
                "cancellation": {
                    "canceled_by": "U",
                    "reason": None,
                    "canceler_type": "host",
                    "created_at": iso(updated),
                }
            }
            if status == "canceled"
            else {}
        ),
    }


def invitee(event_n: int, n: int, answers: int = 1) -> dict[str, Any]:
    return {
        "uri": f"{API}/scheduled_events/E{event_n}/invitees/I{n}",
        "event": f"{API}/scheduled_events/E{event_n}",
        "email": f"guest{n}@client.test",
        "name": f"Guest {n}",
        "status": "active",
        "timezone": "Europe/Paris",
        "questions_and_answers": [
            {"question": f"Q{p}", "answer": f"A{p}", "position": p} for p in range(answers)
        ],
        "created_at": "2025-12-20T10:00:00.000000Z",
        "updated_at": "2025-12-20T10:00:00.000000Z",
        "rescheduled": False,
    }


def in_january(k: int) -> datetime:
    return JAN + timedelta(days=k, hours=9)


def stored(conn: duckdb.DuckDBPyConnection, spec=rt.SCHEDULED_EVENTS) -> pd.DataFrame:
    keys = list(spec.primary_key)
    return reads.read_table(conn, spec).sort_values(keys).reset_index(drop=True)


def test_replace_window_twice_gives_the_same_table(conn: duckdb.DuckDBPyConnection) -> None:
    frame = flatten.scheduled_events(event(n, in_january(n)) for n in range(5))
    assert writes.replace_window(conn, rt.SCHEDULED_EVENTS, frame, "start_time", JAN, FEB) == 5
    first = stored(conn)
    writes.replace_window(conn, rt.SCHEDULED_EVENTS, frame, "start_time", JAN, FEB)
    pd.testing.assert_frame_equal(stored(conn), first)
    pd.testing.assert_frame_equal(first, frame)


def test_replace_window_leaves_other_windows_alone(conn: duckdb.DuckDBPyConnection) -> None:
    writes.upsert(conn, rt.SCHEDULED_EVENTS, flatten.scheduled_events([event(99, FEB)]))
    frame = flatten.scheduled_events([event(1, in_january(1))])
    writes.replace_window(conn, rt.SCHEDULED_EVENTS, frame, "start_time", JAN, FEB)
    writes.replace_window(conn, rt.SCHEDULED_EVENTS, frame.iloc[:0], "start_time", JAN, FEB)
    assert stored(conn)["uri"].tolist() == [f"{API}/scheduled_events/E99"]


def test_replace_window_refuses_rows_outside_the_window(conn: duckdb.DuckDBPyConnection) -> None:
    frame = flatten.scheduled_events([event(1, FEB)])
    with pytest.raises(ValueError, match=r"1 row.*start_time outside"):
        writes.replace_window(conn, rt.SCHEDULED_EVENTS, frame, "start_time", JAN, FEB)


def test_failure_midway_leaves_previous_state(conn: duckdb.DuckDBPyConnection) -> None:
    events = [event(n, in_january(n)) for n in range(4)]
    writes.replace_window(
        conn, rt.SCHEDULED_EVENTS, flatten.scheduled_events(events), "start_time", JAN, FEB
    )
    writes.replace_children(
        conn, rt.EVENT_HOSTS, flatten.event_hosts(events), "event_uri", [e["uri"] for e in events]
    )
    before_events, before_hosts = stored(conn), stored(conn, rt.EVENT_HOSTS)

    # A value DuckDB cannot cast: the DELETE has already run when the INSERT fails.
    bad = flatten.scheduled_events(events[:2]).astype({"end_time": "str"})
    bad.loc[1, "end_time"] = "not a time"
    with pytest.raises(duckdb.ConversionException):
        writes.replace_window(conn, rt.SCHEDULED_EVENTS, bad, "start_time", JAN, FEB)
    pd.testing.assert_frame_equal(stored(conn), before_events)

    # Several writes in one transaction: the second fails, the first is undone too.
    hosts = flatten.event_hosts(events[:1]).assign(unexpected=1)
    mismatch = r"raw\.event_hosts has no column\(s\) \['unexpected'\]"
    with pytest.raises(writes.FrameMismatchError, match=mismatch), writes.transaction(conn):
        writes.upsert(conn, rt.SCHEDULED_EVENTS, flatten.scheduled_events([event(7, JAN)]))
        writes.replace_children(conn, rt.EVENT_HOSTS, hosts, "event_uri", [events[0]["uri"]])
    pd.testing.assert_frame_equal(stored(conn), before_events)
    pd.testing.assert_frame_equal(stored(conn, rt.EVENT_HOSTS), before_hosts)

    # Nothing is left behind, and the connection is usable afterwards.
    assert (
        conn.execute(
            "SELECT view_name FROM duckdb_views() WHERE view_name LIKE '_calendly_frame_%'"
        ).fetchall()
        == []
    )
    writes.upsert(conn, rt.SCHEDULED_EVENTS, flatten.scheduled_events([event(7, JAN)]))
    assert len(stored(conn)) == 5


def test_upsert_replaces_by_key_and_keeps_the_latest_duplicate(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    writes.upsert(conn, rt.SCHEDULED_EVENTS, flatten.scheduled_events([event(1, in_january(1))]))
    later = in_january(0)
    batch = [
        event(1, in_january(1), status="canceled", updated=later),
        event(1, in_january(1), updated=later - timedelta(days=1)),  # older copy, same page twice
        event(2, in_january(2)),
    ]
    assert writes.upsert(conn, rt.SCHEDULED_EVENTS, flatten.scheduled_events(batch)) == 2
    rows = stored(conn)
    assert rows["status"].tolist() == ["canceled", "active"]
    assert rows.loc[0, "canceler_type"] == "host"
    assert writes.upsert(conn, rt.SCHEDULED_EVENTS, flatten.scheduled_events(batch)) == 2
    assert len(stored(conn)) == 2


def test_missing_frame_columns_become_null(conn: duckdb.DuckDBPyConnection) -> None:
    frame = pd.DataFrame({"uri": ["https://x/groups/1"], "name": ["Ops"]})
    writes.upsert(conn, rt.GROUPS, frame)
    assert conn.execute("SELECT name, member_count, synced_at FROM raw.groups").fetchall() == [
        ("Ops", None, None)
    ]


def test_mark_deleted_marks_vanished_rows_and_clears_returning_ones(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    events = [event(n, in_january(n)) for n in range(3)] + [event(9, FEB)]
    writes.upsert(conn, rt.SCHEDULED_EVENTS, flatten.scheduled_events(events))
    january = writes.TimeWindow(JAN, FEB)
    t1 = datetime(2026, 1, 20, tzinfo=UTC)
    served = [events[0]["uri"], events[2]["uri"]]
    assert writes.mark_deleted(conn, rt.SCHEDULED_EVENTS, january, served, t1) == 1
    deleted = dict(conn.execute("SELECT uri, deleted_at FROM raw.scheduled_events").fetchall())
    assert deleted[events[1]["uri"]] == t1
    assert deleted[events[0]["uri"]] is None and deleted[events[3]["uri"]] is None  # other window

    # Marking again keeps the first time it was noticed.
    t2 = t1 + timedelta(days=1)
    assert writes.mark_deleted(conn, rt.SCHEDULED_EVENTS, january, served, t2) == 0
    marked = reads.read_table(conn, rt.SCHEDULED_EVENTS, "deleted_at IS NOT NULL")
    assert marked["deleted_at"].tolist() == [pd.Timestamp(t1)]
    assert reads.event_versions(conn, JAN, FEB).keys() == set(served)
    # Served again: cleared.
    all_three = [e["uri"] for e in events[:3]]
    assert writes.mark_deleted(conn, rt.SCHEDULED_EVENTS, january, all_three, t2) == 0
    assert reads.read_table(conn, rt.SCHEDULED_EVENTS, "deleted_at IS NOT NULL").empty
    assert reads.event_versions(conn, JAN, FEB).keys() == set(all_three)


def test_vanished_events_take_their_invitees_personal_data_with_them(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    events = [event(1, in_january(1)), event(2, in_january(2))]
    people = [invitee(1, 1, answers=2), invitee(1, 2), invitee(2, 3)]
    with writes.transaction(conn):
        writes.upsert(conn, rt.SCHEDULED_EVENTS, flatten.scheduled_events(events))
        writes.upsert(conn, rt.INVITEES, flatten.invitees(people, salt="s"))
        writes.upsert(
            conn, rt.INVITEE_QUESTIONS_AND_ANSWERS, flatten.invitee_questions_and_answers(people)
        )
    window = writes.TimeWindow(JAN, FEB)
    assert writes.mark_deleted(conn, rt.SCHEDULED_EVENTS, window, [events[1]["uri"]], FEB) == 1
    assert reads.row_count(conn, rt.SCHEDULED_EVENTS) == 2  # the event row stays, marked
    assert conn.execute("SELECT uri FROM raw.invitees").fetchall() == [(people[2]["uri"],)]
    assert conn.execute("SELECT invitee_uri FROM raw.invitee_questions_and_answers").fetchall() == [
        (people[2]["uri"],)
    ]
    assert writes.purge_invitees(conn, [events[1]["uri"]]) == 1
    assert reads.row_count(conn, rt.INVITEE_QUESTIONS_AND_ANSWERS) == 0


def test_replace_children_drops_children_no_longer_served(conn: duckdb.DuckDBPyConnection) -> None:
    people = [invitee(1, 1, answers=3), invitee(1, 2, answers=1)]
    spec = rt.INVITEE_QUESTIONS_AND_ANSWERS
    uris = [p["uri"] for p in people]
    writes.replace_children(
        conn, spec, flatten.invitee_questions_and_answers(people), "invitee_uri", uris
    )
    assert reads.row_count(conn, spec) == 4
    people[0]["questions_and_answers"] = people[0]["questions_and_answers"][:1]
    people[1]["questions_and_answers"] = []
    answers = flatten.invitee_questions_and_answers(people)
    for _ in range(2):  # idempotent
        writes.replace_children(conn, spec, answers, "invitee_uri", uris)
        pd.testing.assert_frame_equal(stored(conn, spec), answers)


def test_replace_since_writes_what_a_newest_first_read_saw(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    spec = rt.ROUTING_FORM_SUBMISSIONS

    def submission(form: str, n: int, day: int, submitter: str | None = None) -> dict[str, Any]:
        stamp = iso(JAN + timedelta(days=day))
        return {
            "uri": f"{API}/routing_form_submissions/{form}{n}",
            "routing_form": f"{API}/routing_forms/{form}",
            "questions_and_answers": [],
            "tracking": {},
            "result": {"type": "event_type", "value": f"{API}/event_types/T1"},
            "submitter": submitter,
            "submitter_type": None,
            "created_at": stamp,
            "updated_at": stamp,
        }

    old_a, recent_a, gone_a = submission("A", 1, 1), submission("A", 2, 20), submission("A", 3, 21)
    forms = [old_a, recent_a, gone_a, submission("B", 1, 2), submission("C", 1, 3)]
    writes.replace_all(conn, spec, flatten.routing_form_submissions(forms))

    # Form A read down to day 15 (its day-21 submission is no longer served, its day-20 one
    # changed, one is new); form B has nothing new; form C was deleted.
    booked = {**recent_a, "submitter": f"{API}/scheduled_events/E1/invitees/I1"}
    seen = [submission("A", 4, 30), booked]
    since = JAN + timedelta(days=15)
    for _ in range(2):  # idempotent
        writes.replace_since(
            conn, spec, flatten.routing_form_submissions(seen), "created_at", since,
            "routing_form", [f"{API}/routing_forms/A", f"{API}/routing_forms/B"],
        )  # fmt: skip
        rows = conn.execute(f"SELECT uri, submitter FROM {spec.qualified_name} ORDER BY uri")
        assert [(u.rsplit("/", 1)[1], s) for u, s in rows.fetchall()] == [
            ("A1", None),  # older than `since`: kept
            ("A2", booked["submitter"]),
            ("A4", None),
            ("B1", None),
        ]


def test_membership_snapshots_keep_history(conn: duckdb.DuckDBPyConnection) -> None:
    def member(n: int) -> dict[str, Any]:
        return {
            "uri": f"{API}/organization_memberships/M{n}",
            "role": "user",
            "organization": f"{API}/organizations/O1",
            "user": {"uri": f"{API}/users/U{n}", "name": f"U{n}", "email": f"u{n}@acme.test"},
            "created_at": "2025-03-01T00:00:00.000000Z",
            "updated_at": "2025-03-01T00:00:00.000000Z",
        }

    day1, day2 = date(2026, 1, 1), date(2026, 1, 2)
    roster = flatten.organization_memberships([member(1), member(2), member(3)])
    writes.snapshot_memberships(conn, day1, roster)
    for _ in range(2):  # the same day twice: replaced, not doubled
        writes.snapshot_memberships(conn, day2, roster.iloc[:2])
    rows = conn.execute(
        "SELECT snapshot_date, count(*), min(joined_at) FROM raw.membership_snapshots "
        "GROUP BY ALL ORDER BY 1"
    ).fetchall()
    joined = datetime(2025, 3, 1, tzinfo=UTC)
    assert rows == [(day1, 3, joined), (day2, 2, joined)]
    with pytest.raises(TypeError, match="must be a date"):
        writes.snapshot_memberships(conn, datetime(2026, 1, 3, tzinfo=UTC), roster)


def test_nested_transactions_commit_only_at_the_outermost(conn: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(RuntimeError, match="boom"), writes.transaction(conn):
        writes.upsert(conn, rt.SCHEDULED_EVENTS, flatten.scheduled_events([event(1, JAN)]))
        with writes.transaction(conn):
            writes.upsert(conn, rt.SCHEDULED_EVENTS, flatten.scheduled_events([event(2, JAN)]))
        raise RuntimeError("boom")
    assert reads.row_count(conn, rt.SCHEDULED_EVENTS) == 0


def test_sync_info_and_runs(conn: duckdb.DuckDBPyConnection) -> None:
    now = datetime(2026, 6, 30, 12, tzinfo=UTC)
    for plan in ("teams", "enterprise"):
        writes.write_sync_info(
            conn, org_uri=f"{API}/organizations/O1", org_name="Acme", plan=plan, synced_at=now,
            is_synthetic=True, api_host="127.0.0.1", idle_days=60, grace_days=30,
            price_per_seat=16.0, currency="USD", trailing_days=7,
        )  # fmt: skip
    info = reads.read_sync_info(conn)
    assert info is not None and info["plan"] == "enterprise" and info["synced_at"] == now
    assert reads.row_count(conn, rt.SYNC_INFO) == 1
    with pytest.raises(writes.FrameMismatchError, match=r"no column\(s\) \['token'\]"):
        writes.write_sync_info(conn, org_uri="o", token="x")


def test_replace_all_keeps_exactly_the_new_rows(conn: duckdb.DuckDBPyConnection) -> None:
    def group(n: int, name: str) -> dict[str, Any]:
        return {"uri": f"{API}/groups/G{n}", "name": name, "member_count": n}

    writes.replace_all(
        conn, rt.GROUPS, flatten.groups([group(1, "a"), group(2, "b"), group(3, "c")])
    )
    new = flatten.groups([group(2, "B"), group(4, "d")])
    for _ in range(2):
        assert writes.replace_all(conn, rt.GROUPS, new) == 2
        pd.testing.assert_frame_equal(stored(conn, rt.GROUPS), new)
    assert writes.replace_all(conn, rt.GROUPS, new.iloc[:0]) == 0
    assert reads.row_count(conn, rt.GROUPS) == 0


def _daily(days: list[date], scheduled: int = 1) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "activity_date": pd.to_datetime(days).astype("datetime64[us]"),
            "user_uri": "https://api.calendly.com/users/U1",
            "scheduled": scheduled,
            **dict.fromkeys(
                [
                    "completed",
                    "canceled_by_host",
                    "canceled_by_invitee",
                    "no_show",
                    "rescheduled",
                    "unknown_status",
                    "invitee_bookings",
                ],
                0,
            ),
        }
    )


def test_month_rewrite_writes_only_changed_rows_and_drops_empty_months(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    spec = reads.find_spec("analytics.daily_activity")
    jan = [date(2026, 1, d) for d in (5, 6, 7)]
    feb = [date(2026, 2, 2)]
    window = (date(2026, 1, 1), date(2026, 2, 1))
    assert writes.replace_window(conn, spec, _daily(jan), "activity_date", *window) == 3
    writes.upsert(conn, spec, _daily(feb))
    same = writes.replace_window(
        conn, spec, _daily(jan), "activity_date", *window, only_changed=True
    )
    assert same == 0  # nothing changed, nothing rewritten
    changed = _daily(jan[:2]).assign(scheduled=[1, 5])  # one row changed, one gone
    assert (
        writes.replace_window(conn, spec, changed, "activity_date", *window, only_changed=True) == 1
    )
    stored = reads.read_table(conn, spec).sort_values("activity_date", ignore_index=True)
    assert stored["scheduled"].tolist() == [1, 5, 1] and len(stored) == 3
    assert writes.replace_month(conn, spec, changed, "activity_date") == date(2026, 1, 1)
    with pytest.raises(ValueError, match="outside"):
        writes.replace_month(conn, spec, _daily([*jan, *feb]), "activity_date")
    assert writes.keep_months(conn, spec, "activity_date", [date(2026, 1, 1)]) == 1
    assert reads.read_table(conn, spec)["activity_date"].max() == pd.Timestamp(jan[1])

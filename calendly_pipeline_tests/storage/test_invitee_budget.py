"""Which events a run reads invitees for, within `invitee_requests_per_run` (real DuckDB)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from calendly_pipeline.storage import invitee_sync, migrations

NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def conn() -> duckdb.DuckDBPyConnection:
    """Events a day apart from 60 days ago to 9 days ahead; those before the last 5 days had
    their invitees read at their current version."""
    con = duckdb.connect()
    migrations.migrate(con)
    for n in range(-60, 10):
        start = NOW + n * DAY
        con.execute(
            "INSERT INTO raw.scheduled_events BY NAME SELECT ? AS uri, ? AS start_time, "
            "? AS updated_at, ? AS synced_at",
            [f"e{n:+03d}", start, start - DAY, NOW],
        )
        if n < -5:
            con.execute(
                "INSERT INTO meta.invitee_sync VALUES (?, ?, ?)", [f"e{n:+03d}", start - DAY, NOW]
            )
    return con


def test_the_budget_caps_pending_events_newest_first_and_never_the_trailing_rereads(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    # A run over the last 10 days and the 10 ahead; the trailing window is the last 7 days.
    todo = invitee_sync.events_needing_invitees(
        conn, NOW - 10 * DAY, NOW + 10 * DAY, NOW - 7 * DAY, NOW, budget=3
    )
    # Pending (never read): days -5..+9, newest first, 3 of them; re-reads of read events in
    # the trailing window (days -7, -6) come on top of the budget.
    assert todo == ["e+09", "e+08", "e+07", "e-06", "e-07"]


def test_the_backlog_follows_the_window_newest_first(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("DELETE FROM meta.invitee_sync WHERE event_uri IN ('e-40', 'e-50')")
    # A run over the last 2 days only: its own pending events, then the older ones never read.
    todo = invitee_sync.events_needing_invitees(
        conn, NOW - 2 * DAY, NOW, NOW - 7 * DAY, NOW, budget=4
    )
    assert todo == ["e-01", "e-02", "e+09", "e+08"]
    everything = invitee_sync.events_needing_invitees(conn, NOW - 2 * DAY, NOW, NOW, NOW)
    assert everything[:2] == ["e-01", "e-02"] and everything[-2:] == ["e-40", "e-50"]
    assert invitee_sync.invitee_backlog(conn) == (len(everything), NOW + 9 * DAY)

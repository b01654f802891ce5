"""Bookkeeping for incremental invitee sync: which event version its invitees were read at.

The API cannot filter by `updated_at` and has no org-wide invitee list, so invitees cost one
request per event. We re-read them only when the event is new, its `updated_at` moved, or it sits
in the trailing window (no-shows are marked after the meeting without touching the event).
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from calendly_pipeline.storage import writes
from calendly_pipeline.storage.raw_tables import INVITEE_QUESTIONS_AND_ANSWERS, INVITEES

# An event whose invitees were never read, or read at another version of the event.
_PENDING = "(s.event_uri IS NULL OR s.event_updated_at IS DISTINCT FROM e.updated_at)"


def events_needing_invitees(
    conn: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    trailing_start: datetime,
    trailing_end: datetime,
    budget: int | None = None,
) -> list[str]:
    """Event URIs whose invitees a run reads, the window [start, end)'s first, then the backlog
    (older stored events), each newest first. `budget` (None: no limit) caps the pending ones,
    never read or read at another event version, window and backlog alike; what it leaves stays
    pending here and the next run resumes it. The trailing window's re-reads of events already
    read (no-shows are marked after the meeting) are outside it: bounded by the trailing days,
    they are the daily run's own cost (docs/scaling.md, progressive first sync)."""
    rows = conn.execute(
        f"""
        WITH candidates AS (
            SELECT e.uri, e.start_time,
                   e.start_time >= $start AND e.start_time < $end AS in_window,
                   {_PENDING} AS pending
            FROM raw.scheduled_events AS e
            LEFT JOIN meta.invitee_sync AS s ON s.event_uri = e.uri
            WHERE e.deleted_at IS NULL
        ),
        budgeted AS (
            SELECT uri, start_time, in_window FROM candidates WHERE pending
            ORDER BY in_window DESC, start_time DESC, uri
            LIMIT $budget
        ),
        rereads AS (
            SELECT uri, start_time, in_window FROM candidates
            WHERE NOT pending AND in_window AND start_time >= $tstart AND start_time < $tend
        )
        SELECT uri FROM (SELECT * FROM budgeted UNION ALL SELECT * FROM rereads)
        ORDER BY in_window DESC, start_time DESC, uri
        """,
        {
            "start": start,
            "end": end,
            "tstart": trailing_start,
            "tend": trailing_end,
            "budget": budget,
        },
    ).fetchall()
    return [r[0] for r in rows]


def invitee_backlog(conn: duckdb.DuckDBPyConnection) -> tuple[int, datetime | None]:
    """How many stored events still wait for their invitees, and the start of the newest of
    them: invitee-based figures are complete only for events that start after it."""
    ((count, newest),) = conn.execute(
        f"""
        SELECT count(*), max(e.start_time)
        FROM raw.scheduled_events AS e
        LEFT JOIN meta.invitee_sync AS s ON s.event_uri = e.uri
        WHERE e.deleted_at IS NULL AND {_PENDING}
        """
    ).fetchall()  # fetchone would leave the result open on the caller's transaction
    return int(count), newest


def record_invitee_sync(
    conn: duckdb.DuckDBPyConnection, event_uris: list[str], fetched_at: datetime
) -> None:
    """Remember the event versions whose invitees were just written (inside the caller's txn)."""
    if not event_uris:
        return
    frame = pd.DataFrame({"event_uri": pd.Series(event_uris, dtype="str")})
    # Delete and insert: DuckDB holds no index for this table's key (it grows with the history).
    with writes.transaction(conn), writes.registered(conn, frame) as batch:
        conn.execute(
            f"DELETE FROM meta.invitee_sync WHERE event_uri IN (SELECT event_uri FROM {batch})"
        )
        conn.execute(
            f"""
            INSERT INTO meta.invitee_sync BY NAME
            SELECT DISTINCT b.event_uri, e.updated_at AS event_updated_at, $at AS fetched_at
            FROM {batch} AS b JOIN raw.scheduled_events AS e ON e.uri = b.event_uri
            """,
            {"at": fetched_at},
        )


def replace_invitees(
    conn: duckdb.DuckDBPyConnection,
    event_uris: list[str],
    invitees: pd.DataFrame,
    answers: pd.DataFrame,
    fetched_at: datetime,
) -> int:
    """Swap in the invitees (and their answers) just read for `event_uris`, in one transaction.

    Answers of invitees that are no longer served go too, so no orphan answer survives.
    """
    events = pd.DataFrame({"uri": pd.Series(event_uris, dtype="str")})
    with writes.transaction(conn):
        with writes.registered(conn, events) as batch:
            old = [
                r[0]
                for r in conn.execute(
                    f"SELECT uri FROM raw.invitees WHERE event_uri IN (SELECT uri FROM {batch})"
                ).fetchall()
            ]
        invitee_uris = set(old) | set(invitees["uri"])
        writes.replace_children(
            conn, INVITEE_QUESTIONS_AND_ANSWERS, answers, "invitee_uri", invitee_uris
        )
        written = writes.replace_children(conn, INVITEES, invitees, "event_uri", event_uris)
        record_invitee_sync(conn, event_uris, fetched_at)
    return written

"""How fast API JSON becomes raw rows at the 1M-event scale: flatten, then a transactional
upsert into a DuckDB file. Prints figures; asserts nothing.

    uv run python benchmarks/flatten_and_store.py [--events 1000000]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from calendly_pipeline.storage import database, migrations, writes
from calendly_pipeline.storage import raw_tables as rt
from calendly_pipeline.transforms import flatten

API = "https://api.calendly.com"


def iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def payloads(n: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Events and one invitee each, shaped like the API's (and the sandbox's) objects."""
    start = datetime(2025, 7, 1, tzinfo=UTC)
    events, invitees = [], []
    for i in range(n):
        at = start + timedelta(minutes=30 * i)
        uri = f"{API}/scheduled_events/{i:012d}"
        events.append({
            "uri": uri, "name": "30 Minute Meeting", "status": "active" if i % 9 else "canceled",
            "start_time": iso(at), "end_time": iso(at + timedelta(minutes=30)),
            "event_type": f"{API}/event_types/{i % 400}",
            "location": {"type": "zoom", "status": "pushed", "join_url": None, "data": None},
            "invitees_counter": {"total": 1, "active": 1, "limit": 1},
            "created_at": iso(at - timedelta(days=3)), "updated_at": iso(at - timedelta(days=2)),
            "event_memberships": [{"user": f"{API}/users/{i % 2000}",
                                   "user_email": f"u{i % 2000}@acme.example", "user_name": "U"}],
            "event_guests": [], "calendar_event": None,
            **({} if i % 9 else {"cancellation": {"canceled_by": "U", "reason": None,
                                                 "canceler_type": "host",
                                                 "created_at": iso(at)}}),
        })  # fmt: skip
        invitees.append({
            "uri": f"{uri}/invitees/{i:012d}", "event": uri,
            "email": f"guest{i}@client{i % 97}.example",
            "name": f"Guest {i}", "status": "active", "timezone": "Europe/Paris",
            "questions_and_answers": [{"question": "Why?", "answer": "Demo", "position": 0}],
            "tracking": {"utm_source": "ads" if i % 5 == 0 else None, "utm_medium": None,
                         "utm_campaign": None, "utm_content": None, "utm_term": None,
                         "salesforce_uuid": None},
            "text_reminder_number": None, "rescheduled": False, "old_invitee": None,
            "new_invitee": None, "routing_form_submission": None, "payment": None,
            "no_show": None, "reconfirmation": None, "scheduling_method": None,
            "invitee_scheduled_by": None, "created_at": iso(at - timedelta(days=3)),
            "updated_at": iso(at - timedelta(days=2)),
        })  # fmt: skip
    return events, invitees


def timed(label: str, fn, *args, **kwargs):
    """Wall and CPU seconds (all threads): on a shared machine CPU time is the stable figure."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rows = len(out) if hasattr(out, "__len__") else out
    print(f"{label:<44} wall {wall:6.2f} s  cpu {cpu:6.2f} s  {rows:>10,} rows")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    n = parser.parse_args().events
    started = time.perf_counter()
    events, invitees = payloads(n)
    print(f"{'build API payloads (not our code)':<44} wall {time.perf_counter() - started:6.2f} s")
    frame = timed("flatten.scheduled_events", flatten.scheduled_events, events)
    hosts = timed("flatten.event_hosts", flatten.event_hosts, events)
    people = timed("flatten.invitees (pii=hash)", flatten.invitees, invitees, salt="bench")
    answers = timed(
        "flatten.invitee_questions_and_answers", flatten.invitee_questions_and_answers, invitees
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        with database.connection(path) as conn:
            migrations.migrate(conn)
            timed(
                "upsert raw.scheduled_events (empty table)",
                writes.upsert,
                conn,
                rt.SCHEDULED_EVENTS,
                frame,
            )
            timed(
                "upsert raw.scheduled_events (all keys exist)",
                writes.upsert,
                conn,
                rt.SCHEDULED_EVENTS,
                frame,
            )
            timed("replace_children raw.event_hosts", writes.replace_children, conn, rt.EVENT_HOSTS,
                  hosts, "event_uri", frame["uri"])  # fmt: skip
            timed("upsert raw.invitees", writes.upsert, conn, rt.INVITEES, people)
            timed("upsert raw.invitee_questions_and_answers", writes.upsert, conn,
                  rt.INVITEE_QUESTIONS_AND_ANSWERS, answers)  # fmt: skip
        print(f"DuckDB file: {path.stat().st_size / 2**20:,.0f} MiB")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:,.0f} MiB (payload dicts included)")


if __name__ == "__main__":
    main()

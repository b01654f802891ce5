"""The floor the pipeline is compared with: a plain `requests` loop that pulls the same
collections and bulk-inserts the raw JSON into DuckDB, doing nothing else.

Runs as a child of `sync_at_scale.py` (so it gets its own interpreter, like the pipeline does)
and prints one JSON line: {"records": n, "requests": n, "seconds": s}.

    uv run python benchmarks/baseline.py BASE_URL TOKEN DATABASE
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import duckdb
import requests

BATCH = 20_000  # JSON documents per bulk insert
WORKERS = 4  # the pipeline's default invitee fan-out


def _pages(session: requests.Session, url: str, params: dict[str, Any]) -> Iterator[dict]:
    """Every item of a list endpoint, following `next_page` links."""
    next_url: str | None = url
    while next_url:
        response = session.get(next_url, params=params, timeout=60)
        response.raise_for_status()
        body = response.json()
        yield from body["collection"]
        next_url, params = body["pagination"]["next_page"], {}


def main() -> None:
    base, token, path = sys.argv[1:4]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    began = time.perf_counter()
    me = session.get(f"{base}/users/me", timeout=60).json()["resource"]
    org = me["current_organization"]
    by_org = {"organization": org, "count": 100}
    collections: dict[str, Iterator[dict]] = {
        "memberships": _pages(session, f"{base}/organization_memberships", by_org),
        "invitations": _pages(
            session, f"{base}/organizations/{org.rsplit('/', 1)[-1]}/invitations", {"count": 100}
        ),
        "groups": _pages(session, f"{base}/groups", by_org),
        "group_relationships": _pages(session, f"{base}/group_relationships", by_org),
        "event_types": _pages(session, f"{base}/event_types", by_org),
        "routing_forms": _pages(session, f"{base}/routing_forms", by_org),
        "activity_log": _pages(session, f"{base}/activity_log_entries", by_org),
        "scheduled_events": _pages(session, f"{base}/scheduled_events", by_org),
    }
    conn = duckdb.connect(path)
    conn.execute("CREATE TABLE raw_json (collection VARCHAR, doc JSON)")
    records = 0
    buffer: list[tuple[str, str]] = []

    def flush() -> None:
        nonlocal records
        if buffer:
            conn.execute(
                "INSERT INTO raw_json SELECT unnest($c), unnest($d)::JSON",
                {"c": [c for c, _ in buffer], "d": [d for _, d in buffer]},
            )
            records += len(buffer)
            buffer.clear()

    events: list[str] = []
    for name, items in collections.items():
        for item in items:
            buffer.append((name, json.dumps(item)))
            if name == "scheduled_events":
                events.append(item["uri"])
            if len(buffer) >= BATCH:
                flush()

    local = threading.local()

    def invitees(uri: str) -> list[dict]:
        if not hasattr(local, "session"):  # one keep-alive connection per thread
            local.session = requests.Session()
            local.session.headers["Authorization"] = f"Bearer {token}"
        return list(_pages(local.session, f"{uri}/invitees", {"count": 100}))

    with ThreadPoolExecutor(WORKERS) as pool:
        for page in pool.map(invitees, events):
            buffer.extend(("invitees", json.dumps(item)) for item in page)
            if len(buffer) >= BATCH:
                flush()
    flush()
    conn.close()
    print(json.dumps({"records": records, "seconds": time.perf_counter() - began}))


if __name__ == "__main__":
    main()

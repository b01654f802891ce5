"""Sandbox throughput and memory: pages/s and RSS at the default scale and at 1M events.

    uv run python benchmarks/sandbox_throughput.py            # default and large
    uv run python benchmarks/sandbox_throughput.py --scale default --seconds 5

The sandbox runs in this process (uvicorn in a daemon thread), so RSS covers generator, server
and the measuring clients. Clients are plain `requests` sessions in threads; pages are
`/scheduled_events?organization=...&count=100` (the heaviest page) and invitee lists.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from datetime import date

import requests
from _common import self_rss_mib

from calendly_pipeline.sandbox import SandboxConfig, start_sandbox


def _pull(base: str, token: str, org: str, seconds: float, results: list[int], offset: int) -> None:
    """Page through org events from a different starting window per thread until time is up."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    first = {
        "organization": org,
        "count": 100,
        "min_start_time": f"2025-{offset % 12 + 1:02d}-01T00:00:00Z",
    }
    url, params, pages = f"{base}/scheduled_events", first, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = session.get(url, params=params, timeout=30)
        response.raise_for_status()
        pages += 1
        url, params = response.json()["pagination"]["next_page"], None
        if url is None:
            url, params = f"{base}/scheduled_events", first
    results.append(pages)


def _invitee_pages(base: str, token: str, org: str, n: int) -> float:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    events = session.get(
        f"{base}/scheduled_events", params={"organization": org, "count": 100}, timeout=30
    ).json()["collection"]
    began = time.perf_counter()
    for i in range(n):
        session.get(f"{events[i % len(events)]['uri']}/invitees", timeout=30).raise_for_status()
    return n / (time.perf_counter() - began)


def measure(scale: str, seconds: float) -> None:
    began = time.perf_counter()
    cfg = SandboxConfig(seed=42, as_of=date(2026, 6, 30), scale=scale, rate_limit_per_minute=0)
    with start_sandbox(cfg) as sb:
        startup = time.perf_counter() - began
        counts = sb.world.counts()
        rss_ready = self_rss_mib()
        token = sb.tokens["owner"]
        org = requests.get(
            f"{sb.base_url}/users/me", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ).json()["resource"]["current_organization"]
        print(
            f"\n== scale={scale}: {counts['memberships']} members, "
            f"{counts['scheduled_events']:,} events, {counts['invitees']:,} invitees"
        )
        print(f"startup {startup:.2f} s, RSS after start {rss_ready:.0f} MiB")
        for clients in (1, 4):
            results: list[int] = []
            threads = [
                threading.Thread(target=_pull, args=(sb.base_url, token, org, seconds, results, i))
                for i in range(clients)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            rate = sum(results) / seconds
            print(
                f"{clients} client(s): {rate:,.0f} event pages/s (count=100), "
                f"{rate * 100:,.0f} events/s"
            )
        print(
            f"invitee list pages: {_invitee_pages(sb.base_url, token, org, 300):,.0f} pages/s "
            "(1 client)"
        )
        began = time.perf_counter()
        sb.manifest()
        print(
            f"manifest {time.perf_counter() - began:.2f} s; RSS at the end {self_rss_mib():.0f} MiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["tiny", "default", "large"], action="append")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each paging run")
    args = parser.parse_args()
    scales = args.scale or ["default", "large"]
    if len(scales) == 1:
        measure(scales[0], args.seconds)
        return
    for scale in scales:  # one fresh process per scale, so each RSS figure stands alone
        subprocess.run(
            [sys.executable, __file__, "--scale", scale, "--seconds", str(args.seconds)], check=True
        )


if __name__ == "__main__":
    main()

"""API efficiency, local throughput and memory of the real pipeline at one organization size.

For each `--scale` it starts a sandbox (rate limit off) in this process and then, each in a
child process:
1. a full sync (`calendly-pipeline sync` over the whole history and the 30 days ahead);
2. the baseline (`benchmarks/baseline.py`: plain `requests` loop + bulk insert of the raw
   JSON into DuckDB) over the same collections;
3. one simulated day later (a day's bookings, some cancellations), the daily incremental sync
   (trailing 7 days, forward 30).
It prints requests next to the minimum the API allows (from the sandbox's own counts), wall
time, records/s and the ratio to the baseline, and each child's peak RSS. Timings are figures
to compare, never assertions.

    uv run python benchmarks/sync_at_scale.py                        # default organization
    uv run python benchmarks/sync_at_scale.py --scale history4x      # same org, 4x the history
    uv run python benchmarks/sync_at_scale.py --scale large-recent   # 2,000 users' booking rate
    uv run python benchmarks/sync_at_scale.py --scale large          # 2,000 users, 1M events
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta

import requests
from _common import (
    ROOT,
    ChildRun,
    Workspace,
    daily_range,
    full_range,
    machine,
    pages,
    parse_scale,
    run_child,
    sandbox_config,
    sandbox_today,
    self_rss_mib,
    workspace,
)
from rich.console import Console
from rich.table import Table

from calendly_pipeline.sandbox import Sandbox, start_sandbox

INVITEES = "/scheduled_events/{uuid}/invitees"
EVENTS = "/scheduled_events"


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def _list(sb: Sandbox, path: str, params: dict[str, str]) -> list[dict]:
    """Items of a list, read outside any measured run (the sandbox counts them, we do not)."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {sb.tokens['owner']}"
    out, url, query = [], f"{sb.base_url}{path}", {**params, "count": "100"}
    while url:
        body = session.get(url, params=query, timeout=60).json()
        out.extend(body["collection"])
        url, query = body["pagination"]["next_page"], {}
    return out


def org_minimum(
    counts: dict[str, int], groups: int, shared_types: int, user_hooks: bool = True
) -> int:
    """Organization data at count=100: the caller, the organization, each org-wide list, and the
    per-parent lists the API offers no org-wide form of (hosts per event type that can have more
    than one, submissions per routing form, webhooks per scope: organization, each group, and
    each user when user-scope webhooks are due, docs/scaling.md)."""
    return (
        2
        + pages(counts["memberships"])
        + pages(counts["invitations"])
        + pages(counts["groups"])
        + pages(counts["group_relationships"])
        + pages(counts["event_types"])
        + shared_types
        + pages(counts["routing_forms"])
        + counts["routing_forms"]
        + 1
        + groups
        + (counts["users"] if user_hooks else 0)
        + pages(counts["activity_log"])
    )


def solo(event_type: dict) -> bool:
    """An event type whose one host is its owner (the rule of `client/api_org._sole_host`)."""
    profile = event_type.get("profile") or {}
    return (
        event_type.get("kind") == "solo"
        and event_type.get("pooling_type") is None
        and profile.get("type") == "User"
    )


def split(by_path: dict[str, int]) -> tuple[int, int, int]:
    """(event list pages, invitee list requests, everything else)."""
    events = by_path.get(EVENTS, 0)
    invitees = by_path.get(INVITEES, 0)
    return events, invitees, sum(by_path.values()) - events - invitees


def simulate_a_day(sb: Sandbox, bookings: int) -> tuple[int, int]:
    """Advance a day, book `bookings` meetings over the next weeks, cancel a tenth of as many
    upcoming ones: the churn a real day brings. Returns (booked, canceled)."""
    sb.world.advance(days=1)
    today = datetime.combine(sandbox_today(sb), datetime.min.time(), UTC)
    upcoming = _list(
        sb,
        EVENTS,
        {
            "organization": sb.world.org_uri(),
            "status": "active",
            "min_start_time": _iso(today + timedelta(days=2)),
            "max_start_time": _iso(today + timedelta(days=29)),
        },
    )
    canceled = upcoming[: max(1, bookings // 10)]
    for event in canceled:
        sb.world.cancel_event(event["uri"], by="invitee")
    for i in range(bookings):
        at = today + timedelta(days=1 + i % 28, hours=8 + i % 9, minutes=30 * (i // 252 % 2))
        sb.world.book_event(start_time=_iso(at))
    return bookings, len(canceled)


def baseline(sb: Sandbox, ws: Workspace) -> tuple[ChildRun, int]:
    argv = [sys.executable, str(ROOT / "benchmarks" / "baseline.py"), sb.base_url,
            sb.tokens["owner"], str(ws.folder / "baseline.duckdb")]  # fmt: skip
    run = run_child(sb, argv, ws.env)
    if not run.ok:
        raise SystemExit(f"baseline failed:\n{run.log[-3000:]}")
    return run, json.loads(run.log.strip().splitlines()[-1])["records"]


def measure(scale_name: str, console: Console, show_paths: bool) -> None:
    scale = parse_scale(scale_name)
    began = time.perf_counter()
    with start_sandbox(sandbox_config(scale)) as sb:
        counts = sb.world.counts()
        startup = time.perf_counter() - began
        groups = counts["groups"]
        first, last = full_range(sb)
        console.print(
            f"\n[bold]{scale_name}[/bold]: {scale.users:,} users, {counts['memberships']:,} "
            f"members, {counts['scheduled_events']:,} events, {counts['invitees']:,} invitees, "
            f"{scale.history_days} days of history; sandbox up in {startup:.0f} s, "
            f"its RSS {self_rss_mib():,.0f} MiB (in this process)"
        )
        types = _list(sb, "/event_types", {"organization": sb.world.org_uri()})
        shared_types = sum(not solo(t) for t in types)
        with workspace(sb, first) as ws:
            full = ws.sync(sb, first, last)
            base, records = baseline(sb, ws)
            booked, canceled = simulate_a_day(sb, round(scale.events / (scale.history_days + 30)))
            d_first, d_last = daily_range(sb)
            daily = ws.sync(sb, d_first, d_last)
            sandbox_rss = self_rss_mib()
            now = datetime.fromtimestamp(sb.world.now_us / 1e6, UTC)
            org = sb.world.org_uri()
            window = _list(sb, EVENTS, {
                "organization": org,
                "min_start_time": _iso(datetime.combine(d_first, datetime.min.time(), UTC)),
                "max_start_time": _iso(
                    datetime.combine(d_last + timedelta(days=1), datetime.min.time(), UTC)),
            })  # fmt: skip
            trailing = sum(
                now - timedelta(days=7) <= datetime.fromisoformat(e["start_time"]) < now
                for e in window
            )
    org_min = org_minimum(counts, groups, shared_types)
    full_min = (pages(counts["scheduled_events"]), counts["scheduled_events"], org_min)
    # New and canceled bookings all start after today, so they never overlap the trailing days.
    # A day after the full sync, user-scope webhooks are not due (read every 7 days).
    daily_org = org_minimum(counts, groups, shared_types, user_hooks=False)
    daily_min = (pages(len(window)), trailing + booked + canceled, daily_org)

    table = Table(title=f"requests per sync, {scale_name}")
    for col in ("sync", "part", "requests", "minimum", "ratio"):
        table.add_column(col, justify="left" if col in ("sync", "part") else "right")
    for label, run, minimum in (("full", full, full_min), ("daily", daily, daily_min)):
        parts = split(run.by_path)
        names = ("event list pages", "invitee lists", "organization data")
        for name, got, need in zip(names, parts, minimum, strict=True):
            table.add_row(label, name, f"{got:,}", f"{need:,}", f"{got / need:.3f}")
        table.add_row(label, "[bold]total", f"{run.requests:,}", f"{sum(minimum):,}",
                      f"[bold]{run.requests / sum(minimum):.3f}", end_section=True)  # fmt: skip
    console.print(table)
    if show_paths:
        for label, run in (("full", full), ("daily", daily)):
            console.print(f"{label} sync requests by path: {dict(sorted(run.by_path.items()))}")

    perf = Table(title=f"time and memory, {scale_name} (rate limit off)")
    for col in ("run", "wall s", "requests/s", "records/s", "peak RSS MiB", "429s"):
        perf.add_column(col, justify="left" if col == "run" else "right")
    for label, run in (("full sync (pipeline)", full), ("baseline", base),
                       ("daily sync (pipeline)", daily)):  # fmt: skip
        rate = f"{records / run.wall_s:,.0f}" if run is not daily else "-"
        perf.add_row(label, f"{run.wall_s:,.1f}", f"{run.requests / run.wall_s:,.0f}", rate,
                     f"{run.peak_rss_mib:,.0f}", str(run.status_429))  # fmt: skip
    console.print(perf)
    console.print(
        f"records (items served: events, invitees, organization data) {records:,}; "
        f"pipeline/baseline records/s = [bold]{base.wall_s / full.wall_s:.0%}[/bold]; "
        f"daily sync: {booked} booked, {canceled} canceled, {trailing} events in the trailing "
        f"7 days, {len(window):,} events in its window; sandbox RSS {sandbox_rss:,.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="append", help="named scale or USERS:EVENTS:DAYS")
    parser.add_argument("--paths", action="store_true", help="also print requests by API path")
    args = parser.parse_args()
    console = Console()
    console.print(machine())
    for scale in args.scale or ["default"]:
        measure(scale, console, args.paths)


if __name__ == "__main__":
    main()

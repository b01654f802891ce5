"""Issue 17's targets, each printed next to its target: time to a first dashboard, organization
data per seat per run, the full-history ratio, daily memory and the README demo's wall time.

Request figures are counted by the sandbox (rate limit off) at one organization (`--scale`,
default: the default organization) and projected to 2,000 and 10,000 seats with the formula of
docs/scaling.md (the measured organization-data cost per seat replaces its 3.0):

1. a full sync (the first run: every organization list, user-scope webhooks included);
2. a day later, the daily sync (user-scope webhooks not due: read every 7 days by default);
3. seven days after the full sync, the daily sync again (user-scope webhooks due);
4. in a fresh warehouse, the first run of a progressive first sync: the value window (the idle
   and adoption windows back, the forward days ahead), whose end is the first complete seat
   dashboard. It is run with every invitee of the window read and counted; the run the pipeline
   makes reads at most `invitee_requests_per_run` of them (the rest waits for later runs), so
   the figure counts min(budget, invitee lists) for them.

`--demo N` also times the README's first command (`uv run calendly-pipeline sync --demo`, embedded
sandbox, a fresh data folder each time) N times and prints the median with the load average.
Peak RSS of the 2,000-seat daily syncs is not measured here (`memory_by_step.py --scale large@74
--scale large`, ~40 min on 2 cores); the script prints the latest figures from RESULTS.md §4,
marked as such (`DAILY_MEMORY`).

    uv run python benchmarks/time_to_value.py                      # default org, ~3 min
    uv run python benchmarks/time_to_value.py --demo 3             # plus the README demo, 3 times
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta

from _common import (
    AS_OF,
    ROOT,
    ChildRun,
    daily_range,
    full_range,
    machine,
    pages,
    parse_scale,
    sandbox_config,
    workspace,
)
from rich.console import Console
from rich.table import Table
from sync_at_scale import INVITEES, _list, org_minimum, simulate_a_day, solo, split

from calendly_pipeline.sandbox import Sandbox, start_sandbox
from calendly_pipeline.settings import FORWARD_DAYS, INVITEE_REQUESTS_PER_RUN
from calendly_pipeline.transforms.utilization_config import UtilizationConfig

LIMIT = 500  # requests per minute, Calendly's paid plans
HOSTS = "/event_type_memberships"
HOOKS = "/webhook_subscriptions"
# docs/scaling.md: event pages + invitee lists per event of a full sync, and its fixed part.
PER_EVENT = 1.01
FIXED = 12
# The organizations: 2,000 seats with 500 meetings stored per seat (1M events: a year of
# history and the 30 days ahead), and the same per seat at 10,000 seats.
SEATS = (2_000, 10_000)
BOOKINGS = 500
CADENCE_DAYS = 7  # user-scope webhooks, SyncSettings.user_webhooks_every_days
# The value window a first sync reads before the dashboard: max(idle, adoption) days back.
LOOKBACK = max(UtilizationConfig().idle_days, UtilizationConfig().adoption_days)
FIRST_TARGETS = {2_000: 12_000, 10_000: 60_000}
# The latest run of `memory_by_step.py --scale large@74 --scale large` (RESULTS.md §4):
# (figure, how it was measured, verdict).
DAILY_MEMORY = (
    "499 vs 499 MiB, 0.1% apart (RESULTS.md §4, 2026-12-05 09:26 UTC; 502 vs 495 at 08:33)",
    "memory_by_step.py --scale large@74 --scale large, not run here (~35 min); the peak is the "
    "events step at both; utilization still grows with the history",
    "met",
)


@dataclass
class OrgRuns:
    seats: int
    full: ChildRun
    skip_day: ChildRun  # user-scope webhooks not due
    due_day: ChildRun  # user-scope webhooks due
    events: int
    solo_types: int
    types: int
    full_minimum: int  # event pages, an invitee list per event, organization data (first run)
    first_dashboard: ChildRun  # the value window in a fresh warehouse, every invitee read
    window_events: int  # events of the value window

    def org(self, run: ChildRun) -> int:
        return split(run.by_path)[2]

    def per_seat(self, run: ChildRun) -> float:
        return self.org(run) / self.seats

    @property
    def weekly_per_seat(self) -> float:
        """Mean over a cadence: one run reading user-scope webhooks, the others not."""
        due, skip = self.per_seat(self.due_day), self.per_seat(self.skip_day)
        return (due + (CADENCE_DAYS - 1) * skip) / CADENCE_DAYS


def measure_org(sb: Sandbox, seats: int) -> OrgRuns:
    types = _list(sb, "/event_types", {"organization": sb.world.org_uri()})
    counts = sb.world.counts()  # what the full sync reads, before the simulated days add more
    first, last = full_range(sb)
    with workspace(sb, first) as ws:
        full = ws.sync(sb, first, last)
        scale = sb.config.resolved_scale
        per_day = round(scale.events / (scale.history_days + 30))
        simulate_a_day(sb, per_day)
        skip_day = ws.sync(sb, *daily_range(sb))
        sb.world.advance(days=CADENCE_DAYS - 1)
        due_day = ws.sync(sb, *daily_range(sb))
    solo_types = sum(map(solo, types))
    org = org_minimum(counts, counts["groups"], len(types) - solo_types)
    value_first = AS_OF - timedelta(days=LOOKBACK)
    with workspace(sb, value_first) as ws:
        first_dashboard = ws.sync(sb, value_first, AS_OF + timedelta(days=FORWARD_DAYS))
    window_events = sum(
        1
        for e in _list(sb, "/scheduled_events", {"organization": sb.world.org_uri()})
        if e["start_time"][:10] >= value_first.isoformat()
    )
    return OrgRuns(
        seats=seats,
        full=full,
        skip_day=skip_day,
        due_day=due_day,
        events=counts["scheduled_events"],
        solo_types=solo_types,
        types=len(types),
        full_minimum=pages(counts["scheduled_events"]) + counts["scheduled_events"] + org,
        first_dashboard=first_dashboard,
        window_events=window_events,
    )


def before_first_dashboard(by_path: dict[str, int]) -> int:
    """Requests of the first run up to its dashboard: its invitee lists within the budget."""
    events, invitees, org = split(by_path)
    return events + min(invitees, INVITEE_REQUESTS_PER_RUN) + org


def first_dashboard_requests(seats: int, org_per_seat: float, pages_per_event: float) -> float:
    """The first run of a progressive first sync at `BOOKINGS` meetings per seat (stored over
    a year and the 30 days ahead): its organization data (first run: user webhooks read), the
    event pages of the value window and at most the budget of invitee lists."""
    window = seats * BOOKINGS / (365 + 30) * (LOOKBACK + FORWARD_DAYS)
    return (
        org_per_seat * seats + FIXED + pages_per_event * window
        + min(INVITEE_REQUESTS_PER_RUN, window)
    )  # fmt: skip


def full_sync_requests(seats: int, org_per_seat: float) -> float:
    """docs/scaling.md: 1.01 per stored event + organization data, with `BOOKINGS` events stored
    per seat (the sandbox's `large`: 1M events at 2,000 seats, the issue's 1,016,105)."""
    return PER_EVENT * seats * BOOKINGS + org_per_seat * seats + FIXED


def demo_walls(runs: int) -> list[tuple[float, str]]:
    """The README's first command in a fresh data folder: (wall s, load average before)."""
    out = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALENDLY_")}
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="calendly_demo_") as folder:
            load = "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
            began = time.perf_counter()
            subprocess.run(
                # what `uv run calendly-pipeline sync --demo` runs once the environment is installed
                [sys.executable, "-m", "calendly_pipeline.cli", "sync", "--demo"],
                env={**env, "CALENDLY_DATA_DIR": folder},
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            out.append((time.perf_counter() - began, load))
    return out


def hours(requests: float) -> str:
    minutes = requests / LIMIT
    return f"{minutes:,.0f} min" if minutes < 90 else f"{minutes / 60:,.1f} h"


def report(console: Console, name: str, runs: OrgRuns, demo: list[tuple[float, str]]) -> None:
    parts = Table(title=f"requests by part, {name} ({runs.seats} seats, {runs.events:,} events)")
    for col in ("run", "event pages", "invitee lists", "org data", "of which hosts",
                "of which webhooks", "org per seat", "total"):  # fmt: skip
        parts.add_column(col, justify="left" if col == "run" else "right")
    for label, run in (("full sync", runs.full), ("daily, webhooks not due", runs.skip_day),
                       (f"daily, {CADENCE_DAYS} days on (due)", runs.due_day),
                       ("first run of a progressive first sync, every invitee read",
                        runs.first_dashboard)):  # fmt: skip
        events, invitees, org = split(run.by_path)
        parts.add_row(label, f"{events:,}", f"{invitees:,}", f"{org:,}",
                      f"{run.by_path.get(HOSTS, 0):,}", f"{run.by_path.get(HOOKS, 0):,}",
                      f"{runs.per_seat(run):.2f}", f"{run.requests:,}")  # fmt: skip
    console.print(parts)
    console.print(
        f"event types: {runs.types}, of which solo on a user's profile (hosts derived, no "
        f"request): {runs.solo_types}"
    )

    events, invitees, org = split(runs.full.by_path)
    minimum = runs.full_minimum
    per_seat = runs.weekly_per_seat
    window_pages, _, _ = split(runs.first_dashboard.by_path)
    first_org = runs.per_seat(runs.first_dashboard)
    pages_per_event = window_pages / max(1, runs.window_events)
    measured = before_first_dashboard(runs.first_dashboard.by_path)

    t = Table(title="issue 17 targets (requests at 500/min)")
    for col in ("figure", "issue's today", "target", "this session", "how", "verdict"):
        t.add_column(col)
    for seats in SEATS:
        value = first_dashboard_requests(seats, first_org, pages_per_event)
        target = FIRST_TARGETS[seats]
        t.add_row(
            "requests before the first complete seat dashboard, "
            + ("2,000 seats, 1M meetings/year" if seats == 2_000 else "same, 10,000 seats"),
            "1,016,105 (≈34 h)" if seats == 2_000 else "≈ 5.6M (≈187 h)",
            f"≤ {target:,} ({hours(target)})",
            f"{value:,.0f} ({hours(value)}); the full history after it: "
            f"{full_sync_requests(seats, per_seat):,.0f} in later runs",
            f"projected from the first run counted here ({name}: {measured:,} requests, "
            f"{runs.window_events:,} events in the {LOOKBACK}+{FORWARD_DAYS}-day value window, "
            f"{pages_per_event:.4f} pages per event, {first_org:.2f} org requests per seat) "
            f"with an invitee budget of {INVITEE_REQUESTS_PER_RUN:,} per run",
            "met" if value <= target else "missed",
        )  # fmt: skip
    verdict = "met" if per_seat <= 1.2 else "missed"
    t.add_row(
        "organization-data requests per seat per run", "3.0", "≤ 1.2",
        f"{per_seat:.2f} over a {CADENCE_DAYS}-day cadence (due day "
        f"{runs.per_seat(runs.due_day):.2f}, other days {runs.per_seat(runs.skip_day):.2f}; "
        f"first full sync {runs.per_seat(runs.full):.2f})",
        f"measured, {name}", verdict,
    )  # fmt: skip
    ratio = runs.full.requests / minimum
    t.add_row(
        "full history, requests vs the minimum", "1.000×", "≤ 1.01×",
        f"{ratio:.3f}× ({runs.full.requests:,} / {minimum:,})", f"measured, {name}",
        "met" if ratio <= 1.01 else "missed",
    )  # fmt: skip
    t.add_row(
        "daily sync peak RSS, 2,000 seats, 228k vs 1M events stored", "605 vs 817 MiB",
        "within 5%", *DAILY_MEMORY,
    )  # fmt: skip
    if demo:
        walls = [w for w, _ in demo]
        median = statistics.median(walls)
        loads = "; ".join(load for _, load in demo)
        t.add_row(
            "README demo sync, wall after install, 2 cores", "≈ 140 s", "≤ 75 s",
            f"median {median:.0f} s of {len(walls)} ({', '.join(f'{w:.0f}' for w in walls)})",
            f"measured, load average before each: {loads}",
            "met" if median <= 75 else "missed",
        )  # fmt: skip
    else:
        t.add_row("README demo sync, wall after install, 2 cores", "≈ 140 s", "≤ 75 s",
                  "-", "not run (--demo N)", "-")  # fmt: skip
    console.print(t)
    console.print(
        f"invitee requests of the full sync: {runs.full.by_path.get(INVITEES, 0):,} "
        f"({invitees / max(1, events + invitees + org):.1%} of it)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="default", help="named scale or USERS:EVENTS:DAYS")
    parser.add_argument("--demo", type=int, default=0, help="time the README demo N times")
    args = parser.parse_args()
    console = Console(width=200)
    console.print(machine())
    scale = parse_scale(args.scale)
    with start_sandbox(sandbox_config(scale)) as sb:
        runs = measure_org(sb, sb.world.counts()["memberships"])
    demo = demo_walls(args.demo) if args.demo else []
    report(console, args.scale, runs, demo)


if __name__ == "__main__":
    main()

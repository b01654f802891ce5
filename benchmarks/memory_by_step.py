"""Where a daily sync's memory goes: its RSS sampled every 50 ms, and the peak inside each step.

Starts a sandbox (rate limit off) in this process, runs a full sync, simulates one day (as
`sync_at_scale.py` does) and then the daily sync in a child process, sampling the child's RSS;
afterwards it reads the run's step events from the Dagster instance and prints each step's peak.
Given two scales of the same organization (e.g. `large-recent` and `large`), it prints their
steps side by side, to see which grow with the history stored, and the daily peaks next to
issue 17's target: within 5% of each other.

    uv run python benchmarks/memory_by_step.py                        # default organization
    uv run python benchmarks/memory_by_step.py --scale large-recent   # 2,000 users, 228k events
    uv run python benchmarks/memory_by_step.py --scale large-recent --scale large  # the target
    uv run python benchmarks/memory_by_step.py --scale large@74 --scale large  # 228k vs 1M stored
    uv run python benchmarks/memory_by_step.py --scale 500:250000:365 --days 8  # days in a row

`NAME@DAYS` is the same organization with only its last DAYS days (and the 30 ahead) synced
first: `large@74` stores 228k of the large organization's 1M events, and its daily window holds
the very same meetings as `large`'s, so only the history stored differs (`large-recent` is
another organization at the same booking rate, and its daily window holds 12% more meetings).
With `--days N` it simulates N days, each followed by a daily sync, and shows the steps of the
day with the highest peak.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta

import psutil
from _common import (
    ROOT,
    daily_range,
    full_range,
    machine,
    parse_scale,
    sandbox_config,
    workspace,
)
from rich.console import Console
from rich.table import Table
from sync_at_scale import simulate_a_day

from calendly_pipeline.sandbox import start_sandbox

SAMPLE_SECONDS = 0.05


def sampled_run(argv: list[str], env: dict[str, str]) -> list[tuple[float, float]]:
    """(unix time, RSS MiB) of the child every SAMPLE_SECONDS until it exits."""
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)  # fmt: skip
    child, samples = psutil.Process(proc.pid), []
    while proc.poll() is None:
        try:
            samples.append((time.time(), child.memory_info().rss / 2**20))
        except psutil.Error:
            break
        time.sleep(SAMPLE_SECONDS)
    if proc.returncode:
        raise SystemExit(f"daily sync failed with exit code {proc.returncode}")
    return samples


def step_windows(dagster_home: str) -> list[tuple[str, float, float]]:
    """(step key, start, end) of every step of the instance's latest run."""
    os.environ["DAGSTER_HOME"] = dagster_home
    import dagster as dg

    instance = dg.DagsterInstance.get()
    run = instance.get_runs(limit=1)[0]
    kinds = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS}
    started: dict[str, float] = {}
    windows = []
    for record in instance.all_logs(run.run_id, of_type=kinds):
        key = record.step_key or ""
        if record.dagster_event.event_type == dg.DagsterEventType.STEP_START:
            started[key] = record.timestamp
        else:
            windows.append((key, started.get(key, record.timestamp), record.timestamp))
    return windows


TARGET = 0.05  # issue 17: daily peaks within 5% of each other, whatever the history stored


@dataclass
class Daily:
    """One scale's daily syncs: the peak inside each step of the day with the highest peak,
    every day's whole-run peak, and that day's length."""

    full_peak: float
    steps: dict[str, float]
    peaks: list[float]
    seconds: float

    @property
    def peak(self) -> float:
        return max(self.peaks)


def measure(scale_name: str, days: int) -> Daily:
    """A full sync (of the last DAYS days only, given `NAME@DAYS`), then `days` simulated
    days, each followed by the daily sync."""
    name, _, stored_days = scale_name.partition("@")
    scale = parse_scale(name)
    runs = []
    with start_sandbox(sandbox_config(scale)) as sb:
        first, last = full_range(sb)
        if stored_days:
            first = max(first, last - timedelta(days=int(stored_days) + 31))
        with workspace(sb, first) as ws:
            full = ws.sync(sb, first, last)
            for _ in range(days):
                simulate_a_day(sb, round(scale.events / (scale.history_days + 30)))
                d_first, d_last = daily_range(sb)
                argv = [sys.executable, "-m", "calendly_pipeline.cli", "sync",
                        "--start", d_first.isoformat(), "--end", d_last.isoformat()]  # fmt: skip
                samples = sampled_run(argv, ws.env)
                runs.append((samples, step_windows(ws.env["DAGSTER_HOME"])))
    peaks = [max(r for _, r in samples) for samples, _ in runs]
    samples, windows = runs[peaks.index(max(peaks))]
    steps = {
        key: max((rss for t, rss in samples if start <= t <= end), default=0)
        for key, start, end in sorted(windows, key=lambda w: w[2])
    }
    return Daily(full.peak_rss_mib, steps, peaks, samples[-1][0] - samples[0][0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", action="append", help="named scale or USERS:EVENTS:DAYS (repeat to compare)"
    )
    parser.add_argument(
        "--days", type=int, default=1, help="simulated days, each with a daily sync (default 1)"
    )
    args = parser.parse_args()
    names = args.scale or ["default"]
    console = Console()
    console.print(machine())
    runs = []
    for name in names:
        runs.append(measure(name, args.days))
        console.print(f"{name} measured: {machine()}")
    table = Table(title="daily sync: peak RSS inside each step, MiB")
    table.add_column("step")
    for name in names:
        table.add_column(name, justify="right")
    for key in dict.fromkeys(k for run in runs for k in run.steps):
        table.add_row(key, *(f"{run.steps.get(key, 0):,.0f}" for run in runs))
    table.add_row(
        "[bold]whole daily sync", *(f"[bold]{run.peak:,.0f}" for run in runs), end_section=True
    )
    if args.days > 1:
        table.add_row(
            "each day's peak", *(" ".join(f"{p:,.0f}" for p in run.peaks) for run in runs)
        )
    table.add_row("full sync (ru_maxrss)", *(f"{run.full_peak:,.0f}" for run in runs))
    table.add_row("daily sync wall s", *(f"{run.seconds:,.1f}" for run in runs))
    console.print(table)
    console.print(f"(RSS sampled every {SAMPLE_SECONDS * 1000:.0f} ms: a peak can be missed)")
    if len(runs) > 1:
        peaks = [run.peak for run in runs]
        spread = max(peaks) / min(peaks) - 1
        verdict = "met" if spread <= TARGET else "missed"
        console.print(
            f"daily sync peak RSS {' vs '.join(f'{p:,.0f}' for p in peaks)} MiB "
            f"({', '.join(names)}): {spread:.1%} apart; target within {TARGET:.0%}: "
            f"[bold]{verdict}[/bold]"
        )


if __name__ == "__main__":
    main()

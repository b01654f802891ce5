"""Where a daily sync's memory goes: its RSS sampled every 50 ms, and the peak inside each step.

Starts a sandbox (rate limit off) in this process, runs a full sync, simulates one day (as
`sync_at_scale.py` does) and then the daily sync in a child process, sampling the child's RSS;
afterwards it reads the run's step events from the Dagster instance and prints each step's peak.
Compare two scales of the same organization (e.g. `large-recent` and `large`) to see which
steps grow with the history stored.

    uv run python benchmarks/memory_by_step.py                        # default organization
    uv run python benchmarks/memory_by_step.py --scale large-recent   # 2,000 users, 228k events
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="default", help="named scale or USERS:EVENTS:DAYS")
    args = parser.parse_args()
    console = Console()
    console.print(machine())
    scale = parse_scale(args.scale)
    with start_sandbox(sandbox_config(scale)) as sb:
        first, last = full_range(sb)
        with workspace(sb, first) as ws:
            full = ws.sync(sb, first, last)
            simulate_a_day(sb, round(scale.events / (scale.history_days + 30)))
            d_first, d_last = daily_range(sb)
            argv = [sys.executable, "-m", "calendly_pipeline.cli", "sync",
                    "--start", d_first.isoformat(), "--end", d_last.isoformat()]  # fmt: skip
            samples = sampled_run(argv, ws.env)
            windows = step_windows(ws.env["DAGSTER_HOME"])
    began = samples[0][0]
    table = Table(title=f"daily sync of {args.scale}: peak RSS inside each step")
    for col in ("step", "ends at s", "peak MiB"):
        table.add_column(col, justify="left" if col == "step" else "right")
    for key, start, end in sorted(windows, key=lambda w: w[2]):
        inside = [rss for t, rss in samples if start <= t <= end]
        table.add_row(key, f"{end - began:,.1f}", f"{max(inside, default=0):,.0f}")
    console.print(table)
    console.print(
        f"full sync peak {full.peak_rss_mib:,.0f} MiB; daily sync peak "
        f"{max(r for _, r in samples):,.0f} MiB over {samples[-1][0] - began:,.1f} s "
        f"(sampled every {SAMPLE_SECONDS * 1000:.0f} ms, so a peak can be missed by a little)"
    )


if __name__ == "__main__":
    main()

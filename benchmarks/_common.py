"""Shared by the benchmark scripts: sandbox scales, the machine line, and a sync in a child process.

The sandbox runs in the benchmark's own process; every sync runs in a child process (the
`calendly-pipeline sync` CLI, exactly what a user runs), so the child's peak RSS is the
pipeline's alone and the sandbox does not share its interpreter lock.
"""

from __future__ import annotations

import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psutil

from calendly_pipeline.sandbox import Sandbox, SandboxConfig, Scale
from calendly_pipeline.sandbox.config import SCALES

AS_OF = date(2026, 6, 30)
ROOT = Path(__file__).resolve().parents[1]
PAGE = 100  # count= of every list the pipeline reads

# Extra scales: `history4x` is the default organization with four times the history (same
# bookings per day), `large-recent` is the large organization's booking rate (2,000 users,
# 1M events over 395 days) with only 60 days of history (the sandbox cannot
# generate 2,000 users with less), so a full sync stays minutes long.
NAMED_SCALES: dict[str, Scale] = {
    **SCALES,
    "history4x": Scale(users=142, events=94_300, history_days=1460),
    "large-recent": Scale(users=2_000, events=228_000, history_days=60),
}


def parse_scale(text: str) -> Scale:
    """A named scale or `USERS:EVENTS:HISTORY_DAYS`."""
    if text in NAMED_SCALES:
        return NAMED_SCALES[text]
    try:
        users, events, days = (int(part) for part in text.split(":"))
    except ValueError:
        raise SystemExit(
            f"--scale {text!r} is neither one of {', '.join(NAMED_SCALES)} "
            "nor USERS:EVENTS:HISTORY_DAYS"
        ) from None
    return Scale(users=users, events=events, history_days=days)


def sandbox_config(scale: Scale, rate_limit_per_minute: int = 0) -> SandboxConfig:
    return SandboxConfig(
        seed=42, as_of=AS_OF, scale=scale, rate_limit_per_minute=rate_limit_per_minute
    )


def machine() -> str:
    """Cores, RAM and Python: the line every RESULTS.md entry starts with."""
    ram = psutil.virtual_memory().total / 2**30
    return (
        f"{os.cpu_count()} cores, {ram:.0f} GiB RAM, {platform.machine()}, "
        f"Python {platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def self_rss_mib() -> float:
    return psutil.Process().memory_info().rss / 2**20


def sandbox_today(sb: Sandbox) -> date:
    return datetime.fromtimestamp(sb.world.now_us / 1e6, UTC).date()


def full_range(sb: Sandbox) -> tuple[date, date]:
    """Every partition the sandbox has data for: the whole history and the 30 days ahead."""
    history = sb.config.resolved_scale.history_days
    return AS_OF - timedelta(days=history + 1), AS_OF + timedelta(days=31)


def daily_range(sb: Sandbox, trailing_days: int = 7, forward_days: int = 30) -> tuple[date, date]:
    """What the daily schedule runs: the trailing days and the forward days around API today."""
    today = sandbox_today(sb)
    return today - timedelta(days=trailing_days), today + timedelta(days=forward_days)


@dataclass
class ChildRun:
    """One sync in a child process: its wall time, its own peak RSS and the requests it sent."""

    wall_s: float
    peak_rss_mib: float
    requests: int
    by_path: dict[str, int]
    status_429: int
    returncode: int
    log: str = field(repr=False)

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def run_child(sb: Sandbox, argv: list[str], env: dict[str, str]) -> ChildRun:
    """Run `argv` with `env`; `os.wait4` gives this child's own rusage, not all children's."""
    before = sb.stats()
    with tempfile.TemporaryFile("w+") as log:
        began = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - began
        proc.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        text = log.read()
    after = sb.stats()
    return ChildRun(
        wall_s=wall,
        peak_rss_mib=usage.ru_maxrss / 1024,  # Linux reports KiB
        requests=after["requests"] - before["requests"],
        by_path=_delta(after["by_path"], before["by_path"]),
        status_429=after.get("429", 0) - before.get("429", 0),
        returncode=proc.returncode,
        log=text,
    )


@dataclass
class Workspace:
    """A DuckDB file, a Dagster home on tmpfs and the environment the CLI reads."""

    folder: Path
    env: dict[str, str]

    @property
    def database(self) -> Path:
        return self.folder / "calendly.duckdb"

    def sync(self, sb: Sandbox, first: date, last: date, profile: Path | None = None) -> ChildRun:
        """`calendly-pipeline sync`; with `profile`, under pyinstrument (main thread, text)."""
        cli = [sys.executable, "-m", "calendly_pipeline.cli", "sync"]
        if profile is not None:
            cli[1:2] = ["-m", "pyinstrument", "-r", "text", "--show-all", "-o", str(profile),
                        "-m"]  # fmt: skip
        run = run_child(
            sb, [*cli, "--start", first.isoformat(), "--end", last.isoformat()], self.env
        )
        if not run.ok:
            raise SystemExit(f"sync {first}..{last} failed:\n{run.log[-3000:]}")
        return run


@contextmanager
def workspace(sb: Sandbox, start_date: date) -> Iterator[Workspace]:
    """Dagster's SQLite commits once per partition materialization, so its home goes on /dev/shm."""
    shm = Path("/dev/shm")
    folder = Path(tempfile.mkdtemp(prefix="calendly_bench_"))
    home = Path(tempfile.mkdtemp(prefix="dagster_home_", dir=shm if shm.is_dir() else folder))
    env = {
        **os.environ,
        "CALENDLY_API_BASE_URL": sb.base_url,
        "CALENDLY_API_TOKEN": sb.tokens["owner"],
        "CALENDLY_DATA_DIR": str(folder),
        "CALENDLY_DUCKDB_PATH": str(folder / "calendly.duckdb"),
        "CALENDLY_DASHBOARD_PATH": str(folder / "dashboard.html"),
        "CALENDLY_PII_SALT": "benchmark-salt",
        "CALENDLY_START_DATE": start_date.isoformat(),
        "DAGSTER_HOME": str(home),
    }
    try:
        yield Workspace(folder, env)
    finally:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


def pages(n: int) -> int:
    """List requests needed for `n` items at count=100 (an empty list still costs one)."""
    return max(1, math.ceil(n / PAGE))

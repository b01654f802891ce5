"""What `calendly-pipeline sync` prints where no one watches a terminal (issue 16): the real CLI in
a subprocess, its streams captured as CI, nohup or a scheduler would capture them.

- a bad setting is one line naming the variable, exit 2, before any run starts;
- a failed run is one line, never wrapped, naming the run and where its stack traces are;
- without a terminal each finished step prints a plain line, so a log shows the run is alive.
"""

from __future__ import annotations

import platform
import re
import subprocess
import time
from pathlib import Path

import pytest

from calendly_pipeline.cli import FIXED_MMAP_THRESHOLD, with_fixed_mmap_threshold
from calendly_pipeline.sandbox import Sandbox
from calendly_pipeline_tests.reliability.support import (
    SHORT,
    cli,
    cli_command,
    cli_env,
    dagster_home,
    data_dir,
    sync_args,
)

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _env(sb: Sandbox, **overrides: str | None) -> dict[str, str]:
    values: dict[str, str | None] = {
        "DAGSTER_HOME": str(dagster_home()),
        # Its own warehouse: a session fixture's CALENDLY_DUCKDB_PATH holds another organization.
        "CALENDLY_DATA_DIR": str(data_dir()),
        "CALENDLY_DUCKDB_PATH": None,
        "CALENDLY_DASHBOARD_PATH": None,
        "CALENDLY_API_BASE_URL": sb.base_url,
        "CALENDLY_API_TOKEN": sb.tokens["owner"],
        "CALENDLY_CLIENT_ID": None,
        "CALENDLY_CLIENT_SECRET": None,
        "CALENDLY_REFRESH_TOKEN": None,
        "COLUMNS": None,  # Rich falls back to 80 columns: the width a long line used to wrap at
    }
    return cli_env(**{**values, **overrides})


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CALENDLY_START_DATE", "2025/01/01"),
        ("CALENDLY_TRAILING_DAYS", "abc"),
        ("CALENDLY_HISTORY_DAYS", "a year"),
        ("CALENDLY_API_BASE_URL", "api.calendly.com"),
        ("CALENDLY_INVITEE_PII", "yes"),
        ("CALENDLY_USER_WEBHOOKS_EVERY_DAYS", "weekly"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable_before_the_run(
    tiny_sandbox: Sandbox, variable: str, value: str
) -> None:
    env = _env(tiny_sandbox, **{variable: value})
    done = cli(*sync_args(*SHORT), env=env)
    assert done.returncode == 2, done.stderr[-2000:]
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: "), line
    assert f"{variable}={value!r}" in line, line
    assert done.stdout == ""
    # Nothing ran: no run was recorded in the fresh DAGSTER_HOME.
    assert not (Path(env["DAGSTER_HOME"]) / "history").exists()


def test_a_date_outside_the_partitions_is_one_line_without_a_progress_bar(
    tiny_sandbox: Sandbox,
) -> None:
    done = cli("sync", "--start", "2001-01-01", env=_env(tiny_sandbox))
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: start date 2001-01-01 is before the first partition"), line
    assert "None" not in done.stderr


def test_a_failed_run_ends_with_one_unwrapped_line_naming_the_run(tiny_sandbox: Sandbox) -> None:
    done = cli(*sync_args(*SHORT), env=_env(tiny_sandbox, CALENDLY_API_TOKEN="wrong-token"))
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert "Traceback" not in done.stderr and 'File "' not in done.stderr
    failures = [line for line in lines if "failed" in line]
    assert len(failures) == 1, done.stderr
    last = lines[-1]
    assert failures == [last]
    assert last.startswith("sync failed: "), last
    assert re.search(rf"\(run {UUID}: .*`calendly-pipeline ui`", last), last
    assert last.endswith(")"), "the line was wrapped"


def test_without_a_terminal_each_finished_step_prints_a_line(tiny_sandbox: Sandbox) -> None:
    done = cli(*sync_args(*SHORT), env=_env(tiny_sandbox))
    assert done.returncode == 0, done.stderr[-3000:]
    steps = [line for line in done.stderr.splitlines() if line.startswith("step ")]
    assert steps, done.stderr
    counts = [re.match(r"step (\d+)/(\d+) done: \S+", line) for line in steps]
    assert all(counts), steps
    numbers = [int(match.group(1)) for match in counts if match]
    assert numbers == sorted(numbers) and numbers[-1] >= len(numbers)
    # No Rich bar drawn into a file: no box characters, no control sequences.
    assert "━" not in done.stderr and "\x1b" not in done.stderr


def test_version_and_help_read_as_plain_text() -> None:
    version = cli("--version", env=cli_env())
    assert version.returncode == 0
    assert re.fullmatch(r"calendly-pipeline \d+\.\d+\.\d+\S*\n", version.stdout), version.stdout
    for command in ("--help", "sync --help", "connect --help", "ui --help"):
        shown = cli(*command.split(), env=cli_env(COLUMNS="100"))
        assert shown.returncode == 0, shown.stderr
        assert "<bool>" not in shown.stdout, shown.stdout
        assert "│" not in shown.stdout, shown.stdout  # no Rich boxes around re-flowed text


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="a glibc tunable")
def test_sync_runs_with_glibcs_mmap_threshold_fixed_from_its_start(tiny_sandbox: Sandbox) -> None:
    """The run happens in the `sync` process, and glibc reads `MALLOC_MMAP_THRESHOLD_` only as a
    process starts: `sync` starts again with it (same process id) unless it is set."""
    env = _env(tiny_sandbox, **{FIXED_MMAP_THRESHOLD[0]: None})
    process = subprocess.Popen(
        cli_command(*sync_args(*SHORT)), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    wanted = "=".join(FIXED_MMAP_THRESHOLD).encode()
    environ = Path(f"/proc/{process.pid}/environ")
    deadline, seen = time.monotonic() + 60, False
    while not seen and process.poll() is None and time.monotonic() < deadline:
        seen = wanted in environ.read_bytes().split(b"\0")
        time.sleep(0.05)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-2000:]
    assert seen
    # A value of the user's own stands.
    assert with_fixed_mmap_threshold({FIXED_MMAP_THRESHOLD[0]: "262144"}) is None

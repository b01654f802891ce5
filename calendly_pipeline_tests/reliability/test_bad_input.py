"""Bad input through the command line: exit code, one error line that names the problem, no
traceback, no secret. The runs are independent, so they go concurrently in one fixture."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from calendly_pipeline_tests.pipeline.harness import pipeline
from calendly_pipeline_tests.reliability.support import (
    SHORT,
    cli,
    cli_env,
    dagster_home,
    error_line,
    secrets_of,
    sync_args,
)

BOGUS_TOKEN = "bogus-token-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c2e"


@dataclass(frozen=True)
class Case:
    args: list[str]
    env: dict[str, str | None]
    code: int
    prefix: str  # the CLI's error line starts with this
    names: tuple[str, ...]  # ... and names the problem with these words


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _immutable(folder: Path) -> bool:
    """Make `folder` refuse writes even for root; False if this machine cannot."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return True
    if shutil.which("chattr") is None:
        return False
    return subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0


def _cases(tmp: Path, tokens: dict[str, str]) -> dict[str, Case]:
    sync = sync_args(*SHORT)
    corrupt, foreign, readonly = tmp / "corrupt", tmp / "foreign", tmp / "readonly"
    for folder in (corrupt, foreign, readonly):
        folder.mkdir()
    (corrupt / "calendly.duckdb").write_bytes(b"this is not a database\n" * 100)
    (foreign / "calendly.duckdb").write_bytes(b"SQLite format 3\x00" + bytes(4080))
    db = "CALENDLY_DUCKDB_PATH"
    failed = "sync failed:"
    return {
        "invalid token": Case(
            sync, {"CALENDLY_API_TOKEN": BOGUS_TOKEN}, 1, failed, ("token invalid or revoked",)
        ),
        "non-admin token": Case(
            sync,
            {"CALENDLY_API_TOKEN": tokens["user"]},
            1,
            failed,
            ("admin or owner role required",),
        ),
        "wrong base URL": Case(
            sync,
            {
                "CALENDLY_API_BASE_URL": f"http://127.0.0.1:{_closed_port()}",
                "CALENDLY_HTTP_ATTEMPTS": "1",
            },
            1,
            failed,
            ("connection failed",),
        ),
        # Checked before the run (issue 16): exit 2, naming the variable that was set.
        "base URL not a URL": Case(
            sync,
            {"CALENDLY_API_BASE_URL": "api.calendly.com"},
            2,
            "error:",
            ("CALENDLY_API_BASE_URL='api.calendly.com' is not an http(s) URL",),
        ),
        "start after end": Case(
            ["sync", "--start", "2026-06-10", "--end", "2026-06-01"],
            {},
            2,
            "error:",
            ("start date 2026-06-10 is after end date 2026-06-01",),
        ),
        "partition in the future": Case(
            ["sync", "--start", "2026-06-01", "--end", "2099-01-01"],
            {},
            2,
            "error:",
            ("end date 2099-01-01 is in the future",),
        ),
        "corrupted DuckDB file": Case(
            sync,
            {db: str(corrupt / "calendly.duckdb")},
            1,
            failed,
            ("is text, not a DuckDB database",),
        ),
        "foreign DuckDB file": Case(
            sync,
            {db: str(foreign / "calendly.duckdb")},
            1,
            failed,
            ("is an SQLite database, not a DuckDB database",),
        ),
        "read-only data folder": Case(
            sync, {db: str(readonly / "calendly.duckdb")}, 1, failed, ("cannot write",)
        ),
    }


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[str, Case], dict[str, subprocess.CompletedProcess[str]], set[str]]]:
    tmp = tmp_path_factory.mktemp("bad_input")
    with pipeline(tmp) as p:
        cases = _cases(tmp, p.sandbox.tokens)
        readonly = tmp / "readonly"
        if not _immutable(readonly):
            cases.pop("read-only data folder")

        def run(case: Case) -> subprocess.CompletedProcess[str]:
            return cli(*case.args, env=cli_env(DAGSTER_HOME=str(dagster_home()), **case.env))

        try:
            with ThreadPoolExecutor(3) as pool:
                done = dict(zip(cases, pool.map(run, cases.values()), strict=True))
        finally:
            if os.geteuid() == 0 and shutil.which("chattr"):
                subprocess.run(["chattr", "-i", str(readonly)], check=False)
            readonly.chmod(0o755)
        yield cases, done, secrets_of(p.sandbox) | {BOGUS_TOKEN}


CASES = [
    "invalid token",
    "non-admin token",
    "wrong base URL",
    "base URL not a URL",
    "start after end",
    "partition in the future",
    "corrupted DuckDB file",
    "foreign DuckDB file",
    "read-only data folder",
]


@pytest.mark.parametrize("name", CASES)
def test_bad_input_gets_one_clear_line(
    name: str, outcomes: tuple[dict[str, Case], dict, set[str]]
) -> None:
    cases, done, secrets = outcomes
    if name not in cases:
        pytest.skip("running as root without a working `chattr +i`: cannot make a folder read-only")
    case, result = cases[name], done[name]
    assert result.returncode == case.code, result.stderr
    line = error_line(result, case.prefix)
    for words in case.names:
        assert words in line, f"{words!r} not in the error line {line!r}"
    output = result.stdout + result.stderr
    assert not [s for s in secrets if s in output], "a secret leaked into the CLI output"

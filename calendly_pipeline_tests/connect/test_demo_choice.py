"""The demo is a deployment chosen on purpose (issue 15 item 3), never a fallback: the real CLI
in a subprocess, as a user runs it.

- no credentials and no `--demo`: `sync` stops before any run with one line that names the
  variables to set and the demo command, exit 2, nothing written;
- `sync --demo`: one real Dagster run over the embedded sandbox, its data marked synthetic;
- `ui --demo`: the UI's code server binds the sandbox, so a run launched there reads it too.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from calendly_pipeline.connection_settings import NO_CREDENTIALS
from calendly_pipeline_tests.pipeline.test_webserver import (
    DAGSTER,
    LAUNCH,
    LOCATION,
    RUN_STATUS,
    _graphql,
    wait_for_location,
)
from calendly_pipeline_tests.reliability.support import (
    cli,
    cli_command,
    cli_env,
    dagster_home,
    data_dir,
)

CREDENTIALS = ("CALENDLY_API_TOKEN", "CALENDLY_CLIENT_ID", "CALENDLY_CLIENT_SECRET")


RESOURCE = """
query Resource($selector: ResourceSelector!) {
  topLevelResourceDetailsOrError(resourceSelector: $selector) {
    ... on ResourceDetails { resourceType }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _env(**overrides: str | None) -> dict[str, str]:
    """No credentials, no deployment chosen, a fresh data folder and DAGSTER_HOME; the demo's
    sandbox on a free port, not the shared default."""
    port = _free_port()
    values: dict[str, str | None] = {
        **dict.fromkeys(CREDENTIALS),
        "CALENDLY_REFRESH_TOKEN": None,
        "CALENDLY_API_BASE_URL": None,
        "CALENDLY_ENV": None,
        "CALENDLY_DUCKDB_PATH": None,
        "CALENDLY_DASHBOARD_PATH": None,
        "CALENDLY_DATA_DIR": str(data_dir()),
        "DAGSTER_HOME": str(dagster_home()),
        "CALENDLY_SANDBOX_PORT": str(port),
        "COLUMNS": None,
    }
    return cli_env(**{**values, **overrides})


def test_no_credentials_and_no_demo_is_one_line_naming_the_variables() -> None:
    env = _env()
    done = cli("sync", env=env)
    assert done.returncode == 2, done.stderr[-2000:]
    (line,) = done.stderr.splitlines()
    assert line == f"error: {NO_CREDENTIALS}"
    for name in (*CREDENTIALS, "CALENDLY_REFRESH_TOKEN", "calendly-pipeline sync --demo"):
        assert name in line
    assert done.stdout == ""
    # Nothing ran and nothing was written: no run recorded, no warehouse created.
    assert not (Path(env["DAGSTER_HOME"]) / "history").exists()
    assert not (Path(env["CALENDLY_DATA_DIR"]) / "calendly.duckdb").exists()


def test_sync_demo_runs_the_embedded_sandbox_on_purpose() -> None:
    env = _env(CALENDLY_START_DATE="2025-01-01")
    today = datetime.now(UTC).date()  # the demo's sandbox is as of today
    first, last = today - timedelta(days=2), today + timedelta(days=1)
    done = cli(
        "sync",
        "--demo",
        "--start",
        first.isoformat(),
        "--end",
        last.isoformat(),
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ALL DATA IS SYNTHETIC" in done.stderr
    database = Path(env["CALENDLY_DATA_DIR"]) / "calendly.duckdb"
    with duckdb.connect(str(database), read_only=True) as conn:
        ((synthetic,),) = conn.execute("SELECT is_synthetic FROM meta.warehouse_owner").fetchall()
        ((method,),) = conn.execute("SELECT method FROM meta.connection_status").fetchall()
        members = conn.execute("SELECT count(*) FROM raw.organization_memberships").fetchone()
    assert synthetic is True
    assert method == "sandbox (synthetic data)"
    assert members and members[0] > 0
    assert (Path(env["CALENDLY_DATA_DIR"]) / "dashboard.html").exists()
    # One Dagster run, recorded where `calendly-pipeline ui --demo` shows it.
    assert (Path(env["DAGSTER_HOME"]) / "history").exists()


@pytest.mark.skipif(not DAGSTER.exists(), reason="the dagster CLI is not installed in this venv")
def test_ui_demo_launches_runs_of_the_demo(tmp_path: Path) -> None:
    env = _env(DAGSTER_HOME=str(tmp_path / "dagster_home"))
    port = _free_port()
    log = tmp_path / "ui.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            cli_command("ui", "--demo", "--port", str(port)),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        wait_for_location(url, process, log)
        resource = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__"}
        details = _graphql(url, RESOURCE, {"selector": {**resource, "resourceName": "calendly"}})
        resource_type = details["topLevelResourceDetailsOrError"]["resourceType"]
        assert resource_type.endswith("SandboxCalendlyResource"), resource_type

        yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
        params = {
            "selector": {**resource, "jobName": "daily_sync"},
            "executionMetadata": {"tags": [{"key": "dagster/partition", "value": yesterday}]},
        }
        launched = _graphql(url, LAUNCH, {"params": params})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id, status = launched["run"]["runId"], "QUEUED"
        deadline = time.monotonic() + 400
        while status not in {"SUCCESS", "FAILURE", "CANCELED"} and time.monotonic() < deadline:
            time.sleep(3)
            status = _graphql(url, RUN_STATUS, {"runId": run_id})["runOrError"]["status"]
        assert status == "SUCCESS", log.read_text()[-3000:]
    finally:
        process.send_signal(signal.SIGTERM)  # `ui` stops its webserver, daemon and code server
        process.wait(timeout=60)
    database = Path(env["CALENDLY_DATA_DIR"]) / "calendly.duckdb"
    with duckdb.connect(str(database), read_only=True) as conn:
        ((synthetic,),) = conn.execute("SELECT is_synthetic FROM meta.warehouse_owner").fetchall()
    assert synthetic is True

"""`dagster dev` on workspace.yaml: the code location loads with every asset, job and schedule,
and a partition run launched through the webserver's GraphQL API succeeds."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from calendly_pipeline.dagster_home import INSTANCE_YAML
from calendly_pipeline.sandbox import Sandbox
from calendly_pipeline_tests.conftest import REPO_ROOT

DAGSTER = Path(sys.executable).parent / "dagster"
LOCATION = "calendly_pipeline"

REPOSITORY = """
{ repositoriesOrError { ... on RepositoryConnection { nodes {
    name
    location { name }
    assetNodes { assetKey { path } }
    jobs { name }
    schedules { name scheduleState { status } }
} } } }
"""
LOCATION_STATUS = """
{ workspaceOrError { ... on Workspace { locationEntries {
    name
    locationOrLoadError { __typename ... on PythonError { message } }
} } } }
"""
LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""
RUN_STATUS = """
query Status($runId: ID!) {
  runOrError(runId: $runId) { ... on Run { status } }
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_location(url: str, process: subprocess.Popen, log: Path, seconds: int = 180) -> None:
    """Until the webserver at `url` serves the code location; fails with the server's log."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            entries = _graphql(url, LOCATION_STATUS)["workspaceOrError"]["locationEntries"]
            if entries and entries[0]["locationOrLoadError"]:
                return
        except (requests.ConnectionError, requests.HTTPError):
            pass
        time.sleep(1)
    pytest.fail(
        f"the webserver did not serve the code location within {seconds} s:\n" + log.read_text()
    )


def _graphql(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = requests.post(url, json={"query": query, "variables": variables or {}}, timeout=30)
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


@pytest.fixture
def webserver_env(tmp_path: Path, tiny_sandbox: Sandbox) -> dict[str, str]:
    """The environment `dagster dev` runs in; the CLI runs in it too when a test shares a home."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_YAML)
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "CALENDLY_API_BASE_URL": tiny_sandbox.base_url,
        "CALENDLY_API_TOKEN": tiny_sandbox.tokens["owner"],
        "CALENDLY_DUCKDB_PATH": str(tmp_path / "calendly.duckdb"),
        "CALENDLY_DASHBOARD_PATH": str(tmp_path / "dashboard.html"),
        "CALENDLY_PII_SALT": "webserver-test",
        "CALENDLY_SEATS_PURCHASED": "40",
    }


@pytest.fixture
def dagster_dev(tmp_path: Path, webserver_env: dict[str, str]) -> Iterator[str]:
    env = webserver_env
    home = Path(env["DAGSTER_HOME"])
    port = _free_port()
    log = (tmp_path / "dagster_dev.log").open("w")
    process = subprocess.Popen(
        [str(DAGSTER), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        wait_for_location(url, process, tmp_path / "dagster_dev.log")
        yield url
    finally:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
        log.close()
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.skipif(not DAGSTER.exists(), reason="the dagster CLI is not installed in this venv")
def test_code_location_loads_and_a_partition_run_succeeds(dagster_dev: str) -> None:
    (entry,) = _graphql(dagster_dev, LOCATION_STATUS)["workspaceOrError"]["locationEntries"]
    assert entry["name"] == LOCATION
    assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", entry

    (repo,) = _graphql(dagster_dev, REPOSITORY)["repositoriesOrError"]["nodes"]
    from calendly_pipeline.definitions import defs

    expected = {k.to_user_string() for k in defs().resolve_asset_graph().get_all_asset_keys()}
    assert {"/".join(a["assetKey"]["path"]) for a in repo["assetNodes"]} == expected
    assert "daily_sync" in {j["name"] for j in repo["jobs"]}
    schedules = {s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]}
    assert schedules == {"daily_sync_schedule": "RUNNING"}

    params = {
        "selector": {
            "repositoryLocationName": LOCATION,
            "repositoryName": repo["name"],
            "jobName": "daily_sync",
        },
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": "2026-06-29"}]},
    }
    launched = _graphql(dagster_dev, LAUNCH, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    status = "QUEUED"
    deadline = time.monotonic() + 300
    while status not in {"SUCCESS", "FAILURE", "CANCELED"} and time.monotonic() < deadline:
        time.sleep(2)
        status = _graphql(dagster_dev, RUN_STATUS, {"runId": run_id})["runOrError"]["status"]
    assert status == "SUCCESS"


def test_definitions_validate() -> None:
    result = subprocess.run(
        [str(DAGSTER), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def test_pyproject_and_workspace_name_the_same_code_location() -> None:
    """`dagster dev` without -w prefers pyproject's [tool.dagster]; both must agree."""
    import tomllib

    import yaml

    tool = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]
    (entry,) = yaml.safe_load((REPO_ROOT / "workspace.yaml").read_text())["load_from"]
    module = entry["python_module"]
    assert tool["dagster"]["module_name"] == module["module_name"]
    assert tool["dg"]["project"]["code_location_target_module"] == module["module_name"]
    assert tool["dagster"]["code_location_name"] == module["location_name"] == LOCATION
    assert tool["dg"]["project"]["code_location_name"] == LOCATION

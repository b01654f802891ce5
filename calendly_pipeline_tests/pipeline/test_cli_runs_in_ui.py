"""A run of `calendly-pipeline sync` is one of daily_sync's runs in the Dagster UI (issue 16).

It carries the workspace's code-location origin: the job's Runs tab lists it, the Overview
timeline (which groups runs by their origin) draws it, and Re-execute finds the same code
location and the same job snapshot, so the UI raises no "may be a different version" warning.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from calendly_pipeline_tests.dashboard.conftest import browser
from calendly_pipeline_tests.pipeline.test_webserver import (
    DAGSTER,
    LOCATION,
    _graphql,
    dagster_dev,
    webserver_env,
)
from calendly_pipeline_tests.reliability.support import SHORT, cli_command, sync_args

__all__ = ["browser", "dagster_dev", "webserver_env"]  # fixtures

pytestmark = pytest.mark.browser
REPOSITORY = "__repository__"

RUNS = """
query Runs($filter: RunsFilter) {
  runsOrError(filter: $filter) { ... on Runs { results {
    runId status pipelineSnapshotId
    repositoryOrigin { repositoryName repositoryLocationName }
  } } }
}
"""
SCAFFOLD = """
query Scaffold($selector: PipelineSelector!) {
  runConfigSchemaOrError(selector: $selector) { ... on RunConfigSchema { rootDefaultYaml } }
}
"""
JOB = """
query Job($selector: PipelineSelector!) {
  pipelineOrError(params: $selector) { ... on Pipeline { pipelineSnapshotId } }
}
"""


def _cli_sync(url: str, env: dict[str, str]) -> str:
    """Run the real CLI in the webserver's DAGSTER_HOME; the id of the run it recorded."""
    done = subprocess.run(
        cli_command(*sync_args(*SHORT)), env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    cli_filter = {"tags": [{"key": "calendly/trigger", "value": "cli"}]}
    (run,) = _graphql(url, RUNS, {"filter": cli_filter})["runsOrError"]["results"]
    return run["runId"]


def _job_runs(url: str) -> list[dict[str, Any]]:
    """The runs the job's Runs tab asks for: by job name and the repository's label tag."""
    tag = {"key": ".dagster/repository", "value": f"{REPOSITORY}@{LOCATION}"}
    runs_filter = {"pipelineName": "daily_sync", "tags": [tag]}
    return _graphql(url, RUNS, {"filter": runs_filter})["runsOrError"]["results"]


@pytest.mark.skipif(not DAGSTER.exists(), reason="the dagster CLI is not installed in this venv")
def test_cli_run_is_a_run_of_the_workspace_job(
    dagster_dev: str, webserver_env: dict[str, str], browser: Any, tmp_path: Path
) -> None:
    run_id = _cli_sync(dagster_dev, webserver_env)

    runs = {run["runId"]: run for run in _job_runs(dagster_dev)}
    assert run_id in runs, "the CLI run is not among daily_sync's runs of this code location"
    run = runs[run_id]
    assert run["status"] == "SUCCESS"
    assert run["repositoryOrigin"] == {
        "repositoryName": REPOSITORY,
        "repositoryLocationName": LOCATION,
    }
    selector = {
        "repositoryLocationName": LOCATION,
        "repositoryName": REPOSITORY,
        "pipelineName": "daily_sync",
    }
    job = _graphql(dagster_dev, JOB, {"selector": selector})["pipelineOrError"]
    # Same origin and same snapshot: Re-execute shows no "different version" warning.
    assert run["pipelineSnapshotId"] == job["pipelineSnapshotId"]

    # The Launchpad's scaffold shows the settings README names, as this environment sets them.
    scaffold = _graphql(dagster_dev, SCAFFOLD, {"selector": selector})["runConfigSchemaOrError"]
    for line in ("seats_purchased: 40", "excluded_emails: []", "idle_days: 60", "trailing_days:"):
        assert line in scaffold["rootDefaultYaml"], scaffold["rootDefaultYaml"]

    # What a person sees: Jobs -> daily_sync -> Runs lists the run.
    base = dagster_dev.removesuffix("/graphql")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{base}/locations/{LOCATION}/jobs/daily_sync/runs")
        link = page.locator(f"a[href*='/runs/{run_id}']").first
        link.wait_for(timeout=60_000)
        page.screenshot(path=str(tmp_path / "job_runs.png"), full_page=True)
        page.goto(f"{base}/overview/activity/timeline")
        page.get_by_text("daily_sync").first.wait_for(timeout=60_000)
        page.screenshot(path=str(tmp_path / "timeline.png"), full_page=True)
    finally:
        page.close()

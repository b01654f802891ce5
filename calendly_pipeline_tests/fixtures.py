"""Session fixtures that need a real sync: one default-scale pipeline run shared by the tests
that only read its result (the manifest agreement test, the dashboard browser test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from calendly_pipeline.sandbox import SandboxConfig
from calendly_pipeline_tests.pipeline.harness import AS_OF, Pipeline, pipeline


@pytest.fixture(scope="session")
def synced_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """The default synthetic organization (seed 42), fully synced through Dagster. Read-only."""
    config = SandboxConfig(seed=42, as_of=AS_OF, scale="default", rate_limit_per_minute=0)
    with pipeline(tmp_path_factory.mktemp("synced_default"), config) as p:
        outcome = p.full_sync()
        assert outcome.success, outcome.error
        yield p


@pytest.fixture(scope="session")
def synced_duckdb(synced_pipeline: Pipeline) -> str:
    """Path of the DuckDB file written by `synced_pipeline`."""
    return str(synced_pipeline.database)


@pytest.fixture(scope="session")
def synced_dashboard(synced_pipeline: Pipeline) -> Path:
    """The dashboard.html the same run's `dashboard` asset wrote."""
    return synced_pipeline.folder / "dashboard.html"

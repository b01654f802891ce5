"""Shared fixtures: the official spec folder and one read-only tiny sandbox per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

# Daily partitions start here in every test run: a year fewer than PARTITIONS_START (settings.py).
os.environ.setdefault("CALENDLY_START_DATE", "2025-01-01")

from calendly_pipeline.sandbox import Sandbox, SandboxConfig, start_sandbox

pytest_plugins = ["calendly_pipeline_tests.fixtures"]

REPO_ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 6, 30)


@pytest.fixture(scope="session")
def spec_dir() -> Path:
    """`../shared/calendly-api` next to the repository, or `$CALENDLY_API_SPEC_DIR`."""
    env = os.environ.get("CALENDLY_API_SPEC_DIR")
    path = Path(env) if env else REPO_ROOT.parent / "shared" / "calendly-api"
    if not (path / "openapi.json").is_file():
        pytest.skip(
            f"Calendly API spec not found: {path / 'openapi.json'} is missing "
            "(put the spec in ../shared/calendly-api or set CALENDLY_API_SPEC_DIR)"
        )
    return path


@pytest.fixture(scope="session")
def tiny_sandbox() -> Iterator[Sandbox]:
    """A tiny org (seed 7, as of 2026-06-30, no rate limit). Treat it as read-only: tests that
    mutate the world, inject faults or need rate limits start their own sandbox."""
    cfg = SandboxConfig(seed=7, as_of=AS_OF, scale="tiny", rate_limit_per_minute=0)
    with start_sandbox(cfg) as sandbox:
        yield sandbox

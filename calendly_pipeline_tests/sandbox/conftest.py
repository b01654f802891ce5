"""A faulty sandbox per test module: each test sets its knobs, and they are cleared after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from calendly_pipeline.sandbox import FaultConfig, Sandbox, SandboxConfig, start_sandbox
from calendly_pipeline_tests.conftest import AS_OF


@pytest.fixture(scope="module")
def faulty() -> Iterator[Sandbox]:
    """One tiny sandbox for the module (read-only data; faults are the tests' to set)."""
    with start_sandbox(
        SandboxConfig(seed=21, as_of=AS_OF, scale="tiny", rate_limit_per_minute=0)
    ) as sb:
        yield sb


@pytest.fixture
def no_faults_after(faulty: Sandbox) -> Iterator[None]:
    yield
    faulty.set_faults(FaultConfig())

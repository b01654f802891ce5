"""Sandboxes for the client tests: real HTTP over a socket, no mocks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from calendly_pipeline.sandbox import FaultConfig, SandboxConfig, start_sandbox


@pytest.fixture(scope="package")
def sandbox() -> Iterator[Any]:
    """A tiny organization without a rate limit, shared by the read-only tests."""
    with start_sandbox(SandboxConfig(scale="tiny", rate_limit_per_minute=0)) as sb:
        yield sb


@pytest.fixture
def faulty(sandbox: Any) -> Iterator[Any]:
    """The shared sandbox; faults set by the test are switched off afterwards."""
    yield sandbox
    sandbox.set_faults(FaultConfig())


@pytest.fixture
def own_sandbox() -> Iterator[Any]:
    """A private sandbox for tests that revoke or expire tokens."""
    with start_sandbox(SandboxConfig(scale="tiny", rate_limit_per_minute=0)) as sb:
        yield sb

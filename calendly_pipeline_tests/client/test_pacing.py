"""Pacing from the rate-limit headers: a low budget is crossed with zero 429s."""

from __future__ import annotations

import itertools

import pytest

from calendly_pipeline.sandbox import SandboxConfig, start_sandbox
from calendly_pipeline_tests.client.support import make_client

BUDGET = 30  # requests per minute: low, so one window boundary is crossed in about a minute


@pytest.mark.slow
def test_low_budget_is_paced_across_a_window_with_zero_429s() -> None:
    config = SandboxConfig(scale="tiny", rate_limit_per_minute=BUDGET)
    with start_sandbox(config) as sb:
        with make_client(sb, max_workers=4) as client:
            me = client.get("/users/me")
            # More requests than one window allows, from four threads sharing one budget.
            calls = itertools.repeat(me["uri"], BUDGET + 6)
            results = list(client.fetch_all(client.get, calls))
            assert client.request_count == BUDGET + 7
        stats = sb.stats()
    assert [r["uri"] for r in results] == [me["uri"]] * (BUDGET + 6)
    assert stats["429"] == 0

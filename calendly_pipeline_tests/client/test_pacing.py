"""Pacing from the rate-limit headers: a low budget is crossed with zero 429s, and a burst of
429s is waited out until the advertised reset."""

from __future__ import annotations

import pytest

from calendly_pipeline.sandbox import FaultConfig, SandboxConfig, start_sandbox
from calendly_pipeline_tests.client.support import make_client

BUDGET = 120  # requests per minute: low, so one window boundary is crossed in about a minute
EXTRA = 8  # requests beyond one window's budget
BURST = 2  # 429s injected near the end of the first window


@pytest.mark.slow
def test_low_budget_is_paced_with_zero_429s_and_recovers_from_a_burst() -> None:
    config = SandboxConfig(scale="tiny", rate_limit_per_minute=BUDGET)
    with start_sandbox(config) as sb, make_client(sb, max_workers=4) as client:
        me = client.get("/users/me")
        steady: list[int] = []

        def call(i: int) -> dict:
            if i == BUDGET - EXTRA:
                steady.append(sb.stats().get("429", 0))
                sb.set_faults(FaultConfig(burst_429=BURST))
            return client.get(me["uri"])

        # More requests than one window allows, from four threads sharing one budget.
        results = list(client.fetch_all(call, range(BUDGET + EXTRA)))
        stats = sb.stats()
        assert client.request_count == 1 + BUDGET + EXTRA + BURST
    assert [r["uri"] for r in results] == [me["uri"]] * (BUDGET + EXTRA)
    assert steady == [0]  # paced: no 429 before the burst
    assert stats["429"] == BURST  # only the injected ones; each was waited out, then retried

"""5xx, dropped connections, malformed bodies and 429 bursts are survived; persistent faults end."""

from __future__ import annotations

import time
from typing import Any

import pytest

from calendly_pipeline.client import RateLimitExhausted, RetryPolicy, ServerError, TransportError
from calendly_pipeline.sandbox import FaultConfig
from calendly_pipeline_tests.client.support import make_client


def _all_events(client: Any, org: str) -> set[str]:
    return {e["uri"] for e in client.paginate("/scheduled_events", {"organization": org}, count=20)}


def test_intermittent_5xx_drops_and_malformed_bodies_recover(faulty: Any) -> None:
    with make_client(faulty) as client:
        org = client.caller().organization_uri
        start = client.request_count
        expected = _all_events(client, org)
        clean_requests = client.request_count - start
        faulty.set_faults(FaultConfig(error_rate=0.2, drop_rate=0.15, malformed_rate=0.1, seed=7))
        before = client.request_count
        got = _all_events(client, org)
        faulted_requests = client.request_count - before
    assert got == expected
    # Retries happened: the same pages took more requests than without faults.
    assert faulted_requests > clean_requests


@pytest.mark.parametrize(
    ("faults", "error"),
    [
        (FaultConfig(error_rate=1.0), ServerError),
        (FaultConfig(drop_rate=1.0), TransportError),
        (FaultConfig(malformed_rate=1.0), TransportError),
    ],
    ids=["5xx", "dropped", "malformed"],
)
def test_persistent_fault_fails_cleanly_after_bounded_retries(
    faulty: Any, faults: FaultConfig, error: type[Exception]
) -> None:
    policy = RetryPolicy(attempts=4, initial_wait=0.05, max_wait=0.2, deadline_seconds=10)
    with make_client(faulty, retry=policy) as client:
        me = client.get("/users/me")
        faulty.set_faults(faults)
        before = client.request_count
        started = time.monotonic()
        with pytest.raises(error) as caught:
            client.get(me["uri"])
        elapsed = time.monotonic() - started
        assert client.request_count - before == policy.attempts
    assert elapsed < policy.deadline_seconds
    assert caught.value.method == "GET"
    assert caught.value.path.startswith("/users/")


def test_429_beyond_the_allowance_is_rate_limit_exhausted(faulty: Any) -> None:
    # Recovery from a burst is covered in test_pacing (it has to wait out a real window).
    with make_client(faulty, retry=RetryPolicy(max_429=0)) as client:
        me = client.get("/users/me")
        faulty.set_faults(FaultConfig(burst_429=1))
        with pytest.raises(RateLimitExhausted) as caught:
            client.get(me["uri"])
    assert caught.value.status == 429
    assert str(caught.value).startswith("rate limit exhausted")

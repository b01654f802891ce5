"""Each fault knob, over real HTTP, and that faults spare /_sandbox and /oauth/token."""

from __future__ import annotations

import json
import time

import pytest
import requests

from calendly_pipeline.sandbox import FaultConfig, Sandbox
from calendly_pipeline_tests.sandbox.support import get, ok, org_uri

pytestmark = pytest.mark.usefixtures("no_faults_after")


def test_error_rate_gives_5xx_with_the_real_body(faulty: Sandbox) -> None:
    faulty.set_faults(FaultConfig(error_rate=1.0, seed=1))
    responses = [get(faulty, "/users/me") for _ in range(12)]
    assert {r.status_code for r in responses} <= {500, 502, 503}
    assert len({r.status_code for r in responses}) > 1
    assert responses[0].json()["title"] == "Internal Server Error"
    assert all("X-RateLimit-Limit" in r.headers for r in responses)
    faulty.set_faults(FaultConfig(error_rate=0.3, seed=2))
    codes = [get(faulty, "/users/me").status_code for _ in range(60)]
    assert 5 <= sum(c >= 500 for c in codes) <= 35 and codes.count(200) >= 25
    assert faulty.stats()["5xx"] >= 17


def test_fault_draws_are_seeded(faulty: Sandbox) -> None:
    runs = []
    for _ in range(2):
        faulty.set_faults(FaultConfig(error_rate=0.5, seed=7))
        runs.append([get(faulty, "/users/me").status_code for _ in range(20)])
    assert runs[0] == runs[1]


def test_latency(faulty: Sandbox) -> None:
    faulty.set_faults(FaultConfig(latency_ms=300, latency_rate=1.0))
    began = time.monotonic()
    assert get(faulty, "/users/me").status_code == 200
    assert time.monotonic() - began >= 0.3
    faulty.set_faults(FaultConfig())
    began = time.monotonic()
    get(faulty, "/users/me")
    assert time.monotonic() - began < 0.3


def test_drop_closes_the_socket_mid_body(faulty: Sandbox) -> None:
    faulty.set_faults(FaultConfig(drop_rate=1.0))
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(
            f"{faulty.base_url}/users/me",
            headers={"Authorization": f"Bearer {faulty.tokens['owner']}"},
            timeout=10,
        ).json()
    assert faulty.stats()["dropped"] >= 1
    faulty.set_faults(FaultConfig())
    assert get(faulty, "/users/me").status_code == 200


def test_burst_429_hits_the_next_n_requests(faulty: Sandbox) -> None:
    faulty.set_faults(FaultConfig(burst_429=3))
    codes = [get(faulty, "/users/me") for _ in range(5)]
    assert [r.status_code for r in codes] == [429, 429, 429, 200, 200]
    assert codes[0].headers["X-RateLimit-Remaining"] == "0"
    assert int(codes[0].headers["Retry-After"]) >= 1


def test_malformed_body_is_truncated_json(faulty: Sandbox) -> None:
    faulty.set_faults(FaultConfig(malformed_rate=1.0))
    response = get(faulty, "/users/me")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert int(response.headers["Content-Length"]) == len(response.content)


def test_repeat_page_token(faulty: Sandbox) -> None:
    org = org_uri(faulty)
    faulty.set_faults(FaultConfig(repeat_page_token=True))
    first = ok(faulty, "/scheduled_events", {"organization": org, "count": 5})
    token = first["pagination"]["next_page_token"]
    second = ok(faulty, "/scheduled_events", {"organization": org, "count": 5, "page_token": token})
    assert second["pagination"]["next_page_token"] == token
    assert second["collection"] != first["collection"]


def test_faults_spare_controls_and_oauth(faulty: Sandbox) -> None:
    faulty.set_faults(FaultConfig(error_rate=1.0, burst_429=5))
    assert requests.get(f"{faulty.base_url}/_sandbox/stats", timeout=10).status_code == 200
    assert (
        requests.post(f"{faulty.base_url}/_sandbox/counts", json={}, timeout=10).status_code == 200
    )
    app = faulty.oauth
    token = requests.post(
        f"{faulty.base_url}/oauth/token",
        timeout=10,
        data={
            "grant_type": "refresh_token",
            "refresh_token": app.refresh_token,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        },
    )
    assert token.status_code == 200


def test_fault_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="error_rate"):
        FaultConfig(error_rate=1.5)
    with pytest.raises(ValueError, match="latency_ms"):
        FaultConfig(latency_ms=-1)


def test_faults_can_target_one_route_and_shorten_retry_after(faulty: Sandbox) -> None:
    org = org_uri(faulty)
    faulty.set_faults(FaultConfig(error_rate=1.0, paths=("/scheduled_events/{uuid}/invitees",)))
    events = ok(faulty, "/scheduled_events", {"organization": org, "count": 2})["collection"]
    assert get(faulty, events[0]["uri"]).status_code == 200
    assert get(faulty, f"{events[0]['uri']}/invitees").status_code >= 500
    faulty.set_faults(FaultConfig(burst_429=1, retry_after_seconds=1))
    limited = get(faulty, "/users/me")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == limited.headers["X-RateLimit-Reset"] == "1"
    with pytest.raises(ValueError, match="retry_after_seconds"):
        FaultConfig(retry_after_seconds=0)

"""The knobs this suite added: path-scoped sandbox faults, short 429 storms, the read timeout."""

from __future__ import annotations

import pytest
import requests

from calendly_pipeline.connection_settings import ConnectionSettings
from calendly_pipeline.sandbox import FaultConfig, SandboxConfig, start_sandbox
from calendly_pipeline.settings import SettingsError
from calendly_pipeline_tests.pipeline.harness import AS_OF


def test_faults_hit_only_the_named_routes_and_429s_advertise_the_given_wait() -> None:
    config = SandboxConfig(seed=7, as_of=AS_OF, scale="tiny", rate_limit_per_minute=0)
    with start_sandbox(config) as sb:
        headers = {"Authorization": f"Bearer {sb.tokens['owner']}"}

        def get(path: str) -> requests.Response:
            return requests.get(sb.base_url + path, headers=headers, timeout=10)

        me = get("/users/me").json()["resource"]
        org = me["current_organization"]
        sb.set_faults(FaultConfig(error_rate=1.0, paths=("/groups",)))
        assert get("/users/me").status_code == 200
        assert get(f"/groups?organization={org}").status_code >= 500
        sb.set_faults(FaultConfig(burst_429=1, retry_after_seconds=2, paths=("/groups",)))
        assert get("/users/me").status_code == 200  # not targeted: the burst is still there
        limited = get(f"/groups?organization={org}")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == limited.headers["X-RateLimit-Reset"] == "2"
        assert get(f"/groups?organization={org}").status_code == 200


def test_read_timeout_setting() -> None:
    assert ConnectionSettings.from_env({"CALENDLY_HTTP_TIMEOUT": "0.5"}).http_timeout == 0.5
    assert ConnectionSettings.from_env({}).http_timeout == 30.0
    for bad in ("soon", "0"):
        with pytest.raises(SettingsError, match="CALENDLY_HTTP_TIMEOUT"):
            ConnectionSettings.from_env({"CALENDLY_HTTP_TIMEOUT": bad})
    with pytest.raises(ValueError, match="retry_after_seconds"):
        FaultConfig(retry_after_seconds=0)

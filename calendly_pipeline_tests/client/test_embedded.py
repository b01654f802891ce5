"""The embedded sandbox keeps its URIs from one demo run to the next."""

from __future__ import annotations

import pytest
import requests

from calendly_pipeline.connection import ENV_SANDBOX_PORT, connect

CREDENTIAL_VARS = (
    "CALENDLY_API_TOKEN",
    "CALENDLY_CLIENT_ID",
    "CALENDLY_CLIENT_SECRET",
    "CALENDLY_REFRESH_TOKEN",
    "CALENDLY_API_BASE_URL",
)


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, unused_port: int) -> int:
    for name in CREDENTIAL_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(ENV_SANDBOX_PORT, str(unused_port))
    return unused_port


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def organization_uri() -> str:
    with connect() as connection:
        assert connection.is_synthetic
        return connection.client.caller().organization_uri


def test_two_demo_runs_see_the_same_uris(no_credentials: int) -> None:
    first = organization_uri()
    assert first.startswith(f"http://127.0.0.1:{no_credentials}/")
    assert organization_uri() == first


def test_a_busy_port_falls_back_to_a_free_one(no_credentials: int) -> None:
    with connect() as holder:
        assert holder.client.base_url.endswith(f":{no_credentials}")
        with connect() as second:
            assert not second.client.base_url.endswith(f":{no_credentials}")
            me = requests.get(f"{second.client.base_url}/users/me", timeout=10)
            assert me.status_code == 401  # a real server answered on the fallback port

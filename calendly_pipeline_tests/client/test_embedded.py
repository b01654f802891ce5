"""The embedded sandbox keeps its URIs from one demo run to the next."""

from __future__ import annotations

import pytest
import requests

from calendly_pipeline.demo_connection import ENV_SANDBOX_PORT, connect_sandbox


@pytest.fixture
def demo_port(monkeypatch: pytest.MonkeyPatch, unused_port: int) -> int:
    monkeypatch.setenv(ENV_SANDBOX_PORT, str(unused_port))
    return unused_port


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def organization_uri() -> str:
    with connect_sandbox() as connection:
        assert connection.is_synthetic
        return connection.client.caller().organization_uri


def test_two_demo_runs_see_the_same_uris(demo_port: int) -> None:
    first = organization_uri()
    assert first.startswith(f"http://127.0.0.1:{demo_port}/")
    assert organization_uri() == first


def test_a_busy_port_falls_back_to_a_free_one(demo_port: int) -> None:
    with connect_sandbox() as holder:
        assert holder.client.base_url.endswith(f":{demo_port}")
        with connect_sandbox() as second:
            assert not second.client.base_url.endswith(f":{demo_port}")
            me = requests.get(f"{second.client.base_url}/users/me", timeout=10)
            assert me.status_code == 401  # a real server answered on the fallback port

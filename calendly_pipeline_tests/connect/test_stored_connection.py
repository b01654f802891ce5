"""After `connect`, runs use the stored connection: CALENDLY_CLIENT_ID (+ secret) and the store,
no refresh token in the environment; rotation keeps who connected; a refused refresh is
remembered and says to run `calendly-pipeline connect`; a new grant clears it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from calendly_pipeline.client import OAuthCredentials
from calendly_pipeline.client.errors import ReconnectNeeded
from calendly_pipeline.connection import connect
from calendly_pipeline.connection_settings import ConnectionSettings
from calendly_pipeline.sandbox import Sandbox, SandboxConfig, start_sandbox
from calendly_pipeline.settings import SettingsError
from calendly_pipeline_tests.conftest import AS_OF
from calendly_pipeline_tests.connect.support import new_grant

WHO = {"user_name": "Demo Owner", "connected_at": "2026-06-30T12:00:00+00:00", "scopes": []}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with start_sandbox(SandboxConfig(seed=13, as_of=AS_OF, scale="tiny")) as sb:
        yield sb


def _env(sb: Sandbox, store: Path) -> dict[str, str]:
    return {
        "CALENDLY_API_BASE_URL": sb.base_url,
        "CALENDLY_CLIENT_ID": sb.oauth.client_id,
        "CALENDLY_CLIENT_SECRET": sb.oauth.client_secret,
        "CALENDLY_OAUTH_STORE": str(store),
    }


def _save(sb: Sandbox, store: Path) -> None:
    granted = new_grant(sb)
    credentials = OAuthCredentials(sb.oauth.client_id, sb.oauth.client_secret, None, store)
    credentials.save_grant(granted["access_token"], granted["refresh_token"], 7200, WHO)


def _caller(sb: Sandbox, store: Path) -> str:
    """One run's first request, through the settings a run resolves from the environment."""
    with connect(ConnectionSettings.from_env(_env(sb, store))) as connection:
        return connection.client.caller().user_uri


def test_runs_use_the_stored_connection_and_remember_a_refusal(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    store = tmp_path / "oauth.json"
    with pytest.raises(SettingsError, match="run `calendly-pipeline connect`"):
        ConnectionSettings.from_env(_env(sandbox, store))
    _save(sandbox, store)
    settings = ConnectionSettings.from_env(_env(sandbox, store))
    assert settings.auth_method == "OAuth"
    first = json.loads(store.read_text())["refresh_token"]

    with connect(settings) as connection:
        owner = connection.client.caller().user_uri
        sandbox.world.expire_access_tokens()
        assert connection.client.caller().user_uri == owner  # refreshed once, from the store
    stored = json.loads(store.read_text())
    assert stored["refresh_token"] != first and stored["connection"] == WHO

    # A refused access token is refreshed too (the grant may still be good) ...
    sandbox.world.revoke_token(stored["access_token"])
    assert _caller(sandbox, store) == owner

    # ... and when the grant is gone, the run says to reconnect, and the store remembers since when.
    sandbox.world.revoke_grant()
    with pytest.raises(ReconnectNeeded, match="run `calendly-pipeline connect`"):
        _caller(sandbox, store)
    credentials = OAuthCredentials(sandbox.oauth.client_id, "", None, store)
    since = credentials.connection()["reconnect_needed_since"]
    with pytest.raises(ReconnectNeeded):
        _caller(sandbox, store)
    assert credentials.connection()["reconnect_needed_since"] == since  # the first refusal

    _save(sandbox, store)  # `calendly-pipeline connect` again
    assert "reconnect_needed_since" not in credentials.connection()
    assert _caller(sandbox, store) == owner

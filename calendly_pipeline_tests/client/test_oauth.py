"""OAuth: refresh once on expiry, persist the single-use refresh token, never lock two runs out."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from calendly_pipeline.client import AuthError, OAuthCredentials, ReconnectNeeded
from calendly_pipeline_tests.client.support import make_client


def _oauth(sb: Any, store: Path) -> OAuthCredentials:
    return OAuthCredentials(
        sb.oauth.client_id, sb.oauth.client_secret, sb.oauth.refresh_token, store_path=store
    )


def test_expired_access_token_is_refreshed_once_and_persisted(
    own_sandbox: Any, tmp_path: Path
) -> None:
    store = tmp_path / "data" / ".calendly_oauth.json"
    with make_client(own_sandbox, _oauth(own_sandbox, store)) as client:
        me = client.get("/users/me")
        first = json.loads(store.read_text())
        own_sandbox.world.expire_access_tokens()
        assert client.get("/users/me")["uri"] == me["uri"]
        second = json.loads(store.read_text())

    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    # Refresh tokens are single-use: each refresh stored a new one at once.
    assert first["refresh_token"] != own_sandbox.oauth.refresh_token
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]


def test_a_new_run_reuses_the_stored_rotation(own_sandbox: Any, tmp_path: Path) -> None:
    store = tmp_path / ".calendly_oauth.json"
    with make_client(own_sandbox, _oauth(own_sandbox, store)) as client:
        client.get("/users/me")
    own_sandbox.world.expire_access_tokens()
    # The environment still holds the original (now used) refresh token; the file wins.
    with make_client(own_sandbox, _oauth(own_sandbox, store)) as client:
        assert client.get("/users/me")["uri"]


def test_concurrent_runs_do_not_lock_each_other_out(own_sandbox: Any, tmp_path: Path) -> None:
    store = tmp_path / ".calendly_oauth.json"
    with make_client(own_sandbox, _oauth(own_sandbox, store)) as client:
        client.get("/users/me")
    own_sandbox.world.expire_access_tokens()
    # Separate processes, each seeded with the same environment, all hit the expiry at once.
    script = (
        "import sys\n"
        "from calendly_pipeline.client import CalendlyClient, OAuthCredentials\n"
        "base, cid, secret, refresh, store = sys.argv[1:]\n"
        "client = CalendlyClient(base, OAuthCredentials(cid, secret, refresh, store_path=store))\n"
        "print(client.get('/users/me')['uri'])\n"
    )
    args = [
        own_sandbox.base_url,
        own_sandbox.oauth.client_id,
        own_sandbox.oauth.client_secret,
        own_sandbox.oauth.refresh_token,
        str(store),
    ]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err.decode()[-500:] for _, err in results]
    assert len({out.strip() for out, _ in results}) == 1


def test_threads_of_one_client_refresh_once(own_sandbox: Any, tmp_path: Path) -> None:
    store = tmp_path / ".calendly_oauth.json"
    with make_client(own_sandbox, _oauth(own_sandbox, store), max_workers=4) as client:
        me = client.get("/users/me")
        rotated = json.loads(store.read_text())["refresh_token"]
        own_sandbox.world.expire_access_tokens()
        with ThreadPoolExecutor(4) as pool:
            uris = list(pool.map(lambda _: client.get("/users/me")["uri"], range(8)))
        after = json.loads(store.read_text())["refresh_token"]
    assert set(uris) == {me["uri"]}
    assert after != rotated
    # One refresh for all threads: the token before it is still the one the sandbox just used.
    own_sandbox.world.expire_access_tokens()
    with make_client(own_sandbox, _oauth(own_sandbox, store)) as client:
        assert client.get("/users/me")["uri"] == me["uri"]


def test_refused_refresh_asks_to_reconnect(own_sandbox: Any, tmp_path: Path) -> None:
    store = tmp_path / ".calendly_oauth.json"
    with make_client(own_sandbox, _oauth(own_sandbox, store)) as client:
        client.get("/users/me")
        own_sandbox.world.revoke_token(json.loads(store.read_text())["refresh_token"])
        own_sandbox.world.expire_access_tokens()
        with pytest.raises(ReconnectNeeded) as caught:
            client.get("/users/me")
    assert isinstance(caught.value, AuthError)
    assert str(caught.value).startswith("reconnect needed: the OAuth refresh was refused")
    assert caught.value.path == "/oauth/token"


def test_incomplete_oauth_trio_names_the_missing_part(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="client_secret is empty"):
        OAuthCredentials("id", "", "refresh", store_path=tmp_path / "x.json")

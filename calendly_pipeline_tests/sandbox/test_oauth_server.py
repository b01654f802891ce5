"""The sandbox's authorization server over real HTTP: login and consent pages, PKCE-checked,
single-use, 10-minute codes for loopback redirects on any port, revoke, and the grant controls."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from calendly_pipeline.client.oauth_flow import ConnectFailed, Pkce, authorize_url, exchange_code
from calendly_pipeline.sandbox import Sandbox, SandboxConfig, start_sandbox
from calendly_pipeline_tests.conftest import AS_OF
from calendly_pipeline_tests.connect.support import (
    REDIRECT,
    authorize,
    exchange,
    new_grant,
    ticket_of,
)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with start_sandbox(SandboxConfig(seed=5, as_of=AS_OF, scale="tiny")) as sb:
        yield sb


def test_allow_issues_a_single_use_code_checked_by_pkce(sandbox: Sandbox) -> None:
    pkce = Pkce()
    query = authorize(sandbox, pkce, "http://localhost:61234/callback")
    assert query["state"] == pkce.state
    wrong = exchange(sandbox, query["code"], Pkce().verifier, "http://localhost:61234/callback")
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    assert "PKCE" in wrong.json()["error_description"]
    # A refused exchange spends the code, as a replayed one would.
    again = exchange(sandbox, query["code"], pkce.verifier, "http://localhost:61234/callback")
    assert "already used" in again.json()["error_description"]

    query = authorize(sandbox, pkce)
    mismatch = exchange(sandbox, query["code"], pkce.verifier, "http://127.0.0.1:1/callback")
    assert "redirect_uri" in mismatch.json()["error_description"]

    query = authorize(sandbox, pkce)
    granted = exchange(sandbox, query["code"], pkce.verifier)
    assert granted.status_code == 200, granted.text
    body = granted.json()
    assert (
        body["scope"].split()
        == parse_qs(urlsplit(authorize_url(sandbox.base_url, "x", REDIRECT, pkce)).query)["scope"][
            0
        ].split()
    )
    me = requests.get(
        f"{sandbox.base_url}/users/me",
        headers={"Authorization": f"Bearer {body['access_token']}"},
        timeout=10,
    )
    assert me.json()["resource"]["uri"] == body["owner"]


def test_codes_live_ten_minutes(sandbox: Sandbox) -> None:
    pkce = Pkce()
    query = authorize(sandbox, pkce)
    sandbox.world.advance(hours=0.2)  # 12 minutes of the simulated clock
    late = exchange(sandbox, query["code"], pkce.verifier)
    assert "expired" in late.json()["error_description"]


def test_the_client_reports_a_refused_code_in_one_line_without_secrets(sandbox: Sandbox) -> None:
    pkce = Pkce()
    code = authorize(sandbox, pkce)["code"]
    forged = Pkce()
    with pytest.raises(ConnectFailed) as caught:
        exchange_code(
            requests.post,
            sandbox.base_url,
            sandbox.oauth.client_id,
            sandbox.oauth.client_secret,
            code,
            REDIRECT,
            forged,
        )
    message = str(caught.value)
    assert "PKCE" in message and "nothing was stored" in message and "\n" not in message
    assert not any(s in message for s in (code, forged.verifier, sandbox.oauth.client_secret))


def test_deny_and_typed_email(sandbox: Sandbox) -> None:
    pkce = Pkce()
    denied = authorize(sandbox, pkce, decision="deny")
    assert (denied["error"], denied["state"]) == ("access_denied", pkce.state)
    assert "code" not in denied
    member = sandbox.manifest()["members"][-1]
    query = authorize(sandbox, pkce, email=member["email"])
    body = exchange(sandbox, query["code"], pkce.verifier).json()
    assert body["owner"] == member["user_uri"]


def test_unregistered_redirects_and_unknown_people_are_refused_on_the_page(
    sandbox: Sandbox,
) -> None:
    pkce = Pkce()
    for redirect in ("https://evil.example/callback", "http://10.0.0.1:80/callback"):
        page = requests.get(
            authorize_url(sandbox.base_url, sandbox.oauth.client_id, redirect, pkce),
            allow_redirects=False,
            timeout=10,
        )
        assert page.status_code == 400 and "redirect_uri" in page.text
    page = requests.get(authorize_url(sandbox.base_url, "someone-else", REDIRECT, pkce), timeout=10)
    assert page.status_code == 400
    login = requests.get(authorize_url(sandbox.base_url, sandbox.oauth.client_id, REDIRECT, pkce))
    unknown = requests.post(
        f"{sandbox.base_url}/oauth/login",
        data={"ticket": ticket_of(login), "email": "nobody@nowhere.example"},
        timeout=10,
    )
    assert unknown.status_code == 400 and "nobody@nowhere.example" in unknown.text


def _refresh(sb: Sandbox, refresh_token: str) -> requests.Response:
    return requests.post(
        f"{sb.base_url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": sb.oauth.client_id,
            "client_secret": sb.oauth.client_secret,
        },
        timeout=10,
    )


def _me(sb: Sandbox, access: str) -> int:
    headers = {"Authorization": f"Bearer {access}"}
    return requests.get(f"{sb.base_url}/users/me", headers=headers, timeout=10).status_code


def test_revoke_endpoint_and_grant_controls(sandbox: Sandbox) -> None:
    grant = new_grant(sandbox)
    revoked = requests.post(
        f"{sandbox.base_url}/oauth/revoke",
        data={
            "token": grant["refresh_token"],
            "client_id": sandbox.oauth.client_id,
            "client_secret": sandbox.oauth.client_secret,
        },
        timeout=10,
    )
    assert revoked.status_code == 200
    assert _me(sandbox, grant["access_token"]) == 401
    assert _refresh(sandbox, grant["refresh_token"]).json()["error"] == "invalid_grant"

    grant = new_grant(sandbox)
    control = requests.post(f"{sandbox.base_url}/_sandbox/revoke_grant", json={}, timeout=10)
    assert control.json()["result"] == 2
    assert _me(sandbox, grant["access_token"]) == 401

    grant = new_grant(sandbox)
    assert sandbox.world.expire_refresh_tokens() >= 1
    assert _me(sandbox, grant["access_token"]) == 200  # access lives on until its expiry
    assert _refresh(sandbox, grant["refresh_token"]).json()["error"] == "invalid_grant"

"""Every error kind names the problem, carries method, sanitized path and status, never a token."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from calendly_pipeline.client import (
    AdminRequired,
    AuthError,
    BadRequest,
    CalendlyClient,
    NotFound,
    PersonalAccessToken,
    PlanFeatureUnavailable,
    TransportError,
)
from calendly_pipeline.sandbox import SandboxConfig, start_sandbox
from calendly_pipeline_tests.client.support import FAST_RETRY, make_client


def test_missing_token_is_refused_before_any_request() -> None:
    with pytest.raises(AuthError) as caught:
        PersonalAccessToken("   ")
    assert caught.value.kind == "missing"
    assert "CALENDLY_API_TOKEN" in str(caught.value)


def test_unknown_token_is_invalid_or_revoked(sandbox: Any) -> None:
    with make_client(sandbox, PersonalAccessToken("not-a-real-token")) as client:
        with pytest.raises(AuthError) as caught:
            client.get("/users/me")
        assert client.request_count == 1  # 401 is never retried
    err = caught.value
    assert err.kind == "invalid_or_revoked"
    assert (err.method, err.path, err.status) == ("GET", "/users/me", 401)
    assert str(err).startswith("token invalid or revoked: create a new personal access token")


def test_revoked_token_is_invalid_or_revoked(own_sandbox: Any) -> None:
    token = own_sandbox.tokens["admin"]
    with make_client(own_sandbox, PersonalAccessToken(token)) as client:
        client.get("/users/me")
        own_sandbox.world.revoke_token(token)
        with pytest.raises(AuthError) as caught:
            client.get("/users/me")
    assert caught.value.kind == "invalid_or_revoked"


def test_expired_access_token_without_refresh_says_expired(own_sandbox: Any) -> None:
    # An OAuth access token used on its own cannot be refreshed: the error must say "expired".
    response = requests.post(
        f"{own_sandbox.base_url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": own_sandbox.oauth.refresh_token,
            "client_id": own_sandbox.oauth.client_id,
            "client_secret": own_sandbox.oauth.client_secret,
        },
        timeout=10,
    )
    access = response.json()["access_token"]
    own_sandbox.world.expire_access_tokens()
    client = make_client(own_sandbox, PersonalAccessToken(access))
    with client, pytest.raises(AuthError) as caught:
        client.get("/users/me")
    assert caught.value.kind == "expired"
    assert str(caught.value).startswith(
        "token expired: create a new personal access token or reconnect OAuth"
    )


def test_org_scope_read_by_a_plain_user_names_the_admin_scope(sandbox: Any) -> None:
    with make_client(sandbox, PersonalAccessToken(sandbox.tokens["user"])) as client:
        caller = client.caller()
        assert caller.role == "user" and not caller.is_admin
        with pytest.raises(AdminRequired) as caught:
            client.get("/scheduled_events", {"organization": caller.organization_uri})
        # User scope still works for the same token.
        own = list(client.paginate("/scheduled_events", {"user": caller.user_uri}))
    assert caught.value.scope == "organization-wide scheduled events"
    assert "admin or owner role required to read organization-wide scheduled events" in str(
        caught.value
    )
    assert caught.value.status == 403
    assert all(caller.user_uri in str(e["event_memberships"]) for e in own)


@pytest.mark.parametrize(
    ("path", "extra", "feature", "plan"),
    [
        ("/activity_log_entries", {}, "activity log", "Enterprise"),
        ("/outgoing_communications", {}, "outgoing communications", "Enterprise"),
        ("/webhook_subscriptions", {"scope": "organization"}, "webhooks", "Standard"),
    ],
)
def test_plan_gate_names_the_feature(
    path: str, extra: dict[str, str], feature: str, plan: str
) -> None:
    config = SandboxConfig(scale="tiny", plan="basic", rate_limit_per_minute=0)
    with start_sandbox(config) as sb, make_client(sb) as client:
        org = client.caller().organization_uri
        with pytest.raises(PlanFeatureUnavailable) as caught:
            client.get(path, {"organization": org, **extra})
    assert caught.value.feature == feature
    assert caught.value.required_plan == plan
    assert str(caught.value).startswith(f"plan feature unavailable: {feature} needs the {plan}")


def test_bad_input_lists_each_parameter(sandbox: Any) -> None:
    with make_client(sandbox) as client:
        with pytest.raises(BadRequest) as caught:
            client.get("/scheduled_events", {"organization": "not-a-uri", "count": 5000})
        assert client.request_count == 1
    err = caught.value
    assert err.status == 400 and err.details
    assert "bad input:" in str(err)
    assert any(d.get("parameter") for d in err.details)
    assert all(str(d.get("parameter")) in str(err) for d in err.details if d.get("parameter"))


def test_not_found_is_not_retried(sandbox: Any) -> None:
    with make_client(sandbox) as client:
        with pytest.raises(NotFound) as caught:
            client.get("/scheduled_events/AAAAAAAAAAAAAAAAAAAAAAAA")
        assert client.request_count == 1
    assert caught.value.status == 404
    assert caught.value.path == "/scheduled_events/AAAAAAAAAAAAAAAAAAAAAAAA"
    assert str(caught.value).startswith("not found:")


def test_error_path_is_sanitized(sandbox: Any) -> None:
    client = make_client(sandbox, PersonalAccessToken("nope"))
    with client, pytest.raises(AuthError) as caught:
        client.get("/scheduled_events", {"page_token": "SECRET-CURSOR", "organization": "x"})
    assert caught.value.path == "/scheduled_events"
    assert "SECRET-CURSOR" not in str(caught.value) + repr(caught.value)


def test_unreachable_host_is_a_transport_error() -> None:
    client = CalendlyClient("http://127.0.0.1:9", PersonalAccessToken("t"), retry=FAST_RETRY)
    with pytest.raises(TransportError) as caught:
        client.get("/users/me")
    assert caught.value.status is None
    assert client.request_count == FAST_RETRY.attempts
    assert "connection failed" in str(caught.value)


def test_absolute_uri_for_another_host_is_refused(sandbox: Any) -> None:
    with make_client(sandbox) as client:
        with pytest.raises(ValueError, match="refusing to send the token"):
            client.get("https://evil.example.com/users/me")
        assert client.request_count == 0

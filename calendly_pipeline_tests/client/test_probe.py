"""`check`: identity, role, readable lists and budget; a one-line cause and exit 1 when unusable."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from calendly_pipeline.cli import app
from calendly_pipeline.client import PersonalAccessToken
from calendly_pipeline.client.probe import check_connection
from calendly_pipeline.connection_settings import (
    NO_CREDENTIALS,
    ConnectionSettings,
    MissingCredentials,
    demo_chosen,
    validate_connection,
)
from calendly_pipeline.settings import SettingsError
from calendly_pipeline_tests.client.support import make_client

ENV_VARS = (
    "CALENDLY_API_TOKEN",
    "CALENDLY_CLIENT_ID",
    "CALENDLY_CLIENT_SECRET",
    "CALENDLY_REFRESH_TOKEN",
    "CALENDLY_API_BASE_URL",
    "CALENDLY_AUTH_BASE_URL",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    # Set, so that monkeypatch restores it: `--demo` sets CALENDLY_ENV in this process.
    monkeypatch.setenv("CALENDLY_ENV", "production")
    return monkeypatch


def test_owner_report_lists_everything_readable(sandbox: Any) -> None:
    with make_client(sandbox) as client:
        report = check_connection(client)
    manifest = sandbox.manifest()
    assert report.ok and report.cause is None
    assert report.caller and report.caller.role == "owner"
    assert report.organization_name == manifest["organization"]["name"]
    assert report.plan == manifest["organization"]["plan"]
    assert report.missing == ()
    assert {p.name for p in report.probes} >= {"members", "scheduled events", "activity log"}
    assert report.server_now is not None
    meta = report.to_metadata()
    assert meta["role"] == "owner" and meta["missing"] == {}


def test_plain_user_report_says_what_is_missing(sandbox: Any) -> None:
    with make_client(sandbox, PersonalAccessToken(sandbox.tokens["user"])) as client:
        report = check_connection(client)
    assert report.ok
    assert report.caller and report.caller.role == "user"
    missing = {p.name: p for p in report.missing}
    assert missing["scheduled events"].outcome == "admin_required"
    assert "admin or owner role required" in missing["scheduled events"].detail
    readable = {p.name for p in report.probes if p.readable}
    assert {"own scheduled events", "own event types"} <= readable


def test_cli_check_ok(sandbox: Any, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("CALENDLY_API_TOKEN", sandbox.tokens["admin"])
    clean_env.setenv("CALENDLY_API_BASE_URL", sandbox.base_url)
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert "role" in result.output and "admin" in result.output
    assert "rate budget" not in result.output or "/" in result.output
    assert sandbox.tokens["admin"] not in result.output


def test_cli_check_fails_with_one_line_cause(sandbox: Any, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("CALENDLY_API_TOKEN", "revoked-or-made-up")
    clean_env.setenv("CALENDLY_API_BASE_URL", sandbox.base_url)
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 1
    cause = [line for line in result.output.splitlines() if line.startswith("✗")]
    assert cause == [
        "✗ token invalid or revoked: create a new personal access token or reconnect OAuth"
    ]


def test_cli_check_partial_oauth_is_a_configuration_error(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("CALENDLY_CLIENT_ID", "abc")
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 2
    assert "CALENDLY_CLIENT_SECRET" in result.output and "CALENDLY_REFRESH_TOKEN" in result.output


def test_settings_from_env() -> None:
    oauth = ConnectionSettings.from_env(
        {"CALENDLY_CLIENT_ID": "i", "CALENDLY_CLIENT_SECRET": "s", "CALENDLY_REFRESH_TOKEN": "r"}
    )
    assert oauth.auth_method == "OAuth"
    assert oauth.base_url == "https://api.calendly.com"
    assert oauth.auth_base_url == "https://auth.calendly.com"
    local = ConnectionSettings.from_env(
        {"CALENDLY_API_TOKEN": "t", "CALENDLY_API_BASE_URL": "http://127.0.0.1:8765/"}
    )
    assert (local.base_url, local.auth_base_url) == ("http://127.0.0.1:8765",) * 2
    assert ConnectionSettings.from_env({}).credentials is None
    with pytest.raises(MissingCredentials, match="set CALENDLY_API_TOKEN"):
        ConnectionSettings.from_env({}).require_credentials()
    assert ConnectionSettings.from_env({"CALENDLY_HTTP_ATTEMPTS": "2"}).http_attempts == 2
    with pytest.raises(SettingsError, match="CALENDLY_HTTP_ATTEMPTS='two' is not a whole number"):
        ConnectionSettings.from_env({"CALENDLY_HTTP_ATTEMPTS": "two"})
    with pytest.raises(SettingsError, match="missing: CALENDLY_CLIENT_ID"):
        ConnectionSettings.from_env({"CALENDLY_REFRESH_TOKEN": "r", "CALENDLY_CLIENT_SECRET": "s"})


def test_the_demo_is_a_choice_never_a_fallback() -> None:
    assert not demo_chosen({}) and not demo_chosen({"CALENDLY_ENV": "production"})
    assert demo_chosen({"CALENDLY_ENV": "demo"})
    with pytest.raises(
        SettingsError, match="CALENDLY_ENV='staging' is not one of production, demo"
    ):
        demo_chosen({"CALENDLY_ENV": "staging"})
    validate_connection({"CALENDLY_ENV": "demo"})  # no credentials needed
    validate_connection({"CALENDLY_API_TOKEN": "t"})
    with pytest.raises(MissingCredentials):
        validate_connection({})


def test_cli_check_without_credentials_or_demo_says_what_to_set(
    clean_env: pytest.MonkeyPatch,
) -> None:
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 2, result.output
    assert result.output.strip() == f"✗ configuration: {NO_CREDENTIALS}"


def test_cli_check_demo_uses_the_sandbox_and_says_so(clean_env: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(app, ["check", "--demo"])
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC DATA: embedded sandbox" in result.output
    assert "sandbox (synthetic data)" in result.output

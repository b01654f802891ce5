"""CalendlyResource: secrets bound by variable name; the sandbox only when the demo is chosen
(loudly), and without credentials or the demo one line naming the variables to set."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from calendly_pipeline.connection_settings import (
    ENV_DEPLOYMENT,
    ENV_OAUTH_TRIO,
    ENV_TOKEN,
    NO_CREDENTIALS,
)
from calendly_pipeline.defs.resources import (
    CalendlyAPIResource,
    CalendlyResource,
    SandboxCalendlyResource,
)
from calendly_pipeline.defs.warehouse import Warehouse
from calendly_pipeline.demo_connection import DEMO_WARNING


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    names = (ENV_TOKEN, *ENV_OAUTH_TRIO, "CALENDLY_API_BASE_URL", "CALENDLY_AUTH_BASE_URL")
    for name in (*names, ENV_DEPLOYMENT):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _run(resource: CalendlyResource, folder: Path, ok: bool = True) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    @dg.asset
    def probe(calendly: CalendlyResource, duckdb: Warehouse) -> None:
        seen["caller"] = calendly.caller(duckdb)
        seen["api_host"] = calendly.get_client().base_url
        seen["synthetic"] = calendly.is_synthetic
        seen["now"] = calendly.get_client().server_now
        seen["attempts"] = calendly.get_client().retry.attempts

    warehouse = Warehouse(database=str(folder / "calendly.duckdb"))
    resources = {"calendly": resource, "duckdb": warehouse}
    result = dg.materialize([probe], resources=resources, raise_on_error=False)
    assert result.success is ok
    if not ok:
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        error = failure.step_failure_data.error.cause  # under Dagster's step wrapper
        seen["error"] = (error.cls_name, error.message.strip())
        return seen
    with duckdb.connect(warehouse.database, read_only=True) as conn:
        row = conn.execute("SELECT method FROM meta.connection_status").fetchone()
    seen["auth_method"] = row[0] if row else None
    return seen


def test_token_from_the_environment(
    sandbox: Any, no_credentials: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    no_credentials.setenv(ENV_TOKEN, sandbox.tokens["admin"])
    no_credentials.setenv("CALENDLY_API_BASE_URL", sandbox.base_url)
    no_credentials.setenv("CALENDLY_HTTP_ATTEMPTS", "3")
    resource = CalendlyResource.from_env()
    # Bound by name: run config and the UI see "CALENDLY_API_TOKEN", never the token.
    assert isinstance(resource.api_token, dg.EnvVar)
    assert resource.api_token == ENV_TOKEN
    seen = _run(resource, tmp_path)
    assert seen["synthetic"] is False
    assert seen["caller"].role == "admin"
    assert seen["api_host"] == sandbox.base_url
    assert seen["auth_method"] == "personal access token"
    assert seen["now"] is not None
    assert seen["attempts"] == 3


def test_the_demo_chosen_on_purpose_starts_the_sandbox_and_says_so(
    no_credentials: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.WARNING)
    no_credentials.setenv(ENV_DEPLOYMENT, "demo")
    no_credentials.setenv(ENV_TOKEN, "a-token-the-demo-does-not-use")
    resource = CalendlyResource.from_env()
    assert isinstance(resource, SandboxCalendlyResource)
    seen = _run(resource, tmp_path)
    assert seen["synthetic"] is True
    assert seen["api_host"].startswith("http://127.0.0.1:")
    assert seen["caller"].role == "owner"
    assert seen["auth_method"] == "sandbox (synthetic data)"
    assert DEMO_WARNING in caplog.text


def test_no_credentials_and_no_demo_fail_with_one_line_naming_the_variables(
    no_credentials: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Production never falls back to the sandbox: an unset variable is an error, not a demo."""
    resource = CalendlyResource.from_env()
    assert isinstance(resource, CalendlyAPIResource)
    assert "none set" in repr(resource)
    seen = _run(resource, tmp_path, ok=False)
    cls_name, message = seen["error"]
    assert cls_name == "MissingCredentials" and message.endswith(
        f"MissingCredentials: {NO_CREDENTIALS}"
    )
    assert "\n" not in message
    for name in (ENV_TOKEN, *ENV_OAUTH_TRIO, "--demo"):
        assert name in message
    assert not (tmp_path / "calendly.duckdb").exists(), "nothing is written without a connection"

"""CalendlyResource: secrets bound by variable name; the sandbox, loudly, when none are set."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from calendly_pipeline.connection import ENV_OAUTH_TRIO, ENV_TOKEN, SYNTHETIC_WARNING
from calendly_pipeline.defs.resources import CalendlyResource
from calendly_pipeline.defs.warehouse import Warehouse


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (ENV_TOKEN, *ENV_OAUTH_TRIO, "CALENDLY_API_BASE_URL", "CALENDLY_AUTH_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _run(resource: CalendlyResource, folder: Path) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    @dg.asset
    def probe(calendly: CalendlyResource, duckdb: Warehouse) -> None:
        seen["caller"] = calendly.caller(duckdb)
        seen["api_host"] = calendly.get_client().base_url
        seen["synthetic"] = calendly.is_synthetic
        seen["now"] = calendly.get_client().server_now
        seen["attempts"] = calendly.get_client().retry.attempts

    warehouse = Warehouse(database=str(folder / "calendly.duckdb"))
    assert dg.materialize([probe], resources={"calendly": resource, "duckdb": warehouse}).success
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


def test_no_credentials_start_the_sandbox_and_say_so(
    no_credentials: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.WARNING)
    resource = CalendlyResource.from_env()
    assert resource.api_token is None and resource.client_id is None
    seen = _run(resource, tmp_path)
    assert seen["synthetic"] is True
    assert seen["api_host"].startswith("http://127.0.0.1:")
    assert seen["caller"].role == "owner"
    assert SYNTHETIC_WARNING in caplog.text

"""A distinctive token goes through every path that might print it; it must appear nowhere."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from typer.testing import CliRunner

from calendly_pipeline.cli import app
from calendly_pipeline.client import CalendlyError, OAuthCredentials, PersonalAccessToken
from calendly_pipeline.client.probe import check_connection
from calendly_pipeline.defs.resources import CalendlyResource
from calendly_pipeline.sandbox import FaultConfig
from calendly_pipeline_tests.client.support import make_client

CANARY = "CANARY-tok-9f1c2e7d5b3a4c6e8d0f1a2b3c4d5e6f-do-not-leak"
CANARY_SECRET = "CANARY-secret-0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def _materialize_with(resource: CalendlyResource) -> str:
    """Run an asset that uses the resource; return the run's whole event log, serialized."""

    @dg.asset
    def connection(calendly: CalendlyResource) -> dg.MaterializeResult:
        report = check_connection(calendly.get_client(), is_synthetic=calendly.is_synthetic)
        calendly.get_client().get("/users/me")  # raises for the canary: the error is logged
        return dg.MaterializeResult(metadata=report.to_metadata())

    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [connection], resources={"calendly": resource}, instance=instance, raise_on_error=False
        )
        records = instance.all_logs(result.run_id)
        run = instance.get_run_by_id(result.run_id)
        return "\n".join(
            [dg.serialize_value(r) for r in records] + [repr(run.run_config), repr(resource)]
        )


def test_canary_token_appears_nowhere(
    faulty: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    def record(exc: BaseException) -> None:
        seen.extend([str(exc), repr(exc), repr(exc.__cause__), repr(exc.args)])

    # A personal access token the API refuses.
    pat = PersonalAccessToken(CANARY)
    with make_client(faulty, pat) as client:
        seen += [repr(client), repr(pat), str(pat)]
        try:
            client.get("/users/me", {"organization": "x"})
        except CalendlyError as exc:
            record(exc)
        report = check_connection(client)
        seen += [repr(report), str(report.to_metadata())]

    # OAuth whose secret and refresh token are canaries: the refresh is refused.
    oauth = OAuthCredentials("cid", CANARY_SECRET, CANARY, store_path=tmp_path / "o.json")
    with make_client(faulty, oauth) as client:
        seen += [repr(client), repr(oauth)]
        try:
            client.get("/users/me")
        except CalendlyError as exc:
            record(exc)

    # Network faults while the canary is the bearer token.
    faulty.set_faults(FaultConfig(drop_rate=1.0))
    with make_client(faulty, pat) as client:
        try:
            client.get("/users/me")
        except CalendlyError as exc:
            record(exc)
    faulty.set_faults(FaultConfig())

    # The terminal check, and a Dagster run whose resource reads the canary from the environment.
    monkeypatch.setenv("CALENDLY_API_TOKEN", CANARY)
    monkeypatch.setenv("CALENDLY_API_BASE_URL", faulty.base_url)
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 1
    seen.append(result.output)
    seen.append(_materialize_with(CalendlyResource.from_env()))

    seen += [r.getMessage() for r in caplog.records] + [caplog.text]
    text = "\n".join(seen)
    assert "token invalid or revoked" in text  # the paths above really ran
    assert "reconnect needed" in text
    assert CANARY not in text
    assert CANARY_SECRET not in text


def test_valid_token_stays_out_of_run_metadata_and_logs(
    sandbox: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    token = sandbox.tokens["owner"]
    monkeypatch.setenv("CALENDLY_API_TOKEN", token)
    monkeypatch.setenv("CALENDLY_API_BASE_URL", sandbox.base_url)
    log = _materialize_with(CalendlyResource.from_env())
    assert '\\"role\\": \\"owner\\"' in log or "owner" in log
    assert token not in log + caplog.text


def test_rotated_oauth_tokens_stay_out_of_logs_and_reprs(
    own_sandbox: Any, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    oauth = OAuthCredentials(
        own_sandbox.oauth.client_id,
        own_sandbox.oauth.client_secret,
        own_sandbox.oauth.refresh_token,
        store_path=tmp_path / ".calendly_oauth.json",
    )
    with make_client(own_sandbox, oauth) as client:
        client.get("/users/me")
        own_sandbox.world.expire_access_tokens()
        client.get("/users/me")  # refreshed once, rotated tokens stored
        shown = [repr(client), repr(oauth), repr(check_connection(client))]
    secrets = oauth.secrets()
    # Client secret, the seed refresh token, two rotations and two access tokens.
    assert len(secrets) >= 6
    text = "\n".join([*shown, caplog.text])
    assert "refreshed once" in text
    assert not [s for s in secrets if s in text]


def test_token_is_in_no_duckdb_table_after_a_sync(
    own_sandbox: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from calendly_pipeline.defs.analytics_assets import utilization_tables
    from calendly_pipeline.defs.event_assets import invitees, scheduled_events
    from calendly_pipeline.defs.org_assets import org_assets
    from calendly_pipeline.defs.partitions import range_tags
    from calendly_pipeline.defs.sync_settings import SyncSettings
    from calendly_pipeline.defs.warehouse import Warehouse
    from calendly_pipeline.storage import database, reads
    from calendly_pipeline.storage import raw_tables as rt

    token = own_sandbox.tokens["owner"]
    monkeypatch.setenv("CALENDLY_API_TOKEN", token)
    monkeypatch.setenv("CALENDLY_API_BASE_URL", own_sandbox.base_url)
    monkeypatch.setenv("CALENDLY_PII_SALT", "canary-test-salt")
    db = str(tmp_path / "canary.duckdb")
    as_of = own_sandbox.config.resolved_as_of
    first, last = as_of - timedelta(days=60), as_of + timedelta(days=30)
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [*org_assets, scheduled_events, invitees, utilization_tables],
            instance=instance,
            tags=range_tags(first.isoformat(), last.isoformat()),
            resources={
                "calendly": CalendlyResource.from_env(),
                "duckdb": Warehouse(database=db),
                "sync_settings": SyncSettings(),
            },
        )
        events = "\n".join(dg.serialize_value(r) for r in instance.all_logs(result.run_id))
    assert result.success
    assert token not in events
    with database.connection(db, read_only=True) as conn:
        for spec in (rt.USERS, rt.SCHEDULED_EVENTS, rt.INVITEES):
            assert reads.row_count(conn, spec)
        tables = [
            f"{schema}.{name}"
            for schema, name in conn.execute(
                "SELECT schema_name, table_name FROM duckdb_tables()"
            ).fetchall()
        ]

        def tables_containing(needle: str) -> list[str]:
            return [
                name
                for name in tables
                if conn.execute(f"SELECT * FROM {name}")
                .df()
                .astype(str)
                .apply(lambda col: col.str.contains(needle, regex=False))
                .any(axis=None)
            ]

        # The scan finds what is there (the organization URI), so an empty answer means something.
        org_uri = own_sandbox.manifest()["organization"]["uri"]
        assert "raw.organizations" in tables_containing(org_uri)
        assert tables_containing(token) == []

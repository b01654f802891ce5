"""No secret anywhere: the Dagster home (event log, compute logs, run config, asset metadata),
every DuckDB table, the dashboard, and the errors of the failing paths."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from calendly_pipeline.sandbox import FaultConfig
from calendly_pipeline_tests.pipeline.harness import Pipeline, environment, pipeline
from calendly_pipeline_tests.reliability.support import (
    EVENT_PAGES,
    INVITEE_PAGES,
    SHORT,
    oauth_env,
    secrets_of,
    served,
    when,
)

CANARY = "CANARY-tok-2b7e9d4f1a3c5e7b9d0f2a4c6e8b1d3f-do-not-leak"


def _table_text(database: Path) -> dict[str, str]:
    """Every table of the database, every column cast to text."""
    with duckdb.connect(str(database), read_only=True) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
        ).fetchall()
        return {
            f"{schema}.{name}": repr(
                conn.execute(
                    f'SELECT CAST(COLUMNS(*) AS VARCHAR) FROM "{schema}"."{name}"'
                ).fetchall()
            )
            for schema, name in tables
        }


def _dagster_text(p: Pipeline) -> dict[str, str]:
    """Run config, tags and every event (metadata included) of every run, plus every file
    under the Dagster home: event log and run storage, compute logs."""
    instance = p.instance
    found = {}
    for run in instance.get_runs():
        found[f"run {run.run_id} config"] = repr(run.run_config) + repr(run.tags)
        found[f"run {run.run_id} events"] = "\n".join(
            dg.serialize_value(entry) for entry in instance.all_logs(run.run_id)
        )
    for path in Path(instance.root_directory).rglob("*"):
        if path.is_file():
            found[str(path)] = path.read_bytes().decode("latin-1")
    return found


def test_no_secret_anywhere(tmp_path: Path) -> None:
    errors: list[str] = []
    with pipeline(tmp_path) as p, environment(**oauth_env(p, tmp_path)):
        world = p.sandbox.world
        assert p.sync(*SHORT).success  # OAuth: client secret, refresh and access tokens in play
        slow = FaultConfig(latency_ms=100, latency_rate=1.0, paths=(INVITEE_PAGES,))
        p.sandbox.set_faults(slow)
        with when(lambda: served(p.sandbox, INVITEE_PAGES) > 0, world.expire_access_tokens):
            assert p.sync(*SHORT).success  # refreshed mid-run

        # 401 mid-run: a revoked access token alone is refreshed, so the grant goes (reconnect).
        start = served(p.sandbox, INVITEE_PAGES)
        with when(lambda: served(p.sandbox, INVITEE_PAGES) > start, world.revoke_grant):
            errors.append(p.sync(*SHORT).error or "")
        p.sandbox.set_faults(FaultConfig())

        with environment(CALENDLY_API_TOKEN=CANARY):  # a token the API refuses
            errors.append(p.sync(*SHORT).error or "")
        with environment(CALENDLY_API_TOKEN=p.sandbox.tokens["owner"], CALENDLY_HTTP_ATTEMPTS="1"):
            p.sandbox.set_faults(FaultConfig(drop_rate=1.0, paths=(EVENT_PAGES,)))
            errors.append(p.sync(*SHORT).error or "")
            p.sandbox.set_faults(FaultConfig(error_rate=1.0, paths=(INVITEE_PAGES,)))
            errors.append(p.sync(*SHORT).error or "")
            p.sandbox.set_faults(FaultConfig())

        assert all(errors), errors  # every failing path did fail, with a message
        secrets = secrets_of(p.sandbox) | {CANARY}
        assert len(secrets) >= 6  # three PATs, the app secret, access and refresh tokens
        places = {
            **_dagster_text(p),
            **_table_text(p.database),
            "dashboard.html": (tmp_path / "dashboard.html").read_text(),
            **{f"error {i}": e for i, e in enumerate(errors)},
        }
        leaks = sorted(place for place, text in places.items() for s in secrets if s in text)
        assert leaks == [], f"secrets found in: {leaks}"

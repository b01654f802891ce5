"""A refresh refused in the middle of a run (its first requests worked) still reaches the
dashboard's connection card: the daily_sync job's failure hook records it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb

from calendly_pipeline.client import OAuthCredentials
from calendly_pipeline.sandbox import SandboxConfig
from calendly_pipeline_tests.connect.support import connect_env, new_grant
from calendly_pipeline_tests.pipeline.harness import AS_OF, environment, pipeline
from calendly_pipeline_tests.reliability.support import INVITEE_PAGES, served, when


def test_a_refusal_mid_run_marks_the_connection_card(tmp_path: Path) -> None:
    store = tmp_path / "oauth.json"
    config = SandboxConfig(seed=17, as_of=AS_OF, scale="tiny", rate_limit_per_minute=0)
    with pipeline(tmp_path, config) as p, environment(**connect_env(p.sandbox, store)):
        granted = new_grant(p.sandbox)
        credentials = OAuthCredentials(p.sandbox.oauth.client_id, "", None, store)
        credentials.save_grant(granted["access_token"], granted["refresh_token"], 7200, {"x": 1})
        # The grant goes while invitees load, after the run's first steps succeeded.
        with when(lambda: served(p.sandbox, INVITEE_PAGES) > 0, p.sandbox.world.revoke_grant):
            outcome = p.sync(AS_OF - timedelta(days=3), AS_OF + timedelta(days=1))
        assert not outcome.success
        assert "reconnect needed" in (outcome.error or "")
        with duckdb.connect(str(p.database), read_only=True) as conn:
            since, error = conn.execute(
                "SELECT reconnect_needed_since, last_error FROM meta.connection_status"
            ).fetchone()
        assert since is not None and "calendly-pipeline connect" in error

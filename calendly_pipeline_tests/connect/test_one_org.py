"""A warehouse belongs to one organization: another one, or synthetic data, is refused untouched.

Real syncs into one DuckDB file: organization A from one sandbox, then organization B from
another sandbox, then the demo's embedded (synthetic) sandbox (CALENDLY_ENV=demo). Both later
runs must fail before writing, with one line naming both organizations and the way out, and every
table of A must hold exactly what it held.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb

from calendly_pipeline.sandbox import SandboxConfig, start_sandbox
from calendly_pipeline_tests.connect.support import every_table
from calendly_pipeline_tests.pipeline.harness import AS_OF, environment, pipeline
from calendly_pipeline_tests.reliability.support import assert_clean_failure

ORG_B = SandboxConfig(seed=8, as_of=AS_OF, scale="tiny", rate_limit_per_minute=0)


def test_another_org_and_synthetic_data_are_refused_and_a_is_untouched(tmp_path: Path) -> None:
    with pipeline(tmp_path) as a:
        first, last = AS_OF - timedelta(days=3), AS_OF + timedelta(days=1)
        outcome = a.sync(first, last)
        assert outcome.success, outcome.error
        org_a = a.sandbox.world.data.org_name
        with duckdb.connect(str(a.database), read_only=True) as conn:
            owner = conn.execute(
                "SELECT org_uuid, is_synthetic FROM meta.warehouse_owner"
            ).fetchone()
        assert owner == (a.sandbox.world.org_uuid(), False)
        before = every_table(a.database)
        assert before["raw.scheduled_events"], "A's sync loaded no events to protect"

        with start_sandbox(ORG_B) as b:
            org_b = b.world.data.org_name
            assert org_b != org_a
            with environment(
                CALENDLY_API_BASE_URL=b.base_url, CALENDLY_API_TOKEN=b.tokens["owner"]
            ):
                refused = a.sync(first, last)
        assert not refused.success
        assert_clean_failure(
            refused.error,
            org_a,
            org_b,
            "refusing",
            "CALENDLY_DUCKDB_PATH",
            secrets={b.tokens["owner"]},
        )
        assert every_table(a.database) == before

        # The demo's embedded sandbox: synthetic data never goes into a real warehouse.
        with environment(CALENDLY_API_BASE_URL=None, CALENDLY_API_TOKEN=None, CALENDLY_ENV="demo"):
            synthetic = a.sync(first, last)
        assert not synthetic.success
        assert_clean_failure(
            synthetic.error, org_a, "synthetic", "real data", "CALENDLY_DUCKDB_PATH"
        )
        assert every_table(a.database) == before

        # A itself still syncs into its own warehouse.
        again = a.sync(first, last)
        assert again.success, again.error

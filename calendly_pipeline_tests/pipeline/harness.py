"""A real pipeline against a real sandbox: env vars, a DuckDB file and a Dagster instance.

The resources are built from the environment exactly as `dagster dev` builds them, so the
tests exercise EnvVar binding, the embedded-sandbox switch and the warehouse migrations too.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from calendly_pipeline.defs.sync_runner import SyncOutcome, run_sync
from calendly_pipeline.sandbox import Sandbox, SandboxConfig, start_sandbox

AS_OF = date(2026, 6, 30)


@contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """Set (None: unset) environment variables for the block; works in session fixtures too."""
    saved = {k: os.environ.get(k) for k in values}
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@dataclass
class Pipeline:
    sandbox: Sandbox
    folder: Path
    instance: dg.DagsterInstance

    @property
    def database(self) -> Path:
        return self.folder / "calendly.duckdb"

    @property
    def today(self) -> date:
        return datetime.fromtimestamp(self.sandbox.world.now_us / 1e6, UTC).date()

    def sync(
        self,
        first: date,
        last: date,
        *,
        budgeted: bool = False,
        **resources: dg.ConfigurableResource,
    ) -> SyncOutcome:
        """What `sync --start --end` runs: every invitee of the range, unless `budgeted` (as the
        schedule's runs are). `resources` replace the ones built from the environment."""
        from calendly_pipeline.definitions import build_defs
        from calendly_pipeline.defs.sync_runner import UNBUDGETED

        tags = None if budgeted else UNBUDGETED
        return run_sync(
            first, last, defs=build_defs(**resources), instance=self.instance, tags=tags
        )

    def launch(
        self, first: date, last: date, sync_settings: dict[str, Any]
    ) -> dg.ExecuteInProcessResult:
        """A `daily_sync` run over [first, last] with `sync_settings` run config, as the Launchpad
        launches one; a failure is in the result, not raised."""
        from calendly_pipeline.definitions import build_defs
        from calendly_pipeline.defs.partitions import range_tags

        return (
            build_defs()
            .resolve_job_def("daily_sync")
            .execute_in_process(
                instance=self.instance,
                tags=range_tags(first.isoformat(), last.isoformat()),
                run_config={"resources": {"sync_settings": {"config": sync_settings}}},
                raise_on_error=False,
            )
        )

    def full_sync(self) -> SyncOutcome:
        history = self.sandbox.config.resolved_scale.history_days
        return self.sync(AS_OF - timedelta(days=history + 1), AS_OF + timedelta(days=31))

    def daily_sync(self) -> SyncOutcome:
        """What the schedule runs: the trailing 7 days and the forward 30 around the API's today."""
        return self.sync(
            self.today - timedelta(days=7), self.today + timedelta(days=30), budgeted=True
        )

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.database), read_only=True) as conn:
            return conn.execute(sql, params or []).fetchall()

    def snapshot(self, table: str, order: str = "uri") -> list[tuple[Any, ...]]:
        """Every column but our own `synced_at`, so two syncs of the same data compare equal."""
        return self.query(f"SELECT * EXCLUDE (synced_at) FROM {table} ORDER BY {order}")


@contextmanager
def pipeline(
    folder: Path,
    config: SandboxConfig | None = None,
    env: Mapping[str, str | None] | None = None,
) -> Iterator[Pipeline]:
    """`env` adds to (None: removes from) the variables the sandbox pipeline sets."""
    config = config or SandboxConfig(seed=7, as_of=AS_OF, scale="tiny", rate_limit_per_minute=0)
    # Dagster's SQLite event log commits (fsync) once per partition materialization; on tmpfs
    # that is free, so a year of daily partitions costs the tests seconds instead of minutes.
    shm = Path("/dev/shm")
    home = tempfile.mkdtemp(prefix="dagster_home_", dir=shm if shm.is_dir() else folder)
    # The same pool limit as data/dagster_home's dagster.yaml: one DuckDB writer at a time.
    pools = {"concurrency": {"pools": {"granularity": "op", "default_limit": 1}}}
    with (
        start_sandbox(config) as sandbox,
        dg.instance_for_test(temp_dir=home, overrides=pools) as inst,
    ):
        base_env = {
            "CALENDLY_API_BASE_URL": sandbox.base_url,
            "CALENDLY_API_TOKEN": sandbox.tokens["owner"],
            "CALENDLY_DUCKDB_PATH": str(folder / "calendly.duckdb"),
            "CALENDLY_DASHBOARD_PATH": str(folder / "dashboard.html"),
            "CALENDLY_PII_SALT": "test-salt",
        }
        with environment(**{**base_env, **(env or {})}):
            yield Pipeline(sandbox, folder, inst)
    shutil.rmtree(home, ignore_errors=True)

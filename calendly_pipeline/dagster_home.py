"""DAGSTER_HOME under data/, so run history survives restarts and every entry point shares it."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import TYPE_CHECKING

from calendly_pipeline.settings import dagster_home

if TYPE_CHECKING:
    from dagster import DagsterInstance

DUCKDB_POOL = "calendly_duckdb"

# One slot per pool: DuckDB allows a single writing process, so every step that writes the
# database claims the `calendly_duckdb` pool and parallel runs queue instead of hitting a lock.
INSTANCE_YAML = """\
# Written by calendly-pipeline; edit freely, it is not overwritten.
concurrency:
  pools:
    granularity: op
    default_limit: 1
# A run whose worker process dies (OOM, kill -9) is marked failed and its pool slot freed,
# instead of holding the DuckDB pool for ever (the CLI does the same for its own runs).
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  poll_interval_seconds: 60
telemetry:
  enabled: false
"""


def open_instance() -> DagsterInstance:
    """The DAGSTER_HOME instance, created under a file lock.

    Dagster creates its SQLite schemas on first use; two syncs started at once on a new home
    would both run the migrations and leave two alembic heads behind.
    """
    from dagster import DagsterInstance

    home = ensure_dagster_home()
    with (home / ".instance.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            instance = DagsterInstance.get()
            # Touch every storage so each schema exists before the lock is released.
            instance.get_runs(limit=1)
            instance.all_instigator_state()
            instance.event_log_storage.get_asset_records([])
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return instance


def ensure_dagster_home() -> Path:
    """Create DAGSTER_HOME (default data/dagster_home) with our instance config; export it."""
    home = dagster_home().resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home

"""DAGSTER_HOME under data/, so run history survives restarts and every entry point shares it."""

from __future__ import annotations

import os
from pathlib import Path

from calendly_pipeline.settings import dagster_home

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


def ensure_dagster_home() -> Path:
    """Create DAGSTER_HOME (default data/dagster_home) with our instance config; export it."""
    home = dagster_home().resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home

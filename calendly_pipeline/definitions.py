"""The one `Definitions` object: `dagster dev`, `dg`, the CLI and the tests all load `defs`.

Nothing here runs at import: `defs` is a `@dg.definitions` function, called when Dagster loads
the code location (a run's own process loads it as the run starts) and by the CLI, so the
settings are read and checked then, and a mistake is a load error naming the variable.
"""

from __future__ import annotations

import dagster as dg

from calendly_pipeline.defs.analytics_assets import utilization_tables
from calendly_pipeline.defs.checks import asset_checks
from calendly_pipeline.defs.dashboard_asset import dashboard
from calendly_pipeline.defs.event_assets import invitees, scheduled_events
from calendly_pipeline.defs.jobs import (
    daily_sync,
    daily_sync_schedule,
    history_backfill,
    history_sync,
)
from calendly_pipeline.defs.org_assets import org_assets
from calendly_pipeline.defs.partitions import settings_partitions
from calendly_pipeline.defs.resources import CalendlyResource
from calendly_pipeline.defs.sync_settings import SyncSettings
from calendly_pipeline.defs.warehouse import Warehouse
from calendly_pipeline.settings import Settings


def build_defs(
    settings: Settings | None = None, **resources: dg.ConfigurableResource
) -> dg.Definitions:
    """The project's definitions for `settings` (default: the environment's, read now);
    resources come from the settings and the environment unless given here."""
    settings = settings or Settings.from_env()
    partitions = settings_partitions(settings)
    assets = dg.map_asset_specs(
        lambda spec: (
            spec.replace_attributes(partitions_def=partitions) if spec.partitions_def else spec
        ),
        [*org_assets, scheduled_events, invitees, utilization_tables, dashboard],
    )
    defaults: dict[str, dg.ConfigurableResource] = {
        "calendly": CalendlyResource.from_env(),
        "duckdb": Warehouse(
            database=settings.database, duckdb_memory_mib=settings.duckdb_memory_mib
        ),
        "sync_settings": SyncSettings.from_settings(settings),
    }
    return dg.Definitions(
        assets=assets,
        asset_checks=asset_checks,
        jobs=[daily_sync, history_sync],
        schedules=[daily_sync_schedule],
        sensors=[history_backfill],
        resources={**defaults, **resources},
        # One process per run: one HTTP session, one shared rate budget, one embedded sandbox.
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    """What workspace.yaml, `[tool.dagster]`/`[tool.dg]` and the CLI load (`defs()`)."""
    return build_defs()

"""The one `Definitions` object: `dagster dev`, `dg`, the CLI and the tests all load this."""

from __future__ import annotations

import dagster as dg

from calendly_pipeline.defs.analytics_assets import utilization_tables
from calendly_pipeline.defs.checks import asset_checks
from calendly_pipeline.defs.dashboard_asset import dashboard
from calendly_pipeline.defs.event_assets import invitees, scheduled_events
from calendly_pipeline.defs.jobs import daily_sync, daily_sync_schedule
from calendly_pipeline.defs.org_assets import org_assets
from calendly_pipeline.defs.resources import CalendlyResource
from calendly_pipeline.defs.settings import SyncSettings
from calendly_pipeline.defs.warehouse import Warehouse
from calendly_pipeline.settings import duckdb_database


def build_defs(**resources: dg.ConfigurableResource) -> dg.Definitions:
    """The project's definitions; resources come from the environment unless given here."""
    defaults: dict[str, dg.ConfigurableResource] = {
        "calendly": CalendlyResource.from_env(),
        "duckdb": Warehouse(database=duckdb_database()),
        "sync_settings": SyncSettings.from_env(),
    }
    return dg.Definitions(
        assets=[*org_assets, scheduled_events, invitees, utilization_tables, dashboard],
        asset_checks=asset_checks,
        jobs=[daily_sync],
        schedules=[daily_sync_schedule],
        resources={**defaults, **resources},
        # One process per run: one HTTP session, one shared rate budget, one embedded sandbox.
        executor=dg.in_process_executor,
    )


defs = build_defs()

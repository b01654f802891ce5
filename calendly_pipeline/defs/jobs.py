"""The daily sync job and its schedule."""

import dagster as dg

from calendly_pipeline.defs.partitions import daily_window, range_tags
from calendly_pipeline.defs.resources import record_auth_failure
from calendly_pipeline.defs.settings import SyncSettings

daily_sync = dg.define_asset_job(
    name="daily_sync",
    selection=dg.AssetSelection.all(),
    description="Refresh the organization-level tables, re-read the scheduled events and "
    "invitees of the trailing and forward window, then rebuild the utilization tables and the "
    "dashboard. Launch it over a partition range for a backfill.",
    hooks={record_auth_failure},
)


@dg.schedule(
    job=daily_sync,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day at 03:00 UTC: one run over the trailing window (default 7 days) and "
    "the forward window of upcoming meetings (default 30 days).",
)
def daily_sync_schedule(
    context: dg.ScheduleEvaluationContext, sync_settings: SyncSettings
) -> dg.RunRequest:
    # The partitions are the loaded definitions' (from the settings), and the trailing days the
    # resource's that the invitees asset re-reads by: one source for each window.
    partitions = context.repository_def.get_job(daily_sync.name).partitions_def
    today = context.scheduled_execution_time.date()
    first, last = daily_window(today, partitions, sync_settings.trailing_days)
    return dg.RunRequest(
        run_key=f"daily-{today.isoformat()}",
        tags={**range_tags(first, last), "calendly/trigger": "schedule"},
    )

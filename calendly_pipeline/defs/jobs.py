"""The daily sync job and its schedule; the history job and the sensor that fills the history in.

A first sync (no event partition materialized yet) reads the value window only: the idle and
adoption windows' meetings and the ones ahead, so utilization and the dashboard exist within
minutes. The `history_backfill` sensor then requests the older partitions a chunk at a time,
newest first, and runs that read the invitee backlog, one run at a time (docs/scaling.md,
"Progressive first sync").
"""

from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from calendly_pipeline.defs.event_assets import EVENTS_GROUP, INVITEE_BACKLOG
from calendly_pipeline.defs.partitions import daily_window, range_tags
from calendly_pipeline.defs.resources import record_auth_failure
from calendly_pipeline.defs.sync_settings import SyncSettings

EVENTS_KEY = dg.AssetKey(["raw", "scheduled_events"])
INVITEES_KEY = dg.AssetKey(["raw", "invitees"])
HISTORY_CHUNK_DAYS = 31  # partitions per history run the sensor requests
# Runs that hold (or wait for) the token's rate budget and the DuckDB pool.
ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
RETRY_AFTER = timedelta(hours=1)  # a failed history run is not asked again sooner

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
    "the forward window of upcoming meetings (default 30 days); the very first run reads the "
    "value window instead (the idle and adoption windows), the history_backfill sensor the rest.",
)
def daily_sync_schedule(
    context: dg.ScheduleEvaluationContext, sync_settings: SyncSettings
) -> dg.RunRequest:
    # The partitions are the loaded definitions' (from the settings), and the trailing days the
    # resource's that the invitees asset re-reads by: one source for each window.
    partitions = context.repository_def.get_job(daily_sync.name).partitions_def
    today = context.scheduled_execution_time.date()
    if first_sync(context.instance):
        first, last = value_window(today, partitions, sync_settings)
    else:
        first, last = daily_window(today, partitions, sync_settings.trailing_days)
    return dg.RunRequest(
        run_key=f"daily-{today.isoformat()}",
        tags={**range_tags(first, last), "calendly/trigger": "schedule"},
    )


history_sync = dg.define_asset_job(
    name="history_sync",
    selection=dg.AssetSelection.groups(EVENTS_GROUP).downstream(),
    description="The events and invitees of older partitions (and the invitee backlog, within "
    "the run's budget), then utilization and the dashboard again: what the history_backfill "
    "sensor requests after a first sync. The organization-level tables are not re-read.",
    hooks={record_auth_failure},
)


def first_sync(instance: dg.DagsterInstance) -> bool:
    """No event partition was ever materialized: the warehouse holds no meetings yet."""
    return not instance.get_materialized_partitions(EVENTS_KEY)


def value_window(
    today: date, partitions: dg.TimeWindowPartitionsDefinition, settings: SyncSettings
) -> tuple[str, str]:
    """What a first sync reads: the idle and adoption windows back (the meetings utilization
    and the dashboard need) and the forward days ahead."""
    lookback = max(settings.idle_days, settings.utilization().adoption_days)
    return daily_window(today, partitions, lookback)


def history_keys(
    today: date, partitions: dg.TimeWindowPartitionsDefinition, settings: SyncSettings
) -> list[str]:
    """The partitions a complete history holds: `history_days` back to the forward days ahead."""
    first, last = daily_window(today, partitions, settings.history_days)
    return [k for k in partitions.get_partition_keys() if first <= k <= last]


def next_history_range(
    keys: list[str], done: Collection[str], max_days: int | None = HISTORY_CHUNK_DAYS
) -> tuple[str, str] | None:
    """The newest run of consecutive partitions not materialized yet, at most `max_days` long
    (None: the whole run); None when every key is done."""
    missing = [i for i, key in enumerate(keys) if key not in done]
    if not missing:
        return None
    last = first = missing[-1]
    while (
        first > 0
        and keys[first - 1] not in done
        and (max_days is None or last - first + 1 < max_days)
    ):
        first -= 1
    return keys[first], keys[last]


def invitee_backlog(instance: dg.DagsterInstance) -> int:
    """Events still waiting for their invitees, as the last invitees step counted them."""
    record = instance.get_latest_materialization_event(INVITEES_KEY)
    if record is None or record.asset_materialization is None:
        return 0
    value = record.asset_materialization.metadata.get(INVITEE_BACKLOG)
    return int(value.value) if value is not None else 0


def history_request(
    instance: dg.DagsterInstance, keys: list[str], max_days: int | None = HISTORY_CHUNK_DAYS
) -> tuple[str, str] | None:
    """The range the next history run covers: the next older chunk of missing partitions,
    else, while invitees wait, the oldest partition alone (its run reads the backlog, newest
    first, within the budget, and re-lists one day of events); None when the history is done."""
    chunk = next_history_range(keys, instance.get_materialized_partitions(EVENTS_KEY), max_days)
    if chunk is None and invitee_backlog(instance) and keys:
        return keys[0], keys[0]
    return chunk


def _failed_recently(instance: dg.DagsterInstance) -> bool:
    """The last history run failed less than RETRY_AFTER ago: asking again at once would fail
    the same way (a refused token, a server down) every few minutes."""
    last = instance.get_run_records(dg.RunsFilter(job_name=history_sync.name), limit=1)
    if not last or last[0].dagster_run.status != dg.DagsterRunStatus.FAILURE:
        return False
    ended = last[0].end_time or 0
    return datetime.now(UTC).timestamp() - ended < RETRY_AFTER.total_seconds()


@dg.sensor(
    job=history_sync,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After a first sync, requests the older event history a chunk of partitions at a "
    "time, newest first, then runs that read the invitee backlog, until both are complete; never "
    "while another run is active, so runs share the token's rate budget and the DuckDB pool.",
)
def history_backfill(
    context: dg.SensorEvaluationContext, sync_settings: SyncSettings
) -> dg.RunRequest | dg.SkipReason:
    instance = context.instance
    if first_sync(instance):
        return dg.SkipReason("no first sync yet (the daily schedule or `sync` starts it)")
    if instance.get_runs_count(dg.RunsFilter(statuses=ACTIVE)):
        return dg.SkipReason("another run is active: one run at a time per token")
    if _failed_recently(instance):
        return dg.SkipReason(f"the last history run failed: the next try comes {RETRY_AFTER} later")
    partitions = context.repository_def.get_job(history_sync.name).partitions_def
    keys = history_keys(datetime.now(UTC).date(), partitions, sync_settings)
    chunk = history_request(instance, keys)
    if chunk is None:
        return dg.SkipReason("the event history and the invitees are complete")
    return dg.RunRequest(tags={**range_tags(*chunk), "calendly/trigger": "history"})

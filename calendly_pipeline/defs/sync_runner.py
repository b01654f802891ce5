"""Run the daily_sync job in this process, recorded in DAGSTER_HOME so the UI shows it later."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import dagster as dg

# Private, and no public equivalent in dagster 1.13 (issue 15 item 7 looked): `dg.execute_job`
# and `JobDefinition.execute_in_process` create their own run, without a code-location origin,
# so the UI would not list it among the job's runs (pipeline/test_cli_runs_in_ui.py), and
# `instance.submit_run`/`launch_run` need a workspace context (private too) and run out of
# process. So: `location_origins_from_yaml_paths` and the two origin classes build the origin
# `dagster dev -w workspace.yaml` gives the job; `create_execution_plan` is the plan
# `instance.create_run_for_job` records with it; `execute_run` (with `InMemoryJob`, the job as
# this process built it from the settings) executes that very run here.
from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.execution.api import create_execution_plan, execute_run
from dagster._core.remote_origin import RemoteJobOrigin, RemoteRepositoryOrigin
from dagster._core.workspace.load import location_origins_from_yaml_paths

from calendly_pipeline.dagster_home import open_instance
from calendly_pipeline.defs import jobs
from calendly_pipeline.defs.event_assets import UNBUDGETED_TAG
from calendly_pipeline.defs.partitions import range_tags
from calendly_pipeline.settings import PROJECT_ROOT

WORKSPACE = PROJECT_ROOT / "workspace.yaml"


class SyncRangeError(ValueError):
    """The requested date range cannot be synced; the message says why and what is allowed."""


@dataclass(frozen=True)
class SyncOutcome:
    run_id: str
    success: bool
    first_partition: str
    last_partition: str
    error: str | None
    row_counts: dict[str, int]


def partition_range(
    start: date | None, end: date | None, partitions: dg.PartitionsDefinition
) -> tuple[str, str]:
    """Validate a --start/--end pair against the partitions that exist (the loaded definitions',
    or `partitions.settings_partitions` of the same settings)."""
    keys = partitions.get_partition_keys()
    if not keys:
        raise SyncRangeError("no daily partitions exist yet (CALENDLY_START_DATE is in the future)")
    first = start.isoformat() if start else keys[0]
    last = end.isoformat() if end else keys[-1]
    if first > last:
        raise SyncRangeError(f"start date {first} is after end date {last}")
    if first < keys[0]:
        raise SyncRangeError(
            f"start date {first} is before the first partition {keys[0]} "
            "(set CALENDLY_START_DATE to reach further back)"
        )
    if last > keys[-1]:
        raise SyncRangeError(
            f"end date {last} is in the future beyond the last partition {keys[-1]} "
            "(today plus CALENDLY_FORWARD_DAYS)"
        )
    return first, last


def _first_failure(events: Sequence[dg.DagsterEvent]) -> str:
    for event in events:
        if event.is_step_failure and event.step_failure_data.error:
            error = event.step_failure_data.error
            # The user-code error is the cause; Dagster's wrapper only says which step failed.
            while (
                error.cause is not None and error.cls_name == "DagsterExecutionStepExecutionError"
            ):
                error = error.cause
            message = error.message.strip().splitlines()[0] if error.message else error.cls_name
            return f"{event.step_key}: {message}"
    return "the run failed (see the run's logs in the Dagster UI)"


# Dagster's console logger would print names and server messages raw, escape sequences and
# all; `run_sync` hands warnings to `on_warning` instead, for the CLI to print safely.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
PID_TAG, HOST_TAG = "calendly/pid", "calendly/host"
# The engine's warning for each step skipped after a failure: the failure line says it all.
SKIPPED_STEP = "Dependencies for step "


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def reclaim_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail the in-process runs whose process died (SIGKILL, OOM, power loss) and free their slots.

    An in-process run holds its `calendly_duckdb` pool slot until it ends; a killed process never
    ends it, so without this every later sync would wait for that slot forever.
    """
    runs = instance.get_runs(
        dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING],
            tags={HOST_TAG: socket.gethostname()},
        )
    )
    reclaimed = []
    for run in runs:
        pid = run.tags.get(PID_TAG, "")
        if pid.isdigit() and not _alive(int(pid)):
            instance.report_run_failed(run, f"the sync process (pid {pid}) died mid-run")
            # No public equivalent: the instance frees a run's slots only when the run ends
            # in its own process, and this run's process is gone.
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            reclaimed.append(run.run_id)
    return reclaimed


def workspace_job_origin(repository_name: str, job_name: str) -> RemoteJobOrigin:
    """The origin `dagster dev -w workspace.yaml` gives this job.

    A run that carries it is one of the job's runs in the UI: listed under Jobs -> <job> -> Runs
    and on the Overview timeline, and re-executed from the same code location.
    """
    (location,) = location_origins_from_yaml_paths([str(WORKSPACE)])
    return RemoteJobOrigin(RemoteRepositoryOrigin(location, repository_name), job_name)


def run_sync(
    start: date | None = None,
    end: date | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
    *,
    on_warning: Callable[[str], None] | None = None,
    defs: dg.Definitions,
    instance: dg.DagsterInstance | None = None,
    job_name: str = "daily_sync",
    tags: Mapping[str, str] | None = None,
) -> SyncOutcome:
    """Materialize the job's assets (`daily_sync`: every asset) over [start, end] in one run;
    report steps as they finish and the steps' warnings as they are logged (the messages are
    raw: names, server text).

    By default the run lands in DAGSTER_HOME (data/dagster_home); `defs` is the caller's (the
    CLI passes `build_defs(settings)`, exactly what `dagster dev` loads from the same settings).
    """
    job = defs.resolve_job_def(job_name)
    first, last = partition_range(start, end, job.partitions_def)
    if instance is None:
        instance = open_instance()
    reclaim_dead_runs(instance)

    run_id = str(uuid.uuid4())
    total = len(job.graph.nodes)
    stop = threading.Event()

    def watch() -> None:
        # Follow the run's event log with a cursor: the in-process run records every step there.
        # One last read after the run ends, so no warning of the final second is lost.
        cursor = None
        done = 0
        finished = False
        while not finished:
            finished = stop.wait(1.0)
            page = instance.get_records_for_run(run_id, cursor=cursor)
            cursor = page.cursor
            for record in page.records:
                entry = record.event_log_entry
                event = entry.dagster_event
                if event is not None and event.is_step_success:
                    done += 1
                warned = event is None and entry.level >= logging.WARNING
                if warned and on_warning and not entry.user_message.startswith(SKIPPED_STEP):
                    on_warning(entry.user_message)
                if on_progress is not None and (event is None or event.is_step_event):
                    message = entry.user_message if event is None else event.step_key or ""
                    on_progress(message, done, total)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        plan = create_execution_plan(job, run_config=QUIET_CONSOLE, instance_ref=instance.get_ref())
        run = instance.create_run_for_job(
            job_def=job,
            execution_plan=plan,
            run_id=run_id,
            run_config=QUIET_CONSOLE,
            tags={
                **job.run_tags,
                **(tags or {}),
                **range_tags(first, last),
                "calendly/trigger": "cli",
                PID_TAG: str(os.getpid()),
                HOST_TAG: socket.gethostname(),
            },
            remote_job_origin=workspace_job_origin(defs.get_repository_def().name, job.name),
        )
        result = execute_run(InMemoryJob(job), run, instance)
    finally:
        stop.set()
        watcher.join()
    counts = {
        event.asset_key.to_user_string(): int(
            event.materialization.metadata["dagster/row_count"].value
        )
        for event in result.get_asset_materialization_events()
        if "dagster/row_count" in event.materialization.metadata
    }
    return SyncOutcome(
        run_id=run_id,
        success=result.success,
        first_partition=first,
        last_partition=last,
        error=None if result.success else _first_failure(result.all_events),
        row_counts=counts,
    )


EVENTS_ROWS = "raw/scheduled_events"  # its row count is the run's window, not the table
UNBUDGETED = {UNBUDGETED_TAG: "true"}


def sync_progressively(
    first: date,
    last: date,
    on_progress: Callable[[str, int, int], None] | None = None,
    *,
    on_warning: Callable[[str], None] | None = None,
    defs: dg.Definitions,
    instance: dg.DagsterInstance | None = None,
    today: date,
) -> SyncOutcome:
    """What `sync` without dates runs, the whole of [first, last] in the end.

    A first sync (no event partition materialized) runs `daily_sync` over the value window
    within the invitee budget first, so utilization and the dashboard exist after minutes, then
    `history_sync` over the rest, newest first, with every invitee it needs (the user waits for
    the whole history; the `history_backfill` sensor does the same a chunk at a time within the
    budget), and reads what the budget left of the value window's invitees with it. A later
    sync is one `daily_sync` run over [first, last] with every invitee it needs.
    """
    instance = instance or open_instance()
    partitions = defs.resolve_job_def(jobs.daily_sync.name).partitions_def
    plan = [(jobs.daily_sync.name, first, last, UNBUDGETED)]
    if jobs.first_sync(instance):
        settings = defs.resources["sync_settings"]
        start = date.fromisoformat(jobs.value_window(today, partitions, settings)[0])
        rest = (jobs.history_sync.name, first, start - timedelta(days=1), UNBUDGETED)
        # A history shorter than the value window: its invitee backlog is read on its first day.
        rest = rest if first < start else (jobs.history_sync.name, first, first, UNBUDGETED)
        plan = [(jobs.daily_sync.name, max(first, start), last, {}), rest]
    outcomes: list[SyncOutcome] = []
    steps = _Steps(on_progress)
    for job_name, a, b, tags in plan:
        outcome = run_sync(
            a, b, steps, on_warning=on_warning, defs=defs, instance=instance,
            job_name=job_name, tags=tags,
        )  # fmt: skip
        outcomes.append(outcome)
        steps.next_run()
        if not outcome.success:
            break
    return _combined(outcomes)


class _Steps:
    """One progress count over several runs: each run's steps add to the ones before."""

    def __init__(self, report: Callable[[str, int, int], None] | None) -> None:
        self.report, self.before, self.total = report, 0, 0

    def __call__(self, message: str, done: int, total: int) -> None:
        self.total = total
        if self.report is not None:
            self.report(message, self.before + done, self.before + total)

    def next_run(self) -> None:
        self.before += self.total


def _combined(outcomes: list[SyncOutcome]) -> SyncOutcome:
    """One outcome for the runs: the event rows of disjoint ranges add up (a run over a range
    already counted, the backlog's, adds none); other tables count whole, the last run's."""
    counts: dict[str, int] = {}
    for number, outcome in enumerate(outcomes):
        seen = any(
            o.first_partition <= outcome.last_partition
            and outcome.first_partition <= o.last_partition
            for o in outcomes[:number]
        )
        for table, rows in outcome.row_counts.items():
            if table != EVENTS_ROWS:
                counts[table] = rows
            elif not seen:
                counts[table] = counts.get(table, 0) + rows
    failed = next((o for o in outcomes if not o.success), None)
    return SyncOutcome(
        run_id=(failed or outcomes[-1]).run_id,
        success=failed is None,
        first_partition=min(o.first_partition for o in outcomes),
        last_partition=max(o.last_partition for o in outcomes),
        error=failed.error if failed else None,
        row_counts=counts,
    )

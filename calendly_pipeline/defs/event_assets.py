"""Scheduled events and invitees, partitioned by event start day (UTC).

A run covers a range of partitions (one run per range, see `BackfillPolicy.single_run`). Events
are read month by month (`CalendlyAPI.scheduled_events`) and each month commits on its own, so
memory stays flat however long the range, and a failure leaves every month either fully old or
fully new. Paths, parameters and fan-out live in `client/api_events.py`; this module is wiring.
"""

import warnings
from collections import Counter
from datetime import datetime
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from calendly_pipeline.client.api import CalendlyAPI
from calendly_pipeline.client.api_events import EventMonth, InviteeBatch
from calendly_pipeline.dagster_home import DUCKDB_POOL
from calendly_pipeline.defs.metadata import OWNERS, definition_metadata, table_metadata
from calendly_pipeline.defs.partitions import daily_partitions
from calendly_pipeline.defs.quarantine import quarantine
from calendly_pipeline.defs.resources import CalendlyResource
from calendly_pipeline.defs.sync_settings import SyncSettings
from calendly_pipeline.storage import coverage, invitee_sync, reads, writes
from calendly_pipeline.storage import raw_tables as rt
from calendly_pipeline.transforms import flatten

# A backfill policy is what makes one run cover a range of days; Dagster still labels it beta.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)

EVENTS_GROUP = "calendly_events"
# Event types referenced by events but not listed, resolved one by one per run at most.
TYPE_LOOKUPS = 500
# Shared by both event assets: daily partitions read as one range per run, one DuckDB writer.
EVENT_ASSET = {
    "partitions_def": daily_partitions,
    "backfill_policy": dg.BackfillPolicy.single_run(),
    "pool": DUCKDB_POOL,
    "group_name": EVENTS_GROUP,
    "kinds": {"calendly", "duckdb"},
    "owners": OWNERS,
}


def _resolve_event_types(
    context: dg.AssetExecutionContext, api: CalendlyAPI, duckdb: DuckDBResource, now: datetime
) -> dict[str, Any]:
    """Event types that stored events point at but `/event_types` did not list (deleted types,
    shared ones): read by URI, as REFERENCE.md section 8 says, and added to `raw.event_types`
    (a deleted one keeps its `deleted_at`). At most TYPE_LOOKUPS per run; a 404 is unresolvable
    and named in the metadata. Deleted types outlive the list's full refresh
    (`writes.KEPT_BY_FULL_REFRESH`), so only live unlisted (shared) types are read every run."""
    with duckdb.get_connection() as conn:
        unknown = reads.unlisted_event_types(conn)
    asked = unknown[:TYPE_LOOKUPS]
    rejects = flatten.Rejects()
    types = flatten.event_types(api.event_types_by_uri(asked), rejects=rejects)
    with duckdb.get_connection() as conn, writes.transaction(conn):
        quarantine(
            conn,
            context,
            rejects,
            (rt.EVENT_TYPES,),
            at=now,
            full_refresh=False,
            loaded={rt.EVENT_TYPES.qualified_name: list(types["uri"])},
        )
        writes.upsert(conn, rt.EVENT_TYPES, types)
    unresolvable = sorted(set(asked) - set(types["uri"]))
    if unresolvable or len(unknown) > len(asked):
        context.log.warning(
            f"event types: {len(unresolvable)} referenced by events answer 404 (their events keep "
            f"no name or kind); {len(unknown) - len(asked)} left for the next run"
        )
    return {
        "event_types_resolved_by_uri": len(types),
        "event_types_unresolvable": dg.MetadataValue.json(unresolvable),
    }


def _write_month(
    context: dg.AssetExecutionContext,
    api: CalendlyAPI,
    duckdb: DuckDBResource,
    month: EventMonth,
    now: datetime,
) -> tuple[Counter[str], Any]:
    """One month of listed events in one transaction: a stored event the listing left out is
    asked for by URI and kept if still served; only a 404 marks it deleted. Returns the counts
    and the month's events frame."""
    with duckdb.get_connection() as conn:
        stored = reads.event_versions(conn, month.start, month.end)
    listed = {item.get("uri") for item in month.events if isinstance(item, dict)}
    still_served = api.events_by_uri(sorted(set(stored) - listed))
    items = month.events + still_served
    rejects = flatten.Rejects()
    events = flatten.scheduled_events(items, rejects=rejects)
    hosts = flatten.event_hosts(items, rejects=rejects)
    uris = list(events["uri"])
    tables = (rt.SCHEDULED_EVENTS, rt.EVENT_HOSTS)
    with duckdb.get_connection() as conn, writes.transaction(conn):
        loaded = {t.qualified_name: uris for t in tables}
        counts = quarantine(
            conn, context, rejects, tables, at=now, full_refresh=False, loaded=loaded
        )
        writes.upsert(conn, rt.SCHEDULED_EVENTS, events)
        writes.replace_children(conn, rt.EVENT_HOSTS, hosts, "event_uri", events["uri"])
        window = writes.TimeWindow(month.start, month.end)
        vanished = writes.mark_deleted(conn, rt.SCHEDULED_EVENTS, window, events["uri"], now)
        coverage.record_event_days(conn, month.start, month.end, now)
    context.log.info(
        f"events {month.start:%Y-%m}: {len(events)} served, {len(still_served)} missing from "
        f"the listing but still served by URI (kept), {vanished} deleted (404)"
    )
    tally = Counter(
        events_served=len(events),
        marked_deleted=vanished,
        unlisted_but_served=len(still_served),
        rejected_records=sum(counts.values()),
    )
    return tally, events


@dg.asset(
    key=["raw", "scheduled_events"],
    **EVENT_ASSET,
    deps=[dg.AssetKey(["raw", "organizations"]), dg.AssetKey(["raw", "event_types"])],
    description="Scheduled events by start day, with their hosts in `raw.event_hosts`. Each run "
    "re-reads its whole window: events served again are upserted (so cancellations and edits "
    "land); an event the listing no longer serves is asked for by its own URI, and only a 404 "
    "marks it `deleted_at` and purges its invitees' personal data. Event types the events point "
    "at but `/event_types` does not list (deleted or shared types) are then read one by one "
    "into `raw.event_types`.",
    metadata=definition_metadata(rt.SCHEDULED_EVENTS),
)
def scheduled_events(
    context: dg.AssetExecutionContext, calendly: CalendlyResource, duckdb: DuckDBResource
) -> dg.MaterializeResult:
    window = context.partition_time_window
    api = calendly.api(duckdb)
    now = calendly.as_of  # the run's clock, the same for every step and stamp of the run
    before = api.client.request_count
    tally, last_frame = Counter[str](), None
    for month in api.scheduled_events(window.start, window.end):
        counts, last_frame = _write_month(context, api, duckdb, month, now)
        tally.update(counts)
    types = _resolve_event_types(context, api, duckdb, now)
    with duckdb.get_connection() as conn:
        total = reads.row_count(conn, rt.SCHEDULED_EVENTS)
        # A range run logs this for each of its partitions: the window's rows, not the table's.
        in_window = reads.rows_between(
            conn, rt.SCHEDULED_EVENTS, "start_time", window.start, window.end
        )
    return dg.MaterializeResult(
        metadata=table_metadata(
            rt.SCHEDULED_EVENTS,
            in_window,
            last_frame,
            synthetic=calendly.is_synthetic,
            requests=api.client.request_count - before,
            extra={
                "window": f"{window.start:%Y-%m-%d} .. {window.end:%Y-%m-%d} (exclusive)",
                "table_rows": total,
                **tally,
                **types,
            },
        )
    )


def _write_invitees(
    context: dg.AssetExecutionContext,
    duckdb: DuckDBResource,
    batch: InviteeBatch,
    pii: tuple[str, str],
    now: datetime,
) -> tuple[Counter[str], Any]:
    """One batch of events' invitees swapped in, with the record of which event versions they
    were read at, in one transaction. `pii` is the step's (mode, salt), read once."""
    rejects = flatten.Rejects()
    mode, salt = pii
    people = flatten.invitees(batch.invitees, pii=mode, salt=salt, rejects=rejects)
    answers = flatten.invitee_questions_and_answers(batch.invitees, rejects=rejects)
    tables = (rt.INVITEES, rt.INVITEE_QUESTIONS_AND_ANSWERS)
    with duckdb.get_connection() as conn, writes.transaction(conn):
        written = invitee_sync.replace_invitees(conn, batch.event_uris, people, answers, now)
        loaded = {t.qualified_name: list(people["uri"]) for t in tables}
        counts = quarantine(
            conn, context, rejects, tables, at=now, full_refresh=False, loaded=loaded
        )
    return Counter(invitees_written=written, rejected_records=sum(counts.values())), people


# A run tagged with it reads every invitee it needs, whatever `invitee_requests_per_run` says:
# `sync` does so for the history run of a first sync, whose user waits for the whole history.
UNBUDGETED_TAG = "calendly/invitees_unbudgeted"


def _invitee_todo(
    context: dg.AssetExecutionContext,
    duckdb: DuckDBResource,
    sync_settings: SyncSettings,
    now: datetime,
) -> list[str]:
    """The events whose invitees this run reads, within the run's budget."""
    window = context.partition_time_window
    unbudgeted = context.run.tags.get(UNBUDGETED_TAG) == "true"
    with duckdb.get_connection() as conn:
        return invitee_sync.events_needing_invitees(
            conn, window.start, window.end, now - sync_settings.trailing(), now,
            budget=None if unbudgeted else sync_settings.invitee_requests_per_run,
        )  # fmt: skip


INVITEE_BACKLOG = "invitee_backlog"  # metadata the history sensor and the CLI read


def _backlog_metadata(pending: int, newest: datetime | None) -> dict[str, Any]:
    """What is left for later runs: events still waiting for their invitees, and the start of
    the newest of them (invitee-based figures are complete only after it)."""
    since = newest.isoformat() if newest is not None else "complete"
    return {INVITEE_BACKLOG: pending, "invitees_complete_after": since}


@dg.asset(
    key=["raw", "invitees"],
    **EVENT_ASSET,
    deps=[scheduled_events],
    description="Invitees of the events in the window, with their answers in "
    "`raw.invitee_questions_and_answers`. Invitees cost one request per event, so they are "
    "re-read only for events that are new, whose `updated_at` moved, or that fall in the "
    "trailing window (no-shows are marked after the meeting); events never read (or changed) "
    "at most `invitee_requests_per_run` per run: the window's first, then older stored "
    "events, newest first (`invitee_backlog` says how many wait). Invitee emails are "
    "stored as salted hashes and names dropped unless `invitee_pii` says otherwise.",
    metadata=definition_metadata(rt.INVITEES),
)
def invitees(
    context: dg.AssetExecutionContext,
    calendly: CalendlyResource,
    duckdb: DuckDBResource,
    sync_settings: SyncSettings,
) -> dg.MaterializeResult:
    # Checks the token and the warehouse's organization before any write.
    api = calendly.api(duckdb)
    now = calendly.as_of  # the run's clock: the trailing window and every sync stamp
    pii = sync_settings.validated_pii_mode()
    salt = sync_settings.pii_salt()
    before = api.client.request_count
    todo = _invitee_todo(context, duckdb, sync_settings, now)
    context.log.info(f"invitees: {len(todo)} events get their invitees (re-)read this run")
    tally, last_frame, done = Counter[str](), None, 0
    for batch in api.invitees(todo):
        counts, last_frame = _write_invitees(context, duckdb, batch, (pii, salt), now)
        tally.update(counts)
        done += len(batch.event_uris)
        context.log.info(f"invitees: {done}/{len(todo)} events done")
    with duckdb.get_connection() as conn:
        total = reads.row_count(conn, rt.INVITEES)
        backlog = _backlog_metadata(*invitee_sync.invitee_backlog(conn))
    return dg.MaterializeResult(
        metadata=table_metadata(
            rt.INVITEES,
            total,
            last_frame,
            synthetic=calendly.is_synthetic,
            requests=api.client.request_count - before,
            extra={"events_refetched": len(todo), "invitee_pii": pii, **tally, **backlog},
        )
    )

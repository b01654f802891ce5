"""Scheduled events and invitees, partitioned by event start day (UTC).

A run covers a range of partitions (one run per range, see `BackfillPolicy.single_run`). Events
are read month by month and each month commits on its own, so memory stays flat however long
the range, and a failure leaves every month either fully old or fully new.
"""

import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from calendly_pipeline.client import CalendlyClient
from calendly_pipeline.client.errors import NotFound
from calendly_pipeline.dagster_home import DUCKDB_POOL
from calendly_pipeline.defs.metadata import definition_metadata, table_metadata
from calendly_pipeline.defs.org_assets import OWNERS
from calendly_pipeline.defs.partitions import daily_partitions
from calendly_pipeline.defs.quarantine import quarantine
from calendly_pipeline.defs.resources import CalendlyResource
from calendly_pipeline.defs.settings import SyncSettings
from calendly_pipeline.storage import coverage, reads, sync_state, writes
from calendly_pipeline.storage import raw_tables as rt
from calendly_pipeline.transforms import flatten

# A backfill policy is what makes one run cover a range of days; Dagster still labels it beta.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)

EVENTS_GROUP = "calendly_events"
INVITEE_BATCH = 2_000  # events whose invitees are fetched and committed together
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


def month_chunks(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Split [start, end) at calendar-month boundaries."""
    cursor = start
    while cursor < end:
        nxt = (cursor.replace(day=1) + timedelta(days=32)).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0
        )
        yield cursor, min(nxt, end)
        cursor = min(nxt, end)


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _unique_by_uri(items: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    """Windows are half-open but the API does not promise it; the last copy of a URI wins.
    Records without a text `uri` are kept as they are, for flatten to quarantine."""
    by_uri: dict[str, dict[str, Any]] = {}
    keyless = []
    for item in items:
        uri = item.get("uri") if isinstance(item, dict) else None
        if isinstance(uri, str):
            by_uri[uri] = item
        else:
            keyless.append(item)
    return [*by_uri.values(), *keyless]


def _served_by_uri(client: CalendlyClient, uris: list[str]) -> list[dict[str, Any]]:
    """Resources read one by one on the client's bounded fan-out; those answering 404 are
    left out (any other error fails the step, nothing written).

    Used to confirm a vanished event before its deletion purges personal data: a listing can
    skip a record (another event removed mid-paging shifts the offsets), so absence from a
    listing is no proof, a 404 is."""

    def ask(uri: str) -> dict[str, Any] | None:
        try:
            return client.get(uri)
        except NotFound:
            return None

    return [found for found in client.fetch_all(ask, uris) if found is not None]


def _resolve_event_types(
    context: dg.AssetExecutionContext,
    client: CalendlyClient,
    duckdb: DuckDBResource,
    now: datetime,
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
    types = flatten.event_types(_served_by_uri(client, asked), rejects=rejects)
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
    client = calendly.get_client()
    organization = calendly.caller(duckdb).organization_uri
    now = client.server_now  # the API's clock from that answer, read once for the step
    before = client.request_count
    served = deleted = total = quarantined = restored = 0
    last_frame = None
    for chunk_start, chunk_end in month_chunks(window.start, window.end):
        items = _unique_by_uri(
            client.paginate(
                "/scheduled_events",
                {
                    "organization": organization,
                    "min_start_time": _iso(chunk_start),
                    "max_start_time": _iso(chunk_end),
                    "sort": "start_time:asc",
                },
                count=100,
            )
        )
        with duckdb.get_connection() as conn:
            stored = reads.event_versions(conn, chunk_start, chunk_end)
        listed = {item.get("uri") for item in items if isinstance(item, dict)}
        still_served = _served_by_uri(client, sorted(set(stored) - listed))
        items += still_served
        restored += len(still_served)
        rejects = flatten.Rejects()
        events = flatten.scheduled_events(items, rejects=rejects)
        hosts = flatten.event_hosts(items, rejects=rejects)
        with duckdb.get_connection() as conn, writes.transaction(conn):
            uris = list(events["uri"])
            counts = quarantine(
                conn,
                context,
                rejects,
                (rt.SCHEDULED_EVENTS, rt.EVENT_HOSTS),
                at=now,
                full_refresh=False,
                loaded={
                    rt.SCHEDULED_EVENTS.qualified_name: uris,
                    rt.EVENT_HOSTS.qualified_name: uris,
                },
            )
            quarantined += sum(counts.values())
            writes.upsert(conn, rt.SCHEDULED_EVENTS, events)
            writes.replace_children(conn, rt.EVENT_HOSTS, hosts, "event_uri", events["uri"])
            vanished = writes.mark_deleted(
                conn,
                rt.SCHEDULED_EVENTS,
                writes.TimeWindow(chunk_start, chunk_end),
                events["uri"],
                now,
            )
            coverage.record_event_days(conn, chunk_start, chunk_end, now)
            total = reads.row_count(conn, rt.SCHEDULED_EVENTS)
        served += len(events)
        deleted += vanished
        last_frame = events
        context.log.info(
            f"events {chunk_start:%Y-%m}: {len(events)} served, {len(still_served)} missing from "
            f"the listing but still served by URI (kept), {vanished} deleted (404)"
        )
    types = _resolve_event_types(context, client, duckdb, now)
    with duckdb.get_connection() as conn:
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
            requests=client.request_count - before,
            extra={
                "window": f"{window.start:%Y-%m-%d} .. {window.end:%Y-%m-%d} (exclusive)",
                "table_rows": total,
                "events_served": served,
                "marked_deleted": deleted,
                "unlisted_but_served": restored,
                **types,
                "rejected_records": quarantined,
            },
        )
    )


@dg.asset(
    key=["raw", "invitees"],
    **EVENT_ASSET,
    deps=[scheduled_events],
    description="Invitees of the events in the window, with their answers in "
    "`raw.invitee_questions_and_answers`. Invitees cost one request per event, so they are "
    "re-read only for events that are new, whose `updated_at` moved, or that fall in the "
    "trailing window (no-shows are marked after the meeting). Invitee emails are stored as "
    "salted hashes and names dropped unless `invitee_pii` says otherwise.",
    metadata=definition_metadata(rt.INVITEES),
)
def invitees(
    context: dg.AssetExecutionContext,
    calendly: CalendlyResource,
    duckdb: DuckDBResource,
    sync_settings: SyncSettings,
) -> dg.MaterializeResult:
    window = context.partition_time_window
    client = calendly.get_client()
    # Checks the token and the warehouse's organization before any write; its answer also
    # sets the API clock, read once here for the trailing window and every sync stamp.
    calendly.caller(duckdb)
    now = client.server_now
    pii = sync_settings.validated_pii_mode()
    salt = sync_settings.pii_salt()
    before = client.request_count
    with duckdb.get_connection() as conn:
        todo = sync_state.events_needing_invitees(
            conn, window.start, window.end, now - sync_settings.trailing(), now
        )
    context.log.info(f"invitees: {len(todo)} events need their invitees (re-)read")
    written = quarantined = 0
    last_frame = None

    def read(event_uri: str) -> list[dict[str, Any]]:
        return list(client.paginate(f"{event_uri}/invitees", {}, count=100))

    def fetch(batch: list[str]) -> list[dict[str, Any]]:
        return [item for page in client.fetch_all(read, batch) for item in page]

    batches = [todo[i : i + INVITEE_BATCH] for i in range(0, len(todo), INVITEE_BATCH)]
    # The next batch is fetched while this one is flattened and written, so the rate budget
    # (and the fan-out threads) never idle during a write; at most two batches are in memory.
    with ThreadPoolExecutor(1, thread_name_prefix="invitee-prefetch") as prefetch:
        pending = prefetch.submit(fetch, batches[0]) if batches else None
        for number, batch in enumerate(batches, start=1):
            items = pending.result()
            if number < len(batches):
                pending = prefetch.submit(fetch, batches[number])
            rejects = flatten.Rejects()
            people = flatten.invitees(items, pii=pii, salt=salt, rejects=rejects)
            answers = flatten.invitee_questions_and_answers(items, rejects=rejects)
            with duckdb.get_connection() as conn, writes.transaction(conn):
                written += sync_state.replace_invitees(conn, batch, people, answers, now)
                uris = list(people["uri"])
                tables = (rt.INVITEES, rt.INVITEE_QUESTIONS_AND_ANSWERS)
                loaded = {t.qualified_name: uris for t in tables}
                counts = quarantine(
                    conn, context, rejects, tables, at=now, full_refresh=False, loaded=loaded
                )
                quarantined += sum(counts.values())
            last_frame = people
            done = min(number * INVITEE_BATCH, len(todo))
            context.log.info(f"invitees: {done}/{len(todo)} events done")
    with duckdb.get_connection() as conn:
        total = reads.row_count(conn, rt.INVITEES)
    return dg.MaterializeResult(
        metadata=table_metadata(
            rt.INVITEES,
            total,
            last_frame,
            synthetic=calendly.is_synthetic,
            requests=client.request_count - before,
            extra={
                "events_refetched": len(todo),
                "invitees_written": written,
                "invitee_pii": pii,
                "rejected_records": quarantined,
            },
        )
    )

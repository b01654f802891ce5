"""The bookkeeping schema `meta`, and the raw tables (schema `raw`, declared with the API path of
each column in `calendly_pipeline.schema.raw_tables`, re-exported here for storage's callers).

Each `TableSpec` is the single source of a table's DDL, of the column schema the Dagster UI
shows and of `docs/raw_tables.md`. Column order here is the column order in DuckDB.
"""

from __future__ import annotations

from calendly_pipeline.schema.raw_tables import (
    ACTIVITY_LOG_ENTRIES,
    EVENT_HOSTS,
    EVENT_TYPE_HOSTS,
    EVENT_TYPES,
    GROUP_RELATIONSHIPS,
    GROUPS,
    INVITEE_QUESTIONS_AND_ANSWERS,
    INVITEES,
    MEMBERSHIP_SNAPSHOTS,
    ORGANIZATION_INVITATIONS,
    ORGANIZATION_MEMBERSHIPS,
    ORGANIZATIONS,
    RAW_TABLES,
    ROUTING_FORM_SUBMISSIONS,
    ROUTING_FORMS,
    SCHEDULED_EVENTS,
    USERS,
    WEBHOOK_SUBSCRIPTIONS,
    text,
    timestamp,
)
from calendly_pipeline.schema.spec import Column, TableSpec

__all__ = [
    "ACTIVITY_LOG_ENTRIES",
    "EVENT_HOSTS",
    "EVENT_TYPES",
    "EVENT_TYPE_HOSTS",
    "GROUPS",
    "GROUP_RELATIONSHIPS",
    "INVITEES",
    "INVITEE_QUESTIONS_AND_ANSWERS",
    "MEMBERSHIP_SNAPSHOTS",
    "META_TABLES",
    "ORGANIZATIONS",
    "ORGANIZATION_INVITATIONS",
    "ORGANIZATION_MEMBERSHIPS",
    "RAW_TABLES",
    "ROUTING_FORMS",
    "ROUTING_FORM_SUBMISSIONS",
    "SCHEDULED_EVENTS",
    "USERS",
    "WEBHOOK_SUBSCRIPTIONS",
]

# --- meta: bookkeeping ------------------------------------------------------------------------

SCHEMA_MIGRATIONS = TableSpec(
    "meta",
    "schema_migrations",
    "Schema versions applied to this database file, oldest first.",
    (
        Column("version", "INTEGER", "Migration number.", False),
        Column("description", "VARCHAR", "What the migration changed."),
        timestamp("applied_at", "When the migration ran"),
    ),
    primary_key=("version",),
)

SYNC_INFO = TableSpec(
    "meta",
    "sync_info",
    "One row describing the latest sync: which organization, when, from where, and the "
    "thresholds and prices the analytics used (so the dashboard can show them).",
    (
        Column("org_uri", "VARCHAR", "URI of the synced organization.", False),
        text("org_name", "Organization name."),
        text("plan", "Calendly plan at sync time."),
        timestamp("synced_at", "When the latest sync finished"),
        timestamp(
            "ran_at",
            "When our latest sync ran, by the clock of the machine that ran it (`synced_at` is "
            "the API's clock, the `as_of` of every figure)",
        ),
        Column(
            "is_synthetic",
            "BOOLEAN",
            "TRUE when the data comes from the embedded sandbox, not a real organization.",
        ),
        text("api_host", "Host name of the API that was read (never a token)."),
        Column("idle_days", "INTEGER", "Days without activity after which a seat counts as idle."),
        Column("grace_days", "INTEGER", "Days a new member may stay inactive before being idle."),
        Column("price_per_seat", "DOUBLE", "Monthly price of one seat used for cost figures."),
        text("currency", "Currency of `price_per_seat`, e.g. `USD`."),
        Column("trailing_days", "INTEGER", "Days each daily run re-reads before today."),
    ),
    primary_key=("org_uri",),
)

INVITEE_SYNC = TableSpec(
    "meta",
    "invitee_sync",
    "For each scheduled event, the event version (`updated_at`) its invitees were last read at. "
    "Drives incremental invitee sync: invitees are re-read only when the event is new, changed, "
    "or in the trailing window.",
    (
        Column("event_uri", "VARCHAR", "Scheduled event URI.", False),
        timestamp("event_updated_at", "The event's `updated_at` when its invitees were read"),
        timestamp("fetched_at", "When the invitees were read (API clock)"),
    ),
    primary_key=("event_uri",),
    grows_with_history=True,
)

REJECTED_RECORDS = TableSpec(
    "meta",
    "rejected_records",
    "Records the API served that could not be loaded (a missing key, a required field that is "
    "null or of the wrong type, an object where text was expected). Each is kept here as "
    "served, with the reason, while the rest of its table loads. Full-refresh tables replace "
    "their rejects on every read; windowed tables drop a reject once its key loads.",
    (
        Column("table_name", "VARCHAR", "Table the record was meant for, e.g. `raw.users`.", False),
        Column(
            "record_id",
            "VARCHAR",
            "SHA-256 of the table name and the record as served: the same bad record served "
            "again is one row.",
            False,
        ),
        text(
            "record_key",
            "The row's key in its table when the record has one, else the API record's own "
            "`uri`; NULL when neither exists.",
        ),
        Column(
            "reason", "VARCHAR", "Why it was not loaded (names the field, never its value).", False
        ),
        Column("record", "JSON", "The API record as served."),
        text("asset", "Dagster step that read it, e.g. `organization_memberships`."),
        text("partition", "Partition (range) of the run; '' when unpartitioned."),
        text("run_id", "Run that last rejected it."),
        timestamp("rejected_at", "When it was last rejected (API clock)"),
    ),
    primary_key=("table_name", "record_id"),
)

WAREHOUSE_OWNER = TableSpec(
    "meta",
    "warehouse_owner",
    "The one organization this warehouse holds, recorded by its first sync; a sync of another "
    "organization, or synthetic data into real data (or the reverse), is refused.",
    (
        Column(
            "org_uuid", "VARCHAR", "UUID of the organization (the last part of its URI).", False
        ),
        Column("org_name", "VARCHAR", "Organization name when it was recorded."),
        Column("is_synthetic", "BOOLEAN", "TRUE for the embedded sandbox's generated data.", False),
        Column("api_host", "VARCHAR", "Host name of the API first synced from."),
        Column("claimed_at", "TIMESTAMPTZ", "When the first sync recorded it (UTC)."),
    ),
    primary_key=("org_uuid",),
)

CONNECTION_STATUS = TableSpec(
    "meta",
    "connection_status",
    "One row: how the pipeline last connected to Calendly, and whether it needs a Reconnect.",
    (
        Column("method", "VARCHAR", "`personal access token`, `OAuth` or the sandbox."),
        Column("connected_as", "VARCHAR", "Name and e-mail of the user whose token is used."),
        Column("role", "VARCHAR", "That user's role in the organization."),
        Column("organization", "VARCHAR", "Organization name."),
        Column("connected_since", "TIMESTAMPTZ", "When `calendly-pipeline connect` ran (OAuth)."),
        Column("last_success_at", "TIMESTAMPTZ", "Last time a run authenticated (UTC)."),
        Column(
            "reconnect_needed_since",
            "TIMESTAMPTZ",
            "First refused authentication since the last success; NULL when connected (UTC).",
        ),
        Column("last_error", "VARCHAR", "The one-line cause of that refusal (never a token)."),
    ),
    primary_key=(),
)

COLLECTION_READS = TableSpec(
    "meta",
    "collection_reads",
    "When each part of a collection read on a cadence was last read in full (API clock, UTC).",
    (
        Column("part", "VARCHAR", "The part, e.g. `webhook_subscriptions/user`.", False),
        Column("read_at", "TIMESTAMPTZ", "API clock of the run that last read it in full.", False),
    ),
    primary_key=("part",),
)

EVENT_COVERAGE = TableSpec(
    "meta",
    "event_coverage",
    "One row per UTC day of event start times the events step has read, with the API clock of "
    "the latest read. A day read at or after its end holds every meeting of that day; the "
    "utilization model calls a seat idle only when the days of its idle window are covered.",
    (
        Column("day", "DATE", "UTC day of event start times that was read.", False),
        Column(
            "synced_at",
            "TIMESTAMPTZ",
            "API clock of the latest read of the day's events (`raw.scheduled_events`).",
            False,
        ),
    ),
    primary_key=("day",),
)

META_TABLES: tuple[TableSpec, ...] = (
    SCHEMA_MIGRATIONS,
    SYNC_INFO,
    INVITEE_SYNC,
    REJECTED_RECORDS,
    WAREHOUSE_OWNER,
    CONNECTION_STATUS,
    COLLECTION_READS,
    EVENT_COVERAGE,
)

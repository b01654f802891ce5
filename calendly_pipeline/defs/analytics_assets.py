"""Utilization tables: pure pandas over the raw tables, written to schema `analytics`.

One multi-asset reads the raw tables once and writes every analytics table in one transaction,
so the dashboard never sees seat counts from one sync next to adoption from another. Events are
read ten days at a time (`transforms.summary`), so memory does not grow with the history
stored.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from calendly_pipeline.dagster_home import DUCKDB_POOL
from calendly_pipeline.defs.metadata import (
    OWNERS,
    PREVIEW_ROWS,
    definition_metadata,
    table_metadata,
)
from calendly_pipeline.defs.sync_settings import SyncSettings
from calendly_pipeline.storage import coverage, invitee_sync, reads, writes
from calendly_pipeline.storage.analytics_tables import ANALYTICS_TABLES
from calendly_pipeline.transforms.features import MODEL_ENUMS, PLANS, known_plan
from calendly_pipeline.transforms.model import (
    ANALYTICS_NAMES,
    FEEDS,
    SMALL_TABLES,
    summarize_chunks,
    tables_from_summary,
)
from calendly_pipeline.transforms.plans import plan_verdict
from calendly_pipeline.transforms.summary import EVENT_CHUNK_COLUMNS
from calendly_pipeline.transforms.utilization_config import UtilizationConfig

ANALYTICS_GROUP = "utilization"

SPECS = {spec.name: spec for spec in ANALYTICS_TABLES}


@dg.multi_asset(
    name="utilization",
    specs=[
        dg.AssetSpec(
            key=dg.AssetKey(["analytics", name]),
            description=SPECS[name].description,
            group_name=ANALYTICS_GROUP,
            kinds={"pandas", "duckdb"},
            owners=OWNERS,
            deps=[dg.AssetDep(dg.AssetKey(["raw", raw])) for raw in FEEDS[name]],
            metadata=definition_metadata(SPECS[name]),
        )
        for name in ANALYTICS_NAMES
    ],
    pool=DUCKDB_POOL,
    description="Seat utilization, feature adoption and activity, computed as of the last sync's "
    "API clock with the thresholds and prices in the `sync_settings` resource.",
)
def utilization_tables(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, sync_settings: SyncSettings
) -> Iterator[dg.MaterializeResult]:
    config = sync_settings.utilization()
    # One connection and one transaction: nothing is visible until every table is complete.
    with duckdb.get_connection() as conn, writes.transaction(conn):
        built = _rebuild(conn, config, sync_settings.trailing_days)
    as_of, plan = built.as_of, built.info["plan"]
    context.log.info(f"utilization as of {as_of:%Y-%m-%d %H:%M} UTC, plan {plan}")
    context.log.info(plan_verdict(built.tables["plan_options"], config.currency))
    for warning in _unknown_value_warnings(plan, config.price(plan), built.unknown):
        context.log.warning(warning)
    settings_meta = {f"config/{k}": v for k, v in config.as_metadata().items()}
    settings_meta |= {
        "plan": str(plan),
        "plan_known": known_plan(plan),
        "unknown_enum_values": dg.MetadataValue.json(built.unknown),
    }
    counts = {name: len(frame) for name, frame in built.tables.items()}
    samples = {**built.tables, "daily_activity": built.daily_sample}
    for name in ANALYTICS_NAMES:
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(["analytics", name]),
            metadata=table_metadata(
                SPECS[name],
                counts.get(name, built.daily_rows),
                samples[name],
                synthetic=bool(built.info["is_synthetic"]),
                extra={"as_of": as_of.isoformat(), **settings_meta},
            ),
        )


@dataclass
class _Rebuilt:
    """What one rebuild wrote, for the asset's log lines and metadata."""

    info: dict[str, Any]
    as_of: pd.Timestamp
    unknown: list[dict[str, Any]]
    tables: dict[str, pd.DataFrame]
    daily_rows: int = 0
    daily_sample: pd.DataFrame = field(default_factory=pd.DataFrame)


def _rebuild(conn: Any, config: UtilizationConfig, trailing_days: int) -> _Rebuilt:
    """Read the raw tables, reduce the events ten days at a time and write every analytics
    table, inside the caller's transaction."""
    daily_spec = SPECS["daily_activity"]
    months: list[date] = []
    info = reads.read_sync_info(conn)
    if info is None:
        raise dg.Failure("no sync has run yet: materialize raw/organizations first")
    # The sync run's one as_of (`CalendlyResource.as_of`), as the organization asset recorded
    # it: a run of this asset alone computes as of the data it reads, not of its own clock.
    built = _Rebuilt(
        info=info,
        as_of=pd.Timestamp(info["synced_at"]).tz_convert("UTC"),
        unknown=reads.unknown_values(conn, MODEL_ENUMS),
        tables={},
    )

    pending: list[pd.DataFrame] = []  # the daily rows of the month being read

    def flush() -> None:
        """A month's rows are written together, only those that changed since the last sync,
        so a daily sync rewrites the trailing days, not the whole history."""
        if pending:
            frame = pd.concat(pending, ignore_index=True)
            pending.clear()
            months.append(writes.replace_month(conn, daily_spec, frame, "activity_date"))
            built.daily_sample = frame.tail(PREVIEW_ROWS)

    def write_daily(frame: pd.DataFrame) -> None:
        """A chunk's rows span a third of a UTC month, and a month's thirds come in turn."""
        if frame.empty:
            return
        month = writes.month_start(frame, "activity_date")
        if pending and writes.month_start(pending[0], "activity_date") != month:
            flush()
        pending.append(frame)

    frames = reads.raw_frames(conn, tables=SMALL_TABLES)
    frames["event_coverage"] = coverage.event_coverage(conn)
    chunks = reads.event_chunks(conn, EVENT_CHUNK_COLUMNS)
    summary = summarize_chunks(frames, chunks, config, built.as_of, write_daily)
    flush()
    writes.keep_months(conn, daily_spec, "activity_date", months)
    built.daily_rows = reads.row_count(conn, daily_spec)
    # While the invitee history fills in, invitee-revealed feature rows say how far back.
    pending_since = invitee_sync.invitee_backlog(conn)[1]
    built.tables = tables_from_summary(frames, summary, config, built.as_of, pending_since)
    for name, frame in built.tables.items():
        writes.replace_all(conn, SPECS[name], frame)
    plan = info["plan"]
    writes.write_sync_info(
        conn,
        **{
            **info,
            "idle_days": config.idle_days,
            "grace_days": config.grace_days,
            "price_per_seat": config.price(plan),
            "currency": config.currency,
            "trailing_days": trailing_days,
        },
    )
    return built


def _unknown_value_warnings(
    plan: str | None, price: float | None, unknown: list[dict[str, object]]
) -> list[str]:
    """One line per value the spec does not list: kept as served, counted apart, and named
    here so a new Calendly value is noticed rather than silently misread."""
    lines = [
        f"{u['rows']} row(s) of raw.{u['table']} have {u['column']} = {_shown(u['value'])}, "
        "a value the API spec does not list: kept as served, counted apart (never as a known "
        "value)"
        for u in unknown
        if (u["table"], u["column"]) != ("organizations", "plan")
    ]
    if not known_plan(plan):
        cost = (
            f"seat cost uses seat_price_month = {price}"
            if price is not None
            else "seat cost is unknown (NULL) until seat_price_month is set"
        )
        lines.insert(
            0,
            f"organization plan {_shown(plan)} is not one of {', '.join(PLANS)}: no paid-tier "
            f"verdicts (in_plan, paid_unused, plan_options) for it; {cost}",
        )
    return lines


def _shown(value: object) -> str:
    """A served value quoted and capped for a log line (repr escapes control characters)."""
    return repr(value if value is None else str(value)[:80])

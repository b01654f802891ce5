"""Asset checks: the connection, key integrity, seat arithmetic, adoption shares, freshness.

The verdicts are in `transforms.checks` (pure pandas); the raw tables' counts come from
`storage.quality` (SQL, so a year of events is never copied out). These wrappers only read and
turn `(passed, message)` into an `AssetCheckResult` whose description names the offending rows.
"""

from collections.abc import Iterator, Mapping

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from calendly_pipeline.client.check import check_connection
from calendly_pipeline.defs.org_assets import COLLECTIONS
from calendly_pipeline.defs.resources import CalendlyResource
from calendly_pipeline.defs.settings import SyncSettings
from calendly_pipeline.storage import coverage, quality, reads, rejected
from calendly_pipeline.storage import raw_tables as rt
from calendly_pipeline.storage.spec import TableSpec
from calendly_pipeline.transforms import checks

EVENTS = dg.AssetKey(["raw", "scheduled_events"])
INVITEES = dg.AssetKey(["raw", "invitees"])
SEATS = dg.AssetKey(["analytics", "seat_utilization"])
ORG_ADOPTION = dg.AssetKey(["analytics", "org_feature_adoption"])


def _result(outcome: checks.CheckResult, **metadata: object) -> dg.AssetCheckResult:
    passed, message = outcome
    return dg.AssetCheckResult(
        passed=passed,
        description=message,
        metadata={"message": message, **metadata},
        severity=dg.AssetCheckSeverity.ERROR,
    )


@dg.asset_check(
    asset=dg.AssetKey(["raw", "organizations"]),
    description="Connect: who the token belongs to, the caller's role, which org-scope lists "
    "and plan features it can read, and the rate budget left (same as `calendly-pipeline "
    "check`).",
)
def connection_check(calendly: CalendlyResource) -> dg.AssetCheckResult:
    report = check_connection(calendly.get_client(), is_synthetic=calendly.is_synthetic)
    cause = report.cause or (
        "connected; cannot read: " + ", ".join(p.name for p in report.missing)
        if report.missing
        else "connected; every list the pipeline needs is readable"
    )
    return dg.AssetCheckResult(
        passed=report.ok,
        description=cause,
        metadata={
            k: dg.MetadataValue.json(v) if isinstance(v, dict | list) else v
            for k, v in report.to_metadata().items()
        },
        severity=dg.AssetCheckSeverity.ERROR if not report.ok else dg.AssetCheckSeverity.WARN,
    )


@dg.asset_check(asset=EVENTS, description="Every scheduled event has a unique, non-null URI.")
def events_unique(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as conn:
        report = quality.key_report(conn, rt.SCHEDULED_EVENTS)
    return _result(_keys(rt.SCHEDULED_EVENTS, report))


def _keys(spec: TableSpec, report: quality.KeyReport) -> checks.CheckResult:
    return checks.key_result(
        spec.qualified_name,
        spec.primary_key,
        report.rows,
        report.null_keys,
        report.shared,
        report.examples,
    )


@dg.asset_check(
    asset=EVENTS,
    description="Daily partitions are contiguous from the first to the latest, and the latest is "
    "at most one day behind the API's today (UTC), today included: a hole means a day of "
    "meetings is missing from every metric.",
)
def events_fresh(
    context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource
) -> dg.AssetCheckResult:
    materialized = context.instance.get_materialized_partitions(EVENTS)
    with duckdb.get_connection() as conn:
        info = reads.read_sync_info(conn)
    as_of = pd.Timestamp(info["synced_at"]) if info else pd.Timestamp.now(tz="UTC")
    past = [p for p in materialized if p <= as_of.date().isoformat()]
    return _result(checks.check_partition_freshness(past, as_of), partitions=len(past))


@dg.asset_check(
    asset=INVITEES,
    description="Invitee URIs are unique and every live invitee belongs to a stored event.",
)
def invitees_consistent(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as conn:
        keys = quality.key_report(conn, rt.INVITEES)
        orphan = quality.orphan_invitees(conn)
    unique = _keys(rt.INVITEES, keys)
    orphans = checks.orphans_result(orphan.live, orphan.orphans, orphan.examples)
    passed = unique[0] and orphans[0]
    return _result((passed, f"{unique[1]}; {orphans[1]}"))


@dg.asset_check(
    asset=SEATS,
    description="Seat arithmetic: active + idle + unknown + new + pending + removed equals the "
    "seat rows, and each seat appears once.",
)
def seat_arithmetic(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as conn:
        seats = reads.read_table(conn, "seat_utilization")
    arithmetic = checks.check_seat_arithmetic(seats)
    unique = checks.check_unique_keys(seats, ["seat_id"], "analytics.seat_utilization")
    return _result((arithmetic[0] and unique[0], f"{arithmetic[1]}; {unique[1]}"))


@dg.asset_check(
    asset=SEATS,
    description="The synced events cover the idle window before as_of (meta.event_coverage); "
    "when they do not, the message lists the missing days and the seats without activity are "
    "`unknown`, never reclaimed. ERROR but not blocking: the dashboard is still rebuilt, showing "
    "the covered window, rather than an older one left in place.",
)
def event_coverage(duckdb: DuckDBResource, sync_settings: SyncSettings) -> dg.AssetCheckResult:
    with duckdb.get_connection() as conn:
        info = reads.read_sync_info(conn)
        covered = coverage.event_coverage(conn)
    if info is None:
        return _result((False, "no sync has run yet"))
    as_of = pd.Timestamp(info["synced_at"]).tz_convert("UTC")
    idle_days = sync_settings.utilization().idle_days
    return _result(
        checks.check_event_coverage(covered, as_of, idle_days),
        covered_days=len(covered),
        first_covered_day=str(covered["day"].min().date()) if len(covered) else "none",
        last_covered_day=str(covered["day"].max().date()) if len(covered) else "none",
    )


@dg.asset_check(asset=ORG_ADOPTION, description="Adoption shares lie between 0 and 1.")
def adoption_shares(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as conn:
        adoption = reads.read_table(conn, "org_feature_adoption")
    return _result(checks.check_adoption_shares(adoption))


def _rejected_records_check(
    name: str, tables_of: Mapping[dg.AssetKey, tuple[TableSpec, ...]]
) -> dg.AssetChecksDefinition:
    """One step checking the quarantine of several assets: a WARN per asset with records set
    aside in `meta.rejected_records`, naming the count and the first few (key and reason)."""
    specs = [
        dg.AssetCheckSpec(
            "no_rejected_records",
            asset=key,
            description="Every record the API served loaded: none was set aside in "
            "meta.rejected_records (WARN: the rest of the table loaded).",
        )
        for key in tables_of
    ]

    @dg.multi_asset_check(specs=specs, name=name, can_subset=True)
    def _check(
        context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource
    ) -> Iterator[dg.AssetCheckResult]:
        with duckdb.get_connection() as conn:
            for check_key in context.selected_asset_check_keys:
                tables = [t.qualified_name for t in tables_of[check_key.asset_key]]
                found = rejected.summary(conn, tables)
                examples = [rejected.describe(*example) for example in found.examples]
                message = (
                    f"{found.count} record(s) set aside in meta.rejected_records; first: "
                    + "; ".join(examples)
                    if found.count
                    else f"no record of {', '.join(tables)} was set aside"
                )
                yield dg.AssetCheckResult(
                    asset_key=check_key.asset_key,
                    check_name=check_key.name,
                    passed=found.count == 0,
                    severity=dg.AssetCheckSeverity.WARN,
                    description=message,
                    metadata={"rejected_records": found.count, "examples": examples},
                )

    return _check


org_rejected_records = _rejected_records_check(
    "org_rejected_records",
    {dg.AssetKey(["raw", s.name]): (s,) for c in COLLECTIONS for s in c.specs},
)
event_rejected_records = _rejected_records_check(
    "event_rejected_records",
    {
        EVENTS: (rt.SCHEDULED_EVENTS, rt.EVENT_HOSTS),
        INVITEES: (rt.INVITEES, rt.INVITEE_QUESTIONS_AND_ANSWERS),
    },
)


asset_checks = [
    connection_check,
    org_rejected_records,
    event_rejected_records,
    events_unique,
    events_fresh,
    invitees_consistent,
    seat_arithmetic,
    event_coverage,
    adoption_shares,
]

"""Asset checks: the connection, key integrity, seat arithmetic, adoption shares, freshness.

Only what the database does not enforce (issue 15 item 7): the raw tables hold no PRIMARY KEY
(`storage.spec.key_enforced`), so `unique_key` checks each of them; the analytics tables keep
theirs, so their keys are not re-tested. The verdicts are in `transforms.check_verdicts` (pure
pandas); the raw tables' counts come from `storage.integrity` (SQL, so a year of events is never
copied out). These wrappers only read and turn `(passed, message)` into an `AssetCheckResult`
whose description names the offending rows.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import dagster as dg
import duckdb as db
import pandas as pd
from dagster_duckdb import DuckDBResource

from calendly_pipeline.client.probe import check_connection
from calendly_pipeline.defs.org_assets import COLLECTIONS
from calendly_pipeline.defs.resources import CalendlyResource
from calendly_pipeline.defs.sync_settings import SyncSettings
from calendly_pipeline.schema.analytics_tables import DAILY_ACTIVITY as DAILY_ACTIVITY_SPEC
from calendly_pipeline.storage import coverage, integrity, reads, rejected
from calendly_pipeline.storage import raw_tables as rt
from calendly_pipeline.storage.spec import TableSpec
from calendly_pipeline.transforms import check_verdicts

EVENTS = dg.AssetKey(["raw", "scheduled_events"])
INVITEES = dg.AssetKey(["raw", "invitees"])
SNAPSHOTS = dg.AssetKey(["raw", "membership_snapshots"])
SEATS = dg.AssetKey(["analytics", "seat_utilization"])
ORG_ADOPTION = dg.AssetKey(["analytics", "org_feature_adoption"])
DAILY_ACTIVITY = dg.AssetKey(["analytics", "daily_activity"])


def _result(outcome: check_verdicts.CheckResult, **metadata: object) -> dg.AssetCheckResult:
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


@dg.asset_check(
    asset=EVENTS,
    description="Daily partitions are contiguous from the first to the latest, and the latest is "
    "at most one day behind the API's today (UTC), today included: a hole means a day of "
    "meetings is missing from every metric.",
)
def events_fresh(
    context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource
) -> dg.AssetCheckResult:
    """Not `dg.build_time_partition_freshness_checks` or a FreshnessPolicy: those judge by the
    wall clock and look at the latest partition only; this one judges by the API's clock (a
    sandbox's day, or a server whose clock differs) and finds holes between partitions."""
    materialized = context.instance.get_materialized_partitions(EVENTS)
    with duckdb.get_connection() as conn:
        info = reads.read_sync_info(conn)
    as_of = pd.Timestamp(info["synced_at"]) if info else pd.Timestamp.now(tz="UTC")
    past = [p for p in materialized if p <= as_of.date().isoformat()]
    return _result(check_verdicts.check_partition_freshness(past, as_of), partitions=len(past))


@dg.asset_check(asset=INVITEES, description="Every live invitee belongs to a live stored event.")
def invitees_have_events(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as conn:
        orphan = integrity.orphan_invitees(conn)
    return _result(check_verdicts.orphans_result(orphan.live, orphan.orphans, orphan.examples))


@dg.asset_check(
    asset=SEATS,
    description="Seat arithmetic: active + idle + unknown + new + pending + removed equals the "
    "seat rows (each seat appears once: the table's primary key).",
)
def seat_arithmetic(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as conn:
        seats = reads.read_table(conn, "seat_utilization")
    return _result(check_verdicts.check_seat_arithmetic(seats))


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
        check_verdicts.check_event_coverage(covered, as_of, idle_days),
        covered_days=len(covered),
        first_covered_day=str(covered["day"].min().date()) if len(covered) else "none",
        last_covered_day=str(covered["day"].max().date()) if len(covered) else "none",
    )


@dg.asset_check(asset=ORG_ADOPTION, description="Adoption shares lie between 0 and 1.")
def adoption_shares(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as conn:
        adoption = reads.read_table(conn, "org_feature_adoption")
    return _result(check_verdicts.check_adoption_shares(adoption))


# A verdict on the tables of one asset: (passed, description, metadata).
Verdict = tuple[bool, str, dict[str, object]]


@dataclass(frozen=True)
class PerAsset:
    """A check of each asset's raw tables: one result per asset, from `verdict` on them."""

    check_name: str
    description: str
    severity: dg.AssetCheckSeverity
    verdict: Callable[[db.DuckDBPyConnection, tuple[TableSpec, ...]], Verdict]


def _per_asset_check(
    name: str, check: PerAsset, tables_of: Mapping[dg.AssetKey, tuple[TableSpec, ...]]
) -> dg.AssetChecksDefinition:
    """One step running `check` on every asset of `tables_of`."""
    specs = [
        dg.AssetCheckSpec(check.check_name, asset=key, description=check.description)
        for key in tables_of
    ]

    @dg.multi_asset_check(specs=specs, name=name, can_subset=True)
    def _check(
        context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource
    ) -> Iterator[dg.AssetCheckResult]:
        with duckdb.get_connection() as conn:
            for check_key in context.selected_asset_check_keys:
                passed, message, metadata = check.verdict(conn, tables_of[check_key.asset_key])
                yield dg.AssetCheckResult(
                    asset_key=check_key.asset_key,
                    check_name=check_key.name,
                    passed=passed,
                    severity=check.severity,
                    description=message,
                    metadata={"message": message, **metadata},
                )

    return _check


def _rejected_records(conn: db.DuckDBPyConnection, tables: tuple[TableSpec, ...]) -> Verdict:
    """Records of these tables set aside in `meta.rejected_records`: the count and the first
    few (key and reason)."""
    names = [t.qualified_name for t in tables]
    found = rejected.summary(conn, names)
    examples = [rejected.describe(*example) for example in found.examples]
    message = (
        f"{found.count} record(s) set aside in meta.rejected_records; first: " + "; ".join(examples)
        if found.count
        else f"no record of {', '.join(names)} was set aside"
    )
    return found.count == 0, message, {"rejected_records": found.count, "examples": examples}


def _unique_keys(conn: db.DuckDBPyConnection, tables: tuple[TableSpec, ...]) -> Verdict:
    """Each table's key, counted in DuckDB (`storage.integrity.key_report`)."""
    results = []
    for spec in tables:
        report = integrity.key_report(conn, spec)
        results.append(
            check_verdicts.key_result(
                spec.qualified_name, spec.primary_key, report.rows, report.shared, report.examples
            )
        )
    return all(passed for passed, _ in results), "; ".join(m for _, m in results), {}


REJECTED = PerAsset(
    "no_rejected_records",
    "Every record the API served loaded: none was set aside in meta.rejected_records (WARN: "
    "the rest of the table loaded).",
    dg.AssetCheckSeverity.WARN,
    _rejected_records,
)
UNIQUE_KEY = PerAsset(
    "unique_key",
    "No two rows of the asset's tables share a key. DuckDB holds no PRIMARY KEY for the raw "
    "tables, meta.invitee_sync and analytics.daily_activity (its index would grow with the "
    "history stored), so this check stands behind the key the docs name.",
    dg.AssetCheckSeverity.ERROR,
    _unique_keys,
)

# The raw tables each asset writes: the organization assets one each, the events and the
# invitees two each.
ORG_TABLES: dict[dg.AssetKey, tuple[TableSpec, ...]] = {
    dg.AssetKey(["raw", s.name]): (s,) for c in COLLECTIONS for s in c.specs
}
EVENT_TABLES: dict[dg.AssetKey, tuple[TableSpec, ...]] = {
    EVENTS: (rt.SCHEDULED_EVENTS, rt.EVENT_HOSTS),
    INVITEES: (rt.INVITEES, rt.INVITEE_QUESTIONS_AND_ANSWERS),
}

org_rejected_records = _per_asset_check("org_rejected_records", REJECTED, ORG_TABLES)
event_rejected_records = _per_asset_check("event_rejected_records", REJECTED, EVENT_TABLES)
# The tables whose key DuckDB does not hold (`storage.spec.key_enforced`), by the asset that
# writes them: the raw tables, and the two others that grow with the history.
ORG_KEYS = {**ORG_TABLES, SNAPSHOTS: (rt.MEMBERSHIP_SNAPSHOTS,)}
EVENT_KEYS = {**EVENT_TABLES, INVITEES: (*EVENT_TABLES[INVITEES], rt.INVITEE_SYNC)}
ANALYTICS_KEYS = {DAILY_ACTIVITY: (DAILY_ACTIVITY_SPEC,)}
org_unique_keys = _per_asset_check("org_unique_keys", UNIQUE_KEY, ORG_KEYS)
event_unique_keys = _per_asset_check("event_unique_keys", UNIQUE_KEY, EVENT_KEYS)
analytics_unique_keys = _per_asset_check("analytics_unique_keys", UNIQUE_KEY, ANALYTICS_KEYS)


asset_checks = [
    connection_check,
    org_rejected_records,
    event_rejected_records,
    org_unique_keys,
    event_unique_keys,
    analytics_unique_keys,
    events_fresh,
    invitees_have_events,
    seat_arithmetic,
    event_coverage,
    adoption_shares,
]

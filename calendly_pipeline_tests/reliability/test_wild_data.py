"""Data a real Calendly account may hold that our own generator never made (issue 13).

Each scenario syncs the tiny seed-7 organization over real HTTP with one `WildData` knob on,
through real Dagster runs into a real DuckDB file, and checks that nothing is lost or misread:
unknown enum values are kept and counted apart, an unknown plan gets no paid-tier verdicts
while every analytics table still builds, and the Launchpad's `seat_price_month` prices seats.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from calendly_pipeline.sandbox import SandboxConfig
from calendly_pipeline.sandbox.config import UNKNOWN_EVENT_STATUS, WildData
from calendly_pipeline_tests.pipeline.harness import AS_OF, Pipeline, pipeline
from calendly_pipeline_tests.reliability.support import SHORT

TINY = SandboxConfig(seed=7, as_of=AS_OF, scale="tiny", rate_limit_per_minute=0)


def _wild(**knobs: object) -> SandboxConfig:
    return replace(TINY, wild=WildData(seed=3, **knobs))  # type: ignore[arg-type]


def _analytics_metadata(p: Pipeline, run_id: str) -> dict[str, object]:
    """The metadata the run's `analytics/seat_utilization` materialization carries."""
    records = p.instance.fetch_materializations(
        dg.AssetKey(["analytics", "seat_utilization"]), limit=1
    ).records
    (record,) = [r for r in records if r.run_id == run_id]
    return {k: v.value for k, v in record.asset_materialization.metadata.items()}


def test_seat_price_month_from_run_config_prices_every_seat(tmp_path: Path) -> None:
    """The Launchpad setting README advertises: run config `resources.sync_settings.config.
    seat_price_month` lands in seat_utilization.monthly_cost and meta.sync_info."""
    with pipeline(tmp_path) as p:
        result = p.launch(*SHORT, {"seat_price_month": 27.5})
        failures = [str(e.event_specific_data) for e in result.all_events if e.is_failure]
        assert result.success, failures
        costs = p.query(
            "SELECT status = 'removed', min(monthly_cost), max(monthly_cost), count(*) "
            "FROM analytics.seat_utilization GROUP BY 1 ORDER BY 1"
        )
        assert costs[0][1:3] == (27.5, 27.5) and costs[0][3] > 5
        assert all(row[1:3] == (0.0, 0.0) for row in costs[1:])  # removed seats cost nothing
        assert p.query("SELECT price_per_seat FROM meta.sync_info") == [(27.5,)]
        assert _analytics_metadata(p, result.run_id)["config/seat_price_month"] == 27.5


def test_unknown_plan_builds_analytics_without_paid_tier_verdicts(tmp_path: Path) -> None:
    """A plan name Calendly added after this code (`enterprise_plus`) used to stop all six
    analytics tables and the dashboard; now it is kept, warned about and judged on no tier."""
    with pipeline(tmp_path, _wild(unknown_plan="enterprise_plus")) as p:
        outcome = p.sync(*SHORT)
        assert outcome.success, outcome.error
        assert p.query("SELECT plan FROM raw.organizations") == [("enterprise_plus",)]
        assert p.query("SELECT plan, price_per_seat FROM meta.sync_info") == [
            ("enterprise_plus", None)
        ]
        for table in ("seat_utilization", "feature_adoption", "org_feature_adoption",
                      "daily_activity", "event_type_usage", "seat_history"):  # fmt: skip
            assert p.query(f"SELECT count(*) FROM analytics.{table}")[0][0] > 0, table
        # Free features are in every plan; paid ones get no verdict (NULL), never True/False.
        verdicts = p.query(
            "SELECT tier = 'basic', count(*) FILTER (WHERE in_plan IS NULL), "
            "count(*) FILTER (WHERE paid_unused), count(*) "
            "FROM analytics.org_feature_adoption GROUP BY 1 ORDER BY 1"
        )
        (_, paid_null, paid_unused, paid_rows), (_, free_null, free_unused, _) = verdicts
        assert paid_null == paid_rows and paid_unused == 0
        assert free_null == 0 and free_unused == 0
        seats = p.query(
            "SELECT count(*) FILTER (WHERE recommendation = 'downgrade'), "
            "count(*) FILTER (WHERE monthly_cost IS NOT NULL AND status <> 'removed') "
            "FROM analytics.seat_utilization"
        )
        assert seats == [(0, 0)]  # no downgrade verdict, no guessed price
        assert (tmp_path / "dashboard.html").is_file()
        meta = _analytics_metadata(p, outcome.run_id)
        assert meta["plan"] == "enterprise_plus" and meta["plan_known"] is False


def test_unknown_plan_with_a_configured_price_is_priced(tmp_path: Path) -> None:
    from calendly_pipeline.defs.sync_settings import SyncSettings

    with pipeline(tmp_path, _wild(unknown_plan="enterprise_plus")) as p:
        outcome = p.sync(*SHORT, sync_settings=SyncSettings(seat_price_month=31.0))
        assert outcome.success, outcome.error
        assert p.query(
            "SELECT DISTINCT monthly_cost FROM analytics.seat_utilization WHERE status <> 'removed'"
        ) == [(31.0,)]


@pytest.mark.parametrize("rate", [1.0])
def test_unknown_event_status_is_kept_and_counted_apart(tmp_path: Path, rate: float) -> None:
    """Every non-canceled event is served with status `tentative`: before, each counted as a
    completed (or upcoming) meeting; now none is completed or held, all are `unknown_status`."""
    with pipeline(tmp_path, _wild(unknown_event_status_rate=rate)) as p:
        outcome = p.sync(*SHORT)
        assert outcome.success, outcome.error
        (tentative,) = p.query(
            "SELECT count(*) FROM raw.scheduled_events WHERE status = ?", [UNKNOWN_EVENT_STATUS]
        )[0]
        assert tentative > 10
        (host_events,) = p.query(
            "SELECT count(*) FROM raw.event_hosts h JOIN raw.scheduled_events e "
            "ON e.uri = h.event_uri WHERE e.status = ?",
            [UNKNOWN_EVENT_STATUS],
        )[0]
        totals = p.query(
            "SELECT sum(unknown_status), sum(completed), sum(no_show) FROM analytics.daily_activity"
        )
        assert totals == [(host_events, 0, 0)]
        assert p.query("SELECT max(meetings_hosted_90d) FROM analytics.seat_utilization") == [(0,)]
        reported = _analytics_metadata(p, outcome.run_id)["unknown_enum_values"]
        assert {"table": "scheduled_events", "column": "status", "value": UNKNOWN_EVENT_STATUS,
                "rows": tentative} in reported  # fmt: skip


def test_event_types_the_list_does_not_serve_are_resolved_by_uri(tmp_path: Path) -> None:
    """Events of a type `/event_types` does not list (shared or deleted types) used to get NULL
    name, kind and owner in event_type_usage; now the type is read by its own URI."""
    with pipeline(tmp_path, _wild(unlisted_event_type=True)) as p:
        outcome = p.sync(*SHORT)
        assert outcome.success, outcome.error
        world = p.sandbox.world
        unlisted = world.uri("event_type", world.unlisted_event_type)
        served = world.data.event_types[world.unlisted_event_type]
        usage = p.query(
            "SELECT name, kind, owner_name IS NOT NULL, bookings FROM analytics.event_type_usage "
            "WHERE event_type_uri = ?",
            [unlisted],
        )
        assert len(usage) == 1 and usage[0][:3] == (served.name, served.kind, True)
        assert usage[0][3] > 0
        assert p.query(
            "SELECT count(*) FROM analytics.event_type_usage WHERE bookings > 0 AND name IS NULL"
        ) == [(0,)]


def test_an_event_with_more_than_100_invitees_loads_every_one(tmp_path: Path) -> None:
    """`big_event_invitees`: one group event's invitee list pages past count=100."""
    with pipeline(tmp_path, _wild(big_event_invitees=120)) as p:
        world = p.sandbox.world
        (eid,) = (world.data.events.n_inv == 120).nonzero()[0]
        uri = world.uri("event", int(eid))
        day = datetime.fromtimestamp(int(world.data.events.start[eid]) / 1e6, UTC).date()
        outcome = p.sync(day, day)
        assert outcome.success, outcome.error
        assert p.query("SELECT count(*) FROM raw.invitees WHERE event_uri = ?", [uri]) == [(120,)]
        assert p.query("SELECT invitees_total FROM raw.scheduled_events WHERE uri = ?", [uri]) == [
            (120,)
        ]


def test_deleted_event_types_are_read_by_uri_once(tmp_path: Path) -> None:
    """The removed member's events point at their deleted types, which `/event_types` does not
    list: the first sync reads them by URI (with `deleted_at`), later full refreshes of the
    list keep them instead of reading them again."""
    with pipeline(tmp_path) as p:
        assert p.full_sync().success
        deleted = p.query("SELECT uri FROM raw.event_types WHERE deleted_at IS NOT NULL")
        assert deleted  # the tiny world's removed member had event types
        by_uri = "/event_types/{uuid}"
        asked = p.sandbox.stats()["by_path"].get(by_uri, 0)
        assert asked >= len(deleted)
        outcome = p.full_sync()
        assert outcome.success, outcome.error
        assert p.sandbox.stats()["by_path"].get(by_uri, 0) == asked
        assert p.query("SELECT uri FROM raw.event_types WHERE deleted_at IS NOT NULL") == deleted
        assert p.query(
            "SELECT count(*) FROM analytics.event_type_usage WHERE bookings > 0 AND name IS NULL"
        ) == [(0,)]

"""Organizations with nothing to chart still get a dashboard (issue 13).

Each warehouse is built the way a sync builds it: raw frames from the transforms' `RawWorld`,
the real utilization model (`build_analytics`), storage's writes into a real DuckDB file, then
the real renderer. An organization without one active seat in any month used to crash
`metrics.adoption_trend` with `IndexError: single positional indexer is out-of-bounds`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from calendly_pipeline.dashboard import render_dashboard
from calendly_pipeline.storage import writes
from calendly_pipeline.storage.analytics_tables import ANALYTICS_TABLES
from calendly_pipeline.storage.migrations import migrate
from calendly_pipeline.transforms.model import build_analytics
from calendly_pipeline.transforms.utilization_config import UtilizationConfig
from calendly_pipeline_tests.transforms.builders import AS_OF, ORG, RawWorld

SPECS = {spec.name: spec for spec in ANALYTICS_TABLES}


def owner_alone_idle() -> RawWorld:
    """The owner set the account up long ago and never used it: idle in every month."""
    w = RawWorld(plan="teams")
    w.member("owner", joined_days_ago=200, role="owner")
    return w


def brand_new_org() -> RawWorld:
    """Created five days ago, the owner alone, nothing booked yet: new, not active."""
    w = RawWorld(plan="teams")
    w.member("owner", joined_days_ago=5, role="owner")
    return w


def no_meetings_in_window() -> RawWorld:
    """A first sync over a past window without meetings: members, groups, event types, no events."""
    w = RawWorld(plan="enterprise")
    owner = w.member("owner", role="owner")
    ann = w.member("ann")
    w.invitation("late@acme.test", 40)
    w.group("Sales", owner, ann)
    w.event_type(owner)
    return w


def empty_member_list() -> RawWorld:
    """The membership list came back empty: only the organization itself is known."""
    return RawWorld(plan="standard")


def warehouse(path: Path, world: RawWorld) -> str:
    """Raw frames -> the real analytics model -> storage's writes, as the sync's assets do."""
    config = UtilizationConfig()
    tables = build_analytics(world.frames(), config, AS_OF)
    with duckdb.connect(str(path)) as conn:
        migrate(conn, analytics=ANALYTICS_TABLES)
        for name, frame in tables.items():
            writes.replace_all(conn, SPECS[name], frame)
        writes.write_sync_info(
            conn,
            org_uri=ORG,
            org_name="Acme",
            plan=world.rows["organizations"][0]["plan"],
            synced_at=AS_OF.to_pydatetime(),
            is_synthetic=True,
            api_host="127.0.0.1",
            idle_days=config.idle_days,
            grace_days=config.grace_days,
            price_per_seat=20.0,
            currency="USD",
            trailing_days=7,
        )
    return str(path)


@pytest.mark.parametrize(
    "world", [owner_alone_idle, brand_new_org, no_meetings_in_window, empty_member_list]
)
def test_org_without_an_active_seat_gets_a_dashboard(
    world: Callable[[], RawWorld], tmp_path: Path
) -> None:
    database = warehouse(tmp_path / "calendly.duckdb", world())
    with duckdb.connect(database, read_only=True) as con:
        active = con.execute(
            "SELECT count(*) FROM analytics.org_feature_adoption WHERE active_seats > 0"
        ).fetchone()[0]
    assert active == 0, "the scenario must have no active seat in any month"

    summary = render_dashboard(database, tmp_path / "dashboard.html")
    html = summary.path.read_text(encoding="utf-8")

    assert summary.seats_active == 0
    assert 'data-empty="trend"' in html and "No monthly adoption figures yet." in html
    assert "trend" not in summary.charts
    assert 'data-empty="meetings"' in html

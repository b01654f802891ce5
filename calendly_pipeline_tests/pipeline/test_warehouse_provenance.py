"""Two warehouses synced from one DAGSTER_HOME stay apart (issue 16): each one's dashboard is
written beside it, and every materialization records which warehouse it wrote."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from calendly_pipeline.settings import dashboard_path
from calendly_pipeline_tests.pipeline.harness import pipeline
from calendly_pipeline_tests.reliability.support import SHORT


def test_each_warehouse_gets_its_own_dashboard_and_its_materializations_name_it(
    tmp_path: Path,
) -> None:
    with pipeline(tmp_path, env={"CALENDLY_DASHBOARD_PATH": None}) as p:
        outcome = p.sync(*SHORT)
        assert outcome.success, outcome.error
        assert (tmp_path / "dashboard.html").is_file()
        assert dashboard_path(str(p.database)) == tmp_path / "dashboard.html"

        records = p.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("dashboard")), limit=1
        ).records
        assert records, "the dashboard was not materialized"
        keys = p.instance.get_asset_keys()
        wrote = {}
        for key in keys:
            (record,) = p.instance.fetch_materializations(key, limit=1).records
            metadata = record.asset_materialization.metadata
            assert "warehouse" in metadata, f"{key.to_user_string()} does not name its warehouse"
            wrote[key.to_user_string()] = metadata["warehouse"].value
        assert set(wrote.values()) == {str(p.database.resolve())}, wrote
        assert {"raw/scheduled_events", "analytics/seat_utilization", "dashboard"} <= set(wrote)


def test_an_explicit_dashboard_path_wins_and_md_warehouses_use_data(monkeypatch) -> None:
    monkeypatch.setenv("CALENDLY_DASHBOARD_PATH", "/srv/www/seats.html")
    assert dashboard_path("/var/lib/a/calendly.duckdb") == Path("/srv/www/seats.html")
    monkeypatch.delenv("CALENDLY_DASHBOARD_PATH")
    assert dashboard_path("/var/lib/a/calendly.duckdb") == Path("/var/lib/a/dashboard.html")
    assert dashboard_path("md:calendly").name == "dashboard.html"

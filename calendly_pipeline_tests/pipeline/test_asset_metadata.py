"""What the asset pages say after real runs (issue 16): a partition reports the rows of its
window (the table's total separately), and the membership snapshots carry the synthetic flag and
a preview like every other raw table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg

from calendly_pipeline_tests.pipeline.harness import pipeline
from calendly_pipeline_tests.reliability.support import MONTH, SHORT

EVENTS = dg.AssetKey(["raw", "scheduled_events"])


def test_partition_reports_its_window_and_the_table_total_apart(tmp_path: Path) -> None:
    with pipeline(tmp_path) as p:
        assert p.sync(*MONTH).success
        outcome = p.sync(*SHORT)
        assert outcome.success, outcome.error
        record = p.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=EVENTS, asset_partitions=[SHORT[0].isoformat()]),
            limit=1,
        ).records[0]
        metadata = record.asset_materialization.metadata
        start = datetime.combine(SHORT[0], datetime.min.time(), UTC)
        end = datetime.combine(SHORT[1] + timedelta(days=1), datetime.min.time(), UTC)
        (in_window,) = p.query(
            "SELECT count(*) FROM raw.scheduled_events WHERE start_time >= ? AND start_time < ?",
            [start, end],
        )[0]
        (total,) = p.query("SELECT count(*) FROM raw.scheduled_events")[0]
        assert in_window < total, "the test needs events outside the second run's window"
        assert metadata["dagster/row_count"].value == in_window
        assert metadata["table_rows"].value == total

        snapshots = p.instance.get_latest_materialization_event(
            dg.AssetKey(["raw", "membership_snapshots"])
        ).asset_materialization.metadata
        assert "synthetic_data" in snapshots and "warehouse" in snapshots
        assert snapshots["preview"].value.count("\n") >= 2, "no preview rows"


def test_launchpad_shows_no_base_url_the_run_does_not_use(monkeypatch) -> None:
    """Without CALENDLY_API_BASE_URL the scaffold used to show https://api.calendly.com while
    the run read the embedded sandbox; now the demo is its own resource, with no URL at all, and
    production's field is empty unless set."""
    from calendly_pipeline.connection_settings import DEFAULT_BASE_URL
    from calendly_pipeline.defs.resources import (
        CalendlyAPIResource,
        CalendlyResource,
        SandboxCalendlyResource,
    )

    for name in ("CALENDLY_API_BASE_URL", "CALENDLY_API_TOKEN", "CALENDLY_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CALENDLY_ENV", "production")
    resource = CalendlyResource.from_env()
    assert isinstance(resource, CalendlyAPIResource) and resource.base_url is None
    assert DEFAULT_BASE_URL in CalendlyAPIResource.model_fields["base_url"].description
    assert "base_url" not in SandboxCalendlyResource.model_fields
    # With a token, an empty base URL means the real API.
    assert CalendlyAPIResource(api_token="t").settings().base_url == DEFAULT_BASE_URL

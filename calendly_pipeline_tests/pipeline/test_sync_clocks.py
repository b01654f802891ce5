"""The dashboard says when the sync ran by our clock, apart from the API's clock it measures
everything against (the sandbox's clock is months away from ours)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from calendly_pipeline_tests.pipeline.harness import AS_OF, Pipeline


def test_sync_records_and_shows_when_it_ran_beside_the_api_clock(
    synced_pipeline: Pipeline, synced_dashboard: Path
) -> None:
    ((ran_at, synced_at),) = synced_pipeline.query("SELECT ran_at, synced_at FROM meta.sync_info")
    now = datetime.now(UTC)
    assert now - timedelta(hours=3) < ran_at <= now
    assert synced_at.date() == AS_OF != ran_at.date()
    page = synced_dashboard.read_text()
    shown = dict(re.findall(r'data-field="(ran_at|synced_at|last_sync)">([^<]+)<', page))
    ours = f"{ran_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    assert shown == {
        "ran_at": ours,
        "synced_at": f"{synced_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
        "last_sync": ours,  # the connection card tells the same time as the header
    }

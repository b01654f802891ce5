"""Issue 18 item 5, through Dagster: on Enterprise the activity log's removal entries put the
members removed before the first roster snapshot in seat history; under a plan without the log
(its 403) nothing is added. Sandbox knob: `SandboxConfig(log_removals=True)`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from calendly_pipeline.defs.sync_settings import SyncSettings
from calendly_pipeline.sandbox import SandboxConfig
from calendly_pipeline_tests.pipeline.harness import AS_OF, pipeline
from calendly_pipeline_tests.pipeline.test_manifest_agreement import (
    test_seat_status_and_features_match_the_manifest as agree_member_by_member,
)


def _month_end(ts: pd.Timestamp) -> pd.Timestamp:
    return (ts + pd.offsets.MonthEnd(0)).normalize().tz_localize(None)


@pytest.mark.parametrize(
    ("plan", "entry_names"), [("enterprise", None), ("teams", None), ("enterprise", [])]
)
def test_removals_before_the_first_snapshot(
    tmp_path: Path, plan: str, entry_names: list[str] | None
) -> None:
    """`entry_names` []: the setting `removal_entry_names` reads no entry, whatever the log."""
    config = SandboxConfig(
        seed=7, as_of=AS_OF, scale="tiny", plan=plan, rate_limit_per_minute=0, log_removals=True
    )
    with pipeline(tmp_path, config) as p:
        settings = {} if entry_names is None else {"removal_entry_names": entry_names}
        window = (AS_OF - timedelta(days=61), AS_OF + timedelta(days=31))  # the tiny history
        assert p.sync(*window, sync_settings=SyncSettings(**settings)).success
        gone = p.sandbox.manifest()["removed_members"]
        assert gone, "the sandbox removes at least one member before as_of"
        logged = {
            uri: (source, pd.Timestamp(at))
            for uri, source, at in p.query(
                "SELECT user_uri, removal_source, removed_at FROM analytics.seat_utilization "
                "WHERE status = 'removed'"
            )
        }
        history = p.query("SELECT month, removed FROM analytics.seat_history ORDER BY month")
        first_snapshot = p.query("SELECT min(snapshot_date) FROM raw.membership_snapshots")[0][0]
        agree_member_by_member(p)  # the log's extra entries (the admin's) change no verdict
    expected = {
        m["user_uri"]: ("activity_log", pd.Timestamp(m["removed_at"]))
        for m in gone
        if m["in_activity_log"] and entry_names is None
    }
    assert logged == expected
    assert all(pd.Timestamp(m["removed_at"]).date() < first_snapshot for m in gone)
    if plan == "enterprise" and entry_names is None:
        assert len(expected) == len(gone)  # the test has teeth: every removal is logged
        removed_by = {
            pd.Timestamp(month): sum(
                _month_end(pd.Timestamp(m["removed_at"])) <= pd.Timestamp(month) for m in gone
            )
            for month, _ in history
        }
        assert {pd.Timestamp(month): n for month, n in history} == removed_by
        assert history[-1][1] == len(gone)
    else:  # the activity log is Enterprise only (the 403 adds nothing), or reading it is off
        assert expected == {}
        assert {n for _, n in history} == {0}

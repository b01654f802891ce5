"""Issue 6's acceptance test: the default organization synced through Dagster into DuckDB, and
the utilization tables agree exactly with the sandbox's ground truth for every member."""

from __future__ import annotations

import pandas as pd

from calendly_pipeline_tests.pipeline.harness import Pipeline


def _frame(p: Pipeline, sql: str) -> pd.DataFrame:
    import duckdb

    with duckdb.connect(str(p.database), read_only=True) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        return conn.execute(sql).df()


def test_seat_status_and_features_match_the_manifest(synced_pipeline: Pipeline) -> None:
    manifest = synced_pipeline.sandbox.manifest()
    seats = _frame(synced_pipeline, "SELECT * FROM analytics.seat_utilization")
    adoption = _frame(synced_pipeline, "SELECT * FROM analytics.feature_adoption")
    current = (seats["seat_type"] == "member") & (seats["status"] != "removed")
    members = seats[current].set_index("user_uri")  # the manifest's members: the current roster
    got, want = {}, {}
    for m in manifest["members"]:
        row = members.loc[m["user_uri"]]
        mine = adoption[adoption["user_uri"] == m["user_uri"]]
        got[m["email"]] = (
            row["status"],
            row["activity_source"],
            None if pd.isna(row["last_host_action_at"]) else row["last_host_action_at"],
            sorted(mine.loc[mine["uses_total"] > 0, "feature"]),
            sorted(mine.loc[mine["adopted"].astype(bool), "feature"]),
        )
        want[m["email"]] = (
            m["status"],
            m["activity_source"],
            None if m["last_host_action_at"] is None else pd.Timestamp(m["last_host_action_at"]),
            sorted(m["features_used"]),
            sorted(m["features_adopted"]),
        )
    mismatches = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
    assert not mismatches, f"{len(mismatches)} members disagree: {list(mismatches.items())[:3]}"
    assert len(members) == len(manifest["members"])
    pending = seats.loc[seats["status"] == "pending", "email"]
    assert sorted(pending) == sorted(p["email"] for p in manifest["pending_invitations"])
    assert {s for s, *_ in want.values()} >= {"active", "idle", "new"}  # the test has teeth

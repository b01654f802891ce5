"""The utilization model on everything the tiny sandbox serves (real HTTP through our client,
flattened by our flatten layer) agrees exactly with the sandbox's ground-truth manifest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from calendly_pipeline.client import CalendlyClient, PersonalAccessToken
from calendly_pipeline.sandbox import Sandbox
from calendly_pipeline.storage import database, migrations, reads, writes
from calendly_pipeline.storage import raw_tables as rt
from calendly_pipeline.transforms import flatten
from calendly_pipeline.transforms.model import (
    ANALYTICS_NAMES,
    SMALL_TABLES,
    build_analytics,
    summarize_chunks,
    tables_from_summary,
)
from calendly_pipeline.transforms.summary import EVENT_CHUNK_COLUMNS
from calendly_pipeline.transforms.utilization_config import UtilizationConfig


@pytest.fixture(scope="module")
def synced(tiny_sandbox: Sandbox) -> tuple[dict[str, pd.DataFrame], dict]:
    client = CalendlyClient(
        tiny_sandbox.base_url, PersonalAccessToken(tiny_sandbox.tokens["owner"])
    )
    org = client.caller().organization_uri
    by_org = {"organization": org}

    def every(path: str, params: dict | None = None) -> list[dict]:
        return list(client.paginate(path, params))

    memberships = every("/organization_memberships", by_org)
    groups = every("/groups", by_org)
    hooks = every("/webhook_subscriptions", {**by_org, "scope": "organization"})
    for m in memberships:
        hooks += every(
            "/webhook_subscriptions", {**by_org, "scope": "user", "user": m["user"]["uri"]}
        )
    for g in groups:
        hooks += every("/webhook_subscriptions", {**by_org, "scope": "group", "group": g["uri"]})
    events = every("/scheduled_events", {**by_org, "max_start_time": "2027-01-01T00:00:00Z"})
    invitees = [i for e in events for i in every(f"{e['uri']}/invitees")]
    frames = {
        "organizations": flatten.organizations([client.get(org)]),
        "organization_memberships": flatten.organization_memberships(memberships),
        "membership_snapshots": flatten.to_frame(rt.MEMBERSHIP_SNAPSHOTS, {}, rows=0),
        "organization_invitations": flatten.organization_invitations(every(f"{org}/invitations")),
        "groups": flatten.groups(groups),
        "group_relationships": flatten.group_relationships(every("/group_relationships", by_org)),
        "event_types": flatten.event_types(every("/event_types", by_org)),
        "scheduled_events": flatten.scheduled_events(events),
        "event_hosts": flatten.event_hosts(events),
        "invitees": flatten.invitees(invitees, pii="hash", salt="test"),
        "webhook_subscriptions": flatten.webhook_subscriptions(hooks),
        "activity_log_entries": flatten.activity_log_entries(
            every("/activity_log_entries", by_org)
        ),
    }
    assert client.server_now is not None
    return frames, tiny_sandbox.manifest()


def test_every_member_agrees_with_the_manifest(synced: tuple[dict, dict]) -> None:
    frames, manifest = synced
    as_of = pd.Timestamp(manifest["as_of"])
    rules = manifest["rules"]
    config = UtilizationConfig(
        idle_days=rules["idle_days"],
        grace_days=rules["grace_days"],
        adoption_days=rules["adoption_days"],
    )
    tables = build_analytics(frames, config, as_of)
    seats = tables["seat_utilization"].set_index("user_uri", drop=False)
    adoption = tables["feature_adoption"]
    got, want = {}, {}
    for m in manifest["members"]:
        user = m["user_uri"]
        row = seats.loc[user]
        mine = adoption[adoption["user_uri"] == user]
        got[m["email"]] = (
            row["status"],
            row["activity_source"],
            None if pd.isna(row["last_active_at"]) else row["last_active_at"],
            None if pd.isna(row["last_host_action_at"]) else row["last_host_action_at"],
            sorted(mine.loc[mine["uses_total"] > 0, "feature"]),
            sorted(mine.loc[mine["adopted"], "feature"]),
        )
        want[m["email"]] = (
            m["status"],
            m["activity_source"],
            None if m["last_active_at"] is None else pd.Timestamp(m["last_active_at"]),
            None if m["last_host_action_at"] is None else pd.Timestamp(m["last_host_action_at"]),
            sorted(m["features_used"]),
            sorted(m["features_adopted"]),
        )
    assert got == want
    pending = seats.loc[seats["status"] == "pending", "email"]
    assert sorted(pending) == sorted(p["email"] for p in manifest["pending_invitations"])
    assert {s for s, *_ in want.values()} >= {"active", "idle"}  # the comparison has teeth


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in df.columns if df[c].map(lambda v: isinstance(v, list)).sum() == 0]
    return df.sort_values(keys, ignore_index=True)


def test_event_chunks_from_duckdb_give_the_same_tables(
    synced: tuple[dict, dict], tmp_path: Path
) -> None:
    """The sync's path (events read from DuckDB a third of a month at a time, summaries merged)
    and the one-pass path (all events at once) agree on every table, to the row."""
    frames, manifest = synced
    as_of = pd.Timestamp(manifest["as_of"])
    config = UtilizationConfig()
    with database.connection(tmp_path / "calendly.duckdb") as conn:
        migrations.migrate(conn)
        with writes.transaction(conn):
            for spec in rt.RAW_TABLES:
                if spec.name in frames:
                    writes.replace_all(conn, spec, frames[spec.name])
        stored = reads.raw_frames(conn)
        small = reads.raw_frames(conn, tables=SMALL_TABLES)
        chunks = list(reads.event_chunks(conn, EVENT_CHUNK_COLUMNS))
    daily: list[pd.DataFrame] = []
    summary = summarize_chunks(small, chunks, config, as_of, daily.append)
    chunked = {
        **tables_from_summary(small, summary, config, as_of),
        "daily_activity": pd.concat(daily, ignore_index=True),
    }
    whole = build_analytics(stored, config, as_of)

    assert len(chunks) >= 3, "the world must span several months for chunks to matter"
    for chunk in chunks:  # days 1-10, 11-20 or 21 to the end of one UTC month
        start = chunk["scheduled_events"]["start_time"].dropna().dt.tz_convert("UTC")
        assert (start.dt.year * 12 + start.dt.month).nunique() <= 1
        assert ((start.dt.day - 1) // 10).clip(upper=2).nunique() <= 1
    assert sum(len(c["scheduled_events"]) for c in chunks) == len(stored["scheduled_events"])
    assert sum(len(c["invitees"]) for c in chunks) == len(stored["invitees"])
    assert set(chunked) == set(ANALYTICS_NAMES)
    for name in ANALYTICS_NAMES:
        assert len(whole[name]) > 0, name
        pd.testing.assert_frame_equal(_sorted(chunked[name]), _sorted(whole[name]), obj=name)

"""The sync end to end: real sandbox over HTTP, real DuckDB file, real Dagster runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from calendly_pipeline.sandbox import FaultConfig
from calendly_pipeline.storage import database, reads
from calendly_pipeline.transforms.model import build_analytics
from calendly_pipeline.transforms.utilization_config import UtilizationConfig
from calendly_pipeline_tests.pipeline.harness import Pipeline, pipeline

TABLES = [
    "raw.organization_memberships",
    "raw.organization_invitations",
    "raw.groups",
    "raw.group_relationships",
    "raw.event_types",
    "raw.scheduled_events",
    "raw.invitees",
    "raw.routing_forms",
    "raw.routing_form_submissions",
    "raw.webhook_subscriptions",
    "raw.activity_log_entries",
]


@pytest.fixture
def synced(tmp_path: Path) -> Pipeline:
    with pipeline(tmp_path) as p:
        outcome = p.full_sync()
        assert outcome.success, outcome.error
        yield p


def count(p: Pipeline, table: str, where: str = "TRUE") -> int:
    return p.query(f"SELECT count(*) FROM {table} WHERE {where}")[0][0]


def test_row_counts_equal_what_the_sandbox_serves(synced: Pipeline) -> None:
    served = synced.sandbox.world.counts()
    manifest = synced.sandbox.manifest()
    assert count(synced, "raw.organization_memberships") == len(manifest["members"])
    assert count(synced, "raw.organization_invitations", "status = 'pending'") == len(
        manifest["pending_invitations"]
    )
    assert count(synced, "raw.scheduled_events") == served["scheduled_events"]
    assert count(synced, "raw.invitees") == served["invitees"]
    # Listed types, plus the deleted ones events still point at (resolved by URI).
    assert count(synced, "raw.event_types", "deleted_at IS NULL") == served["event_types"]
    unknown_type = "event_type NOT IN (SELECT uri FROM raw.event_types)"
    assert count(synced, "raw.scheduled_events", unknown_type) == 0
    assert count(synced, "raw.groups") == served["groups"]
    assert count(synced, "raw.routing_forms") == served["routing_forms"]
    assert count(synced, "raw.routing_form_submissions") == served["submissions"]
    assert count(synced, "raw.webhook_subscriptions") == served["webhooks"]
    assert count(synced, "raw.activity_log_entries") == served["activity_log"]
    # Every event has its hosts, and invitee emails are salted hashes by default.
    assert count(synced, "raw.event_hosts") >= served["scheduled_events"]
    assert count(synced, "raw.invitees", "length(email) <> 64 OR name IS NOT NULL") == 0


def test_rerunning_the_same_range_changes_nothing(synced: Pipeline) -> None:
    before = {t: synced.snapshot(t) for t in TABLES}
    outcome = synced.full_sync()
    assert outcome.success, outcome.error
    assert {t: synced.snapshot(t) for t in TABLES} == before


def test_daily_run_catches_cancellations_and_no_shows(synced: Pipeline) -> None:
    world = synced.sandbox.world
    past = synced.query(
        "SELECT e.uri, i.uri FROM raw.scheduled_events e "
        "JOIN raw.invitees i ON i.event_uri = e.uri "
        "WHERE e.status = 'active' AND i.no_show_uri IS NULL AND e.start_time < ? "
        "AND e.start_time > ? - INTERVAL 3 DAY ORDER BY e.start_time LIMIT 1",
        [synced.today, synced.today],
    )
    upcoming = synced.query(
        "SELECT uri, start_time FROM raw.scheduled_events WHERE status = 'active' "
        "AND start_time > ? ORDER BY start_time LIMIT 1",
        [synced.today],
    )
    (past_event, past_invitee), ((future_event, future_start),) = past[0], upcoming
    world.mark_no_show(past_invitee)
    world.cancel_event(future_event, by="invitee", reason="conflict")
    world.advance(days=1)

    outcome = synced.daily_sync()
    assert outcome.success, outcome.error
    assert synced.query(
        "SELECT no_show_uri IS NOT NULL FROM raw.invitees WHERE uri = ?", [past_invitee]
    ) == [(True,)]
    assert synced.query(
        "SELECT status, canceler_type FROM raw.scheduled_events WHERE uri = ?", [future_event]
    ) == [("canceled", "invitee")]
    assert past_event  # the no-show's event stays active
    # daily_activity was rewritten month by month, changed rows only: it must still equal the
    # table computed from scratch over everything stored.
    with database.connection(synced.database, read_only=True) as conn:
        frames = reads.raw_frames(conn)
        info = reads.read_sync_info(conn)
        stored = reads.read_table(conn, "daily_activity")
    as_of = pd.Timestamp(info["synced_at"])
    fresh = build_analytics(frames, UtilizationConfig(), as_of)["daily_activity"]
    keys = ["activity_date", "user_uri"]
    pd.testing.assert_frame_equal(
        stored.sort_values(keys, ignore_index=True),
        fresh.sort_values(keys, ignore_index=True),
        check_dtype=False,
    )
    day = pd.Timestamp(future_start.date())
    assert stored.loc[stored["activity_date"] == day, "canceled_by_invitee"].sum() >= 1


def test_upstream_deletion_is_marked_and_personal_data_erased(synced: Pipeline) -> None:
    ((event,),) = synced.query(
        "SELECT e.uri FROM raw.scheduled_events e WHERE e.start_time > ? "
        "AND EXISTS (SELECT 1 FROM raw.invitees i WHERE i.event_uri = e.uri) "
        "ORDER BY e.start_time LIMIT 1",
        [synced.today],
    )
    synced.sandbox.world.delete_event_data(event)
    outcome = synced.daily_sync()
    assert outcome.success, outcome.error
    assert synced.query(
        "SELECT deleted_at IS NOT NULL FROM raw.scheduled_events WHERE uri = ?", [event]
    ) == [(True,)]
    assert count(synced, "raw.invitees", f"event_uri = '{event}' AND email IS NOT NULL") == 0


def test_failure_midway_leaves_the_previous_state_intact(
    synced: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {t: synced.snapshot(t) for t in TABLES}
    # Every API call now fails; one try per request keeps the test short (the retries
    # themselves are covered by the client and reliability suites).
    monkeypatch.setenv("CALENDLY_HTTP_ATTEMPTS", "1")
    synced.sandbox.set_faults(FaultConfig(error_rate=1.0, seed=3))
    outcome = synced.full_sync()
    assert not outcome.success
    assert "500" in outcome.error or "server" in outcome.error.lower(), outcome.error
    assert "\n" not in outcome.error
    synced.sandbox.set_faults(FaultConfig())
    assert {t: synced.snapshot(t) for t in TABLES} == before

"""Deletions are confirmed before personal data is purged, and an event that comes back has its
invitees read again (issue 13).

Calendly removes a scheduled event only on a data-compliance request, so the pipeline purges the
invitees of an event its listing no longer serves. A listing is no proof: a record can be skipped
while paging (another event removed mid-listing shifts the offsets). Both scenarios run two or
three real syncs over HTTP and end with the warehouse equal to a fault-free sync, invitee counts
per event equal to the sandbox's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg

from calendly_pipeline.sandbox import FaultConfig, SandboxConfig
from calendly_pipeline_tests.pipeline.harness import AS_OF, Pipeline, pipeline
from calendly_pipeline_tests.reliability.support import (
    EVENT_PAGES,
    MONTH,
    SHORT,
    Reference,
    differences,
    rows,
)


def _invitees_per_event(p: Pipeline) -> tuple[dict[str, int], dict[str, int]]:
    """(stored, served): invitees per live stored event, in the warehouse and in the sandbox."""
    stored = dict(
        p.query(
            "SELECT e.uri, count(i.uri) FROM raw.scheduled_events e "
            "LEFT JOIN raw.invitees i ON i.event_uri = e.uri "
            "WHERE e.deleted_at IS NULL GROUP BY e.uri"
        )
    )
    world = p.sandbox.world
    served = {uri: int(world.data.events.n_inv[world.lookup("event", uri)]) for uri in stored}
    return stored, served


def _marked_deleted(p: Pipeline, run_id: str) -> int:
    """`marked_deleted` of the run's events step (every partition of the range carries it)."""
    records = p.instance.fetch_materializations(
        dg.AssetKey(["raw", "scheduled_events"]), limit=100
    ).records
    record = next(r for r in records if r.run_id == run_id)
    return record.asset_materialization.metadata["marked_deleted"].value


def test_a_record_skipped_while_paging_is_kept_with_its_invitees(
    tmp_path: Path, reference: Reference
) -> None:
    """Run 2's listing loses the first record of a page; the event is asked for by URI (200),
    so it is neither marked deleted nor purged. Before, it was purged, and run 3 cleared
    `deleted_at` without reading its invitees again: one invitee fewer for ever."""
    with pipeline(tmp_path) as p:
        assert p.sync(*MONTH).success
        p.sandbox.set_faults(FaultConfig(vanish_between_pages=1, paths=(EVENT_PAGES,)))
        skipped = p.sync(*MONTH)
        assert skipped.success, skipped.error
        assert p.sandbox.stats().get("vanished") == 1
        assert _marked_deleted(p, skipped.run_id) == 0
        p.sandbox.set_faults(FaultConfig())
        clean = p.sync(*MONTH)
        assert clean.success, clean.error
        assert differences(rows(p), reference(MONTH)) == {}
        stored, served = _invitees_per_event(p)
        assert stored == served


def test_an_event_served_again_gets_its_invitees_back(tmp_path: Path, reference: Reference) -> None:
    """A confirmed deletion (404) purges the invitees; when the server serves the event again,
    the next sync reads its invitees anew, even outside the trailing window."""
    with pipeline(tmp_path) as p:
        assert p.sync(*SHORT).success
        (uri, invitees) = p.query(
            "SELECT e.uri, count(*) FROM raw.scheduled_events e "
            "JOIN raw.invitees i ON i.event_uri = e.uri "
            "WHERE e.start_time < ? GROUP BY e.uri, e.start_time "
            "ORDER BY e.start_time, e.uri LIMIT 1",
            [f"{SHORT[0].isoformat()} 23:59:59+00"],
        )[0]
        assert AS_OF.toordinal() - SHORT[0].toordinal() > 7  # outside the trailing window
        p.sandbox.world.delete_event_data(uri)
        deleting = p.sync(*SHORT)
        assert deleting.success, deleting.error
        assert _marked_deleted(p, deleting.run_id) == 1
        assert p.query("SELECT count(*) FROM raw.invitees WHERE event_uri = ?", [uri]) == [(0,)]
        p.sandbox.world.restore_event_data(uri)
        back = p.sync(*SHORT)
        assert back.success, back.error
        assert p.query(
            "SELECT deleted_at IS NULL, (SELECT count(*) FROM raw.invitees WHERE event_uri = ?) "
            "FROM raw.scheduled_events WHERE uri = ?",
            [uri, uri],
        ) == [(True, invitees)]
        assert differences(rows(p), reference(SHORT)) == {}
        stored, served = _invitees_per_event(p)
        assert stored == served


def test_without_a_date_header_deletions_and_stamps_are_never_null(tmp_path: Path) -> None:
    """A server (or proxy) that sends no `Date`: the steps read the client's clock once, which
    falls back to ours, so `deleted_at`, the invitee sync stamps and `as_of` are never NULL."""
    today = datetime.now(UTC).date()
    config = SandboxConfig(
        seed=7,
        as_of=today,
        scale="tiny",
        rate_limit_per_minute=0,
        faults=FaultConfig(no_date_header=True),
    )
    window = (today - timedelta(days=10), today + timedelta(days=4))
    with pipeline(tmp_path, config) as p:
        assert p.sync(*window).success
        (uri,) = p.query("SELECT min(uri) FROM raw.scheduled_events")[0]
        p.sandbox.world.delete_event_data(uri)
        outcome = p.sync(*window)
        assert outcome.success, outcome.error
        assert p.query(
            "SELECT count(*) FILTER (WHERE deleted_at IS NOT NULL), count(*) "
            "FILTER (WHERE uri = ? AND deleted_at IS NULL) FROM raw.scheduled_events",
            [uri],
        ) == [(1, 0)]
        assert p.query(
            "SELECT count(*) FROM meta.invitee_sync WHERE fetched_at IS NULL "
            "OR event_updated_at IS NULL"
        ) == [(0,)]
        assert p.query("SELECT count(*) FROM analytics.seat_utilization WHERE as_of IS NULL") == [
            (0,)
        ]

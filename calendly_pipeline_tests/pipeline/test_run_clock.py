"""One run, one clock (issue 15 item 6): `as_of` is the API's clock at the run's first answer,
read once and passed to every step, so a clock that moves during the run (the real API's does;
the sandbox's moves when advanced) never gives one run's stamps two different times."""

from __future__ import annotations

from pathlib import Path

from calendly_pipeline.sandbox import FaultConfig
from calendly_pipeline_tests.pipeline.harness import pipeline
from calendly_pipeline_tests.reliability.support import SHORT


def test_every_stamp_of_a_run_is_the_runs_one_as_of(tmp_path: Path) -> None:
    with pipeline(tmp_path) as p:
        before = p.sandbox.world.now_us
        # The server's clock moves on with every request, as a real server's does (faster).
        p.sandbox.set_faults(FaultConfig(clock_seconds_per_request=60))
        assert p.sync(*SHORT).success
        assert p.sandbox.world.now_us > before, "the clock did not move during the run"
        ((as_of,),) = p.query("SELECT synced_at FROM meta.sync_info")
        stamps = p.query(
            """
            SELECT 'event_coverage', synced_at FROM meta.event_coverage
            UNION SELECT 'invitee_sync', fetched_at FROM meta.invitee_sync
            UNION SELECT 'collection_reads', read_at FROM meta.collection_reads
            UNION SELECT 'seat_utilization', as_of FROM analytics.seat_utilization
            UNION SELECT 'plan_options', as_of FROM analytics.plan_options
            """
        )
    assert {table for table, _ in stamps} == {
        "event_coverage",
        "invitee_sync",
        "collection_reads",
        "seat_utilization",
        "plan_options",
    }
    assert {table: at for table, at in stamps if at != as_of} == {}

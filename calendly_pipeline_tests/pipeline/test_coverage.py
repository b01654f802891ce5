"""Issue 18, through Dagster: a partial first sync gives `unknown` seats, no reclaim advice for
them and a failing coverage check naming the missing days; the full range then gives the
verdicts of the model on every event (the manifest's statuses)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dagster as dg

from calendly_pipeline_tests.pipeline.harness import AS_OF, Pipeline, pipeline


def coverage_check(p: Pipeline, run_id: str) -> dg.AssetCheckEvaluation:
    (entry,) = [
        e
        for e in p.instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
        if e.dagster_event.event_specific_data.check_name == "event_coverage"
    ]
    return entry.dagster_event.event_specific_data


def statuses(p: Pipeline) -> dict[str, tuple[str, str | None]]:
    return {
        email: (status, recommendation)
        for email, status, recommendation in p.query(
            "SELECT email, status, recommendation FROM analytics.seat_utilization "
            "WHERE seat_type = 'member'"
        )
    }


def book_an_idle_members_link(p: Pipeline) -> str:
    """An invitee books the link of a member idle for months: passive use only (issue 18)."""
    for member in p.sandbox.manifest()["members"]:
        if member["status"] == "idle":
            try:
                p.sandbox.world.book_event(member["user_uri"])
            except ValueError:  # no event type of their own to book
                continue
            return member["email"]
    raise AssertionError("no idle member of the tiny org has an event type to book")


def test_partial_sync_is_unknown_then_full_sync_gives_todays_verdicts(tmp_path: Path) -> None:
    with pipeline(tmp_path) as p:
        partial = p.sync(AS_OF - timedelta(days=10), AS_OF + timedelta(days=4))
        assert partial.success, partial.error  # the check fails; the run and dashboard do not
        check = coverage_check(p, partial.run_id)
        assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
        assert "2026-04-30..2026-06-19" in check.description
        seen = statuses(p)
        unknown = {e for e, (s, _) in seen.items() if s == "unknown"}
        assert unknown, "a partial sync must leave seats it cannot judge"
        assert "idle" not in {s for s, _ in seen.values()}
        assert {seen[e][1] for e in unknown} == {"review"}
        reasons = p.query(
            "SELECT DISTINCT reason FROM analytics.seat_utilization WHERE status = 'unknown'"
        )
        assert len(reasons) == 1 and "2026-04-30..2026-06-19" in reasons[0][0]
        page = (p.folder / "dashboard.html").read_text()
        assert (
            'data-field="covered_window">2026-06-20 to 2026-07-04; the idle window lacks 51' in page
        )
        assert f'data-field="seats_unknown" data-value="{len(unknown)}"' in page

        booked = book_an_idle_members_link(p)
        full = p.full_sync()
        assert full.success, full.error
        assert coverage_check(p, full.run_id).passed
        seen = statuses(p)
        manifest = {m["email"]: m["status"] for m in p.sandbox.manifest()["members"]}
        assert {e: s for e, (s, _) in seen.items()} == manifest
        assert {e: seen[e][1] for e in unknown if manifest[e] == "idle"} == {
            e: "reclaim" for e in unknown if manifest[e] == "idle"
        }
        assert "idle" in manifest.values()
        page = (p.folder / "dashboard.html").read_text()
        assert 'data-field="seats_unknown"' not in page
        assert "the idle window lacks" not in page
        assert 'data-field="plan_verdict"><strong>Plan:</strong> ' in page
        ((passive,),) = p.query(
            "SELECT count(*) FROM analytics.seat_utilization "
            "WHERE status = 'active' AND reason LIKE 'used only passively%'"
        )
        assert seen[booked] == ("active", "review") and passive >= 1
        assert f'data-field="seats_passive" data-value="{passive}"' in page

"""Issue 18: a seat is idle only when the synced events cover its idle window; otherwise it is
`unknown`, reviewed with the missing days named, never reclaimed."""

from __future__ import annotations

import pandas as pd
import pytest

from calendly_pipeline.transforms.check_verdicts import check_event_coverage, check_seat_arithmetic
from calendly_pipeline.transforms.coverage import missing_event_days
from calendly_pipeline.transforms.utilization import seat_history, seat_utilization
from calendly_pipeline.transforms.utilization_config import UtilizationConfig
from calendly_pipeline_tests.transforms.builders import AS_OF, RawWorld

CONFIG = UtilizationConfig()


def coverage(first: str, last: str, synced_at: pd.Timestamp = AS_OF) -> pd.DataFrame:
    """Days [first, last] read at `synced_at`, as `storage.coverage.event_coverage` returns."""
    days = pd.date_range(first, last, freq="D", unit="us")
    return pd.DataFrame({"day": days, "synced_at": synced_at}).astype(
        {"synced_at": "datetime64[us, UTC]"}
    )


def world() -> RawWorld:
    w = RawWorld(plan="enterprise")
    w.member("quiet")  # no activity at all, joined long ago
    w.log(w.member("logger"), 3)  # active through the activity log (not an event)
    w.member("fresh", joined_days_ago=5)
    return w


def seats(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return seat_utilization(frames, CONFIG, AS_OF).set_index("email")


def test_march_only_warehouse_reclaims_nobody() -> None:
    """The issue's example: events synced for March only, clock at the end of June."""
    frames = world().frames() | {"event_coverage": coverage("2026-03-01", "2026-03-31")}
    s = seats(frames)
    quiet = s.loc["quiet@acme.test"]
    assert (quiet["status"], quiet["recommendation"]) == ("unknown", "review")
    assert "events of 62 of its days were never synced: 2026-04-30..2026-06-30" in quiet["reason"]
    assert s.loc["logger@acme.test", "status"] == "active"  # activity found is still activity
    assert s.loc["fresh@acme.test", "status"] == "new"
    assert "reclaim" not in set(s["recommendation"])
    assert check_seat_arithmetic(s.reset_index())[0]


def test_covered_window_gives_the_same_verdicts_as_holding_every_event() -> None:
    w = world()
    full = seats(w.frames() | {"event_coverage": coverage("2026-04-01", "2026-07-30")})
    held = seats(w.frames())  # frames held at once: every event is at hand
    pd.testing.assert_frame_equal(full, held)
    assert (
        full.loc["quiet@acme.test", "status"],
        full.loc["quiet@acme.test", "recommendation"],
    ) == (
        "idle",
        "reclaim",
    )


def test_a_day_read_only_before_it_ended_is_not_covered() -> None:
    """A forward day read a month ago may have gained meetings since: not evidence of idleness."""
    early = coverage("2026-04-01", "2026-06-30", synced_at=AS_OF - pd.Timedelta(days=30))
    missing = missing_event_days(early, AS_OF, 60)
    assert missing[0] == pd.Timestamp("2026-05-31") and missing[-1] == pd.Timestamp("2026-06-30")
    assert len(missing) == 31
    s = seats(world().frames() | {"event_coverage": early})
    assert s.loc["quiet@acme.test", "status"] == "unknown"


@pytest.mark.parametrize("idle_days", [30, 60, 90])
def test_the_window_reaches_back_to_every_day_that_could_still_make_a_seat_active(
    idle_days: int,
) -> None:
    """days_since_active is floored, so a signal 60.9 days back still counts: its day is needed."""
    first = (AS_OF - pd.Timedelta(days=idle_days + 1)).normalize().tz_localize(None)
    exact = coverage(str(first.date()), "2026-06-30")
    assert missing_event_days(exact, AS_OF, idle_days).empty
    short = coverage(str((first + pd.Timedelta(days=1)).date()), "2026-06-30")
    assert list(missing_event_days(short, AS_OF, idle_days)) == [first]


def test_history_counts_unknown_seats_as_assigned_and_never_as_idle_cost() -> None:
    frames = world().frames() | {"event_coverage": coverage("2026-03-01", "2026-03-31")}
    last = seat_history(frames, CONFIG, AS_OF).iloc[-1]
    assert (last["unknown"], last["idle"], last["idle_monthly_cost"]) == (1, 0, 0.0)
    assert last["seats_assigned"] == last["active"] + last["new"] + last["unknown"] + last["idle"]


def test_the_coverage_check_names_the_missing_days() -> None:
    passed, message = check_event_coverage(coverage("2026-03-01", "2026-06-20"), AS_OF, 60)
    assert not passed
    assert "10 day(s) of the 60-day idle window before 2026-06-30" in message
    assert "2026-06-21..2026-06-30" in message
    assert check_event_coverage(coverage("2026-04-01", "2026-06-30"), AS_OF, 60)[0]

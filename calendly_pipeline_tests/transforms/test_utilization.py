"""Seat status, activity source, cost and recommendation (architecture §4), and their history."""

from __future__ import annotations

import pandas as pd
import pytest

from calendly_pipeline.transforms.utilization import seat_history, seat_utilization
from calendly_pipeline.transforms.utilization_config import UtilizationConfig
from calendly_pipeline_tests.transforms.builders import AS_OF, RawWorld, ago

CONFIG = UtilizationConfig()


def seats(world: RawWorld, config: UtilizationConfig = CONFIG, as_of: pd.Timestamp = AS_OF):
    return seat_utilization(world.frames(), config, as_of).set_index("email")


def meeting(world: RawWorld, host: str, days_ago: float, **fields) -> str:
    """A held one-on-one booked the same instant it started, so the signal time is exact."""
    return world.event(
        [host], world.event_type(host), days_ago, created_days_ago=days_ago, **fields
    )


def test_member_with_no_meetings_ever() -> None:
    w = RawWorld()
    w.member("old", joined_days_ago=400)
    w.member("fresh", joined_days_ago=10)
    s = seats(w)
    assert s.loc["old@acme.test", ["status", "activity_source", "recommendation"]].tolist() == [
        "idle", "none", "reclaim",
    ]  # fmt: skip
    assert pd.isna(s.loc["old@acme.test", "last_active_at"])
    assert pd.isna(s.loc["old@acme.test", "days_since_active"])
    assert s.loc["fresh@acme.test", ["status", "recommendation"]].tolist() == ["new", "review"]
    assert s.loc["old@acme.test", "features_used"] == []


def test_removed_member_costs_nothing_and_keeps_its_history() -> None:
    w = RawWorld()
    w.member("alice")
    eve = w.removed_member("eve", last_seen_days_ago=20)
    meeting(w, eve, 25)
    s = seats(w)
    eve_row = s.loc["eve@acme.test"]
    assert eve_row["status"] == "removed" and eve_row["monthly_cost"] == 0.0
    assert pd.isna(eve_row["recommendation"])
    assert eve_row["days_since_active"] == 25 and eve_row["activity_source"] == "meeting"
    assert eve_row["seat_id"] == w.rows["membership_snapshots"][-1]["membership_uri"]
    assert s.loc["alice@acme.test", "monthly_cost"] == 16.0


def test_member_removed_and_seen_in_several_snapshots_is_one_seat() -> None:
    w = RawWorld()
    w.member("alice")
    w.removed_member("eve", last_seen_days_ago=40)
    w.removed_member("eve", last_seen_days_ago=20)
    assert (seat_utilization(w.frames(), CONFIG, AS_OF)["email"] == "eve@acme.test").sum() == 1


@pytest.mark.parametrize(("days_ago", "recommendation"), [(10, "review"), (40, "reclaim")])
def test_pending_invitation(days_ago: float, recommendation: str) -> None:
    w = RawWorld()
    uri = w.invitation("frank@acme.test", days_ago)
    w.invitation("gina@acme.test", 100, status="accepted")
    s = seats(w)
    assert list(s.index) == ["frank@acme.test"]
    row = s.loc["frank@acme.test"]
    assert (row["seat_id"], row["seat_type"], row["status"]) == (uri, "invitation", "pending")
    assert pd.isna(row["user_uri"]) and row["recommendation"] == recommendation
    assert row["monthly_cost"] == 16.0 and row["joined_at"] == ago(days_ago)


@pytest.mark.parametrize("idle_days", [30, 60, 90])
def test_idle_threshold_and_floor_of_days(idle_days: int) -> None:
    w = RawWorld()
    for name, days in {
        "inside": idle_days - 3,
        "edge": idle_days + 0.99,  # floor(idle_days + 0.99) == idle_days: still active
        "just_over": idle_days + 1,
        "outside": idle_days + 3,
    }.items():
        meeting(w, w.member(name), days)
    s = seats(w, UtilizationConfig(idle_days=idle_days))
    assert s["status"].to_dict() == {
        "inside@acme.test": "active",
        "edge@acme.test": "active",
        "just_over@acme.test": "idle",
        "outside@acme.test": "idle",
    }
    assert s.loc["edge@acme.test", "days_since_active"] == idle_days
    assert s.loc["just_over@acme.test", "days_since_active"] == idle_days + 1


def test_grace_period_is_an_exact_timestamp_comparison() -> None:
    w = RawWorld()
    w.member("inside", joined_days_ago=29.9)
    w.member("outside", joined_days_ago=30)
    assert seats(w)["status"].to_dict() == {"inside@acme.test": "new", "outside@acme.test": "idle"}


def test_active_member_in_grace_period_is_active() -> None:
    w = RawWorld()
    meeting(w, w.member("fresh", joined_days_ago=5), 2)
    assert seats(w).loc["fresh@acme.test", "status"] == "active"


def edit(w: RawWorld, owner: str, days_ago: float) -> None:
    """An own event type edited `days_ago`, as the activity log records it (Enterprise)."""
    w.event_type(owner, edited_days_ago=days_ago)
    w.log(owner, days_ago, namespace="EventType", action="Updated")


def test_activity_sources_and_their_tie_break() -> None:
    w = RawWorld(plan="enterprise")
    only_edit, only_log, all_tied, log_edit_tied, edit_latest = (
        w.member(n) for n in ("only_edit", "only_log", "all_tied", "log_edit_tied", "edit_latest")
    )
    edit(w, only_edit, 12)
    w.log(only_log, 13)
    for user in (all_tied, log_edit_tied):
        edit(w, user, 5)
        w.log(user, 5)
    meeting(w, all_tied, 5)
    meeting(w, edit_latest, 9)
    w.log(edit_latest, 8)
    edit(w, edit_latest, 7)
    s = seats(w)
    assert s["activity_source"].to_dict() == {
        "only_edit@acme.test": "event_type_edit",
        "only_log@acme.test": "activity_log",
        "all_tied@acme.test": "meeting",
        "log_edit_tied@acme.test": "activity_log",
        "edit_latest@acme.test": "event_type_edit",
    }
    assert s.loc["only_log@acme.test", "last_active_at"] == ago(13)
    assert s.loc["edit_latest@acme.test", "days_since_active"] == 7


def test_team_event_type_edits_are_nobodys_activity() -> None:
    w = RawWorld()
    w.member("alice")
    w.event_type(None, edited_days_ago=1)
    assert seats(w).loc["alice@acme.test", "activity_source"] == "none"


def test_future_event_counts_by_booking_not_by_start() -> None:
    w = RawWorld()
    alice = w.member("alice")
    w.event([alice], w.event_type(alice), start_days_ago=-20, created_days_ago=70)
    s = seats(w)
    assert s.loc["alice@acme.test", "days_since_active"] == 70
    assert s.loc["alice@acme.test", "status"] == "idle"


def test_canceled_meeting_is_still_activity_but_not_a_meeting_held() -> None:
    w = RawWorld()
    alice = w.member("alice")
    meeting(w, alice, 4, status="canceled", canceler_type="host")
    meeting(w, alice, 20)
    meeting(w, alice, 60)
    meeting(w, alice, 95)
    w.event([alice], w.event_type(alice), 3, deleted_at=ago(1))
    row = seats(w).loc["alice@acme.test"]
    assert row["days_since_active"] == 4
    assert (row["meetings_hosted_30d"], row["meetings_hosted_90d"]) == (1, 2)


def test_collective_event_makes_all_three_hosts_active() -> None:
    w = RawWorld()
    hosts = [w.member(n) for n in ("alice", "bob", "carol")]
    w.event(hosts, w.event_type(None, pooling_type="collective"), 10)
    s = seats(w)
    assert (s["status"] == "active").all() and (s["meetings_hosted_30d"] == 1).all()
    assert all(s["paid_features_used"].map(lambda f: "collective" in f))


def test_exclusion_list_marks_service_accounts_for_review() -> None:
    w = RawWorld()
    w.member("bot", email="Bot@Acme.test")
    w.member("idler")
    config = UtilizationConfig(excluded_emails=("bot@acme.test",))
    s = seats(w, config)
    assert s.loc["Bot@Acme.test", ["status", "excluded", "recommendation"]].tolist() == [
        "idle", True, "review",
    ]  # fmt: skip
    assert not s.loc["idler@acme.test", "excluded"]
    history = seat_history(w.frames(), config, AS_OF)
    assert history.iloc[-1]["idle"] == 2 and history.iloc[-1]["idle_monthly_cost"] == 16.0


@pytest.mark.parametrize(
    ("plan", "type_fields"),
    [("teams", {}), ("teams", {"pooling_type": "round_robin"}), ("basic", {})],
)
def test_no_seat_is_told_to_downgrade_the_plan_is_the_organizations(
    plan: str, type_fields: dict
) -> None:
    """Calendly bills one plan per organization: plan advice is analytics.plan_options."""
    w = RawWorld(plan=plan)
    alice = w.member("alice")
    w.event([alice], w.event_type(alice, **type_fields), 3, created_days_ago=3)
    row = seats(w).loc["alice@acme.test"]
    assert row["recommendation"] == "keep"
    assert row["monthly_cost"] == (0.0 if plan == "basic" else 16.0)


def test_borderline_active_seats_are_reviewed() -> None:
    w = RawWorld(plan="enterprise")
    near, edits_only, solid = w.member("near"), w.member("edits_only"), w.member("solid")
    round_robin = w.event_type(None, pooling_type="round_robin")
    w.event([near], round_robin, 55, created_days_ago=55)
    w.event([edits_only], round_robin, 200)
    w.event_type(edits_only, edited_days_ago=3)
    w.event([solid], round_robin, 10, created_days_ago=10)
    assert seats(w)["recommendation"].to_dict() == {
        "near@acme.test": "review",
        "edits_only@acme.test": "review",
        "solid@acme.test": "keep",
    }


def test_group_names_come_from_group_relationships() -> None:
    w = RawWorld()
    alice, bob = w.member("alice"), w.member("bob")
    w.group("Sales", alice, bob)
    w.group("Board", alice)
    s = seats(w)
    assert s.loc["alice@acme.test", "group_names"] == ["Board", "Sales"]
    assert s.loc["bob@acme.test", "group_names"] == ["Sales"]


def test_bad_inputs_are_named() -> None:
    w = RawWorld()
    w.member("alice")
    with pytest.raises(ValueError, match="as_of must be timezone-aware"):
        seat_utilization(w.frames(), CONFIG, pd.Timestamp("2026-06-30"))
    frames = w.frames()
    frames["organizations"] = pd.concat([frames["organizations"]] * 2)
    with pytest.raises(ValueError, match="exactly one row"):
        seat_utilization(frames, CONFIG, AS_OF)
    # An unknown plan is not bad input any more: test_unknown_values.py


def _history_world() -> RawWorld:
    w = RawWorld()
    veteran = w.member("veteran", joined_days_ago=400)
    meeting(w, veteran, 100)  # 2026-03-22: active until idle in late May
    meeting(w, w.member("recent", joined_days_ago=15), 2)  # joined in June
    leaver = w.removed_member("leaver", last_seen_days_ago=20)  # last seen 2026-06-10
    meeting(w, leaver, 80)
    w.invitation("frank@acme.test", 45)  # sent 2026-05-16
    return w


def test_seat_history_replays_the_rules_at_each_month_end() -> None:
    w = _history_world()
    h = seat_history(w.frames(), CONFIG, AS_OF).set_index("month")
    assert list(h.index) == list(
        pd.to_datetime(["2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30"])
    )
    by_month = h[["active", "idle", "new", "pending", "removed"]].to_dict("index")
    assert by_month[pd.Timestamp("2026-03-31")] == dict(
        active=1, idle=0, new=0, pending=0, removed=0
    )
    assert by_month[pd.Timestamp("2026-04-30")] == dict(
        active=1, idle=0, new=0, pending=0, removed=0
    )
    assert by_month[pd.Timestamp("2026-05-31")] == dict(
        active=0, idle=1, new=0, pending=1, removed=0
    )
    assert by_month[pd.Timestamp("2026-06-30")] == dict(
        active=1, idle=1, new=0, pending=1, removed=1
    )
    assert h.loc["2026-05-31", "idle_monthly_cost"] == 16.0
    assert (h["seats_assigned"] == h["active"] + h["idle"] + h["new"]).all()


def test_last_history_month_agrees_with_seat_utilization() -> None:
    w = _history_world()
    now = seat_utilization(w.frames(), CONFIG, AS_OF)["status"].value_counts()
    last = seat_history(w.frames(), CONFIG, AS_OF).iloc[-1]
    for status in ("active", "idle", "new", "pending", "removed"):
        assert last[status] == now.get(status, 0), status


def test_member_removed_after_a_month_end_still_held_a_seat_then() -> None:
    w = RawWorld()
    meeting(w, w.member("stayer"), 70)  # 2026-04-21
    leaver = w.removed_member("leaver", last_seen_days_ago=45)  # snapshot 2026-05-16
    meeting(w, leaver, 70)
    h = seat_history(w.frames(), CONFIG, AS_OF).set_index("month")
    assert h.loc["2026-05-31", ["active", "removed"]].tolist() == [2, 0]
    assert h.loc["2026-06-30", ["idle", "removed"]].tolist() == [1, 1]

"""Issue 18: activity keeps its kind. Host actions (a meeting held, a host cancellation, an
activity-log entry, an own event-type edit) apart from passive use (an invitee booked the
member's link); a meeting canceled before it took place was never held."""

from __future__ import annotations

import pandas as pd
import pytest

from calendly_pipeline.transforms.utilization import seat_utilization
from calendly_pipeline.transforms.utilization_config import UtilizationConfig
from calendly_pipeline_tests.transforms.builders import AS_OF, RawWorld, ago

PASSIVE_REASON = "used only passively in the last 60 days"


def seats(world: RawWorld, config: UtilizationConfig | None = None) -> pd.DataFrame:
    return seat_utilization(world.frames(), config or UtilizationConfig(), AS_OF).set_index("email")


def test_each_kind_of_signal_and_the_host_action_beside_it() -> None:
    w = RawWorld(plan="enterprise")
    held, canceler, logger, editor, booked = (
        w.member(n) for n in ("held", "canceler", "logger", "editor", "booked")
    )
    own = w.event_type(editor, edited_days_ago=6)
    w.log(editor, 6, namespace="EventType", action="Updated")  # the log names the editor
    w.event([held], w.event_type(held), 4, created_days_ago=20)
    w.event(
        [canceler], w.event_type(canceler), -10, created_days_ago=20, status="canceled",
        canceler_type="host", canceled_at=ago(3),
    )  # fmt: skip
    w.log(logger, 2)
    w.event([booked], own, -15, created_days_ago=1)  # booked yesterday, starts in 15 days
    s = seats(w)
    expected = {
        "held@acme.test": ("meeting", ago(4), ago(4)),
        "canceler@acme.test": ("host_cancel", ago(3), ago(3)),
        "logger@acme.test": ("activity_log", ago(2), ago(2)),
        "editor@acme.test": ("event_type_edit", ago(6), ago(6)),
        "booked@acme.test": ("booking", ago(1), pd.NaT),
    }
    got = {
        e: (r.activity_source, r.last_active_at, r.last_host_action_at)
        for e, r in s.loc[list(expected)].iterrows()
    }
    assert {e: (a, b, c if pd.notna(c) else pd.NaT) for e, (a, b, c) in got.items()} == expected
    assert set(s["status"]) == {"active"}
    assert s.loc["booked@acme.test", "recommendation"] == "review"
    assert PASSIVE_REASON in s.loc["booked@acme.test", "reason"]
    host_acted = s.loc[["held@acme.test", "canceler@acme.test", "logger@acme.test"]]
    assert not host_acted["reason"].str.contains(PASSIVE_REASON).any()


def test_meeting_canceled_before_it_took_place_was_never_held() -> None:
    """Booked 80 days ago, canceled by the invitee, would have started 5 days ago: the only
    signal is the booking, 80 days back, so the seat is idle (the old model said active)."""
    w = RawWorld()
    ghost = w.member("ghost")
    w.event(
        [ghost], w.event_type(None), 5, created_days_ago=80, status="canceled",
        canceler_type="invitee", canceled_at=ago(70),
    )  # fmt: skip
    row = seats(w).loc["ghost@acme.test"]
    assert (row["status"], row["activity_source"], row["last_active_at"]) == (
        "idle",
        "booking",
        ago(80),
    )
    assert pd.isna(row["last_host_action_at"]) and row["meetings_hosted_30d"] == 0


def test_an_event_of_unknown_status_is_not_a_meeting_held() -> None:
    w = RawWorld()
    odd = w.member("odd")
    w.event([odd], w.event_type(None), 5, created_days_ago=80, status="postponed")
    row = seats(w).loc["odd@acme.test"]
    assert (row["activity_source"], row["last_active_at"]) == ("booking", ago(80))


@pytest.mark.parametrize(
    ("passive_counts", "status", "recommendation"),
    [(True, "active", "review"), (False, "idle", "reclaim")],
)
def test_passive_only_seat_follows_the_setting(
    passive_counts: bool, status: str, recommendation: str
) -> None:
    """Invitees kept booking the link of a member who did nothing for 100 days."""
    w = RawWorld()
    quiet = w.member("quiet")
    kind = w.event_type(quiet)
    w.event([quiet], kind, 100, created_days_ago=110)  # last meeting held: 100 days ago
    w.event([quiet], kind, -3, created_days_ago=2)  # booked two days ago, not yet held
    row = seats(w, UtilizationConfig(passive_counts_as_active=passive_counts)).loc[
        "quiet@acme.test"
    ]
    assert (row["status"], row["recommendation"]) == (status, recommendation)
    assert row["last_host_action_at"] == ago(100) and row["last_active_at"] == ago(2)
    assert row["days_since_active"] == (2 if passive_counts else 100)
    if passive_counts:
        assert PASSIVE_REASON in row["reason"]
    else:
        assert row["reason"].startswith("no host action for more than 60 days")


def test_passive_counts_as_active_must_be_a_boolean() -> None:
    with pytest.raises(ValueError, match="passive_counts_as_active must be true or false"):
        UtilizationConfig(passive_counts_as_active="no")  # type: ignore[arg-type]


def test_admin_edit_of_a_managed_type_is_the_admins_where_the_log_says_so() -> None:
    """Enterprise: the activity log names who edited; the owner of a managed type did nothing."""
    w = RawWorld(plan="enterprise")
    owner, admin = w.member("owner"), w.member("admin", role="admin")
    w.event_type(owner, admin_managed=True, edited_days_ago=4)
    w.log(admin, 4, namespace="EventType", action="Updated")
    w.log(None, 1, namespace="Organization", action="SettingsSynced")  # a system entry
    s = seats(w)
    assert s.loc["admin@acme.test", ["activity_source", "last_host_action_at"]].tolist() == [
        "event_type_edit",
        ago(4),
    ]
    assert s.loc["owner@acme.test", "activity_source"] == "none"  # neither the edit nor the log
    assert s.loc["owner@acme.test", "status"] == "idle"


def test_without_an_activity_log_the_owner_is_credited_with_every_edit() -> None:
    w = RawWorld(plan="teams")
    owner = w.member("owner")
    w.member("admin", role="admin")
    w.event_type(owner, admin_managed=True, edited_days_ago=4)
    s = seats(w)
    assert s.loc["owner@acme.test", ["activity_source", "last_active_at"]].tolist() == [
        "event_type_edit",
        ago(4),
    ]
    assert s.loc["admin@acme.test", "activity_source"] == "none"

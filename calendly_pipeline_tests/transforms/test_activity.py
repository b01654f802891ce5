"""Meeting outcomes per member-day and per event type."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from calendly_pipeline.transforms.activity import daily_activity, event_outcomes, event_type_usage
from calendly_pipeline_tests.transforms.builders import AS_OF, RawWorld

COUNTS = ["scheduled", "completed", "canceled_by_host", "canceled_by_invitee", "no_show",
          "rescheduled", "invitee_bookings"]  # fmt: skip
NO_SHOW = {"no_show_uri": "https://api.calendly.com/invitee_no_shows/N"}


def day_counts(world: RawWorld, user: str) -> dict[str, int]:
    """Totals over all days for one host."""
    daily = daily_activity(world.frames(), AS_OF)
    return daily.loc[daily["user_uri"] == user, COUNTS].sum().astype(int).to_dict()


def outcome(world: RawWorld, event: str) -> str:
    out = event_outcomes(world.frames(), AS_OF)
    return out.set_index("event_uri").loc[event, "outcome"]


def test_host_cancellation_after_the_start_is_not_a_no_show() -> None:
    w = RawWorld()
    alice = w.member("alice")
    late = w.event([alice], w.event_type(alice), 3, status="canceled", canceler_type="host",
                   canceled_at=AS_OF - pd.Timedelta(days=2), invitees=[NO_SHOW])  # fmt: skip
    assert outcome(w, late) == "canceled_by_host"
    c = day_counts(w, alice)
    assert (c["canceled_by_host"], c["no_show"], c["completed"], c["scheduled"]) == (1, 0, 0, 1)


def test_outcomes_of_one_on_one_meetings() -> None:
    w = RawWorld()
    alice = w.member("alice")
    t = w.event_type(alice)
    events = {
        "held": w.event([alice], t, 3),
        "no_show": w.event([alice], t, 3, invitees=[NO_SHOW]),
        "by_invitee": w.event([alice], t, 3, status="canceled", canceler_type="invitee",
                              invitees=[{"status": "canceled"}]),
        "unknown_canceler": w.event([alice], t, 3, status="canceled",
                                    invitees=[{"status": "canceled"}]),
        "upcoming": w.event([alice], t, -3),
    }  # fmt: skip
    got = {name: outcome(w, uri) for name, uri in events.items()}
    assert got == {
        "held": "completed",
        "no_show": "no_show",
        "by_invitee": "canceled_by_invitee",
        "unknown_canceler": "canceled_other",
        "upcoming": "upcoming",
    }
    c = day_counts(w, alice)
    assert c["scheduled"] == 5 and c["invitee_bookings"] == 3  # canceled invitees are not booked


def test_group_event_counts_per_event_and_per_invitee() -> None:
    w = RawWorld()
    alice = w.member("alice")
    group = w.event_type(alice, kind="group")
    w.event([alice], group, 2, invitees=[{}] * 11 + [NO_SHOW] + [{"status": "canceled"}])
    w.event([alice], group, 2, invitees=[NO_SHOW, NO_SHOW])
    c = day_counts(w, alice)
    assert (c["scheduled"], c["completed"], c["no_show"], c["invitee_bookings"]) == (2, 1, 1, 14)


def test_collective_event_with_three_hosts_counts_for_each() -> None:
    w = RawWorld()
    hosts = [w.member(n) for n in ("alice", "bob", "carol")]
    collective = w.event_type(None, pooling_type="collective")
    w.event(hosts, collective, 1, invitees=2)
    daily = daily_activity(w.frames(), AS_OF)
    assert sorted(daily["user_uri"]) == sorted(hosts)
    assert (daily["completed"] == 1).all() and (daily["invitee_bookings"] == 2).all()
    usage = event_type_usage(w.frames(), AS_OF).set_index("event_type_uri")
    assert usage.loc[collective, "bookings"] == 1


def test_reschedule_chain() -> None:
    """A -> B -> C: A and B are canceled by the invitee's reschedules, C is held."""
    w = RawWorld()
    alice = w.member("alice")
    t = w.event_type(alice, name="Intro")
    old = {"status": "canceled", "rescheduled": True}
    a = w.event([alice], t, 10, status="canceled", canceler_type="invitee", invitees=[old])
    b = w.event([alice], t, 8, status="canceled", canceler_type="invitee", invitees=[old])
    c = w.event([alice], t, 5)
    assert [outcome(w, e) for e in (a, b, c)] == ["rescheduled", "rescheduled", "completed"]
    counts = day_counts(w, alice)
    assert (counts["rescheduled"], counts["canceled_by_invitee"], counts["completed"]) == (2, 0, 1)
    usage = event_type_usage(w.frames(), AS_OF).set_index("event_type_uri").loc[t]
    assert (usage["bookings"], usage["canceled"], usage["cancellation_rate"]) == (1, 0, 0.0)


def test_group_invitee_reschedule_does_not_cancel_the_event() -> None:
    w = RawWorld()
    alice = w.member("alice")
    e = w.event([alice], w.event_type(alice, kind="group"), 2,
                invitees=[{}, {"status": "canceled", "rescheduled": True}])  # fmt: skip
    assert outcome(w, e) == "completed"


def test_days_are_utc_dates_of_the_start_and_can_be_limited() -> None:
    w = RawWorld()
    alice = w.member("alice")
    t = w.event_type(alice)
    w.event([alice], t, 0.6)  # 2026-06-29 22:33 UTC
    w.event([alice], t, 3)
    w.event([alice], t, 3, deleted_at=AS_OF)
    daily = daily_activity(w.frames(), AS_OF)
    assert daily["activity_date"].tolist() == [
        pd.Timestamp("2026-06-27"),
        pd.Timestamp("2026-06-29"),
    ]
    assert daily["scheduled"].tolist() == [1, 1]
    one_day = daily_activity(w.frames(), AS_OF, start=date(2026, 6, 29), end=date(2026, 6, 29))
    assert one_day["activity_date"].tolist() == [pd.Timestamp("2026-06-29")]


def test_event_type_usage_rates_and_unbooked_types() -> None:
    w = RawWorld()
    alice = w.member("alice")
    t = w.event_type(alice, name="Demo")
    unused = w.event_type(alice, name="Unused")
    for _ in range(2):
        w.event([alice], t, 4)
    w.event([alice], t, 4, invitees=[NO_SHOW])
    w.event([alice], t, 4, status="canceled", canceler_type="host")
    w.event([alice], t, -4)
    usage = event_type_usage(w.frames(), AS_OF).set_index("event_type_uri")
    row = usage.loc[t]
    assert (row["name"], row["kind"], row["owner_name"]) == ("Demo", "solo", "Alice")
    assert (row["bookings"], row["canceled"], row["no_shows"]) == (5, 1, 1)
    assert row["cancellation_rate"] == pytest.approx(0.2)
    assert row["no_show_rate"] == pytest.approx(1 / 3)
    assert usage.loc[unused, "bookings"] == 0
    assert usage.loc[unused, ["cancellation_rate", "no_show_rate"]].isna().all()


def test_event_of_an_unknown_type_still_counts() -> None:
    w = RawWorld()
    alice = w.member("alice")
    w.event([alice], "https://api.calendly.com/event_types/GONE", 2)
    usage = event_type_usage(w.frames(), AS_OF).set_index("event_type_uri")
    assert usage.loc["https://api.calendly.com/event_types/GONE", "bookings"] == 1
    assert pd.isna(usage.loc["https://api.calendly.com/event_types/GONE", "name"])

"""The feature catalogue and the attribution of feature uses (architecture §4)."""

from __future__ import annotations

import pandas as pd
import pytest

from calendly_pipeline.transforms.features import (
    CATALOGUE,
    FEATURES,
    PLANS,
    feature_uses,
    plan_rank,
)
from calendly_pipeline_tests.transforms.builders import AS_OF, RawWorld, ago

ARCHITECTURE_KEYS = {
    "one_on_one", "group_event", "round_robin", "collective", "meeting_poll", "secret_event_type",
    "managed_event_type", "multiple_durations", "custom_questions", "location_zoom",
    "location_google_meet", "location_teams", "location_webex", "location_gotomeeting",
    "location_phone", "location_in_person", "location_custom", "location_ask_invitee", "payments",
    "utm_tracking", "no_show_marking", "reconfirmation", "routing_forms", "text_reminders",
    "webhooks", "activity_log",
}  # fmt: skip


def test_catalogue_matches_the_contract() -> None:
    assert set(FEATURES) == ARCHITECTURE_KEYS
    assert all(f.tier in PLANS and f.label for f in CATALOGUE)
    assert {f.key for f in CATALOGUE if f.level == "org"} == {"activity_log"}
    assert not FEATURES["one_on_one"].paid and FEATURES["round_robin"].paid


def test_unknown_plan_is_an_error() -> None:
    assert plan_rank("basic") < plan_rank("teams") < plan_rank("enterprise")
    with pytest.raises(ValueError, match="unknown Calendly plan 'platinum'"):
        plan_rank("platinum")


def _used(world: RawWorld, user: str) -> set[str]:
    uses = feature_uses(world.frames())
    return set(uses.loc[uses["user_uri"] == user, "feature"])


@pytest.mark.parametrize(
    ("type_fields", "expected"),
    [
        ({}, {"one_on_one"}),
        ({"kind": "group"}, {"group_event"}),
        ({"pooling_type": "round_robin"}, {"round_robin"}),
        ({"pooling_type": "collective"}, {"collective"}),
        ({"booking_method": "poll"}, {"one_on_one", "meeting_poll"}),
        ({"secret": True}, {"one_on_one", "secret_event_type"}),
        ({"admin_managed": True}, {"one_on_one", "managed_event_type"}),
        ({"duration_options": [15, 30]}, {"one_on_one", "multiple_durations"}),
        ({"custom_questions_enabled": 2}, {"one_on_one", "custom_questions"}),
        ({"secret": None, "admin_managed": None, "duration_options": None}, {"one_on_one"}),
    ],
)
def test_event_type_signals(type_fields: dict, expected: set[str]) -> None:
    w = RawWorld()
    alice = w.member("alice")
    w.event([alice], w.event_type(alice, **type_fields), 5, location_type=None)
    assert _used(w, alice) == expected


@pytest.mark.parametrize(
    ("location", "feature"),
    [
        ("zoom", "location_zoom"),
        ("google_conference", "location_google_meet"),
        ("microsoft_teams_conference", "location_teams"),
        ("webex_conference", "location_webex"),
        ("gotomeeting", "location_gotomeeting"),
        ("inbound_call", "location_phone"),
        ("outbound_call", "location_phone"),
        ("physical", "location_in_person"),
        ("custom", "location_custom"),
        ("ask_invitee", "location_ask_invitee"),
    ],
)
def test_location_signals(location: str, feature: str) -> None:
    w = RawWorld()
    alice = w.member("alice")
    w.event([alice], w.event_type(alice), 5, location_type=location)
    assert _used(w, alice) == {"one_on_one", feature}


@pytest.mark.parametrize(
    ("invitee", "feature"),
    [
        ({"payment_provider": "stripe", "payment_amount": 50.0}, "payments"),
        ({"utm_campaign": "spring"}, "utm_tracking"),
        ({"no_show_uri": "https://api.calendly.com/invitee_no_shows/N1"}, "no_show_marking"),
        ({"reconfirmation_created_at": ago(6)}, "reconfirmation"),
        ({"routing_form_submission": "https://api.calendly.com/rfs/S1"}, "routing_forms"),
        ({"text_reminder": True}, "text_reminders"),
    ],
)
def test_invitee_signals_need_only_one_invitee(invitee: dict, feature: str) -> None:
    w = RawWorld()
    alice = w.member("alice")
    w.event([alice], w.event_type(alice, kind="group"), 5, location_type=None,
            invitees=[{}, {}, invitee, {}])  # fmt: skip
    assert _used(w, alice) == {"group_event", feature}


def test_deleted_invitee_reveals_nothing() -> None:
    w = RawWorld()
    alice = w.member("alice")
    w.event([alice], w.event_type(alice), 5, location_type=None,
            invitees=[{"text_reminder": True, "deleted_at": ago(1)}])  # fmt: skip
    assert _used(w, alice) == {"one_on_one"}


def test_collective_event_credits_every_host_at_booking_time() -> None:
    w = RawWorld()
    hosts = [w.member(n) for n in ("alice", "bob", "carol")]
    collective = w.event_type(None, pooling_type="collective")
    w.event(hosts, collective, start_days_ago=-10, created_days_ago=3, location_type=None)
    uses = feature_uses(w.frames())
    assert sorted(uses["user_uri"]) == sorted(hosts)
    assert set(uses["feature"]) == {"collective"}
    assert (uses["used_at"] == ago(3)).all()


def test_canceled_events_count_but_deleted_events_do_not() -> None:
    w = RawWorld()
    alice = w.member("alice")
    w.event([alice], w.event_type(alice), 5, status="canceled", canceler_type="host",
            location_type="physical")  # fmt: skip
    w.event([alice], w.event_type(alice, kind="group"), 5, deleted_at=ago(1))
    assert _used(w, alice) == {"one_on_one", "location_in_person"}


def test_webhooks_go_to_their_creator_and_the_activity_log_to_its_actor() -> None:
    w = RawWorld(plan="enterprise")
    alice, bob = w.member("alice"), w.member("bob")
    w.webhook(alice, 12)
    w.log(bob, 4)
    uses = feature_uses(w.frames())
    assert set(uses.itertuples(index=False, name=None)) == {
        (alice, "webhooks", ago(12)),
        (bob, "activity_log", ago(4)),
    }
    assert str(uses["used_at"].dtype) == "datetime64[us, UTC]"


def test_missing_column_is_named() -> None:
    frames = RawWorld().frames()
    frames["event_types"] = frames["event_types"].drop(columns=["pooling_type"])
    with pytest.raises(
        ValueError, match=r"raw table 'event_types' lacks column\(s\) \['pooling_type'\]"
    ):
        feature_uses(frames)
    frames = RawWorld().frames()
    del frames["invitees"]
    with pytest.raises(ValueError, match="raw table 'invitees' is missing"):
        feature_uses(frames)


def test_string_timestamps_are_accepted() -> None:
    w = RawWorld()
    alice = w.member("alice")
    w.event([alice], w.event_type(alice), 5, location_type=None)
    frames = w.frames()
    events = frames["scheduled_events"]
    frames["scheduled_events"] = events.assign(
        created_at=events["created_at"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    )
    assert feature_uses(frames)["used_at"].tolist() == [AS_OF - pd.Timedelta(days=12)]

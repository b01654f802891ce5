"""World controls: an organization that changes between two syncs, seen over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from calendly_pipeline.sandbox import Sandbox, SandboxConfig, start_sandbox
from calendly_pipeline_tests.conftest import AS_OF
from calendly_pipeline_tests.sandbox.support import collect, get, ok, org_uri, uuid_of


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with start_sandbox(
        SandboxConfig(seed=31, as_of=AS_OF, scale="tiny", rate_limit_per_minute=0)
    ) as sandbox:
        yield sandbox


def _member(sb: Sandbox, role: str = "user") -> str:
    return ok(sb, "/users/me", role=role)["resource"]["uri"]


def test_book_cancel_and_delete(sb: Sandbox) -> None:
    before = sb.world.counts()["scheduled_events"]
    host = _member(sb)
    event_uri = sb.world.book_event(
        host_user_uri=host, start_time="2026-07-03T15:00:00Z", invitees=1
    )
    event = ok(sb, event_uri)["resource"]
    assert event["start_time"] == "2026-07-03T15:00:00.000000Z"
    assert event["created_at"] == "2026-06-30T12:00:00.000000Z"
    assert [m["user"] for m in event["event_memberships"]] == [host]
    assert sb.world.counts()["scheduled_events"] == before + 1
    listed = collect(
        sb,
        "/scheduled_events",
        {
            "organization": org_uri(sb),
            "count": 100,
            "min_start_time": "2026-07-03T15:00:00Z",
            "max_start_time": "2026-07-03T15:00:01Z",
        },
    )
    assert event_uri in [e["uri"] for e in listed]

    sb.world.advance(hours=1)
    sb.world.cancel_event(event_uri, by="invitee", reason="Double booked")
    canceled = ok(sb, event_uri)["resource"]
    assert canceled["status"] == "canceled"
    assert canceled["cancellation"]["canceler_type"] == "invitee"
    assert canceled["cancellation"]["reason"] == "Double booked"
    assert canceled["updated_at"] == "2026-06-30T13:00:00.000000Z"
    invitee = ok(sb, f"{event_uri}/invitees")["collection"][0]
    assert invitee["status"] == "canceled"
    with pytest.raises(ValueError, match="already canceled"):
        sb.world.cancel_event(event_uri)

    sb.world.delete_event_data(event_uri)
    assert get(sb, event_uri).status_code == 404
    assert get(sb, invitee["uri"]).status_code == 404
    assert sb.world.counts()["scheduled_events"] == before


def test_reschedule_links_old_and_new_invitee(sb: Sandbox) -> None:
    event_uri = sb.world.book_event(host_user_uri=_member(sb), start_time="2026-07-06T16:00:00Z")
    old = ok(sb, f"{event_uri}/invitees")["collection"][0]
    sb.world.advance(hours=3)
    new_event = sb.world.reschedule(old["uri"], "2026-07-08T17:30:00Z")
    new = ok(sb, f"{new_event}/invitees")["collection"][0]
    old_after = ok(sb, old["uri"])["resource"]
    assert old_after["status"] == "canceled" and old_after["rescheduled"] is True
    assert old_after["new_invitee"] == new["uri"]
    assert new["old_invitee"] == old["uri"]
    assert (new["email"], new["name"]) == (old["email"], old["name"])
    assert ok(sb, event_uri)["resource"]["status"] == "canceled"
    assert ok(sb, new_event)["resource"]["start_time"] == "2026-07-08T17:30:00.000000Z"


def test_no_show(sb: Sandbox) -> None:
    event_uri = sb.world.book_event(host_user_uri=_member(sb), start_time="2026-06-29T10:00:00Z")
    invitee = ok(sb, f"{event_uri}/invitees")["collection"][0]
    assert invitee["no_show"] is None
    no_show_uri = sb.world.mark_no_show(invitee["uri"])
    marked = ok(sb, invitee["uri"])["resource"]
    assert marked["no_show"]["uri"] == no_show_uri
    assert ok(sb, no_show_uri)["resource"] == {
        "uri": no_show_uri,
        "invitee": invitee["uri"],
        "created_at": "2026-06-30T12:00:00.000000Z",
    }
    me = _member(sb)
    member = next(m for m in sb.manifest()["members"] if m["user_uri"] == me)
    assert "no_show_marking" in member["features_used"]


def test_remove_member(sb: Sandbox) -> None:
    org = org_uri(sb)
    victim = next(
        m for m in sb.manifest()["members"] if m["role"] == "user" and m["user_uri"] != _member(sb)
    )
    groups_before = {g: ok(sb, g)["resource"]["member_count"] for g in victim["groups"]}
    sb.world.remove_member(victim["user_uri"])
    for group, count in groups_before.items():
        assert ok(sb, group)["resource"]["member_count"] == count - 1
    roster = [
        m["user"]["uri"] for m in collect(sb, "/organization_memberships", {"organization": org})
    ]
    assert victim["user_uri"] not in roster
    assert get(sb, victim["user_uri"]).status_code == 404
    manifest = sb.manifest()
    assert victim["user_uri"] in [r["user_uri"] for r in manifest["removed_members"]]
    assert victim["user_uri"] not in [m["user_uri"] for m in manifest["members"]]
    with pytest.raises(ValueError, match="owner"):
        sb.world.remove_member(_member(sb, "owner"))


def test_invitations_over_http_controls(sb: Sandbox) -> None:
    base = sb.base_url
    sent = requests.post(
        f"{base}/_sandbox/send_invitation", json={"email": "new.hire@example.com"}, timeout=10
    )
    assert sent.status_code == 200
    invitation_uri = sent.json()["result"]
    org_uuid = uuid_of(org_uri(sb))
    pending = collect(sb, f"/organizations/{org_uuid}/invitations", {"status": "pending"})
    assert invitation_uri in [i["uri"] for i in pending]
    assert ok(sb, invitation_uri)["resource"]["status"] == "pending"
    accepted = requests.post(
        f"{base}/_sandbox/accept_invitation", json={"invitation_uri": invitation_uri}, timeout=10
    )
    user_uri = accepted.json()["result"]
    assert ok(sb, user_uri)["resource"]["email"] == "new.hire@example.com"
    assert ok(sb, invitation_uri)["resource"]["user"] == user_uri
    member = next(m for m in sb.manifest()["members"] if m["user_uri"] == user_uri)
    assert (member["status"], member["activity_source"]) == ("new", "none")
    bad = requests.post(f"{base}/_sandbox/send_invitation", json={"email": "nope"}, timeout=10)
    assert bad.status_code == 400 and "e-mail" in bad.json()["error"]
    unknown = requests.post(f"{base}/_sandbox/teleport", json={}, timeout=10)
    assert unknown.status_code == 404


def test_edit_event_type_bumps_updated_at_and_features(sb: Sandbox) -> None:
    sb.world.advance(days=2)
    me = _member(sb)
    types = collect(sb, "/event_types", {"user": me}, role="user")
    target = next(t for t in types if t["profile"]["owner"] == me)
    sb.world.edit_event_type(target["uri"], secret=True, name="Renamed")
    edited = ok(sb, target["uri"])["resource"]
    assert (edited["name"], edited["secret"]) == ("Renamed", True)
    assert edited["updated_at"] == "2026-07-02T12:00:00.000000Z"
    member = next(m for m in sb.manifest()["members"] if m["user_uri"] == me)
    assert member["last_active_at"] == "2026-07-02T12:00:00.000000Z"
    assert member["activity_source"] == "event_type_edit"
    with pytest.raises(ValueError, match="cannot edit"):
        sb.world.edit_event_type(target["uri"], uri="x")


def test_advance_moves_the_clock_and_the_manifest(sb: Sandbox) -> None:
    assert sb.manifest()["as_of"] == "2026-06-30T12:00:00.000000Z"
    assert sb.world.advance(days=1.5) == "2026-07-02T00:00:00.000000Z"
    assert sb.manifest()["as_of"] == "2026-07-02T00:00:00.000000Z"
    assert get(sb, "/users/me").headers["Date"] == "Thu, 02 Jul 2026 00:00:00 GMT"
    with pytest.raises(ValueError, match="forward"):
        sb.world.advance(days=-1)

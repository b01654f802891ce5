"""The ground-truth manifest agrees with what the endpoints serve, and keeps clear of thresholds.

The agreement test re-derives every member's activity and features from HTTP answers alone, by
the rules of docs/architecture.md section 4, written here independently of the generator.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from calendly_pipeline.sandbox import Sandbox, SandboxConfig, start_sandbox
from calendly_pipeline_tests.conftest import AS_OF
from calendly_pipeline_tests.sandbox.support import collect, get, ok, org_uri, uuid_of

LOCATION_FEATURE = {
    "zoom": "location_zoom",
    "google_conference": "location_google_meet",
    "microsoft_teams_conference": "location_teams",
    "webex_conference": "location_webex",
    "gotomeeting": "location_gotomeeting",
    "inbound_call": "location_phone",
    "outbound_call": "location_phone",
    "physical": "location_in_person",
    "custom": "location_custom",
    "ask_invitee": "location_ask_invitee",
}
FIELDS_COMPARED = (
    "membership_uri",
    "email",
    "name",
    "role",
    "joined_at",
    "groups",
    "last_active_at",
    "last_host_action_at",
    "activity_source",
    "status",
    "features_used",
    "features_adopted",
)


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def type_features(et: dict) -> set[str]:
    out = set()
    if et["kind"] == "solo" and et["pooling_type"] is None:
        out.add("one_on_one")
    if et["kind"] == "group":
        out.add("group_event")
    if et["pooling_type"] in ("round_robin", "collective"):
        out.add(et["pooling_type"])
    if et["booking_method"] == "poll":
        out.add("meeting_poll")
    if et["secret"]:
        out.add("secret_event_type")
    if et["admin_managed"]:
        out.add("managed_event_type")
    if len(et["duration_options"] or []) > 1:
        out.add("multiple_durations")
    if any(q["enabled"] for q in et["custom_questions"]):
        out.add("custom_questions")
    return out


def invitee_features(invitee: dict) -> set[str]:
    out = set()
    checks = {
        "payments": invitee["payment"] is not None,
        "utm_tracking": any(
            invitee["tracking"][k] for k in invitee["tracking"] if k.startswith("utm_")
        ),
        "no_show_marking": invitee["no_show"] is not None,
        "reconfirmation": invitee["reconfirmation"] is not None,
        "routing_forms": invitee["routing_form_submission"] is not None,
        "text_reminders": invitee["text_reminder_number"] is not None,
    }
    out.update(name for name, hit in checks.items() if hit)
    return out


def derive(sb: Sandbox) -> tuple[datetime, dict[str, dict]]:
    """Members as the rules see them, from HTTP answers only."""
    org = org_uri(sb)
    as_of = parsedate_to_datetime(get(sb, "/users/me").headers["Date"])
    memberships = collect(sb, "/organization_memberships", {"organization": org, "count": 100})
    members = {m["user"]["uri"]: m for m in memberships}
    types = {t["uri"]: t for t in collect(sb, "/event_types", {"organization": org, "count": 100})}
    events = collect(sb, "/scheduled_events", {"organization": org, "count": 100})
    meeting: dict[str, dict[str, datetime]] = {}  # host -> signal kind -> latest
    uses: dict[str, dict[str, datetime]] = defaultdict(dict)

    def use(user: str, feature: str, when: datetime) -> None:
        uses[user][feature] = max(uses[user].get(feature, when), when)

    for e in events:
        if e["event_type"] not in types:  # events may point at deleted types
            types[e["event_type"]] = ok(sb, e["event_type"])["resource"]
        created = ts(e["created_at"])
        start, cancel = ts(e["start_time"]), e.get("cancellation")
        event_signals = {"booking": created}  # passive: an invitee booked the link
        if e["status"] == "active" and start <= as_of:
            event_signals["meeting"] = start  # a meeting that took place
        if cancel and cancel["canceler_type"] == "host" and ts(cancel["created_at"]) <= as_of:
            event_signals["host_cancel"] = ts(cancel["created_at"])
        features = type_features(types[e["event_type"]]) | {LOCATION_FEATURE[e["location"]["type"]]}
        for invitee in collect(sb, f"{e['uri']}/invitees", {"count": 100}):
            features |= invitee_features(invitee)
        for host in (m["user"] for m in e["event_memberships"]):
            for name, at in event_signals.items():
                latest = meeting.setdefault(host, {})
                latest[name] = max(latest.get(name, at), at)
            for feature in features:
                use(host, feature, created)
    edits: dict[str, datetime] = {}
    logs: dict[str, datetime] = {}
    entries = collect(sb, "/activity_log_entries", {"organization": org, "count": 1000})
    for entry in entries:  # the log names who edited an event type (namespace EventType)
        actor, at = entry["actor"]["uri"], ts(entry["occurred_at"])
        latest = edits if entry["namespace"] == "EventType" else logs
        latest[actor] = max(latest.get(actor, at), at)
    for t in () if entries else types.values():  # no log: the owner is credited
        if t["profile"]["type"] == "User":
            owner = t["profile"]["owner"]
            edits[owner] = max(edits.get(owner, ts(t["updated_at"])), ts(t["updated_at"]))
    hooks = collect(sb, "/webhook_subscriptions", {"organization": org, "scope": "organization"})
    for user in members:
        hooks += collect(
            sb, "/webhook_subscriptions", {"organization": org, "scope": "user", "user": user}
        )
    groups = collect(sb, "/groups", {"organization": org})
    for group in groups:
        hooks += collect(
            sb,
            "/webhook_subscriptions",
            {"organization": org, "scope": "group", "group": group["uri"]},
        )
    for hook in hooks:
        use(hook["creator"], "webhooks", ts(hook["created_at"]))
    rels = collect(sb, "/group_relationships", {"organization": org})
    member_groups: dict[str, set[str]] = defaultdict(set)
    for r in rels:
        if r["owner"]["type"] == "OrganizationMembership":
            member_groups[r["owner"]["user"]["uri"]].add(r["group"])

    out = {}
    for user, m in members.items():
        held = meeting.get(user, {})
        signals = [
            (held.get("meeting"), "meeting"),
            (held.get("host_cancel"), "host_cancel"),
            (logs.get(user), "activity_log"),
            (edits.get(user), "event_type_edit"),
            (held.get("booking"), "booking"),
        ]
        present = [(t, name) for t, name in signals if t is not None]
        acted = [t for t, name in present if name != "booking"]  # host actions
        host = max(acted) if acted else None
        if present:
            last, source = max(present, key=lambda s: s[0])  # max keeps the first on ties
        else:
            last, source = None, "none"
        joined = ts(m["created_at"])
        if last is not None and (as_of - last).days <= 60:
            status = "active"
        else:
            status = "new" if joined > as_of - timedelta(days=30) else "idle"
        feats = uses.get(user, {})
        out[user] = {
            "membership_uri": m["uri"],
            "email": m["user"]["email"],
            "name": m["user"]["name"],
            "role": m["role"],
            "joined_at": m["created_at"],
            "groups": sorted(member_groups.get(user, ())),
            "last_active_at": last.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if last else None,
            "last_host_action_at": host.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if host else None,
            "activity_source": source,
            "status": status,
            "features_used": set(feats),
            "features_adopted": {f for f, t in feats.items() if as_of - t <= timedelta(days=90)},
        }
    return as_of, out


def test_manifest_matches_what_the_endpoints_serve(tiny_sandbox: Sandbox) -> None:
    as_of, derived = derive(tiny_sandbox)
    manifest = tiny_sandbox.manifest()
    assert ts(manifest["as_of"]) == as_of
    truth = {m["user_uri"]: m for m in manifest["members"]}
    assert set(truth) == set(derived)
    for user, mine in derived.items():
        theirs = {k: truth[user][k] for k in FIELDS_COMPARED}
        theirs["features_used"] = set(theirs["features_used"])
        theirs["features_adopted"] = set(theirs["features_adopted"])
        assert mine == theirs, user
    org_uuid = uuid_of(org_uri(tiny_sandbox))
    pending = collect(tiny_sandbox, f"/organizations/{org_uuid}/invitations", {"status": "pending"})
    assert sorted(i["uri"] for i in pending) == sorted(
        i["uri"] for i in manifest["pending_invitations"]
    )


def test_tiny_org_shows_every_status_and_source(tiny_sandbox: Sandbox) -> None:
    members = tiny_sandbox.manifest()["members"]
    assert {m["status"] for m in members} == {"active", "idle", "new"}
    assert {m["activity_source"] for m in members} == {
        "meeting",
        "booking",
        "activity_log",
        "event_type_edit",
        "none",
    }
    assert {m["role"] for m in members} == {"owner", "admin", "user"}
    assert (
        tiny_sandbox.manifest()["removed_members"]
        and tiny_sandbox.manifest()["pending_invitations"]
    )


@pytest.mark.parametrize("scale", ["tiny", "default"])
def test_members_keep_clear_of_every_threshold(scale: str) -> None:
    """No status or adoption flips when idle_days is 30, 60 or 90, whatever the rounding."""
    with start_sandbox(
        SandboxConfig(seed=42, as_of=AS_OF, scale=scale, rate_limit_per_minute=0)
    ) as sb:
        manifest = sb.manifest()
        as_of = ts(manifest["as_of"])
        for m in manifest["members"]:
            joined_days = (as_of - ts(m["joined_at"])).total_seconds() / 86400
            assert abs(joined_days - 30) >= 3, m
            if m["last_active_at"]:
                days = (as_of - ts(m["last_active_at"])).total_seconds() / 86400
                assert all(abs(days - t) >= 3 for t in (30, 60, 90)), m
        # feature uses are bookings (event created_at) and webhook creations: none near 90 days
        org = org_uri(sb)
        band = (as_of - timedelta(days=93), as_of - timedelta(days=87))
        events = collect(sb, "/scheduled_events", {"organization": org, "count": 100})
        assert len(events) == sb.world.counts()["scheduled_events"]
        assert not [e for e in events if band[0] <= ts(e["created_at"]) <= band[1]]
        hooks = collect(
            sb, "/webhook_subscriptions", {"organization": org, "scope": "organization"}
        )
        assert not [h for h in hooks if band[0] <= ts(h["created_at"]) <= band[1]]
        statuses = {m["status"] for m in manifest["members"]}
        assert statuses == {"active", "idle", "new"}


def test_default_org_tells_a_story() -> None:
    with start_sandbox(SandboxConfig(seed=42, as_of=AS_OF, rate_limit_per_minute=0)) as sb:
        manifest = sb.manifest()
        counts = manifest["counts"]
        seats = counts["memberships"] + counts["pending_invitations"]
        assert 140 <= seats <= 160
        used = {f for m in manifest["members"] for f in m["features_used"]}
        assert len(used) >= 24, sorted(used)
        idle = [m for m in manifest["members"] if m["status"] == "idle"]
        assert 0.1 <= len(idle) / len(manifest["members"]) <= 0.35
        assert len(manifest["removed_members"]) >= 3
        assert counts["scheduled_events"] >= 20_000

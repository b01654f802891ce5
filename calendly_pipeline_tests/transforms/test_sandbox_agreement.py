"""The utilization model on everything the tiny sandbox serves (real HTTP through our client,
flattened by our flatten layer) agrees exactly with the sandbox's ground-truth manifest."""

from __future__ import annotations

import pandas as pd
import pytest

from calendly_pipeline.client import CalendlyClient, PersonalAccessToken
from calendly_pipeline.sandbox import Sandbox
from calendly_pipeline.storage import raw_tables as rt
from calendly_pipeline.transforms import flatten
from calendly_pipeline.transforms.config import UtilizationConfig
from calendly_pipeline.transforms.model import build_analytics


@pytest.fixture(scope="module")
def synced(tiny_sandbox: Sandbox) -> tuple[dict[str, pd.DataFrame], dict]:
    client = CalendlyClient(
        tiny_sandbox.base_url, PersonalAccessToken(tiny_sandbox.tokens["owner"])
    )
    org = client.caller().organization_uri
    by_org = {"organization": org}

    def every(path: str, params: dict | None = None) -> list[dict]:
        return list(client.paginate(path, params))

    memberships = every("/organization_memberships", by_org)
    groups = every("/groups", by_org)
    hooks = every("/webhook_subscriptions", {**by_org, "scope": "organization"})
    for m in memberships:
        hooks += every(
            "/webhook_subscriptions", {**by_org, "scope": "user", "user": m["user"]["uri"]}
        )
    for g in groups:
        hooks += every("/webhook_subscriptions", {**by_org, "scope": "group", "group": g["uri"]})
    events = every("/scheduled_events", {**by_org, "max_start_time": "2027-01-01T00:00:00Z"})
    invitees = [i for e in events for i in every(f"{e['uri']}/invitees")]
    frames = {
        "organizations": flatten.organizations([client.get(org)]),
        "organization_memberships": flatten.organization_memberships(memberships),
        "membership_snapshots": flatten.to_frame(rt.MEMBERSHIP_SNAPSHOTS, {}, rows=0),
        "organization_invitations": flatten.organization_invitations(every(f"{org}/invitations")),
        "groups": flatten.groups(groups),
        "group_relationships": flatten.group_relationships(every("/group_relationships", by_org)),
        "event_types": flatten.event_types(every("/event_types", by_org)),
        "scheduled_events": flatten.scheduled_events(events),
        "event_hosts": flatten.event_hosts(events),
        "invitees": flatten.invitees(invitees, pii="hash", salt="test"),
        "webhook_subscriptions": flatten.webhook_subscriptions(hooks),
        "activity_log_entries": flatten.activity_log_entries(
            every("/activity_log_entries", by_org)
        ),
    }
    assert client.server_now is not None
    return frames, tiny_sandbox.manifest()


def test_every_member_agrees_with_the_manifest(synced: tuple[dict, dict]) -> None:
    frames, manifest = synced
    as_of = pd.Timestamp(manifest["as_of"])
    rules = manifest["rules"]
    config = UtilizationConfig(
        idle_days=rules["idle_days"],
        grace_days=rules["grace_days"],
        adoption_days=rules["adoption_days"],
    )
    tables = build_analytics(frames, config, as_of)
    seats = tables["seat_utilization"].set_index("user_uri", drop=False)
    adoption = tables["feature_adoption"]
    got, want = {}, {}
    for m in manifest["members"]:
        user = m["user_uri"]
        row = seats.loc[user]
        mine = adoption[adoption["user_uri"] == user]
        got[m["email"]] = (
            row["status"],
            row["activity_source"],
            None if pd.isna(row["last_active_at"]) else row["last_active_at"],
            sorted(mine.loc[mine["uses_total"] > 0, "feature"]),
            sorted(mine.loc[mine["adopted"], "feature"]),
        )
        want[m["email"]] = (
            m["status"],
            m["activity_source"],
            None if m["last_active_at"] is None else pd.Timestamp(m["last_active_at"]),
            sorted(m["features_used"]),
            sorted(m["features_adopted"]),
        )
    assert got == want
    pending = seats.loc[seats["status"] == "pending", "email"]
    assert sorted(pending) == sorted(p["email"] for p in manifest["pending_invitations"])
    assert {s for s, *_ in want.values()} >= {"active", "idle"}  # the comparison has teeth

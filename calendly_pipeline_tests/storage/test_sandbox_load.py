"""Everything the sandbox serves, fetched over real HTTP with plain `requests`, flattened and
loaded into a real DuckDB file: row counts match the sandbox's own, and invitee PII is hashed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests

from calendly_pipeline.sandbox import Sandbox
from calendly_pipeline.storage import database, migrations, reads, writes
from calendly_pipeline.storage import raw_tables as rt
from calendly_pipeline.transforms import flatten

Items = list[dict[str, Any]]


def pages(http: requests.Session, url: str, params: dict[str, Any]) -> Items:
    items: Items = []
    query = {**params, "count": 100}
    while True:
        body = http.get(url, params=query, timeout=30).json()
        items += body["collection"]
        token = body["pagination"]["next_page_token"]
        if not token:
            return items
        query = {**query, "page_token": token}


@pytest.fixture(scope="module")
def served(tiny_sandbox: Sandbox) -> Iterator[dict[str, Items]]:
    base = tiny_sandbox.base_url
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {tiny_sandbox.tokens['owner']}"
        me = http.get(f"{base}/users/me", timeout=30).json()["resource"]
        org = me["current_organization"]
        by_org = {"organization": org}
        event_types = pages(http, f"{base}/event_types", by_org)
        events = pages(http, f"{base}/scheduled_events", by_org)
        forms = pages(http, f"{base}/routing_forms", by_org)
        memberships = pages(http, f"{base}/organization_memberships", by_org)
        hooks = pages(http, f"{base}/webhook_subscriptions", {**by_org, "scope": "organization"})
        for m in memberships:
            params = {**by_org, "scope": "user", "user": m["user"]["uri"]}
            hooks += pages(http, f"{base}/webhook_subscriptions", params)
        groups = pages(http, f"{base}/groups", by_org)
        for g in groups:
            params = {**by_org, "scope": "group", "group": g["uri"]}
            hooks += pages(http, f"{base}/webhook_subscriptions", params)
        yield {
            "organization": [http.get(org, timeout=30).json()["resource"]],
            "memberships": memberships,
            "invitations": pages(http, f"{org}/invitations", {}),
            "groups": groups,
            "group_relationships": pages(http, f"{base}/group_relationships", by_org),
            "event_types": event_types,
            "event_type_memberships": [
                m
                for t in event_types
                for m in pages(http, f"{base}/event_type_memberships", {"event_type": t["uri"]})
            ],
            "events": events,
            "invitees": [i for e in events for i in pages(http, f"{e['uri']}/invitees", {})],
            "forms": forms,
            "submissions": [
                s
                for f in forms
                for s in pages(http, f"{base}/routing_form_submissions", {"form": f["uri"]})
            ],
            "webhooks": hooks,
            "activity_log": pages(http, f"{base}/activity_log_entries", by_org),
        }


def test_everything_served_lands_typed_and_counted(
    tiny_sandbox: Sandbox, served: dict[str, Items], tmp_path: Path
) -> None:
    s = served
    frames = [  # (spec, frame): TableSpec is not hashable
        (rt.ORGANIZATIONS, flatten.organizations(s["organization"])),
        (rt.USERS, flatten.users_from_memberships(s["memberships"])),
        (rt.ORGANIZATION_MEMBERSHIPS, flatten.organization_memberships(s["memberships"])),
        (rt.ORGANIZATION_INVITATIONS, flatten.organization_invitations(s["invitations"])),
        (rt.GROUPS, flatten.groups(s["groups"])),
        (rt.GROUP_RELATIONSHIPS, flatten.group_relationships(s["group_relationships"])),
        (rt.EVENT_TYPES, flatten.event_types(s["event_types"])),
        (rt.EVENT_TYPE_HOSTS, flatten.event_type_hosts(s["event_type_memberships"])),
        (rt.SCHEDULED_EVENTS, flatten.scheduled_events(s["events"])),
        (rt.EVENT_HOSTS, flatten.event_hosts(s["events"])),
        (rt.INVITEES, flatten.invitees(s["invitees"], pii="hash", salt="test-salt")),
        (rt.INVITEE_QUESTIONS_AND_ANSWERS, flatten.invitee_questions_and_answers(s["invitees"])),
        (rt.ROUTING_FORMS, flatten.routing_forms(s["forms"])),
        (rt.ROUTING_FORM_SUBMISSIONS, flatten.routing_form_submissions(s["submissions"])),
        (rt.WEBHOOK_SUBSCRIPTIONS, flatten.webhook_subscriptions(s["webhooks"])),
        (rt.ACTIVITY_LOG_ENTRIES, flatten.activity_log_entries(s["activity_log"])),
    ]
    with database.connection(tmp_path / "calendly.duckdb") as conn:
        migrations.migrate(conn)
        with writes.transaction(conn):
            for spec, frame in frames:
                writes.upsert(conn, spec, frame)
        for _ in range(2):  # re-loading the same data changes nothing
            with writes.transaction(conn):
                for spec, frame in frames:
                    writes.replace_all(conn, spec, frame)
        stored = reads.raw_frames(conn)
        counts = {spec.qualified_name: reads.row_count(conn, spec) for spec in rt.RAW_TABLES}

    for spec, frame in frames:
        back = stored[spec.name].sort_values(list(spec.primary_key), ignore_index=True)
        expected = frame.sort_values(list(spec.primary_key), ignore_index=True)
        pd.testing.assert_frame_equal(back, expected, obj=spec.qualified_name)

    truth = tiny_sandbox.world.counts()
    assert {
        "users": counts["raw.users"],
        "memberships": counts["raw.organization_memberships"],
        "invitations": counts["raw.organization_invitations"],
        "groups": counts["raw.groups"],
        "group_relationships": counts["raw.group_relationships"],
        "event_types": counts["raw.event_types"],
        "scheduled_events": counts["raw.scheduled_events"],
        "invitees": counts["raw.invitees"],
        "routing_forms": counts["raw.routing_forms"],
        "submissions": counts["raw.routing_form_submissions"],
        "webhooks": counts["raw.webhook_subscriptions"],
        "activity_log": counts["raw.activity_log_entries"],
    } == {k: v for k, v in truth.items() if k != "pending_invitations"}
    assert counts["raw.event_hosts"] == sum(len(e["event_memberships"]) for e in s["events"])

    # Members keep their names and emails; invitees keep only a salted hash and the domain.
    members = {m["email"] for m in tiny_sandbox.manifest()["members"]}
    assert set(stored["organization_memberships"]["user_email"]) == members
    invitees = stored["invitees"]
    raw_emails = {i["email"] for i in s["invitees"]}
    assert invitees["email"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert not raw_emails & set(invitees["email"]) and invitees["name"].isna().all()
    assert set(invitees["email_domain"]) == {e.split("@")[1].lower() for e in raw_emails}

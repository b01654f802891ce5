"""The organization's typed endpoints, without Dagster: real HTTP against the sandbox, requests
counted by the client (`request_count`)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from calendly_pipeline.client.api_org import (
    HOSTS,
    WEBHOOKS,
    Member,
    OrganizationEndpoints,
    Refused,
)
from calendly_pipeline.sandbox import FaultConfig
from calendly_pipeline_tests.client.support import make_client


def _api(sb: Any, client: Any) -> OrganizationEndpoints:
    return OrganizationEndpoints(client, sb.world.org_uri())


def _roster(api: OrganizationEndpoints) -> dict[str, Member]:
    users = [m["user"] for m in api.memberships()]
    return {u["uri"]: Member(u["uri"], u["name"], u["email"]) for u in users}


def _solo(event_type: dict[str, Any]) -> bool:
    profile = event_type.get("profile") or {}
    return (
        event_type["kind"] == "solo"
        and event_type["pooling_type"] is None
        and profile.get("type") == "User"
    )


def _pages(n: int, per_page: int = 100) -> int:
    return max(1, math.ceil(n / per_page))


def test_org_collections_read_whole_in_their_pages(sandbox: Any) -> None:
    counts = sandbox.world.counts()
    manifest = sandbox.manifest()
    with make_client(sandbox) as client:
        api = _api(sandbox, client)
        assert api.organization_record()["uri"] == manifest["organization"]["uri"]
        roster = list(api.memberships())
        assert {m["uri"] for m in roster} == {m["membership_uri"] for m in manifest["members"]}
        assert len(list(api.invitations())) == counts["invitations"]
        groups = {g["uri"] for g in api.groups()}
        assert len(groups) == counts["groups"]
        assert {r["group"] for r in api.group_relationships()} == groups
        before = client.request_count
        assert len(list(api.activity_log())) == counts["activity_log"]
        # the audit log is read in pages of 1,000 (the API's largest)
        assert client.request_count - before == _pages(counts["activity_log"], 1000)


def test_a_solo_types_host_is_derived_without_a_request(sandbox: Any) -> None:
    with make_client(sandbox) as client:
        api = _api(sandbox, client)
        roster = _roster(api)
        before = client.request_count
        types = api.event_types_with_hosts(roster)
        asked = client.request_count - before

        solo = [t["uri"] for t in types.parents if _solo(t)]
        shared = [t["uri"] for t in types.parents if not _solo(t)]
        assert solo and shared, "the tiny organization has both kinds"
        # the event type pages, then one host list per type that can have several hosts
        assert asked == _pages(len(types.parents)) + len(shared)
        assert types.children.refused == []

        def hosts(items: list[dict[str, Any]]) -> set[tuple[str, str, str, str]]:
            """(type, user, name, email) of the solo types' hosts; the API embeds the whole
            type where a derived host names its URI (flatten reads both)."""
            found = set()
            for h in items:
                uri = (
                    h["event_type"] if isinstance(h["event_type"], str) else h["event_type"]["uri"]
                )
                if uri in solo:
                    found.add((uri, h["member"]["uri"], h["member"]["name"], h["member"]["email"]))
            return found

        listed = [h for uri in solo for h in client.paginate(HOSTS, {"event_type": uri})]
        assert hosts(types.children.items) == hosts(listed)
        assert len(hosts(listed)) == len(solo)

        # An owner off the roster hosts nothing (the API lists only members), still unasked.
        before = client.request_count
        alone = api.event_types_with_hosts({})
        assert client.request_count - before == asked
        assert not hosts(alone.children.items)


def test_routing_forms_come_with_every_submission(sandbox: Any) -> None:
    counts = sandbox.world.counts()
    with make_client(sandbox) as client:
        before = client.request_count
        forms = _api(sandbox, client).routing_forms_with_submissions()
        assert len(forms.parents) == counts["routing_forms"] > 0
        assert len(forms.children.items) == counts["submissions"]
        assert client.request_count - before == _pages(len(forms.parents)) + len(forms.parents)


def test_a_forms_newest_submissions_are_read_down_to_a_time(own_sandbox: Any) -> None:
    world = own_sandbox.world
    form = world.uri("routing_form", 0)
    for _ in range(150):  # the form's history outgrows a page (100)
        world.submit_routing_form(form)
    world.advance(days=1)
    since = datetime.fromisoformat(world.advance(hours=1))
    new = {world.submit_routing_form(form) for _ in range(30)}

    def of_form(items: list[dict[str, Any]]) -> list[str]:
        return [s["uri"] for s in items if s["routing_form"] == form]

    with make_client(own_sandbox) as client:
        api = _api(own_sandbox, client)
        before = client.request_count
        whole = api.routing_forms_with_submissions()
        whole_asked = client.request_count - before
        before = client.request_count
        newest = api.routing_forms_with_submissions({form: since})
        asked = client.request_count - before

        # Down to `since`: the 30 new ones on the first page, the form's older pages unasked;
        # the other forms are read whole.
        assert set(of_form(newest.children.items)) == new
        others = [s for s in newest.children.items if s["routing_form"] != form]
        assert others == [s for s in whole.children.items if s["routing_form"] != form]
        assert len(of_form(whole.children.items)) == 13 + 150 + 30
        assert asked == whole_asked - 1

        # A server that ignores `sort` serves the oldest first: all of it is read, not none.
        own_sandbox.set_faults(FaultConfig(ignore_sort=True))
        before = client.request_count
        unsorted = api.routing_forms_with_submissions({form: since})
        assert client.request_count - before == whole_asked
        assert sorted(of_form(unsorted.children.items)) == sorted(of_form(whole.children.items))


def test_user_scope_webhooks_are_read_only_when_the_caller_passes_users(sandbox: Any) -> None:
    world = sandbox.world
    with world.lock:
        hooks = list(world.data.webhooks)
    with make_client(sandbox) as client:
        api = _api(sandbox, client)
        groups = [g["uri"] for g in api.groups()]
        users = list(_roster(api))

        before = client.request_count
        without = api.webhooks(groups)
        assert client.request_count - before == 1 + len(groups)
        assert {h["scope"] for h in without.items} <= {"organization", "group"}
        assert len(without.items) == sum(h.scope != "user" for h in hooks)

        before = client.request_count
        every = api.webhooks(groups, users)
        assert client.request_count - before == 1 + len(groups) + len(users)
        assert len(every.items) == len(hooks) > len(without.items)
        assert without.refused == every.refused == []


def test_a_parent_refused_with_403_or_404_is_reported_and_the_others_load(
    own_sandbox: Any,
) -> None:
    world = own_sandbox.world
    with world.lock:
        hooked = sorted({h.user for h in world.data.webhooks if h.scope == "user"})
    removed = world.uri("user", hooked[0])
    never = world.uri("group", 10_000)  # a well-formed group URI the organization never had
    with make_client(own_sandbox) as client:
        api = _api(own_sandbox, client)
        users = list(_roster(api))
        world.remove_member(removed)  # after the roster was read: its list now answers 403

        hooks = api.webhooks([never], users)

    org = world.org_uri()
    assert hooks.refused == [
        Refused(never, WEBHOOKS, {"organization": org, "scope": "group", "group": never}, 404),
        Refused(removed, WEBHOOKS, {"organization": org, "scope": "user", "user": removed}, 403),
    ]
    # the organization's hooks and those of every other member still load
    with world.lock:
        kept = [h for h in world.data.webhooks if h.scope != "group" and h.user != hooked[0]]
    assert len(hooks.items) == len(kept)
    assert removed not in {h["user"] for h in hooks.items}

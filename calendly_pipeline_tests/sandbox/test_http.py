"""The sandbox over real HTTP: auth, scoping, errors, pagination, rate limits, determinism."""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime
from email.utils import parsedate_to_datetime

import pytest
import requests

from calendly_pipeline.sandbox import Sandbox, SandboxConfig, start_sandbox
from calendly_pipeline_tests.conftest import AS_OF
from calendly_pipeline_tests.sandbox.support import (
    auth,
    collect,
    get,
    ok,
    org_uri,
    pages,
    strip_base,
    uuid_of,
)

INVALID = {"title": "Unauthenticated", "message": "The access token is invalid"}


@pytest.fixture
def own_sandbox() -> Sandbox:
    with start_sandbox(
        SandboxConfig(seed=11, as_of=AS_OF, scale="tiny", rate_limit_per_minute=0)
    ) as sb:
        yield sb


# -- auth
@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic abc", "Token xyz", "Bearer not-a-real-token"],
    ids=["missing", "empty", "no-token", "blank-token", "basic", "other-scheme", "unknown"],
)
def test_bad_tokens_get_the_real_401(tiny_sandbox: Sandbox, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = requests.get(f"{tiny_sandbox.base_url}/users/me", headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.json() == INVALID


def test_revoked_token_gets_401(own_sandbox: Sandbox) -> None:
    token = own_sandbox.tokens["admin"]
    assert get(own_sandbox, "/users/me", token=token).status_code == 200
    own_sandbox.world.revoke_token(token)
    response = get(own_sandbox, "/users/me", token=token)
    assert (response.status_code, response.json()) == (401, INVALID)


def _token_request(sb: Sandbox, **form: str) -> requests.Response:
    return requests.post(f"{sb.base_url}/oauth/token", data=form, timeout=10)


def test_oauth_code_then_refresh_rotation_and_expiry(own_sandbox: Sandbox) -> None:
    sb, app = own_sandbox, own_sandbox.oauth
    first = _token_request(
        sb,
        grant_type="authorization_code",
        code=app.authorization_code,
        redirect_uri=app.redirect_uri,
        client_id=app.client_id,
        client_secret=app.client_secret,
    )
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 7200
    assert (
        get(sb, "/users/me", token=body["access_token"]).json()["resource"]["uri"] == body["owner"]
    )
    # the code is single-use
    again = _token_request(
        sb,
        grant_type="authorization_code",
        code=app.authorization_code,
        client_id=app.client_id,
        client_secret=app.client_secret,
    )
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    # access tokens expire with the simulated clock (2 h)
    sb.world.advance(hours=2)
    expired = get(sb, "/users/me", token=body["access_token"])
    assert expired.status_code == 401
    assert expired.json() == {"title": "Unauthenticated", "message": "The access token expired"}
    # refresh tokens rotate: the new one works once, the old one never again
    refreshed = _token_request(
        sb,
        grant_type="refresh_token",
        refresh_token=body["refresh_token"],
        client_id=app.client_id,
        client_secret=app.client_secret,
    )
    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"] != body["refresh_token"]
    assert get(sb, "/users/me", token=refreshed.json()["access_token"]).status_code == 200
    reused = _token_request(
        sb,
        grant_type="refresh_token",
        refresh_token=body["refresh_token"],
        client_id=app.client_id,
        client_secret=app.client_secret,
    )
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
    # expire_access_tokens() forces the "reconnect when expired" path
    sb.world.expire_access_tokens()
    assert get(sb, "/users/me", token=refreshed.json()["access_token"]).json()["message"] == (
        "The access token expired"
    )


def test_oauth_rejects_bad_client_and_grant(tiny_sandbox: Sandbox) -> None:
    app = tiny_sandbox.oauth
    bad_client = _token_request(
        tiny_sandbox,
        grant_type="refresh_token",
        refresh_token="x",
        client_id=app.client_id,
        client_secret="wrong",
    )
    assert (bad_client.status_code, bad_client.json()["error"]) == (401, "invalid_client")
    bad_grant = _token_request(
        tiny_sandbox,
        grant_type="password",
        client_id=app.client_id,
        client_secret=app.client_secret,
    )
    assert (bad_grant.status_code, bad_grant.json()["error"]) == (400, "unsupported_grant_type")
    assert app.client_secret not in repr(app) and app.refresh_token not in repr(app)


def test_token_sets_the_role(tiny_sandbox: Sandbox) -> None:
    org = org_uri(tiny_sandbox)
    for role in ("owner", "admin", "user"):
        me = ok(tiny_sandbox, "/users/me", role=role)["resource"]["uri"]
        membership = ok(
            tiny_sandbox, "/organization_memberships", {"user": me, "organization": org}, role
        )
        assert [m["role"] for m in membership["collection"]] == [role]


# -- scoping and plan gates
def test_org_scope_needs_admin(tiny_sandbox: Sandbox) -> None:
    sb = tiny_sandbox
    org = org_uri(sb)
    me = ok(sb, "/users/me", role="user")["resource"]["uri"]
    denied = get(sb, "/scheduled_events", {"organization": org}, role="user")
    assert denied.status_code == 403
    assert denied.json()["title"] == "Permission Denied"
    # own events: user alone, or organization + self, are fine
    assert get(sb, "/scheduled_events", {"user": me}, role="user").status_code == 200
    assert (
        get(sb, "/scheduled_events", {"user": me, "organization": org}, role="user").status_code
        == 200
    )
    # another member's events need organization (and admin rights)
    other = ok(sb, "/users/me", role="admin")["resource"]["uri"]
    alone = get(sb, "/scheduled_events", {"user": other}, role="owner")
    assert alone.status_code == 403 and "also specify organization" in alone.json()["message"]
    assert (
        get(sb, "/scheduled_events", {"user": other, "organization": org}, role="user").status_code
        == 403
    )
    assert get(sb, "/scheduled_events", {"user": other, "organization": org}).status_code == 200
    for path in ("/activity_log_entries", "/outgoing_communications"):
        assert get(sb, path, {"organization": org}, role="user").status_code == 403
    invitations = f"/organizations/{uuid_of(org)}/invitations"
    assert get(sb, invitations, role="user").status_code == 403
    assert get(sb, invitations, role="admin").status_code == 200


def test_single_event_of_another_host_is_hidden_from_plain_users(tiny_sandbox: Sandbox) -> None:
    sb = tiny_sandbox
    me = ok(sb, "/users/me", role="user")["resource"]["uri"]
    events = collect(sb, "/scheduled_events", {"organization": org_uri(sb), "count": 100})
    other = next(e for e in events if me not in [m["user"] for m in e["event_memberships"]])
    mine = next(e for e in events if me in [m["user"] for m in e["event_memberships"]])
    denied = get(sb, other["uri"], role="user")
    assert denied.status_code == 403
    assert denied.json()["message"] == "You are not allowed to view this event"
    assert get(sb, mine["uri"], role="user").status_code == 200
    assert get(sb, f"{mine['uri']}/invitees", role="user").status_code == 200


@pytest.mark.parametrize(
    ("plan", "path", "message"),
    [
        ("teams", "/activity_log_entries", "Please upgrade your Calendly account to Enterprise."),
        (
            "professional",
            "/outgoing_communications",
            "Please upgrade your Calendly account to Enterprise.",
        ),
        (
            "essentials",
            "/webhook_subscriptions",
            "Please upgrade your Calendly account to Standard",
        ),
    ],
)
def test_plan_gates_answer_upgrade(plan: str, path: str, message: str) -> None:
    with start_sandbox(SandboxConfig(seed=3, as_of=AS_OF, scale="tiny", plan=plan)) as sb:
        org = org_uri(sb)
        assert ok(sb, f"/organizations/{uuid_of(org)}")["resource"]["plan"] == plan
        response = get(sb, path, {"organization": org, "scope": "organization"})
        assert response.status_code == 403
        assert response.json() == {"title": "Permission Denied", "message": message}
        manifest = sb.manifest()
        if path == "/activity_log_entries":
            assert "activity_log" not in {m["activity_source"] for m in manifest["members"]}
        if path == "/webhook_subscriptions":
            assert not any("webhooks" in m["features_used"] for m in manifest["members"])


# -- errors
@pytest.mark.parametrize(
    ("path", "params", "bad"),
    [
        ("/scheduled_events", {"count": 0}, {"count"}),
        ("/scheduled_events", {"count": 101}, {"count"}),
        ("/scheduled_events", {"count": "ten"}, {"count"}),
        ("/scheduled_events", {"min_start_time": "yesterday"}, {"min_start_time"}),
        ("/scheduled_events", {"sort": "name:asc"}, {"sort"}),
        ("/scheduled_events", {"status": "done"}, {"status"}),
        (
            "/scheduled_events",
            {"organization": "not-a-uri", "count": 5000},
            {"organization", "count"},
        ),
        ("/scheduled_events", {"page_token": "%%%"}, {"page_token"}),
        ("/activity_log_entries", {"count": 1001}, {"count"}),
        ("/event_types", {}, {"organization"}),
        ("/event_types", {"sort": "color:asc", "organization": "ORG"}, {"sort"}),
        ("/event_type_memberships", {}, {"event_type"}),
        ("/routing_form_submissions", {}, {"form"}),
        ("/webhook_subscriptions", {}, {"scope"}),
        ("/user_availability_schedules", {}, {"user"}),
        ("/locations", {}, {"user"}),
    ],
)
def test_bad_parameters_get_400_with_details(
    tiny_sandbox: Sandbox, path: str, params: dict, bad: set
) -> None:
    org = org_uri(tiny_sandbox)
    unscoped = ("/event_types", "/locations", "/user_availability_schedules")
    full = {k: org if v == "ORG" else v for k, v in params.items()}
    if path not in unscoped:
        full.setdefault("organization", org)
    response = get(tiny_sandbox, path, full)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["title"] == "Invalid Argument"
    assert body["message"] == "The supplied parameters are invalid."
    assert {d["parameter"] for d in body["details"]} == bad
    assert all(d["message"] for d in body["details"])


def test_activity_log_allows_1000_per_page(tiny_sandbox: Sandbox) -> None:
    body = ok(
        tiny_sandbox,
        "/activity_log_entries",
        {"organization": org_uri(tiny_sandbox), "count": 1000},
    )
    assert body["pagination"]["count"] == 1000
    assert body["total_count"] == len(body["collection"]) > 0
    assert body["exceeds_max_total_count"] is False


@pytest.mark.parametrize(
    "path",
    [
        "/users/00000000-0000-4000-8000-000000000000",
        "/scheduled_events/00000000-0000-4000-8000-000000000000",
        "/event_types/00000000-0000-4000-8000-000000000000",
        "/no/such/path",
    ],
)
def test_unknown_resources_get_404(tiny_sandbox: Sandbox, path: str) -> None:
    response = get(tiny_sandbox, path)
    assert response.status_code == 404
    assert response.json() == {
        "title": "Resource Not Found",
        "message": "The server could not find the requested resource.",
    }


# -- headers
def test_date_header_is_the_simulated_clock(own_sandbox: Sandbox) -> None:
    response = get(own_sandbox, "/users/me")
    assert response.headers["Date"] == "Tue, 30 Jun 2026 12:00:00 GMT"
    assert "server" not in {k.lower() for k in response.headers}
    own_sandbox.world.advance(days=1, hours=2)
    moved = parsedate_to_datetime(get(own_sandbox, "/users/me").headers["Date"])
    assert moved.isoformat() == "2026-07-01T14:00:00+00:00"


def test_rate_limit_headers_and_429() -> None:
    with start_sandbox(
        SandboxConfig(seed=5, as_of=AS_OF, scale="tiny", rate_limit_per_minute=3)
    ) as sb:
        seen = [get(sb, "/users/me") for _ in range(3)]
        assert [r.status_code for r in seen] == [200, 200, 200]
        assert [r.headers["X-RateLimit-Remaining"] for r in seen] == ["2", "1", "0"]
        assert all(r.headers["X-RateLimit-Limit"] == "3" for r in seen)
        assert all(1 <= int(r.headers["X-RateLimit-Reset"]) <= 60 for r in seen)
        limited = get(sb, "/users/me")
        assert limited.status_code == 429
        assert limited.json()["title"] == "Too Many Requests"
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert limited.headers["X-RateLimit-Reset"] == limited.headers["Retry-After"]
        # the budget is per token
        assert get(sb, "/users/me", role="admin").status_code == 200
        # errors carry the headers too
        assert "X-RateLimit-Limit" in get(sb, "/nope", role="user").headers
        assert sb.stats()["429"] == 1


def test_default_budget_is_the_paid_plan_figure(tiny_sandbox: Sandbox) -> None:
    with start_sandbox(SandboxConfig(seed=5, as_of=AS_OF, scale="tiny")) as sb:
        assert get(sb, "/users/me").headers["X-RateLimit-Limit"] == "500"


# -- pagination
@pytest.mark.parametrize("via", ["next_page", "page_token"])
@pytest.mark.parametrize("sort", ["start_time:asc", "start_time:desc"])
def test_events_page_without_duplicates_or_gaps(tiny_sandbox: Sandbox, via: str, sort: str) -> None:
    sb = tiny_sandbox
    org = org_uri(sb)
    got = collect(sb, "/scheduled_events", {"organization": org, "count": 7, "sort": sort}, via=via)
    uris = [e["uri"] for e in got]
    assert len(uris) == len(set(uris)) == sb.world.counts()["scheduled_events"]
    keys = [(e["start_time"], e["uri"]) for e in got]
    starts = [k[0] for k in keys]
    assert starts == sorted(starts, reverse=sort.endswith("desc"))


def test_half_open_windows_partition_the_events(tiny_sandbox: Sandbox) -> None:
    sb = tiny_sandbox
    org = org_uri(sb)
    everything = {
        e["uri"] for e in collect(sb, "/scheduled_events", {"organization": org, "count": 100})
    }
    # any fraction, or none, is accepted; bounds are [min, max)
    bounds = [
        "2026-04-01T00:00:00Z",
        "2026-05-01T00:00:00.000Z",
        "2026-06-01T00:00:00.000000Z",
        "2026-06-30T12:00:00+00:00",
        "2026-08-01T00:00:00Z",
    ]
    windows = [(None, bounds[0]), *itertools.pairwise(bounds), (bounds[-1], None)]
    parts = []
    for low, high in windows:
        params = {"organization": org, "count": 30}
        params |= {"min_start_time": low} if low else {}
        params |= {"max_start_time": high} if high else {}
        got = collect(sb, "/scheduled_events", params)
        for e in got:
            start = datetime.fromisoformat(e["start_time"])
            assert low is None or start >= datetime.fromisoformat(low)
            assert high is None or start < datetime.fromisoformat(high)
        parts += [e["uri"] for e in got]
    assert len(parts) == len(set(parts))
    assert set(parts) == everything
    future = collect(sb, "/scheduled_events", {"organization": org, "min_start_time": bounds[3]})
    assert future, "the org has meetings after as_of"


@pytest.mark.parametrize(
    ("path", "extra", "count_key"),
    [
        ("/organization_memberships", {}, "memberships"),
        ("/group_relationships", {}, "group_relationships"),
        ("/activity_log_entries", {}, "activity_log"),
    ],
)
def test_small_collections_page_completely(
    tiny_sandbox: Sandbox, path: str, extra: dict, count_key: str
) -> None:
    sb = tiny_sandbox
    got = collect(sb, path, {"organization": org_uri(sb), "count": 3, **extra})
    uris = [x["uri"] for x in got]
    assert len(uris) == len(set(uris)) == sb.world.counts()[count_key]


def test_pagination_object_shape(tiny_sandbox: Sandbox) -> None:
    sb = tiny_sandbox
    first = ok(sb, "/scheduled_events", {"organization": org_uri(sb), "count": 5})
    p = first["pagination"]
    assert set(p) == {
        "count",
        "next_page",
        "previous_page",
        "next_page_token",
        "previous_page_token",
    }
    assert p["count"] == 5 and len(first["collection"]) == 5
    assert p["next_page"].startswith(f"{sb.base_url}/scheduled_events?")
    assert f"page_token={p['next_page_token']}" in p["next_page"]
    assert ok(sb, "/scheduled_events", {"organization": org_uri(sb)})["pagination"]["count"] == 20
    # a token from another query is refused rather than silently misread
    foreign = get(
        sb,
        "/scheduled_events",
        {
            "organization": org_uri(sb),
            "sort": "start_time:desc",
            "page_token": p["next_page_token"],
        },
    )
    assert foreign.status_code == 400


def test_invitees_paging_and_resource_uris_use_the_base_url(tiny_sandbox: Sandbox) -> None:
    sb = tiny_sandbox
    org = org_uri(sb)
    group_event = next(
        e
        for e in collect(sb, "/scheduled_events", {"organization": org, "count": 100})
        if e["invitees_counter"]["total"] > 2
    )
    invitees = collect(sb, f"{group_event['uri']}/invitees", {"count": 1})
    assert len(invitees) == group_event["invitees_counter"]["total"]
    assert len({i["uri"] for i in invitees}) == len(invitees)
    for invitee in invitees:
        assert invitee["uri"].startswith(f"{group_event['uri']}/invitees/")
        assert ok(sb, invitee["uri"])["resource"] == invitee
    assert group_event["uri"].startswith(sb.base_url) and org.startswith(sb.base_url)


# -- determinism
def _fingerprint(sb: Sandbox) -> list[str]:
    org = org_uri(sb)
    out = []
    for path, params in [
        ("/organization_memberships", {"organization": org, "count": 100}),
        ("/event_types", {"organization": org, "count": 100}),
        ("/scheduled_events", {"organization": org, "count": 100}),
    ]:
        for page in pages(sb, path, params):
            out.append(strip_base(json.dumps(page), sb))
    first_event = json.loads(out[-1])["collection"][0]["uri"].replace("BASE", sb.base_url)
    out.append(strip_base(get(sb, f"{first_event}/invitees").text, sb))
    return out


def test_same_seed_gives_byte_identical_pages() -> None:
    cfg = SandboxConfig(seed=99, as_of=date(2026, 3, 15), scale="tiny", rate_limit_per_minute=0)
    with start_sandbox(cfg) as a, start_sandbox(cfg) as b:
        assert a.base_url != b.base_url
        assert _fingerprint(a) == _fingerprint(b)
        raw_a = get(a, "/scheduled_events", {"organization": org_uri(a), "count": 100}).content
        raw_b = get(b, "/scheduled_events", {"organization": org_uri(b), "count": 100}).content
        assert strip_base(raw_a.decode(), a).encode() == strip_base(raw_b.decode(), b).encode()
    other = SandboxConfig(seed=100, as_of=date(2026, 3, 15), scale="tiny", rate_limit_per_minute=0)
    with start_sandbox(cfg) as a, start_sandbox(other) as c:
        assert _fingerprint(a) != _fingerprint(c)


def test_tokens_never_appear_in_answers(tiny_sandbox: Sandbox) -> None:
    sb = tiny_sandbox
    bodies = [
        get(sb, "/users/me").text,
        get(sb, "/users/me", token="Bearer oops").text,
        requests.get(
            f"{sb.base_url}/users/me", headers=auth(sb.tokens["user"] + "x"), timeout=10
        ).text,
    ]
    assert not any(token in body for token in sb.tokens.values() for body in bodies)
    assert not any(token in repr(sb) for token in sb.tokens.values())


# -- filters
def test_event_filters(tiny_sandbox: Sandbox) -> None:
    sb = tiny_sandbox
    org = org_uri(sb)
    everything = collect(sb, "/scheduled_events", {"organization": org, "count": 100})
    canceled = collect(
        sb, "/scheduled_events", {"organization": org, "status": "canceled", "count": 100}
    )
    assert canceled and {e["status"] for e in canceled} == {"canceled"}
    assert {e["uri"] for e in canceled} == {
        e["uri"] for e in everything if e["status"] == "canceled"
    }
    me = ok(sb, "/users/me", role="user")["resource"]["uri"]
    mine = collect(sb, "/scheduled_events", {"user": me, "count": 100}, role="user")
    hosted = [e for e in everything if me in [m["user"] for m in e["event_memberships"]]]
    assert mine and [e["uri"] for e in mine] == [e["uri"] for e in hosted]
    group = collect(sb, "/groups", {"organization": org})[0]["uri"]
    members = {
        r["owner"]["user"]["uri"]
        for r in collect(sb, "/group_relationships", {"group": group})
        if r["owner"]["type"] == "OrganizationMembership"
    }
    in_group = collect(sb, "/scheduled_events", {"organization": org, "group": group, "count": 100})
    assert in_group
    assert [e["uri"] for e in in_group] == [
        e["uri"] for e in everything if members & {m["user"] for m in e["event_memberships"]}
    ]
    invitee = ok(sb, f"{everything[3]['uri']}/invitees")["collection"][0]
    by_email = collect(
        sb, "/scheduled_events", {"organization": org, "invitee_email": invitee["email"]}
    )
    assert everything[3]["uri"] in [e["uri"] for e in by_email]
    assert ok(sb, f"{everything[3]['uri']}/invitees", {"email": invitee["email"]})[
        "collection"
    ] == [invitee]


def test_event_type_membership_and_invitation_filters(tiny_sandbox: Sandbox) -> None:
    sb = tiny_sandbox
    org = org_uri(sb)
    types = collect(sb, "/event_types", {"organization": org, "count": 100})
    names = [t["name"] for t in types]
    assert names == sorted(names)  # default sort name:asc
    newest = collect(
        sb, "/event_types", {"organization": org, "sort": "updated_at:desc", "count": 7}
    )
    stamps = [t["updated_at"] for t in newest]
    assert stamps == sorted(stamps, reverse=True) and len(newest) == len(types)
    managed = collect(sb, "/event_types", {"organization": org, "admin_managed": "false"})
    assert managed and not any(t["admin_managed"] for t in managed)
    team = next(t for t in types if t["profile"]["type"] == "Team")
    hosts = collect(sb, "/event_type_memberships", {"event_type": team["uri"]})
    assert len(hosts) >= 2 and all(h["event_type"]["uri"] == team["uri"] for h in hosts)
    admins = collect(sb, "/organization_memberships", {"organization": org, "role": "admin"})
    assert admins and {m["role"] for m in admins} == {"admin"}
    one = collect(
        sb, "/organization_memberships", {"organization": org, "email": admins[0]["user"]["email"]}
    )
    assert one == [admins[0]]
    invitations = f"/organizations/{uuid_of(org)}/invitations"
    pending = collect(sb, invitations, {"status": "pending"})
    assert pending and {i["status"] for i in pending} == {"pending"}
    every = collect(sb, invitations, {"sort": "created_at:desc"})
    assert [i["created_at"] for i in every] == sorted(
        (i["created_at"] for i in every), reverse=True
    )


def test_group_admins_see_their_group_events_only(tiny_sandbox: Sandbox) -> None:
    sb = tiny_sandbox
    org = org_uri(sb)
    rels = collect(sb, "/group_relationships", {"organization": org})
    rel = next(r for r in rels if r["role"] == "admin" and r["owner"]["role"] == "user")
    user = rel["owner"]["user"]["uri"]
    token, _ = sb.world.issue_access_token(sb.world.lookup("user", user))
    mine = get(sb, "/scheduled_events", {"organization": org, "group": rel["group"]}, token=token)
    assert mine.status_code == 200 and mine.json()["collection"]
    other = next(
        g["uri"] for g in collect(sb, "/groups", {"organization": org}) if g["uri"] != rel["group"]
    )
    assert (
        get(sb, "/scheduled_events", {"organization": org, "group": other}, token=token).status_code
        == 403
    )
    assert get(sb, "/scheduled_events", {"organization": org}, token=token).status_code == 403


def test_activity_log_array_filters(tiny_sandbox: Sandbox) -> None:
    sb = tiny_sandbox
    org = org_uri(sb)
    entries = collect(sb, "/activity_log_entries", {"organization": org, "count": 1000})
    actor = entries[0]["actor"]["uri"]
    namespace = entries[0]["namespace"]
    for key in ("actor", "actor[]"):
        got = collect(sb, "/activity_log_entries", {"organization": org, key: [actor]})
        assert got and {e["actor"]["uri"] for e in got} == {actor}
    got = collect(
        sb,
        "/activity_log_entries",
        {
            "organization": org,
            "namespace": [namespace, "Nope"],
            "sort": ["namespace:asc", "occurred_at:asc"],
        },
    )
    assert {e["namespace"] for e in got} == {namespace}
    stamps = [e["occurred_at"] for e in got]
    assert stamps == sorted(stamps)
    assert [e["occurred_at"] for e in entries] == sorted(
        (e["occurred_at"] for e in entries), reverse=True
    )

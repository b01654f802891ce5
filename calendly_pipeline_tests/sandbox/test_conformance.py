"""Spec conformance with schemathesis: every implemented GET operation of the official openapi.json.

Two passes per operation, both against the running sandbox over HTTP:
* every object of the tiny organization, reached through real parameters and full paging, must
  validate against the operation's 200 schema (required fields and nullability included);
* schemathesis-generated requests must never give a 5xx, an undocumented status code or a
  malformed error body.

Deliberate deviations from the spec (REFERENCE.md section 12), each checked the way stated here:
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from calendly_pipeline.sandbox import Sandbox
from calendly_pipeline_tests.sandbox.support import auth, collect, ok, org_uri, uuid_of

DEVIATIONS = {
    # 12.1: the export's 4xx/5xx schemas carry wrong title/message enums (a 404 titled "Internal
    # Server Error"); error bodies are checked against REFERENCE.md section 3 instead.
    "error_bodies": "validated as ErrorResponse {title, message, details?} per REFERENCE section 3",
    # 12.2: Pagination.count has maximum 100, yet /activity_log_entries pages hold up to 1000;
    # schema validation of that endpoint uses count <= 100.
    "activity_log_count": "pages above 100 are not schema-validated",
    # 12.7: operations declare oauth2 (or, for /event_type_memberships, only the PAT scheme); both
    # are bearer tokens and the sandbox accepts either on every path.
    "security_schemes": "any bearer token on every operation",
    # Not every operation documents 401 (/activity_log_entries, /outgoing_communications); the real
    # API answers 401 for a bad token everywhere, and so does the sandbox.
    "undocumented_401": "401 is allowed on every operation",
    # 12.8: Event.calendar_event is required though deprecated: a stub {kind, external_id}.
    "calendar_event": "stub object",
}

OPERATIONS = [
    "/users/me",
    "/users/{uuid}",
    "/organizations/{uuid}",
    "/organization_memberships",
    "/organization_memberships/{uuid}",
    "/organizations/{uuid}/invitations",
    "/organizations/{org_uuid}/invitations/{uuid}",
    "/groups",
    "/groups/{uuid}",
    "/group_relationships",
    "/group_relationships/{uuid}",
    "/event_types",
    "/event_types/{uuid}",
    "/event_type_memberships",
    "/scheduled_events",
    "/scheduled_events/{uuid}",
    "/scheduled_events/{uuid}/invitees",
    "/scheduled_events/{event_uuid}/invitees/{invitee_uuid}",
    "/invitee_no_shows/{uuid}",
    "/routing_forms",
    "/routing_forms/{uuid}",
    "/routing_form_submissions",
    "/routing_form_submissions/{uuid}",
    "/webhook_subscriptions",
    "/webhook_subscriptions/{webhook_uuid}",
    "/activity_log_entries",
    "/outgoing_communications",
    "/user_availability_schedules",
    "/user_availability_schedules/{uuid}",
    "/locations",
]
SCHEMA_CHECKS = [response_schema_conformance, status_code_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def schema(spec_dir: Path) -> Any:
    return schemathesis.openapi.from_path(spec_dir / "openapi.json")


def test_every_implemented_get_operation_is_listed(schema: Any) -> None:
    spec_gets = {op.path for op in _operations(schema)}
    assert set(OPERATIONS) <= spec_gets, set(OPERATIONS) - spec_gets


def _operations(schema: Any) -> Iterator[Any]:
    for result in schema.get_all_operations():
        op = result.ok()
        if op.method.upper() == "GET":
            yield op


def _cases(sb: Sandbox) -> dict[str, list[tuple[dict, dict]]]:
    """(path parameters, query) per operation, reaching every object of the tiny org."""
    org = org_uri(sb)
    org_uuid = uuid_of(org)
    members = collect(sb, "/organization_memberships", {"organization": org, "count": 100})
    users = [m["user"]["uri"] for m in members]
    events = collect(sb, "/scheduled_events", {"organization": org, "count": 100})
    invitees = [i for e in events for i in collect(sb, f"{e['uri']}/invitees", {"count": 100})]
    types = collect(sb, "/event_types", {"organization": org, "count": 100})
    deleted_types = {e["event_type"] for e in events} - {t["uri"] for t in types}
    forms = collect(sb, "/routing_forms", {"organization": org})
    submissions = [
        s for f in forms for s in collect(sb, "/routing_form_submissions", {"form": f["uri"]})
    ]
    groups = collect(sb, "/groups", {"organization": org})
    rels = collect(sb, "/group_relationships", {"organization": org})
    invitations = collect(sb, f"/organizations/{org_uuid}/invitations", {})
    hooks = collect(sb, "/webhook_subscriptions", {"organization": org, "scope": "organization"})
    for user in users:
        hooks += collect(
            sb, "/webhook_subscriptions", {"organization": org, "scope": "user", "user": user}
        )
    schedules = [
        s for u in users for s in ok(sb, "/user_availability_schedules", {"user": u})["collection"]
    ]
    one = [({}, {})]
    return {
        "/users/me": one,
        "/users/{uuid}": [({"uuid": uuid_of(u)}, {}) for u in users],
        "/organizations/{uuid}": [({"uuid": org_uuid}, {})],
        "/organization_memberships": [({}, {"organization": org, "count": 100})]
        + [({}, {"user": u}) for u in users[:3]],
        "/organization_memberships/{uuid}": [({"uuid": uuid_of(m["uri"])}, {}) for m in members],
        "/organizations/{uuid}/invitations": [
            ({"uuid": org_uuid}, {"count": 100}),
            ({"uuid": org_uuid}, {"status": "pending"}),
        ],
        "/organizations/{org_uuid}/invitations/{uuid}": [
            ({"org_uuid": org_uuid, "uuid": uuid_of(i["uri"])}, {}) for i in invitations
        ],
        "/groups": [({}, {"organization": org})],
        "/groups/{uuid}": [({"uuid": uuid_of(g["uri"])}, {}) for g in groups],
        "/group_relationships": [({}, {"organization": org, "count": 100})]
        + [({}, {"group": g["uri"]}) for g in groups],
        "/group_relationships/{uuid}": [({"uuid": uuid_of(r["uri"])}, {}) for r in rels],
        "/event_types": [
            ({}, {"organization": org, "count": 100}),
            ({}, {"user": users[0], "count": 100}),
        ],
        "/event_types/{uuid}": [
            ({"uuid": uuid_of(t)}, {}) for t in [t["uri"] for t in types] + sorted(deleted_types)
        ],
        "/event_type_memberships": [({}, {"event_type": t["uri"]}) for t in types],
        "/scheduled_events": [
            ({}, {"organization": org, "count": 100}),
            ({}, {"organization": org, "status": "canceled", "count": 100}),
        ],
        "/scheduled_events/{uuid}": [({"uuid": uuid_of(e["uri"])}, {}) for e in events],
        "/scheduled_events/{uuid}/invitees": [
            ({"uuid": uuid_of(e["uri"])}, {"count": 100}) for e in events
        ],
        "/scheduled_events/{event_uuid}/invitees/{invitee_uuid}": [
            ({"event_uuid": uuid_of(i["event"]), "invitee_uuid": uuid_of(i["uri"])}, {})
            for i in invitees
        ],
        "/invitee_no_shows/{uuid}": [
            ({"uuid": uuid_of(i["no_show"]["uri"])}, {}) for i in invitees if i["no_show"]
        ],
        "/routing_forms": [({}, {"organization": org})],
        "/routing_forms/{uuid}": [({"uuid": uuid_of(f["uri"])}, {}) for f in forms],
        "/routing_form_submissions": [({}, {"form": f["uri"], "count": 100}) for f in forms],
        "/routing_form_submissions/{uuid}": [
            ({"uuid": uuid_of(s["uri"])}, {}) for s in submissions
        ],
        "/webhook_subscriptions": [({}, {"organization": org, "scope": "organization"})]
        + [({}, {"organization": org, "scope": "user", "user": u}) for u in users],
        "/webhook_subscriptions/{webhook_uuid}": [
            ({"webhook_uuid": uuid_of(h["uri"])}, {}) for h in hooks
        ],
        "/activity_log_entries": [({}, {"organization": org, "count": 100})],
        "/outgoing_communications": [({}, {"organization": org, "count": 100})],
        "/user_availability_schedules": [({}, {"user": u}) for u in users],
        "/user_availability_schedules/{uuid}": [
            ({"uuid": uuid_of(s["uri"])}, {}) for s in schedules
        ],
        "/locations": [({}, {"user": u}) for u in users],
    }


@pytest.fixture(scope="module")
def real_cases(tiny_sandbox: Sandbox) -> dict[str, list[tuple[dict, dict]]]:
    return _cases(tiny_sandbox)


@pytest.mark.parametrize("path", OPERATIONS)
def test_real_objects_validate_against_the_spec(
    schema: Any, tiny_sandbox: Sandbox, real_cases: dict, path: str
) -> None:
    op = schema[path]["GET"]
    headers = auth(tiny_sandbox.tokens["owner"])
    cases = real_cases[path]
    assert cases, f"the tiny org has nothing to serve at {path}"
    validated = 0
    for path_parameters, query in cases:
        token = None
        while True:  # every page of every collection
            q = {**query, **({"page_token": token} if token else {})}
            case = op.Case(path_parameters=path_parameters, query=q)
            response = case.call(base_url=tiny_sandbox.base_url, headers=headers)
            assert response.status_code == 200, (path, path_parameters, q, response.text)
            case.validate_response(response, checks=SCHEMA_CHECKS, headers=headers)
            validated += 1
            token = (response.json().get("pagination") or {}).get("next_page_token")
            if not token:
                break
    assert validated >= len(cases)


def _error_body_ok(response: Any) -> bool:
    body = response.json()
    details = body.get("details", [])
    return (
        isinstance(body.get("title"), str)
        and isinstance(body.get("message"), str)
        and isinstance(details, list)
        and all(isinstance(d.get("message"), str) for d in details)
    )


@pytest.mark.parametrize("path", OPERATIONS)
def test_generated_requests_are_answered_by_the_spec(
    schema: Any, tiny_sandbox: Sandbox, path: str
) -> None:
    op = schema[path]["GET"]
    org = org_uri(tiny_sandbox)
    headers = auth(tiny_sandbox.tokens["owner"])
    # keep `organization` real so that generated filters reach the handlers behind the scope check
    overrides = {"organization": org} if any(p.name == "organization" for p in op.query) else {}

    @settings(
        max_examples=12,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=op.as_strategy(query=overrides or None))
    def run(case: Any) -> None:
        response = case.call(base_url=tiny_sandbox.base_url, headers=headers)
        documented = {int(code) for code in op.definition.raw["responses"] if code.isdigit()} | {
            401
        }
        assert response.status_code in documented, (response.status_code, case.query, response.text)
        assert response.status_code < 500
        assert response.headers["content-type"][0].startswith("application/json")
        big_log_page = path == "/activity_log_entries" and int(case.query.get("count", 20)) > 100
        if response.status_code == 200 and big_log_page:  # deviation 12.2
            assert response.json()["pagination"]["count"] == int(case.query["count"])
        elif response.status_code == 200:
            case.validate_response(
                response, checks=[response_schema_conformance, not_a_server_error], headers=headers
            )
        else:
            assert _error_body_ok(response), response.text

    run()

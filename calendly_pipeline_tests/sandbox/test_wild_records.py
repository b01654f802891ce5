"""The record-level WildData knobs over HTTP: what they serve, that the seed picks the same
records, and that they are off by default."""

from __future__ import annotations

from datetime import timedelta

import pytest

from calendly_pipeline.sandbox import Sandbox, SandboxConfig, start_sandbox
from calendly_pipeline.sandbox.config import WildData
from calendly_pipeline_tests.pipeline.harness import AS_OF
from calendly_pipeline_tests.sandbox.support import collect, ok, org_uri, uuid_of

WEEK = {
    "min_start_time": f"{AS_OF - timedelta(days=7)}T00:00:00Z",
    "max_start_time": f"{AS_OF}T12:00:00Z",
}


def _wild(**knobs: object) -> SandboxConfig:
    return SandboxConfig(
        seed=7, as_of=AS_OF, scale="tiny", rate_limit_per_minute=0, wild=WildData(**knobs)
    )


def _served(sb: Sandbox) -> dict[str, list[dict]]:
    org = org_uri(sb)
    return {
        "organization": [ok(sb, f"/organizations/{uuid_of(org)}")["resource"]],
        "memberships": collect(sb, "/organization_memberships", {"organization": org}),
        "groups": collect(sb, "/groups", {"organization": org}),
        "event_types": collect(sb, "/event_types", {"organization": org}),
        "events": collect(sb, "/scheduled_events", {"organization": org, **WEEK}),
    }


def _picked(served: dict[str, list[dict]]) -> tuple[set[str], set[str]]:
    """Which memberships lost their user and which events their uri (base URL aside)."""
    return (
        {uuid_of(m["uri"]) for m in served["memberships"] if m["user"] is None},
        {e["start_time"] for e in served["events"] if "uri" not in e},
    )


def test_wild_records_are_served_as_configured(tiny_sandbox: Sandbox) -> None:
    knobs = {"null_names": True, "orphan_memberships": 2, "events_without_uri": 3, "seed": 1}
    with start_sandbox(_wild(**knobs)) as sb:
        got = _served(sb)
        for role in sb.tokens:  # token holders keep their user: the caller is always known
            me = ok(sb, "/users/me", role=role)["resource"]["uri"]
            (mine,) = ok(sb, "/organization_memberships", {"user": me})["collection"]
            assert mine["user"] is not None
    with start_sandbox(_wild(**knobs)) as again:
        assert _picked(_served(again)) == _picked(got)  # the seed picks the same records

    (org,) = got["organization"]
    assert "name" not in org
    orphans, uriless = _picked(got)
    assert len(orphans) == 2 and len(uriless) == 3
    named = [m["user"]["name"] for m in got["memberships"] if m["user"] is not None]
    assert None in named and any(named)
    assert None in [g["name"] for g in got["groups"]]
    assert None in [t["name"] for t in got["event_types"]]

    plain = _served(tiny_sandbox)  # the same seed with every knob off
    assert plain["organization"][0]["name"]
    assert _picked(plain) == (set(), set())
    assert all(m["user"]["name"] for m in plain["memberships"])
    assert len(plain["events"]) == len(got["events"])


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="orphan_memberships"):
        WildData(orphan_memberships=-1)

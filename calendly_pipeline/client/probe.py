"""The "Connect" step: who the token is, what it can read, and how much budget is left.

`check_connection` returns a plain dataclass so the CLI prints it and Dagster turns it into an
asset check or metadata; neither needs to know how it was probed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from calendly_pipeline.client.client import CalendlyClient, Caller, ClockSource
from calendly_pipeline.client.errors import (
    AdminRequired,
    CalendlyError,
    InsufficientScope,
    PermissionDenied,
    PlanFeatureUnavailable,
)
from calendly_pipeline.client.ratelimit import RateBudget

ProbeOutcome = Literal["ok", "admin_required", "plan", "scope", "denied", "error"]


@dataclass(frozen=True)
class AccessProbe:
    """One list the pipeline reads, and whether this token may read it."""

    name: str
    scope: Literal["organization", "user"]
    outcome: ProbeOutcome
    detail: str

    @property
    def readable(self) -> bool:
        return self.outcome == "ok"


@dataclass(frozen=True)
class ConnectionReport:
    """Everything `check` shows; `ok` is False only when the pipeline cannot run at all."""

    ok: bool
    cause: str | None
    base_url: str
    is_synthetic: bool
    caller: Caller | None = None
    organization_name: str | None = None
    plan: str | None = None
    probes: tuple[AccessProbe, ...] = ()
    rate_budget: RateBudget = field(default_factory=lambda: RateBudget(None, None, None))
    server_now: datetime | None = None
    # Where `server_now` came from ("local": the server sent no usable `Date` header), and the
    # server's clock minus ours when both are known.
    clock_source: ClockSource = "server"
    clock_skew: timedelta | None = None
    requests_used: int = 0

    @property
    def missing(self) -> tuple[AccessProbe, ...]:
        return tuple(p for p in self.probes if not p.readable)

    def to_metadata(self) -> dict[str, Any]:
        """JSON-able summary for Dagster metadata (no token, no email)."""
        return {
            "ok": self.ok,
            "cause": self.cause or "",
            "api_host": self.base_url,
            "is_synthetic": self.is_synthetic,
            "user": self.caller.name if self.caller else "",
            "role": (self.caller.role or "none") if self.caller else "",
            "organization": self.organization_name or "",
            "plan": self.plan or "",
            "readable": [p.name for p in self.probes if p.readable],
            "missing": {p.name: p.detail for p in self.missing},
            "rate_limit": self.rate_budget.limit,
            "rate_remaining": self.rate_budget.remaining,
            "server_now": self.server_now.isoformat() if self.server_now else "",
            "clock_source": self.clock_source,
            "clock_skew_seconds": self.clock_skew.total_seconds() if self.clock_skew else None,
        }

    @property
    def clock_note(self) -> str:
        """How far our clock is from the API's, for a person: "" when it cannot be known."""
        if self.clock_source == "local":
            return "the API sent no usable Date header: using the local clock"
        if self.clock_skew is None:
            return ""
        seconds = -self.clock_skew.total_seconds()
        if abs(seconds) < 120:
            return f"local clock differs by {seconds:+.0f} s"
        if abs(seconds) < 2 * 86_400:
            return f"local clock differs by {seconds / 3600:+.1f} h"
        return f"local clock differs by {seconds / 86_400:+.1f} days"


def _org_probes(org_uri: str) -> list[tuple[str, str, dict[str, str]]]:
    org_uuid = org_uri.rstrip("/").rsplit("/", 1)[-1]
    org = {"organization": org_uri}
    return [
        ("members", "/organization_memberships", org),
        ("invitations", f"/organizations/{org_uuid}/invitations", {}),
        ("groups", "/groups", org),
        ("group relationships", "/group_relationships", org),
        ("event types", "/event_types", org),
        ("scheduled events", "/scheduled_events", org),
        ("routing forms", "/routing_forms", org),
        ("webhooks", "/webhook_subscriptions", {**org, "scope": "organization"}),
        ("activity log", "/activity_log_entries", org),
    ]


def _probe(
    client: CalendlyClient,
    name: str,
    scope: Literal["organization", "user"],
    path: str,
    params: dict[str, str],
) -> AccessProbe:
    try:
        client.request("GET", path, {**params, "count": 1})
    except AdminRequired as exc:
        return AccessProbe(name, scope, "admin_required", exc.message)
    except PlanFeatureUnavailable as exc:
        return AccessProbe(name, scope, "plan", exc.message)
    except InsufficientScope as exc:
        return AccessProbe(name, scope, "scope", exc.message)
    except PermissionDenied as exc:
        return AccessProbe(name, scope, "denied", exc.message)
    return AccessProbe(name, scope, "ok", "readable")


def check_connection(client: CalendlyClient, *, is_synthetic: bool = False) -> ConnectionReport:
    """Probe the token like the pipeline will, one small page per list, and report plainly.

    Auth, network and server failures end the check with `ok=False` and a one-line `cause`;
    a missing admin role or plan feature is reported per list, not as a failure.
    """
    base = {"base_url": client.base_url, "is_synthetic": is_synthetic}
    try:
        caller = client.caller()
        org = client.get(caller.organization_uri)
        probes = [
            _probe(client, name, "organization", path, params)
            for name, path, params in _org_probes(caller.organization_uri)
        ]
        if not caller.is_admin:
            me = {"user": caller.user_uri}
            probes += [
                _probe(client, "own scheduled events", "user", "/scheduled_events", me),
                _probe(client, "own event types", "user", "/event_types", me),
            ]
    except CalendlyError as exc:
        return ConnectionReport(
            ok=False,
            cause=exc.message,
            rate_budget=client.rate_budget,
            server_now=client.server_now,
            clock_source=client.clock_source,
            clock_skew=client.clock_skew,
            requests_used=client.request_count,
            **base,
        )
    return ConnectionReport(
        ok=True,
        cause=None,
        caller=caller,
        organization_name=org.get("name"),
        plan=org.get("plan"),
        probes=tuple(probes),
        rate_budget=client.rate_budget,
        server_now=client.server_now,
        clock_source=client.clock_source,
        clock_skew=client.clock_skew,
        requests_used=client.request_count,
        **base,
    )

"""Typed errors that name the problem, so callers and `check` can say what to do next.

Every error carries the HTTP method, a sanitized path (no host, no query string) and the status.
None of them ever holds a token: messages are built from the response's `title`/`message`, never
from request headers or bodies, and that server text passes `redact` first, because servers and
proxies do echo the `Authorization` header back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar, Literal

from calendly_pipeline.safe_text import plain

AuthKind = Literal["missing", "invalid_or_revoked", "expired"]
# What a person runs when OAuth access lapsed; every "reconnect needed" message names it.
RECONNECT_COMMAND = "calendly-pipeline connect"

# Server text longer than this is cut: a proxy's HTML error page is not an error message.
MAX_SERVER_TEXT = 300
REDACTED = "<redacted>"
# Credentials the server may quote, whatever the scheme or field: `Authorization: Bearer abc`,
# `"access_token": "abc"`, `client_secret=abc`.
_CREDENTIAL = re.compile(
    r"(?P<name>\b(?:Bearer|Basic)\s+"
    r"|\b(?:access_token|refresh_token|client_secret|token)\b[\"']?\s*[:=]\s*[\"']?)"
    r"[^\s\"',;)\]}]+",
    re.IGNORECASE,
)


def redact(text: object, secrets: Iterable[str] = ()) -> str:
    """Server-provided text made fit for an error, a log line or metadata: every secret the
    credentials hold and any `Bearer <x>` value removed, then one printable line (no escape
    sequence for a terminal that shows the log) with the length capped."""
    out = str(text)
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        out = out.replace(secret, REDACTED)
    out = _CREDENTIAL.sub(rf"\g<name>{REDACTED}", out)
    return plain(out, MAX_SERVER_TEXT)


class CalendlyError(Exception):
    """Base of every client error."""

    def __init__(self, method: str, path: str, status: int | None, message: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        if not self.path:  # refused before any request was sent
            return self.message
        status = self.status if self.status is not None else "no response"
        return f"{self.message} [{self.method} {self.path} -> {status}]"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(method={self.method!r}, path={self.path!r}, "
            f"status={self.status!r}, message={self.message!r})"
        )


class AuthError(CalendlyError):
    """401: the token is missing, invalid/revoked, or expired (`kind` says which)."""

    HINTS: ClassVar[dict[str, str]] = {
        "missing": "no token: set CALENDLY_API_TOKEN or the OAuth trio "
        "(CALENDLY_CLIENT_ID, CALENDLY_CLIENT_SECRET, CALENDLY_REFRESH_TOKEN)",
        "invalid_or_revoked": "token invalid or revoked: create a new personal access token "
        "or reconnect OAuth",
        "expired": "token expired: create a new personal access token or reconnect OAuth",
    }

    def __init__(self, method: str, path: str, status: int | None, kind: AuthKind) -> None:
        self.kind = kind
        super().__init__(method, path, status, self.HINTS[kind])


class ReconnectNeeded(AuthError):
    """The OAuth refresh token was refused (used, revoked or expired): a human must reconnect."""

    def __init__(self, method: str, path: str, status: int | None, reason: str) -> None:
        super().__init__(method, path, status, "invalid_or_revoked")
        self.message = (
            f"reconnect needed: the OAuth refresh was refused ({reason}); run "
            f"`{RECONNECT_COMMAND}` to authorize the app again"
        )
        self.args = (self.message,)


class PermissionDenied(CalendlyError):
    """403 that is neither a plan gate nor a missing admin role."""


class AdminRequired(PermissionDenied):
    """403 on an organization-scope read: the caller is not an admin or owner."""

    def __init__(self, method: str, path: str, status: int | None, scope: str) -> None:
        self.scope = scope
        super().__init__(
            method,
            path,
            status,
            f"admin or owner role required to read {scope}; this token's user lacks it",
        )


class InsufficientScope(PermissionDenied):
    """403 "Insufficient scope": the OAuth app was not granted these scopes."""

    def __init__(self, method: str, path: str, status: int | None, scopes: list[str]) -> None:
        self.scopes = scopes
        super().__init__(
            method,
            path,
            status,
            f"OAuth scope missing: {', '.join(scopes) or 'unknown'}; "
            "add it to the app and reconnect",
        )


class PlanFeatureUnavailable(PermissionDenied):
    """403 "Please upgrade": the organization's plan lacks the feature."""

    def __init__(
        self, method: str, path: str, status: int | None, feature: str, plan: str | None
    ) -> None:
        self.feature = feature
        self.required_plan = plan
        needs = f"the {plan} plan or above" if plan else "a higher plan"
        super().__init__(method, path, status, f"plan feature unavailable: {feature} needs {needs}")


class RateLimitExhausted(CalendlyError):
    """Still 429 after waiting out the advertised reset several times."""


class BadRequest(CalendlyError):
    """400: the parameters were refused; `details` lists each parameter and why."""

    def __init__(
        self, method: str, path: str, status: int | None, details: list[dict[str, Any]]
    ) -> None:
        self.details = details
        reasons = "; ".join(
            f"{d.get('parameter', '?')}: {d.get('message', '')}".strip() for d in details
        )
        super().__init__(
            method, path, status, f"bad input: {reasons or 'the parameters were refused'}"
        )


class NotFound(CalendlyError):
    """404: deleted or never existed (compliance deletions answer 404 too)."""


class ServerError(CalendlyError):
    """5xx that outlasted every retry."""


class TransportError(CalendlyError):
    """No usable response: connection refused/reset, timeout, body cut short, malformed JSON."""


class PaginationLoop(CalendlyError):
    """The server's paging does not move forward or does not end (a repeated token or page, an
    empty page that still carries a token, far more pages than announced): stop, not loop."""


class PageTokenExpired(CalendlyError):
    """The server refused a page token again after the listing was restarted once."""


class UnusableResponse(CalendlyError):
    """A 200 whose body cannot be a page of the collection (no `collection` list)."""

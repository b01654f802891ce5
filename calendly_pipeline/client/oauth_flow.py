"""The client side of the OAuth authorization-code flow with PKCE, for a command-line app.

RFC 8252 (OAuth for native apps): the browser is sent to `{auth base}/oauth/authorize` with a
PKCE S256 challenge (RFC 7636) and a random `state`, and comes back to a loopback listener on
`http://127.0.0.1:<port>/callback`. When the browser runs on another machine (SSH) it cannot
reach the loopback, so the address it was sent to can be pasted instead; both arrive as one
redirect URL that `code_from_redirect` checks. Every failure is a `ConnectFailed` whose message is
one line and never holds a code, verifier or token.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import queue
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

# What the pipeline reads (REFERENCE.md §2); `check` lists any the grant lacks.
PIPELINE_SCOPES = (
    "users:read",
    "organizations:read",
    "groups:read",
    "event_types:read",
    "scheduled_events:read",
    "availability:read",
    "locations:read",
    "routing_forms:read",
    "webhooks:read",
    "activity_log:read",
    "outgoing_communications:read",
)
CALLBACK_PATH = "/callback"
_PAGE = (
    "<!doctype html><meta charset='utf-8'><title>calendly-pipeline</title>"
    "<p>{message}</p><p>You can close this tab and return to the terminal.</p>"
)


class ConnectFailed(Exception):
    """The authorization did not complete; the message is the one line to show."""


@dataclass(frozen=True)
class Pkce:
    """A PKCE verifier and its S256 challenge, plus the `state` that ties the redirect to us."""

    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(64))
    state: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def __repr__(self) -> str:
        return "Pkce(verifier=<redacted>, state=<redacted>)"


@dataclass(frozen=True)
class Grant:
    """The token endpoint's answer to a code exchange."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: float
    scopes: tuple[str, ...]


def authorize_url(
    auth_base_url: str,
    client_id: str,
    redirect_uri: str,
    pkce: Pkce,
    scopes: tuple[str, ...] = PIPELINE_SCOPES,
) -> str:
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": pkce.state,
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{auth_base_url.rstrip('/')}/oauth/authorize?{query}"


def code_from_redirect(url: str, state: str) -> str:
    """The authorization code in the URL the browser was sent back to, once `state` matches."""
    params = {k: v[0] for k, v in parse_qs(urlsplit(url.strip()).query).items()}
    if params.get("state") != state:
        raise ConnectFailed(
            "the redirect's state does not match this connect attempt (a forged or stale "
            "redirect); nothing was stored: run `calendly-pipeline connect` again"
        )
    if params.get("error") == "access_denied":
        raise ConnectFailed("access denied: the app was not allowed in Calendly; nothing stored")
    if "error" in params:
        detail = _text(params.get("error_description") or params["error"], (state,))
        raise ConnectFailed(f"Calendly refused the authorization: {detail}; nothing was stored")
    if not params.get("code"):
        raise ConnectFailed("the redirect carries no authorization code; nothing was stored")
    return params["code"]


class _Callback(http.server.BaseHTTPRequestHandler):
    """Hands the first `/callback` request's URL to the waiting `connect`."""

    server: _LoopbackServer

    def do_GET(self) -> None:
        if urlsplit(self.path).path != CALLBACK_PATH:
            self.send_error(404)
            return
        denied = "error=" in (urlsplit(self.path).query or "")
        message = (
            "Calendly did not grant access; the terminal says why."
            if denied
            else "Calendly sent you back; the terminal finishes connecting."
        )
        body = _PAGE.format(message=message).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.redirects.put(f"http://127.0.0.1{self.path}")

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the request line holds the authorization code."""


class _LoopbackServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, redirects: queue.Queue[str]) -> None:
        self.redirects = redirects
        super().__init__(("127.0.0.1", port), _Callback)


@contextmanager
def loopback(port: int, redirects: queue.Queue[str]) -> Iterator[str]:
    """Serve `http://127.0.0.1:<port>/callback` (0: a free port); yield its redirect URI."""
    try:
        server = _LoopbackServer(port, redirects)
    except OSError as exc:
        raise ConnectFailed(f"cannot listen on 127.0.0.1:{port} ({exc.strerror})") from None
    thread = threading.Thread(target=server.serve_forever, name="oauth-callback", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{CALLBACK_PATH}"
    finally:
        server.shutdown()
        server.server_close()


def read_pasted(stream: IO[str], redirects: queue.Queue[str]) -> None:
    """Queue each non-empty line typed (or piped) into `stream` as a redirect URL."""
    for line in stream:
        if line.strip():
            redirects.put(line.strip())


def wait_for_redirect(redirects: queue.Queue[str], timeout: float) -> str:
    try:
        return redirects.get(timeout=timeout)
    except queue.Empty:
        raise ConnectFailed(
            f"no redirect arrived within {timeout:.0f}s; nothing was stored: run "
            "`calendly-pipeline connect` again"
        ) from None


def _client_form(client_id: str, client_secret: str) -> dict[str, str]:
    form = {"client_id": client_id}
    if client_secret:
        form["client_secret"] = client_secret
    return form


def exchange_code(
    post: Callable[..., requests.Response],
    auth_base_url: str,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    pkce: Pkce,
) -> Grant:
    """Trade the code for tokens; a refused code (expired, reused, wrong verifier) says so."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": pkce.verifier,
        **_client_form(client_id, client_secret),
    }
    try:
        response = post(f"{auth_base_url.rstrip('/')}/oauth/token", data=form, timeout=30)
    except requests.RequestException as exc:
        raise ConnectFailed(f"cannot reach {auth_base_url} ({type(exc).__name__})") from None
    body = _json(response)
    if response.status_code != 200:
        reason = _text(
            body.get("error_description") or body.get("error") or "",
            (code, pkce.verifier, client_secret),
        )
        raise ConnectFailed(
            f"Calendly refused the authorization code (HTTP {response.status_code}"
            f"{': ' + reason if reason else ''}); nothing was stored"
        )
    try:
        return Grant(
            access_token=body["access_token"],
            refresh_token=body["refresh_token"],
            expires_in=float(body.get("expires_in", 7200)),
            scopes=tuple(str(body.get("scope") or "").split()),
        )
    except (KeyError, TypeError, ValueError):
        raise ConnectFailed("unreadable token response; nothing was stored") from None


def revoke(
    post: Callable[..., requests.Response],
    auth_base_url: str,
    client_id: str,
    client_secret: str,
    token: str,
) -> None:
    """`POST /oauth/revoke` (RFC 7009); any answer but 200 raises `ConnectFailed`."""
    form = {"token": token, **_client_form(client_id, client_secret)}
    try:
        response = post(f"{auth_base_url.rstrip('/')}/oauth/revoke", data=form, timeout=30)
    except requests.RequestException as exc:
        raise ConnectFailed(f"cannot reach {auth_base_url} ({type(exc).__name__})") from None
    if response.status_code != 200:
        reason = _text(_json(response).get("error") or "", (token, client_secret))
        raise ConnectFailed(
            f"Calendly refused to revoke the token (HTTP {response.status_code}"
            f"{': ' + reason if reason else ''})"
        )


def _text(server_text: object, secrets_sent: tuple[str, ...]) -> str:
    """Server text fit for one line: what we sent is never echoed back, and length is capped."""
    out = " ".join(str(server_text).split())
    for secret in secrets_sent:
        if secret:
            out = out.replace(secret, "<redacted>")
    return out[:200]


def _json(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}

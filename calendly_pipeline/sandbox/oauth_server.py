"""The authorization server side of Calendly OAuth, so `calendly-pipeline connect` runs offline.

`GET /oauth/authorize` shows a login page for the synthetic organization's people (no password is
checked; the demo owner is preselected), then a consent page naming the app and the scopes. Allow
redirects to the client's loopback URI with a `code` and the `state`; Deny with
`error=access_denied`. Codes live 10 minutes of the simulated clock and work once; the token
endpoint checks the client, the redirect URI and the PKCE verifier (RFC 7636, S256), and
`/oauth/revoke` ends the user's grant (RFC 7009: it answers 200 for unknown tokens too).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from calendly_pipeline.sandbox.world import World

APP_NAME = "Calendly Pipeline (sandbox demo app)"
CODE_LIFETIME_US = 10 * 60 * 1_000_000
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked or was issued to another client."
)

_pages = Environment(
    loader=PackageLoader("calendly_pipeline.sandbox", "templates"),
    autoescape=select_autoescape(["j2"]),
)


@dataclass
class AuthRequest:
    """One authorization request between the login page and the consent page."""

    redirect_uri: str
    state: str | None
    scope: str
    challenge: str | None
    expires_us: int
    user: int | None = None


@dataclass
class IssuedCode:
    user: int
    redirect_uri: str
    scope: str
    challenge: str | None
    expires_us: int


@dataclass
class OAuthServer:
    """Pending requests, issued codes and each user's granted scopes (guarded by `world.lock`)."""

    world: World
    requests: dict[str, AuthRequest] = field(default_factory=dict)
    codes: dict[str, IssuedCode] = field(default_factory=dict)
    used_codes: set[str] = field(default_factory=set)
    scopes: dict[int, str] = field(default_factory=dict)


def accepted_redirect(world: World, uri: str) -> bool:
    """The registered URI, or any loopback `http://` URI on any port (RFC 8252 §7.3)."""
    if uri == world.credentials.oauth.redirect_uri:
        return True
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS and not parts.fragment


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _with_query(uri: str, **params: str | None) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{uri}{'&' if urlsplit(uri).query else '?'}{query}"


def _bad_request(message: str) -> HTMLResponse:
    """Shown in the browser, never redirected: the redirect URI itself is not trusted."""
    return HTMLResponse(f"<!doctype html><title>OAuth error</title><p>{message}</p>", 400)


async def _form(request: Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs((await request.body()).decode("latin-1")).items()}


def _server(request: Request) -> OAuthServer:
    return request.app.state.oauth


def _login_page(server: OAuthServer, ticket: str, error: str | None = None) -> HTMLResponse:
    world = server.world
    owner = world.data.owner
    people = [
        {"name": u.name, "email": u.email, "role": u.role, "selected": u.idx == owner}
        for u in world.members()
    ]
    page = _pages.get_template("login.html.j2").render(
        app_name=APP_NAME,
        organization=world.data.org_name,
        people=people,
        ticket=ticket,
        error=error,
    )
    return HTMLResponse(page, 200 if error is None else 400)


async def authorize(request: Request) -> Response:
    """`GET /oauth/authorize`: check the client and redirect URI, then show the login page."""
    server, q = _server(request), request.query_params
    world = server.world
    if q.get("client_id") != world.credentials.oauth.client_id:
        return _bad_request("Unknown client_id: this sandbox registers one demo OAuth app.")
    redirect_uri = q.get("redirect_uri") or world.credentials.oauth.redirect_uri
    if not accepted_redirect(world, redirect_uri):
        return _bad_request("redirect_uri is not registered for this app (loopback URIs are).")
    state = q.get("state")
    if q.get("response_type") != "code":
        target = _with_query(redirect_uri, error="unsupported_response_type", state=state)
        return RedirectResponse(target, 302)
    challenge = q.get("code_challenge")
    if challenge is not None and q.get("code_challenge_method", "plain") != "S256":
        target = _with_query(
            redirect_uri,
            error="invalid_request",
            error_description="code_challenge_method must be S256",
            state=state,
        )
        return RedirectResponse(target, 302)
    ticket = secrets.token_urlsafe(16)
    with world.lock:
        server.requests[ticket] = AuthRequest(
            redirect_uri=redirect_uri,
            state=state,
            scope=q.get("scope") or "default",
            challenge=challenge,
            expires_us=world.now_us + CODE_LIFETIME_US,
        )
    return _login_page(server, ticket)


def _pending(server: OAuthServer, ticket: str) -> AuthRequest | None:
    found = server.requests.get(ticket)
    if found is None or found.expires_us <= server.world.now_us:
        return None
    return found


async def login(request: Request) -> Response:
    """`POST /oauth/login`: a typed e-mail wins over the chosen person; any password works."""
    server, form = _server(request), await _form(request)
    world = server.world
    email = (form.get("email") or form.get("person") or "").strip().lower()
    with world.lock:
        pending = _pending(server, form.get("ticket", ""))
        if pending is None:
            return _bad_request("This sign-in page expired: start again from the application.")
        user = next((u for u in world.members() if u.email.lower() == email), None)
        if user is None:
            return _login_page(
                server, form["ticket"], f"No member of this organization is {email!r}."
            )
        pending.user = user.idx
        page = _pages.get_template("consent.html.j2").render(
            app_name=APP_NAME,
            user_name=user.name,
            user_email=user.email,
            role=user.role,
            organization=world.data.org_name,
            scopes=pending.scope.split(),
            ticket=form["ticket"],
        )
    return HTMLResponse(page)


async def consent(request: Request) -> Response:
    """`POST /oauth/consent`: Allow issues a 10-minute, single-use code; Deny says so."""
    server, form = _server(request), await _form(request)
    world = server.world
    with world.lock:
        pending = _pending(server, form.get("ticket", ""))
        if pending is None or pending.user is None:
            return _bad_request("This consent page expired: start again from the application.")
        del server.requests[form["ticket"]]
        if form.get("decision") != "allow":
            target = _with_query(
                pending.redirect_uri,
                error="access_denied",
                error_description="The user denied access",
                state=pending.state,
            )
            return RedirectResponse(target, 302)
        code = secrets.token_urlsafe(24)
        server.codes[code] = IssuedCode(
            user=pending.user,
            redirect_uri=pending.redirect_uri,
            scope=pending.scope,
            challenge=pending.challenge,
            expires_us=world.now_us + CODE_LIFETIME_US,
        )
    return RedirectResponse(_with_query(pending.redirect_uri, code=code, state=pending.state), 302)


def _client_authenticated(world: World, request: Request, form: dict[str, str]) -> bool:
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        try:
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        except ValueError:
            return False
    app = world.credentials.oauth
    return client_id == app.client_id and client_secret == app.client_secret


def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _redeem_code(server: OAuthServer, form: dict[str, str]) -> tuple[int, str] | JSONResponse:
    """The user and scope of a code, or the RFC 6749 §5.2 error that refuses it."""
    world, code = server.world, str(form.get("code"))
    if code in world.credentials.auth_codes:  # the pre-issued code of `sb.oauth` (no PKCE)
        user = world.credentials.auth_codes.pop(code)
        if form.get("redirect_uri") not in (None, world.credentials.oauth.redirect_uri):
            return _oauth_error("invalid_grant", INVALID_GRANT)
        return user, "default"
    issued = server.codes.pop(code, None)
    if issued is None:
        reused = code in server.used_codes
        return _oauth_error(
            "invalid_grant", "The authorization code was already used." if reused else INVALID_GRANT
        )
    server.used_codes.add(code)
    if issued.expires_us <= world.now_us:
        return _oauth_error("invalid_grant", "The authorization code expired (codes live 10 min).")
    if form.get("redirect_uri") != issued.redirect_uri:
        return _oauth_error(
            "invalid_grant", "redirect_uri does not match the authorization request."
        )
    if issued.challenge is not None and s256(form.get("code_verifier", "")) != issued.challenge:
        return _oauth_error("invalid_grant", "PKCE verification failed: wrong code_verifier.")
    return issued.user, issued.scope


async def token(request: Request) -> Response:
    """`POST /oauth/token`: authorization_code (with PKCE) or refresh_token (single-use)."""
    server, form = _server(request), await _form(request)
    world = server.world
    if not _client_authenticated(world, request, form):
        return _oauth_error("invalid_client", "Client authentication failed.", 401)
    grant = form.get("grant_type")
    with world.lock:
        if grant == "authorization_code":
            redeemed = _redeem_code(server, form)
            if isinstance(redeemed, JSONResponse):
                return redeemed
            user, scope = redeemed
            server.scopes[user] = scope
        elif grant == "refresh_token":
            found = world.credentials.refresh_tokens.pop(str(form.get("refresh_token")), None)
            user, scope = (
                (-1, "") if found is None else (found, server.scopes.get(found, "default"))
            )
        else:
            return _oauth_error(
                "unsupported_grant_type", "grant_type must be authorization_code or refresh_token"
            )
        if not world.is_member(user):
            return _oauth_error("invalid_grant", INVALID_GRANT)
        access, refresh = world.issue_access_token(user)
        return JSONResponse(
            {
                "token_type": "Bearer",
                "access_token": access,
                "refresh_token": refresh,
                "scope": scope,
                "created_at": world.now_us // 1_000_000,
                "expires_in": 7200,
                "owner": world.uri("user", user),
                "organization": world.org_uri(),
            }
        )


async def revoke(request: Request) -> Response:
    """`POST /oauth/revoke`: revoking either token of a grant ends the whole grant."""
    server, form = _server(request), await _form(request)
    world = server.world
    if not _client_authenticated(world, request, form):
        return _oauth_error("invalid_client", "Client authentication failed.", 401)
    revoked = str(form.get("token"))
    with world.lock:
        creds = world.credentials
        user = creds.refresh_tokens.get(revoked)
        if user is None and revoked in creds.tokens and creds.tokens[revoked].kind == "oauth":
            user = creds.tokens[revoked].user
        if user is not None:
            world.revoke_grant(user_uri=world.uri("user", user))
    return JSONResponse({})


def routes() -> list[tuple[str, Any, list[str]]]:
    """(path, endpoint, methods) of the authorization server, for `build_app`."""
    return [
        ("/oauth/authorize", authorize, ["GET"]),
        ("/oauth/login", login, ["POST"]),
        ("/oauth/consent", consent, ["POST"]),
        ("/oauth/token", token, ["POST"]),
        ("/oauth/revoke", revoke, ["POST"]),
    ]

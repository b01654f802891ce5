"""`calendly-pipeline connect` and `disconnect`: the product's Connect and Reconnect, in a terminal.

Connect runs the OAuth authorization-code flow with PKCE against the app named by
`CALENDLY_CLIENT_ID` (`client/oauth_flow.py`), checks the new token exactly as `check` does, and
only then stores it, with who connected, in the OAuth store. Disconnect revokes the grant and
deletes the store. Neither touches a personal access token.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import webbrowser
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import requests

from calendly_pipeline.check_terminal import render_connection_state, render_report
from calendly_pipeline.client import CalendlyClient, OAuthCredentials, PersonalAccessToken
from calendly_pipeline.client.oauth_flow import (
    ConnectFailed,
    Grant,
    Pkce,
    authorize_url,
    code_from_redirect,
    exchange_code,
    loopback,
    read_pasted,
    revoke,
    wait_for_redirect,
)
from calendly_pipeline.client.probe import ConnectionReport, check_connection
from calendly_pipeline.connection_settings import (
    ENV_AUTH_BASE_URL,
    ENV_BASE_URL,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_OAUTH_STORE,
    ENV_TOKEN,
    ConnectionSettings,
    default_oauth_store,
)
from calendly_pipeline.settings import SettingsError

if TYPE_CHECKING:
    from rich.console import Console


def _app(env: dict[str, str]) -> tuple[str, str, Path, ConnectionSettings]:
    """The app's id and secret, the store, and the API/auth hosts; exit 2 material if unset."""
    client_id = env.get(ENV_CLIENT_ID, "").strip()
    if not client_id:
        raise SettingsError(
            f"set {ENV_CLIENT_ID} (and {ENV_CLIENT_SECRET} for a confidential app) to the OAuth "
            "app registered in Calendly's developer portal (`calendly-pipeline sandbox` prints "
            "a demo app's)"
        )
    hosts = ConnectionSettings.from_values(
        base_url=env.get(ENV_BASE_URL), auth_base_url=env.get(ENV_AUTH_BASE_URL)
    )
    store = Path(env.get(ENV_OAUTH_STORE) or default_oauth_store())
    return client_id, env.get(ENV_CLIENT_SECRET, "").strip(), store, hosts


def _identity(report: ConnectionReport, grant: Grant, hosts: ConnectionSettings) -> dict[str, Any]:
    """Who connected, kept beside the tokens (no secret: `check` and the dashboard show it)."""
    caller = report.caller
    assert caller is not None  # an ok report always names its caller
    return {
        "user_name": caller.name,
        "user_email": caller.email,
        "user_uri": caller.user_uri,
        "role": caller.role,
        "organization_uri": caller.organization_uri,
        "organization_name": report.organization_name,
        "scopes": list(grant.scopes),
        "connected_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "api_base_url": hosts.base_url,
    }


def run_connect(
    console: Console,
    *,
    no_browser: bool = False,
    port: int = 0,
    timeout: float = 300.0,
    pasted: IO[str] | None = None,
    open_browser: Callable[[str], Any] = webbrowser.open,
) -> int:
    """Authorize the app, check the token, store it; 0 on success, 1 on failure, 2 on settings."""
    env = dict(os.environ)
    try:
        client_id, client_secret, store, hosts = _app(env)
    except (SettingsError, ValueError) as exc:
        console.print(f"[red]✗ configuration: {exc}[/red]", soft_wrap=True, markup=False)
        return 2
    pkce, redirects = Pkce(), queue.Queue[str]()
    try:
        with loopback(port, redirects) as redirect_uri:
            url = authorize_url(hosts.auth_base_url, client_id, redirect_uri, pkce)
            if no_browser or not open_browser(url):
                print("Open this address in a browser to connect Calendly:", flush=True)
            else:
                print("Your browser was opened at:", flush=True)
            print(url, flush=True)
            print(
                f"Waiting for Calendly to send the browser back to {redirect_uri} ... If the "
                "browser runs on another machine, paste the address it ended on here and press "
                "Enter.",
                flush=True,
            )
            reader = pasted if pasted is not None else sys.stdin
            if reader is not None:
                threading.Thread(target=read_pasted, args=(reader, redirects), daemon=True).start()
            redirect = wait_for_redirect(redirects, timeout)
        code = code_from_redirect(redirect, pkce.state)
        grant = exchange_code(
            requests.post,
            hosts.auth_base_url,
            client_id,
            client_secret,
            code,
            redirect_uri,
            pkce,
        )
    except ConnectFailed as exc:
        console.print(f"✗ connect failed: {exc}", soft_wrap=True, markup=False, style="red")
        return 1
    with CalendlyClient(
        hosts.base_url, PersonalAccessToken(grant.access_token), auth_base_url=hosts.auth_base_url
    ) as client:
        report = check_connection(client)
    if not report.ok:
        render_report(report, "OAuth", console)
        console.print("✗ connect failed: nothing was stored", style="red")
        return 1
    credentials = OAuthCredentials(client_id, client_secret, None, store_path=store)
    credentials.save_grant(
        grant.access_token, grant.refresh_token, grant.expires_in, _identity(report, grant, hosts)
    )
    render_report(report, "OAuth", console)
    settings = ConnectionSettings(hosts.base_url, hosts.auth_base_url, credentials)
    render_connection_state(settings, report, console)
    console.print(f"connected: the tokens are in {store} (mode 0600)", soft_wrap=True)
    if env.get(ENV_TOKEN):
        console.print(
            f"note: {ENV_TOKEN} is set and takes precedence; unset it to use this connection",
            style="yellow",
        )
    return 0


def run_disconnect(console: Console) -> int:
    """Revoke the stored grant, then delete the store; the store stays if revoking fails."""
    try:
        client_id, client_secret, store, hosts = _app(dict(os.environ))
    except (SettingsError, ValueError) as exc:
        console.print(f"✗ configuration: {exc}", soft_wrap=True, markup=False, style="red")
        return 2
    credentials = OAuthCredentials(client_id, client_secret, None, store_path=store)
    who = credentials.connection().get("connection") or {}
    tokens = credentials.stored_tokens()
    if not tokens:
        console.print(f"not connected: no OAuth connection for this app in {store}", soft_wrap=True)
        return 0
    try:
        for token in tokens:
            revoke(requests.post, hosts.auth_base_url, client_id, client_secret, token)
    except ConnectFailed as exc:
        console.print(
            f"✗ disconnect failed: {exc}; the stored connection was kept so you can retry",
            soft_wrap=True,
            markup=False,
            style="red",
        )
        return 1
    for path in (store, store.with_name(store.name + ".lock")):
        path.unlink(missing_ok=True)
    name = who.get("organization_name") or "the organization"
    console.print(f"disconnected from {name}: the grant is revoked and {store} deleted")
    return 0

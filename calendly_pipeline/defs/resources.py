"""The Calendly connection as a Dagster resource.

Secrets are bound with `EnvVar`, so run config and the UI show only variable names. With no
credentials in the environment the resource starts the embedded sandbox and every consumer can
read `is_synthetic` to say so in its metadata.
"""

from __future__ import annotations

import contextlib
import os
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field, PrivateAttr

from calendly_pipeline.client import CalendlyClient, Caller, OAuthCredentials
from calendly_pipeline.client.api import CalendlyAPI
from calendly_pipeline.client.errors import AuthError
from calendly_pipeline.connection import (
    DEFAULT_BASE_URL,
    DEFAULT_HTTP_ATTEMPTS,
    DEFAULT_HTTP_TIMEOUT,
    ENV_AUTH_BASE_URL,
    ENV_BASE_URL,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_HTTP_ATTEMPTS,
    ENV_HTTP_TIMEOUT,
    ENV_OAUTH_STORE,
    ENV_REFRESH_TOKEN,
    ENV_TOKEN,
    Connection,
    ConnectionSettings,
    connect,
)
from calendly_pipeline.storage import identity


class CalendlyResource(dg.ConfigurableResource):
    """Calendly API v2: a personal access token or OAuth; the sandbox when neither is set."""

    api_token: str | None = Field(
        default=None, description=f"Personal access token; bind with EnvVar({ENV_TOKEN!r})."
    )
    client_id: str | None = Field(default=None, description=f"OAuth client id ({ENV_CLIENT_ID}).")
    client_secret: str | None = Field(
        default=None, description=f"OAuth client secret; bind with EnvVar({ENV_CLIENT_SECRET!r})."
    )
    refresh_token: str | None = Field(
        default=None,
        description=f"Initial OAuth refresh token; bind with EnvVar({ENV_REFRESH_TOKEN!r}). "
        "Rotated tokens are kept in oauth_store (mode 0600).",
    )
    # No default URL: the Launchpad scaffold showed https://api.calendly.com for runs that read
    # the embedded sandbox. Empty means the real API with credentials, the sandbox without.
    base_url: str | None = Field(
        default=None,
        description=f"API base URL ({ENV_BASE_URL}); empty: {DEFAULT_BASE_URL} when a token or "
        "OAuth is set, else the embedded sandbox (synthetic data).",
    )
    auth_base_url: str | None = Field(
        default=None,
        description=f"OAuth host ({ENV_AUTH_BASE_URL}); default https://auth.calendly.com for "
        "the real API, else the base URL.",
    )
    oauth_store: str | None = Field(
        default=None,
        description=f"File for rotated OAuth tokens ({ENV_OAUTH_STORE}); "
        "default data/.calendly_oauth.json.",
    )
    max_workers: int = Field(default=4, description="Threads for per-event invitee fan-out.")
    http_attempts: int = Field(
        default=DEFAULT_HTTP_ATTEMPTS,
        description=f"Tries per API request on 5xx and network failures ({ENV_HTTP_ATTEMPTS}).",
    )
    http_timeout: float = Field(
        default=DEFAULT_HTTP_TIMEOUT,
        description=f"Seconds to wait for a response before retrying ({ENV_HTTP_TIMEOUT}).",
    )

    _stack: contextlib.ExitStack | None = PrivateAttr(default=None)
    _connection: Connection | None = PrivateAttr(default=None)
    _caller: Caller | None = PrivateAttr(default=None)
    _as_of: datetime | None = PrivateAttr(default=None)

    @classmethod
    def from_env(cls) -> CalendlyResource:
        """Bind each variable that is set with `EnvVar` (unset ones would fail at run time)."""
        secret_fields = {
            "api_token": ENV_TOKEN,
            "client_id": ENV_CLIENT_ID,
            "client_secret": ENV_CLIENT_SECRET,
            "refresh_token": ENV_REFRESH_TOKEN,
            "base_url": ENV_BASE_URL,
            "auth_base_url": ENV_AUTH_BASE_URL,
            "oauth_store": ENV_OAUTH_STORE,
        }
        bound: dict[str, Any] = {
            name: dg.EnvVar(var) for name, var in secret_fields.items() if os.environ.get(var)
        }
        if os.environ.get(ENV_HTTP_ATTEMPTS):
            bound["http_attempts"] = dg.EnvVar.int(ENV_HTTP_ATTEMPTS)
        if os.environ.get(ENV_HTTP_TIMEOUT):
            # Not a secret, so parsed here (a float field cannot take an EnvVar).
            raw = os.environ[ENV_HTTP_TIMEOUT]
            bound["http_timeout"] = ConnectionSettings.from_values(http_timeout=raw).http_timeout
        return cls(**bound)

    def __repr__(self) -> str:
        # Never validates (a repr must not raise) and never shows a secret.
        if self.api_token:
            auth = "personal access token"
        elif self.client_id or self.client_secret or self.refresh_token:
            auth = "OAuth"
        else:
            auth = "none: embedded sandbox"
        return f"CalendlyResource(base_url={self.base_url!r}, auth={auth!r}, secrets=<redacted>)"

    __str__ = __repr__

    def settings(self) -> ConnectionSettings:
        return ConnectionSettings.from_values(
            api_token=self.api_token,
            client_id=self.client_id,
            client_secret=self.client_secret,
            refresh_token=self.refresh_token,
            base_url=self.base_url,
            auth_base_url=self.auth_base_url,
            oauth_store=self.oauth_store,
            max_workers=self.max_workers,
            http_attempts=self.http_attempts,
            http_timeout=self.http_timeout,
        )

    def _open(self) -> Connection:
        if self._connection is None:
            stack = contextlib.ExitStack()
            self._connection = stack.enter_context(connect(self.settings()))
            self._stack = stack
        return self._connection

    def get_client(self) -> CalendlyClient:
        """The shared client (one session, one rate budget) for this run's step."""
        return self._open().client

    def caller(self, warehouse: DuckDBResource) -> Caller:
        """The token's user, organization and role, asked once per step, once the warehouse is
        known to hold this organization (and the same kind of data): a run that would mix two
        refuses here, before any asset writes. Every run also records the connection's state
        (who, or since when it needs a Reconnect) for the dashboard's connection card."""
        if self._caller is None:
            connection = self._open()
            client = connection.client
            try:
                caller = client.caller()
                org_name = client.get(caller.organization_uri).get("name") or ""
            except AuthError as exc:
                record_refusal(warehouse, exc)
                raise
            owner = identity.Owner.from_uri(caller.organization_uri, org_name, self.is_synthetic)
            with warehouse.get_connection() as conn:
                identity.claim(conn, owner, urlsplit(client.base_url).netloc)
                identity.record_connected(
                    conn,
                    method=connection.auth_method,
                    connected_as=f"{caller.name} <{caller.email}>",
                    role=caller.role,
                    organization=org_name,
                    connected_since=self._connected_since(),
                )
            self._caller, self._as_of = caller, client.server_now
        return self._caller

    def api(self, warehouse: DuckDBResource) -> CalendlyAPI:
        """The typed endpoints for this step, once the token and the warehouse's organization
        are checked (`caller`)."""
        return CalendlyAPI(self.get_client(), self.caller(warehouse).organization_uri)

    def _connected_since(self) -> datetime | None:
        """When `calendly-pipeline connect` stored the OAuth connection (None for a PAT)."""
        credentials = self.settings().credentials
        if not isinstance(credentials, OAuthCredentials):
            return None
        stored = credentials.connection().get("connection") or {}
        since = stored.get("connected_at")
        return datetime.fromisoformat(since) if since else None

    @property
    def is_synthetic(self) -> bool:
        return self._open().is_synthetic

    @property
    def as_of(self) -> datetime:
        """The run's clock: the API's clock at the run's first answer (`caller`, which every
        step asks before it reads), read once and passed to every stamp and window of the run,
        so later answers never move it (one resource per run: the in-process executor)."""
        if self._as_of is None:
            raise RuntimeError("as_of is known once caller() has answered")
        return self._as_of

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._stack is not None:
            self._stack.close()
        self._stack = self._connection = self._caller = self._as_of = None


def record_refusal(warehouse: DuckDBResource, error: AuthError) -> None:
    """Calendly refused the credentials: the connection card says since when and why."""
    with warehouse.get_connection() as conn:
        identity.record_refused(conn, error.message)


@dg.failure_hook(required_resource_keys={"duckdb"})
def record_auth_failure(context: dg.HookContext) -> None:
    """A step refused mid-run (a refresh refused after the run's first request worked) marks
    the connection card too, not only a run that fails at its first request."""
    if isinstance(context.op_exception, AuthError):
        record_refusal(context.resources.duckdb, context.op_exception)

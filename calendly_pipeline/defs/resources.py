"""The Calendly connection as Dagster resources, one variant per deployment.

As `examples/project_fully_featured` switches its Hacker News client per deployment, the assets
take a `CalendlyResource` and the definitions bind the variant `CALENDLY_ENV` chooses:
`CalendlyAPIResource` (production, the default: a personal access token or OAuth, secrets bound
with `EnvVar` so run config and the UI show only variable names) or `SandboxCalendlyResource`
(the demo: the embedded sandbox's synthetic organization). Production without credentials fails
with one line naming the variables to set; it never falls back to the sandbox.
"""

from __future__ import annotations

import contextlib
import os
from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field, PrivateAttr

from calendly_pipeline.client import CalendlyClient, Caller
from calendly_pipeline.client.api import CalendlyAPI
from calendly_pipeline.client.errors import AuthError
from calendly_pipeline.connection import Connection, connect
from calendly_pipeline.connection_settings import (
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
    ConnectionSettings,
    demo_chosen,
    parse_http_timeout,
)
from calendly_pipeline.demo_connection import connect_sandbox
from calendly_pipeline.storage import identity


class CalendlyResource(dg.ConfigurableResource, ABC):
    """Calendly API v2 as the assets use it; `from_env` picks the deployment's variant."""

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
        """The variant `CALENDLY_ENV` chooses (production unless it says `demo`), each set
        variable bound with `EnvVar` (an unset one would fail at run time)."""
        bound: dict[str, Any] = {}
        if os.environ.get(ENV_HTTP_ATTEMPTS):
            bound["http_attempts"] = dg.EnvVar.int(ENV_HTTP_ATTEMPTS)
        if os.environ.get(ENV_HTTP_TIMEOUT):
            # Not a secret, so parsed here (a float field cannot take an EnvVar).
            bound["http_timeout"] = parse_http_timeout(os.environ[ENV_HTTP_TIMEOUT])
        if demo_chosen():
            return SandboxCalendlyResource(**bound)
        secret_fields = {
            "api_token": ENV_TOKEN,
            "client_id": ENV_CLIENT_ID,
            "client_secret": ENV_CLIENT_SECRET,
            "refresh_token": ENV_REFRESH_TOKEN,
            "base_url": ENV_BASE_URL,
            "auth_base_url": ENV_AUTH_BASE_URL,
            "oauth_store": ENV_OAUTH_STORE,
        }
        bound |= {
            name: dg.EnvVar(var) for name, var in secret_fields.items() if os.environ.get(var)
        }
        return CalendlyAPIResource(**bound)

    @abstractmethod
    def _connect(self) -> contextlib.AbstractContextManager[Connection]:
        """Open this variant's connection (for the step; closed at teardown)."""

    @property
    @abstractmethod
    def is_synthetic(self) -> bool:
        """Whether the data is the sandbox's synthetic organization (said in every metadata)."""

    def _open(self) -> Connection:
        if self._connection is None:
            stack = contextlib.ExitStack()
            self._connection = stack.enter_context(self._connect())
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
                    connected_since=connection.connected_since,
                )
            self._caller, self._as_of = caller, client.server_now
        return self._caller

    def api(self, warehouse: DuckDBResource) -> CalendlyAPI:
        """The typed endpoints for this step, once the token and the warehouse's organization
        are checked (`caller`)."""
        return CalendlyAPI(self.get_client(), self.caller(warehouse).organization_uri)

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


class CalendlyAPIResource(CalendlyResource):
    """Production: the real Calendly API (or one at `base_url`) with a personal access token
    or OAuth; without either, every step fails with one line naming the variables to set."""

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
    base_url: str | None = Field(
        default=None, description=f"API base URL ({ENV_BASE_URL}); empty: {DEFAULT_BASE_URL}."
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

    def __repr__(self) -> str:
        # Never validates (a repr must not raise) and never shows a secret.
        if self.api_token:
            auth = "personal access token"
        elif self.client_id or self.client_secret or self.refresh_token:
            auth = "OAuth"
        else:
            auth = "none set"
        return f"CalendlyAPIResource(base_url={self.base_url!r}, auth={auth!r}, secrets=<redacted>)"

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

    def _connect(self) -> contextlib.AbstractContextManager[Connection]:
        return connect(self.settings())

    @property
    def is_synthetic(self) -> bool:
        return False


class SandboxCalendlyResource(CalendlyResource):
    """The demo (CALENDLY_ENV=demo): the embedded Calendly sandbox, started for the step in
    a child process; its organization and every row are synthetic."""

    def __repr__(self) -> str:
        return "SandboxCalendlyResource(embedded sandbox, synthetic data)"

    __str__ = __repr__

    def _connect(self) -> contextlib.AbstractContextManager[Connection]:
        settings = ConnectionSettings(
            max_workers=self.max_workers,
            http_attempts=self.http_attempts,
            http_timeout=self.http_timeout,
        )
        return connect_sandbox(settings)

    @property
    def is_synthetic(self) -> bool:
        return True


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

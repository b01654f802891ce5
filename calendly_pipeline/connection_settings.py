"""Which Calendly to talk to, resolved from the environment when called, without Dagster.

Production (the default) reads the real API with a personal access token
(`CALENDLY_API_TOKEN`) or OAuth (`CALENDLY_CLIENT_ID` plus the tokens `calendly-pipeline connect`
stored, or the trio with `CALENDLY_REFRESH_TOKEN`), and refuses to run without them. The demo
(`CALENDLY_ENV=demo`, which `--demo` sets) reads the embedded sandbox's synthetic organization:
chosen on purpose, never because a variable is unset.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from calendly_pipeline.client import OAuthCredentials, PersonalAccessToken, RetryPolicy
from calendly_pipeline.client.auth import Credentials
from calendly_pipeline.client.errors import RECONNECT_COMMAND
from calendly_pipeline.settings import SettingsError, data_dir, number

log = logging.getLogger(__name__)

ENV_DEPLOYMENT = "CALENDLY_ENV"
PRODUCTION = "production"
DEMO = "demo"
DEPLOYMENTS = (PRODUCTION, DEMO)
ENV_TOKEN = "CALENDLY_API_TOKEN"
ENV_CLIENT_ID = "CALENDLY_CLIENT_ID"
ENV_CLIENT_SECRET = "CALENDLY_CLIENT_SECRET"
ENV_REFRESH_TOKEN = "CALENDLY_REFRESH_TOKEN"
ENV_OAUTH_TRIO = (ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_REFRESH_TOKEN)
ENV_BASE_URL = "CALENDLY_API_BASE_URL"
ENV_AUTH_BASE_URL = "CALENDLY_AUTH_BASE_URL"
ENV_OAUTH_STORE = "CALENDLY_OAUTH_STORE"
ENV_HTTP_ATTEMPTS = "CALENDLY_HTTP_ATTEMPTS"
ENV_HTTP_TIMEOUT = "CALENDLY_HTTP_TIMEOUT"
DEFAULT_HTTP_ATTEMPTS = RetryPolicy().attempts
DEFAULT_HTTP_TIMEOUT = 30.0
DEFAULT_BASE_URL = "https://api.calendly.com"
DEFAULT_AUTH_BASE_URL = "https://auth.calendly.com"
SANDBOX_AUTH_METHOD = "sandbox (synthetic data)"

NO_CREDENTIALS = (
    f"no Calendly credentials: set {ENV_TOKEN}, or {ENV_CLIENT_ID} after "
    f"`{RECONNECT_COMMAND}` (or all three of {', '.join(ENV_OAUTH_TRIO)}); "
    f"to try the pipeline on synthetic data run `calendly-pipeline sync --demo` "
    f"({ENV_DEPLOYMENT}={DEMO})"
)


class MissingCredentials(SettingsError):
    """Production was asked for without credentials: the demo is never a silent fallback."""

    def __init__(self) -> None:
        super().__init__(NO_CREDENTIALS)


def demo_chosen(env: Mapping[str, str] | None = None) -> bool:
    """Whether `CALENDLY_ENV` chooses the demo (the embedded sandbox); unset means production."""
    env = os.environ if env is None else env
    value = (env.get(ENV_DEPLOYMENT) or PRODUCTION).strip().lower()
    if value not in DEPLOYMENTS:
        raise SettingsError(
            f"{ENV_DEPLOYMENT}={env[ENV_DEPLOYMENT]!r} is not one of {', '.join(DEPLOYMENTS)}"
        )
    return value == DEMO


def default_oauth_store() -> Path:
    return data_dir() / ".calendly_oauth.json"


@dataclass(frozen=True)
class ConnectionSettings:
    """Resolved settings; `credentials=None` means none are set (production refuses to run)."""

    base_url: str = DEFAULT_BASE_URL
    auth_base_url: str = DEFAULT_AUTH_BASE_URL
    credentials: Credentials | None = None
    max_workers: int = 4
    http_attempts: int = DEFAULT_HTTP_ATTEMPTS
    http_timeout: float = DEFAULT_HTTP_TIMEOUT

    @property
    def auth_method(self) -> str:
        if isinstance(self.credentials, OAuthCredentials):
            return "OAuth"
        if isinstance(self.credentials, PersonalAccessToken):
            return "personal access token"
        return "none"

    def require_credentials(self) -> Credentials:
        """The credentials, or the one line that says which variables to set (or how to demo)."""
        if self.credentials is None:
            raise MissingCredentials()
        return self.credentials

    @classmethod
    def from_values(
        cls,
        *,
        api_token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        refresh_token: str | None = None,
        base_url: str | None = None,
        auth_base_url: str | None = None,
        oauth_store: str | Path | None = None,
        max_workers: int = 4,
        http_attempts: int | str | None = None,
        http_timeout: float | str | None = None,
    ) -> ConnectionSettings:
        """Validate one set of values; an incomplete OAuth trio names what is missing."""
        base = (base_url or DEFAULT_BASE_URL).rstrip("/")
        # A self-hosted sandbox serves /oauth/token itself; only the real API has a separate host.
        auth = auth_base_url or (DEFAULT_AUTH_BASE_URL if base == DEFAULT_BASE_URL else base)
        trio = {
            ENV_CLIENT_ID: client_id,
            ENV_CLIENT_SECRET: client_secret,
            ENV_REFRESH_TOKEN: refresh_token,
        }
        given = [name for name, value in trio.items() if value]
        credentials: Credentials | None = None
        store = oauth_store or default_oauth_store()
        if api_token:
            if given:
                log.info("%s is set; ignoring the OAuth variables", ENV_TOKEN)
            credentials = PersonalAccessToken(api_token)
        elif client_id and not refresh_token and connected(client_id, store):
            # `calendly-pipeline connect` stored the tokens; a public app has no secret.
            credentials = OAuthCredentials(client_id, client_secret or "", None, store_path=store)
        elif given:
            missing = [name for name, value in trio.items() if not value]
            if missing:
                raise SettingsError(
                    f"OAuth needs a connection: run `{RECONNECT_COMMAND}` with "
                    f"{ENV_CLIENT_ID} set, or set all three of {', '.join(ENV_OAUTH_TRIO)}; "
                    f"missing: {', '.join(missing)}"
                )
            credentials = OAuthCredentials(
                client_id or "", client_secret or "", refresh_token or "", store_path=store
            )
        return cls(
            base,
            auth.rstrip("/"),
            credentials,
            max_workers,
            _attempts(http_attempts),
            parse_http_timeout(http_timeout),
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ConnectionSettings:
        env = os.environ if env is None else env
        return cls.from_values(
            api_token=env.get(ENV_TOKEN),
            client_id=env.get(ENV_CLIENT_ID),
            client_secret=env.get(ENV_CLIENT_SECRET),
            refresh_token=env.get(ENV_REFRESH_TOKEN),
            base_url=env.get(ENV_BASE_URL),
            auth_base_url=env.get(ENV_AUTH_BASE_URL),
            oauth_store=env.get(ENV_OAUTH_STORE),
            http_attempts=env.get(ENV_HTTP_ATTEMPTS),
            http_timeout=env.get(ENV_HTTP_TIMEOUT),
        )


def validate_connection(env: Mapping[str, str] | None = None) -> None:
    """Before any run: the demo is chosen, or production has complete credentials; otherwise a
    `SettingsError` of one line that names the variables (exit code 2 in the CLI)."""
    if not demo_chosen(env):
        ConnectionSettings.from_env(env).require_credentials()


def connected(client_id: str, store: str | Path) -> bool:
    """Whether `calendly-pipeline connect` stored a connection for this app in `store`."""
    stored = OAuthCredentials(client_id, "", None, store_path=store).connection()
    return bool(stored.get("connection"))


def _attempts(raw: int | str | None) -> int:
    """Tries per request (first one included); fewer make persistent faults fail sooner."""
    return number(ENV_HTTP_ATTEMPTS, raw, DEFAULT_HTTP_ATTEMPTS, minimum=1)


def parse_http_timeout(raw: float | str | None) -> float:
    """Seconds to wait for a response to start; a stalled read is retried like a 5xx."""
    return number(ENV_HTTP_TIMEOUT, raw, DEFAULT_HTTP_TIMEOUT, minimum=0.0, inclusive=False)

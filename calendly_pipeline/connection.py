"""Which Calendly to talk to, decided from the environment, without Dagster.

A personal access token (`CALENDLY_API_TOKEN`), OAuth (`CALENDLY_CLIENT_ID` plus the tokens
`calendly-pipeline connect` stored, or the trio with `CALENDLY_REFRESH_TOKEN`) selects the real
API. With no credentials at
all the embedded sandbox starts on an ephemeral port, so a fresh checkout runs end to end; the
connection is then marked synthetic and says so loudly.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from calendly_pipeline.client import (
    CalendlyClient,
    OAuthCredentials,
    PersonalAccessToken,
    RetryPolicy,
)
from calendly_pipeline.client.auth import Credentials
from calendly_pipeline.client.check import ConnectionReport, check_connection
from calendly_pipeline.client.errors import RECONNECT_COMMAND
from calendly_pipeline.safe_text import plain
from calendly_pipeline.settings import SettingsError, data_dir, number

if TYPE_CHECKING:
    from rich.console import Console

log = logging.getLogger(__name__)

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
ENV_SANDBOX_PORT = "CALENDLY_SANDBOX_PORT"
DEFAULT_SANDBOX_PORT = 48765
DEFAULT_HTTP_ATTEMPTS = RetryPolicy().attempts
DEFAULT_HTTP_TIMEOUT = 30.0
DEFAULT_BASE_URL = "https://api.calendly.com"
DEFAULT_AUTH_BASE_URL = "https://auth.calendly.com"

SYNTHETIC_WARNING = (
    "No Calendly credentials set (CALENDLY_API_TOKEN or CALENDLY_CLIENT_ID/_SECRET/"
    "REFRESH_TOKEN): using the embedded sandbox. ALL DATA IS SYNTHETIC."
)


def default_oauth_store() -> Path:
    return data_dir() / ".calendly_oauth.json"


@dataclass(frozen=True)
class ConnectionSettings:
    """Resolved settings; `credentials=None` means "start the sandbox"."""

    base_url: str = DEFAULT_BASE_URL
    auth_base_url: str = DEFAULT_AUTH_BASE_URL
    credentials: Credentials | None = None
    max_workers: int = 4
    http_attempts: int = DEFAULT_HTTP_ATTEMPTS
    http_timeout: float = DEFAULT_HTTP_TIMEOUT

    @property
    def auth_method(self) -> str:
        if self.credentials is None:
            return "sandbox (synthetic data)"
        if isinstance(self.credentials, OAuthCredentials):
            return "OAuth"
        return "personal access token"

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
            _timeout(http_timeout),
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


def connected(client_id: str, store: str | Path) -> bool:
    """Whether `calendly-pipeline connect` stored a connection for this app in `store`."""
    stored = OAuthCredentials(client_id, "", None, store_path=store).connection()
    return bool(stored.get("connection"))


def _attempts(raw: int | str | None) -> int:
    """Tries per request (first one included); fewer make persistent faults fail sooner."""
    return number(ENV_HTTP_ATTEMPTS, raw, DEFAULT_HTTP_ATTEMPTS, minimum=1)


def _timeout(raw: float | str | None) -> float:
    """Seconds to wait for a response to start; a stalled read is retried like a 5xx."""
    return number(ENV_HTTP_TIMEOUT, raw, DEFAULT_HTTP_TIMEOUT, minimum=0.0, inclusive=False)


@dataclass
class Connection:
    """An open client plus whether its data is synthetic (the sandbox)."""

    client: CalendlyClient
    is_synthetic: bool
    auth_method: str


def _embedded_port() -> int:
    """The embedded sandbox's port: fixed when free, so its URIs (which carry the host, as the
    real API's do) stay the same from one demo run to the next; a free one otherwise."""
    wanted = int(os.environ.get(ENV_SANDBOX_PORT) or DEFAULT_SANDBOX_PORT)
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", wanted))
        except OSError:
            log.warning(
                "port %s is busy: the embedded sandbox uses another, so its URIs differ from "
                "earlier demo runs (set %s to choose a port)",
                wanted,
                ENV_SANDBOX_PORT,
            )
            return 0
    return wanted


@contextlib.contextmanager
def connect(settings: ConnectionSettings | None = None) -> Iterator[Connection]:
    """Open a client for the settings (default: the environment); start the sandbox if needed."""
    settings = settings or ConnectionSettings.from_env()
    with contextlib.ExitStack() as stack:
        if settings.credentials is None:
            from calendly_pipeline.sandbox.child import embedded_sandbox

            log.warning(SYNTHETIC_WARNING)
            # The embedded sandbox runs for this run only, in a child process (the other core),
            # unthrottled; `calendly-pipeline sandbox` serves the real budget.
            base_url, token = stack.enter_context(embedded_sandbox(_embedded_port()))
            auth_base_url = base_url
            credentials: Credentials = PersonalAccessToken(token)
        else:
            base_url, auth_base_url = settings.base_url, settings.auth_base_url
            credentials = settings.credentials
        client = stack.enter_context(
            CalendlyClient(
                base_url,
                credentials,
                auth_base_url=auth_base_url,
                timeout=(5, settings.http_timeout),
                max_workers=settings.max_workers,
                retry=RetryPolicy(attempts=settings.http_attempts),
            )
        )
        yield Connection(client, settings.credentials is None, settings.auth_method)


def check_environment(settings: ConnectionSettings | None = None) -> ConnectionReport:
    """`check_connection` over the connection the environment selects (the sandbox if none)."""
    settings = settings or ConnectionSettings.from_env()
    with connect(settings) as connection:
        return check_connection(connection.client, is_synthetic=connection.is_synthetic)


def shown(value: object, limit: int | None = None) -> str:
    """Text from a server or the environment, ready for Rich: control characters gone
    (`safe_text.plain`, capped at `limit`: no escape sequence reaches the terminal) and markup
    escaped, so `[/]` or `[link=...]` in a name prints as typed instead of crashing or linking."""
    from rich.markup import escape

    return escape(plain(value, limit))


class _TerminalLogHandler(logging.Handler):
    """Python logging on a Rich console, one printable line per record: the client's retry
    warnings quote the server, escape sequences and newlines included."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.WARNING)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        line = plain(record.getMessage())
        self.console.print(line, markup=False, highlight=False, soft_wrap=True)


def log_to_terminal(console: Console) -> None:
    """Send warnings of every logger to `console` (above a live progress bar) as plain lines,
    instead of Python's last-resort handler, which writes them raw to stderr."""
    logging.basicConfig(level=logging.WARNING, handlers=[_TerminalLogHandler(console)], force=True)


def render_report(report: ConnectionReport, auth_method: str, console: Console) -> None:
    """The terminal view of a report: identity, readable data, missing data, budget.

    Every value the server or the environment chose passes `shown`; only our labels are markup.
    """
    from rich.table import Table

    header = f"[bold]Calendly[/bold] {shown(report.base_url)} via {auth_method}"
    if report.is_synthetic:
        header += "  [bold yellow]SYNTHETIC DATA: embedded sandbox[/bold yellow]"
    console.print(header, soft_wrap=True)
    if not report.ok:
        console.print(f"[red]✗ {shown(report.cause)}[/red]", soft_wrap=True)
        return
    table = Table(show_header=False, box=None, padding=(0, 2))
    if report.caller:
        table.add_row("user", shown(f"{report.caller.name} <{report.caller.email}>"))
        table.add_row("role", shown(report.caller.role or "no membership found"))
    table.add_row("organization", shown(f"{report.organization_name} (plan: {report.plan})"))
    if report.server_now:
        note = f" ({report.clock_note})" if report.clock_note else ""
        table.add_row("API clock", report.server_now.strftime("%Y-%m-%d %H:%M:%S UTC") + note)
    budget = report.rate_budget
    if budget.limit is not None:
        table.add_row(
            "rate budget",
            f"{budget.remaining}/{budget.limit} requests left, "
            f"resets in {budget.reset_seconds:.0f}s",
        )
    console.print(table)
    for probe in report.probes:
        mark = "[green]✓[/green]" if probe.readable else "[yellow]✗[/yellow]"
        detail = "" if probe.readable else f": {shown(probe.detail)}"
        console.print(f"  {mark} {probe.name} ({probe.scope} scope){detail}", soft_wrap=True)
    if report.caller and not report.caller.is_admin:
        console.print(
            "[yellow]Not an admin or owner: seat utilization covers only what user scope "
            "allows (the caller's own events and event types).[/yellow]"
        )


def run_check(console: Console | None = None) -> int:
    """`calendly-pipeline check`: print the report; exit 0 if usable, 1 if not, 2 on bad config."""
    from rich.console import Console

    console = console or Console()
    try:
        settings = ConnectionSettings.from_env()
    except (SettingsError, ValueError) as exc:
        console.print(f"[red]✗ configuration: {shown(exc)}[/red]", soft_wrap=True)
        return 2
    report = check_environment(settings)
    render_report(report, settings.auth_method, console)
    from calendly_pipeline.oauth_connect import render_connection_state

    render_connection_state(settings, report, console)
    return 0 if report.ok else 1

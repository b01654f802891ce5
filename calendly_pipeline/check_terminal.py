"""`calendly-pipeline check` in a terminal: the "Connect" report (`client/probe.py`) drawn with
Rich, plus how the pipeline is connected. `connect` prints the same report after a login."""

from __future__ import annotations

from typing import TYPE_CHECKING

from calendly_pipeline.client import PersonalAccessToken
from calendly_pipeline.client.errors import RECONNECT_COMMAND
from calendly_pipeline.client.oauth_flow import PIPELINE_SCOPES
from calendly_pipeline.client.probe import ConnectionReport, check_connection
from calendly_pipeline.connection import connect
from calendly_pipeline.connection_settings import ConnectionSettings, demo_chosen
from calendly_pipeline.demo_connection import connect_sandbox
from calendly_pipeline.safe_text import plain
from calendly_pipeline.settings import SettingsError
from calendly_pipeline.terminal import shown

if TYPE_CHECKING:
    from rich.console import Console


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


def render_connection_state(
    settings: ConnectionSettings, report: ConnectionReport, console: Console
) -> None:
    """How the pipeline is connected: method, who and since when, scopes missing, reconnect."""
    credentials = settings.credentials
    if credentials is None:
        return
    if isinstance(credentials, PersonalAccessToken):
        console.print("  connection     personal access token (does not expire)")
        return
    stored = credentials.connection()
    who = stored.get("connection")
    if who:
        console.print(  # names as the server gave them: no escape sequence reaches the terminal
            plain(
                f"  connection     OAuth, connected as {who['user_name']} <{who['user_email']}> "
                f"({who['role']}) of {who['organization_name']} since {who['connected_at']}"
            ),
            soft_wrap=True,
            markup=False,
        )
        missing = [s for s in PIPELINE_SCOPES if s not in who.get("scopes", [])]
        console.print(f"  scopes missing {', '.join(missing) or 'none'}", soft_wrap=True)
    else:
        console.print("  connection     OAuth with CALENDLY_REFRESH_TOKEN (not via connect)")
    since = stored.get("reconnect_needed_since")
    if since and not report.ok:
        console.print(
            f"✗ reconnect needed since {since}: run `{RECONNECT_COMMAND}`",
            soft_wrap=True,
            markup=False,
            style="red",
        )


def run_check(console: Console | None = None) -> int:
    """`calendly-pipeline check`: print the report; exit 0 if usable, 1 if not, 2 on bad config
    (no credentials and no demo chosen included)."""
    from rich.console import Console

    console = console or Console()
    try:
        demo = demo_chosen()
        settings = ConnectionSettings.from_env()
        if not demo:
            settings.require_credentials()
    except (SettingsError, ValueError) as exc:
        console.print(f"[red]✗ configuration: {shown(exc)}[/red]", soft_wrap=True)
        return 2
    opened = connect_sandbox(settings) if demo else connect(settings)
    with opened as connection:
        report = check_connection(connection.client, is_synthetic=connection.is_synthetic)
    render_report(report, connection.auth_method, console)
    if not demo:
        render_connection_state(settings, report, console)
    return 0 if report.ok else 1

"""The `calendly-pipeline` command line.

Each command imports its implementation lazily, so `calendly-pipeline sandbox` does not pay for
importing Dagster and `--help` stays fast.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

import typer

# Read by glibc as each process starts: every block of 128 KiB or more (glibc's default
# threshold, kept fixed) is mapped on its own and unmapped when freed. Left dynamic, the
# threshold rises with the first large free, and in some daily runs the process then kept
# ~80 MiB after its events step (docs/scaling.md, "Daily memory").
FIXED_MMAP_THRESHOLD = ("MALLOC_MMAP_THRESHOLD_", "131072")


def with_fixed_mmap_threshold(env: Mapping[str, str]) -> dict[str, str] | None:
    """`env` plus `FIXED_MMAP_THRESHOLD` for a process to start with; None where it is set
    already (the user's value stands) or where the C library is not glibc."""
    name, value = FIXED_MMAP_THRESHOLD
    if name in env or platform.libc_ver()[0] != "glibc":
        return None
    return {**env, name: value}


app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Click's plain help: flags without a `<bool>` type and paragraphs re-flowed to the width,
    # not broken where the docstring's source lines end.
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"calendly-pipeline {version('calendly-pipeline')}")
        raise typer.Exit()


DEMO_HELP = (
    "The demo: read the embedded Calendly sandbox's synthetic organization instead of "
    "Calendly (sets CALENDLY_ENV=demo); no credentials needed."
)


def _choose_demo(demo: bool) -> None:
    """`--demo` chooses the embedded sandbox for this process and what it starts (the Dagster
    run, the UI's code server), through the one setting the definitions read."""
    if demo:
        from calendly_pipeline.connection_settings import DEMO, ENV_DEPLOYMENT

        os.environ[ENV_DEPLOYMENT] = DEMO


@app.callback()
def main(
    _: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Calendly API v2 -> DuckDB seat and feature utilization, orchestrated by Dagster."""


@app.command()
def sandbox(
    port: int = typer.Option(8765, help="TCP port to listen on (0 picks a free one)."),
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    seed: int = typer.Option(42, help="Seed of the synthetic organization."),
    scale: str = typer.Option("default", help="tiny | default | large"),
    as_of: str = typer.Option(None, help="Simulated 'today' (YYYY-MM-DD); default: today UTC."),
    plan: str = typer.Option("enterprise", help="Organization plan (basic ... enterprise)."),
    rate_limit: int = typer.Option(500, help="Requests per token per minute; 0 switches it off."),
    wild: bool = typer.Option(
        False,
        help="Serve like a server that is not Calendly: no Date, no rate-limit headers, no "
        "Retry-After, 1 s rate windows (FaultConfig.wild; docs/sandbox.md).",
    ),
) -> None:
    """Serve the Calendly sandbox (a local simulator of Calendly API v2)."""
    from calendly_pipeline.sandbox.serve import serve_forever

    serve_forever(
        host=host,
        port=port,
        seed=seed,
        scale=scale,
        as_of=as_of,
        plan=plan,
        rate_limit=rate_limit,
        wild=wild,
    )


@app.command()
def check(demo: bool = typer.Option(False, "--demo", help=DEMO_HELP)) -> None:
    """Connect: who the token belongs to, what it can read, and the rate budget left.

    Uses CALENDLY_API_TOKEN, the OAuth connection `connect` stored, or CALENDLY_CLIENT_ID/_SECRET/
    _REFRESH_TOKEN; with --demo the embedded sandbox. Exits 1 with a one-line cause when the
    connection is unusable, 2 on bad settings (no credentials and no --demo included).
    """
    from rich.console import Console

    from calendly_pipeline.check_terminal import run_check
    from calendly_pipeline.terminal import log_to_terminal

    _choose_demo(demo)
    log_to_terminal(Console(stderr=True))
    raise typer.Exit(run_check())


@app.command()
def connect(
    no_browser: bool = typer.Option(
        False, "--no-browser", help="Print the address to open instead of opening a browser."
    ),
    port: int = typer.Option(
        0, help="Loopback port Calendly redirects to (127.0.0.1:<port>/callback); 0 = any free."
    ),
    timeout: float = typer.Option(300, help="Seconds to wait for the browser to come back."),
) -> None:
    """Connect (or Reconnect) Calendly with OAuth: sign in and allow the app in a browser.

    Needs CALENDLY_CLIENT_ID (and CALENDLY_CLIENT_SECRET for a confidential app). Stores the
    tokens in CALENDLY_OAUTH_STORE (mode 0600) and prints the same report as `check`. When the
    browser cannot reach this machine (SSH), paste the address it ended on into the terminal.
    """
    from rich.console import Console

    from calendly_pipeline.oauth_connect import run_connect

    raise typer.Exit(run_connect(Console(), no_browser=no_browser, port=port, timeout=timeout))


@app.command()
def disconnect() -> None:
    """Revoke the OAuth grant `connect` stored and delete the token store."""
    from rich.console import Console

    from calendly_pipeline.oauth_connect import run_disconnect

    raise typer.Exit(run_disconnect(Console()))


@app.command()
def dashboard(
    database: str = typer.Option(
        None, help="DuckDB file or md: URI; default $CALENDLY_DUCKDB_PATH or data/calendly.duckdb."
    ),
    output: Path = typer.Option(
        None,
        help="HTML file to write; default $CALENDLY_DASHBOARD_PATH or dashboard.html beside "
        "the DuckDB file.",
    ),
) -> None:
    """Render the offline dashboard page from the synced DuckDB file (opened read-only)."""
    from calendly_pipeline.dashboard import DashboardError, render_dashboard
    from calendly_pipeline.settings import (
        SettingsError,
        dashboard_path,
        duckdb_database,
        seats_purchased,
    )

    try:
        purchased = seats_purchased()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        database = database or duckdb_database()
        summary = render_dashboard(database, output or dashboard_path(database), purchased)
    except DashboardError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"wrote {summary.path} ({summary.size_bytes / 1e6:.1f} MB): {summary.seats_paid} seats"
        f" paid, {summary.seats_idle} idle, {summary.seats_pending} pending,"
        f" {summary.reclaim_count} to reclaim or review"
    )


@app.command()
def sync(
    start: datetime = typer.Option(
        None,
        formats=["%Y-%m-%d"],
        metavar="YYYY-MM-DD",
        help="First day (UTC) of events to sync; default: CALENDLY_HISTORY_DAYS (365) before "
        "today.",
    ),
    end: datetime = typer.Option(
        None,
        formats=["%Y-%m-%d"],
        metavar="YYYY-MM-DD",
        help="Last day (UTC) to sync; default: today + forward window.",
    ),
    demo: bool = typer.Option(False, "--demo", help=DEMO_HELP),
) -> None:
    """Sync everything in one Dagster run: extract, load DuckDB, utilization, dashboard.

    Needs credentials (`check` says which); --demo syncs the embedded sandbox instead. The run
    is recorded in DAGSTER_HOME (default data/dagster_home) and shows in `calendly-pipeline ui`.
    Exits 2 on bad settings or dates (checked before the run), 1 when the run fails; either way
    the last line of stderr is the one-line cause.
    """
    env = with_fixed_mmap_threshold(os.environ)
    if env is not None:
        # The run happens in this process, and glibc reads the threshold only as a process
        # starts: this command starts again, the same way, with it set (same process id).
        argv = [sys.executable, "-m", "calendly_pipeline.cli", *sys.argv[1:]]
        os.execve(sys.executable, argv, env)
    from rich.console import Console

    from calendly_pipeline.connection_settings import validate_connection
    from calendly_pipeline.dagster_home import open_instance
    from calendly_pipeline.settings import (
        Settings,
        SettingsError,
        dashboard_path,
        duckdb_database,
        today_utc,
    )
    from calendly_pipeline.sync_terminal import sync_progress
    from calendly_pipeline.terminal import log_to_terminal, shown

    # soft_wrap: no line is ever broken; a log, grep or a tool reading the last line sees it whole.
    console = Console(stderr=True, soft_wrap=True)
    first, last = (start.date() if start else None), (end.date() if end else None)
    _choose_demo(demo)
    try:
        settings = Settings.from_env()
        validate_connection()
        from calendly_pipeline.defs.partitions import settings_partitions
        from calendly_pipeline.defs.sync_runner import (
            UNBUDGETED,
            partition_range,
            run_sync,
            sync_progressively,
        )

        progressive = first is None and last is None  # the whole history: value window first
        first = first or settings.history_start(today_utc())
        keys = partition_range(first, last, settings_partitions(settings))
    except (SettingsError, ValueError) as exc:  # SyncRangeError too: before any run or bar
        console.print(f"[red]error:[/red] {shown(exc)}")
        raise typer.Exit(2) from None
    log_to_terminal(console)
    with sync_progress(console) as progress:
        instance = open_instance()
        from calendly_pipeline.definitions import build_defs  # after open_instance: DAGSTER_HOME

        defs = build_defs(settings)  # the settings just checked, not read a second time
        if progressive:
            outcome = sync_progressively(
                first,
                date.fromisoformat(keys[1]),
                progress.step,
                on_warning=progress.warning,
                defs=defs,
                instance=instance,
                today=today_utc(),
            )
        else:
            outcome = run_sync(
                first,
                last,
                progress.step,
                on_warning=progress.warning,
                defs=defs,
                instance=instance,
                tags=UNBUDGETED,  # the user waits for the range asked for, every invitee of it
            )
        progress.finish(outcome.success)
    if not outcome.success:
        console.print(
            f"[red]sync failed:[/red] {shown(outcome.error or '')} (run {outcome.run_id}: "
            "its logs in `calendly-pipeline ui` hold the stack trace)"
        )
        raise typer.Exit(1)
    console.print(
        f"synced partitions {outcome.first_partition} .. {outcome.last_partition} "
        f"into {shown(duckdb_database())} (run {outcome.run_id})"
    )
    for table, rows in sorted(outcome.row_counts.items()):
        console.print(f"  {table:<40} {rows:>9,} rows")
    console.print(f"dashboard: {shown(dashboard_path(duckdb_database()))}")


@app.command()
def ui(
    port: int = typer.Option(3000, help="Port of the Dagster web UI."),
    demo: bool = typer.Option(False, "--demo", help=DEMO_HELP + " Runs launched here too."),
) -> None:
    """Start the Dagster UI (`dagster dev`) with DAGSTER_HOME under data/.

    Ctrl-C or SIGTERM stops it with its webserver, daemon and code server.
    """
    from calendly_pipeline.dagster_ui import run_dagster_dev

    _choose_demo(demo)

    raise typer.Exit(run_dagster_dev(port))


if __name__ == "__main__":
    app()

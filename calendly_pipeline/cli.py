"""The `calendly-pipeline` command line.

Each command imports its implementation lazily, so `calendly-pipeline sandbox` does not pay for
importing Dagster and `--help` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(
    help="Calendly API v2 -> DuckDB seat and feature utilization, orchestrated by Dagster.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.command()
def sandbox(
    port: int = typer.Option(8765, help="TCP port to listen on (0 picks a free one)."),
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    seed: int = typer.Option(42, help="Seed of the synthetic organization."),
    scale: str = typer.Option("default", help="tiny | default | large"),
    as_of: str = typer.Option(None, help="Simulated 'today' (YYYY-MM-DD); default: today UTC."),
    plan: str = typer.Option("enterprise", help="Organization plan (basic ... enterprise)."),
    rate_limit: int = typer.Option(500, help="Requests per token per minute; 0 switches it off."),
) -> None:
    """Serve the Calendly sandbox (a local simulator of Calendly API v2)."""
    from calendly_pipeline.sandbox.serve import serve_forever

    serve_forever(
        host=host, port=port, seed=seed, scale=scale, as_of=as_of, plan=plan, rate_limit=rate_limit
    )


@app.command()
def check() -> None:
    """Connect: who the token belongs to, what it can read, and the rate budget left.

    Uses CALENDLY_API_TOKEN or CALENDLY_CLIENT_ID/_SECRET/_REFRESH_TOKEN (the embedded sandbox when
    none is set). Exits 1 with a one-line cause when the connection is unusable, 2 on bad settings.
    """
    from calendly_pipeline.connection import run_check

    raise typer.Exit(run_check())


@app.command()
def dashboard(
    database: str = typer.Option(
        None, help="DuckDB file or md: URI; default $CALENDLY_DUCKDB_PATH or data/calendly.duckdb."
    ),
    output: Path = typer.Option(
        None, help="HTML file to write; default $CALENDLY_DASHBOARD_PATH or data/dashboard.html."
    ),
) -> None:
    """Render the offline dashboard page from the synced DuckDB file (opened read-only)."""
    from calendly_pipeline.dashboard import DashboardError, render_dashboard
    from calendly_pipeline.settings import dashboard_path, duckdb_database

    try:
        summary = render_dashboard(database or duckdb_database(), output or dashboard_path())
    except DashboardError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"wrote {summary.path} ({summary.size_bytes / 1e6:.1f} MB): {summary.seats_paid} seats"
        f" paid, {summary.seats_idle} idle, {summary.seats_pending} pending,"
        f" {summary.reclaim_count} to review"
    )


if __name__ == "__main__":
    app()

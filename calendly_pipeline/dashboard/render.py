"""Render `data/dashboard.html`: one self-contained file that opens offline from a mail or a share.

plotly.js is embedded once in the page head, the reclaim list's CSV is written here and travels
inside the page for the download button, and nothing is fetched at view time.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.io as pio
import plotly.offline
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from calendly_pipeline.client.errors import RECONNECT_COMMAND
from calendly_pipeline.dashboard import figures, metrics, verdicts
from calendly_pipeline.dashboard.data import DashboardData, load
from calendly_pipeline.safe_text import csv_cell

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
PLOTLY_CONFIG = {"displayModeBar": False, "responsive": True}
RECLAIM_COLUMNS = {
    "name": ("Name", "text"),
    "email": ("Email", "text"),
    "status": ("Status", "text"),
    "group": ("Group", "text"),
    "invited_on": ("Invited on", "text"),
    "last_active": ("Last activity", "text"),
    "activity_source": ("Source", "text"),
    "days_idle": ("Days idle", "number"),
    "monthly_cost": ("Cost / month", "number"),
    "recommendation": ("Action", "text"),
}


@dataclass(frozen=True)
class DashboardSummary:
    """The headline figures and where the page went, for asset metadata and the CLI."""

    path: Path
    size_bytes: int
    org_name: str
    synced_at: datetime | None
    is_synthetic: bool
    currency: str
    seats_paid: int
    seats_assigned: int
    seats_active: int
    seats_idle: int
    seats_pending: int
    idle_cost_month: float
    idle_cost_year: float
    reclaim_count: int
    charts: tuple[str, ...]
    reclaim_cost_month: float = 0.0
    seats_unassigned: int = 0


def _money_formatter(currency: str) -> Callable[..., str]:
    symbol = CURRENCY_SYMBOLS.get(currency.upper())

    def money(value: float, signed: bool = False) -> str:
        sign = ("+" if value > 0 else "−" if value < 0 else "") if signed else ""
        text = f"{abs(value) if signed else value:,.0f}"
        return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"

    return money


def _chart(name: str, title: str, fig: Any, min_width: int | None = None) -> dict[str, Any]:
    """`min_width` (px) keeps the chart's labels apart: a narrower screen scrolls the chart."""
    html = pio.to_html(
        fig, full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG, div_id=f"chart-{name}"
    )
    return {"name": name, "title": title, "html": html, "min_width": min_width}


def _section(
    name: str,
    no_data: str | None,
    title: str,
    figure: Callable[[], Any],
    min_width: Callable[[], int] | None = None,
) -> dict[str, Any]:
    """A titled chart, or `no_data` (the sentence shown instead) when there is nothing to plot."""
    if no_data:
        return {"empty": no_data}
    return _chart(name, title, figure(), min_width() if min_width else None)


def _charts(data: DashboardData, currency_symbol: str) -> dict[str, dict[str, Any]]:
    """Each section's titled chart, or the sentence shown instead when there is no data."""
    sections: dict[str, dict[str, Any]] = {}
    matrix = metrics.adoption_heatmap(data)
    if matrix is None:
        sections["adoption"] = {"empty": "No feature use recorded for any member yet."}
    else:
        title = (
            "Feature adoption by group (% of the group's members who adopted the feature)"
            if matrix.column_kind == "group"
            else "Feature adoption by member (100% = adopted; the organization has no groups)"
        )
        title += f", {matrix.note}" if matrix.note else ""
        sections["adoption"] = _chart(
            "adoption",
            title,
            figures.heatmap(matrix, "adopted"),
            figures.heatmap_min_width(matrix),
        )
    trend = metrics.adoption_trend(data)
    sections["trend"] = _section(
        "trend",
        "No monthly adoption figures yet." if trend is None else None,
        "Adoption per feature per month (% of active seats who used the feature)",
        lambda: figures.heatmap(trend, "of active seats"),
        lambda: figures.heatmap_min_width(trend),
    )
    weekly = metrics.weekly_outcomes(data)
    sections["meetings"] = _section(
        "meetings",
        "No meetings in the synced window." if weekly.empty else None,
        f"Meetings per week by outcome, last {len(weekly)} weeks (meetings; a meeting with two "
        "hosts counts once for each host)",
        lambda: figures.weekly_outcomes(weekly),
    )
    top = metrics.top_event_types(data)
    sections["event_types"] = _section(
        "event_types",
        "No event type has been booked yet." if top.empty else None,
        f"Top {len(top)} event types (bookings, with cancellation and no-show rates)",
        lambda: figures.top_event_types(top),
    )
    sections["groups"] = _section(
        "groups",
        None
        if metrics.has_groups(data.seats)
        else "The organization has no groups, so there is nothing to compare.",
        "Seats per group by status (seats; idle cost per month)",
        lambda: figures.group_comparison(metrics.group_comparison(data), currency_symbol),
    )
    history = data.seat_history.sort_values("month")
    sections["history"] = _section(
        "history",
        "No seat history yet." if history.empty else None,
        "Seats at each month end by status (seats)",
        lambda: figures.seat_history(history),
    )
    return sections


def _headline_context(
    head: metrics.Headline,
    info: dict[str, Any],
    money: Callable[..., str],
    reclaim: metrics.Reclaim,
) -> dict[str, Any]:
    """Cards and month-on-month changes, each tagged with `data-metric` for readers and tests."""
    values = asdict(head)
    idle = f"{info['idle_days']} days" if info.get("idle_days") else "idle window"
    grace = f"{info['grace_days']} days" if info.get("grace_days") else "grace period"

    def card(key: str, label: str, sub: str, display: str | None = None) -> dict[str, Any]:
        shown = display or f"{values[key]:,}"
        return {"key": key, "label": label, "value": values[key], "display": shown, "sub": sub}

    def change(key: str) -> str:
        return money(values[key], signed=True) if "cost" in key else f"{values[key]:+,}"

    changes = [
        (key, label, values[key], change(key))
        for key, label in (
            ("change_seats_assigned", "assigned"),
            ("change_seats_active", "active"),
            ("change_seats_idle", "idle"),
            ("change_seats_pending", "pending"),
            ("change_idle_cost_month", "idle cost / month"),
        )
        if values[key] is not None
    ]
    return {
        "seat_cards": [
            card("seats_paid", "Seats paid", "members + pending invitations"),
            card("seats_assigned", "Seats assigned", "members"),
            card("seats_active", "Active", f"activity in the last {idle}"),
            card("seats_new", "New", f"inactive, joined in the last {grace}"),
            card("seats_idle", "Idle", f"no activity for over {idle}"),
            card("seats_pending", "Pending", "invitations not accepted"),
        ],
        # One figure to act on, equal to the reclaim list's total (pending invitations included).
        "reclaim": {
            "key": "reclaim_cost_month",
            "value": reclaim.cost_month,
            "seats": reclaim.seats,
            "sentence": reclaim.sentence(money),
        },
        "changes": changes,
        "previous_month": head.previous_month.strftime("%d %b %Y") if head.previous_month else None,
    }


def reclaim_csv(rows: list[dict[str, Any]]) -> str:
    """The reclaim list as CSV for a spreadsheet. Members choose their own names, so every text
    cell is quoted and neutralized (`safe_text.csv_cell`) and numbers stay numbers."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)
    if rows:
        writer.writerow(rows[0])
    writer.writerows(
        [csv_cell(v) if isinstance(v, str) else v for v in row.values()] for row in rows
    )
    return out.getvalue()


def _when(value: Any) -> str:
    if value is None:
        return "unknown"
    return pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")


def _connection_card(data: DashboardData) -> dict[str, Any] | None:
    """Organization, who is connected and how, the last sync, and any Reconnect needed."""
    status = data.connection
    if status is None:
        return None
    since = status.get("reconnect_needed_since")
    return {
        "organization": status.get("organization") or data.sync_info.get("org_name") or "unknown",
        "connected_as": status.get("connected_as") or "unknown",
        "method": status.get("method") or "unknown",
        "connected_since": _when(status["connected_since"])
        if status.get("connected_since") is not None
        else None,
        # Our clock, as the header's "Synced" (the API clock can be far from it, as in the sandbox).
        "last_sync": _when(data.sync_info.get("ran_at") or data.sync_info.get("synced_at")),
        "reconnect_since": _when(since) if since is not None else None,
        "last_error": status.get("last_error") or "",
        "command": RECONNECT_COMMAND,
    }


def render_dashboard(
    database: str, output: Path, seats_purchased: int | None = None
) -> DashboardSummary:
    """Read `database` read-only and write the self-contained dashboard page to `output`.

    `seats_purchased` (the contract's seat count, which the API does not expose) adds the
    unassigned seats to the reclaim list and its figure.
    """
    data = load(database)
    info = data.sync_info
    currency = str(info.get("currency") or "USD")
    money = _money_formatter(currency)
    head = metrics.headline(data)
    unassigned = metrics.unassigned_seats(data.seats, seats_purchased)
    price = None if info.get("price_per_seat") is None else float(info["price_per_seat"])
    reclaim = metrics.reclaim_rows(data.seats, unassigned, price)
    total = metrics.reclaim_total(reclaim, unassigned)
    reclaim_records = reclaim.astype(object).where(reclaim.notna(), None).to_dict("records")
    sections = _charts(data, CURRENCY_SYMBOLS.get(currency.upper(), currency + " "))

    env = Environment(
        loader=PackageLoader("calendly_pipeline.dashboard", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    html = env.get_template("dashboard.html.j2").render(
        org_name=info.get("org_name") or "(unnamed organization)",
        plan=info.get("plan") or "unknown",
        # A loopback host:port means nothing to a reader; the sandbox is named for what it is.
        source="synthetic sandbox"
        if info.get("is_synthetic")
        else info.get("api_host") or "unknown",
        is_synthetic=bool(info.get("is_synthetic")),
        synced_at=_when(info.get("synced_at")),
        ran_at=_when(info.get("ran_at")) if info.get("ran_at") else "not recorded",
        as_of=_when(data.as_of),
        covered_window=verdicts.covered_window(data),
        invitees_complete=verdicts.invitees_complete(data),
        seats_unknown=verdicts.unknown_seats(data),
        seats_passive=verdicts.passive_only_seats(data),
        plan_verdict=verdicts.plan_sentence(data),
        rendered_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        idle_days=info.get("idle_days"),
        grace_days=info.get("grace_days"),
        price_per_seat=(
            None if info.get("price_per_seat") is None else money(float(info["price_per_seat"]))
        ),
        currency=currency,
        **_headline_context(head, info, money, total),
        reclaim_columns=RECLAIM_COLUMNS,
        reclaim_rows=reclaim_records,
        reclaim_csv=reclaim_csv(reclaim_records),
        money=money,
        paid_unused=metrics.paid_unused(data).to_dict("records"),
        latest_month=_month_name(metrics.last_complete_month(data)),
        running_month=_month_name(metrics.running_month(data)),
        seats_unassigned=unassigned,
        sections=sections,
        connection=_connection_card(data),
        plotly_js=plotly.offline.get_plotlyjs(),
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(output)  # readers of the shared file never see half a page
    return DashboardSummary(
        path=output,
        size_bytes=output.stat().st_size,
        org_name=info.get("org_name") or "",
        synced_at=pd.Timestamp(info["synced_at"]).to_pydatetime()
        if info.get("synced_at")
        else None,
        is_synthetic=bool(info.get("is_synthetic")),
        currency=currency,
        seats_paid=head.seats_paid,
        seats_assigned=head.seats_assigned,
        seats_active=head.seats_active,
        seats_idle=head.seats_idle,
        seats_pending=head.seats_pending,
        idle_cost_month=head.idle_cost_month,
        idle_cost_year=head.idle_cost_year,
        reclaim_count=total.seats,
        charts=tuple(s["name"] for s in sections.values() if "name" in s),
        reclaim_cost_month=total.cost_month,
        seats_unassigned=unassigned,
    )


def _month_name(month: pd.Timestamp | None) -> str:
    return month.strftime("%B %Y") if month is not None else "the latest complete month"

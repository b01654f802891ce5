"""Plotly figures for the page: units on the axes, values printed on the marks, colour-blind safe.

Readers open the file from a mail or a shared drive and often print it, so no figure relies on
hovering, and colours come from the Okabe-Ito palette (categories) and cividis (heatmaps).
plotly reads a subset of HTML in labels and text, so every name from the data goes through
`safe_text.plotly_text` here, at the one place it enters a figure.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from calendly_pipeline.dashboard.metrics import STATUS_ORDER, Matrix, unique_labels
from calendly_pipeline.safe_text import plotly_text

# Okabe & Ito (2008), distinguishable under the common colour-vision deficiencies.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#555555",
}
STATUS_COLOURS = {
    "active": OKABE_ITO["green"],
    "new": OKABE_ITO["sky"],
    "idle": OKABE_ITO["vermillion"],
    "unknown": OKABE_ITO["grey"],
    "pending": OKABE_ITO["orange"],
}
OUTCOME_COLOURS = {
    "completed": OKABE_ITO["blue"],
    "canceled": OKABE_ITO["vermillion"],
    "no-show": OKABE_ITO["purple"],
    "rescheduled": OKABE_ITO["orange"],
}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


def _layout(fig: go.Figure, height: int, **kwargs: object) -> go.Figure:
    """Shared look; titles live in the page's <figcaption>, which wraps on a phone."""
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        font={"family": FONT, "size": 12, "color": "#1a1a1a"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "x": 0,
            "title": None,
            "traceorder": "normal",
        },
        uniformtext={"minsize": 9, "mode": "hide"},
        **kwargs,
    )
    fig.update_xaxes(automargin=True, gridcolor="#e5e5e5", zerolinecolor="#bbbbbb")
    fig.update_yaxes(automargin=True, gridcolor="#e5e5e5", zerolinecolor="#bbbbbb")
    return fig


# Room for the feature names and the colour bar, then per column enough for a "100%" label.
HEATMAP_FRAME_PX = 320
HEATMAP_CELL_PX = 34
HEATMAP_MIN_PX = 560


def heatmap_min_width(matrix: Matrix) -> int:
    """The narrowest plot whose cell labels do not run into each other ('96%94%96%')."""
    columns = len(matrix.values.columns)
    return max(HEATMAP_MIN_PX, HEATMAP_FRAME_PX + HEATMAP_CELL_PX * columns)


def heatmap(matrix: Matrix, colorbar_title: str) -> go.Figure:
    """Rows = features; each cell prints its percentage so the colour is only a reading aid."""
    values = matrix.values
    fig = go.Figure(
        go.Heatmap(
            z=values.to_numpy(),
            x=[plotly_text(c) for c in values.columns],
            y=[plotly_text(r) for r in values.index],
            zmin=0,
            zmax=100,
            colorscale="Cividis",
            # Many columns leave no room for the % sign; the title and colour bar carry the unit.
            texttemplate="%{z:.0f}%" if len(values.columns) <= 16 else "%{z:.0f}",
            textfont={"size": 10 if len(values.columns) <= 24 else 9},
            xgap=1,
            ygap=1,
            colorbar={"title": {"text": colorbar_title}, "ticksuffix": "%", "thickness": 12},
            hovertemplate="%{y} · %{x}: %{z:.0f}%<extra></extra>",
        )
    )
    height = max(320, 90 + 22 * len(values.index))
    fig = _layout(fig, height)
    fig.update_yaxes(autorange="reversed", gridcolor=None)
    fig.update_xaxes(side="top", tickangle=-45 if len(values.columns) > 6 else 0, title=None)
    fig.update_layout(margin={"t": 30})
    return fig


def _stacked_columns(
    x: pd.Series, frame: pd.DataFrame, colours: dict[str, str], unit: str, height: int
) -> go.Figure:
    """Stacked columns: each segment carries its count and each column its total above it."""
    fig = go.Figure()
    for name, colour in colours.items():
        fig.add_bar(
            name=name,
            x=x,
            y=frame[name],
            marker_color=colour,
            text=frame[name].where(frame[name] > 0, None),
            textposition="inside",
            insidetextanchor="middle",
            textangle=0,
            hovertemplate=f"%{{x}}: %{{y}} {name}<extra></extra>",
        )
    totals = frame[list(colours)].sum(axis=1)
    fig.add_scatter(
        x=x,
        y=totals,
        mode="text",
        text=totals,
        textposition="top center",
        showlegend=False,
        hoverinfo="skip",
    )
    fig = _layout(fig, height)
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title=unit, range=[0, float(totals.max() or 1) * 1.15])
    fig.update_xaxes(type="category")
    return fig


def weekly_outcomes(weekly: pd.DataFrame) -> go.Figure:
    fig = _stacked_columns(weekly["label"], weekly, OUTCOME_COLOURS, "meetings", 420)
    fig.update_xaxes(title="week starting")
    return fig


def _pct(share: float | None) -> str:
    """A share as a whole percentage; NULL (nothing took place yet) reads 'n/a'."""
    return "n/a" if share is None or pd.isna(share) else f"{share:.0%}"


def top_event_types(usage: pd.DataFrame) -> go.Figure:
    """Bookings on the bars; the rates sit under each name so nothing is clipped on a phone."""
    titles = unique_labels(
        [
            (plotly_text(name) if isinstance(name, str) else "(unnamed)")
            + (f" ({plotly_text(owner)})" if isinstance(owner, str) and owner else "")
            for name, owner in zip(usage["name"], usage["owner_name"], strict=True)
        ]
    )
    rates = [
        f"{_pct(canceled)} canceled · {_pct(no_show)} no-show"
        for canceled, no_show in zip(usage["cancellation_rate"], usage["no_show_rate"], strict=True)
    ]
    names = [
        f"{t}<br><span style='font-size:11px'>{r}</span>"
        for t, r in zip(titles, rates, strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=usage["bookings"],
            y=names,
            orientation="h",
            marker_color=OKABE_ITO["blue"],
            text=usage["bookings"],
            textposition="auto",
            insidetextanchor="end",
            hovertemplate="%{x} bookings<extra></extra>",
        )
    )
    fig = _layout(fig, 50 + 46 * len(usage))
    fig.update_layout(margin={"t": 10})
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title="bookings")
    return fig


def group_comparison(groups: pd.DataFrame, currency: str) -> go.Figure:
    """Seats per group stacked by status; totals and idle cost sit under each group's name."""
    symbol = plotly_text(currency)
    names = [
        f"{plotly_text(group)}<br><span style='font-size:11px'>"
        f"{n} seats · idle {symbol}{cost:,.0f}/mo</span>"
        for group, n, cost in zip(
            groups["group"], groups["seats"], groups["idle_cost_month"], strict=True
        )
    ]
    fig = go.Figure()
    for status in STATUS_ORDER:
        fig.add_bar(
            name=status,
            y=names,
            x=groups[status],
            orientation="h",
            marker_color=STATUS_COLOURS[status],
            text=groups[status].where(groups[status] > 0, None),
            textposition="inside",
            insidetextanchor="middle",
            textangle=0,
            hovertemplate=f"%{{x}} {status} seats<extra></extra>",
        )
    fig = _layout(fig, 80 + 46 * len(groups))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title="seats")
    return fig


def seat_history(history: pd.DataFrame) -> go.Figure:
    """Month-end seats by status, to show whether idle seats grow or shrink."""
    months = pd.to_datetime(history["month"]).dt.strftime("%b %Y")
    colours = {status: STATUS_COLOURS[status] for status in STATUS_ORDER}
    return _stacked_columns(months, history, colours, "seats", 380)

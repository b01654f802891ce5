"""The dashboard as IT and finance read it, at 1280 and 390 px (issue 16).

One reclaim figure that equals the list it summarizes, every listed seat reachable on the page,
the running month labelled "to date" and never judged, no sideways page scroll on a phone, and
a CSV in the table's order with UUIDs and no "never" among dates.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from calendly_pipeline.dashboard import render_dashboard
from calendly_pipeline.dashboard.render import RECLAIM_COLUMNS
from calendly_pipeline_tests.reliability.support import cli, cli_env

pytestmark = pytest.mark.browser

PURCHASED = 20  # the built organization has 14 members and invitations: 6 seats unassigned


@pytest.fixture(scope="module")
def page_html(built_duckdb: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("finance") / "dashboard.html"
    render_dashboard(built_duckdb, out, seats_purchased=PURCHASED)
    return out


@pytest.fixture(scope="module", params=[1280, 390], ids=["laptop", "phone"])
def page(browser: Any, page_html: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    width = request.param
    loaded = browser.new_page(viewport={"width": width, "height": 844 if width < 500 else 900})
    loaded.goto(page_html.as_uri())
    loaded.wait_for_load_state("load")
    yield loaded
    loaded.close()


def test_no_sideways_page_scroll(page: Any) -> None:
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width


def test_headline_is_the_reclaim_lists_total(page: Any) -> None:
    headline = page.locator("[data-metric='reclaim_cost_month']")
    sentence = headline.inner_text()
    rows = page.locator("#reclaim-table tbody tr")
    costs = rows.locator("td[data-label='Cost / month']").evaluate_all(
        "cells => cells.map(c => Number(c.dataset.sort))"
    )
    total = round(sum(costs), 2)
    assert float(headline.get_attribute("data-value")) == pytest.approx(total)
    assert f"${total:,.0f}/month" in sentence and f"${12 * total:,.0f}/year" in sentence
    # Seats: every listed seat, pending invitations and the unassigned ones included.
    listed = page.locator("#reclaim-table tbody tr:not([data-seat-id='unassigned'])").count()
    assert sentence.startswith(f"Reclaim {listed + PURCHASED - 14} seats"), sentence
    assert page.locator("#reclaim-table tbody tr[data-seat-id='unassigned']").count() == 1


def test_every_reclaim_row_is_reachable(page: Any) -> None:
    rows = page.locator("#reclaim-table tbody tr")
    assert rows.count() >= 5
    width = page.evaluate("window.innerWidth")
    for i in range(rows.count()):
        row = rows.nth(i)
        row.scroll_into_view_if_needed()
        assert row.is_visible()
        box = row.bounding_box()
        assert box is not None and box["height"] > 0
        # Reached by scrolling the page, not a small box inside it.
        assert page.evaluate("el => el.closest('.table-wrap').scrollHeight", row.element_handle())
        name = row.locator("td[data-label='Name']").bounding_box()
        assert name is not None and name["x"] >= 0 and name["x"] < width
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("w => w.scrollHeight <= w.clientHeight + 1"), "the list scrolls inside"


def test_never_active_seats_come_first_and_pending_ones_show_when_invited(page: Any) -> None:
    rows = page.locator("#reclaim-table tbody tr")
    activity = rows.locator("td[data-label='Last activity']").all_inner_texts()
    status = rows.locator("td[data-label='Status']").all_inner_texts()
    invited = rows.locator("td[data-label='Invited on']").all_inner_texts()
    nevers = [a.split(":")[-1].strip() == "never" for a in activity]
    assert nevers == sorted(nevers, reverse=True), activity
    for state, when in zip(status, invited, strict=True):
        if "pending" in state:
            assert when.split(":")[-1].strip()[:2] == "20", when  # a date
    assert page.locator("[data-note='reclaim-vs-review']").is_visible()


def test_running_month_is_to_date_and_verdicts_use_the_last_complete_month(page: Any) -> None:
    trend = page.locator("[data-chart='trend']")
    assert "Jun 2026 (to date)" in trend.inner_html()
    callout = page.locator("[data-callout='paid-unused']").inner_text()
    assert "May 2026" in callout and "June 2026" not in callout
    assert page.locator("[data-field='source']").inner_text() == "synthetic sandbox"


LABELS = "e.textContent.endsWith('%') || e.classList.contains('bartext')"


def overlapping_labels(
    page: Any, chart: str, minimum: int = 3
) -> list[tuple[list[float], list[float]]]:
    """Pairs of value labels (heatmap cells, bar values: SVG text) that intersect in `chart`;
    at least `minimum` labels must be drawn (plotly hides bar values that do not fit)."""
    boxes = page.locator(f"[data-chart='{chart}'] .plot svg text").evaluate_all(
        f"""els => els.filter(e => {LABELS})
            .map(e => e.getBoundingClientRect()).filter(r => r.width > 0)
            .map(r => [r.left, r.top, r.right, r.bottom])"""
    )
    assert len(boxes) >= minimum, f"{chart}: no value labels found to measure"
    return [
        (a, b)
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if not (a[2] - 1 <= b[0] or b[2] - 1 <= a[0] or a[3] - 1 <= b[1] or b[3] - 1 <= a[1])
    ]


@pytest.mark.parametrize("chart", ["adoption", "trend", "meetings", "groups", "history"])
def test_chart_value_labels_do_not_overlap(page: Any, chart: str) -> None:
    assert overlapping_labels(page, chart) == []


def test_csv_follows_the_table(page_html: Path, browser: Any) -> None:
    loaded = browser.new_page()
    try:
        loaded.goto(page_html.as_uri())
        text = json.loads(loaded.locator("#reclaim-csv").text_content())
    finally:
        loaded.close()
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    assert header[: len(RECLAIM_COLUMNS)] == list(RECLAIM_COLUMNS)
    assert header[len(RECLAIM_COLUMNS) :] == ["never_active", "seat_id"]
    last_active = header.index("last_active")
    seat_id = header.index("seat_id")
    for row in rows[1:]:
        assert row[last_active] != "never"
        assert "/" not in row[seat_id] and not row[seat_id].startswith("http"), row[seat_id]


def test_seats_purchased_comes_from_the_environment(built_duckdb: str, tmp_path: Path) -> None:
    """`calendly-pipeline dashboard` reads CALENDLY_SEATS_PURCHASED; a bad value is one line."""
    out = tmp_path / "page.html"
    args = ("dashboard", "--database", built_duckdb, "--output", str(out))
    bad = cli(*args, env=cli_env(CALENDLY_SEATS_PURCHASED="lots"))
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        "error: CALENDLY_SEATS_PURCHASED='lots' is not a whole number"
    ]
    done = cli(*args, env=cli_env(CALENDLY_SEATS_PURCHASED=str(PURCHASED)))
    assert done.returncode == 0, done.stderr
    assert 'data-seat-id="unassigned"' in out.read_text(encoding="utf-8")

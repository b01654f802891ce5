"""Names members choose are shown as text, never obeyed (issue 13), checked in Debian's Chromium.

A group and an event type carry an HTML link, which plotly used to render as a clickable `<a>`
in the finance dashboard; idle members and invitations carry spreadsheet formulas, which the
reclaim list's CSV download used to write unchanged.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from calendly_pipeline.dashboard import render_dashboard
from calendly_pipeline_tests.dashboard.builder import build_dashboard_db, dashboard_frames

pytestmark = pytest.mark.browser

PHISH_URL = "https://phish.example/login"
PHISH = f'<a href="{PHISH_URL}">Verify your seat</a>'
OWNER = "<b>Finance</b> & co"
# OWASP's formula starters, one per reclaim row: idle members' names, invitations' e-mails.
FORMULAS = {
    "name": [f'=HYPERLINK("{PHISH_URL}","Verify your seat")', "+1+1", "-2+3"],
    "email": ["@SUM(1+1)", "\t=1+1"],
}


def hostile_frames() -> dict[str, pd.DataFrame]:
    frames = dashboard_frames()
    seats = frames["analytics.seat_utilization"].copy()
    seats["group_names"] = seats["group_names"].map(
        lambda groups: [PHISH if g == "Sales" else g for g in groups]
    )
    for column, values in FORMULAS.items():
        status = "idle" if column == "name" else "pending"
        rows = seats.index[(seats["status"] == status) & ~seats["excluded"]]
        seats.loc[rows[: len(values)], column] = values
    usage = frames["analytics.event_type_usage"].copy()
    usage.loc[0, ["name", "owner_name"]] = [PHISH, OWNER]
    frames["analytics.seat_utilization"] = seats
    frames["analytics.event_type_usage"] = usage
    return frames


@pytest.fixture(scope="module")
def page(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("hostile")
    database = build_dashboard_db(str(folder / "calendly.duckdb"), frames=hostile_frames())
    html = render_dashboard(database, folder / "dashboard.html").path
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    yield page
    page.close()
    assert errors == []


def test_no_link_from_a_name_and_the_name_is_shown_literally(page: Any) -> None:
    links = page.evaluate(
        """() => Array.from(document.querySelectorAll('*'))
            .filter(e => e.localName === 'a')
            .map(e => e.getAttribute('href') || e.getAttribute('xlink:href')
                      || e.getAttributeNS('http://www.w3.org/1999/xlink', 'href') || '')"""
    )
    assert [h for h in links if "phish.example" in h] == []
    shown = page.evaluate(
        """(needle) => Array.from(document.querySelectorAll('[data-chart] svg text'))
            .filter(t => t.textContent.includes(needle))
            .map(t => [t.closest('[data-chart]').dataset.chart,
                       t.getBoundingClientRect().width])""",
        PHISH,
    )
    charts = {chart for chart, width in shown if width > 0}
    # Group heatmap columns, the group comparison's rows and the top event types' rows.
    assert charts == {"adoption", "groups", "event_types"}, shown
    owners = page.locator("[data-chart='event_types'] svg text").all_text_contents()
    assert any(f"({OWNER})" in text for text in owners), owners


def test_csv_download_neutralizes_formulas(page: Any, tmp_path: Path) -> None:
    with page.expect_download() as download:
        page.locator("#download-csv").click()
    target = tmp_path / "reclaim.csv"
    download.value.save_as(target)
    raw = target.read_text(encoding="utf-8")
    with target.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))

    for column, values in FORMULAS.items():
        cells = {r[column] for r in rows}
        for value in values:
            assert "'" + value in cells, f"{value!r} must arrive as text in {column}"
            assert value not in cells
    # Every text cell is quoted, embedded quotes doubled: a comma cannot open a new cell.
    assert '"\'=HYPERLINK(""https://phish.example/login"",""Verify your seat"")"' in raw
    assert {r["group"] for r in rows} >= {PHISH}
    numbers = [r["monthly_cost"] for r in rows]
    assert all(float(n) >= 0 for n in numbers)

"""The generated page in Debian's Chromium: offline, no errors, charts drawn, figures right.

Every expected figure is queried from DuckDB here with its own SQL, independently of the renderer.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

from calendly_pipeline.dashboard import render_dashboard
from calendly_pipeline.settings import data_dir

pytestmark = pytest.mark.browser

LOCAL_SCHEMES = ("file:", "data:")


@dataclass
class LoadedPage:
    page: Any
    database: str
    html: Path
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def _open(browser: Any, database: str, html: Path, width: int, height: int) -> LoadedPage:
    page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
    loaded = LoadedPage(page, database, html)
    page.on("console", lambda m: m.type == "error" and loaded.console_errors.append(m.text))
    page.on("pageerror", lambda e: loaded.console_errors.append(str(e)))
    page.on("request", lambda r: loaded.requests.append(r.url))
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    return loaded


@pytest.fixture(scope="module")
def desktop(browser: Any, synced_duckdb: str, synced_dashboard: Path) -> Iterator[LoadedPage]:
    """The page the `dashboard` asset wrote at the end of a real default-scale sandbox sync."""
    loaded = _open(browser, synced_duckdb, synced_dashboard, 1280, 900)
    yield loaded
    loaded.page.close()


def _scalar(database: str, sql: str) -> Any:
    with duckdb.connect(database, read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def expected_headline(database: str) -> dict[str, float]:
    """The headline figures straight from the tables, as docs/architecture.md §5 defines them."""
    seats = "FROM analytics.seat_utilization WHERE status <> 'removed'"
    # One reclaim figure (issue 16): idle seats and pending invitations, service accounts out.
    reclaim = (
        "SELECT coalesce(sum(monthly_cost), 0) FROM analytics.seat_utilization "
        "WHERE status IN ('idle', 'pending') AND NOT coalesce(excluded, false)"
    )
    figures = {
        "seats_paid": f"SELECT count(*) {seats}",
        "seats_assigned": f"SELECT count(*) {seats} AND status IN ('active', 'idle', 'new')",
        "seats_active": f"SELECT count(*) {seats} AND status = 'active'",
        "seats_new": f"SELECT count(*) {seats} AND status = 'new'",
        "seats_idle": f"SELECT count(*) {seats} AND status = 'idle'",
        "seats_pending": f"SELECT count(*) {seats} AND status = 'pending'",
        "reclaim_cost_month": reclaim,
    }
    out = {k: float(_scalar(database, sql)) for k, sql in figures.items()}
    change = """
        SELECT {col} - lag({col}) OVER (ORDER BY month) FROM analytics.seat_history
        ORDER BY month DESC LIMIT 1"""
    if _scalar(database, "SELECT count(*) FROM analytics.seat_history") >= 2:
        for metric, col in (
            ("change_seats_assigned", "seats_assigned"),
            ("change_seats_active", "active"),
            ("change_seats_idle", "idle"),
            ("change_seats_pending", "pending"),
            ("change_idle_cost_month", "idle_monthly_cost"),
        ):
            out[metric] = float(_scalar(database, change.format(col=col)))
    return out


def reclaim_seat_ids(database: str) -> set[str]:
    with duckdb.connect(database, read_only=True) as con:
        rows = con.execute(
            "SELECT seat_id FROM analytics.seat_utilization WHERE status IN ('idle', 'pending') "
            "AND NOT coalesce(excluded, false)"
        ).fetchall()
    return {r[0].rstrip("/").rsplit("/", 1)[-1] for r in rows}  # the UUID, not the API URL


def _number(text: str) -> float:
    """'$1,200' -> 1200, '−$20' -> -20, '+3' -> 3: what a reader sees, as a number."""
    cleaned = text.replace("−", "-").replace(",", "").replace("$", "").replace("+", "")
    return float(cleaned.split()[0])


def test_no_console_errors_and_nothing_leaves_the_file(desktop: LoadedPage) -> None:
    assert desktop.console_errors == []
    assert desktop.requests, "the page itself should have been requested"
    outside = [u for u in desktop.requests if not u.startswith(LOCAL_SCHEMES)]
    assert outside == [], f"requests left the file: {outside[:5]}"


def test_every_chart_renders(desktop: LoadedPage) -> None:
    charts = desktop.page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-chart]')).map(f => {
            const svg = f.querySelector('svg.main-svg');
            const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
            return {name: f.dataset.chart, width: box.width, height: box.height,
                    caption: f.querySelector('figcaption').textContent.trim(),
                    marks: f.querySelectorAll('g.trace .point path, g.hm image').length,
                    values: f.querySelectorAll('text.bartext, .textpoint text, g.hm text').length};
        })"""
    )
    sections = desktop.page.locator("main section[data-section]").count()
    empties = desktop.page.locator("section[data-section] [data-empty]").count()
    assert len(charts) + empties == sections, "each section shows a chart or says why not"
    assert charts, "no chart on the page"
    for chart in charts:
        assert chart["width"] > 300 and chart["height"] > 150, chart
        assert chart["marks"] > 0, f"{chart['name']}: SVG has no marks"
        assert chart["values"] > 0, f"{chart['name']}: values must be printed, not hover-only"
        assert "(" in chart["caption"], f"{chart['name']}: title must name its unit"


def test_headline_figures_match_duckdb(desktop: LoadedPage) -> None:
    expected = expected_headline(desktop.database)
    shown = desktop.page.evaluate(
        """() => Object.fromEntries(Array.from(document.querySelectorAll('[data-metric]')).map(
            e => [e.dataset.metric, [e.dataset.value, (e.querySelector('.value, strong')
                                                          || e).textContent.trim()]]))"""
    )
    assert set(shown) == set(expected)
    for metric, value in expected.items():
        raw, text = shown[metric]
        assert float(raw) == pytest.approx(value, abs=0.005), metric
        if metric == "reclaim_cost_month":  # "Reclaim 37 seats: $740/month, $8,880/year"
            text = text.split(": ", 1)[1].split("/")[0]
        assert _number(text) == pytest.approx(value, abs=0.5), f"{metric}: page shows {text!r}"


def test_reclaim_list_is_exactly_the_idle_and_pending_seats(desktop: LoadedPage) -> None:
    rows = desktop.page.locator("#reclaim-table tbody tr[data-seat-id]")
    ids = [rows.nth(i).get_attribute("data-seat-id") for i in range(rows.count())]
    assert len(ids) == len(set(ids))
    assert set(ids) == reclaim_seat_ids(desktop.database)


def test_paid_features_nobody_uses_are_called_out(desktop: LoadedPage) -> None:
    with duckdb.connect(desktop.database, read_only=True) as con:
        expected = {
            r[0]
            for r in con.execute(
                """SELECT feature_label FROM analytics.org_feature_adoption
                   WHERE paid_unused AND month = (
                       SELECT max(month) FROM analytics.org_feature_adoption
                       WHERE month < (SELECT date_trunc('month', max(as_of))
                                      FROM analytics.seat_utilization))"""
            ).fetchall()
        }
    shown = desktop.page.locator("[data-callout='paid-unused'] li .feature").all_inner_texts()
    assert set(shown) == expected and len(shown) == len(expected)


def _column(page: Any, key: str) -> list[str]:
    index = page.locator(f"#reclaim-table th[data-key='{key}']").evaluate("th => th.cellIndex")
    return page.locator(f"#reclaim-table tbody tr td:nth-child({index + 1})").evaluate_all(
        "cells => cells.map(c => c.dataset.sort)"
    )


def test_sorting_by_clicking_headers(desktop: LoadedPage) -> None:
    page = desktop.page
    header = page.locator("#reclaim-table th[data-key='days_idle']")
    header.click()
    days = [float(v) if v else float("-inf") for v in _column(page, "days_idle")]
    assert days == sorted(days) and header.get_attribute("aria-sort") == "ascending"
    header.click()
    days = [float(v) if v else float("-inf") for v in _column(page, "days_idle")]
    assert days == sorted(days, reverse=True) and header.get_attribute("aria-sort") == "descending"
    page.locator("#reclaim-table th[data-key='email']").click()
    emails = _column(page, "email")
    assert emails == sorted(emails, key=str.lower)


def test_csv_download_has_the_rows(desktop: LoadedPage, tmp_path: Path) -> None:
    with desktop.page.expect_download() as download:
        desktop.page.locator("#download-csv").click()
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    with target.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["seat_id"] for r in rows} == reclaim_seat_ids(desktop.database)
    assert {"name", "email", "group", "last_active", "days_idle", "monthly_cost"} <= set(rows[0])
    assert [u for u in desktop.requests if not u.startswith(LOCAL_SCHEMES)] == []


def test_screenshots_desktop_and_phone(desktop: LoadedPage, browser: Any) -> None:
    data_dir().mkdir(parents=True, exist_ok=True)
    desktop.page.screenshot(path=data_dir() / "dashboard.png", full_page=True)
    phone = _open(browser, desktop.database, desktop.html, 390, 844)
    try:
        overflow = phone.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, "the page must not scroll sideways on a phone"
        assert phone.console_errors == []
        phone.page.screenshot(path=data_dir() / "dashboard-phone.png", full_page=True)
    finally:
        phone.page.close()
    assert (data_dir() / "dashboard.png").stat().st_size > 10_000


def test_empty_organization_in_the_browser(browser: Any, empty_duckdb: str, tmp_path: Path) -> None:
    html = render_dashboard(empty_duckdb, tmp_path / "dashboard.html").path
    loaded = _open(browser, empty_duckdb, html, 1280, 900)
    try:
        assert loaded.console_errors == []
        assert loaded.page.locator("[data-empty='reclaim']").is_visible()
        assert loaded.page.locator("#download-csv").count() == 0
        assert loaded.page.locator("[data-synthetic]").is_visible()
    finally:
        loaded.page.close()


def test_phone_value_labels_do_not_overlap(desktop: LoadedPage, browser: Any) -> None:
    """The default organization at 390 px: heatmap cells and bar values stay legible (issue 16:
    '96%94%96%' where labels ran into each other)."""
    from calendly_pipeline_tests.dashboard.test_finance_reader import overlapping_labels

    phone = _open(browser, desktop.database, desktop.html, 390, 844)
    try:
        for chart in ("adoption", "trend"):
            assert overlapping_labels(phone.page, chart) == [], chart
        for chart in ("meetings", "groups", "history"):  # values that do not fit are hidden
            assert overlapping_labels(phone.page, chart, minimum=0) == [], chart
    finally:
        phone.page.close()

"""Fixtures for the dashboard tests: a built analytics database and one headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from calendly_pipeline_tests.dashboard.builder import Shape, build_dashboard_db

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def built_duckdb(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small organization with groups, idle seats, invitations and meetings."""
    return build_dashboard_db(str(tmp_path_factory.mktemp("dashboard") / "calendly.duckdb"))


@pytest.fixture(scope="module")
def empty_duckdb(tmp_path_factory: pytest.TempPathFactory) -> str:
    """No groups, no idle or pending seat, no meetings: every empty state at once."""
    path = tmp_path_factory.mktemp("dashboard-empty") / "calendly.duckdb"
    return build_dashboard_db(str(path), Shape(groups=False, idle=False, events=False))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, with every background fetch switched off."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's chromium package to run browser tests"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()

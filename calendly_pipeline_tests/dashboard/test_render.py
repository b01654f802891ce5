"""The renderer without a browser: read-only access, empty states, clear errors, the CLI."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from calendly_pipeline.cli import app
from calendly_pipeline.dashboard import DashboardError, render_dashboard
from calendly_pipeline.dashboard.metrics import unique_labels


def _digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_page_is_self_contained_and_database_untouched(built_duckdb: str, tmp_path: Path) -> None:
    before = _digest(built_duckdb)
    summary = render_dashboard(built_duckdb, tmp_path / "dashboard.html")
    html = summary.path.read_text(encoding="utf-8")

    assert _digest(built_duckdb) == before, "rendering must not write to the DuckDB file"
    with duckdb.connect(built_duckdb) as con:  # a writer can open it: the renderer let go
        con.execute("SELECT 1").fetchone()
    assert summary.size_bytes == summary.path.stat().st_size > 1_000_000  # plotly.js is inline
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=[\"']?(https?:)?//", html)
    assert set(summary.charts) == {
        "adoption",
        "trend",
        "meetings",
        "event_types",
        "groups",
        "history",
    }
    assert "SYNTHETIC DATA" in html


def test_empty_organization_renders_messages(empty_duckdb: str, tmp_path: Path) -> None:
    summary = render_dashboard(empty_duckdb, tmp_path / "dashboard.html")
    html = summary.path.read_text(encoding="utf-8")

    assert summary.reclaim_count == 0
    for section in ("reclaim", "meetings", "event_types", "groups"):
        assert f'data-empty="{section}"' in html, section
    assert "Feature adoption by member" in html  # no groups: members instead
    assert set(summary.charts) == {"adoption", "trend", "history"}


def test_missing_file_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.duckdb"
    with pytest.raises(DashboardError, match=re.escape(str(missing))):
        render_dashboard(str(missing), tmp_path / "dashboard.html")


def test_unsynced_database_names_the_missing_table(tmp_path: Path) -> None:
    database = str(tmp_path / "blank.duckdb")
    duckdb.connect(database).close()
    with pytest.raises(DashboardError, match=r"analytics\.seat_utilization"):
        render_dashboard(database, tmp_path / "dashboard.html")
    assert not (tmp_path / "dashboard.html").exists()


def test_cli_uses_the_environment(
    built_duckdb: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "out" / "dashboard.html"
    monkeypatch.setenv("CALENDLY_DUCKDB_PATH", built_duckdb)
    monkeypatch.setenv("CALENDLY_DASHBOARD_PATH", str(output))
    result = CliRunner().invoke(app, ["dashboard"])
    assert result.exit_code == 0, result.output
    assert output.is_file() and str(output) in result.output

    monkeypatch.setenv("CALENDLY_DUCKDB_PATH", str(tmp_path / "missing.duckdb"))
    result = CliRunner().invoke(app, ["dashboard"])
    assert result.exit_code == 1
    assert "missing.duckdb" in result.output


def test_repeated_labels_stay_apart() -> None:
    """Two members or event types with one name must not merge into one plotly category."""
    assert unique_labels(["Ana", "Bo", "Ana", "Ana"]) == ["Ana", "Bo", "Ana (2)", "Ana (3)"]


def test_database_locked_by_a_writer_gets_a_clear_error(built_duckdb: str, tmp_path: Path) -> None:
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True);"
            " time.sleep(60)",
            built_duckdb,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "ready"
        with pytest.raises(DashboardError, match="a sync is writing"):
            render_dashboard(built_duckdb, tmp_path / "dashboard.html")
    finally:
        writer.kill()
        writer.wait()

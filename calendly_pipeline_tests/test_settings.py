"""One settings object (issue 15 item 2): read when Dagster loads the definitions, each value
checked with one line naming the variable, one source for each window, and partitions whose start
never moves under existing materializations."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from calendly_pipeline.definitions import defs
from calendly_pipeline.defs.sync_settings import SyncSettings
from calendly_pipeline.settings import PARTITIONS_START, Settings, SettingsError
from calendly_pipeline_tests.conftest import REPO_ROOT
from calendly_pipeline_tests.pipeline.harness import pipeline
from calendly_pipeline_tests.reliability.support import SHORT

DAGSTER = REPO_ROOT / ".venv" / "bin" / "dagster"


@pytest.fixture
def default_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """No window variable set (conftest pins CALENDLY_START_DATE for the pipeline tests)."""
    for name in ("START_DATE", "HISTORY_DAYS", "TRAILING_DAYS", "FORWARD_DAYS"):
        monkeypatch.delenv(f"CALENDLY_{name}", raising=False)


def _partitions() -> dg.TimeWindowPartitionsDefinition:
    partitions = defs().resolve_job_def("daily_sync").partitions_def
    assert isinstance(partitions, dg.TimeWindowPartitionsDefinition)
    return partitions


@pytest.mark.usefixtures("default_window")
@pytest.mark.parametrize("today", [date(2026, 12, 31), date(2027, 1, 1), date(2031, 6, 1)])
def test_the_partitions_start_on_the_same_day_whatever_the_day(today: date) -> None:
    """It used to be 1 January of last year: every January the first partitions vanished from
    under their materializations. Only the end follows the clock (the forward days)."""
    partitions = _partitions()
    with dg.partition_loading_context(effective_dt=datetime(*today.timetuple()[:3], tzinfo=UTC)):
        keys = partitions.get_partition_keys()
    assert keys[0] == PARTITIONS_START.isoformat() == "2024-01-01"
    assert keys[-1] == (today + timedelta(days=30)).isoformat()


@pytest.mark.usefixtures("default_window")
def test_history_depth_is_apart_from_the_partitions() -> None:
    """A sync without --start reads `CALENDLY_HISTORY_DAYS` back, never before the partitions."""
    settings = Settings.from_env()
    assert settings.history_start(date(2026, 7, 1)) == date(2025, 7, 1)
    shallow = Settings(database="unused", partitions_start=date(2026, 6, 15))
    assert shallow.history_start(date(2026, 7, 1)) == date(2026, 6, 15)


def _after_a_first_sync(instance: dg.DagsterInstance) -> None:
    """A materialized event partition: the schedule's daily window, not a first sync's."""
    event = dg.AssetMaterialization(["raw", "scheduled_events"], partition="2026-06-30")
    instance.report_runless_asset_event(event)


@pytest.mark.usefixtures("default_window")
def test_the_schedule_reads_the_trailing_days_the_invitees_asset_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One source: the `sync_settings` resource, so a trailing window set in the environment
    or in the resource is the one the schedule's runs cover."""
    monkeypatch.setenv("CALENDLY_TRAILING_DAYS", "3")
    loaded = defs()
    resource = loaded.resources["sync_settings"]
    assert isinstance(resource, SyncSettings) and resource.trailing_days == 3
    repository = loaded.get_repository_def()
    schedule = repository.get_schedule_def("daily_sync_schedule")
    at = datetime(2026, 7, 1, 3, tzinfo=UTC)
    for trailing, first in ((3, "2026-06-28"), (10, "2026-06-21")):
        with (
            dg.instance_for_test() as instance,
            dg.build_schedule_context(
                instance=instance,
                scheduled_execution_time=at,
                repository_def=repository,
                resources={"sync_settings": SyncSettings(trailing_days=trailing)},
            ) as context,
        ):
            _after_a_first_sync(instance)
            (request,) = schedule.evaluate_tick(context).run_requests or []
        assert request.tags["dagster/asset_partition_range_start"] == first
        assert request.tags["dagster/asset_partition_range_end"] == "2026-07-31"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CALENDLY_FORWARD_DAYS", "soon", "CALENDLY_FORWARD_DAYS='soon' is not a whole number"),
        ("CALENDLY_HISTORY_DAYS", "0", "CALENDLY_HISTORY_DAYS=0 must be at least 1"),
        ("CALENDLY_INVITEE_PII", "yes", "CALENDLY_INVITEE_PII='yes' is not one of hash, keep"),
        ("CALENDLY_DUCKDB_MEMORY_MIB", "16", "CALENDLY_DUCKDB_MEMORY_MIB=16 must be at least 32"),
    ],
)
def test_a_bad_setting_fails_the_load_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=message):
        defs()


@pytest.mark.skipif(not DAGSTER.exists(), reason="the dagster CLI is not installed in this venv")
def test_dagster_names_the_bad_variable_when_it_loads_the_code_location(tmp_path: Path) -> None:
    """What `dagster dev` shows for the code location: the one line, not a step failure later."""
    done = subprocess.run(
        [str(DAGSTER), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "CALENDLY_TRAILING_DAYS": "a week",
            "DAGSTER_HOME": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    assert "CALENDLY_TRAILING_DAYS='a week' is not a whole number" in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("trailing_days", 0, "trailing_days=0 must be at least 1"),
        ("invitee_pii", "yes", "invitee_pii='yes' is not one of hash, keep, drop"),
    ],
)
def test_a_bad_launchpad_value_fails_the_run_before_any_step(
    tmp_path: Path, field: str, value: object, message: str
) -> None:
    """Run config edited in the Launchpad is checked as the run starts (resource setup), with the
    environment's bounds: one line naming the field, and no step ran, nothing was read."""
    with pipeline(tmp_path) as p:
        result = p.launch(*SHORT, {field: value})
        assert not result.success
        assert [e for e in result.all_events if e.is_step_start] == []
        error, causes = result.get_run_failure_event().job_failure_data.error, []
        while error is not None:
            causes.append(error.message.strip())
            error = error.cause
        assert f"calendly_pipeline.settings.SettingsError: {message}" in causes
        assert p.sandbox.stats()["requests"] == 0

"""The progressive first sync (issue 17): the value window and the dashboard first, then the older
history and the invitee backlog in later runs, ending with the tables of a one-shot full sync.

Real Dagster runs against the sandbox. The history is filled exactly as the `history_backfill`
sensor asks for it (`jobs.history_request`, one run at a time), and as `sync` does it
(`sync_progressively`)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from calendly_pipeline.defs import jobs
from calendly_pipeline.defs.sync_runner import run_sync, sync_progressively
from calendly_pipeline.sandbox import FaultConfig, SandboxConfig
from calendly_pipeline.sandbox.config import Scale
from calendly_pipeline.storage.analytics_tables import ANALYTICS_TABLES
from calendly_pipeline_tests.pipeline.harness import AS_OF, Pipeline, pipeline

# 240 days of history: the value window (90 days back, 30 ahead) holds less than half of it.
CONFIG = SandboxConfig(
    seed=11, as_of=AS_OF, scale=Scale(users=12, events=900, history_days=240),
    rate_limit_per_minute=0,
)  # fmt: skip
HISTORY_DAYS = 250
FIRST, LAST = AS_OF - timedelta(days=HISTORY_DAYS), AS_OF + timedelta(days=30)
BUDGET = {"CALENDLY_INVITEE_REQUESTS_PER_RUN": "120", "CALENDLY_HISTORY_DAYS": str(HISTORY_DAYS)}
RAW = [
    ("raw.organization_memberships", "uri"),
    ("raw.event_types", "uri"),
    ("raw.scheduled_events", "uri"),
    ("raw.event_hosts", "event_uri, user_uri"),
    ("raw.invitees", "uri"),
    ("raw.invitee_questions_and_answers", "invitee_uri, position"),
]
ANALYTICS = [(spec.qualified_name, ", ".join(spec.primary_key)) for spec in ANALYTICS_TABLES]


def tables(p: Pipeline) -> dict[str, list[str]]:
    """Every compared table without our own write stamps (`synced_at`), each row as text with
    the sandbox's address left out (each pipeline serves the same organization on its own port)."""
    out = {}
    for table, order in RAW + ANALYTICS:
        columns = {r[0] for r in p.query(f"DESCRIBE {table}")}
        stamp = " EXCLUDE (synced_at)" if "synced_at" in columns else ""
        rows = p.query(f"SELECT *{stamp} FROM {table} ORDER BY {order}")
        out[table] = [repr(row).replace(p.sandbox.base_url, "") for row in rows]
    return out


def definitions() -> Any:
    from calendly_pipeline.definitions import build_defs

    return build_defs()


def sensor_tick(p: Pipeline, defs: Any) -> Any:
    """One evaluation of the history_backfill sensor against the pipeline's instance."""
    context = dg.build_sensor_context(
        instance=p.instance,
        repository_def=defs.get_repository_def(),
        resources={"sync_settings": defs.resources["sync_settings"]},
    )
    return jobs.history_backfill.evaluate_tick(context)


@pytest.fixture(scope="module")
def one_shot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """The reference: one run over the whole history with no budget to speak of."""
    folder = tmp_path_factory.mktemp("one_shot")
    unlimited = {**BUDGET, "CALENDLY_INVITEE_REQUESTS_PER_RUN": "1000000"}
    with pipeline(folder, CONFIG, env=unlimited) as p:
        outcome = run_sync(FIRST, LAST, defs=definitions(), instance=p.instance)
        assert outcome.success, outcome.error
        assert jobs.invitee_backlog(p.instance) == 0
        return tables(p)


def test_first_sync_writes_the_dashboard_first_and_the_sensor_completes_the_history(
    tmp_path: Path, one_shot: dict[str, list[str]]
) -> None:
    with pipeline(tmp_path, CONFIG, env={**BUDGET, "CALENDLY_HTTP_ATTEMPTS": "1"}) as p:
        defs = definitions()
        partitions = defs.resolve_job_def("daily_sync").partitions_def
        settings = defs.resources["sync_settings"]
        assert jobs.first_sync(p.instance)
        assert "no first sync yet" in sensor_tick(p, defs).skip_message
        first, last = jobs.value_window(AS_OF, partitions, settings)
        assert (first, last) == ((AS_OF - timedelta(days=90)).isoformat(), LAST.isoformat())
        outcome = run_sync(
            date.fromisoformat(first), date.fromisoformat(last), defs=defs, instance=p.instance
        )
        assert outcome.success, outcome.error

        # The dashboard exists before the invitee history (or the older events) were read...
        served = p.sandbox.world.counts()
        assert p.query("SELECT min(start_time) >= ? FROM raw.scheduled_events", [first])[0][0]
        assert p.query("SELECT count(*) FROM meta.invitee_sync")[0][0] == 120
        backlog = jobs.invitee_backlog(p.instance)
        assert backlog == p.query("SELECT count(*) FROM raw.scheduled_events")[0][0] - 120 > 0
        html = (p.folder / "dashboard.html").read_text()
        assert 'data-field="invitees_complete"' in html and "complete back to" in html
        # ...and says how far back invitee-revealed feature use is known, row by row.
        partial = p.query(
            "SELECT count(*) FROM analytics.feature_adoption "
            "WHERE invitees_complete_after IS NOT NULL"
        )[0][0]
        assert partial > 0

        # The sensor asks for the newest missing month of partitions (by the machine's today).
        (request,) = sensor_tick(p, defs).run_requests
        first_key = request.tags["dagster/asset_partition_range_start"]
        last_key = request.tags["dagster/asset_partition_range_end"]
        assert last_key == partitions.get_last_partition_key()
        assert date.fromisoformat(last_key) - date.fromisoformat(first_key) == timedelta(days=30)

        # Later runs, as the sensor requests them; one is interrupted (every invitee listing
        # fails) and loses nothing: the next ones resume the backlog.
        keys = jobs.history_keys(AS_OF, partitions, settings)
        requested = []
        while (chunk := jobs.history_request(p.instance, keys)) is not None:
            assert len(requested) < 20, requested
            faults = FaultConfig(error_rate=1.0, paths=("/scheduled_events/{uuid}/invitees",))
            p.sandbox.set_faults(faults if len(requested) == 2 else FaultConfig())
            outcome = run_sync(
                *map(date.fromisoformat, chunk),
                defs=defs,
                instance=p.instance,
                job_name="history_sync",
            )
            assert outcome.success == (len(requested) != 2), outcome.error
            requested.append(chunk)
        # Newest chunk first, a month at most each; then the backlog runs on the first day.
        assert requested[0][1] < first and requested[0] > requested[1]
        assert requested[-1] == (keys[0], keys[0])
        assert jobs.invitee_backlog(p.instance) == 0
        assert p.query("SELECT count(*) FROM raw.invitees")[0][0] == served["invitees"]
        html = (p.folder / "dashboard.html").read_text()
        assert 'data-field="invitees_complete"' not in html
        assert tables(p) == one_shot


def test_cli_sync_runs_the_value_window_then_the_history(
    tmp_path: Path, one_shot: dict[str, list[str]]
) -> None:
    with pipeline(tmp_path, CONFIG, env=BUDGET) as p:
        outcome = sync_progressively(
            FIRST, LAST, defs=definitions(), instance=p.instance, today=AS_OF
        )
        assert outcome.success, outcome.error
        assert (outcome.first_partition, outcome.last_partition) == (
            FIRST.isoformat(),
            LAST.isoformat(),
        )
        # The value window within the budget, then the rest of the history with every invitee
        # (the user waits for all of it): nothing left for backlog runs.
        runs = list(reversed(p.instance.get_runs()))
        assert [r.job_name for r in runs] == ["daily_sync", "history_sync"]
        value_start = (AS_OF - timedelta(days=90)).isoformat()
        assert runs[0].tags["dagster/asset_partition_range_start"] == value_start
        assert jobs.invitee_backlog(p.instance) == 0
        assert (
            outcome.row_counts["raw/scheduled_events"]
            == p.sandbox.world.counts()["scheduled_events"]
        )
        assert tables(p) == one_shot

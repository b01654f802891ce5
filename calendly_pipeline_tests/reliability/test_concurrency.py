"""Two syncs at once, an analyst reading during a sync, the dashboard while a sync waits."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

from calendly_pipeline.dashboard import render_dashboard
from calendly_pipeline.definitions import build_defs
from calendly_pipeline.sandbox import FaultConfig
from calendly_pipeline_tests.pipeline.harness import pipeline
from calendly_pipeline_tests.reliability.support import (
    INVITEE_PAGES,
    SHORT,
    Reference,
    cli_command,
    cli_env,
    dagster_home,
    differences,
    rows,
    served,
    sync_args,
)


def _pool_step_intervals(home: Path) -> dict[str, list[tuple[float, float, str]]]:
    """Per run: (start, end, step) of every step that claims the DuckDB pool."""
    job = build_defs().resolve_job_def("daily_sync")
    pooled = {node.name for node in job.graph.nodes if node.definition.pool}
    out: dict[str, list[tuple[float, float, str]]] = {}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for run in instance.get_runs():
            starts: dict[str, float] = {}
            spans = []
            for entry in instance.all_logs(run.run_id):
                event = entry.dagster_event
                if event is None or event.step_key not in pooled:
                    continue
                if event.is_step_start:
                    starts[event.step_key] = entry.timestamp
                elif event.is_step_success or event.is_step_failure:
                    spans.append((starts[event.step_key], entry.timestamp, event.step_key))
            out[run.run_id] = spans
    return out


def test_two_syncs_serialize_and_the_dashboard_renders_while_one_waits(
    tmp_path: Path, reference: Reference
) -> None:
    with pipeline(tmp_path) as p:
        assert p.sync(*SHORT).success  # the analysts' database exists
        # Slow invitee pages keep each run's invitees step (and the pool slot) busy for seconds.
        p.sandbox.set_faults(FaultConfig(latency_ms=300, latency_rate=1.0, paths=(INVITEE_PAGES,)))
        home = dagster_home()
        env = cli_env(DAGSTER_HOME=str(home))
        runs = [
            subprocess.Popen(
                cli_command(*sync_args(*SHORT)),
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        start = served(p.sandbox, INVITEE_PAGES)
        while served(p.sandbox, INVITEE_PAGES) == start:
            assert all(r.poll() is None for r in runs), "a sync ended before loading invitees"
            time.sleep(0.05)
        # One run holds the pool in its invitees step; the other waits for the slot.
        summary = render_dashboard(str(p.database), tmp_path / "dashboard_now.html")
        assert summary.size_bytes > 0 and (tmp_path / "dashboard_now.html").exists()
        results = [r.communicate(timeout=300) for r in runs]
        failed = [err[-1500:] for r, (_, err) in zip(runs, results, strict=True) if r.returncode]
        assert not failed, failed
        assert differences(rows(p), reference(SHORT)) == {}

        spans = _pool_step_intervals(home)
        assert len(spans) == 2 and all(spans.values())
        first, second = spans.values()
        overlaps = [(a[2], b[2]) for a in first for b in second if a[0] < b[1] and b[0] < a[1]]
        assert overlaps == [], f"steps of the two runs held the DuckDB pool at once: {overlaps}"


# An analyst in a notebook: plain DuckDB, read-only, as often as it can, holding the file 20 ms.
ANALYST = """
import sys, time, duckdb
from pathlib import Path
path, stop = sys.argv[1], Path(sys.argv[2])
opened = refused = 0
while not stop.exists():
    try:
        conn = duckdb.connect(path, read_only=True)
    except duckdb.IOException as exc:
        assert "lock" in str(exc).lower(), exc  # a writer holds it: retry shortly
        refused += 1
        time.sleep(0.01)
        continue
    conn.execute("SELECT count(*) FROM raw.scheduled_events").fetchone()
    time.sleep(0.02)
    conn.close()
    opened += 1
    time.sleep(0.03)
print(opened, refused)
"""


def test_an_analyst_reading_in_a_loop_never_fails_the_sync(
    tmp_path: Path, reference: Reference
) -> None:
    with pipeline(tmp_path) as p:
        assert p.sync(*SHORT).success
        stop = tmp_path / "stop"
        analyst = subprocess.Popen(
            [sys.executable, "-c", ANALYST, str(p.database), str(stop)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            time.sleep(1.0)  # the analyst is connecting and disconnecting by now
            outcome = p.sync(*SHORT)
        finally:
            stop.touch()
            out, err = analyst.communicate(timeout=120)
        assert outcome.success, outcome.error
        assert analyst.returncode == 0, err
        opened, _ = map(int, out.split())
        assert opened > 10, out
        assert differences(rows(p), reference(SHORT)) == {}

"""The world changes under a paging client, and the process dies mid-load: the next run is right."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import requests

from calendly_pipeline.client import CalendlyClient, PersonalAccessToken
from calendly_pipeline.sandbox import FaultConfig
from calendly_pipeline_tests.pipeline.harness import AS_OF, Pipeline, environment, pipeline
from calendly_pipeline_tests.reliability.support import (
    EVENT_PAGES,
    INVITEE_PAGES,
    MONTH,
    Reference,
    cli,
    cli_command,
    cli_env,
    dagster_home,
    differences,
    rows,
    rows_of,
    served,
    sync_args,
    when,
)


def _june_events(p: Pipeline) -> list[dict]:
    """June's events as the API serves them now (any status), by start time."""
    with CalendlyClient(p.sandbox.base_url, PersonalAccessToken(p.sandbox.tokens["owner"])) as c:
        org = c.caller().organization_uri
        params = {
            "organization": org,
            "min_start_time": "2026-06-01T00:00:00Z",
            "max_start_time": "2026-07-01T00:00:00Z",
            "sort": "start_time:asc",
        }
        return list(c.paginate("/scheduled_events", params))


def test_events_booked_and_canceled_while_paging(tmp_path: Path) -> None:
    with pipeline(tmp_path / "live") as p:
        world = p.sandbox.world
        events = _june_events(p)
        assert len(events) > 100, "June must span two pages of /scheduled_events"
        june = [e["uri"] for e in events if e["status"] == "active"]
        booked: list[str] = []

        def change_the_world() -> None:
            # Early June sits behind the client's cursor by now; late June and July lie ahead.
            for start in ("2026-06-02T09:00:00Z", "2026-06-29T15:00:00Z", "2026-07-02T10:00:00Z"):
                booked.append(world.book_event(start_time=start))
            world.cancel_event(june[0], by="host", reason="moved")
            world.cancel_event(june[-1], by="invitee", reason="conflict")

        # Event pages are slowed so the changes land between two pages of the same run.
        p.sandbox.set_faults(FaultConfig(latency_ms=300, latency_rate=1.0, paths=(EVENT_PAGES,)))
        start = served(p.sandbox, EVENT_PAGES)
        with when(lambda: served(p.sandbox, EVENT_PAGES) >= start + 2, change_the_world) as fired:
            outcome = p.sync(*MONTH)
        assert fired, "the world did not change during the run"
        assert outcome.success, outcome.error
        p.sandbox.set_faults(FaultConfig())
        assert p.query("SELECT count(*) - count(DISTINCT uri) FROM raw.scheduled_events") == [(0,)]

        rerun = p.sync(*MONTH)  # the next run, as the schedule would launch it
        assert rerun.success, rerun.error
        statuses = dict(p.query("SELECT uri, status FROM raw.scheduled_events"))
        assert all(statuses.get(uri) == "active" for uri in booked), booked
        assert statuses[june[0]] == statuses[june[-1]] == "canceled"
        booked_invitees = p.query(
            "SELECT count(*) FROM raw.invitees WHERE list_contains(?, event_uri)", [booked]
        )
        assert booked_invitees == [(3,)]

        # A fresh sync of the changed world into an empty database is the truth.
        fresh = Pipeline(p.sandbox, tmp_path / "fresh", p.instance)
        fresh.folder.mkdir()
        with environment(CALENDLY_DUCKDB_PATH=str(fresh.database)):
            assert fresh.sync(*MONTH).success
        assert differences(rows(p), rows(fresh)) == {}


SANDBOX_ARGS = ["--seed", "7", "--scale", "tiny", "--as-of", AS_OF.isoformat(), "--rate-limit", "0"]


def _read_banner(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """The URL and demo token that `calendly-pipeline sandbox` prints when it is ready."""
    url = token = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if "listening on" in line:
            url = line.rsplit(" ", 1)[-1].strip()
        elif line.startswith("Demo owner token"):
            token = line.rsplit(" ", 1)[-1].strip()
        if url and token:
            return url, token
    raise AssertionError("the sandbox exited before printing its URL and token")


def _invitee_requests(url: str) -> int:
    return requests.get(f"{url}/_sandbox/stats", timeout=5).json()["by_path"].get(INVITEE_PAGES, 0)


def test_sigkill_mid_load_then_rerun_converges(tmp_path: Path, reference: Reference) -> None:
    command = cli_command("sandbox", "--port", "0", *SANDBOX_ARGS)
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=cli_env())
    try:
        url, token = _read_banner(server)
        database = tmp_path / "calendly.duckdb"
        env = cli_env(
            CALENDLY_API_BASE_URL=url,
            CALENDLY_API_TOKEN=token,
            CALENDLY_DUCKDB_PATH=str(database),
            CALENDLY_DASHBOARD_PATH=str(tmp_path / "dashboard.html"),
            CALENDLY_PII_SALT="test-salt",
            DAGSTER_HOME=str(dagster_home()),
        )
        sync = subprocess.Popen(
            cli_command(*sync_args(*MONTH)),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 240
        while _invitee_requests(url) == 0:
            assert sync.poll() is None, "the sync ended before its invitees step"
            assert time.monotonic() < deadline, "the sync never reached its invitees step"
            time.sleep(0.005)
        os.kill(sync.pid, signal.SIGKILL)
        assert sync.wait(timeout=30) == -signal.SIGKILL

        # Killed mid-load: the events are in, the invitees step never committed.
        with duckdb.connect(str(database), read_only=True) as conn:
            (events,) = conn.execute("SELECT count(*) FROM raw.scheduled_events").fetchone()
            (people,) = conn.execute("SELECT count(*) FROM raw.invitees").fetchone()
        assert events > 0 and people == 0, (events, people)

        rerun = cli(*sync_args(*MONTH), env=env, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
        assert differences(rows_of(database, url), reference(MONTH)) == {}
    finally:
        server.terminate()
        server.wait(timeout=30)

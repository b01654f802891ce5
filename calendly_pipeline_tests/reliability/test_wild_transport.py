"""A server that is not our well-behaved sandbox (issue 13), through real Dagster runs.

* A sync against a server that sends no `Date`, no `X-RateLimit-*` and no `Retry-After`, with
  a 1 s rate window it does not announce, completes with the right data.
* A server that echoes the request's `Authorization` header in its error messages never gets
  the token into the run's error, the Dagster event log or compute logs, or the terminal.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calendly_pipeline.sandbox import FaultConfig, SandboxConfig
from calendly_pipeline_tests.pipeline.harness import environment, pipeline
from calendly_pipeline_tests.reliability.support import (
    INVITEE_PAGES,
    SHORT,
    TABLES,
    assert_clean_failure,
    differences,
    oauth_env,
    rows,
    secrets_of,
)
from calendly_pipeline_tests.reliability.test_secrets import _dagster_text


def test_a_sync_without_date_rate_headers_or_retry_after_loads_the_same_data(
    tmp_path: Path,
) -> None:
    # The simulated day is today, so the local clock the client falls back to (no `Date`) is
    # close to the simulated one; the raw tables must equal a well-behaved server's, row for row.
    today = datetime.now(UTC).date()
    clean = SandboxConfig(seed=7, as_of=today, scale="tiny", rate_limit_per_minute=0)
    window = (today - timedelta(days=10), today + timedelta(days=4))
    with pipeline(tmp_path / "clean", clean) as p:
        assert p.sync(*window).success
        want = rows(p)
    # 500/min in 1 s windows: 9 requests per second, enforced with bare 429s.
    wild = replace(clean, rate_limit_per_minute=500, faults=FaultConfig.wild(seed=5))
    with pipeline(tmp_path / "wild", wild) as p:
        started = datetime.now(UTC)
        outcome = p.sync(*window)
        assert outcome.success, outcome.error
        got = rows(p)
        stats = p.sandbox.stats()
        (synced_at,) = p.query("SELECT synced_at FROM meta.sync_info")[0]
        snapshot_days = p.query("SELECT DISTINCT snapshot_date FROM raw.membership_snapshots")
        as_of = p.query("SELECT DISTINCT as_of FROM analytics.seat_utilization")
    assert stats["429"] > 0  # the budget was enforced without a header saying so
    raw = [t for t in TABLES if t.startswith("raw.")]
    assert differences({t: got[t] for t in raw}, {t: want[t] for t in raw}) == {}
    assert sum(len(want[t]) for t in raw) > 100
    # The sync's clock is the local one, recorded, never NULL.
    assert started - timedelta(seconds=5) <= synced_at <= datetime.now(UTC)
    assert snapshot_days == [(synced_at.date(),)]
    # The analytics built on the same seats, as of that clock.
    seats = "analytics.seat_utilization"
    assert [r[0] for r in got[seats]] == [r[0] for r in want[seats]]
    assert as_of == [(synced_at,)]


@pytest.mark.parametrize("auth", ["personal access token", "oauth"])
def test_a_server_that_echoes_the_token_never_leaks_it(
    tmp_path: Path,
    auth: str,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = FaultConfig(echo_token_in_errors=True, error_rate=1.0, paths=(INVITEE_PAGES,))
    with pipeline(tmp_path) as p:
        env = oauth_env(p, tmp_path) if auth == "oauth" else {}
        with environment(**env, CALENDLY_HTTP_ATTEMPTS="2"):
            p.sandbox.set_faults(echo)
            outcome = p.sync(*SHORT)
        secrets = secrets_of(p.sandbox)
        places = _dagster_text(p)
    assert not outcome.success
    assert_clean_failure(outcome.error, "raw__invitees", "server error", secrets=secrets)
    assert "Bearer <redacted>" in (outcome.error or "")  # it was echoed, and taken out
    out, err = capfd.readouterr()
    places |= {"error": outcome.error or "", "stdout": out, "stderr": err, "logs": caplog.text}
    leaks = sorted(place for place, text in places.items() for s in secrets if s in text)
    assert leaks == [], f"an echoed token leaked into: {leaks}"

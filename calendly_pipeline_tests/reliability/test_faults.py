"""Network and API faults during a real sync: it recovers with exactly the fault-free rows, or it
fails with a one-line cause and leaves the database as it was before the run."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from calendly_pipeline.sandbox import FaultConfig
from calendly_pipeline_tests.pipeline.harness import Pipeline, environment, pipeline
from calendly_pipeline_tests.reliability.support import (
    EVENT_PAGES,
    INVITEE_PAGES,
    MONTH,
    SHORT,
    Reference,
    assert_clean_failure,
    differences,
    oauth_env,
    rows,
    secrets_of,
    served,
    when,
)


def recovers(p: Pipeline, reference: Reference, faults: FaultConfig) -> dict:
    """Sync SHORT under `faults` into an empty database; it must equal the reference."""
    p.sandbox.set_faults(faults)
    outcome = p.sync(*SHORT)
    stats = p.sandbox.stats()
    p.sandbox.set_faults(FaultConfig())
    assert outcome.success, outcome.error
    assert differences(rows(p), reference(SHORT)) == {}
    return stats


def fails_cleanly(
    p: Pipeline,
    reference: Reference,
    faults: FaultConfig,
    *names: str,
    window: tuple[date, date] = SHORT,
) -> str:
    """A fault-free sync, then the same sync under `faults`: one-line error, nothing changed."""
    assert p.sync(*window).success
    before = rows(p)
    assert differences(before, reference(window)) == {}
    p.sandbox.set_faults(faults)
    outcome = p.sync(*window)
    p.sandbox.set_faults(FaultConfig())
    assert not outcome.success
    assert_clean_failure(outcome.error, *names, secrets=secrets_of(p.sandbox))
    assert differences(rows(p), before) == {}
    return outcome.error


def test_429_storm_is_waited_out(tmp_path: Path, reference: Reference) -> None:
    # Five 429s in a row on the first request: the most the client waits out per request.
    with pipeline(tmp_path) as p:
        stats = recovers(p, reference, FaultConfig(burst_429=5, retry_after_seconds=1))
    assert stats["429"] == 5


def test_429_storm_longer_than_the_client_waits_fails_cleanly(
    tmp_path: Path, reference: Reference
) -> None:
    # Invitee pages are read four at a time, so 24 429s give each request six: one too many.
    faults = FaultConfig(burst_429=24, retry_after_seconds=1, paths=(INVITEE_PAGES,))
    with pipeline(tmp_path) as p:
        fails_cleanly(p, reference, faults, "invitees", "rate limit exhausted")


def test_5xx_at_10_percent_recovers(tmp_path: Path, reference: Reference) -> None:
    with pipeline(tmp_path) as p:
        stats = recovers(p, reference, FaultConfig(error_rate=0.1, seed=10))
    assert stats["5xx"] > 0


def test_5xx_at_50_percent_on_event_pages_recovers(tmp_path: Path, reference: Reference) -> None:
    # Event pages are read one after another, so the seeded draws are the same every run.
    faults = FaultConfig(error_rate=0.5, seed=50, paths=(EVENT_PAGES,))
    with pipeline(tmp_path) as p:
        stats = recovers(p, reference, faults)
    assert stats["5xx"] > 0


def test_5xx_at_50_percent_everywhere_fails_cleanly(tmp_path: Path, reference: Reference) -> None:
    # Two tries per request (CALENDLY_HTTP_ATTEMPTS) keep this short; six only delay the end.
    with pipeline(tmp_path, env={"CALENDLY_HTTP_ATTEMPTS": "2"}) as p:
        fails_cleanly(p, reference, FaultConfig(error_rate=0.5, seed=51), "server error")


def test_latency_spikes_recover(tmp_path: Path, reference: Reference) -> None:
    with pipeline(tmp_path) as p:
        stats = recovers(p, reference, FaultConfig(latency_ms=400, latency_rate=0.2, seed=4))
    assert stats["delayed"] > 0


def test_read_timeouts_are_retried(tmp_path: Path, reference: Reference) -> None:
    faults = FaultConfig(
        latency_ms=1500, latency_rate=0.25, seed=5, paths=(EVENT_PAGES, INVITEE_PAGES)
    )
    with pipeline(tmp_path, env={"CALENDLY_HTTP_TIMEOUT": "0.5"}) as p:
        stats = recovers(p, reference, faults)
    assert stats["delayed"] > 0


def test_connections_dropped_mid_body_recover(tmp_path: Path, reference: Reference) -> None:
    with pipeline(tmp_path) as p:
        stats = recovers(p, reference, FaultConfig(drop_rate=0.1, seed=6))
    assert stats["dropped"] > 0


def test_malformed_json_page_recovers(tmp_path: Path, reference: Reference) -> None:
    with pipeline(tmp_path) as p:
        stats = recovers(p, reference, FaultConfig(malformed_rate=0.1, seed=8))
    assert stats["malformed"] > 0


def test_repeating_page_token_fails_cleanly(tmp_path: Path, reference: Reference) -> None:
    # Looping would never end and stopping early would load a partial table: the step refuses.
    # June's events span two pages; the second hands back the first's token.
    faults = FaultConfig(repeat_page_token=True, paths=(EVENT_PAGES,))
    with pipeline(tmp_path) as p:
        fails_cleanly(
            p, reference, faults, "scheduled_events", "repeated a page token", window=MONTH
        )


def test_token_revoked_mid_run_fails_cleanly(tmp_path: Path, reference: Reference) -> None:
    # Invitee pages are slowed so the revocation lands while the invitees step is loading.
    slow = FaultConfig(latency_ms=150, latency_rate=1.0, paths=(INVITEE_PAGES,))
    with pipeline(tmp_path) as p:
        assert p.sync(*SHORT).success
        before = rows(p)
        p.sandbox.set_faults(slow)
        start = served(p.sandbox, INVITEE_PAGES)
        token = p.sandbox.tokens["owner"]
        revoke = lambda: p.sandbox.world.revoke_token(token)  # noqa: E731
        with when(lambda: served(p.sandbox, INVITEE_PAGES) > start, revoke) as fired:
            outcome = p.sync(*SHORT)
        assert fired, "the token was not revoked during the run"
        assert not outcome.success
        assert_clean_failure(
            outcome.error, "invitees", "token invalid or revoked", secrets=secrets_of(p.sandbox)
        )
        assert differences(rows(p), before) == {}


def test_oauth_access_token_expiring_mid_run_is_refreshed(
    tmp_path: Path, reference: Reference
) -> None:
    slow = FaultConfig(latency_ms=150, latency_rate=1.0, paths=(INVITEE_PAGES,))
    with pipeline(tmp_path) as p, environment(**oauth_env(p, tmp_path)):
        p.sandbox.set_faults(slow)
        expire = p.sandbox.world.expire_access_tokens
        with when(lambda: served(p.sandbox, INVITEE_PAGES) > 0, expire) as fired:
            outcome = p.sync(*SHORT)
        assert fired == [1], "exactly one OAuth access token should have expired mid-run"
        assert outcome.success, outcome.error
        assert differences(rows(p), reference(SHORT)) == {}
        issued = [t for t in p.sandbox.world.tokens.values() if t.kind == "oauth"]
        assert len(issued) == 2  # the first access token, then one refresh

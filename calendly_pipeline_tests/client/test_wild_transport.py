"""Issue 13, "meet the world": the client against a server whose optional headers are missing,
malformed or lying, whose paging never ends or expires, and whose errors echo the token.

Every test runs over real HTTP against a sandbox with one of the wild `FaultConfig` knobs on.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from calendly_pipeline.cli import app
from calendly_pipeline.client import (
    PageTokenExpired,
    PaginationLoop,
    PermissionDenied,
    PersonalAccessToken,
    ServerError,
    UnusableResponse,
)
from calendly_pipeline.client.client import MAX_PAGES
from calendly_pipeline.client.probe import check_connection
from calendly_pipeline.client.ratelimit import MAX_WAIT_SECONDS, RatePacer
from calendly_pipeline.sandbox import FaultConfig, SandboxConfig, start_sandbox
from calendly_pipeline_tests.client.support import make_client

MEMBERS = "/organization_memberships"
# More pages than any honest listing here has: a client still paging after this never stops.
RUNAWAY = 40


def _members(client: Any, org: str, count: int = 5) -> Iterator[dict[str, Any]]:
    return client.paginate(MEMBERS, {"organization": org}, count=count)


def _org(sb: Any) -> str:
    """The organization's URI, without a request (the faults may be on its route)."""
    return sb.manifest()["organization"]["uri"]


# -- 1. the clock: `Date` may be missing ----------------------------------------------------------


def test_without_a_date_header_the_clock_is_the_local_one(faulty: Any) -> None:
    faulty.set_faults(FaultConfig(no_date_header=True))
    with make_client(faulty) as client:
        client.caller()
        now = client.server_now
        assert now is not None
        assert abs(now - datetime.now(UTC)) < timedelta(seconds=30)
        assert client.now().tzinfo is not None
        assert client.clock_source == "local"
        assert client.clock_skew is None


def test_with_a_date_header_the_clock_is_the_servers_and_the_skew_is_known(sandbox: Any) -> None:
    with make_client(sandbox) as client:
        client.caller()
        served = datetime.fromtimestamp(sandbox.world.now_us / 1e6, UTC).replace(microsecond=0)
        assert client.server_now == served
        assert client.clock_source == "server"
        skew = client.clock_skew
        assert skew is not None
        assert abs(skew - (served - datetime.now(UTC))) < timedelta(seconds=30)


def test_check_reports_the_clock_skew(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with make_client(sandbox) as client:
        report = check_connection(client)
    assert report.clock_source == "server" and report.clock_skew is not None
    assert report.to_metadata()["clock_skew_seconds"] == report.clock_skew.total_seconds()
    monkeypatch.setenv("CALENDLY_API_TOKEN", sandbox.tokens["owner"])
    monkeypatch.setenv("CALENDLY_API_BASE_URL", sandbox.base_url)
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    clock = next(line for line in result.output.splitlines() if "API clock" in line)
    # The sandbox serves its simulated clock (noon of its day), not the machine's.
    assert "local clock differs by" in clock, clock


def test_check_says_when_the_server_sends_no_date(faulty: Any) -> None:
    faulty.set_faults(FaultConfig(no_date_header=True))
    with make_client(faulty) as client:
        report = check_connection(client)
    assert report.ok
    assert report.clock_source == "local" and report.clock_skew is None
    assert "no usable Date header" in report.clock_note


# -- 1. pacing: the window is not always 60 s; rate headers may be missing ------------------------


def test_a_one_second_window_is_used_at_its_rate() -> None:
    # 600/min in 1 s windows: 10 requests per second. The pacer used to assume a 60 s window
    # and spaced requests 6 s apart.
    faults = FaultConfig(rate_window_seconds=1)
    config = SandboxConfig(scale="tiny", rate_limit_per_minute=600, faults=faults)
    with start_sandbox(config) as sb, make_client(sb) as client:
        me = client.get("/users/me")
        started = time.monotonic()
        sent = 0
        while time.monotonic() - started < 4:
            client.get(me["uri"])
            sent += 1
        assert client.rate_budget.limit == 10
        assert client.rate_budget.reset_seconds is not None
        assert client.rate_budget.reset_seconds <= 1
    assert sent >= 16, f"only {sent} requests in 4 s against a 10/s budget"


def test_without_rate_headers_nothing_stalls_and_a_bare_429_backs_off_briefly() -> None:
    # No X-RateLimit-*, no Retry-After: pace only on 429, then a short exponential backoff
    # (the client used to wait a whole assumed 60 s window per 429).
    faults = FaultConfig(no_rate_headers=True, no_retry_after=True)
    config = SandboxConfig(scale="tiny", rate_limit_per_minute=0, faults=faults)
    with start_sandbox(config) as sb, make_client(sb) as client:
        me = client.get("/users/me")
        started = time.monotonic()
        for _ in range(30):
            client.get(me["uri"])
        assert time.monotonic() - started < 10  # unpaced
        sb.set_faults(FaultConfig(no_rate_headers=True, no_retry_after=True, burst_429=2))
        started = time.monotonic()
        assert client.get(me["uri"])["uri"] == me["uri"]
        waited = time.monotonic() - started
        assert sb.stats()["429"] == 2
    assert 1 <= waited < 15, waited


def test_a_429_without_retry_after_waits_out_the_advertised_reset() -> None:
    faults = FaultConfig(no_retry_after=True, burst_429=1, retry_after_seconds=2)
    config = SandboxConfig(scale="tiny", rate_limit_per_minute=0, faults=faults)
    with start_sandbox(config) as sb, make_client(sb) as client:
        started = time.monotonic()
        client.get("/users/me")
        waited = time.monotonic() - started
    assert 2 <= waited < 8, waited


NO_HINT = 3.0  # the first backoff when a 429 says nothing usable: 1 s plus up to 1 s jitter


@pytest.mark.parametrize(
    ("headers", "least", "most"),
    [
        ({"X-RateLimit-Limit": "lots", "X-RateLimit-Reset": "soon"}, 0, NO_HINT),
        (
            {"X-RateLimit-Limit": "-1", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "nan"},
            0,
            NO_HINT,
        ),
        ({"Retry-After": "inf", "X-RateLimit-Reset": "-5"}, 0, NO_HINT),
        (
            {
                "X-RateLimit-Limit": "500",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": "1e300",
            },
            100,
            MAX_WAIT_SECONDS + 1,
        ),
        ({"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}, 100, MAX_WAIT_SECONDS + 1),
    ],
)
def test_malformed_or_huge_rate_headers_are_ignored_or_clamped(
    headers: dict[str, str], least: float, most: float
) -> None:
    # A 429 with header values as a broken proxy sends them: garbage is ignored (a short
    # backoff), an HTTP-date Retry-After is honoured, and no wait exceeds the clamp.
    pacer = RatePacer()
    pacer.acquire()
    pacer.release(headers, status=429)
    wait = pacer._blocked_until - time.monotonic()
    assert least <= wait <= most
    assert pacer.window_seconds <= MAX_WAIT_SECONDS


# -- 2. paging is bounded -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("knob", "message"),
    [
        ("endless_page_tokens", "empty page that still carries a next page token (page 2)"),
        ("empty_page_with_token", "empty page that still carries a next page token (page 2)"),
        ("stuck_page_tokens", "the server sent the same page again under a new token (page 2)"),
    ],
)
def test_paging_that_does_not_move_forward_stops_with_a_clear_error(
    faulty: Any, knob: str, message: str
) -> None:
    faulty.set_faults(FaultConfig(**{knob: True}, paths=(MEMBERS,)))  # type: ignore[arg-type]
    with make_client(faulty) as client:
        pages = client.pages(MEMBERS, {"organization": _org(faulty)}, count=5)
        with pytest.raises(PaginationLoop) as caught:
            # Bounded here so that a client that follows the tokens fails instead of hanging.
            list(itertools.islice(pages, RUNAWAY))
        assert client.request_count == 2
    assert message in str(caught.value)
    assert caught.value.path == MEMBERS and "\n" not in str(caught.value)


def test_paging_far_beyond_the_bound_stops(sandbox: Any) -> None:
    assert MAX_PAGES >= 10_000  # generous: the bound is for servers that never end
    with make_client(sandbox) as client:
        org = client.caller().organization_uri
        with pytest.raises(PaginationLoop) as caught:
            list(client.pages("/scheduled_events", {"organization": org}, count=20, max_pages=3))
    assert "still paging after 3 pages" in str(caught.value)


def test_paging_far_beyond_the_announced_total_stops(faulty: Any) -> None:
    # The activity log announces `total_count`. Honest, one record per page pages exactly that
    # often; announced as 1, the bound derived from it (2 x 1 + 2 pages) stops the listing.
    log, org = "/activity_log_entries", {"organization": _org(faulty)}
    with make_client(faulty) as client:
        total = client.request("GET", log, {**org, "count": 1})["total_count"]
        assert 4 < total == len(list(client.pages(log, org, count=1)))
        faulty.set_faults(FaultConfig(understated_total=True, paths=(log,)))
        with pytest.raises(PaginationLoop) as caught:
            list(client.pages(log, org, count=1))
    assert "still paging after 4 pages (at most 4 expected)" in str(caught.value)


def test_a_collection_that_is_not_a_list_is_an_unusable_response(faulty: Any) -> None:
    faulty.set_faults(FaultConfig(string_collection=True, paths=(MEMBERS,)))
    with make_client(faulty) as client, pytest.raises(UnusableResponse) as caught:
        list(_members(client, _org(faulty)))
    assert str(caught.value) == (
        "unusable response: `collection` is a str, not a list "
        "[GET /organization_memberships -> 200]"
    )


# -- 3. an expired page token restarts the listing once -------------------------------------------


def test_an_expired_page_token_restarts_the_listing_once(faulty: Any) -> None:
    with make_client(faulty) as client:
        org = client.caller().organization_uri
        clean = [m["uri"] for m in _members(client, org)]
        faulty.set_faults(FaultConfig(expire_page_tokens=1, paths=(MEMBERS,)))
        again = [m["uri"] for m in _members(client, org)]
    assert len(clean) > 10  # several pages of five
    assert again == clean  # every record once, none twice
    assert faulty.stats()["expired_tokens"] == 1


def test_a_second_expiry_fails_with_one_clear_line(faulty: Any) -> None:
    faulty.set_faults(FaultConfig(expire_page_tokens=2, paths=(MEMBERS,)))
    with make_client(faulty) as client:
        org = client.caller().organization_uri
        with pytest.raises(PageTokenExpired) as caught:
            list(_members(client, org))
    message = str(caught.value)
    assert "\n" not in message
    assert "refused a page token again after the listing was restarted" in message
    assert "page_token: has expired" in message


# -- 4. a server that echoes the token ------------------------------------------------------------


def test_an_echoed_token_never_reaches_an_error_or_a_log(
    faulty: Any, caplog: pytest.LogCaptureFixture
) -> None:
    token = faulty.tokens["owner"]
    faulty.set_faults(FaultConfig(echo_token_in_errors=True, error_rate=1.0, paths=(MEMBERS,)))
    caplog.set_level(logging.DEBUG)
    with make_client(faulty) as client, pytest.raises(ServerError) as caught:
        list(_members(client, _org(faulty)))
    text = f"{caught.value} {caught.value!r} {caught.value.message}"
    assert "<redacted>" in text  # the server did echo it, and it was taken out
    assert token not in text
    assert "retry" in caplog.text and token not in caplog.text


def test_an_echoed_token_in_a_403_is_redacted(faulty: Any) -> None:
    # A plain user asking for an event they do not host: 403 with the server's own message.
    faulty.set_faults(FaultConfig(echo_token_in_errors=True))
    with make_client(faulty) as owner:
        org = owner.caller().organization_uri
        user = next(m for m in faulty.manifest()["members"] if m["role"] == "user")
        events = owner.paginate("/scheduled_events", {"organization": org}, count=100)
        foreign = next(e for e in events if user["user_uri"] not in str(e["event_memberships"]))
    token = faulty.tokens["user"]
    client = make_client(faulty, PersonalAccessToken(token))
    with client, pytest.raises(PermissionDenied) as caught:
        client.get(foreign["uri"])
    assert "You are not allowed to view this event" in str(caught.value)
    assert token not in f"{caught.value} {caught.value!r}"
    assert "Bearer <redacted>" in str(caught.value)

"""The sandbox's wild transport knobs (issue 13), over real HTTP with plain `requests`: each one
does what docs/sandbox.md says, and only on the paths it is limited to."""

from __future__ import annotations

import itertools
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from calendly_pipeline.sandbox import FaultConfig, Sandbox, SandboxConfig, start_sandbox
from calendly_pipeline_tests.sandbox.support import auth, collect, get, ok, org_uri, pages

MEMBERS = "/organization_memberships"
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


pytestmark = pytest.mark.usefixtures("no_faults_after")


def test_header_knobs_drop_date_rate_headers_and_retry_after(faulty: Sandbox) -> None:
    plain = get(faulty, "/users/me")
    assert "Date" in plain.headers and all(h in plain.headers for h in RATE_HEADERS)
    faulty.set_faults(FaultConfig(no_date_header=True, no_rate_headers=True))
    bare = get(faulty, "/users/me")
    assert bare.status_code == 200
    assert "Date" not in bare.headers
    assert not any(h in bare.headers for h in RATE_HEADERS)
    # /_sandbox keeps its Date: the knobs are about the API.
    assert "Date" in get(faulty, "/_sandbox/stats").headers
    faulty.set_faults(FaultConfig(no_retry_after=True, burst_429=1))
    limited = get(faulty, "/users/me")
    assert limited.status_code == 429
    assert "Retry-After" not in limited.headers and "X-RateLimit-Reset" in limited.headers


def test_wild_preset_is_the_header_variances() -> None:
    preset = FaultConfig.wild(seed=3, burst_429=2)
    assert (preset.no_date_header, preset.no_rate_headers, preset.no_retry_after) == (
        True,
        True,
        True,
    )
    assert preset.rate_window_seconds == 1 and preset.burst_429 == 2 and preset.seed == 3
    assert FaultConfig().rate_window_seconds == 60


def test_rate_window_seconds_scales_the_budget_to_the_window() -> None:
    faults = FaultConfig(rate_window_seconds=1)
    config = SandboxConfig(scale="tiny", rate_limit_per_minute=600, faults=faults)
    with start_sandbox(config) as sb:
        answers = [get(sb, "/users/me") for _ in range(12)]
        assert answers[0].headers["X-RateLimit-Limit"] == "10"
        assert answers[0].headers["X-RateLimit-Reset"] == "1"
        assert 429 in [a.status_code for a in answers]  # 12 at once: over 10 in one second
        time.sleep(1.1)
        assert get(sb, "/users/me").status_code == 200  # the next window has a fresh budget


def test_expired_page_tokens_answer_400_naming_page_token(faulty: Sandbox) -> None:
    params = {"organization": org_uri(faulty), "count": 5}
    first = ok(faulty, MEMBERS, params)
    token = first["pagination"]["next_page_token"]
    faulty.set_faults(FaultConfig(expire_page_tokens=1, paths=(MEMBERS,)))
    expired = get(faulty, MEMBERS, {**params, "page_token": token})
    assert expired.status_code == 400
    assert expired.json()["details"][0]["parameter"] == "page_token"
    assert get(faulty, MEMBERS, {**params, "page_token": token}).status_code == 200  # once


def test_a_record_vanishes_between_pages_once(faulty: Sandbox) -> None:
    params = {"organization": org_uri(faulty), "count": 5}
    every = [m["uri"] for m in collect(faulty, MEMBERS, params)]
    faulty.set_faults(FaultConfig(vanish_between_pages=1, paths=(MEMBERS,)))
    skipped = [m["uri"] for m in collect(faulty, MEMBERS, params)]
    # The first record of page 2 is never served: what an offset-paged server does when a
    # record on page 1 is removed mid-listing.
    assert skipped == every[:5] + every[6:]
    assert [
        m["uri"] for m in collect(faulty, MEMBERS, params)
    ] == every  # the next listing is whole
    assert faulty.stats()["vanished"] == 1


def test_endless_tokens_serve_empty_pages_with_a_new_token_each_time(faulty: Sandbox) -> None:
    params = {"organization": org_uri(faulty), "count": 100}  # one page: the list would end
    faulty.set_faults(FaultConfig(endless_page_tokens=True, paths=(MEMBERS,)))
    served = list(itertools.islice(pages(faulty, MEMBERS, params, via="page_token"), 6))
    tokens = [p["pagination"]["next_page_token"] for p in served]
    assert served[0]["collection"] and not any(p["collection"] for p in served[1:])
    assert all(tokens) and len(set(tokens)) == 6


def test_empty_page_with_token_leads_on_to_the_real_next_page(faulty: Sandbox) -> None:
    params = {"organization": org_uri(faulty), "count": 5}
    every = collect(faulty, MEMBERS, params)
    faulty.set_faults(FaultConfig(empty_page_with_token=True, paths=(MEMBERS,)))
    for via in ("next_page", "page_token"):
        served = list(pages(faulty, MEMBERS, params, via=via))
        # Real, empty, real, empty, ..., real: an empty page with a token before each later one.
        assert [bool(p["collection"]) for p in served] == [i % 2 == 0 for i in range(len(served))]
        assert [m for p in served for m in p["collection"]] == every


def test_stuck_tokens_serve_the_first_page_again(faulty: Sandbox) -> None:
    params = {"organization": org_uri(faulty), "count": 5}
    faulty.set_faults(FaultConfig(stuck_page_tokens=True, paths=(MEMBERS,)))
    served = list(itertools.islice(pages(faulty, MEMBERS, params, via="page_token"), 3))
    assert served[0]["collection"] == served[1]["collection"] == served[2]["collection"]
    assert len({p["pagination"]["next_page_token"] for p in served}) == 3


def test_understated_total(faulty: Sandbox) -> None:
    params = {"organization": org_uri(faulty), "count": 1}
    assert ok(faulty, "/activity_log_entries", params)["total_count"] > 1
    faulty.set_faults(FaultConfig(understated_total=True, paths=("/activity_log_entries",)))
    first = ok(faulty, "/activity_log_entries", params)
    assert first["total_count"] == 1 and first["pagination"]["next_page_token"]


def test_string_collection(faulty: Sandbox) -> None:
    faulty.set_faults(FaultConfig(string_collection=True, paths=(MEMBERS,)))
    body = ok(faulty, MEMBERS, {"organization": org_uri(faulty)})
    assert isinstance(body["collection"], str) and body["collection"].startswith("[")


def test_ignore_sort(faulty: Sandbox) -> None:
    params = {"organization": org_uri(faulty), "sort": "created_at:desc"}
    newest = [f["created_at"] for f in ok(faulty, "/routing_forms", params)["collection"]]
    assert newest == sorted(newest, reverse=True) and len(set(newest)) > 1
    faulty.set_faults(FaultConfig(ignore_sort=True))
    served = [f["created_at"] for f in ok(faulty, "/routing_forms", params)["collection"]]
    assert served == sorted(newest)


def test_errors_echo_the_requests_token(faulty: Sandbox) -> None:
    token = faulty.tokens["owner"]
    faulty.set_faults(FaultConfig(echo_token_in_errors=True))
    missing = get(faulty, "/scheduled_events/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert f"Bearer {token}" in missing.json()["message"]
    faulty.set_faults(FaultConfig(echo_token_in_errors=True, error_rate=1.0))
    assert f"Bearer {token}" in get(faulty, "/users/me").json()["message"]
    faulty.set_faults(FaultConfig(echo_token_in_errors=True, burst_429=1))
    assert f"Bearer {token}" in get(faulty, "/users/me").json()["message"]


def test_cli_wild_flag_serves_the_preset() -> None:
    command = [sys.executable, "-m", "calendly_pipeline.cli", "sandbox", "--port", "0"]
    command += ["--scale", "tiny", "--wild"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        text = "".join(itertools.takewhile(lambda line: "Ctrl-C" not in line, proc.stdout))
        base = re.search(r"listening on (\S+)", text)
        token = re.search(r"token \(personal access token\): (\S+)", text)
        assert base and token, text
        me = requests.get(f"{base[1]}/users/me", headers=auth(token[1]), timeout=10)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert me.status_code == 200
    assert "Date" not in me.headers and "X-RateLimit-Limit" not in me.headers

"""Connect, Reconnect and Disconnect end to end: `calendly-pipeline connect --no-browser` as a
subprocess, Debian's Chromium signing in on the sandbox's login and consent pages, then real
`check` runs, Dagster syncs, the `connection_check` asset check and the dashboard."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import dagster as dg
import pytest

from calendly_pipeline.dashboard import render_dashboard
from calendly_pipeline.defs.checks import connection_check
from calendly_pipeline.sandbox import Sandbox, SandboxConfig, start_sandbox
from calendly_pipeline_tests.connect.support import (
    ConnectRun,
    cli,
    cli_env,
    connect_env,
    every_table,
    sign_in_and_decide,
)
from calendly_pipeline_tests.pipeline.harness import AS_OF, Pipeline, environment, pipeline
from calendly_pipeline_tests.reliability.support import assert_clean_failure, secrets_of

pytestmark = pytest.mark.browser


def _failure_line(output: str) -> str:
    """Exactly one line says what went wrong."""
    lines = [line for line in output.splitlines() if line.startswith("✗")]
    assert len(lines) == 1, output
    return lines[0]


def _connection_check(p: Pipeline) -> dg.AssetCheckEvaluation:
    """The `connection_check` asset check in a real run of its own."""
    from calendly_pipeline.definitions import build_defs

    only = dg.define_asset_job(
        "connection_only", selection=dg.AssetSelection.checks(connection_check)
    )
    defs = dg.Definitions.merge(build_defs(), dg.Definitions(jobs=[only]))
    result = defs.resolve_job_def("connection_only").execute_in_process(
        instance=p.instance, raise_on_error=False
    )
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def _connect(browser: Any, env: dict[str, str]) -> tuple[int, str, str]:
    run = ConnectRun.start(env)
    landed = sign_in_and_decide(browser, run.url)
    code, output = run.finish()
    return code, output, landed


def test_connect_sync_revoke_reconnect(browser: Any, tmp_path: Path) -> None:
    store = tmp_path / "oauth.json"
    with pipeline(tmp_path) as p, environment(**connect_env(p.sandbox, store)):
        env = cli_env({})
        code, output, landed = _connect(browser, env)
        assert code == 0, output
        assert "OAuth, connected as" in output and "scopes missing none" in output
        assert "✓ scheduled events" in output  # the same report as `check`
        assert stat.S_IMODE(store.stat().st_mode) == 0o600
        stored = json.loads(store.read_text())
        assert stored["connection"]["role"] == "owner"
        assert stored["connection"]["organization_name"] == p.sandbox.world.data.org_name
        leaked = [s for s in secrets_of(p.sandbox) if s in output]
        assert not leaked, "a token was printed"

        checked = cli(env, "check")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "via OAuth" in checked.stdout and "OAuth, connected as" in checked.stdout

        first, last = AS_OF - timedelta(days=3), AS_OF + timedelta(days=1)
        synced = p.sync(first, last)
        assert synced.success, synced.error
        raw_before = every_table(p.database, ("raw",))

        # The user disconnects the app in Calendly: the next run needs a Reconnect.
        assert p.sandbox.world.revoke_grant() > 0
        failed = p.sync(first, last)
        assert not failed.success
        assert_clean_failure(
            failed.error,
            "reconnect needed",
            "calendly-pipeline connect",
            secrets=secrets_of(p.sandbox),
        )
        evaluation = _connection_check(p)
        assert not evaluation.passed
        assert "reconnect needed" in evaluation.description
        assert "calendly-pipeline connect" in evaluation.description
        rechecked = cli(env, "check")
        assert rechecked.returncode == 1
        assert "reconnect needed since" in rechecked.stdout

        page_file = tmp_path / "dashboard.html"
        render_dashboard(str(p.database), page_file)
        page = browser.new_page()
        page.goto(page_file.as_uri())
        card = page.locator("[data-card=connection]")
        assert "Reconnect needed since" in card.inner_text()
        assert "calendly-pipeline connect" in card.inner_text()
        assert p.sandbox.world.data.org_name in card.inner_text()
        page.close()

        # Reconnect restores it, and nothing synced before was lost.
        code, output, _ = _connect(browser, env)
        assert code == 0, output
        resynced = p.sync(first, last)
        assert resynced.success, resynced.error
        assert every_table(p.database, ("raw",)) == raw_before
        assert _connection_check(p).passed
        render_dashboard(str(p.database), page_file)
        assert "Reconnect needed since" not in page_file.read_text()

        # A code works once: the first connect's code, replayed with a fresh state, is refused.
        replay = ConnectRun.start(cli_env({"CALENDLY_OAUTH_STORE": str(tmp_path / "o2.json")}))
        query = {k: v[0] for k, v in parse_qs(urlsplit(landed).query).items()}
        replay.paste(f"{landed.split('?')[0]}?{urlencode({**query, 'state': replay.state})}")
        code, output = replay.finish()
        assert code == 1
        assert "already used" in _failure_line(output)
        assert not (tmp_path / "o2.json").exists()

        # Disconnect revokes the grant and deletes the store.
        gone = cli(env, "disconnect")
        assert gone.returncode == 0, gone.stdout + gone.stderr
        assert not store.exists()
        after = cli(env, "check")
        assert after.returncode == 2 and "calendly-pipeline connect" in after.stdout


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    config = SandboxConfig(seed=11, as_of=AS_OF, scale="tiny", rate_limit_per_minute=0)
    with start_sandbox(config) as sb:
        yield sb


def test_denied_consent_stores_nothing(browser: Any, sandbox: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "oauth.json"
    run = ConnectRun.start(cli_env(connect_env(sandbox, store)))
    sign_in_and_decide(browser, run.url, "Deny")
    code, output = run.finish()
    assert code == 1
    assert "access denied" in _failure_line(output)
    assert not store.exists()


def test_forged_state_stores_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "oauth.json"
    run = ConnectRun.start(cli_env(connect_env(sandbox, store)))
    run.paste("http://127.0.0.1:9/callback?code=anything&state=forged-by-someone-else")
    code, output = run.finish()
    assert code == 1
    assert "state does not match" in _failure_line(output)
    assert not store.exists()


def test_pasted_redirect_connects_when_the_browser_cannot_reach_the_loopback(
    browser: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    """Over SSH the browser's machine has no listener on 127.0.0.1:<port>: the user copies the
    address the browser ended on into the terminal."""
    store = tmp_path / "oauth.json"
    run = ConnectRun.start(cli_env(connect_env(sandbox, store)))
    page = browser.new_page()
    sent_back: list[str] = []

    def unreachable(route: Any) -> None:
        """The consent answer's redirect goes nowhere: it is what the address bar would show."""
        answer = route.fetch(max_redirects=0)
        sent_back.append(answer.headers["location"])
        route.fulfill(status=502, body="This site can't be reached")

    page.route("**/oauth/consent", unreachable)
    page.goto(run.url)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_load_state()
    page.close()
    assert len(sent_back) == 1 and "code=" in sent_back[0], sent_back
    run.paste(sent_back[0])
    code, output = run.finish()
    assert code == 0, output
    assert json.loads(store.read_text())["connection"]["role"] == "owner"

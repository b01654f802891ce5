"""Server text reaches the terminal as text (issue 13): the real CLI in a subprocess.

Names are typed by members and messages come from whatever server answers, so Rich markup in
them must print literally (`[/]` used to crash `check` with a MarkupError traceback, `[link=]`
made a terminal hyperlink) and escape sequences must never reach the terminal (OSC 52 writes
the clipboard, OSC 0 retitles the window).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from calendly_pipeline.client import OAuthCredentials
from calendly_pipeline.sandbox import FaultConfig, SandboxConfig, start_sandbox
from calendly_pipeline.sandbox.serve import Sandbox
from calendly_pipeline_tests.pipeline.harness import AS_OF, pipeline
from calendly_pipeline_tests.reliability.support import (
    SHORT,
    cli,
    cli_env,
    dagster_home,
    error_line,
    sync_args,
)

CLIPBOARD = "\x1b]52;c;Y3VybCBwaGlzaC5leGFtcGxlIHwgc2g=\x07"
TITLE = "\x1b]0;title\x07"
ORG_NAME = f"Acme [/] Inc [link=http://x]click[/link] {CLIPBOARD}{TITLE}\x9b31m"
USER_NAME = f"[bold]Ann[/bold] [/]{TITLE}"
OAUTH_VARS = ("CALENDLY_CLIENT_ID", "CALENDLY_CLIENT_SECRET", "CALENDLY_REFRESH_TOKEN")


@pytest.fixture(scope="module")
def hostile_sandbox() -> Iterator[Sandbox]:
    """A tiny organization whose name and owner's name carry markup and escape sequences."""
    with start_sandbox(SandboxConfig(seed=7, as_of=AS_OF, scale="tiny")) as sb:
        owner = sb.manifest()["members"][0]
        assert owner["role"] == "owner"
        sb.world.rename(sb.world.org_uri(), ORG_NAME)
        sb.world.rename(owner["user_uri"], USER_NAME)
        yield sb


def _env(sb: Sandbox) -> dict[str, str]:
    return cli_env(
        CALENDLY_API_TOKEN=sb.tokens["owner"],
        CALENDLY_API_BASE_URL=sb.base_url,
        **dict.fromkeys(OAUTH_VARS),  # type: ignore[arg-type]
    )


def _no_control_bytes(text: str) -> None:
    controls = sorted({c for c in text if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F})
    assert controls == [], f"control characters reached the terminal: {controls}"


def test_check_prints_names_literally_without_escape_sequences(hostile_sandbox: Sandbox) -> None:
    done = cli("check", env=_env(hostile_sandbox), timeout=120)
    output = done.stdout + done.stderr

    assert done.returncode == 0, output
    assert "Traceback" not in output
    _no_control_bytes(output)
    assert "Acme [/] Inc [link=http://x]click[/link]" in done.stdout
    assert "[bold]Ann[/bold] [/]" in done.stdout


def test_check_over_a_stored_oauth_connection_shows_who_connected_literally(
    hostile_sandbox: Sandbox, tmp_path: Path
) -> None:
    """`connect` stores who connected as the server named them; `check` prints that line too."""
    sb = hostile_sandbox
    store = tmp_path / "oauth.json"
    who = {"user_name": USER_NAME, "user_email": "ann@example.com", "role": "owner"}
    # An access token already expired: `check` refreshes with the real refresh token first.
    OAuthCredentials(sb.oauth.client_id, sb.oauth.client_secret, None, store_path=store).save_grant(
        "expired",
        sb.oauth.refresh_token,
        0,
        who | {"organization_name": ORG_NAME, "connected_at": "2026-06-30T12:00:00+00:00"},
    )
    env = cli_env(
        CALENDLY_API_TOKEN=None,
        CALENDLY_REFRESH_TOKEN=None,
        CALENDLY_CLIENT_ID=sb.oauth.client_id,
        CALENDLY_CLIENT_SECRET=sb.oauth.client_secret,
        CALENDLY_OAUTH_STORE=str(store),
        CALENDLY_API_BASE_URL=sb.base_url,
    )
    done = cli("check", env=env, timeout=120)
    output = done.stdout + done.stderr

    assert done.returncode == 0, output
    _no_control_bytes(output)
    assert "connected as [bold]Ann[/bold] [/]" in done.stdout
    assert "of Acme [/] Inc [link=http://x]click[/link]" in done.stdout


def test_sync_output_has_no_markup_or_escape_sequences_from_the_server(tmp_path: Path) -> None:
    """A server whose 5xx message carries markup, escape sequences and a newline: the client's
    retry warnings and the failure line print it as one literal line each, nothing obeyed."""
    message = f"upstream [/] [link=http://x]down[/link] {CLIPBOARD}{TITLE}\nsecond line"
    faults = FaultConfig(error_rate=1.0, paths=("/groups",), error_message=message)
    config = SandboxConfig(
        seed=7, as_of=AS_OF, scale="tiny", rate_limit_per_minute=0, faults=faults
    )
    with pipeline(tmp_path, config):
        env = cli_env(DAGSTER_HOME=str(dagster_home()), CALENDLY_HTTP_ATTEMPTS="2")
        done = cli(*sync_args(*SHORT), env=env)
    output = done.stdout + done.stderr

    assert done.returncode == 1, output
    _no_control_bytes(output)
    literal = "upstream [/] [link=http://x]down[/link]"
    assert literal in error_line(done, "sync failed: groups:")
    retries = [line for line in done.stderr.splitlines() if line.startswith("retry 1 in")]
    assert retries and all(literal in line and "second line" in line for line in retries)

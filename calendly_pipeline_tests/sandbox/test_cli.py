"""`calendly-pipeline sandbox` serves in the foreground and says where, with which token."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import pytest
import requests

from calendly_pipeline.client.oauth_flow import Pkce, authorize_url
from calendly_pipeline.sandbox import Sandbox, SandboxConfig

REDIRECT = "http://127.0.0.1:5555/callback"


def test_cli_serves_and_prints_url_token_and_synthetic_note() -> None:
    command = [
        sys.executable,
        "-m",
        "calendly_pipeline.cli",
        "sandbox",
        "--port",
        "0",
        "--scale",
        "tiny",
        "--as-of",
        "2026-06-30",
        "--seed",
        "3",
    ]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                break
        text = "".join(lines)
        base = re.search(r"listening on (http://127\.0\.0\.1:\d+)", text).group(1)
        token = re.search(r"token \(personal access token\): (\S+)", text).group(1)
        assert "SYNTHETIC DATA" in text
        me = requests.get(
            f"{base}/users/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert me.status_code == 200
        assert me.json()["resource"]["uri"].startswith(base)
        assert me.headers["Date"] == "Tue, 30 Jun 2026 12:00:00 GMT"
        # The demo OAuth app for `calendly-pipeline connect`: its login page, and its secret.
        client_id = re.search(r"^OAuth client id: (\S+)$", text, re.M).group(1)
        secret = re.search(r"^OAuth client secret: (\S+)$", text, re.M).group(1)
        login = requests.get(authorize_url(base, client_id, REDIRECT, Pkce()), timeout=10)
        assert login.status_code == 200 and "Sign in" in login.text
        form = {"grant_type": "refresh_token", "refresh_token": "unknown"}
        refused = requests.post(
            f"{base}/oauth/token",
            data={**form, "client_id": client_id, "client_secret": secret},
            timeout=10,
        )
        assert refused.json()["error"] == "invalid_grant"  # not invalid_client: the secret works
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0


def test_cli_refuses_a_bad_date() -> None:
    command = [sys.executable, "-m", "calendly_pipeline.cli", "sandbox", "--as-of", "30/06/2026"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "--as-of must be a date like 2026-06-30" in done.stderr + done.stdout


def test_busy_port_is_a_clear_error(tiny_sandbox: Sandbox) -> None:
    port = int(tiny_sandbox.base_url.rsplit(":", 1)[1])
    with pytest.raises(RuntimeError, match=f"did not start on 127.0.0.1:{port}"):
        Sandbox(SandboxConfig(scale="tiny"), port=port).start()


def _ignore_stop_signals() -> None:
    """What a background job or some CI runners hand a child: SIGINT and SIGTERM ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_cli_stops_even_when_started_with_stop_signals_ignored(stop: signal.Signals) -> None:
    command = [sys.executable, "-m", "calendly_pipeline.cli", "sandbox", "--port", "0",
               "--scale", "tiny", "--as-of", "2026-06-30"]  # fmt: skip
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_ignore_stop_signals,
    )
    try:
        for line in proc.stdout:
            if "Ctrl-C" in line:
                break
        proc.send_signal(stop)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()

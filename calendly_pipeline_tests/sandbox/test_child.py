"""The demo's embedded sandbox runs in a child process that never outlives the sync."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from calendly_pipeline.sandbox.child import embedded_sandbox

PARENT = """
import sys, time
from calendly_pipeline.sandbox.child import embedded_sandbox
with embedded_sandbox(0) as (base_url, token):
    print(base_url, flush=True)
    time.sleep(600)
"""


def _answers(base_url: str) -> bool:
    try:
        requests.get(f"{base_url}/users/me", timeout=2)
    except requests.ConnectionError:
        return False
    return True


def test_it_serves_the_synthetic_organization_and_stops_with_the_block() -> None:
    with embedded_sandbox(0) as (base_url, token):
        me = requests.get(
            f"{base_url}/users/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert me.status_code == 200
        assert me.json()["resource"]["current_organization"].startswith(base_url)
    assert not _answers(base_url)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_killed_sync_does_not_leave_its_sandbox_running() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    try:
        base_url = parent.stdout.readline().strip() if parent.stdout else ""
        assert _answers(base_url)
        os.kill(parent.pid, signal.SIGKILL)  # no cleanup runs in the parent
        parent.wait()
        deadline = time.monotonic() + 20
        while _answers(base_url) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _answers(base_url)
    finally:
        parent.kill()

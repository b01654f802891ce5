"""`calendly-pipeline ui` as a service manager runs it (issue 16): from the venv's bin without an
activated venv, no deprecation noise on start, and SIGTERM stops every process it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from calendly_pipeline.sandbox import Sandbox
from calendly_pipeline_tests.pipeline.test_webserver import (
    DAGSTER,
    _free_port,
    wait_for_location,
    webserver_env,
)

__all__ = ["webserver_env"]  # fixture
SCRIPT = Path(sys.executable).with_name("calendly-pipeline")


def _processes_with(home: str) -> set[int]:
    """Live processes whose environment holds this DAGSTER_HOME: everything `ui` started."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if f"DAGSTER_HOME={home}".encode() in environ.split(b"\0") and state != "Z":
            found.add(int(entry.name))
    return found


def _ignore_stop_signals() -> None:
    """What a background job or some CI runners hand a child: stop signals ignored."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)


@pytest.mark.skipif(not DAGSTER.exists(), reason="the dagster CLI is not installed in this venv")
@pytest.mark.parametrize("ignored", [False, True], ids=["as-is", "signals-ignored"])
def test_ui_runs_without_a_venv_on_path_and_sigterm_stops_everything(
    webserver_env: dict[str, str], tiny_sandbox: Sandbox, tmp_path: Path, ignored: bool
) -> None:
    port = _free_port()
    env = {**webserver_env, "PATH": "/usr/bin:/bin"}  # no activated venv
    env.pop("VIRTUAL_ENV", None)
    log = tmp_path / "ui.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(SCRIPT), "ui", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_ignore_stop_signals if ignored else None,
        )
    url = f"http://127.0.0.1:{port}/graphql"
    home = env["DAGSTER_HOME"]
    try:
        wait_for_location(url, process, log)
        started = _processes_with(home) - {process.pid}
        assert len(started) >= 3, "expected dagster dev, its webserver and daemon"

        process.send_signal(signal.SIGTERM)  # the command only, as `kill` or systemd's stop does
        assert process.wait(timeout=60) is not None
        deadline = time.monotonic() + 30
        while _processes_with(home) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _processes_with(home) == set(), "processes outlived SIGTERM"
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=5)
        assert "Warning" not in log.read_text(), log.read_text()
    finally:
        for pid in _processes_with(home):
            os.kill(pid, signal.SIGKILL)

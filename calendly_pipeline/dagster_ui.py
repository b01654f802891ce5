"""`calendly-pipeline ui`: `dagster dev` on workspace.yaml, stopped as a whole.

`dagster dev` starts a webserver, a daemon and a code server. Signalled alone (SIGTERM from a
service manager or `kill`), the command used to die and leave all three serving; here they run
in their own process group and every stop signal reaches the whole group.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType

from calendly_pipeline.dagster_home import ensure_dagster_home
from calendly_pipeline.settings import PROJECT_ROOT

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
SUPERSEDED_DEV = "ignore:Function `dev_command` is superseded::"


def dagster_executable() -> str:
    """The `dagster` of this interpreter's environment: `.venv/bin/calendly-pipeline ui` works
    without an activated venv (the venv's bin is not on PATH then)."""
    beside = Path(sys.executable).with_name("dagster")
    if beside.exists():
        return str(beside)
    found = shutil.which("dagster")
    if found is None:
        raise FileNotFoundError("the dagster command is not installed beside this Python")
    return found


def _default_stop_signals() -> None:
    """In `dagster dev`, before it starts: the stop signals back to their defaults. A command
    started in the background (`nohup`, `cmd &`, some CI runners) inherits them ignored, and
    so would `dagster dev` and everything it starts: `stop` could then not stop them."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)


def run_dagster_dev(port: int) -> int:
    """Run `dagster dev` until it exits or a stop signal arrives; its exit code."""
    ensure_dagster_home()
    command = [dagster_executable(), "dev", "-w", str(PROJECT_ROOT / "workspace.yaml")]
    # `dagster dev` warns on every start that it is superseded by `dg dev`; that note is for
    # Dagster's developers, not someone opening the UI. Only that message is silenced.
    filters = [os.environ.get("PYTHONWARNINGS"), SUPERSEDED_DEV]
    env = {**os.environ, "PYTHONWARNINGS": ",".join(f for f in filters if f)}
    process = subprocess.Popen(
        [*command, "-p", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        start_new_session=True,
        preexec_fn=_default_stop_signals,
    )

    def stop(signum: int, _frame: FrameType | None) -> None:
        # The whole group: dagster dev, its webserver, daemon and code servers.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM if signum == signal.SIGHUP else signum)

    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)
    code = process.wait()
    # Whatever the group left behind (a code server whose parent already exited) stops too.
    stop(signal.SIGTERM, None)
    return code

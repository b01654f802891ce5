"""Shared pieces of the reliability suite: sync windows, normalized snapshots, secrets, the CLI.

Every scenario compares against a fault-free sync of the same synthetic organization (seed 7,
tiny, as of 2026-06-30). Sandboxes of the same seed serve the same data except for their base
URL, so snapshots replace it with a placeholder and compare across sandboxes.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from calendly_pipeline.sandbox import Sandbox
from calendly_pipeline_tests.pipeline.harness import AS_OF, Pipeline

# Ten days back and four ahead: a few dozen events, every org-level table, about 4 s per sync.
SHORT = (AS_OF - timedelta(days=10), AS_OF + timedelta(days=4))
# A whole month: June alone pages /scheduled_events twice (count=100).
MONTH = (date(2026, 6, 1), date(2026, 7, 4))
INVITEE_PAGES = "/scheduled_events/{uuid}/invitees"
EVENT_PAGES = "/scheduled_events"

# Table -> ORDER BY. Raw tables the sync writes, their children, and the seat table built on them.
TABLES = {
    "raw.organizations": "uri",
    "raw.users": "uri",
    "raw.organization_memberships": "uri",
    "raw.organization_invitations": "uri",
    "raw.groups": "uri",
    "raw.group_relationships": "uri",
    "raw.event_types": "uri",
    "raw.event_type_hosts": "event_type_uri, user_uri",
    "raw.scheduled_events": "uri",
    "raw.event_hosts": "event_uri, user_uri",
    "raw.invitees": "uri",
    "raw.invitee_questions_and_answers": "invitee_uri, position",
    "raw.routing_forms": "uri",
    "raw.routing_form_submissions": "uri",
    "raw.webhook_subscriptions": "uri",
    "raw.activity_log_entries": "uri",
    "analytics.seat_utilization": "seat_id",
}

Rows = dict[str, list[tuple[Any, ...]]]
Window = tuple[date, date]
Reference = Callable[[Window], Rows]  # the `reference` fixture: window -> fault-free rows


def _normal(value: Any, base: str) -> Any:
    if isinstance(value, str):
        return value.replace(base, "{base}")
    if isinstance(value, list):
        return [_normal(v, base) for v in value]
    return value


def rows_of(database: Path, base_url: str) -> Rows:
    """Every table in `TABLES` (raw ones without `synced_at`), the base URL normalized."""
    with duckdb.connect(str(database), read_only=True) as conn:
        out = {}
        for table, order in TABLES.items():
            columns = "* EXCLUDE (synced_at)" if table.startswith("raw.") else "*"
            found = conn.execute(f"SELECT {columns} FROM {table} ORDER BY {order}").fetchall()
            out[table] = [tuple(_normal(v, base_url) for v in row) for row in found]
        return out


def rows(p: Pipeline) -> Rows:
    return rows_of(p.database, p.sandbox.base_url)


def differences(got: Rows, want: Rows) -> dict[str, str]:
    """Per table: how many rows are missing, extra or changed (empty when equal)."""
    out = {}
    for table, expected in want.items():
        actual = got.get(table, [])
        if actual != expected:
            missing = len(set(map(repr, expected)) - set(map(repr, actual)))
            extra = len(set(map(repr, actual)) - set(map(repr, expected)))
            out[table] = f"{len(actual)} rows vs {len(expected)}: {missing} missing, {extra} extra"
    return out


def secrets_of(sandbox: Sandbox) -> set[str]:
    """Every secret the sandbox ever issued or accepts: PATs, OAuth access/refresh, app secret."""
    world = sandbox.world
    with world.lock:
        found = set(world.tokens) | set(world.refresh_tokens)
    return found | {sandbox.oauth.client_secret, sandbox.oauth.refresh_token}


def oauth_env(p: Pipeline, folder: Path) -> dict[str, str | None]:
    """Switch the pipeline from the owner's PAT to the sandbox's OAuth app."""
    return {
        "CALENDLY_API_TOKEN": None,
        "CALENDLY_CLIENT_ID": p.sandbox.oauth.client_id,
        "CALENDLY_CLIENT_SECRET": p.sandbox.oauth.client_secret,
        "CALENDLY_REFRESH_TOKEN": p.sandbox.oauth.refresh_token,
        "CALENDLY_OAUTH_STORE": str(folder / "oauth.json"),
    }


def assert_clean_failure(error: str | None, *names: str, secrets: set[str] = frozenset()) -> None:
    """A failure must be one line that names its cause and holds no secret."""
    assert error, "the run failed without saying why"
    assert "\n" not in error and "Traceback" not in error, error
    for name in names:
        assert name.lower() in error.lower(), f"{name!r} not in {error!r}"
    leaked = [s for s in secrets if s in error]
    assert not leaked, f"a secret leaked into the error: {error!r}"


@contextmanager
def when(condition: Callable[[], bool], action: Callable[[], Any]) -> Iterator[list[Any]]:
    """Run `action` once, from a watcher thread, as soon as `condition` holds (mid-run hooks)."""
    fired: list[Any] = []
    failed: list[BaseException] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if condition():
                try:
                    fired.append(action())
                except BaseException as exc:  # re-raised in the test's thread below
                    failed.append(exc)
                return
            time.sleep(0.005)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield fired
    finally:
        stop.set()
        thread.join()
    if failed:
        raise failed[0]


def served(sandbox: Sandbox, route: str) -> int:
    """Requests the sandbox received on a route template (e.g. `INVITEE_PAGES`)."""
    return sandbox.stats()["by_path"].get(route, 0)


# -- the command line ---------------------------------------------------------------------------


def scratch_dir(prefix: str) -> Path:
    """A fresh folder on tmpfs (SQLite commits are free there), removed at exit."""
    shm = Path("/dev/shm")
    folder = tempfile.mkdtemp(prefix=prefix, dir=shm if shm.is_dir() else None)
    atexit.register(shutil.rmtree, folder, True)
    return Path(folder)


def dagster_home() -> Path:
    """A fresh DAGSTER_HOME."""
    return scratch_dir("dagster_home_cli_")


def data_dir() -> Path:
    """A fresh CALENDLY_DATA_DIR: the warehouse, dashboard and salt of one CLI test. A warehouse
    shared between tests would hold another sandbox's organization or URIs."""
    return scratch_dir("calendly_data_cli_")


def cli_env(**overrides: str | None) -> dict[str, str]:
    """The current environment (the harness's CALENDLY_* variables) plus `overrides`."""
    env = dict(os.environ)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def cli_command(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("calendly-pipeline")
    launcher = [str(script)] if script.exists() else [sys.executable, "-m", "calendly_pipeline.cli"]
    return [*launcher, *args]


def cli(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run `calendly-pipeline ARGS` as a user would, capturing both streams."""
    return subprocess.run(
        cli_command(*args), env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def sync_args(first: date, last: date) -> list[str]:
    return ["sync", "--start", first.isoformat(), "--end", last.isoformat()]


def error_line(done: subprocess.CompletedProcess[str], prefix: str) -> str:
    """The CLI's one error line starting with `prefix`; no traceback anywhere."""
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    lines = [line for line in done.stderr.splitlines() if line.startswith(prefix)]
    assert lines, f"no line starting with {prefix!r} in:\n{output}"
    return lines[0]

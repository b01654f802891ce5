"""No module reads the environment at import (issue 15): importing the package must neither fail
on a bad setting nor freeze one, and must create no file; settings are read when used.

Every module is imported in a fresh interpreter with a poisoned environment, while every read of
`os.environ` our code makes is attributed to the module whose top-level code caused it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# Imports every module of the package, recording which module's top-level code read which variable.
SCRIPT = r"""
import importlib, json, os, pkgutil, sys
import calendly_pipeline

PACKAGE = os.path.dirname(calendly_pipeline.__file__)
reads, failures = set(), []
Environ = type(os.environ)
original = Environ.__getitem__


def recording(self, key):
    frame = sys._getframe(1)
    while frame.f_code.co_filename.endswith(("os.py", "<frozen os>", "_collections_abc>")):
        frame = frame.f_back
    if not frame.f_code.co_filename.startswith(PACKAGE + os.sep):
        return original(self, key)  # a library's own read, not ours
    while frame is not None:
        code = frame.f_code
        if code.co_name == "<module>" and code.co_filename.startswith(PACKAGE + os.sep):
            reads.add(f"{os.path.relpath(code.co_filename, PACKAGE)}: {key}")
            break
        frame = frame.f_back
    return original(self, key)


Environ.__getitem__ = recording  # Mapping.get, `in` and os.getenv all go through it
for info in pkgutil.walk_packages(
    calendly_pipeline.__path__, "calendly_pipeline.", onerror=failures.append
):
    try:
        importlib.import_module(info.name)
    except Exception as exc:
        failures.append(f"{info.name}: {type(exc).__name__}: {exc}")
print(json.dumps({"reads": sorted(reads), "failures": [str(f) for f in failures]}))
"""

# Read when the definitions load (a `@dg.definitions` function), never when a module is imported.
WINDOW_VARIABLES = (
    "CALENDLY_START_DATE",
    "CALENDLY_HISTORY_DAYS",
    "CALENDLY_TRAILING_DAYS",
    "CALENDLY_FORWARD_DAYS",
)


def _poison(folder: Path) -> dict[str, str]:
    """Every other variable the package reads, malformed or pointing where nothing exists."""
    nowhere = folder / "nowhere"
    return {
        "CALENDLY_DATA_DIR": str(nowhere / "data"),
        "DAGSTER_HOME": str(nowhere / "dagster_home"),
        "CALENDLY_DUCKDB_PATH": str(nowhere / "warehouse.duckdb"),
        "CALENDLY_DASHBOARD_PATH": str(nowhere / "dashboard.html"),
        "CALENDLY_OAUTH_STORE": str(nowhere / "oauth.json"),
        "CALENDLY_INVITEE_PII": "bogus",
        "CALENDLY_SEATS_PURCHASED": "lots",
        "CALENDLY_USER_WEBHOOKS_EVERY_DAYS": "abc",
        "CALENDLY_HTTP_ATTEMPTS": "abc",
        "CALENDLY_HTTP_TIMEOUT": "abc",
        "CALENDLY_SANDBOX_PORT": "abc",
        "CALENDLY_API_BASE_URL": "not a url",
        "CALENDLY_AUTH_BASE_URL": "not a url",
        "CALENDLY_PII_SALT": "",
    }


def _import_all(folder: Path, env: dict[str, str]) -> dict[str, list[str]]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CALENDLY_")}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**base, **env},
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_importing_every_module_reads_no_environment(tmp_path: Path) -> None:
    """`calendly_pipeline.definitions` included: `defs` is loaded when called, not imported."""
    window = dict.fromkeys(WINDOW_VARIABLES, "garbage")
    found = _import_all(tmp_path, {**_poison(tmp_path), **window})
    assert found == {"reads": [], "failures": []}, "a module reads the environment at import"
    assert list(tmp_path.iterdir()) == [], "importing the package created a file"

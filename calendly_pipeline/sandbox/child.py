"""The embedded sandbox in a child process, for the demo (`--demo`, `CALENDLY_ENV=demo`).

In the sync's own process the sandbox's HTTP serving shared one interpreter lock with the
pipeline, so the invitee fan-out waited on it (28 s of a 97 s profiled demo sync,
benchmarks/RESULTS.md §5); in a child it runs on the other core. The child prints its base URL
and demo token as one JSON line, then serves until its stdin closes, which also happens when
the parent dies, so it never outlives the sync.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from calendly_pipeline.sandbox.config import SandboxConfig
from calendly_pipeline.sandbox.serve import start_sandbox

STOP_SECONDS = 10


def main() -> None:
    port = int(sys.argv[1])
    # Unthrottled: the demo is not paced to 500 requests/min (`calendly-pipeline sandbox` is).
    with start_sandbox(SandboxConfig(rate_limit_per_minute=0), port=port) as sandbox:
        started = {"base_url": sandbox.base_url, "token": sandbox.tokens["owner"]}
        sys.stdout.write(json.dumps(started) + "\n")
        sys.stdout.flush()
        sys.stdin.read()


@contextmanager
def embedded_sandbox(port: int) -> Iterator[tuple[str, str]]:
    """(base URL, owner's token) of a sandbox served by a child process for the block."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "calendly_pipeline.sandbox.child", str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            raise RuntimeError(f"the embedded sandbox did not start (exit code {proc.wait()})")
        started = json.loads(line)
        yield started["base_url"], started["token"]
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()

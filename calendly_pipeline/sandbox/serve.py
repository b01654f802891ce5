"""Run the sandbox in-process on an ephemeral port (tests, embedded use) or in the foreground."""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import replace
from datetime import date
from types import TracebackType

import uvicorn

from calendly_pipeline.sandbox.app import build_app
from calendly_pipeline.sandbox.config import SCALES, FaultConfig, SandboxConfig
from calendly_pipeline.sandbox.credentials import OAuthApp
from calendly_pipeline.sandbox.faults import Gate
from calendly_pipeline.sandbox.manifest import build_manifest
from calendly_pipeline.sandbox.wire import DropConnection
from calendly_pipeline.sandbox.world import World

SYNTHETIC_NOTE = (
    "SYNTHETIC DATA: every person, company and meeting served by this sandbox is generated; "
    "none of it is real Calendly data."
)


class _HideInjectedDrops(logging.Filter):
    """uvicorn logs an exception when we drop a connection on purpose; that is not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DropConnection))


logging.getLogger("uvicorn.error").addFilter(_HideInjectedDrops())


def _config(world_app: Gate, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        world_app,
        host=host,
        port=port,
        http="httptools",
        loop="asyncio",
        lifespan="off",
        log_level="warning",
        access_log=False,
        date_header=False,  # our Date header carries the simulated clock
        server_header=False,
        timeout_keep_alive=30,
    )


class Sandbox:
    """A running sandbox. Use as a context manager, or call stop()."""

    def __init__(self, cfg: SandboxConfig, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = cfg
        self.world = World(cfg)
        self._gate = build_app(self.world, cfg.rate_limit_per_minute, cfg.faults)
        self._server = uvicorn.Server(_config(self._gate, host, port))
        self._thread = threading.Thread(target=self._serve, name="calendly-sandbox", daemon=True)
        self._host, self._port = host, port

    def _serve(self) -> None:
        try:
            self._server.run()
        except SystemExit:  # uvicorn exits on startup failure; start() reports it
            return

    def start(self) -> Sandbox:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the Calendly sandbox server did not start on {self._host}:{self._port} "
                    "(is the port in use? uvicorn's log above says why)"
                )
            time.sleep(0.005)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.world.base = f"http://{self._host}:{port}"
        return self

    @property
    def base_url(self) -> str:
        return self.world.base

    @property
    def tokens(self) -> dict[str, str]:
        """Personal access tokens by role: owner, admin, user."""
        return dict(self.world.credentials.pats)

    @property
    def oauth(self) -> OAuthApp:
        return self.world.credentials.oauth

    def manifest(self) -> dict:
        return build_manifest(self.world)

    def stats(self) -> dict:
        return self._gate.stats()

    def set_faults(self, faults: FaultConfig) -> None:
        self._gate.set_faults(faults)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        cfg = self.config
        return f"Sandbox(base_url={self.base_url!r}, seed={cfg.seed}, scale={cfg.scale!r})"


def start_sandbox(cfg: SandboxConfig | None = None, port: int = 0) -> Sandbox:
    """Generate the organization and serve it on 127.0.0.1:<port> (0: ephemeral) in a thread."""
    return Sandbox(cfg or SandboxConfig(), port=port).start()


def serve_forever(
    host: str,
    port: int,
    seed: int,
    scale: str,
    as_of: str | None,
    plan: str,
    rate_limit: int,
    wild: bool = False,
) -> None:
    """The `calendly-pipeline sandbox` command: serve in the foreground until Ctrl-C."""
    if scale not in SCALES:
        raise SystemExit(f"--scale must be one of {', '.join(SCALES)}, got {scale!r}")
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise SystemExit(f"--as-of must be a date like 2026-06-30, got {as_of!r}") from None
    try:
        cfg = SandboxConfig(
            seed=seed,
            as_of=day,
            scale=scale,
            plan=plan,
            rate_limit_per_minute=rate_limit,
            faults=FaultConfig.wild(seed) if wild else FaultConfig(),
        )
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    sandbox = Sandbox(replace(cfg), host=host, port=port)
    sandbox.start()
    # Ctrl-C and SIGTERM only set a flag: a KeyboardInterrupt raised inside Thread.join can
    # leave the interpreter unable to shut down, and `kill` deserves the same clean stop.
    stop_requested = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop_requested.set())
    counts = sandbox.world.counts()
    print(f"Calendly sandbox listening on {sandbox.base_url}")
    print(f"Demo owner token (personal access token): {sandbox.tokens['owner']}")
    # The demo OAuth app accepts loopback redirect URIs on any port (`calendly-pipeline connect`).
    print(f"OAuth client id: {sandbox.oauth.client_id}")
    print(f"OAuth client secret: {sandbox.oauth.client_secret}")
    print(f"Organization: {sandbox.world.data.org_name} ({plan}), as of {cfg.resolved_as_of}")
    print(
        f"  {counts['memberships']} members, {counts['pending_invitations']} pending invitations, "
        f"{counts['event_types']} event types, {counts['scheduled_events']} scheduled events"
    )
    print(SYNTHETIC_NOTE)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while sandbox._thread.is_alive() and not stop_requested.wait(timeout=0.5):
            pass
    finally:
        sandbox.stop()

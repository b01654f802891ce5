"""The demo's connection: the embedded Calendly sandbox and its synthetic organization.

Only the demo (`CALENDLY_ENV=demo`, `--demo`) opens it; production never falls back to it. The
sandbox runs for this run only, in a child process (the other core), unthrottled;
`calendly-pipeline sandbox` serves the real budget.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import replace

from calendly_pipeline.client import PersonalAccessToken
from calendly_pipeline.connection import Connection, connect
from calendly_pipeline.connection_settings import ENV_DEPLOYMENT, ConnectionSettings

log = logging.getLogger(__name__)

ENV_SANDBOX_PORT = "CALENDLY_SANDBOX_PORT"
DEFAULT_SANDBOX_PORT = 48765
DEMO_WARNING = (
    f"Demo ({ENV_DEPLOYMENT}=demo): reading the embedded Calendly sandbox. ALL DATA IS SYNTHETIC."
)


def _embedded_port() -> int:
    """The embedded sandbox's port: fixed when free, so its URIs (which carry the host, as the
    real API's do) stay the same from one demo run to the next; a free one otherwise."""
    wanted = int(os.environ.get(ENV_SANDBOX_PORT) or DEFAULT_SANDBOX_PORT)
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", wanted))
        except OSError:
            log.warning(
                "port %s is busy: the embedded sandbox uses another, so its URIs differ from "
                "earlier demo runs (set %s to choose a port)",
                wanted,
                ENV_SANDBOX_PORT,
            )
            return 0
    return wanted


@contextlib.contextmanager
def connect_sandbox(settings: ConnectionSettings | None = None) -> Iterator[Connection]:
    """Start the embedded sandbox and open a client on it; `settings` gives the HTTP knobs
    (workers, attempts, timeout), never the host or the credentials."""
    # Imported here: loading the definitions of a production deployment never loads the sandbox.
    from calendly_pipeline.sandbox.child import embedded_sandbox

    log.warning(DEMO_WARNING)
    with embedded_sandbox(_embedded_port()) as (base_url, token):
        sandbox = replace(
            settings or ConnectionSettings(),
            base_url=base_url,
            auth_base_url=base_url,
            credentials=PersonalAccessToken(token),
        )
        with connect(sandbox, synthetic=True) as connection:
            yield connection

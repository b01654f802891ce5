"""Opening the client for resolved settings (`connection_settings.py`), without Dagster.

Production only: with no credentials it refuses with `MissingCredentials`. The demo's embedded
sandbox opens through `demo_connection.py`, which ends in the same `connect`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from calendly_pipeline.client import CalendlyClient, OAuthCredentials, RetryPolicy
from calendly_pipeline.client.auth import Credentials
from calendly_pipeline.connection_settings import SANDBOX_AUTH_METHOD, ConnectionSettings


@dataclass
class Connection:
    """An open client, whether its data is synthetic (the demo's sandbox), how it
    authenticates and since when (an OAuth connection `calendly-pipeline connect` stored)."""

    client: CalendlyClient
    is_synthetic: bool
    auth_method: str
    connected_since: datetime | None = None


@contextlib.contextmanager
def connect(settings: ConnectionSettings, *, synthetic: bool = False) -> Iterator[Connection]:
    """Open a client for the settings; `synthetic` only for the demo's own sandbox."""
    credentials = settings.require_credentials()
    with CalendlyClient(
        settings.base_url,
        credentials,
        auth_base_url=settings.auth_base_url,
        timeout=(5, settings.http_timeout),
        max_workers=settings.max_workers,
        retry=RetryPolicy(attempts=settings.http_attempts),
    ) as client:
        method = SANDBOX_AUTH_METHOD if synthetic else settings.auth_method
        yield Connection(client, synthetic, method, _connected_since(credentials))


def _connected_since(credentials: Credentials) -> datetime | None:
    """When `calendly-pipeline connect` stored the OAuth connection (None for a PAT)."""
    if not isinstance(credentials, OAuthCredentials):
        return None
    stored = credentials.connection().get("connection") or {}
    since = stored.get("connected_at")
    return datetime.fromisoformat(since) if since else None

"""Helpers shared by the client tests."""

from __future__ import annotations

from typing import Any

from calendly_pipeline.client import CalendlyClient, PersonalAccessToken, RetryPolicy
from calendly_pipeline.client.auth import Credentials

# Small waits so that retry tests stay fast; still bounded exponential backoff with jitter.
FAST_RETRY = RetryPolicy(attempts=5, initial_wait=0.05, max_wait=0.3, deadline_seconds=20)


def make_client(sb: Any, credentials: Credentials | None = None, **kwargs: Any) -> CalendlyClient:
    """A client for the sandbox, as the owner unless other credentials are given."""
    kwargs.setdefault("retry", FAST_RETRY)
    return CalendlyClient(
        sb.base_url, credentials or PersonalAccessToken(sb.tokens["owner"]), **kwargs
    )

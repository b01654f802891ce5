"""What every group of typed endpoints reads with: one client and the organization it serves."""

from __future__ import annotations

from dataclasses import dataclass

from calendly_pipeline.client.client import CalendlyClient


@dataclass(frozen=True)
class Endpoints:
    """One client (one session, one rate budget) and the organization URI the token belongs to."""

    client: CalendlyClient
    organization: str

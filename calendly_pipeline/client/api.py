"""The Calendly API v2 as the pipeline reads it: typed endpoints, so that endpoint paths, query
parameters, pagination and fan-out live in the client and an asset is wiring
(`api.scheduled_events(start, end)` -> transform -> write). Testable without Dagster."""

from __future__ import annotations

from calendly_pipeline.client.api_events import EventEndpoints
from calendly_pipeline.client.api_org import OrganizationEndpoints


class CalendlyAPI(OrganizationEndpoints, EventEndpoints):
    """Every endpoint the pipeline reads, over one client and one organization."""

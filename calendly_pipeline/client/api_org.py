"""Typed endpoints for the organization's collections (roster, groups, event types, ...)."""

from __future__ import annotations

from calendly_pipeline.client.api_base import Endpoints


class OrganizationEndpoints(Endpoints):
    """Organization-level collections: paths, query parameters and per-parent fan-out."""

"""Typed endpoints for scheduled events and their invitees."""

from __future__ import annotations

from calendly_pipeline.client.api_base import Endpoints


class EventEndpoints(Endpoints):
    """Scheduled events for a window, events by URI, invitees for a batch of events."""

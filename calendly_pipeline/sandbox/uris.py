"""How the sandbox spells a resource's URI: the path of each kind, and the invitee id space."""

from __future__ import annotations

# Invitee (and no-show) ids are event id * INVITEE_SLOTS + position: room for 127 invitees (int8).
INVITEE_SLOTS = 128

PATHS = {
    "organization": "organizations",
    "user": "users",
    "membership": "organization_memberships",
    "group": "groups",
    "relationship": "group_relationships",
    "event_type": "event_types",
    "event": "scheduled_events",
    "no_show": "invitee_no_shows",
    "routing_form": "routing_forms",
    "submission": "routing_form_submissions",
    "webhook": "webhook_subscriptions",
    "activity": "activity_log_entries",
    "etm": "event_type_memberships",
    "schedule": "user_availability_schedules",
}

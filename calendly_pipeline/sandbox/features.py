"""Feature keys of docs/architecture.md section 4, as bit positions for the columnar event store."""

from __future__ import annotations

FEATURES: tuple[str, ...] = (
    "one_on_one",
    "group_event",
    "round_robin",
    "collective",
    "meeting_poll",
    "secret_event_type",
    "managed_event_type",
    "multiple_durations",
    "custom_questions",
    "location_zoom",
    "location_google_meet",
    "location_teams",
    "location_webex",
    "location_gotomeeting",
    "location_phone",
    "location_in_person",
    "location_custom",
    "location_ask_invitee",
    "payments",
    "utm_tracking",
    "no_show_marking",
    "reconfirmation",
    "routing_forms",
    "text_reminders",
    "webhooks",
    "activity_log",
)
BIT = {name: 1 << i for i, name in enumerate(FEATURES)}
GUESTS_BIT = 1 << 30  # not a feature: the event has event_guests

# Event location codes: (event-type `locations[].kind`, event `location.type`, feature key)
LOCATIONS: tuple[tuple[str, str, str], ...] = (
    ("zoom_conference", "zoom", "location_zoom"),
    ("google_conference", "google_conference", "location_google_meet"),
    ("microsoft_teams_conference", "microsoft_teams_conference", "location_teams"),
    ("webex_conference", "webex_conference", "location_webex"),
    ("gotomeeting_conference", "gotomeeting", "location_gotomeeting"),
    ("inbound_call", "inbound_call", "location_phone"),
    ("outbound_call", "outbound_call", "location_phone"),
    ("physical", "physical", "location_in_person"),
    ("custom", "custom", "location_custom"),
    ("ask_invitee", "ask_invitee", "location_ask_invitee"),
)
LOCATION_CODE = {kind: code for code, (kind, _, _) in enumerate(LOCATIONS)}
LOCATION_BITS = tuple(BIT[feature] for _, _, feature in LOCATIONS)

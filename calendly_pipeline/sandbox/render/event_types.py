"""JSON of what members offer: event types, their hosts, availability schedules, locations."""

from __future__ import annotations

from datetime import UTC, datetime

from calendly_pipeline.sandbox.ids import fmt_us
from calendly_pipeline.sandbox.render.base import WorldView


class EventTypes(WorldView):
    """Event types with their hosts, and each member's schedules and locations."""

    def event_type_json(self, idx: int) -> dict:
        et = self.data.event_types[idx]
        if et.owner_user is not None:
            owner = self.data.users[et.owner_user]
            profile = {"type": "User", "name": owner.name, "owner": self.uri("user", owner.idx)}
            url = f"https://calendly.com/{owner.slug}/{et.slug}"
        else:
            group = self.data.groups[et.owner_group]
            profile = {"type": "Team", "name": group.name, "owner": self.uri("group", group.idx)}
            url = f"https://calendly.com/team-{group.idx}/{et.slug}"
        return {
            "uri": self.uri("event_type", idx),
            "name": et.name,
            "active": et.active,
            "admin_managed": et.admin_managed,
            "booking_method": et.booking_method,
            "color": et.color,
            "created_at": fmt_us(et.created_us),
            "custom_questions": [dict(q, position=i) for i, q in enumerate(et.custom_questions)],
            "deleted_at": fmt_us(et.deleted_us) if et.deleted_us is not None else None,
            "description_html": f"<p>{et.description}</p>" if et.description else None,
            "description_plain": et.description,
            "duration": et.duration,
            "duration_options": et.duration_options,
            "internal_note": None,
            "is_paid": et.is_paid,
            "kind": et.kind,
            "locale": "en",
            "locations": [_location_config(kind) for kind in et.locations],
            "pooling_type": et.pooling_type,
            "position": et.position,
            "profile": profile,
            "scheduling_url": url,
            "secret": et.secret,
            "slug": et.slug,
            "type": "StandardEventType",
            "updated_at": fmt_us(et.updated_us),
        }

    def event_type_membership_json(self, et_idx: int, host: int) -> dict:
        et = self.data.event_types[et_idx]
        stamp = fmt_us(max(et.created_us, self.data.users[host].joined_us))
        return {
            "uri": self.uri("etm", (et_idx << 20) | host),
            "event_type": self.event_type_json(et_idx),
            "member": self.world.people.user_json(self.data.users[host]),
            "created_at": stamp,
            "updated_at": stamp,
        }

    def schedules_json(self, user: int) -> list[dict]:
        u = self.data.users[user]
        days = ("monday", "tuesday", "wednesday", "thursday", "friday")
        rules: list[dict] = [
            {"type": "wday", "wday": d, "intervals": [{"from": "09:00", "to": "17:00"}]}
            for d in days
        ]
        rules += [{"type": "wday", "wday": d, "intervals": []} for d in ("saturday", "sunday")]
        out = [
            {
                "uri": self.uri("schedule", user * 4),
                "default": True,
                "name": "Working hours",
                "user": self.uri("user", user),
                "timezone": u.timezone,
                "rules": rules,
            }
        ]
        if u.archetype == "power":
            holiday = datetime.fromtimestamp(self.world.now_us / 1e6 + 20 * 86400, UTC).strftime(
                "%Y-%m-%d"
            )
            out.append(
                {
                    "uri": self.uri("schedule", user * 4 + 1),
                    "default": False,
                    "name": "Focus weeks",
                    "user": self.uri("user", user),
                    "timezone": u.timezone,
                    "rules": [*rules[:3], {"type": "date", "date": holiday, "intervals": []}],
                }
            )
        return out

    def locations_json(self, user: int) -> list[dict]:
        kinds = sorted(
            {k for et in self.data.event_types if user in et.hosts for k in et.locations}
        )
        conferencing = {
            "zoom_conference",
            "google_conference",
            "microsoft_teams_conference",
            "webex_conference",
            "gotomeeting_conference",
        }
        return [{"kind": k, "connected": True} if k in conferencing else {"kind": k} for k in kinds]


def _location_config(kind: str) -> dict:
    extra = {
        "physical": {"location": "Head office"},
        "custom": {"location": "Slack huddle"},
        "inbound_call": {"phone_number": "+1 555-0100"},
    }
    return {"kind": kind, **extra.get(kind, {})}

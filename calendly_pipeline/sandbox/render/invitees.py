"""Invitees, derived per event from the seed, with the controls' overlay of changes.

An invitee is (event id, position); its identity follows the original booking through
reschedules, so a person keeps their name and e-mail.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from calendly_pipeline.sandbox.features import BIT
from calendly_pipeline.sandbox.generate import TIMEZONES
from calendly_pipeline.sandbox.ids import US_PER_DAY, US_PER_HOUR, fmt_us, mix64
from calendly_pipeline.sandbox.render.base import WorldView
from calendly_pipeline.sandbox.uris import INVITEE_SLOTS

if TYPE_CHECKING:
    from calendly_pipeline.sandbox.world import World


class Invitees(WorldView):
    """Who each invitee is, their status, and their JSON (and their no-show's)."""

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self._sub_of_event = {s.event: s.idx for s in self.data.submissions if s.event >= 0}

    def root(self, eid: int, k: int) -> tuple[int, int]:
        """The original booking of an invitee, so a rescheduled invitee keeps its identity."""
        overlay = self.world.invitee_overlay.get(eid, {}).get(k, {})
        if "identity" in overlay:
            return overlay["identity"]
        ev = self.data.events
        while k == 0 and int(ev.resched_from[eid]) >= 0:
            eid = int(ev.resched_from[eid])
        return eid, k

    def identity(self, eid: int, k: int) -> tuple[str, str, str]:
        root, rk = self.root(eid, k)
        h = mix64(self.cfg.seed, root, rk, 11)
        firsts, lasts, companies = self.data.names
        first, last = firsts[h % len(firsts)], lasts[(h >> 16) % len(lasts)]
        company = companies[(h >> 32) % len(companies)]
        domain = re.sub(r"[^a-z0-9]+", "-", company.lower()).strip("-") + ".example"
        email = re.sub(r"[^a-z0-9.@-]", "", f"{first}.{last}@{domain}".lower())
        return f"{first} {last}", email, TIMEZONES[(h >> 40) % len(TIMEZONES)]

    def status(self, eid: int, k: int) -> str:
        overlay = self.world.invitee_overlay.get(eid, {}).get(k, {})
        if "status" in overlay:
            return overlay["status"]
        return "canceled" if self.data.events.status[eid] else "active"

    def emails(self, eid: int) -> list[str]:
        return [self.identity(eid, k)[1] for k in range(int(self.data.events.n_inv[eid]))]

    def exists(self, eid: int, k: int) -> bool:
        ev = self.data.events
        return 0 <= eid < len(ev) and not ev.deleted[eid] and 0 <= k < int(ev.n_inv[eid])

    def invitee_json(self, eid: int, k: int) -> dict:
        ev = self.data.events
        et = self.data.event_types[int(ev.et[eid])]
        overlay = self.world.invitee_overlay.get(eid, {}).get(k, {})
        flags = int(ev.flags[eid]) if k == 0 else 0
        start, created = int(ev.start[eid]), int(ev.created[eid])
        n_inv = int(ev.n_inv[eid])
        if k:
            created += k * max(0, start - created) // (n_inv + 1)
        name, email, tz = self.identity(eid, k)
        h = mix64(self.cfg.seed, eid, k, 5)
        uri = self.world.invitee_uri(eid, k)
        uuid = uri.rsplit("/", 1)[-1]
        status = self.status(eid, k)
        updated = max(created, int(ev.canceled_at[eid]) if ev.status[eid] else 0)
        out: dict[str, Any] = {
            "uri": uri,
            "email": email,
            "first_name": None,
            "last_name": None,
            "name": name,
            "status": status,
            "questions_and_answers": [
                {
                    "question": q["name"],
                    "answer": "Pricing and onboarding" if q["type"] == "text" else "11-50",
                    "position": i,
                }
                for i, q in enumerate(et.custom_questions)
                if q["enabled"]
            ],
            "timezone": tz,
            "event": self.uri("event", eid),
            "created_at": fmt_us(created),
            "updated_at": "",
            "tracking": {
                "utm_campaign": None,
                "utm_source": None,
                "utm_medium": None,
                "utm_content": None,
                "utm_term": None,
                "salesforce_uuid": None,
            },
            "text_reminder_number": None,
            "rescheduled": False,
            "old_invitee": None,
            "new_invitee": None,
            "cancel_url": f"https://calendly.com/cancellations/{uuid}",
            "reschedule_url": f"https://calendly.com/reschedulings/{uuid}",
            "routing_form_submission": None,
            "payment": None,
            "no_show": None,
            "reconfirmation": None,
            "scheduling_method": "api" if h % 40 == 0 else None,
            "invitee_scheduled_by": None,
        }
        if flags & BIT["utm_tracking"]:
            out["tracking"].update(
                utm_source=("google", "linkedin", "newsletter")[h % 3],
                utm_medium=("cpc", "social", "email")[h % 3],
                utm_campaign=f"spring-{h % 5}",
            )
        if flags & BIT["text_reminders"]:
            out["text_reminder_number"] = f"+1 555-02{h % 100:02d}"
        if flags & BIT["payments"]:
            out["payment"] = {
                "external_id": f"ch_{h:016x}",
                "provider": ("stripe", "paypal")[h % 2],
                "amount": "150.00",
                "currency": "USD",
                "terms": None,
                "successful": h % 17 != 0,
            }
        if flags & BIT["reconfirmation"]:
            asked = max(created, start - US_PER_DAY)
            confirmed = (
                asked + 2 * US_PER_HOUR
                if h % 3 and asked + 2 * US_PER_HOUR <= self.world.now_us
                else None
            )
            out["reconfirmation"] = {
                "created_at": fmt_us(asked),
                "confirmed_at": fmt_us(confirmed) if confirmed else None,
            }
        if flags & BIT["routing_forms"] and eid in self._sub_of_event:
            out["routing_form_submission"] = self.uri("submission", self._sub_of_event[eid])
        no_show = overlay.get("no_show")
        if no_show is None and flags & BIT["no_show_marking"]:
            no_show = start + US_PER_HOUR
        if no_show is not None and no_show is not False:
            out["no_show"] = {
                "uri": self.uri("no_show", eid * INVITEE_SLOTS + k),
                "created_at": fmt_us(no_show),
            }
            updated = max(updated, no_show)
        if k == 0 and int(ev.resched_to[eid]) >= 0:
            out["rescheduled"] = True
            out["new_invitee"] = self.world.invitee_uri(int(ev.resched_to[eid]), 0)
        if k == 0 and int(ev.resched_from[eid]) >= 0:
            out["old_invitee"] = self.world.invitee_uri(int(ev.resched_from[eid]), 0)
        for key in ("rescheduled",):
            if key in overlay:
                out[key] = overlay[key]
        if "new_invitee" in overlay:
            out["new_invitee"] = self.world.invitee_uri(*overlay["new_invitee"])
        if "old_invitee" in overlay:
            out["old_invitee"] = self.world.invitee_uri(*overlay["old_invitee"])
        if status == "canceled":
            if "cancellation" in overlay:
                out["cancellation"] = overlay["cancellation"]
            else:
                out["cancellation"] = self.world.events.cancellation(eid)
        updated = max(updated, overlay.get("updated_us", 0))
        out["updated_at"] = fmt_us(updated)
        return out

    def no_show_json(self, eid: int, k: int) -> dict | None:
        if not self.exists(eid, k):
            return None
        inv = self.invitee_json(eid, k)
        if inv["no_show"] is None:
            return None
        return {
            "uri": inv["no_show"]["uri"],
            "invitee": inv["uri"],
            "created_at": inv["no_show"]["created_at"],
        }

    def created_us(self, eid: int, k: int) -> int:
        ev = self.data.events
        start, created = int(ev.start[eid]), int(ev.created[eid])
        return created + k * max(0, start - created) // (int(ev.n_inv[eid]) + 1) if k else created

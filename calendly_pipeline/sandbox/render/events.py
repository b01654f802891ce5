"""JSON of scheduled events: status, location, hosts, cancellation."""

from __future__ import annotations

from typing import Any

from calendly_pipeline.sandbox.config import UNKNOWN_EVENT_STATUS
from calendly_pipeline.sandbox.features import GUESTS_BIT, LOCATIONS
from calendly_pipeline.sandbox.generate import CANCEL_REASONS
from calendly_pipeline.sandbox.ids import US_PER_DAY, fmt_us, mix64
from calendly_pipeline.sandbox.render.base import WorldView

CONFERENCE_RETENTION_US = 180 * US_PER_DAY


class Events(WorldView):
    """A scheduled event from the numpy columns plus the controls' cancel reasons."""

    def event_json(self, eid: int) -> dict:
        ev = self.data.events
        et = self.data.event_types[int(ev.et[eid])]
        start = int(ev.start[eid])
        created = int(ev.created[eid])
        n_inv = int(ev.n_inv[eid])
        canceled = bool(ev.status[eid])
        users = self.data.users
        out = {
            "uri": self.uri("event", eid),
            "name": et.name,
            "meeting_notes_plain": None,
            "status": "canceled"
            if canceled
            else UNKNOWN_EVENT_STATUS
            if eid in self.world.wild.unknown_status_events
            else "active",
            "start_time": fmt_us(start),
            "end_time": fmt_us(start + int(ev.duration[eid]) * 60_000_000),
            "event_type": self.uri("event_type", et.idx),
            "location": self._location(eid, int(ev.loc[eid]), start),
            "invitees_counter": {
                "total": n_inv,
                "active": sum(
                    1 for k in range(n_inv) if self.world.invitees.status(eid, k) == "active"
                ),
                "limit": max(et.limit, n_inv),
            },
            "created_at": fmt_us(created),
            "updated_at": fmt_us(int(ev.updated[eid])),
            "event_memberships": [
                {
                    "user": self.uri("user", h),
                    "user_email": users[h].email,
                    "user_name": users[h].name,
                }
                for h in self.world.event_hosts(eid)
            ],
            "event_guests": [],
            "calendar_event": {"kind": "google", "external_id": f"{mix64(self.cfg.seed, eid):x}"},
        }
        if int(ev.flags[eid]) & GUESTS_BIT:
            stamp = fmt_us(created)
            out["event_guests"] = [
                {
                    "email": f"guest{eid % 97}@{self.data.domain}",
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            ]
        if canceled:
            out["cancellation"] = self.cancellation(eid)
        if eid in self.world.wild.uriless_events:
            del out["uri"]
        return out

    def cancellation(self, eid: int) -> dict:
        ev = self.data.events
        by_host = int(ev.canceler[eid]) == 1
        name = (
            self.data.users[int(ev.host0[eid])].name
            if by_host
            else self.world.invitees.identity(eid, 0)[0]
        )
        reason = self.world.cancel_reason.get(
            eid, CANCEL_REASONS[mix64(self.cfg.seed, eid, 7) % len(CANCEL_REASONS)]
        )
        if int(ev.resched_to[eid]) >= 0:
            reason = "Rescheduled"
        return {
            "canceled_by": name,
            "reason": reason,
            "canceler_type": "host" if by_host else "invitee",
            "created_at": fmt_us(int(ev.canceled_at[eid])),
        }

    def _location(self, eid: int, code: int, start: int) -> dict:
        _kind, ltype, _ = LOCATIONS[code]
        h = mix64(self.cfg.seed, eid, 3)
        expired = start < self.world.now_us - CONFERENCE_RETENTION_US
        if ltype in (
            "zoom",
            "google_conference",
            "microsoft_teams_conference",
            "webex_conference",
            "gotomeeting",
        ):
            urls = {
                "zoom": f"https://zoom.us/j/{h % 10**10:010d}",
                "google_conference": f"https://meet.google.com/{h % 1000:03d}-{h % 9973:04d}",
                "microsoft_teams_conference": f"https://teams.microsoft.com/l/meetup-join/{h:x}",
                "webex_conference": f"https://meet.webex.com/meet/{h % 10**8}",
                "gotomeeting": f"https://global.gotomeeting.com/join/{h % 10**9}",
            }
            out: dict[str, Any] = {
                "type": ltype,
                "status": "pushed",
                "join_url": None if expired else urls[ltype],
            }
            if ltype != "google_conference":
                out["data"] = None
            if ltype == "zoom" and not expired:
                out["data"] = {"id": str(h % 10**10), "password": f"{h % 10**6:06d}"}
            return out
        if ltype == "physical":
            return {"type": "physical", "location": f"{self.data.org_name} HQ, room {h % 20 + 1}"}
        if ltype == "custom":
            return {"type": "custom", "location": "Slack huddle"}
        return {"type": ltype, "location": f"+1 555-01{h % 100:02d}"}

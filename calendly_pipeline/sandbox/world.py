"""The live synthetic organization: its clock, its tokens, JSON rendering and the world controls.

All reads and writes take `lock`: uvicorn serves from its own thread while tests mutate the world
from theirs.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from calendly_pipeline.sandbox.config import UNKNOWN_EVENT_STATUS, SandboxConfig, WildData
from calendly_pipeline.sandbox.features import BIT, GUESTS_BIT, LOCATION_CODE, LOCATIONS
from calendly_pipeline.sandbox.generate import (
    CANCEL_REASONS,
    TIMEZONES,
    Invitation,
    OrgData,
    Relationship,
    User,
    build,
    removal_entry,
    served_details,
    type_edit,
)
from calendly_pipeline.sandbox.ids import (
    US_PER_DAY,
    US_PER_HOUR,
    UuidCodec,
    fmt_us,
    mix64,
    parse_ts_us,
)

ACCESS_TOKEN_LIFETIME_US = 2 * US_PER_HOUR
RENAMABLE = ("organization", "user", "group")
# Invitee (and no-show) ids are event id * INVITEE_SLOTS + position: room for 127 invitees (int8).
INVITEE_SLOTS = 128
CONFERENCE_RETENTION_US = 180 * US_PER_DAY
EDITABLE_EVENT_TYPE_FIELDS = frozenset(
    {
        "name",
        "active",
        "secret",
        "duration",
        "duration_options",
        "is_paid",
        "booking_method",
        "custom_questions",
        "locations",
        "description",
    }
)


@dataclass
class Token:
    user: int
    kind: str  # "pat" | "oauth"
    expires_us: int | None = None
    revoked: bool = False


@dataclass(frozen=True)
class OAuthApp:
    """The registered OAuth application of the demo owner (sandbox values, not real secrets)."""

    client_id: str
    client_secret: str
    refresh_token: str
    authorization_code: str
    redirect_uri: str

    def __repr__(self) -> str:
        return f"OAuthApp(client_id={self.client_id!r}, redirect_uri={self.redirect_uri!r})"


class World:
    """The organization the sandbox serves, plus the in-process controls of docs section 1.3."""

    def __init__(self, cfg: SandboxConfig) -> None:
        self.cfg = cfg
        self.data: OrgData = build(
            cfg.seed, cfg.resolved_as_of, cfg.resolved_scale, cfg.plan, cfg.log_removals
        )
        self.codec = UuidCodec(cfg.seed)
        self.base = ""
        self.lock = threading.RLock()
        self.now_us = self.data.now_us
        self.invitee_overlay: dict[int, dict[int, dict[str, Any]]] = {}
        self.cancel_reason: dict[int, str | None] = {}
        self.extra_bits: dict[int, int] = {}
        self._sub_of_event = {s.event: s.idx for s in self.data.submissions if s.event >= 0}
        self.et_features = np.asarray(
            [et.features for et in self.data.event_types], dtype=np.uint32
        )
        self._build_comms()
        self.unknown_status_events, self.unlisted_event_type = self._apply_wild(cfg.wild)
        self.orphan_members, self.uriless_events = self._wild_records(cfg.wild)
        self.tokens: dict[str, Token] = {}
        digest = hashlib.blake2b(f"sandbox-secrets:{cfg.seed}".encode(), digest_size=32).hexdigest()
        self.pats = {
            "owner": f"sbx_pat_owner_{digest[:24]}",
            "admin": f"sbx_pat_admin_{digest[24:48]}",
            "user": f"sbx_pat_user_{digest[48:]}",
        }
        d = self.data
        for role, user in (("owner", d.owner), ("admin", d.admin), ("user", d.plain_user)):
            self.tokens[self.pats[role]] = Token(user, "pat")
        self.oauth = OAuthApp(
            client_id=f"sbx_client_{digest[:16]}",
            client_secret=f"sbx_secret_{digest[16:48]}",
            refresh_token=f"sbx_refresh_{digest[32:56]}",
            authorization_code=f"sbx_code_{digest[8:32]}",
            redirect_uri="http://localhost/callback",
        )
        self.refresh_tokens: dict[str, int] = {self.oauth.refresh_token: d.owner}
        self.auth_codes: dict[str, int] = {self.oauth.authorization_code: d.owner}

    def _apply_wild(self, wild: WildData) -> tuple[frozenset[int], int | None]:
        """The `WildData` knobs: (events served with an unknown status, the unlisted event type).

        The big group event gets its invitees here; the other knobs act where JSON is built.
        """
        ev = self.data.events
        eids = np.arange(len(ev))
        plain = (ev.status == 0) & ~ev.deleted
        unknown: frozenset[int] = frozenset()
        if wild.unknown_event_status_rate:
            draw = np.asarray([mix64(wild.seed, int(e), 13) % 10_000 for e in eids])
            share = round(wild.unknown_event_status_rate * 10_000)
            unknown = frozenset(int(e) for e in eids[plain & (draw < share)])
        past = plain & (ev.start < self.now_us)
        if wild.big_event_invitees:
            group = past & np.asarray([self.data.event_types[t].limit > 1 for t in ev.et])
            candidates = eids[group]
            if not len(candidates):
                raise ValueError("WildData.big_event_invitees: this world has no past group event")
            ev.n_inv[candidates[mix64(wild.seed, 17) % len(candidates)]] = wild.big_event_invitees
        unlisted = None
        if wild.unlisted_event_type:
            # A type booked in the week before as_of, so a short sync window meets it.
            recent = past & (ev.start >= self.now_us - 7 * US_PER_DAY)
            types = sorted({int(t) for t in ev.et[recent]})
            unlisted = types[mix64(wild.seed, 19) % len(types)]
        return unknown, unlisted

    def _wild_records(self, wild: WildData) -> tuple[frozenset[int], frozenset[int]]:
        """The record-level `WildData` knobs: null names go into the data itself; returns (members
        whose membership is served with `"user": null`, events listed without `uri`)."""
        d = self.data

        def pick(candidates: list[int], n: int, salt: int) -> frozenset[int]:
            return frozenset(sorted(candidates, key=lambda i: mix64(wild.seed, i, salt))[:n])

        if wild.null_names:
            d.org_name = None  # type: ignore[assignment]  # served without `name` at all
            for records, salt in ((d.users, 23), (d.groups, 29), (d.event_types, 31)):
                for i in pick([r.idx for r in records], (len(records) + 3) // 4, salt):
                    records[i].name = None  # type: ignore[assignment]

        holders = {d.owner, d.admin, d.plain_user}
        members = [u.idx for u in self.members() if u.idx not in holders]
        ev = d.events
        week = ~ev.deleted & (ev.start < self.now_us) & (ev.start >= self.now_us - 7 * US_PER_DAY)
        return (
            pick(members, wild.orphan_memberships, 37),
            pick(np.flatnonzero(week).tolist(), wild.events_without_uri, 41),
        )

    # -- identifiers
    def uri(self, kind: str, ident: int) -> str:
        return f"{self.base}/{_PATHS[kind]}/{self.codec.encode(kind, ident)}"

    def org_uuid(self) -> str:
        return self.codec.encode("organization", 0)

    def org_uri(self) -> str:
        return self.uri("organization", 0)

    def invitation_uri(self, idx: int) -> str:
        return f"{self.org_uri()}/invitations/{self.codec.encode('invitation', idx)}"

    def invitee_uri(self, eid: int, k: int) -> str:
        uuid = self.codec.encode("invitee", eid * INVITEE_SLOTS + k)
        return f"{self.uri('event', eid)}/invitees/{uuid}"

    def lookup(self, kind: str, text: str) -> int | None:
        """Resolve a URI or bare UUID of `kind` to its index (None if unknown)."""
        uuid = text.rstrip("/").rsplit("/", 1)[-1]
        ident = self.codec.decode(kind, uuid)
        if ident is None or ident >= self._size(kind):
            return None
        return ident

    def _size(self, kind: str) -> int:
        d = self.data
        sizes = {
            "organization": 1,
            "user": len(d.users),
            "membership": len(d.users),
            "invitation": len(d.invitations),
            "group": len(d.groups),
            "relationship": len(d.relationships),
            "event_type": len(d.event_types),
            "event": len(d.events),
            "invitee": len(d.events) * INVITEE_SLOTS,
            "no_show": len(d.events) * INVITEE_SLOTS,
            "routing_form": len(d.routing_forms),
            "submission": len(d.submissions),
            "webhook": len(d.webhooks),
            "activity": len(d.activity),
            "etm": len(d.event_types) << 20,
            "schedule": len(d.users) * 4,
        }
        return sizes[kind]

    # -- people
    def is_member(self, idx: int) -> bool:
        return 0 <= idx < len(self.data.users) and self.data.users[idx].removed_us is None

    def role(self, idx: int) -> str:
        return self.data.users[idx].role

    def members(self) -> list[User]:
        return [u for u in self.data.users if u.removed_us is None]

    def user_json(self, u: User) -> dict:
        return {
            "uri": self.uri("user", u.idx),
            "name": u.name,
            "slug": u.slug,
            "email": u.email,
            "scheduling_url": f"https://calendly.com/{u.slug}",
            "timezone": u.timezone,
            "time_notation": u.time_notation,
            "avatar_url": None,
            "created_at": fmt_us(u.created_us),
            "updated_at": fmt_us(u.updated_us),
            "current_organization": self.org_uri(),
            "resource_type": "User",
            "locale": u.locale,
        }

    def membership_user_json(self, u: User) -> dict:
        full = self.user_json(u)
        return {
            k: full[k]
            for k in (
                "uri",
                "name",
                "slug",
                "email",
                "scheduling_url",
                "timezone",
                "avatar_url",
                "locale",
                "created_at",
                "updated_at",
            )
        }

    def membership_json(self, u: User) -> dict:
        return {
            "uri": self.uri("membership", u.idx),
            "role": u.role,
            "user": None if u.idx in self.orphan_members else self.membership_user_json(u),
            "organization": self.org_uri(),
            "updated_at": fmt_us(max(u.joined_us, u.updated_us)),
            "created_at": fmt_us(u.joined_us),
        }

    def organization_json(self) -> dict:
        d = self.data
        out = {
            "uri": self.org_uri(),
            "name": d.org_name,
            "kind": "multiple",
            "plan": self.cfg.wild.unknown_plan or d.plan,
            "stage": "free" if d.plan == "basic" else "paid",
            "created_at": fmt_us(d.org_created_us),
            "updated_at": fmt_us(d.org_created_us + 7 * US_PER_DAY),
        }
        if self.cfg.wild.null_names:
            del out["name"]  # `name` is optional in the spec's Organization
        return out

    def invitation_json(self, inv: Invitation, owner: bool = False) -> dict:
        out = {
            "uri": self.invitation_uri(inv.idx),
            "organization": self.org_uri(),
            "email": inv.email,
            "status": inv.status,
            "created_at": fmt_us(inv.created_us),
            "updated_at": fmt_us(inv.updated_us),
            "last_sent_at": fmt_us(inv.last_sent_us) if inv.last_sent_us is not None else None,
        }
        if inv.user is not None:
            out["user"] = self.uri("user", inv.user)
        if owner:
            out["type"] = "OrganizationInvitation"
        return out

    def group_json(self, idx: int) -> dict:
        g = self.data.groups[idx]
        members = sum(
            1
            for r in self.live_relationships()
            if r.group == idx and r.role == "member" and r.owner_kind == "membership"
        )
        return {
            "uri": self.uri("group", idx),
            "name": g.name,
            "organization": self.org_uri(),
            "created_at": fmt_us(g.created_us),
            "updated_at": fmt_us(g.updated_us),
            "member_count": members,
        }

    def relationship_json(self, r: Relationship) -> dict:
        if r.owner_kind == "membership":
            owner = self.membership_json(self.data.users[r.owner]) | {
                "type": "OrganizationMembership"
            }
        else:
            owner = self.invitation_json(self.data.invitations[r.owner], owner=True)
        return {
            "uri": self.uri("relationship", r.idx),
            "role": r.role,
            "owner": owner,
            "organization": self.org_uri(),
            "group": self.uri("group", r.group),
            "created_at": fmt_us(r.created_us),
            "updated_at": fmt_us(r.updated_us),
        }

    def is_group_admin(self, user: int, group: int) -> bool:
        return any(
            r.owner_kind == "membership"
            and r.owner == user
            and r.group == group
            and r.role == "admin"
            for r in self.live_relationships()
        )

    def live_relationships(self) -> list[Relationship]:
        d = self.data
        out = []
        for r in d.relationships:
            if r.owner_kind == "membership" and not self.is_member(r.owner):
                continue
            if r.owner_kind == "invitation" and d.invitations[r.owner].status != "pending":
                continue
            out.append(r)
        return out

    # -- event types
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
            "member": self.user_json(self.data.users[host]),
            "created_at": stamp,
            "updated_at": stamp,
        }

    # -- scheduled events
    def event_hosts(self, eid: int) -> list[int]:
        ev = self.data.events
        h1 = int(ev.host1[eid])
        return [int(ev.host0[eid])] + ([h1] if h1 >= 0 else [])

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
            if eid in self.unknown_status_events
            else "active",
            "start_time": fmt_us(start),
            "end_time": fmt_us(start + int(ev.duration[eid]) * 60_000_000),
            "event_type": self.uri("event_type", et.idx),
            "location": self._location(eid, int(ev.loc[eid]), start),
            "invitees_counter": {
                "total": n_inv,
                "active": sum(1 for k in range(n_inv) if self.invitee_status(eid, k) == "active"),
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
                for h in self.event_hosts(eid)
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
            out["cancellation"] = self._event_cancellation(eid)
        if eid in self.uriless_events:
            del out["uri"]
        return out

    def _event_cancellation(self, eid: int) -> dict:
        ev = self.data.events
        by_host = int(ev.canceler[eid]) == 1
        name = self.data.users[int(ev.host0[eid])].name if by_host else self.identity(eid, 0)[0]
        reason = self.cancel_reason.get(
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
        expired = start < self.now_us - CONFERENCE_RETENTION_US
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

    def _root(self, eid: int, k: int) -> tuple[int, int]:
        """The original booking of an invitee, so a rescheduled invitee keeps its identity."""
        overlay = self.invitee_overlay.get(eid, {}).get(k, {})
        if "identity" in overlay:
            return overlay["identity"]
        ev = self.data.events
        while k == 0 and int(ev.resched_from[eid]) >= 0:
            eid = int(ev.resched_from[eid])
        return eid, k

    def identity(self, eid: int, k: int) -> tuple[str, str, str]:
        root, rk = self._root(eid, k)
        h = mix64(self.cfg.seed, root, rk, 11)
        firsts, lasts, companies = self.data.names
        first, last = firsts[h % len(firsts)], lasts[(h >> 16) % len(lasts)]
        company = companies[(h >> 32) % len(companies)]
        domain = re.sub(r"[^a-z0-9]+", "-", company.lower()).strip("-") + ".example"
        email = re.sub(r"[^a-z0-9.@-]", "", f"{first}.{last}@{domain}".lower())
        return f"{first} {last}", email, TIMEZONES[(h >> 40) % len(TIMEZONES)]

    def invitee_status(self, eid: int, k: int) -> str:
        overlay = self.invitee_overlay.get(eid, {}).get(k, {})
        if "status" in overlay:
            return overlay["status"]
        return "canceled" if self.data.events.status[eid] else "active"

    def invitee_emails(self, eid: int) -> list[str]:
        return [self.identity(eid, k)[1] for k in range(int(self.data.events.n_inv[eid]))]

    def invitee_exists(self, eid: int, k: int) -> bool:
        ev = self.data.events
        return 0 <= eid < len(ev) and not ev.deleted[eid] and 0 <= k < int(ev.n_inv[eid])

    def invitee_json(self, eid: int, k: int) -> dict:
        ev = self.data.events
        et = self.data.event_types[int(ev.et[eid])]
        overlay = self.invitee_overlay.get(eid, {}).get(k, {})
        flags = int(ev.flags[eid]) if k == 0 else 0
        start, created = int(ev.start[eid]), int(ev.created[eid])
        n_inv = int(ev.n_inv[eid])
        if k:
            created += k * max(0, start - created) // (n_inv + 1)
        name, email, tz = self.identity(eid, k)
        h = mix64(self.cfg.seed, eid, k, 5)
        uri = self.invitee_uri(eid, k)
        uuid = uri.rsplit("/", 1)[-1]
        status = self.invitee_status(eid, k)
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
                if h % 3 and asked + 2 * US_PER_HOUR <= self.now_us
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
            out["new_invitee"] = self.invitee_uri(int(ev.resched_to[eid]), 0)
        if k == 0 and int(ev.resched_from[eid]) >= 0:
            out["old_invitee"] = self.invitee_uri(int(ev.resched_from[eid]), 0)
        for key in ("rescheduled",):
            if key in overlay:
                out[key] = overlay[key]
        if "new_invitee" in overlay:
            out["new_invitee"] = self.invitee_uri(*overlay["new_invitee"])
        if "old_invitee" in overlay:
            out["old_invitee"] = self.invitee_uri(*overlay["old_invitee"])
        if status == "canceled":
            if "cancellation" in overlay:
                out["cancellation"] = overlay["cancellation"]
            else:
                out["cancellation"] = self._event_cancellation(eid)
        updated = max(updated, overlay.get("updated_us", 0))
        out["updated_at"] = fmt_us(updated)
        return out

    def no_show_json(self, eid: int, k: int) -> dict | None:
        if not self.invitee_exists(eid, k):
            return None
        inv = self.invitee_json(eid, k)
        if inv["no_show"] is None:
            return None
        return {
            "uri": inv["no_show"]["uri"],
            "invitee": inv["uri"],
            "created_at": inv["no_show"]["created_at"],
        }

    def invitee_created_us(self, eid: int, k: int) -> int:
        ev = self.data.events
        start, created = int(ev.start[eid]), int(ev.created[eid])
        return created + k * max(0, start - created) // (int(ev.n_inv[eid]) + 1) if k else created

    # -- routing, webhooks, activity, comms
    def routing_form_json(self, idx: int) -> dict:
        f = self.data.routing_forms[idx]
        return {
            "uri": self.uri("routing_form", idx),
            "organization": self.org_uri(),
            "name": f.name,
            "status": f.status,
            "questions": [
                dict(q, uuid=self.codec.encode("question", idx * 16 + i))
                for i, q in enumerate(f.questions)
            ],
            "created_at": fmt_us(f.created_us),
            "updated_at": fmt_us(f.updated_us),
        }

    def submission_json(self, idx: int) -> dict:
        s = self.data.submissions[idx]
        form = self.data.routing_forms[s.form]
        h = mix64(self.cfg.seed, idx, 9)
        name, email, _ = (
            self.identity(s.event, 0)
            if s.event >= 0
            else ("Pat Visitor", f"visitor{idx}@example.com", "")
        )
        choices = form.questions[2]["answer_choices"]
        answers = (name, email, choices[h % len(choices)])  # every form asks these three
        qa = [
            {
                "question_uuid": self.codec.encode("question", s.form * 16 + i),
                "question": q["name"],
                "answer": answer,
            }
            for i, (q, answer) in enumerate(zip(form.questions, answers, strict=True))
        ]
        if s.result == "event_type":
            result: dict[str, Any] = {
                "type": "event_type",
                "value": self.uri("event_type", form.target_et),
            }
        elif s.result == "external_url":
            result = {"type": "external_url", "value": f"https://www.{self.data.domain}/partners"}
        else:
            result = {
                "type": "custom_message",
                "value": {"headline": "Thanks!", "body": "We will get back to you shortly."},
            }
        routed = s.event >= 0 and not self.data.events.deleted[s.event]
        stamp = fmt_us(s.created_us)
        return {
            "uri": self.uri("submission", idx),
            "routing_form": self.uri("routing_form", s.form),
            "questions_and_answers": qa,
            "tracking": {
                "utm_campaign": None,
                "utm_source": "website" if h % 2 else None,
                "utm_medium": None,
                "utm_content": None,
                "utm_term": None,
                "salesforce_uuid": None,
            },
            "result": result,
            "submitter": self.invitee_uri(s.event, 0) if routed else None,
            "submitter_type": "Invitee" if routed else None,
            "created_at": stamp,
            "updated_at": stamp,
        }

    def webhook_json(self, idx: int) -> dict:
        w = self.data.webhooks[idx]
        return {
            "uri": self.uri("webhook", idx),
            "callback_url": w.callback_url,
            "created_at": fmt_us(w.created_us),
            "updated_at": fmt_us(w.updated_us),
            "retry_started_at": fmt_us(w.retry_started_us) if w.retry_started_us else None,
            "state": w.state,
            "events": w.events,
            "scope": w.scope,
            "organization": self.org_uri(),
            "user": self.uri("user", w.user) if w.user is not None else None,
            "group": self.uri("group", w.group) if w.group is not None else None,
            "creator": self.uri("user", w.creator),
        }

    def activity_json(self, idx: int) -> dict:
        e = self.data.activity[idx]
        actor = self.data.users[e.actor]
        return {
            "occurred_at": fmt_us(e.occurred_us),
            "actor": {
                "uri": self.uri("user", actor.idx),
                "type": "User",
                "organization": {"uri": self.org_uri(), "role": actor.role},
                "display_name": actor.name,
                "alternative_identifier": actor.email,
            },
            "details": served_details(e, self.data.users, self.uri),
            "fully_qualified_name": f"{e.namespace}.{e.action}",
            "uri": self.uri("activity", idx),
            "namespace": e.namespace,
            "action": e.action,
            "organization": self.org_uri(),
        }

    def _build_comms(self) -> None:
        """SMS/e-mail reminders one day before events with text reminders or reconfirmation."""
        ev = self.data.events
        sms = np.flatnonzero((ev.flags & BIT["text_reminders"]) != 0)
        email = np.flatnonzero((ev.flags & BIT["reconfirmation"]) != 0)
        eids = np.concatenate([sms, email])
        kinds = np.concatenate([np.zeros(len(sms), np.int8), np.ones(len(email), np.int8)])
        sent = np.maximum(ev.start[eids] - US_PER_DAY, ev.created[eids] + 60_000_000)
        order = np.lexsort((kinds, eids, sent))
        self.comm_sent, self.comm_eid, self.comm_kind = sent[order], eids[order], kinds[order]

    def comm_json(self, i: int) -> dict:
        eid, kind = int(self.comm_eid[i]), int(self.comm_kind[i])
        ev = self.data.events
        et = self.data.event_types[int(ev.et[eid])]
        host = self.data.users[int(ev.host0[eid])]
        name, email, _ = self.identity(eid, 0)
        stamp = fmt_us(int(self.comm_sent[i]))
        common = {
            "sender_uri": self.uri("user", host.idx),
            "sender_email": host.email,
            "event_type_uri": self.uri("event_type", et.idx),
            "event_uri": self.uri("event", eid),
            "sent_at": stamp,
            "created_at": stamp,
            "scheduling_url": f"https://calendly.com/{host.slug}/{et.slug}",
        }
        if kind == 0:
            h = mix64(self.cfg.seed, eid, 5)
            return {
                "type": "sms",
                "to": f"+1 555-02{h % 100:02d}",
                "from": "+1 555-0199",
                "subject": None,
                "body": f"Reminder: {et.name} with {host.name} tomorrow.",
            } | common
        return {
            "type": "email",
            "to": email,
            "from": "notifications@calendly.com",
            "subject": f"Please confirm: {et.name}",
            "body": f"Hi {name}, please confirm your {et.name} with {host.name}.",
        } | common

    # -- availability and locations
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
            holiday = datetime.fromtimestamp(self.now_us / 1e6 + 20 * 86400, UTC).strftime(
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

    # -- world controls (docs/architecture.md section 1.3)
    def _event_id(self, event_uri: str) -> int:
        eid = self.lookup("event", event_uri)
        if eid is None or self.data.events.deleted[eid]:
            raise ValueError(f"unknown scheduled event {event_uri!r}")
        return eid

    def _invitee_id(self, invitee_uri: str) -> tuple[int, int]:
        ident = self.lookup("invitee", invitee_uri)
        if ident is None or not self.invitee_exists(*divmod(ident, INVITEE_SLOTS)):
            raise ValueError(f"unknown invitee {invitee_uri!r}")
        return divmod(ident, INVITEE_SLOTS)

    def _member_id(self, user_uri: str) -> int:
        idx = self.lookup("user", user_uri)
        if idx is None or not self.is_member(idx):
            raise ValueError(f"{user_uri!r} is not a member of the organization")
        return idx

    def advance(self, days: float = 0, hours: float = 0) -> str:
        if days < 0 or hours < 0:
            raise ValueError("the sandbox clock only moves forward (days and hours must be >= 0)")
        with self.lock:
            self.now_us += int(days * US_PER_DAY + hours * US_PER_HOUR)
            return fmt_us(self.now_us)

    def book_event(
        self,
        host_user_uri: str | None = None,
        event_type_uri: str | None = None,
        start_time: str | None = None,
        invitees: int = 1,
    ) -> str:
        with self.lock:
            d = self.data
            if event_type_uri is not None:
                et_idx = self.lookup("event_type", event_type_uri)
                if et_idx is None or not d.event_types[et_idx].active:
                    raise ValueError(f"unknown or inactive event type {event_type_uri!r}")
                et = d.event_types[et_idx]
            else:
                host = self._member_id(host_user_uri) if host_user_uri else d.plain_user
                et = next((t for t in d.event_types if t.owner_user == host and t.active), None)
                if et is None:
                    raise ValueError(f"member {host_user_uri!r} has no active event type to book")
            if host_user_uri is not None:
                host = self._member_id(host_user_uri)
                if host not in et.hosts:
                    raise ValueError(f"{host_user_uri!r} does not host event type {et.name!r}")
            else:
                host = next(h for h in et.hosts if self.is_member(h))
            if not 1 <= invitees <= min(63, et.limit):
                raise ValueError(
                    f"invitees must be between 1 and {min(63, et.limit)} for {et.name!r}"
                )
            start = (
                parse_ts_us(start_time)
                if start_time
                else (self.now_us - self.now_us % US_PER_DAY + 2 * US_PER_DAY + 15 * US_PER_HOUR)
            )
            cohost = (
                next((h for h in et.hosts if h != host and self.is_member(h)), -1)
                if et.pooling_type == "collective"
                else -1
            )
            eid = d.events.append(
                start=start,
                duration=et.duration,
                created=self.now_us,
                updated=self.now_us,
                canceled_at=0,
                et=et.idx,
                host0=host,
                host1=cohost,
                status=0,
                canceler=0,
                n_inv=invitees,
                loc=LOCATION_CODE[et.locations[0]],
                flags=0,
                resched_to=-1,
                resched_from=-1,
                deleted=False,
            )
            return self.uri("event", eid)

    def cancel_event(self, event_uri: str, by: str = "host", reason: str | None = None) -> None:
        if by not in ("host", "invitee"):
            raise ValueError(f"by must be 'host' or 'invitee', got {by!r}")
        with self.lock:
            eid = self._event_id(event_uri)
            ev = self.data.events
            if ev.status[eid]:
                raise ValueError(f"event {event_uri!r} is already canceled")
            ev.status[eid], ev.canceler[eid] = 1, 1 if by == "host" else 2
            ev.canceled_at[eid] = ev.updated[eid] = self.now_us
            self.cancel_reason[eid] = reason

    def reschedule(self, invitee_uri: str, new_start_time: str) -> str:
        with self.lock:
            eid, k = self._invitee_id(invitee_uri)
            if self.invitee_status(eid, k) != "active":
                raise ValueError(f"invitee {invitee_uri!r} is not active")
            ev = self.data.events
            et = self.data.event_types[int(ev.et[eid])]
            new_uri = (
                self.book_event(
                    self.uri("user", int(ev.host0[eid])),
                    self.uri("event_type", et.idx),
                    new_start_time,
                    1,
                )
                if self.is_member(int(ev.host0[eid]))
                else None
            )
            if new_uri is None:
                raise ValueError("the host of this event is no longer a member")
            new = self.lookup("event", new_uri)
            name = self.identity(eid, k)[0]
            self.invitee_overlay.setdefault(eid, {})[k] = {
                **self.invitee_overlay.get(eid, {}).get(k, {}),
                "status": "canceled",
                "rescheduled": True,
                "new_invitee": (new, 0),
                "updated_us": self.now_us,
                "cancellation": {
                    "canceled_by": name,
                    "reason": "Rescheduled",
                    "canceler_type": "invitee",
                    "created_at": fmt_us(self.now_us),
                },
            }
            self.invitee_overlay.setdefault(new, {})[0] = {
                "identity": self._root(eid, k),
                "old_invitee": (eid, k),
            }
            if all(self.invitee_status(eid, j) == "canceled" for j in range(int(ev.n_inv[eid]))):
                ev.status[eid], ev.canceler[eid] = 1, 2
                ev.canceled_at[eid] = self.now_us
                self.cancel_reason[eid] = "Rescheduled"
            ev.updated[eid] = self.now_us
            return new_uri

    def mark_no_show(self, invitee_uri: str) -> str:
        with self.lock:
            eid, k = self._invitee_id(invitee_uri)
            overlay = self.invitee_overlay.setdefault(eid, {}).setdefault(k, {})
            overlay["no_show"] = overlay["updated_us"] = self.now_us
            self.extra_bits[eid] = self.extra_bits.get(eid, 0) | BIT["no_show_marking"]
            self.data.events.updated[eid] = self.now_us
            return self.uri("no_show", eid * INVITEE_SLOTS + k)

    def remove_member(self, user_uri: str) -> None:
        with self.lock:
            idx = self._member_id(user_uri)
            u = self.data.users[idx]
            if u.role == "owner":
                raise ValueError("the organization owner cannot be removed")
            u.removed_us = u.updated_us = self.now_us
            if self.cfg.log_removals:  # the log records it (served on Enterprise)
                entry = removal_entry(len(self.data.activity), idx, self.now_us, self.data.admin)
                self.data.activity.append(entry)
            for et in self.data.event_types:
                if et.owner_user == idx and et.deleted_us is None:
                    et.active, et.deleted_us, et.updated_us = False, self.now_us, self.now_us

    def send_invitation(self, email: str) -> str:
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email or ""):
            raise ValueError(f"{email!r} is not an e-mail address")
        with self.lock:
            d = self.data
            taken = {u.email for u in self.members()} | {
                i.email for i in d.invitations if i.status == "pending"
            }
            if email in taken:
                raise ValueError(f"{email} is already a member or has a pending invitation")
            inv = Invitation(
                len(d.invitations), email, "pending", self.now_us, self.now_us, self.now_us, None
            )
            d.invitations.append(inv)
            return self.invitation_uri(inv.idx)

    def accept_invitation(self, invitation_uri: str) -> str:
        with self.lock:
            d = self.data
            idx = self.lookup("invitation", invitation_uri)
            if idx is None or d.invitations[idx].status != "pending":
                raise ValueError(f"{invitation_uri!r} is not a pending invitation")
            inv = d.invitations[idx]
            local = inv.email.split("@")[0]
            name = " ".join(
                p.capitalize() for p in re.split(r"[._-]+", local) if p and not p.isdigit()
            )
            user = User(
                idx=len(d.users),
                name=name or local,
                slug=re.sub(r"[^a-z0-9]+", "-", local.lower()),
                email=inv.email,
                timezone=TIMEZONES[0],
                locale="en",
                time_notation="12h",
                created_us=self.now_us,
                updated_us=self.now_us,
                role="user",
                archetype="new_quiet",
                joined_us=self.now_us,
            )
            d.users.append(user)
            inv.status, inv.user, inv.updated_us = "accepted", user.idx, self.now_us
            for r in d.relationships:
                if r.owner_kind == "invitation" and r.owner == idx:
                    r.owner_kind, r.owner, r.updated_us = "membership", user.idx, self.now_us
                    user.group = r.group
            return self.uri("user", user.idx)

    def edit_event_type(self, event_type_uri: str, **fields: Any) -> None:
        unknown = set(fields) - EDITABLE_EVENT_TYPE_FIELDS
        if unknown:
            raise ValueError(
                f"cannot edit event type fields {sorted(unknown)}; "
                f"editable: {sorted(EDITABLE_EVENT_TYPE_FIELDS)}"
            )
        with self.lock:
            idx = self.lookup("event_type", event_type_uri)
            if idx is None:
                raise ValueError(f"unknown event type {event_type_uri!r}")
            et = self.data.event_types[idx]
            for key, value in fields.items():
                setattr(et, key, value)
            if "duration" in fields and "duration_options" not in fields:
                et.duration_options = [et.duration]
            et.updated_us = self.now_us
            self.et_features[idx] = et.features
            if et.owner_user is not None:  # the log records who edited it (Enterprise)
                edit = type_edit(len(self.data.activity), et, self.now_us, self.data.admin)
                self.data.activity.append(edit)

    def delete_event_data(self, event_uri: str) -> None:
        with self.lock:
            eid = self._event_id(event_uri)
            self.data.events.deleted[eid] = True

    def restore_event_data(self, event_uri: str) -> None:
        """Serve a deleted event (and its invitees) again, unchanged: what a client sees when a
        server answered 404 for a while by mistake."""
        with self.lock:
            eid = self.lookup("event", event_uri)
            if eid is None:
                raise ValueError(f"unknown event {event_uri!r}")
            self.data.events.deleted[eid] = False

    def rename(self, uri: str, name: str | None) -> None:
        """Give the organization, a user or a group any name (None: null), as its owner could:
        brackets, markup, escape sequences. Every place that shows names must cope."""
        with self.lock:
            kind = next((k for k in RENAMABLE if f"/{_PATHS[k]}/" in uri), None)
            idx = None if kind is None else self.lookup(kind, uri)
            if kind is None or idx is None:
                raise ValueError(f"cannot rename {uri!r}: not this organization, a user or a group")
            if kind == "organization":
                self.data.org_name = name
                return
            target = (self.data.users if kind == "user" else self.data.groups)[idx]
            target.name, target.updated_us = name, self.now_us

    def revoke_token(self, token: str) -> None:
        with self.lock:
            if token in self.tokens:
                self.tokens[token].revoked = True
            elif token in self.refresh_tokens:
                del self.refresh_tokens[token]
            else:
                raise ValueError("unknown token")

    def expire_access_tokens(self) -> int:
        with self.lock:
            expired = 0
            for t in self.tokens.values():
                if t.kind == "oauth" and (t.expires_us is None or t.expires_us > self.now_us):
                    t.expires_us = self.now_us
                    expired += 1
            return expired

    def revoke_grant(self, user_uri: str | None = None) -> int:
        """The user (default: the demo owner) disconnects the OAuth app: every OAuth access and
        refresh token of theirs stops working, so the pipeline must reconnect. Returns how many."""
        with self.lock:
            user = self.data.owner if user_uri is None else self._member_id(user_uri)
            access = [
                t
                for t in self.tokens.values()
                if t.kind == "oauth" and t.user == user and not t.revoked
            ]
            for t in access:
                t.revoked = True
            refresh = [r for r, owner in self.refresh_tokens.items() if owner == user]
            for r in refresh:
                del self.refresh_tokens[r]
            return len(access) + len(refresh)

    def expire_refresh_tokens(self) -> int:
        """Every outstanding refresh token lapses (Calendly expires unused ones); access tokens
        keep working until their own expiry. Returns how many lapsed."""
        with self.lock:
            lapsed = len(self.refresh_tokens)
            self.refresh_tokens.clear()
            return lapsed

    def counts(self) -> dict[str, int]:
        with self.lock:
            d = self.data
            ev = d.events
            live = ~ev.deleted
            served_activity = d.plan == "enterprise"
            return {
                "users": len(self.members()),
                "memberships": len(self.members()),
                "invitations": len(d.invitations),
                "pending_invitations": sum(1 for i in d.invitations if i.status == "pending"),
                "groups": len(d.groups),
                "group_relationships": len(self.live_relationships()),
                "event_types": sum(1 for et in d.event_types if et.deleted_us is None),
                "scheduled_events": int(live.sum()),
                "invitees": int(ev.n_inv[live].astype(np.int64).sum()),
                "routing_forms": len(d.routing_forms),
                "submissions": len(d.submissions),
                "webhooks": len(d.webhooks),
                "activity_log": len(d.activity) if served_activity else 0,
            }

    # -- OAuth
    def issue_access_token(self, user: int) -> tuple[str, str]:
        access = "sbx_oauth_" + secrets.token_urlsafe(24)
        refresh = "sbx_refresh_" + secrets.token_urlsafe(24)
        self.tokens[access] = Token(user, "oauth", self.now_us + ACCESS_TOKEN_LIFETIME_US)
        self.refresh_tokens[refresh] = user
        return access, refresh


_PATHS = {
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


def _location_config(kind: str) -> dict:
    extra = {
        "physical": {"location": "Head office"},
        "custom": {"location": "Slack huddle"},
        "inbound_call": {"phone_number": "+1 555-0100"},
    }
    return {"kind": kind, **extra.get(kind, {})}

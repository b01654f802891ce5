"""The live synthetic organization: its data, clock, credentials and identifiers.

`World` composes the pieces a reader can take one at a time: the renderers of Calendly's JSON
(`render/`: `people`, `event_types`, `events`, `invitees`, `records`), the credentials
(`credentials.py`), the `WildData` picks (`wild.py`) and the controls (`world_controls.py`, its
mixins `EventControls` and `OrgControls`). All reads and writes take `lock`: uvicorn serves
from its own thread while tests mutate the world from theirs.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from calendly_pipeline.sandbox.config import SandboxConfig
from calendly_pipeline.sandbox.credentials import Credentials, Token
from calendly_pipeline.sandbox.generate import OrgData, Relationship, User, build
from calendly_pipeline.sandbox.ids import UuidCodec
from calendly_pipeline.sandbox.render.event_types import EventTypes
from calendly_pipeline.sandbox.render.events import Events
from calendly_pipeline.sandbox.render.invitees import Invitees
from calendly_pipeline.sandbox.render.people import People
from calendly_pipeline.sandbox.render.records import Records
from calendly_pipeline.sandbox.uris import INVITEE_SLOTS, PATHS
from calendly_pipeline.sandbox.wild import apply_wild
from calendly_pipeline.sandbox.world_controls import EventControls, OrgControls


class World(EventControls, OrgControls):
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
        # what the controls changed, on top of the generated data
        self.invitee_overlay: dict[int, dict[int, dict[str, Any]]] = {}
        self.cancel_reason: dict[int, str | None] = {}
        self.extra_bits: dict[int, int] = {}
        self.et_features = np.asarray(
            [et.features for et in self.data.event_types], dtype=np.uint32
        )
        self.wild = apply_wild(self.data, cfg.wild)
        d = self.data
        self.credentials = Credentials(cfg.seed, d.owner, d.admin, d.plain_user)
        self.people = People(self)
        self.event_types = EventTypes(self)
        self.events = Events(self)
        self.invitees = Invitees(self)
        self.records = Records(self)

    # -- the WildData picks and the credentials, as tests and the routes read them
    @property
    def unlisted_event_type(self) -> int | None:
        return self.wild.unlisted_event_type

    @property
    def orphan_members(self) -> frozenset[int]:
        return self.wild.orphan_members

    @property
    def uriless_events(self) -> frozenset[int]:
        return self.wild.uriless_events

    @property
    def tokens(self) -> dict[str, Token]:
        return self.credentials.tokens

    @property
    def refresh_tokens(self) -> dict[str, int]:
        return self.credentials.refresh_tokens

    def issue_access_token(self, user: int) -> tuple[str, str]:
        """A new OAuth (access, refresh) pair for `user` (the token endpoint, and tests)."""
        return self.credentials.issue_access_token(user, self.now_us)

    # -- identifiers
    def uri(self, kind: str, ident: int) -> str:
        return f"{self.base}/{PATHS[kind]}/{self.codec.encode(kind, ident)}"

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

    # -- who belongs where
    def is_member(self, idx: int) -> bool:
        return 0 <= idx < len(self.data.users) and self.data.users[idx].removed_us is None

    def role(self, idx: int) -> str:
        return self.data.users[idx].role

    def members(self) -> list[User]:
        return [u for u in self.data.users if u.removed_us is None]

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

    def event_hosts(self, eid: int) -> list[int]:
        ev = self.data.events
        h1 = int(ev.host1[eid])
        return [int(ev.host0[eid])] + ([h1] if h1 >= 0 else [])

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

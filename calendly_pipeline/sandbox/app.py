"""The Starlette application: Calendly API v2 read endpoints, OAuth (see oauth.py), controls.

Request flow: `Gate` (pure ASGI: rate limit, faults, `Date` and `X-RateLimit-*` headers, stats)
wraps the Starlette router, whose handlers authenticate, scope, filter and paginate.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qs, urlencode

import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from calendly_pipeline.sandbox import oauth
from calendly_pipeline.sandbox.config import PLANS, FaultConfig
from calendly_pipeline.sandbox.ids import fmt_us, parse_ts_us
from calendly_pipeline.sandbox.manifest import build_manifest
from calendly_pipeline.sandbox.pagination import (
    EMPTY_MARK,
    ApiError,
    Pager,
    decode_token,
    empty_page,
    encode_token,
    forbidden,
    invalid,
    not_found,
    page_of,
    parse_count,
)
from calendly_pipeline.sandbox.world import INVITEE_SLOTS, World

NOT_IN_ORG = "This user is not in your organization"
ALSO_ORG = (
    "Please also specify organization when requesting events for a user (or group) "
    "within your organization."
)
NOT_ALLOWED_EVENT = "You are not allowed to view this event"
UPGRADE_ENTERPRISE = "Please upgrade your Calendly account to Enterprise."
UPGRADE_STANDARD = "Please upgrade your Calendly account to Standard"
_UUID = re.compile(
    r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[A-Z0-9]{16})$"
)
_SCAN_CHUNK = 4096


@dataclass(frozen=True)
class Caller:
    user: int
    role: str

    @property
    def admin(self) -> bool:
        return self.role in ("owner", "admin")


class DropConnection(Exception):
    """Raised mid-body so uvicorn closes the socket (the drop_rate fault)."""


# ~~~
# request helpers
# ~~~
def authenticate(world: World, request: Request) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    bad = ApiError(401, "Unauthenticated", "The access token is invalid")
    if scheme.lower() != "bearer" or not token:
        raise bad
    info = world.tokens.get(token)
    if info is None or info.revoked or not world.is_member(info.user):
        raise bad
    if info.expires_us is not None and info.expires_us <= world.now_us:
        raise ApiError(401, "Unauthenticated", "The access token expired")
    return Caller(info.user, world.role(info.user))


def ref(world: World, request: Request, name: str, kind: str, unknown: ApiError) -> int | None:
    """Resolve a URI-valued filter; absent gives None, unknown raises `unknown`."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    tail = raw.rstrip("/").rsplit("/", 1)[-1]
    if not _UUID.match(tail) or not (raw.startswith(("http://", "https://")) or raw == tail):
        raise invalid(name, "must be a valid URI")
    idx = world.lookup(kind, raw)
    if idx is None:
        raise unknown
    return idx


def require_org(world: World, request: Request, required: bool = True) -> bool:
    """True when `organization` names the caller's organization; 403 for any other one."""
    raw = request.query_params.get("organization")
    if raw is None or raw == "":
        if required:
            raise invalid("organization", "is required")
        return False
    ref(world, request, "organization", "organization", forbidden())
    return True


def member_ref(world: World, request: Request, name: str = "user") -> int | None:
    idx = ref(world, request, name, "user", forbidden(NOT_IN_ORG))
    if idx is not None and not world.is_member(idx):
        raise forbidden(NOT_IN_ORG)
    return idx


def parse_bool(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise invalid(name, "must be true or false")


def parse_time(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return parse_ts_us(raw)
    except ValueError:
        raise invalid(name, "must be an ISO 8601 date-time with a time zone") from None


def parse_enum(request: Request, name: str, allowed: tuple[str, ...]) -> str | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw not in allowed:
        raise invalid(name, f"must be one of {', '.join(allowed)}")
    return raw


def parse_sort(
    raw: str | None, allowed: tuple[str, ...], default: str, name: str = "sort"
) -> list[tuple[str, bool]]:
    """`field:direction[,field:direction]` into [(field, descending)]."""
    out = []
    for part in (raw or default).split(","):
        field, _, direction = part.strip().partition(":")
        direction = direction or "asc"
        if field not in allowed or direction not in ("asc", "desc"):
            raise invalid(name, f"must be field:asc|desc with field in {', '.join(allowed)}")
        out.append((field, direction == "desc"))
    return out


def _multi(query: Any, name: str) -> list[str]:
    """Array parameters: repeated `name=` (the spec's form style) or `name[]=`."""
    return query.getlist(name) + query.getlist(f"{name}[]")


def collection(items: list[dict], pagination: dict, **extra: Any) -> dict:
    return {"collection": items, "pagination": pagination, **extra}


# ~~~
# endpoints
# ~~~
class Api:
    """Handlers; each runs under the world lock with the authenticated caller."""

    def __init__(self, world: World, gate: Gate) -> None:
        self.world, self.gate = world, gate

    def pager(self, request: Request) -> Pager:
        faults = self.gate.faults
        repeat = faults.repeat_page_token and faults.applies_to(_route_name(request.url.path))
        return Pager(request, self.world.base, repeat=repeat)

    def list_page(
        self,
        request: Request,
        items: list,
        key: Callable,
        desc: list[bool],
        scope: str,
        render: Callable,
        maximum: int = 100,
        **extra: Any,
    ) -> dict:
        count = parse_count(request, maximum)
        chunk, next_key = page_of(items, key, desc, request, scope, count)
        return collection(
            [render(i) for i in chunk], self.pager(request).block(count, next_key, scope), **extra
        )

    def by_created(
        self, request: Request, rows: list, key: Callable, scope: str, render: Callable
    ) -> dict:
        """Collections the spec sorts by `created_at` only; `key` gives (created_at, id)."""
        (_, desc), *_ = parse_sort(
            request.query_params.get("sort"), ("created_at",), "created_at:asc"
        )
        return self.list_page(request, rows, key, [desc, desc], f"{scope}:{int(desc)}", render)

    # users and organization -------------------------------------------------------------------
    def users_me(self, request: Request, c: Caller) -> dict:
        return {"resource": self.world.user_json(self.world.data.users[c.user])}

    def user(self, request: Request, c: Caller) -> dict:
        uuid = request.path_params["uuid"]
        idx = c.user if uuid == "me" else self.world.lookup("user", uuid)
        if idx is None or not self.world.is_member(idx):
            raise not_found()
        return {"resource": self.world.user_json(self.world.data.users[idx])}

    def organization(self, request: Request, c: Caller) -> dict:
        if self.world.lookup("organization", request.path_params["uuid"]) is None:
            raise not_found()
        return {"resource": self.world.organization_json()}

    def memberships(self, request: Request, c: Caller) -> dict:
        w = self.world
        has_org = require_org(w, request, required=False)
        user = ref(w, request, "user", "user", not_found())
        if not has_org and user is None:
            raise invalid("organization", "organization or user is required")
        role = parse_enum(request, "role", ("owner", "admin", "user"))
        email = request.query_params.get("email")
        rows = [
            u
            for u in w.members()
            if (user is None or u.idx == user)
            and (role is None or u.role == role)
            and (email is None or u.email == email)
        ]
        return self.list_page(
            request,
            rows,
            lambda u: (u.joined_us, u.idx),
            [False, False],
            "memberships",
            w.membership_json,
        )

    def membership(self, request: Request, c: Caller) -> dict:
        idx = self.world.lookup("membership", request.path_params["uuid"])
        if idx is None or not self.world.is_member(idx):
            raise not_found()
        return {"resource": self.world.membership_json(self.world.data.users[idx])}

    def _check_org_path(self, uuid: str) -> None:
        if self.world.lookup("organization", uuid) is None:
            raise forbidden()

    def invitations(self, request: Request, c: Caller) -> dict:
        w = self.world
        self._check_org_path(request.path_params["uuid"])
        if not c.admin:
            raise forbidden()
        status = parse_enum(request, "status", ("pending", "accepted", "declined"))
        email = request.query_params.get("email")
        rows = [
            i
            for i in w.data.invitations
            if (status is None or i.status == status) and (email is None or i.email == email)
        ]
        return self.by_created(
            request, rows, lambda i: (i.created_us, i.idx), "invitations", w.invitation_json
        )

    def invitation(self, request: Request, c: Caller) -> dict:
        self._check_org_path(request.path_params["org_uuid"])
        if not c.admin:
            raise forbidden()
        idx = self.world.lookup("invitation", request.path_params["uuid"])
        if idx is None:
            raise not_found()
        return {"resource": self.world.invitation_json(self.world.data.invitations[idx])}

    # groups ------------------------------------------------------------------------------------
    def groups(self, request: Request, c: Caller) -> dict:
        require_org(self.world, request)
        rows = list(range(len(self.world.data.groups)))
        return self.list_page(
            request, rows, lambda g: (g,), [False], "groups", self.world.group_json
        )

    def group(self, request: Request, c: Caller) -> dict:
        idx = self.world.lookup("group", request.path_params["uuid"])
        if idx is None:
            raise not_found()
        return {"resource": self.world.group_json(idx)}

    def relationships(self, request: Request, c: Caller) -> dict:
        w = self.world
        require_org(w, request, required=False)
        group = ref(
            w, request, "group", "group", invalid("group", "is not a group of this organization")
        )
        owner_raw = request.query_params.get("owner")
        owner: tuple[str, int] | None = None
        if owner_raw:
            if "/invitations/" in owner_raw:
                idx = ref(
                    w,
                    request,
                    "owner",
                    "invitation",
                    invalid("owner", "is not an invitation of this organization"),
                )
                owner = ("invitation", idx)
            else:
                member = invalid("owner", "is not a membership of this organization")
                owner = ("membership", ref(w, request, "owner", "membership", member))
        rows = [
            r
            for r in w.live_relationships()
            if (group is None or r.group == group)
            and (owner is None or (r.owner_kind, r.owner) == owner)
        ]
        return self.list_page(
            request,
            rows,
            lambda r: (r.created_us, r.idx),
            [False, False],
            "relationships",
            w.relationship_json,
        )

    def relationship(self, request: Request, c: Caller) -> dict:
        idx = self.world.lookup("relationship", request.path_params["uuid"])
        if idx is None or self.world.data.relationships[idx] not in self.world.live_relationships():
            raise not_found()
        return {"resource": self.world.relationship_json(self.world.data.relationships[idx])}

    # event types -------------------------------------------------------------------------------
    def event_types(self, request: Request, c: Caller) -> dict:
        w = self.world
        has_org = require_org(w, request, required=False)
        user = member_ref(w, request)
        if not has_org and user is None:
            raise invalid("organization", "organization or user is required")
        active = parse_bool(request, "active")
        managed = parse_bool(request, "admin_managed")
        sort = parse_sort(
            request.query_params.get("sort"),
            ("name", "position", "created_at", "updated_at"),
            "name:asc",
        )
        rows = [
            et
            for et in w.data.event_types
            if et.deleted_us is None
            and et.idx != w.unlisted_event_type
            and (user is None or user in et.hosts)
            and (active is None or et.active == active)
            and (managed is None or et.admin_managed == managed)
        ]
        fields = {
            "name": lambda e: e.name or "",  # WildData.null_names: null sorts first
            "position": lambda e: e.position,
            "created_at": lambda e: e.created_us,
            "updated_at": lambda e: e.updated_us,
        }

        def key(et: Any) -> tuple:
            return (*(fields[f](et) for f, _ in sort), et.idx)

        desc = [d for _, d in sort] + [False]
        scope = "event_types:" + ",".join(f"{f}{int(d)}" for f, d in sort)
        return self.list_page(request, rows, key, desc, scope, lambda et: w.event_type_json(et.idx))

    def event_type(self, request: Request, c: Caller) -> dict:
        idx = self.world.lookup("event_type", request.path_params["uuid"])
        if idx is None:
            raise not_found()
        return {"resource": self.world.event_type_json(idx)}

    def event_type_memberships(self, request: Request, c: Caller) -> dict:
        w = self.world
        raw = request.query_params.get("event_type")
        if not raw:
            raise invalid("event_type", "is required")
        et_idx = ref(w, request, "event_type", "event_type", not_found())
        hosts = [h for h in w.data.event_types[et_idx].hosts if w.is_member(h)]
        return self.list_page(
            request,
            hosts,
            lambda h: (h,),
            [False],
            "etm",
            lambda h: w.event_type_membership_json(et_idx, h),
        )

    # scheduled events ----------------------------------------------------------------------------
    def scheduled_events(self, request: Request, c: Caller) -> dict:
        w = self.world
        has_org = require_org(w, request, required=False)
        user = member_ref(w, request)
        group = ref(w, request, "group", "group", not_found())
        if not (has_org or user is not None or group is not None):
            raise invalid("organization", "one of organization, user or group is required")
        if group is not None and not has_org:
            raise forbidden(ALSO_ORG)
        if user is not None and user != c.user and not has_org:
            raise forbidden(ALSO_ORG)
        own = user is not None and user == c.user
        if not (c.admin or own or (group is not None and w.is_group_admin(c.user, group))):
            raise forbidden()
        status = parse_enum(request, "status", ("active", "canceled"))
        (_, desc), *_ = parse_sort(
            request.query_params.get("sort"), ("start_time",), "start_time:asc"
        )
        lo_t = parse_time(request, "min_start_time")
        hi_t = parse_time(request, "max_start_time")
        email = request.query_params.get("invitee_email")
        count = parse_count(request)
        ev = w.data.events
        s = ev.sorted_start
        lo = 0 if lo_t is None else int(np.searchsorted(s, lo_t, "left"))
        hi = len(s) if hi_t is None else int(np.searchsorted(s, hi_t, "left"))
        scope = f"events:{int(desc)}"
        cursor = decode_token(request, scope)
        if cursor is not None:
            try:
                c_start, c_eid = int(cursor[0]), int(cursor[1])
            except (ValueError, IndexError, TypeError):
                raise invalid("page_token", "is invalid") from None
            # rows are ordered by (start, id); descending order is the same list reversed
            pos = int(np.searchsorted(s, c_start, "left"))
            while pos < len(s) and s[pos] == c_start and ev.order[pos] < c_eid:
                pos += 1
            if desc:
                hi = min(hi, pos)
            else:
                lo = max(lo, pos + 1 if pos < len(s) and ev.order[pos] == c_eid else pos)
        hosts: np.ndarray | None = None
        if user is not None:
            hosts = np.asarray([user])
        elif group is not None:
            hosts = np.asarray(
                sorted(
                    {
                        r.owner
                        for r in w.live_relationships()
                        if r.group == group and r.owner_kind == "membership"
                    }
                )
            )
        picked: list[int] = []
        while len(picked) <= count and lo < hi:
            if desc:
                block = ev.order[max(lo, hi - _SCAN_CHUNK) : hi][::-1]
                hi = max(lo, hi - _SCAN_CHUNK)
            else:
                block = ev.order[lo : min(hi, lo + _SCAN_CHUNK)]
                lo = min(hi, lo + _SCAN_CHUNK)
            mask = ~ev.deleted[block]
            if status is not None:
                mask &= ev.status[block] == (1 if status == "canceled" else 0)
            if hosts is not None:
                mask &= np.isin(ev.host0[block], hosts) | np.isin(ev.host1[block], hosts)
            chosen = block[mask].tolist()
            if email is not None:
                chosen = [e for e in chosen if w.invitee_emails(e).count(email)]
            picked.extend(chosen)
        page, more = picked[:count], len(picked) > count
        next_key = (int(ev.start[page[-1]]), page[-1]) if more else None
        return collection(
            [w.event_json(e) for e in page], self.pager(request).block(count, next_key, scope)
        )

    def _event_for(self, uuid: str, c: Caller) -> int:
        w = self.world
        eid = w.lookup("event", uuid)
        if eid is None or w.data.events.deleted[eid]:
            raise not_found()
        if not c.admin and c.user not in w.event_hosts(eid):
            raise forbidden(NOT_ALLOWED_EVENT)
        return eid

    def scheduled_event(self, request: Request, c: Caller) -> dict:
        return {"resource": self.world.event_json(self._event_for(request.path_params["uuid"], c))}

    def invitees(self, request: Request, c: Caller) -> dict:
        w = self.world
        eid = self._event_for(request.path_params["uuid"], c)
        status = parse_enum(request, "status", ("active", "canceled"))
        email = request.query_params.get("email")
        rows = []
        for k in range(int(w.data.events.n_inv[eid])):
            if status is not None and w.invitee_status(eid, k) != status:
                continue
            if email is not None and w.identity(eid, k)[1] != email:
                continue
            rows.append((w.invitee_created_us(eid, k), k))
        return self.by_created(
            request, rows, lambda r: r, "invitees", lambda r: w.invitee_json(eid, r[1])
        )

    def invitee(self, request: Request, c: Caller) -> dict:
        w = self.world
        eid = self._event_for(request.path_params["event_uuid"], c)
        ident = w.lookup("invitee", request.path_params["invitee_uuid"])
        if ident is None or ident // INVITEE_SLOTS != eid:
            raise not_found()
        k = ident % INVITEE_SLOTS
        if not w.invitee_exists(eid, k):
            raise not_found()
        return {"resource": w.invitee_json(eid, k)}

    def no_show(self, request: Request, c: Caller) -> dict:
        w = self.world
        ident = w.lookup("no_show", request.path_params["uuid"])
        if ident is None or not w.invitee_exists(*divmod(ident, INVITEE_SLOTS)):
            raise not_found()
        eid, k = divmod(ident, INVITEE_SLOTS)
        self._event_for(w.uri("event", eid), c)
        out = w.no_show_json(eid, k)
        if out is None:
            raise not_found()
        return {"resource": out}

    # routing forms -------------------------------------------------------------------------------
    def routing_forms(self, request: Request, c: Caller) -> dict:
        w = self.world
        require_org(w, request)
        return self.by_created(
            request,
            w.data.routing_forms,
            lambda f: (f.created_us, f.idx),
            "forms",
            lambda f: w.routing_form_json(f.idx),
        )

    def routing_form(self, request: Request, c: Caller) -> dict:
        idx = self.world.lookup("routing_form", request.path_params["uuid"])
        if idx is None:
            raise not_found()
        return {"resource": self.world.routing_form_json(idx)}

    def submissions(self, request: Request, c: Caller) -> dict:
        w = self.world
        if not request.query_params.get("form"):
            raise invalid("form", "is required")
        form = ref(w, request, "form", "routing_form", not_found())
        rows = [sub for sub in w.data.submissions if sub.form == form]
        return self.by_created(
            request,
            rows,
            lambda s: (s.created_us, s.idx),
            "submissions",
            lambda s: w.submission_json(s.idx),
        )

    def submission(self, request: Request, c: Caller) -> dict:
        idx = self.world.lookup("submission", request.path_params["uuid"])
        if idx is None:
            raise not_found()
        return {"resource": self.world.submission_json(idx)}

    # webhooks, audit ---------------------------------------------------------------------------
    def _plan_at_least(self, plan: str, message: str) -> None:
        if PLANS.index(self.world.data.plan) < PLANS.index(plan):
            raise forbidden(message)

    def webhooks(self, request: Request, c: Caller) -> dict:
        w = self.world
        require_org(w, request)
        scope = parse_enum(request, "scope", ("user", "organization", "group"))
        if scope is None:
            raise invalid("scope", "is required")
        self._plan_at_least("standard", UPGRADE_STANDARD)
        user = member_ref(w, request)
        group = ref(w, request, "group", "group", not_found())
        if scope == "user" and user is None:
            raise invalid("user", "is required when scope is user")
        if scope == "group" and group is None:
            raise invalid("group", "is required when scope is group")
        if not c.admin and (scope != "user" or user != c.user):
            raise forbidden()
        rows = [
            h
            for h in w.data.webhooks
            if h.scope == scope
            and (scope != "user" or h.user == user)
            and (scope != "group" or h.group == group)
        ]
        return self.by_created(
            request,
            rows,
            lambda h: (h.created_us, h.idx),
            "webhooks",
            lambda h: w.webhook_json(h.idx),
        )

    def webhook(self, request: Request, c: Caller) -> dict:
        self._plan_at_least("standard", UPGRADE_STANDARD)
        idx = self.world.lookup("webhook", request.path_params["webhook_uuid"])
        if idx is None:
            raise not_found()
        hook = self.world.data.webhooks[idx]
        if not c.admin and hook.user != c.user:
            raise forbidden()
        return {"resource": self.world.webhook_json(idx)}

    def activity_log(self, request: Request, c: Caller) -> dict:
        w = self.world
        require_org(w, request)
        self._plan_at_least("enterprise", UPGRADE_ENTERPRISE)
        if not c.admin:
            raise forbidden()
        q = request.query_params
        sort = parse_sort(
            ",".join(_multi(q, "sort")) or None,
            ("action", "actor.display_name", "actor.uri", "namespace", "occurred_at"),
            "occurred_at:desc",
        )
        lo_t, hi_t = parse_time(request, "min_occurred_at"), parse_time(request, "max_occurred_at")
        term = (q.get("search_term") or "").lower()
        actors = {w.lookup("user", a) for a in _multi(q, "actor")}
        namespaces, actions = set(_multi(q, "namespace")), set(_multi(q, "action"))
        users = w.data.users

        def fields(e: Any) -> dict:
            return {
                "action": e.action,
                "actor.display_name": users[e.actor].name,
                "actor.uri": w.uri("user", e.actor),
                "namespace": e.namespace,
                "occurred_at": e.occurred_us,
            }

        rows = [
            e
            for e in w.data.activity
            if (lo_t is None or e.occurred_us >= lo_t)
            and (hi_t is None or e.occurred_us < hi_t)
            and (not actors or e.actor in actors)
            and (not namespaces or e.namespace in namespaces)
            and (not actions or e.action in actions)
            and (not term or term in f"{e.namespace}.{e.action} {users[e.actor].name}".lower())
        ]

        def key(e: Any) -> tuple:
            f = fields(e)
            return (*(f[name] for name, _ in sort), e.idx)

        desc = [d for _, d in sort] + [False]
        last = max((e.occurred_us for e in w.data.activity), default=None)
        scope = "activity:" + ",".join(f"{f}{int(d)}" for f, d in sort)
        return self.list_page(
            request,
            rows,
            key,
            desc,
            scope,
            lambda e: w.activity_json(e.idx),
            maximum=1000,
            last_event_time=fmt_us(last) if last is not None else None,
            total_count=len(rows),
            exceeds_max_total_count=False,
        )

    def outgoing(self, request: Request, c: Caller) -> dict:
        w = self.world
        require_org(w, request)
        self._plan_at_least("enterprise", UPGRADE_ENTERPRISE)
        if not c.admin:
            raise forbidden()
        lo_t, hi_t = parse_time(request, "min_created_at"), parse_time(request, "max_created_at")
        sent = w.comm_sent
        hi = int(np.searchsorted(sent, w.now_us, "right"))
        if hi_t is not None:
            hi = min(hi, int(np.searchsorted(sent, hi_t, "left")))
        lo = 0 if lo_t is None else int(np.searchsorted(sent, lo_t, "left"))
        live = [i for i in range(lo, hi) if not w.data.events.deleted[int(w.comm_eid[i])]]
        return self.list_page(
            request,
            live,
            lambda i: (int(sent[i]), i),
            [False, False],
            "comms",
            w.comm_json,
            total_count=len(live),
        )

    # availability and locations
    def schedules(self, request: Request, c: Caller) -> dict:
        if not request.query_params.get("user"):
            raise invalid("user", "is required")
        user = member_ref(self.world, request)
        return {"collection": self.world.schedules_json(user)}

    def schedule(self, request: Request, c: Caller) -> dict:
        ident = self.world.lookup("schedule", request.path_params["uuid"])
        if ident is None or not self.world.is_member(ident // 4):
            raise not_found()
        match = [
            s
            for s in self.world.schedules_json(ident // 4)
            if s["uri"].endswith(request.path_params["uuid"])
        ]
        if not match:
            raise not_found()
        return {"resource": match[0]}

    def locations(self, request: Request, c: Caller) -> dict:
        if not request.query_params.get("user"):
            raise invalid("user", "is required")
        return {"collection": self.world.locations_json(member_ref(self.world, request))}


# ~~~
# OAuth and world controls
# ~~~
CONTROLS = (
    "advance",
    "book_event",
    "cancel_event",
    "reschedule",
    "mark_no_show",
    "remove_member",
    "send_invitation",
    "accept_invitation",
    "edit_event_type",
    "delete_event_data",
    "restore_event_data",
    "rename",
    "revoke_token",
    "expire_access_tokens",
    "revoke_grant",
    "expire_refresh_tokens",
    "counts",
)


async def control(request: Request) -> Response:
    world: World = request.app.state.world
    name = request.path_params["name"]
    if name == "manifest":
        return JSONResponse(build_manifest(world))
    if name == "stats":
        return JSONResponse(request.app.state.gate.stats())
    if name not in CONTROLS:
        return JSONResponse(
            {"error": f"unknown control {name!r}", "controls": list(CONTROLS)}, status_code=404
        )
    if request.method != "POST":
        return JSONResponse({"error": f"use POST /_sandbox/{name}"}, status_code=405)
    raw = await request.body()
    try:
        kwargs = json.loads(raw) if raw else {}
        if not isinstance(kwargs, dict):
            raise ValueError("the body must be a JSON object of keyword arguments")
        result = getattr(world, name)(**kwargs)
    except (ValueError, TypeError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"result": result})


# ~~~
# the gate: rate limits, faults, headers, stats
# ~~~
class Gate:
    """Pure ASGI wrapper around the router; faults and limits never touch /_sandbox or /oauth."""

    def __init__(self, app: Any, world: World, rate_limit: int, faults: FaultConfig) -> None:
        self.app, self.world = app, world
        self.limit = rate_limit
        self.windows: dict[str, tuple[float, int]] = {}
        self.mutex = threading.Lock()
        self.counter: Counter[str] = Counter()
        self.by_path: Counter[str] = Counter()
        self.set_faults(faults)

    def set_faults(self, faults: FaultConfig) -> None:
        with self.mutex:
            self.faults = faults
            self.rng = random.Random(faults.seed)
            self.burst_left = faults.burst_429
            self.expire_left = faults.expire_page_tokens
            self.vanish_left = faults.vanish_between_pages
            self.endless_tokens = 0

    def stats(self) -> dict:
        with self.mutex:
            return {
                "requests": self.counter["requests"],
                "by_path": dict(self.by_path),
                **{k: v for k, v in self.counter.items() if k != "requests"},
            }

    @property
    def window_limit(self) -> int:
        """The budget per window: the per-minute limit scaled to the window, rounded up."""
        span = self.faults.rate_window_seconds
        return -(-self.limit * span // 60) if self.limit else 1_000_000

    def _window(self, key: str) -> tuple[int, int, bool]:
        """(remaining, seconds to reset, allowed) for this token's fixed window."""
        limit, span = self.window_limit, self.faults.rate_window_seconds
        now = time.monotonic()
        start, used = self.windows.get(key, (now, 0))
        if now - start >= span:
            start, used = now, 0
        allowed = used < limit
        used += 1 if allowed else 0
        self.windows[key] = (start, used)
        reset = max(1, int(span - (now - start) + 0.999))
        return max(0, limit - used), reset, allowed

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        internal = path.startswith("/_sandbox/") or path.startswith("/oauth/")
        date = formatdate(self.world.now_us / 1_000_000, usegmt=True).encode()
        headers: list[tuple[bytes, bytes]] = [(b"date", date)]
        if not internal and self.faults.no_date_header:
            headers = []
        fault = None
        rewrite = None
        route = _route_name(path)
        if not internal:
            token = (
                dict(scope["headers"])
                .get(b"authorization", b"")
                .decode("latin-1")
                .partition(" ")[2]
                .strip()
            )
            with self.mutex:
                self.counter["requests"] += 1
                self.by_path[route] += 1
                remaining, reset, allowed = self._window(token or "anonymous")
                targeted = self.faults.applies_to(route)
                if allowed and targeted and self.burst_left > 0:
                    self.burst_left -= 1
                    allowed, remaining = False, 0
                    reset = self.faults.retry_after_seconds or reset
                fault = self._draw() if allowed and targeted else None
                if not allowed:
                    self.counter["429"] += 1
                page = self._page_fault(scope) if allowed and not fault and targeted else None
            faults = self.faults
            echo = token if faults.echo_token_in_errors else None
            if not faults.no_rate_headers:
                headers += [
                    (b"x-ratelimit-limit", str(self.window_limit).encode()),
                    (b"x-ratelimit-remaining", str(remaining).encode()),
                    (b"x-ratelimit-reset", str(reset).encode()),
                ]
            if not allowed:
                body = _error_body(
                    "Too Many Requests",
                    "You have exceeded the rate limit. Please retry later.",
                    echo,
                )
                if not faults.no_retry_after:
                    headers.append((b"retry-after", str(reset).encode()))
                await _send_json(send, 429, body, headers)
                return
            if isinstance(page, tuple):
                status, answer = page
                await _send_json(send, status, json.dumps(answer).encode(), headers)
                return
            rewrite = self._rewriter(scope, page, echo)
            if fault == "latency":
                await asyncio.sleep(self.faults.latency_ms / 1000)
            elif fault == "error":
                status = self.rng.choice((500, 502, 503))
                body = _error_body(
                    "Internal Server Error",
                    self.faults.error_message
                    or "The server encountered an unexpected condition that prevented "
                    "it from fulfilling the request.",
                    echo,
                )
                with self.mutex:
                    self.counter["5xx"] += 1
                await _send_json(send, status, body, headers)
                return
        await self.app(scope, receive, self._sender(send, headers, fault, rewrite))

    def _page_fault(self, scope: dict) -> tuple[int, dict] | str | None:
        """The wild paging faults for a request that carries a `page_token` (under the mutex).

        A (status, body) tuple answers in place of the API; otherwise how `_rewriter` changes
        the API's page: "vanish" drops its first record, "fresh" hands out a new token, "string"
        serves its collection as a string, "understate" its `total_count` as 1; None: as is.
        """
        f = self.faults
        query = parse_qs(scope["query_string"].decode("latin-1"))
        token = (query.get("page_token") or [""])[0]
        if f.string_collection:
            return "string"
        if f.understated_total and not token:
            return "understate"
        if f.stuck_page_tokens:
            # Every token leads back to the first page, under a new token each time.
            query.pop("page_token", None)
            scope["query_string"] = urlencode(query, doseq=True).encode()
            return "fresh"
        if not token:
            return "fresh" if f.endless_page_tokens else None
        request = Request(scope)
        if self.expire_left > 0:
            self.expire_left -= 1
            self.counter["expired_tokens"] += 1
            return 400, invalid("page_token", "has expired; start again from the first page").body()
        if f.endless_page_tokens:
            self.endless_tokens += 1
            fresh = encode_token("endless", [self.endless_tokens])
            return 200, empty_page(request, self.world.base, fresh)
        if f.empty_page_with_token and not token.startswith(EMPTY_MARK):
            self.counter["empty_pages"] += 1
            return 200, empty_page(request, self.world.base, EMPTY_MARK + token)
        if token.startswith(EMPTY_MARK):
            # The page behind an empty one: the handler reads the real token.
            query["page_token"] = [token.removeprefix(EMPTY_MARK)]
            scope["query_string"] = urlencode(query, doseq=True).encode()
        if self.vanish_left > 0:
            self.vanish_left -= 1
            self.counter["vanished"] += 1
            return "vanish"
        return None

    def _rewriter(
        self, scope: dict, page: str | None, echo: str | None
    ) -> Callable[[int, dict], dict] | None:
        """How the handler's JSON answer is changed on its way out (None: not at all)."""
        if page is None and echo is None:
            return None

        def rewrite(status: int, body: dict) -> dict:
            if echo is not None and status >= 400 and isinstance(body.get("message"), str):
                body["message"] = _echo(body["message"], echo)
            pagination = body.get("pagination")
            if status != 200 or not isinstance(pagination, dict):
                return body
            if page == "vanish" and body.get("collection"):
                body["collection"] = body["collection"][1:]
            if page == "string":
                body["collection"] = json.dumps(body.get("collection"))
            if page == "understate" and "total_count" in body:
                body["total_count"] = 1
            if page == "fresh":
                with self.mutex:
                    self.endless_tokens += 1
                    fresh = encode_token("endless", [self.endless_tokens])
                body["pagination"] = empty_page(Request(scope), self.world.base, fresh)[
                    "pagination"
                ]
            return body

        return rewrite

    def _draw(self) -> str | None:
        f, r = self.faults, self.rng
        if f.error_rate and r.random() < f.error_rate:
            return "error"
        if f.drop_rate and r.random() < f.drop_rate:
            self.counter["dropped"] += 1
            return "drop"
        if f.malformed_rate and r.random() < f.malformed_rate:
            self.counter["malformed"] += 1
            return "malformed"
        if f.latency_ms and f.latency_rate and r.random() < f.latency_rate:
            self.counter["delayed"] += 1
            return "latency"
        return None

    def _sender(
        self,
        send: Callable,
        extra: list[tuple[bytes, bytes]],
        fault: str | None,
        rewrite: Callable[[int, dict], dict] | None = None,
    ) -> Callable:
        held: dict[str, Any] = {}

        async def wrapped(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"date"
                ] + extra
                cut_short = fault in ("drop", "malformed") and message["status"] == 200
                if cut_short or rewrite is not None:
                    held["start"] = message
                    return
                await send(message)
                return
            if message["type"] == "http.response.body" and "start" in held:
                body = message.get("body", b"")
                start = held.pop("start")
                if rewrite is not None:
                    # Handlers answer with one JSONResponse body, so it is whole here.
                    answer = json.loads(body)
                    body = json.dumps(rewrite(start["status"], answer)).encode()
                    _set_length(start, len(body))
                    if not (fault in ("drop", "malformed") and start["status"] == 200):
                        await send(start)
                        await send({"type": "http.response.body", "body": body})
                        return
                cut = body[: max(1, len(body) // 2)]
                if fault == "malformed":
                    _set_length(start, len(cut))
                    await send(start)
                    await send({"type": "http.response.body", "body": cut, "more_body": False})
                    return
                await send(start)
                await send({"type": "http.response.body", "body": cut, "more_body": True})
                raise DropConnection("fault injection: connection dropped mid-body")
            await send(message)

        return wrapped


def _set_length(start: dict, length: int) -> None:
    """Replace the Content-Length of a held `http.response.start` message."""
    start["headers"] = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
    start["headers"].append((b"content-length", str(length).encode()))


def _echo(message: str, token: str) -> str:
    """What a careless server or proxy does: quote the request's credentials back."""
    return f"{message} (request header Authorization: Bearer {token})"


def _error_body(title: str, message: str, echo: str | None) -> bytes:
    """An error body as Calendly shapes it; `echo` is the token the echo fault quotes."""
    return json.dumps(
        {"title": title, "message": _echo(message, echo) if echo is not None else message}
    ).encode()


async def _send_json(
    send: Callable, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


_SEGMENT = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _route_name(path: str) -> str:
    return _SEGMENT.sub("/{uuid}", path)


def build_app(world: World, rate_limit: int, faults: FaultConfig) -> Gate:
    routes_spec: list[tuple[str, str]] = [
        ("/users/me", "users_me"),
        ("/users/{uuid}", "user"),
        ("/organizations/{uuid}", "organization"),
        ("/organization_memberships", "memberships"),
        ("/organization_memberships/{uuid}", "membership"),
        ("/organizations/{uuid}/invitations", "invitations"),
        ("/organizations/{org_uuid}/invitations/{uuid}", "invitation"),
        ("/groups", "groups"),
        ("/groups/{uuid}", "group"),
        ("/group_relationships", "relationships"),
        ("/group_relationships/{uuid}", "relationship"),
        ("/event_types", "event_types"),
        ("/event_types/{uuid}", "event_type"),
        ("/event_type_memberships", "event_type_memberships"),
        ("/scheduled_events", "scheduled_events"),
        ("/scheduled_events/{uuid}", "scheduled_event"),
        ("/scheduled_events/{uuid}/invitees", "invitees"),
        ("/scheduled_events/{event_uuid}/invitees/{invitee_uuid}", "invitee"),
        ("/invitee_no_shows/{uuid}", "no_show"),
        ("/routing_forms", "routing_forms"),
        ("/routing_forms/{uuid}", "routing_form"),
        ("/routing_form_submissions", "submissions"),
        ("/routing_form_submissions/{uuid}", "submission"),
        ("/webhook_subscriptions", "webhooks"),
        ("/webhook_subscriptions/{webhook_uuid}", "webhook"),
        ("/activity_log_entries", "activity_log"),
        ("/outgoing_communications", "outgoing"),
        ("/user_availability_schedules", "schedules"),
        ("/user_availability_schedules/{uuid}", "schedule"),
        ("/locations", "locations"),
    ]
    starlette = Starlette(routes=[], exception_handlers={404: _starlette_404, 405: _starlette_405})
    gate = Gate(starlette, world, rate_limit, faults)
    api = Api(world, gate)

    def endpoint(handler: Callable[[Request, Caller], dict]) -> Callable:
        async def run(request: Request) -> Response:
            try:
                with world.lock:
                    caller = authenticate(world, request)
                    body = handler(request, caller)
            except ApiError as err:
                if err.status == 400 and err.details is not None:
                    err.details = _all_invalid(request, err.details)
                return JSONResponse(err.body(), status_code=err.status, headers=err.headers)
            return JSONResponse(body)

        return run

    routes = [
        Route(path, endpoint(getattr(api, name)), methods=["GET"]) for path, name in routes_spec
    ]
    routes += [
        *(Route(path, handler, methods=methods) for path, handler, methods in oauth.routes()),
        Route("/_sandbox/{name}", control, methods=["GET", "POST"]),
    ]
    starlette.router.routes.extend(routes)
    starlette.state.world = world
    starlette.state.oauth = oauth.OAuthServer(world)
    starlette.state.gate = gate
    return gate


def _all_invalid(request: Request, details: list[dict]) -> list[dict]:
    """Handlers stop at the first bad parameter; the answer lists every bad common one."""
    named = {d.get("parameter") for d in details}
    extra = []
    maximum = 1000 if request.url.path == "/activity_log_entries" else 100
    checks: list[Callable[[], object]] = [lambda: parse_count(request, maximum)]
    for name in (
        "min_start_time",
        "max_start_time",
        "min_occurred_at",
        "max_occurred_at",
        "min_created_at",
        "max_created_at",
    ):
        checks.append(lambda name=name: parse_time(request, name))
    for check in checks:
        try:
            check()
        except ApiError as err:
            extra += [d for d in err.details or [] if d.get("parameter") not in named]
    return extra + details


async def _starlette_404(request: Request, exc: Exception) -> Response:
    return JSONResponse(not_found().body(), status_code=404)


async def _starlette_405(request: Request, exc: Exception) -> Response:
    return JSONResponse(
        {"title": "Method Not Allowed", "message": "This operation is not supported."},
        status_code=405,
    )

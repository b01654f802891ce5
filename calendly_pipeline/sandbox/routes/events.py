"""`/scheduled_events` (windows bisected over numpy columns), their invitees and no-shows."""

from __future__ import annotations

import numpy as np
from starlette.requests import Request

from calendly_pipeline.sandbox.pagination import (
    decode_token,
    forbidden,
    invalid,
    not_found,
    parse_count,
)
from calendly_pipeline.sandbox.routes.base import Handlers
from calendly_pipeline.sandbox.routes.params import (
    Caller,
    collection,
    member_ref,
    parse_enum,
    parse_sort,
    parse_time,
    ref,
    require_org,
)
from calendly_pipeline.sandbox.uris import INVITEE_SLOTS

ALSO_ORG = (
    "Please also specify organization when requesting events for a user (or group) "
    "within your organization."
)
NOT_ALLOWED_EVENT = "You are not allowed to view this event"
SCAN_CHUNK = 4096


class EventRoutes(Handlers):
    """Scheduled events, their invitees and no-shows."""

    ROUTES = (
        ("/scheduled_events", "scheduled_events"),
        ("/scheduled_events/{uuid}", "scheduled_event"),
        ("/scheduled_events/{uuid}/invitees", "invitees"),
        ("/scheduled_events/{event_uuid}/invitees/{invitee_uuid}", "invitee"),
        ("/invitee_no_shows/{uuid}", "no_show"),
    )

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
                block = ev.order[max(lo, hi - SCAN_CHUNK) : hi][::-1]
                hi = max(lo, hi - SCAN_CHUNK)
            else:
                block = ev.order[lo : min(hi, lo + SCAN_CHUNK)]
                lo = min(hi, lo + SCAN_CHUNK)
            mask = ~ev.deleted[block]
            if status is not None:
                mask &= ev.status[block] == (1 if status == "canceled" else 0)
            if hosts is not None:
                mask &= np.isin(ev.host0[block], hosts) | np.isin(ev.host1[block], hosts)
            chosen = block[mask].tolist()
            if email is not None:
                chosen = [e for e in chosen if w.invitees.emails(e).count(email)]
            picked.extend(chosen)
        page, more = picked[:count], len(picked) > count
        next_key = (int(ev.start[page[-1]]), page[-1]) if more else None
        return collection(
            [w.events.event_json(e) for e in page],
            self.pager(request).block(count, next_key, scope),
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
        return {
            "resource": self.world.events.event_json(
                self._event_for(request.path_params["uuid"], c)
            )
        }

    def invitees(self, request: Request, c: Caller) -> dict:
        w = self.world
        eid = self._event_for(request.path_params["uuid"], c)
        status = parse_enum(request, "status", ("active", "canceled"))
        email = request.query_params.get("email")
        rows = []
        for k in range(int(w.data.events.n_inv[eid])):
            if status is not None and w.invitees.status(eid, k) != status:
                continue
            if email is not None and w.invitees.identity(eid, k)[1] != email:
                continue
            rows.append((w.invitees.created_us(eid, k), k))
        return self.by_created(
            request, rows, "invitees", lambda r: w.invitees.invitee_json(eid, r[1]), key=lambda r: r
        )

    def invitee(self, request: Request, c: Caller) -> dict:
        w = self.world
        eid = self._event_for(request.path_params["event_uuid"], c)
        ident = w.lookup("invitee", request.path_params["invitee_uuid"])
        if ident is None or ident // INVITEE_SLOTS != eid:
            raise not_found()
        k = ident % INVITEE_SLOTS
        if not w.invitees.exists(eid, k):
            raise not_found()
        return {"resource": w.invitees.invitee_json(eid, k)}

    def no_show(self, request: Request, c: Caller) -> dict:
        w = self.world
        ident = w.lookup("no_show", request.path_params["uuid"])
        if ident is None or not w.invitees.exists(*divmod(ident, INVITEE_SLOTS)):
            raise not_found()
        eid, k = divmod(ident, INVITEE_SLOTS)
        self._event_for(w.uri("event", eid), c)
        out = w.invitees.no_show_json(eid, k)
        if out is None:
            raise not_found()
        return {"resource": out}

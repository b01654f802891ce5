"""`/event_types`, their hosts (`/event_type_memberships`), availability schedules, locations."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from calendly_pipeline.sandbox.pagination import invalid, not_found
from calendly_pipeline.sandbox.routes.base import Handlers
from calendly_pipeline.sandbox.routes.params import (
    Caller,
    member_ref,
    parse_bool,
    parse_sort,
    ref,
    require_org,
)


class EventTypeRoutes(Handlers):
    """What members offer to book, and when and where."""

    ROUTES = (
        ("/event_types", "event_types"),
        ("/event_types/{uuid}", "event_type"),
        ("/event_type_memberships", "event_type_memberships"),
        ("/user_availability_schedules", "schedules"),
        ("/user_availability_schedules/{uuid}", "schedule"),
        ("/locations", "locations"),
    )

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
        return self.list_page(
            request, rows, key, desc, scope, lambda et: w.event_types.event_type_json(et.idx)
        )

    def event_type(self, request: Request, c: Caller) -> dict:
        idx = self.path_id(request, "event_type")
        return {"resource": self.world.event_types.event_type_json(idx)}

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
            lambda h: w.event_types.event_type_membership_json(et_idx, h),
        )

    def schedules(self, request: Request, c: Caller) -> dict:
        if not request.query_params.get("user"):
            raise invalid("user", "is required")
        user = member_ref(self.world, request)
        return {"collection": self.world.event_types.schedules_json(user)}

    def schedule(self, request: Request, c: Caller) -> dict:
        ident = self.world.lookup("schedule", request.path_params["uuid"])
        if ident is None or not self.world.is_member(ident // 4):
            raise not_found()
        match = [
            s
            for s in self.world.event_types.schedules_json(ident // 4)
            if s["uri"].endswith(request.path_params["uuid"])
        ]
        if not match:
            raise not_found()
        return {"resource": match[0]}

    def locations(self, request: Request, c: Caller) -> dict:
        if not request.query_params.get("user"):
            raise invalid("user", "is required")
        return {
            "collection": self.world.event_types.locations_json(member_ref(self.world, request))
        }

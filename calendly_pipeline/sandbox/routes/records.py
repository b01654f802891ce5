"""Routing forms and submissions, webhook subscriptions, the activity log and outgoing
communications: the organization's records, the last three behind plan gates."""

from __future__ import annotations

from typing import Any

import numpy as np
from starlette.requests import Request

from calendly_pipeline.sandbox.ids import fmt_us
from calendly_pipeline.sandbox.pagination import forbidden, invalid, not_found
from calendly_pipeline.sandbox.routes.base import Handlers
from calendly_pipeline.sandbox.routes.params import (
    Caller,
    member_ref,
    multi,
    parse_enum,
    parse_sort,
    parse_time,
    ref,
    require_org,
)

UPGRADE_ENTERPRISE = "Please upgrade your Calendly account to Enterprise."
UPGRADE_STANDARD = "Please upgrade your Calendly account to Standard"


class RecordRoutes(Handlers):
    """Routing forms, webhooks, the activity log and outgoing communications."""

    ROUTES = (
        ("/routing_forms", "routing_forms"),
        ("/routing_forms/{uuid}", "routing_form"),
        ("/routing_form_submissions", "submissions"),
        ("/routing_form_submissions/{uuid}", "submission"),
        ("/webhook_subscriptions", "webhooks"),
        ("/webhook_subscriptions/{webhook_uuid}", "webhook"),
        ("/activity_log_entries", "activity_log"),
        ("/outgoing_communications", "outgoing"),
    )

    def routing_forms(self, request: Request, c: Caller) -> dict:
        w = self.world
        require_org(w, request)
        return self.by_created(
            request, w.data.routing_forms, "forms", lambda f: w.records.routing_form_json(f.idx)
        )

    def routing_form(self, request: Request, c: Caller) -> dict:
        idx = self.path_id(request, "routing_form")
        return {"resource": self.world.records.routing_form_json(idx)}

    def submissions(self, request: Request, c: Caller) -> dict:
        w = self.world
        if not request.query_params.get("form"):
            raise invalid("form", "is required")
        form = ref(w, request, "form", "routing_form", not_found())
        rows = [sub for sub in w.data.submissions if sub.form == form]
        return self.by_created(
            request, rows, "submissions", lambda s: w.records.submission_json(s.idx)
        )

    def submission(self, request: Request, c: Caller) -> dict:
        idx = self.path_id(request, "submission")
        return {"resource": self.world.records.submission_json(idx)}

    def webhooks(self, request: Request, c: Caller) -> dict:
        w = self.world
        require_org(w, request)
        scope = parse_enum(request, "scope", ("user", "organization", "group"))
        if scope is None:
            raise invalid("scope", "is required")
        self.plan_at_least("standard", UPGRADE_STANDARD)
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
        return self.by_created(request, rows, "webhooks", lambda h: w.records.webhook_json(h.idx))

    def webhook(self, request: Request, c: Caller) -> dict:
        self.plan_at_least("standard", UPGRADE_STANDARD)
        idx = self.path_id(request, "webhook", "webhook_uuid")
        hook = self.world.data.webhooks[idx]
        if not c.admin and hook.user != c.user:
            raise forbidden()
        return {"resource": self.world.records.webhook_json(idx)}

    def activity_log(self, request: Request, c: Caller) -> dict:
        w = self.world
        require_org(w, request)
        self.plan_at_least("enterprise", UPGRADE_ENTERPRISE)
        if not c.admin:
            raise forbidden()
        q = request.query_params
        sort = parse_sort(
            ",".join(multi(q, "sort")) or None,
            ("action", "actor.display_name", "actor.uri", "namespace", "occurred_at"),
            "occurred_at:desc",
        )
        lo_t, hi_t = parse_time(request, "min_occurred_at"), parse_time(request, "max_occurred_at")
        term = (q.get("search_term") or "").lower()
        actors = {w.lookup("user", a) for a in multi(q, "actor")}
        namespaces, actions = set(multi(q, "namespace")), set(multi(q, "action"))
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
            lambda e: w.records.activity_json(e.idx),
            maximum=1000,
            last_event_time=fmt_us(last) if last is not None else None,
            total_count=len(rows),
            exceeds_max_total_count=False,
        )

    def outgoing(self, request: Request, c: Caller) -> dict:
        w = self.world
        require_org(w, request)
        self.plan_at_least("enterprise", UPGRADE_ENTERPRISE)
        if not c.admin:
            raise forbidden()
        lo_t, hi_t = parse_time(request, "min_created_at"), parse_time(request, "max_created_at")
        sent = w.records.comm_sent
        hi = int(np.searchsorted(sent, w.now_us, "right"))
        if hi_t is not None:
            hi = min(hi, int(np.searchsorted(sent, hi_t, "left")))
        lo = 0 if lo_t is None else int(np.searchsorted(sent, lo_t, "left"))
        live = [i for i in range(lo, hi) if not w.data.events.deleted[int(w.records.comm_eid[i])]]
        return self.list_page(
            request,
            live,
            lambda i: (int(sent[i]), i),
            [False, False],
            "comms",
            w.records.comm_json,
            total_count=len(live),
        )

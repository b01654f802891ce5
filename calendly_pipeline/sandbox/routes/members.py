"""`/users`, `/organizations`, memberships, invitations, groups and group relationships."""

from __future__ import annotations

from starlette.requests import Request

from calendly_pipeline.sandbox.pagination import forbidden, invalid, not_found
from calendly_pipeline.sandbox.routes.base import Handlers
from calendly_pipeline.sandbox.routes.params import (
    Caller,
    parse_enum,
    ref,
    require_org,
)


class MemberRoutes(Handlers):
    """The organization and who belongs to it."""

    ROUTES = (
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
    )

    def users_me(self, request: Request, c: Caller) -> dict:
        return {"resource": self.world.people.user_json(self.world.data.users[c.user])}

    def user(self, request: Request, c: Caller) -> dict:
        uuid = request.path_params["uuid"]
        idx = c.user if uuid == "me" else self.world.lookup("user", uuid)
        if idx is None or not self.world.is_member(idx):
            raise not_found()
        return {"resource": self.world.people.user_json(self.world.data.users[idx])}

    def organization(self, request: Request, c: Caller) -> dict:
        self.path_id(request, "organization")
        return {"resource": self.world.people.organization_json()}

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
            w.people.membership_json,
        )

    def membership(self, request: Request, c: Caller) -> dict:
        idx = self.world.lookup("membership", request.path_params["uuid"])
        if idx is None or not self.world.is_member(idx):
            raise not_found()
        return {"resource": self.world.people.membership_json(self.world.data.users[idx])}

    def invitations(self, request: Request, c: Caller) -> dict:
        w = self.world
        self.check_org_path(request.path_params["uuid"])
        if not c.admin:
            raise forbidden()
        status = parse_enum(request, "status", ("pending", "accepted", "declined"))
        email = request.query_params.get("email")
        rows = [
            i
            for i in w.data.invitations
            if (status is None or i.status == status) and (email is None or i.email == email)
        ]
        return self.by_created(request, rows, "invitations", w.people.invitation_json)

    def invitation(self, request: Request, c: Caller) -> dict:
        self.check_org_path(request.path_params["org_uuid"])
        if not c.admin:
            raise forbidden()
        idx = self.path_id(request, "invitation")
        return {"resource": self.world.people.invitation_json(self.world.data.invitations[idx])}

    def groups(self, request: Request, c: Caller) -> dict:
        require_org(self.world, request)
        rows = list(range(len(self.world.data.groups)))
        return self.list_page(
            request, rows, lambda g: (g,), [False], "groups", self.world.people.group_json
        )

    def group(self, request: Request, c: Caller) -> dict:
        idx = self.path_id(request, "group")
        return {"resource": self.world.people.group_json(idx)}

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
            w.people.relationship_json,
        )

    def relationship(self, request: Request, c: Caller) -> dict:
        idx = self.world.lookup("relationship", request.path_params["uuid"])
        if idx is None or self.world.data.relationships[idx] not in self.world.live_relationships():
            raise not_found()
        return {"resource": self.world.people.relationship_json(self.world.data.relationships[idx])}

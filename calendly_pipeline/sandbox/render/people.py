"""JSON of the organization and its people: users, memberships, invitations, groups."""

from __future__ import annotations

from calendly_pipeline.sandbox.generate import Invitation, Relationship, User
from calendly_pipeline.sandbox.ids import US_PER_DAY, fmt_us
from calendly_pipeline.sandbox.render.base import WorldView


class People(WorldView):
    """The organization, its members and invitations, and its groups as Calendly serves them."""

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
        orphan = u.idx in self.world.wild.orphan_members
        return {
            "uri": self.uri("membership", u.idx),
            "role": u.role,
            "user": None if orphan else self.membership_user_json(u),
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
            "uri": self.world.invitation_uri(inv.idx),
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
            for r in self.world.live_relationships()
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

"""Hand-built raw frames for the utilization tests.

Frames carry exactly the columns of the storage layer's raw `TableSpec`s, so a transform that reads
a column the raw layer does not have fails here too. Times are given in days before `AS_OF`.
"""

from __future__ import annotations

from itertools import count
from typing import Any

import pandas as pd

from calendly_pipeline.storage.raw_tables import RAW_TABLES
from calendly_pipeline.transforms.flatten import to_frame

AS_OF = pd.Timestamp("2026-06-30 12:00:00", tz="UTC")
ORG = "https://api.calendly.com/organizations/ORG"
_BASE = "https://api.calendly.com"


def ago(days: float) -> pd.Timestamp:
    return AS_OF - pd.Timedelta(days=days)


class RawWorld:
    """A tiny organization: add members, event types, events and invitees, then call `frames()`."""

    def __init__(self, plan: str = "teams") -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {spec.name: [] for spec in RAW_TABLES}
        self._ids = count(1)
        self.rows["organizations"].append({"uri": ORG, "name": "Acme", "plan": plan})

    def _id(self, kind: str) -> str:
        return f"{_BASE}/{kind}/{kind[:3].upper()}{next(self._ids):04d}"

    def member(
        self,
        name: str,
        joined_days_ago: float = 400,
        role: str = "user",
        email: str | None = None,
    ) -> str:
        """A current member (in the roster and in today's snapshot); returns the user URI."""
        user = f"{_BASE}/users/{name.upper()}"
        membership = self._id("organization_memberships")
        email = email or f"{name}@acme.test"
        self.rows["organization_memberships"].append(
            {
                "uri": membership,
                "organization": ORG,
                "role": role,
                "user_uri": user,
                "user_name": name.title(),
                "user_email": email,
                "created_at": ago(joined_days_ago),
            }
        )
        self._snapshot(AS_OF.date(), membership, user, name, email, role, joined_days_ago)
        return user

    def removed_member(self, name: str, last_seen_days_ago: float = 20) -> str:
        """A member seen in an earlier snapshot only."""
        user = f"{_BASE}/users/{name.upper()}"
        snapshot = ago(last_seen_days_ago).date()
        self._snapshot(
            snapshot, self._id("organization_memberships"), user, name, f"{name}@acme.test",
            "user", 300,
        )  # fmt: skip
        return user

    def _snapshot(
        self, day: object, membership: str, user: str, name: str, email: str, role: str,
        joined_days_ago: float,
    ) -> None:  # fmt: skip
        self.rows["membership_snapshots"].append(
            {
                "snapshot_date": pd.Timestamp(day),
                "membership_uri": membership,
                "user_uri": user,
                "user_name": name.title(),
                "user_email": email,
                "role": role,
                "joined_at": ago(joined_days_ago),
            }
        )

    def invitation(self, email: str, days_ago: float, status: str = "pending") -> str:
        uri = self._id("invitations")
        self.rows["organization_invitations"].append(
            {"uri": uri, "organization": ORG, "email": email, "status": status,
             "created_at": ago(days_ago), "last_sent_at": ago(days_ago)}
        )  # fmt: skip
        return uri

    def group(self, name: str, *users: str) -> str:
        uri = self._id("groups")
        self.rows["groups"].append({"uri": uri, "name": name, "organization": ORG})
        memberships = {r["user_uri"]: r["uri"] for r in self.rows["organization_memberships"]}
        for user in users:
            self.rows["group_relationships"].append(
                {"uri": self._id("group_relationships"), "role": "member",
                 "owner_uri": memberships[user], "owner_type": "organization_memberships",
                 "group_uri": uri, "organization": ORG}
            )  # fmt: skip
        return uri

    def event_type(
        self,
        owner: str | None = None,
        kind: str = "solo",
        edited_days_ago: float = 500,
        **fields: Any,
    ) -> str:
        uri = self._id("event_types")
        row = {
            "uri": uri,
            "name": fields.pop("name", f"Type {uri[-4:]}"),
            "kind": kind,
            "active": True,
            "profile_type": "User" if owner else "Team",
            "profile_owner": owner or ORG,
            "profile_name": owner.rsplit("/", 1)[-1].title() if owner else "Acme",
            "duration_options": [30],
            "custom_questions_enabled": 0,
            "created_at": ago(edited_days_ago),
            "updated_at": ago(edited_days_ago),
        }
        self.rows["event_types"].append(row | fields)
        return uri

    def event(
        self,
        hosts: list[str],
        event_type: str,
        start_days_ago: float,
        created_days_ago: float | None = None,
        status: str = "active",
        canceler_type: str | None = None,
        location_type: str | None = "zoom",
        invitees: int | list[dict[str, Any]] = 1,
        **fields: Any,
    ) -> str:
        """An event with its hosts and invitees (an int gives that many plain active invitees)."""
        uri = self._id("scheduled_events")
        start = ago(start_days_ago)
        created = ago(created_days_ago if created_days_ago is not None else start_days_ago + 7)
        self.rows["scheduled_events"].append(
            {
                "uri": uri,
                "name": "Meeting",
                "status": status,
                "start_time": start,
                "end_time": start + pd.Timedelta(minutes=30),
                "event_type": event_type,
                "location_type": location_type,
                "canceler_type": canceler_type,
                "canceled_at": (start if status == "canceled" else None),
                "created_at": created,
                "updated_at": created,
            }
            | fields
        )
        for host in hosts:
            self.rows["event_hosts"].append({"event_uri": uri, "user_uri": host})
        specs = [{}] * invitees if isinstance(invitees, int) else invitees
        for spec in specs:
            self.invitee(uri, created, **spec)
        return uri

    def invitee(self, event_uri: str, created: pd.Timestamp | None = None, **fields: Any) -> str:
        uri = self._id("invitees")
        self.rows["invitees"].append(
            {"uri": uri, "event_uri": event_uri, "status": "active", "rescheduled": False,
             "text_reminder": False, "created_at": created or AS_OF, "updated_at": created or AS_OF}
            | fields
        )  # fmt: skip
        return uri

    def webhook(self, creator: str, days_ago: float) -> str:
        uri = self._id("webhook_subscriptions")
        self.rows["webhook_subscriptions"].append(
            {"uri": uri, "creator": creator, "state": "active", "scope": "user",
             "organization": ORG, "user_uri": creator, "created_at": ago(days_ago)}
        )  # fmt: skip
        return uri

    def log(
        self,
        actor: str | None,
        days_ago: float,
        namespace: str = "User",
        action: str = "Login",
        details: dict[str, Any] | None = None,
    ) -> str:
        """An activity-log entry (`actor` None: a system entry); namespace `EventType` is an
        event-type edit by `actor`."""
        uri = self._id("activity_log_entries")
        self.rows["activity_log_entries"].append(
            {"uri": uri, "occurred_at": ago(days_ago), "namespace": namespace, "action": action,
             "fully_qualified_name": f"{namespace}.{action}", "actor_uri": actor,
             "actor_type": "User", "actor_display_name": actor and actor.rsplit("/", 1)[-1].title(),
             "organization": ORG, "details": details or {}}
        )  # fmt: skip
        return uri

    def frames(self) -> dict[str, pd.DataFrame]:
        """One frame per raw table, typed by the flattening layer's `to_frame` exactly as raw
        frames are in production (missing values = null)."""
        out = {}
        for spec in RAW_TABLES:
            rows = self.rows[spec.name]
            unknown = {k for r in rows for k in r} - set(spec.column_names)
            assert not unknown, f"builder wrote columns {unknown} that raw.{spec.name} lacks"
            columns = {c: [r.get(c) for r in rows] for c in spec.column_names if c != "synced_at"}
            out[spec.name] = to_frame(spec, columns, rows=len(rows))
        return out


def sample_world() -> RawWorld:
    """A small organization touching every rule at once (for table-level tests)."""
    w = RawWorld(plan="enterprise")
    alice, bob, carol = w.member("alice", role="owner"), w.member("bob"), w.member("carol")
    w.member("idle_ivan")
    w.member("newbie", joined_days_ago=5)
    w.member("bot", email="bot@acme.test")
    eve = w.removed_member("eve")
    w.invitation("frank@acme.test", 40)
    w.group("Sales", alice, bob)
    solo = w.event_type(alice, secret=True, duration_options=[15, 30])
    collective = w.event_type(None, pooling_type="collective")
    group = w.event_type(bob, kind="group")
    w.event([alice], solo, 100, invitees=[{"utm_source": "mail"}])
    w.event([alice], solo, 30, status="canceled", canceler_type="host")
    w.event([alice, bob, carol], collective, 10, location_type="google_conference")
    w.event([bob], group, 3, invitees=[{}] * 8 + [{"no_show_uri": "n"}])
    w.event([eve], solo, 50, invitees=[{"payment_provider": "stripe"}])
    w.event([carol], solo, -5)
    w.webhook(bob, 20)
    w.log(alice, 1)
    return w

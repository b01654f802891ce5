"""The world controls of docs/sandbox.md ("World controls"): what tests and demos change.

Every control takes the world lock and bumps the affected resources' `updated_at` to the
simulated now. They are `World` methods (these two classes are its mixins), so
`sb.world.advance(...)` and `POST /_sandbox/advance` reach the same code.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from calendly_pipeline.sandbox.features import BIT, LOCATION_CODE
from calendly_pipeline.sandbox.generate import (
    TIMEZONES,
    Invitation,
    Submission,
    User,
    removal_entry,
    type_edit,
)
from calendly_pipeline.sandbox.ids import US_PER_DAY, US_PER_HOUR, fmt_us, parse_ts_us
from calendly_pipeline.sandbox.uris import INVITEE_SLOTS, PATHS

if TYPE_CHECKING:
    from calendly_pipeline.sandbox.world import World

RENAMABLE = ("organization", "user", "group")
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
# What `POST /_sandbox/<name>` may call (the reads `manifest` and `stats` are served apart).
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
    "submit_routing_form",
    "delete_event_data",
    "restore_event_data",
    "rename",
    "revoke_token",
    "expire_access_tokens",
    "revoke_grant",
    "expire_refresh_tokens",
    "counts",
)


class EventControls:
    """The clock and the scheduled events: book, cancel, reschedule, no-shows, deletion."""

    def advance(self: World, days: float = 0, hours: float = 0) -> str:
        if days < 0 or hours < 0:
            raise ValueError("the sandbox clock only moves forward (days and hours must be >= 0)")
        with self.lock:
            self.now_us += int(days * US_PER_DAY + hours * US_PER_HOUR)
            return fmt_us(self.now_us)

    def _event_id(self: World, event_uri: str) -> int:
        eid = self.lookup("event", event_uri)
        if eid is None or self.data.events.deleted[eid]:
            raise ValueError(f"unknown scheduled event {event_uri!r}")
        return eid

    def _invitee_id(self: World, invitee_uri: str) -> tuple[int, int]:
        ident = self.lookup("invitee", invitee_uri)
        if ident is None or not self.invitees.exists(*divmod(ident, INVITEE_SLOTS)):
            raise ValueError(f"unknown invitee {invitee_uri!r}")
        return divmod(ident, INVITEE_SLOTS)

    def book_event(
        self: World,
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

    def cancel_event(
        self: World, event_uri: str, by: str = "host", reason: str | None = None
    ) -> None:
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

    def reschedule(self: World, invitee_uri: str, new_start_time: str) -> str:
        with self.lock:
            eid, k = self._invitee_id(invitee_uri)
            if self.invitees.status(eid, k) != "active":
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
            name = self.invitees.identity(eid, k)[0]
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
                "identity": self.invitees.root(eid, k),
                "old_invitee": (eid, k),
            }
            if all(self.invitees.status(eid, j) == "canceled" for j in range(int(ev.n_inv[eid]))):
                ev.status[eid], ev.canceler[eid] = 1, 2
                ev.canceled_at[eid] = self.now_us
                self.cancel_reason[eid] = "Rescheduled"
            ev.updated[eid] = self.now_us
            return new_uri

    def mark_no_show(self: World, invitee_uri: str) -> str:
        with self.lock:
            eid, k = self._invitee_id(invitee_uri)
            overlay = self.invitee_overlay.setdefault(eid, {}).setdefault(k, {})
            overlay["no_show"] = overlay["updated_us"] = self.now_us
            self.extra_bits[eid] = self.extra_bits.get(eid, 0) | BIT["no_show_marking"]
            self.data.events.updated[eid] = self.now_us
            return self.uri("no_show", eid * INVITEE_SLOTS + k)

    def delete_event_data(self: World, event_uri: str) -> None:
        with self.lock:
            eid = self._event_id(event_uri)
            self.data.events.deleted[eid] = True

    def restore_event_data(self: World, event_uri: str) -> None:
        """Serve a deleted event (and its invitees) again, unchanged: what a client sees when a
        server answered 404 for a while by mistake."""
        with self.lock:
            eid = self.lookup("event", event_uri)
            if eid is None:
                raise ValueError(f"unknown event {event_uri!r}")
            self.data.events.deleted[eid] = False


class OrgControls:
    """The roster, event types, names and credentials: who belongs and who may call."""

    def _member_id(self: World, user_uri: str) -> int:
        idx = self.lookup("user", user_uri)
        if idx is None or not self.is_member(idx):
            raise ValueError(f"{user_uri!r} is not a member of the organization")
        return idx

    def remove_member(self: World, user_uri: str) -> None:
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

    def send_invitation(self: World, email: str) -> str:
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

    def accept_invitation(self: World, invitation_uri: str) -> str:
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

    def submit_routing_form(self: World, form_uri: str) -> str:
        """A visitor submits a routing form now and is routed to its event type (not booked
        yet: no submitter)."""
        with self.lock:
            d = self.data
            form = self.lookup("routing_form", form_uri)
            if form is None:
                raise ValueError(f"unknown routing form {form_uri!r}")
            sub = Submission(len(d.submissions), form, self.now_us, -1, "event_type")
            d.submissions.append(sub)
            return self.uri("submission", sub.idx)

    def edit_event_type(self: World, event_type_uri: str, **fields: Any) -> None:
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

    def rename(self: World, uri: str, name: str | None) -> None:
        """Give the organization, a user or a group any name (None: null), as its owner could:
        brackets, markup, escape sequences. Every place that shows names must cope."""
        with self.lock:
            kind = next((k for k in RENAMABLE if f"/{PATHS[k]}/" in uri), None)
            idx = None if kind is None else self.lookup(kind, uri)
            if kind is None or idx is None:
                raise ValueError(f"cannot rename {uri!r}: not this organization, a user or a group")
            if kind == "organization":
                self.data.org_name = name
                return
            target = (self.data.users if kind == "user" else self.data.groups)[idx]
            target.name, target.updated_us = name, self.now_us

    def revoke_token(self: World, token: str) -> None:
        with self.lock:
            self.credentials.revoke_token(token)

    def expire_access_tokens(self: World) -> int:
        with self.lock:
            return self.credentials.expire_access_tokens(self.now_us)

    def revoke_grant(self: World, user_uri: str | None = None) -> int:
        """The user (default: the demo owner) disconnects the OAuth app: every OAuth access and
        refresh token of theirs stops working, so the pipeline must reconnect. Returns how many."""
        with self.lock:
            user = self.data.owner if user_uri is None else self._member_id(user_uri)
            return self.credentials.revoke_grant(user)

    def expire_refresh_tokens(self: World) -> int:
        """Every outstanding refresh token lapses (Calendly expires unused ones); access tokens
        keep working until their own expiry. Returns how many lapsed."""
        with self.lock:
            return self.credentials.expire_refresh_tokens()

"""Typed endpoints for the organization's collections (roster, groups, event types, ...).

Each endpoint knows its path, its query and its page size. The lists the API offers only per
parent (hosts per event type, submissions per form, webhooks per group or user) cost one request
per parent, so they are read on the client's pool and only where they can hold something new
(docs/scaling.md, "Organization data at its minimum"): a solo type's host is derived from the
type and the roster, user-scope webhooks are read only when the caller passes the users, and a
form's submissions can be read newest first down to a time the caller gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from calendly_pipeline.client.api_base import Endpoints
from calendly_pipeline.client.errors import (
    CalendlyError,
    InsufficientScope,
    NotFound,
    PermissionDenied,
    PlanFeatureUnavailable,
)

Item = dict[str, Any]
PAGE = 100
HOSTS = "/event_type_memberships"
SUBMISSIONS = "/routing_form_submissions"
WEBHOOKS = "/webhook_subscriptions"


@dataclass(frozen=True)
class Refused:
    """A parent whose own child list answered 403 or 404 (a member removed, a form deleted
    since the parents were read): its children are unknown, so the caller sets it aside while
    the other parents' children load."""

    parent: str
    path: str
    params: dict[str, str]
    status: int


@dataclass(frozen=True)
class Children:
    """Children read one parent at a time, and the parents whose list was refused. With a
    `Pages` function, `items` holds what it made of each page instead of the items."""

    items: list[Any]
    refused: list[Refused]


# A page of children (at most PAGE items) -> what the caller keeps of it, e.g. a frame: the
# page's API dicts are then freed as the next page arrives, not held until the last.
Pages = Callable[[list[Item]], Any]


@dataclass(frozen=True)
class Family:
    """Parents listed organization-wide with their children (the API has no org-wide list of
    the children)."""

    parents: list[Item]
    children: Children


@dataclass(frozen=True)
class Member:
    """A user on the roster the caller has stored: what a host row names."""

    uri: str
    name: str | None
    email: str | None


# A parent whose children follow from the parent itself -> those children in the API's shape;
# None when its list must be read.
Derive = Callable[[Item], list[Item] | None]


class OrganizationEndpoints(Endpoints):
    """Organization-level collections: paths, query parameters and per-parent fan-out."""

    def organization_record(self) -> Item:
        """The organization itself: its plan gates features and prices seats."""
        return self.client.get(self.organization)

    def memberships(self) -> Iterator[Item]:
        """The seat roster, each membership with its user embedded (no per-user request)."""
        return self._org_list("/organization_memberships")

    def invitations(self) -> Iterator[Item]:
        """Invitations to the organization: pending ones are seats offered, not taken."""
        uuid = self.organization.rstrip("/").rsplit("/", 1)[-1]
        return self.client.paginate(f"/organizations/{uuid}/invitations", {}, count=PAGE)

    def groups(self) -> Iterator[Item]:
        """Groups (departments, teams) inside the organization."""
        return self._org_list("/groups")

    def group_relationships(self) -> Iterator[Item]:
        """Who belongs to (or administers) which group."""
        return self._org_list("/group_relationships")

    def activity_log(self) -> Iterator[Item]:
        """The audit log (Enterprise plan), in the largest pages the API serves."""
        return self._org_list("/activity_log_entries", count=1000)

    def event_types_with_hosts(self, roster: Mapping[str, Member]) -> Family:
        """Event types and their hosts (`/event_type_memberships`, one request per type).

        A type that can have only one host (`_sole_host`) costs no request: its host comes from
        `roster` (user URI -> member), the members the caller has stored.
        """
        return self._with_children(
            "/event_types", HOSTS, "event_type", lambda t: _sole_host(t, roster)
        )

    def routing_forms_with_submissions(
        self, since: Mapping[str, datetime] | None = None, pages: Pages | None = None
    ) -> Family:
        """Routing forms and their submissions (at least one request per form: no other way).

        A form in `since` (form URI -> time) is read newest first and only down to that time
        (`newest_until`); the others whole. With `pages`, the children come as what it made of
        each page (there can be tens of thousands of submissions).
        """
        return self._with_children("/routing_forms", SUBMISSIONS, "form", since=since, pages=pages)

    def webhooks(self, groups: Iterable[str], users: Iterable[str] = ()) -> Children:
        """Webhook subscriptions at organization scope, then per group and per user (the API
        lists each scope apart). User scope costs one request per seat, so the caller decides
        when it is due by passing the users (none: user scope is not read)."""
        org = self.organization
        own = list(self._org_list(WEBHOOKS, scope="organization"))
        scoped = [("group", uri) for uri in groups] + [("user", uri) for uri in users]
        listed = self._fan_out(
            WEBHOOKS, [(uri, {"organization": org, "scope": s, s: uri}) for s, uri in scoped]
        )
        return Children(own + listed.items, listed.refused)

    def _org_list(self, path: str, count: int = PAGE, **params: str) -> Iterator[Item]:
        """A collection filtered to this organization."""
        return self.client.paginate(path, {"organization": self.organization, **params}, count)

    def _with_children(
        self,
        parent_path: str,
        child_path: str,
        child_param: str,
        derive: Derive | None = None,
        since: Mapping[str, datetime] | None = None,
        pages: Pages | None = None,
    ) -> Family:
        """Org-scope parents, then each parent's children; `derive` spares the request of a
        parent whose children follow from the parent itself, `since` reads a parent's children
        newest first down to a time. A malformed parent (no URI) is returned for the caller to
        reject, and not asked for children."""
        parents = list(self._org_list(parent_path))
        listed: list[tuple[str, dict[str, str]]] = []
        derived: list[Item] = []
        for p in parents:
            if not (isinstance(p, dict) and isinstance(p.get("uri"), str)):
                continue
            known = None if derive is None else derive(p)
            if known is None:
                listed.append((p["uri"], {child_param: p["uri"]}))
            else:
                derived += known
        children = self._fan_out(child_path, listed, since, pages)
        return Family(parents, Children(children.items + derived, children.refused))

    def _fan_out(
        self,
        path: str,
        parents: list[tuple[str, dict[str, str]]],
        since: Mapping[str, datetime] | None = None,
        pages: Pages | None = None,
    ) -> Children:
        """Children listed one parent at a time on the client's pool, each parent given as
        (its URI, the query that lists its children); a parent in `since` newest first, down to
        its time; each page through `pages` when given. A 403 or 404 for one parent is reported
        in `refused`; a plan gate, a missing OAuth scope or any other failure raises."""
        since = since or {}

        def read(parent: tuple[str, dict[str, str]]) -> list[Any] | CalendlyError:
            uri, params = parent
            try:
                if uri not in since:
                    items = self.client.paginate(path, params, count=PAGE)
                else:
                    newest = self.client.paginate(path, {**params, "sort": NEWEST}, count=PAGE)
                    items = newest_until(newest, since[uri])
                if pages is None:
                    return list(items)
                return [pages(page) for page in iter(lambda: list(islice(items, PAGE)), [])]
            except (PlanFeatureUnavailable, InsufficientScope):
                raise
            except (PermissionDenied, NotFound) as exc:
                return exc

        items: list[Any] = []
        refused: list[Refused] = []
        for (uri, params), page in zip(parents, self.client.fetch_all(read, parents), strict=True):
            if isinstance(page, CalendlyError):
                refused.append(Refused(uri, path, params, page.status))
            else:
                items += page
        return Children(items, refused)


NEWEST = "created_at:desc"


def newest_until(items: Iterable[Item], since: datetime) -> Iterator[Item]:
    """`items` listed newest first (`NEWEST`), up to the first one created before `since`.

    Stopping early is safe only once the list has shown it is newest first (a `created_at`
    below the one before it): a server that ignores `sort` serves the oldest first, and one
    item older than `since` says nothing about the order. Until then every item is yielded;
    a `created_at` above the one before it (an ignored `sort`, a page shifting under the
    reader) or one that is not a time makes the rest be read to the end, as a whole read
    would.
    """
    previous: datetime | None = None
    ordered, descending = True, False
    for item in items:
        created = _created(item) if ordered else None
        if ordered:
            if created is None or (previous is not None and created > previous):
                ordered = False
            else:
                descending = descending or (previous is not None and created < previous)
                if descending and created < since:
                    return
        previous = created
        yield item


def _created(item: Item) -> datetime | None:
    """An item's `created_at` as an aware time; None when it has none that parses."""
    raw = item.get("created_at") if isinstance(item, dict) else None
    try:
        created = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None
    return created if created is not None and created.tzinfo is not None else None


def _sole_host(event_type: Item, roster: Mapping[str, Member]) -> list[Item] | None:
    """The host of an event type that can have only one: a `solo` kind without pooling on a
    user's own profile (REFERENCE.md section 11: `profile.owner` is that user). Its host record
    is built from the type and the roster instead of one `/event_type_memberships` request; the
    API lists only current members as hosts, so an owner off the roster hosts nothing. The
    membership record's own URI and timestamps are not in the type, so they stay absent.
    Group kinds, pooled (round robin, collective) and team types are read."""
    profile = event_type.get("profile")
    if not (
        event_type.get("kind") == "solo"
        and event_type.get("pooling_type") is None
        and isinstance(profile, dict)
        and profile.get("type") == "User"
        and isinstance(profile.get("owner"), str)
    ):
        return None
    owner = roster.get(profile["owner"])
    if owner is None:
        return []
    member = {"uri": owner.uri, "name": owner.name, "email": owner.email}
    return [{"event_type": event_type["uri"], "member": member}]

"""Organization-level assets: small collections re-read on every run, at their true minimum.

Each is one table-spec, one fetch and one flatten; a factory builds them so that every asset
gets the same metadata, pool, owners and plan-gate handling. Per-parent lists cost one request
per parent, so they are read only where they can hold something new: hosts only for event types
that can have more than one host, user-scope webhooks on a cadence (docs/scaling.md).
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from calendly_pipeline.client import CalendlyClient, Caller
from calendly_pipeline.client.errors import (
    CalendlyError,
    InsufficientScope,
    NotFound,
    PermissionDenied,
    PlanFeatureUnavailable,
)
from calendly_pipeline.dagster_home import DUCKDB_POOL
from calendly_pipeline.defs.metadata import definition_metadata, table_metadata
from calendly_pipeline.defs.quarantine import quarantine
from calendly_pipeline.defs.resources import CalendlyResource
from calendly_pipeline.defs.settings import SyncSettings
from calendly_pipeline.storage import collection_reads, reads, sync_state, writes
from calendly_pipeline.storage import raw_tables as rt
from calendly_pipeline.storage.spec import TableSpec
from calendly_pipeline.transforms import flatten
from calendly_pipeline.transforms.flatten import Rejects

OWNERS = ["team:data-platform"]
ORG_GROUP = "calendly_org"


@dataclass
class Source:
    """What a fetch reads with, and what it reports back about parts read on a cadence."""

    client: CalendlyClient
    caller: Caller
    db: DuckDBResource
    # A parent whose own list is refused goes here instead of failing the collection.
    rejects: Rejects
    settings: SyncSettings
    # Parts read in full this run (recorded in meta.collection_reads) and parts skipped, whose
    # stored rows the write keeps.
    read: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


# source -> API items
Fetch = Callable[[Source], Iterable[dict[str, Any]]]
Flatten = Callable[[list[dict[str, Any]], Rejects], tuple[pd.DataFrame, ...]]


@dataclass(frozen=True)
class Collection:
    """One API collection and the raw tables it lands in."""

    name: str
    description: str
    fetch: Fetch
    # Flatten returns one frame per table spec, in the same order as `specs`, setting records
    # that cannot be loaded aside in the collector.
    flatten: Flatten
    specs: tuple[TableSpec, ...]
    plan_feature: str | None = None
    deps: tuple[str, ...] = ()
    # Extra bookkeeping in the same transaction (e.g. meta.sync_info for the organization).
    after_write: Callable[[Any, CalendlyResource, tuple[pd.DataFrame, ...]], None] | None = None
    # Writes a run that skipped a part (`Source.skipped`): the stored rows of that part stay.
    write_partial: Callable[[Any, TableSpec, pd.DataFrame], None] | None = None


def _org_uuid(caller: Caller) -> str:
    return caller.organization_uri.rstrip("/").rsplit("/", 1)[-1]


def _fan_out(
    client: CalendlyClient,
    path: str,
    parents: Iterable[tuple[str, dict[str, str]]],
    spec: TableSpec,
    rejects: Rejects,
) -> Iterator[dict[str, Any]]:
    """Children listed one parent at a time (hosts per event type, submissions per form, hooks
    per member), each parent given as (its URI, the query that lists its children).

    A parent whose list answers 403 or 404 (a member removed, a form deleted since the parents
    were read) is set aside in `rejects` and the other parents load; a plan gate, a missing
    OAuth scope or any other failure still fails the collection.
    """

    def read(parent: tuple[str, dict[str, str]]) -> list[dict[str, Any]] | CalendlyError:
        try:
            return list(client.paginate(path, parent[1], count=100))
        except (PlanFeatureUnavailable, InsufficientScope):
            raise
        except (PermissionDenied, NotFound) as exc:
            return exc

    parents = list(parents)
    for (uri, params), page in zip(parents, client.fetch_all(read, parents), strict=True):
        if isinstance(page, CalendlyError):
            reason = f"children not readable: {path} answered {page.status} for this parent"
            rejects.add(spec, {"parent": uri, "path": path, "params": params}, reason, uri, False)
            continue
        yield from page


# A parent that cannot have children the fan-out would find: (parent, roster by user URI) ->
# the children it has anyway, in the API's shape; None when its list must be read.
Derive = Callable[[dict[str, Any], dict[str, dict[str, Any]]], list[dict[str, Any]] | None]


def _parents_and_fan_out(
    parent_path: str,
    child_path: str,
    child_param: str,
    spec: TableSpec,
    derive: Derive | None = None,
) -> Fetch:
    """Org-scope parents, then each parent's children (hosts per event type, submissions per
    form: the API has no org-wide list for either, so this costs one request per parent).
    `derive` spares the request of a parent whose children follow from the parent itself."""

    def fetch(source: Source) -> list[dict[str, Any]]:
        org = source.caller.organization_uri
        parents = list(source.client.paginate(parent_path, {"organization": org}, count=100))
        roster: dict[str, dict[str, Any]] = {}
        if derive is not None:
            with source.db.get_connection() as conn:
                users = reads.read_table(conn, rt.USERS, columns=["uri", "name", "email"])
            roster = {u["uri"]: u for u in users.to_dict("records")}
        listed, derived = [], []
        for p in parents:
            if not (isinstance(p, dict) and isinstance(p.get("uri"), str)):
                continue
            known = None if derive is None else derive(p, roster)
            if known is None:
                listed.append((p["uri"], {child_param: p["uri"]}))
            else:
                derived += known
        children = list(_fan_out(source.client, child_path, listed, spec, source.rejects))
        return [{"parents": parents, "children": children + derived}]

    return fetch


def _sole_host(
    event_type: dict[str, Any], roster: dict[str, dict[str, Any]]
) -> list[dict[str, Any]] | None:
    """The host of an event type that can have only one: a `solo` kind without pooling on a
    user's own profile (REFERENCE.md section 11: `profile.owner` is that user). Its host row is
    built from the type and the roster instead of one `/event_type_memberships` request; the
    API lists only current members as hosts, so an owner off the roster hosts nothing. The
    membership record's own URI and timestamps are not in the type, so they stay NULL.
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
    member = {"uri": owner["uri"], "name": _value(owner["name"]), "email": _value(owner["email"])}
    return [{"event_type": event_type["uri"], "member": member}]


USER_WEBHOOKS = "webhook_subscriptions/user"


def _user_webhooks_due(source: Source) -> bool:
    """User-scope hooks cost one request per seat; read them when the cadence says so."""
    with source.db.get_connection() as conn:
        last = collection_reads.last_read(conn, USER_WEBHOOKS)
    every = source.settings.user_webhooks_every()
    return last is None or source.client.server_now - last >= every


def _webhooks(source: Source) -> Iterator[dict[str, Any]]:
    """Hooks at organization scope, then per group and, when due, per member (the API lists
    each scope apart)."""
    org = source.caller.organization_uri
    yield from source.client.paginate(
        "/webhook_subscriptions", {"organization": org, "scope": "organization"}, count=100
    )
    with source.db.get_connection() as conn:
        scoped = [("group", uri) for uri in reads.read_table(conn, rt.GROUPS)["uri"]]
        if _user_webhooks_due(source):
            scoped += [("user", uri) for uri in reads.member_user_uris(conn)]
            source.read.append(USER_WEBHOOKS)
        else:
            source.skipped.append(USER_WEBHOOKS)

    parents = [(uri, {"organization": org, "scope": scope, scope: uri}) for scope, uri in scoped]
    yield from _fan_out(
        source.client, "/webhook_subscriptions", parents, rt.WEBHOOK_SUBSCRIPTIONS, source.rejects
    )


def _webhooks_but_users(conn: Any, spec: TableSpec, frame: pd.DataFrame) -> None:
    """Organization and group hooks replaced; the stored user-scope hooks stay until due."""
    writes.replace_children(conn, spec, frame, "scope", ["organization", "group"])


def _parents_and_children(
    parents: Callable[..., pd.DataFrame], children: Callable[..., pd.DataFrame]
) -> Flatten:
    """Flatten a `{"parents": [...], "children": [...]}` bundle into two tables."""

    def both(items: list[dict[str, Any]], rejects: Rejects) -> tuple[pd.DataFrame, ...]:
        (bundle,) = items
        return (
            parents(bundle["parents"], rejects=rejects),
            children(bundle["children"], rejects=rejects),
        )

    return both


def _one(flatten_table: Callable[..., pd.DataFrame]) -> Flatten:
    """A collection that lands in one table."""
    return lambda items, rejects: (flatten_table(items, rejects=rejects),)


def _value(cell: Any) -> Any:
    """A frame cell as a Python value: a missing one is None, never NaN (which text columns
    would store as the string 'nan')."""
    return None if pd.isna(cell) else cell


def _record_sync_info(
    conn: Any, calendly: CalendlyResource, frames: tuple[pd.DataFrame, ...]
) -> None:
    """The sync's clock, organization and provenance, read by the analytics and the dashboard."""
    if frames[0].empty:
        raise dg.Failure(
            "the organization record cannot be loaded (see meta.rejected_records); "
            "nothing was written"
        )
    org = frames[0].iloc[0]
    client = calendly.get_client()
    writes.write_sync_info(
        conn,
        org_uri=org["uri"],
        org_name=_value(org["name"]),
        plan=_value(org["plan"]),
        synced_at=client.server_now,
        ran_at=datetime.now(UTC),
        is_synthetic=calendly.is_synthetic,
        api_host=urlsplit(client.base_url).netloc,
    )


COLLECTIONS: tuple[Collection, ...] = (
    Collection(
        name="organization",
        description="The Calendly organization: name, plan (which gates features and prices seats) "
        "and stage.",
        fetch=lambda source: [source.client.get(source.caller.organization_uri)],
        flatten=_one(flatten.organizations),
        specs=(rt.ORGANIZATIONS,),
        after_write=_record_sync_info,
    ),
    Collection(
        name="organization_memberships",
        description="The seat roster: one membership per member with role and embedded user. "
        "Users are taken from the same payload, so no per-user request is needed.",
        fetch=lambda source: source.client.paginate(
            "/organization_memberships", {"organization": source.caller.organization_uri}, count=100
        ),
        flatten=lambda items, rejects: (
            flatten.organization_memberships(items, rejects=rejects),
            flatten.users_from_memberships(items, rejects=rejects),
        ),
        specs=(rt.ORGANIZATION_MEMBERSHIPS, rt.USERS),
    ),
    Collection(
        name="organization_invitations",
        description="Invitations to the organization; pending ones are seats offered, not taken.",
        fetch=lambda source: source.client.paginate(
            f"/organizations/{_org_uuid(source.caller)}/invitations", {}, count=100
        ),
        flatten=_one(flatten.organization_invitations),
        specs=(rt.ORGANIZATION_INVITATIONS,),
    ),
    Collection(
        name="groups",
        description="Groups (departments, teams) inside the organization.",
        fetch=lambda source: source.client.paginate(
            "/groups", {"organization": source.caller.organization_uri}, count=100
        ),
        flatten=_one(flatten.groups),
        specs=(rt.GROUPS,),
    ),
    Collection(
        name="group_relationships",
        description="Who belongs to (or administers) which group; owners are memberships or "
        "pending invitations.",
        fetch=lambda source: source.client.paginate(
            "/group_relationships", {"organization": source.caller.organization_uri}, count=100
        ),
        flatten=_one(flatten.group_relationships),
        specs=(rt.GROUP_RELATIONSHIPS,),
    ),
    Collection(
        name="event_types",
        description="Event types with their configuration (kind, pooling, locations, questions, "
        "durations) and their hosts from /event_type_memberships.",
        fetch=_parents_and_fan_out(
            "/event_types",
            "/event_type_memberships",
            "event_type",
            rt.EVENT_TYPE_HOSTS,
            derive=_sole_host,
        ),
        flatten=_parents_and_children(flatten.event_types, flatten.event_type_hosts),
        specs=(rt.EVENT_TYPES, rt.EVENT_TYPE_HOSTS),
        deps=("organization_memberships",),
    ),
    Collection(
        name="routing_forms",
        description="Routing forms and their submissions (one request per form).",
        fetch=_parents_and_fan_out(
            "/routing_forms", "/routing_form_submissions", "form", rt.ROUTING_FORM_SUBMISSIONS
        ),
        flatten=_parents_and_children(flatten.routing_forms, flatten.routing_form_submissions),
        specs=(rt.ROUTING_FORMS, rt.ROUTING_FORM_SUBMISSIONS),
        plan_feature="routing forms",
    ),
    Collection(
        name="webhook_subscriptions",
        description="Webhook subscriptions at organization, group and user scope (Standard plan "
        "and up); user scope is re-read every `user_webhooks_every_days` days.",
        fetch=_webhooks,
        write_partial=_webhooks_but_users,
        flatten=_one(flatten.webhook_subscriptions),
        specs=(rt.WEBHOOK_SUBSCRIPTIONS,),
        plan_feature="webhooks",
        deps=("organization_memberships", "groups"),
    ),
    Collection(
        name="activity_log_entries",
        description="The organization's audit log (Enterprise plan only).",
        fetch=lambda source: source.client.paginate(
            "/activity_log_entries", {"organization": source.caller.organization_uri}, count=1000
        ),
        flatten=_one(flatten.activity_log_entries),
        specs=(rt.ACTIVITY_LOG_ENTRIES,),
        plan_feature="activity log",
    ),
)


def _specs_out(collection: Collection) -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(
            key=dg.AssetKey(["raw", spec.name]),
            description=f"{collection.description}\n\nTable `{spec.qualified_name}`: "
            f"{spec.description}",
            group_name=ORG_GROUP,
            kinds={"calendly", "duckdb"},
            owners=OWNERS,
            deps=[dg.AssetKey(["raw", d]) for d in collection.deps],
            metadata=definition_metadata(spec),
        )
        for spec in collection.specs
    ]


def build_org_asset(collection: Collection) -> dg.AssetsDefinition:
    @dg.multi_asset(
        name=collection.name,
        specs=_specs_out(collection),
        pool=DUCKDB_POOL,
        description=collection.description,
    )
    def _asset(
        context: dg.AssetExecutionContext,
        calendly: CalendlyResource,
        duckdb: DuckDBResource,
        sync_settings: SyncSettings,
    ) -> Iterator[dg.MaterializeResult]:
        client = calendly.get_client()
        before = client.request_count
        rejects = Rejects()
        source = Source(client, calendly.caller(duckdb), duckdb, rejects, sync_settings)
        try:
            items = list(collection.fetch(source))
        except PlanFeatureUnavailable as exc:
            # A plan without the feature is a fact about the account, not a failure.
            context.log.warning(str(exc))
            for spec in collection.specs:
                yield dg.MaterializeResult(
                    asset_key=dg.AssetKey(["raw", spec.name]),
                    metadata={
                        "availability": f"not available on this plan: {exc}",
                        "dagster/row_count": 0,
                        "synthetic_data": calendly.is_synthetic,
                    },
                )
            return
        frames = collection.flatten(items, rejects)
        requests = client.request_count - before
        partial = bool(source.skipped) and collection.write_partial is not None
        with duckdb.get_connection() as conn, writes.transaction(conn):
            for spec, frame in zip(collection.specs, frames, strict=True):
                if partial:
                    collection.write_partial(conn, spec, frame)
                else:
                    writes.replace_all(conn, spec, frame)
            for part in source.read:
                collection_reads.record_read(conn, part, client.server_now)
            counts = quarantine(
                conn,
                context,
                rejects,
                collection.specs,
                at=client.server_now,
                full_refresh=not partial,
            )
            if collection.after_write is not None:
                collection.after_write(conn, calendly, frames)
        for spec, frame in zip(collection.specs, frames, strict=True):
            yield dg.MaterializeResult(
                asset_key=dg.AssetKey(["raw", spec.name]),
                metadata=table_metadata(
                    spec,
                    len(frame),
                    frame,
                    synthetic=calendly.is_synthetic,
                    requests=requests,
                    extra={
                        "rejected_records": counts[spec.qualified_name],
                        "kept_from_earlier_runs": ", ".join(source.skipped) or "nothing",
                    },
                ),
            )

    return _asset


@dg.asset(
    key=["raw", "membership_snapshots"],
    deps=[dg.AssetKey(["raw", "organization_memberships"])],
    pool=DUCKDB_POOL,
    group_name=ORG_GROUP,
    kinds={"duckdb"},
    owners=OWNERS,
    description="The roster as seen each day (one snapshot per UTC day of the API clock). The "
    "API forgets removed members; the snapshots do not, so a member who disappears becomes an "
    "offboarding (status `removed`) instead of a lost row.",
    metadata=definition_metadata(rt.MEMBERSHIP_SNAPSHOTS),
)
def membership_snapshots(duckdb: DuckDBResource) -> dg.MaterializeResult:
    with duckdb.get_connection() as conn:
        info = reads.read_sync_info(conn)
        if info is None:
            raise dg.Failure("no sync has run yet: materialize raw/organizations first")
        day = info["synced_at"].date()
        roster = reads.read_table(conn, rt.ORGANIZATION_MEMBERSHIPS)
        writes.snapshot_memberships(conn, day, roster)
        removed = sync_state.offboarded_since_previous_snapshot(conn, day)
    return dg.MaterializeResult(
        metadata=table_metadata(
            rt.MEMBERSHIP_SNAPSHOTS,
            len(roster),
            roster,
            synthetic=bool(info.get("is_synthetic")),
            extra={
                "snapshot_date": day.isoformat(),
                "offboarded_since_previous_snapshot": dg.MetadataValue.json(removed),
            },
        )
    )


org_assets = [build_org_asset(c) for c in COLLECTIONS] + [membership_snapshots]

"""Organization-level assets: small collections re-read on every run, at their true minimum.

Each is one call into the typed endpoints (`client/api_org.py`) and one flatten per table spec;
a factory builds them so that every asset gets the same metadata, pool, owners and plan-gate
handling. The endpoints read the per-parent lists only where they can hold something new
(docs/scaling.md); this module hands them what only the warehouse knows (the stored roster and
groups, when user-scope webhooks were last read) and sets refused parents aside.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from calendly_pipeline.client.api import CalendlyAPI
from calendly_pipeline.client.api_org import Children, Item, Member
from calendly_pipeline.client.errors import PlanFeatureUnavailable
from calendly_pipeline.dagster_home import DUCKDB_POOL
from calendly_pipeline.defs.metadata import OWNERS, definition_metadata, table_metadata
from calendly_pipeline.defs.quarantine import quarantine
from calendly_pipeline.defs.resources import CalendlyResource
from calendly_pipeline.defs.sync_settings import SyncSettings
from calendly_pipeline.storage import collection_reads, reads, writes
from calendly_pipeline.storage import raw_tables as rt
from calendly_pipeline.storage.spec import TableSpec
from calendly_pipeline.transforms import flatten
from calendly_pipeline.transforms.flatten import Rejects

ORG_GROUP = "calendly_org"
USER_WEBHOOKS = "webhook_subscriptions/user"
# Parts of meta.collection_reads: the last whole read of the submissions, and the last read.
SUBMISSIONS_WHOLE = "routing_form_submissions"
SUBMISSIONS_NEWEST = "routing_form_submissions/newest"


@dataclass(frozen=True)
class NewestRead:
    """A run that read each parent's children newest first, down to `since`."""

    since: datetime
    parents: list[str]  # the parents whose children were read (refused ones are not)


@dataclass
class Source:
    """What a fetch reads with, and what it reports back about parts read on a cadence."""

    api: CalendlyAPI
    db: DuckDBResource
    # A parent whose own list is refused goes here instead of failing the collection.
    rejects: Rejects
    settings: SyncSettings
    as_of: datetime  # the run's clock (`CalendlyResource.as_of`): every stamp and cadence
    # Parts read in full this run (recorded in meta.collection_reads) and parts skipped, whose
    # stored rows the write keeps.
    read: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    newest: NewestRead | None = None

    def kept(self, spec: TableSpec, children: Children) -> list[Any]:
        """The children read; each parent whose list was refused is set aside against `spec`."""
        for r in children.refused:
            reason = f"children not readable: {r.path} answered {r.status} for this parent"
            item = {"parent": r.parent, "path": r.path, "params": r.params}
            self.rejects.add(spec, item, reason, r.parent, False)
        return children.items


# source -> the API items of each table, in the order of `Collection.specs`, or the table's
# frame already flattened (a page at a time, for a list that can be long)
Fetch = Callable[[Source], Sequence[Iterable[Item] | pd.DataFrame]]


@dataclass(frozen=True)
class Collection:
    """One API collection and the raw tables it lands in."""

    name: str
    description: str
    fetch: Fetch
    # One flatten per table spec, in the same order as `specs`, each setting records that
    # cannot be loaded aside in the collector.
    flatten: tuple[Callable[..., pd.DataFrame], ...]
    specs: tuple[TableSpec, ...]
    plan_feature: str | None = None
    deps: tuple[str, ...] = ()
    # Extra bookkeeping in the same transaction (e.g. meta.sync_info for the organization).
    after_write: Callable[[Any, CalendlyResource, tuple[pd.DataFrame, ...]], None] | None = None
    # Writes a run that skipped a part (`Source.skipped`): the stored rows of that part stay.
    write_partial: Callable[[Any, TableSpec, pd.DataFrame, Source], None] | None = None


def _roster(source: Source) -> tuple[list[Item], list[Item]]:
    """Memberships and their embedded users, one payload for both tables."""
    members = list(source.api.memberships())
    return members, members


def _event_types(source: Source) -> tuple[list[Item], list[Item]]:
    """Event types and hosts; a solo type's host comes from the roster already stored."""
    with source.db.get_connection() as conn:
        users = reads.read_table(conn, rt.USERS, columns=["uri", "name", "email"])
    roster = {
        u["uri"]: Member(u["uri"], _value(u["name"]), _value(u["email"]))
        for u in users.to_dict("records")
    }
    types = source.api.event_types_with_hosts(roster)
    return types.parents, source.kept(rt.EVENT_TYPE_HOSTS, types.children)


def _routing_forms(source: Source) -> tuple[list[Item], pd.DataFrame]:
    """Routing forms and their submissions; a form refused since it was listed is set aside.

    The submissions grow with the history, so they are read whole only every
    `submissions_every_days`; a run in between reads each stored form's newest ones, back to
    `trailing_days` before the last read (a form with none stored is read whole).
    """
    with source.db.get_connection() as conn:
        whole = collection_reads.last_read(conn, SUBMISSIONS_WHOLE)
        last = collection_reads.last_read(conn, SUBMISSIONS_NEWEST) or whole
        stored = reads.distinct_values(conn, rt.ROUTING_FORM_SUBMISSIONS, "routing_form")
    every = source.settings.submissions_every()
    due = whole is None or last is None or source.as_of - whole >= every
    since = None if due else min(last, source.as_of) - source.settings.trailing()
    forms = source.api.routing_forms_with_submissions(
        dict.fromkeys(stored, since) if since else {},
        pages=lambda page: flatten.routing_form_submissions(page, rejects=source.rejects),
    )
    source.read.append(SUBMISSIONS_NEWEST)
    if since is None:
        source.read.append(SUBMISSIONS_WHOLE)
    else:
        refused = {r.parent for r in forms.children.refused}
        listed = [p.get("uri") for p in forms.parents if isinstance(p, dict)]
        read = [uri for uri in listed if isinstance(uri, str) and uri not in refused]
        source.newest = NewestRead(since, read)
        source.skipped.append(f"{SUBMISSIONS_WHOLE} created before {since:%Y-%m-%d %H:%M} UTC")
    pages = source.kept(rt.ROUTING_FORM_SUBMISSIONS, forms.children)
    empty = [flatten.routing_form_submissions([])]
    return forms.parents, pd.concat(pages or empty, ignore_index=True)


def _newest_submissions(conn: Any, spec: TableSpec, frame: pd.DataFrame, source: Source) -> None:
    """The forms replaced; of the submissions, those a newest-first read saw (older ones
    stay until the next whole read)."""
    newest = source.newest
    if spec is not rt.ROUTING_FORM_SUBMISSIONS or newest is None:
        writes.replace_all(conn, spec, frame)
        return
    writes.replace_since(
        conn, spec, frame, "created_at", newest.since, "routing_form", newest.parents
    )


def _webhooks(source: Source) -> tuple[list[Item]]:
    """Hooks of the organization and each stored group, and of each member when user scope is
    due: it costs one request per seat, so it is read every `user_webhooks_every_days`."""
    with source.db.get_connection() as conn:
        groups = list(reads.read_table(conn, rt.GROUPS)["uri"])
        last = collection_reads.last_read(conn, USER_WEBHOOKS)
        every = source.settings.user_webhooks_every()
        due = last is None or source.as_of - last >= every
        users = reads.member_user_uris(conn) if due else []
    (source.read if due else source.skipped).append(USER_WEBHOOKS)
    return (source.kept(rt.WEBHOOK_SUBSCRIPTIONS, source.api.webhooks(groups, users)),)


def _webhooks_but_users(conn: Any, spec: TableSpec, frame: pd.DataFrame, _: Source) -> None:
    """Organization and group hooks replaced; the stored user-scope hooks stay until due."""
    writes.replace_children(conn, spec, frame, "scope", ["organization", "group"])


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
        synced_at=calendly.as_of,
        ran_at=datetime.now(UTC),
        is_synthetic=calendly.is_synthetic,
        api_host=urlsplit(client.base_url).netloc,
    )


COLLECTIONS: tuple[Collection, ...] = (
    Collection(
        name="organization",
        description="The Calendly organization: name, plan (which gates features and prices seats) "
        "and stage.",
        fetch=lambda source: ([source.api.organization_record()],),
        flatten=(flatten.organizations,),
        specs=(rt.ORGANIZATIONS,),
        after_write=_record_sync_info,
    ),
    Collection(
        name="organization_memberships",
        description="The seat roster: one membership per member with role and embedded user. "
        "Users are taken from the same payload, so no per-user request is needed.",
        fetch=_roster,
        flatten=(flatten.organization_memberships, flatten.users_from_memberships),
        specs=(rt.ORGANIZATION_MEMBERSHIPS, rt.USERS),
    ),
    Collection(
        name="organization_invitations",
        description="Invitations to the organization; pending ones are seats offered, not taken.",
        fetch=lambda source: (source.api.invitations(),),
        flatten=(flatten.organization_invitations,),
        specs=(rt.ORGANIZATION_INVITATIONS,),
    ),
    Collection(
        name="groups",
        description="Groups (departments, teams) inside the organization.",
        fetch=lambda source: (source.api.groups(),),
        flatten=(flatten.groups,),
        specs=(rt.GROUPS,),
    ),
    Collection(
        name="group_relationships",
        description="Who belongs to (or administers) which group; owners are memberships or "
        "pending invitations.",
        fetch=lambda source: (source.api.group_relationships(),),
        flatten=(flatten.group_relationships,),
        specs=(rt.GROUP_RELATIONSHIPS,),
    ),
    Collection(
        name="event_types",
        description="Event types with their configuration (kind, pooling, locations, questions, "
        "durations) and their hosts from /event_type_memberships.",
        fetch=_event_types,
        flatten=(flatten.event_types, flatten.event_type_hosts),
        specs=(rt.EVENT_TYPES, rt.EVENT_TYPE_HOSTS),
        deps=("organization_memberships",),
    ),
    Collection(
        name="routing_forms",
        description="Routing forms and their submissions (a request per form at least); "
        "submissions are read whole every `submissions_every_days` days, and each run in "
        "between reads every form's newest ones.",
        fetch=_routing_forms,
        write_partial=_newest_submissions,
        flatten=(flatten.routing_forms, flatten.routing_form_submissions),
        specs=(rt.ROUTING_FORMS, rt.ROUTING_FORM_SUBMISSIONS),
        plan_feature="routing forms",
    ),
    Collection(
        name="webhook_subscriptions",
        description="Webhook subscriptions at organization, group and user scope (Standard plan "
        "and up); user scope is re-read every `user_webhooks_every_days` days.",
        fetch=_webhooks,
        write_partial=_webhooks_but_users,
        flatten=(flatten.webhook_subscriptions,),
        specs=(rt.WEBHOOK_SUBSCRIPTIONS,),
        plan_feature="webhooks",
        deps=("organization_memberships", "groups"),
    ),
    Collection(
        name="activity_log_entries",
        description="The organization's audit log (Enterprise plan only).",
        fetch=lambda source: (source.api.activity_log(),),
        flatten=(flatten.activity_log_entries,),
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


def _unavailable(
    collection: Collection, calendly: CalendlyResource, exc: PlanFeatureUnavailable
) -> Iterator[dg.MaterializeResult]:
    """A plan without the feature is a fact about the account, not a failure."""
    for spec in collection.specs:
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(["raw", spec.name]),
            metadata={
                "availability": f"not available on this plan: {exc}",
                "dagster/row_count": 0,
                "synthetic_data": calendly.is_synthetic,
            },
        )


def _write(
    context: dg.AssetExecutionContext,
    calendly: CalendlyResource,
    duckdb: DuckDBResource,
    collection: Collection,
    source: Source,
    frames: tuple[pd.DataFrame, ...],
) -> dict[str, int]:
    """The tables, the parts read and the rejects in one transaction: rejects per table."""
    now = source.as_of
    partial = bool(source.skipped) and collection.write_partial is not None
    with duckdb.get_connection() as conn, writes.transaction(conn):
        for spec, frame in zip(collection.specs, frames, strict=True):
            if partial:
                collection.write_partial(conn, spec, frame, source)
            else:
                writes.replace_all(conn, spec, frame)
        for part in source.read:
            collection_reads.record_read(conn, part, now)
        # A partial run clears the rejects of the records it loaded well since.
        loaded = {
            spec.qualified_name: frame[spec.primary_key[0]].dropna()
            for spec, frame in zip(collection.specs, frames, strict=True)
        }
        counts = quarantine(
            conn,
            context,
            source.rejects,
            collection.specs,
            at=now,
            full_refresh=not partial,
            loaded=loaded if partial else None,
        )
        if collection.after_write is not None:
            collection.after_write(conn, calendly, frames)
    return counts


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
        source = Source(calendly.api(duckdb), duckdb, Rejects(), sync_settings, calendly.as_of)
        try:
            fetched = [
                items if isinstance(items, pd.DataFrame) else list(items)
                for items in collection.fetch(source)
            ]
        except PlanFeatureUnavailable as exc:
            context.log.warning(str(exc))
            yield from _unavailable(collection, calendly, exc)
            return
        frames = tuple(
            items if isinstance(items, pd.DataFrame) else table(items, rejects=source.rejects)
            for table, items in zip(collection.flatten, fetched, strict=True)
        )
        requests = client.request_count - before
        counts = _write(context, calendly, duckdb, collection, source, frames)
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
        removed = reads.offboarded_since_previous_snapshot(conn, day)
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

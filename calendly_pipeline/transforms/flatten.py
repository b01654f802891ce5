"""Calendly API JSON -> typed frames shaped exactly like the raw TableSpecs.

Pure pandas and stdlib: no HTTP, no DuckDB. At the 1M-event scale these functions see millions
of dicts, so each makes one pass building plain row tuples and converts whole columns at the end
(`to_frame`); no pandas call runs per row.

A record that cannot be loaded (no key, a required field null or of the wrong type, an object
where text was expected, a value that does not fit its column) is set aside in a `Rejects`
collector with the reason, and the rest of its table loads. The rules come from the table specs
(primary key and NOT NULL columns), not from per-table code. Without a collector a bad record is
a `ValueError` naming it, as before.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from calendly_pipeline.storage import raw_tables as rt
from calendly_pipeline.storage.rejected import Rejected
from calendly_pipeline.storage.spec import TableSpec, pandas_dtype

Item = Mapping[str, Any]
PII_MODES = ("hash", "keep", "drop")
_EMPTY: Mapping[str, Any] = {}


def _convert(type_: str, values: Sequence[Any]) -> Any:
    dtype = pandas_dtype(type_)
    if type_ in ("TIMESTAMPTZ", "DATE"):
        parsed = pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")
        if type_ == "DATE":
            parsed = parsed.dt.tz_localize(None).dt.normalize()
        return parsed.astype(dtype)
    if type_ == "JSON":
        values = [v if v is None or isinstance(v, str) else json.dumps(v) for v in values]
    elif type_ == "DOUBLE":
        return pd.to_numeric(pd.Series(values, dtype=object)).astype(dtype)
    if dtype == "object":  # lists; NULL as pd.NA, as DuckDB hands them back
        return pd.Series([pd.NA if v is None else v for v in values], dtype=object)
    return pd.array(values, dtype=dtype)


def to_frame(
    spec: TableSpec, columns: Mapping[str, Sequence[Any]], *, rows: int | None = None
) -> pd.DataFrame:
    """A frame with exactly the spec's columns, in order, with the pandas dtypes DuckDB reads
    back (str, Int32, boolean, datetime64[us, UTC], object lists).

    Columns not given are NULL, except `synced_at`, which defaults to now. A column the spec
    lacks, or a value that does not fit its type, is an error naming the table and column.
    """
    extra = [c for c in columns if c not in spec.column_names]
    if extra:
        raise ValueError(f"{spec.qualified_name} has no column(s) {extra}")
    n = rows if rows is not None else len(next(iter(columns.values()), ()))
    index = pd.RangeIndex(n)
    data = {}
    for col in spec.columns:
        if col.name == "synced_at" and col.name not in columns:
            now = pd.Timestamp(datetime.now(UTC))
            data[col.name] = pd.Series(now, index=index).astype(pandas_dtype(col.type))
            continue
        values = columns.get(col.name, [None] * n)
        try:
            data[col.name] = _convert(col.type, values)
        except (ValueError, TypeError, OverflowError) as exc:
            raise ValueError(
                f"{spec.qualified_name}.{col.name}: value does not fit {col.type}: {exc}"
            ) from None
    return pd.DataFrame(data, index=index)


class Rejects:
    """Records set aside while flattening one payload, with the reason for each.

    Pass the same collector to every table a payload feeds, parent table first: a record
    rejected whole (an event without `uri`) is then skipped by its child tables (its hosts)
    instead of being reported twice.
    """

    def __init__(self) -> None:
        self.records: list[Rejected] = []
        self.whole_ids: set[int] = set()  # id() of records rejected as a whole

    def __len__(self) -> int:
        return len(self.records)

    def add(self, spec: TableSpec, item: Any, reason: str, key: str | None, whole: bool) -> None:
        if key is None and isinstance(item, Mapping) and isinstance(item.get("uri"), str):
            key = item["uri"]
        self.records.append(Rejected(spec.qualified_name, key, reason, item))
        if whole:
            self.whole_ids.add(id(item))


# Errors a row builder raises on a record of the wrong shape (a string where an object was
# expected, a list of non-objects, a non-text email, ...).
_MALFORMED = (AttributeError, TypeError, KeyError, ValueError, IndexError)
_CONVERT_ERRORS = (ValueError, TypeError, OverflowError)
# Python types a required (key or NOT NULL) value must have before pandas would coerce it.
_REQUIRED_TYPES: dict[str, tuple[type, ...]] = {
    "VARCHAR": (str,),
    "INTEGER": (int,),
    "BIGINT": (int,),
    "TIMESTAMPTZ": (str,),
    "DATE": (str,),
}


def _required(spec: TableSpec, names: Sequence[str]) -> list[tuple[int, str, tuple[type, ...]]]:
    """(position, name, accepted types) of the key and NOT NULL columns a row must fill."""
    types = {c.name: c.type for c in spec.columns}
    needed = set(spec.primary_key) | {c.name for c in spec.columns if not c.nullable}
    return [
        (i, n, _REQUIRED_TYPES.get(types[n], (object,))) for i, n in enumerate(names) if n in needed
    ]


def _problem(row: tuple[Any, ...], required: list[tuple[int, str, tuple[type, ...]]]) -> str | None:
    """Why the row cannot be loaded (naming the field, never its value), or None."""
    for i, name, accepted in required:
        value = row[i]
        if value is None:
            return f"{name}: missing"
        if not isinstance(value, accepted) or (isinstance(value, bool) and bool not in accepted):
            return f"{name}: {type(value).__name__}, not {accepted[0].__name__}"
    return None


def _key(row: tuple[Any, ...], spec: TableSpec, names: Sequence[str]) -> str | None:
    parts = [row[names.index(k)] for k in spec.primary_key if k in names]
    if len(parts) != len(spec.primary_key) or not all(isinstance(p, str) for p in parts):
        return None
    return " | ".join(parts)


def _unfit(spec: TableSpec, names: Sequence[str], columns: list[list[Any]]) -> dict[int, str]:
    """Rows holding a value that does not convert to its column's type, with the reason.

    Only runs after a whole-column conversion failed, so the per-value cost is paid on bad
    payloads alone.
    """
    types = {c.name: c.type for c in spec.columns}
    bad: dict[int, str] = {}
    for name, values in zip(names, columns, strict=True):
        try:
            _convert(types[name], values)
            continue
        except _CONVERT_ERRORS:
            pass
        for i, value in enumerate(values):
            if i in bad:
                continue
            try:
                _convert(types[name], [value])
            except _CONVERT_ERRORS:
                bad[i] = f"{name}: value does not fit {types[name]} ({type(value).__name__})"
    return bad


def _build(
    spec: TableSpec,
    names: Sequence[str],
    rows_of: Callable[[Item], list[tuple[Any, ...]]],
    items: Iterable[Item],
    rejects: Rejects | None,
    *,
    whole: bool,
) -> pd.DataFrame:
    """API items -> row tuples (one pass) -> columns -> typed frame, setting bad records aside.

    `whole`: each item is one row, so a bad row rejects its item for the child tables too.
    """
    sink = Rejects() if rejects is None else rejects
    required = _required(spec, names)
    table: list[tuple[Any, ...]] = []
    sources: list[Any] = []
    # Millions of new tuples (and zip's per-row iterators) would trigger full garbage
    # collections, each walking every API dict still alive; nothing here makes a cycle.
    enabled = gc.isenabled()
    gc.disable()
    try:
        for item in items:
            if sink.whole_ids and id(item) in sink.whole_ids:
                continue
            try:
                rows = rows_of(item)
            except _MALFORMED as exc:
                sink.add(spec, item, f"malformed record ({type(exc).__name__})", None, True)
                continue
            for row in rows:
                # Fast path (millions of rows): exact types; `_problem` decides the rest.
                for i, _, accepted in required:
                    if type(row[i]) not in accepted:
                        problem = _problem(row, required)
                        break
                else:
                    problem = None
                if problem is None:
                    table.append(row)
                    sources.append(item)
                else:
                    sink.add(spec, item, problem, _key(row, spec, names), whole)
        columns = [list(c) for c in zip(*table, strict=True)] if table else [[] for _ in names]
    finally:
        if enabled:
            gc.enable()
    try:
        frame = to_frame(spec, dict(zip(names, columns, strict=True)), rows=len(table))
    except ValueError:
        bad = _unfit(spec, names, columns)
        if not bad:
            raise
        for i, reason in bad.items():
            sink.add(spec, sources[i], reason, _key(table[i], spec, names), whole)
        keep = [i for i in range(len(table)) if i not in bad]
        columns = [[c[i] for i in keep] for c in columns]
        frame = to_frame(spec, dict(zip(names, columns, strict=True)), rows=len(keep))
    if rejects is None and sink.records:
        first = sink.records[0]
        field = first.reason.split(":", 1)[0] in spec.column_names
        raise ValueError(
            f"{first.table}{'.' if field else ': '}{first.reason} ({len(sink)} record(s) cannot "
            f"be loaded; first: {first.key or 'no key'})"
        )
    return frame


def _collection(
    spec: TableSpec, names: Sequence[str], row: Callable[[Item], tuple[Any, ...]]
) -> Callable[..., pd.DataFrame]:
    def flatten(items: Iterable[Item], *, rejects: Rejects | None = None) -> pd.DataFrame:
        return _build(spec, names, lambda item: [row(item)], items, rejects, whole=True)

    flatten.__doc__ = f"API objects -> `{spec.qualified_name}` frame."
    return flatten


def _same(*keys: str) -> Callable[[Item], tuple[Any, ...]]:
    """A row of top-level fields copied as they are."""
    return lambda item: tuple(item.get(k) for k in keys)


# --- organization and people ------------------------------------------------------------------

_ORG = ("uri", "name", "kind", "plan", "stage", "created_at", "updated_at")
organizations = _collection(rt.ORGANIZATIONS, _ORG, _same(*_ORG))

_USER = (
    "uri",
    "name",
    "slug",
    "email",
    "scheduling_url",
    "timezone",
    "time_notation",
    "locale",
    "current_organization",
    "created_at",
    "updated_at",
)
users = _collection(rt.USERS, _USER, _same(*_USER))


def _user_of_membership(m: Item) -> tuple[Any, ...]:
    u = m.get("user") or _EMPTY
    return (
        *(u.get(k) for k in _USER[:-3]),
        m.get("organization"),
        u.get("created_at"),
        u.get("updated_at"),
    )


users_from_memberships = _collection(rt.USERS, _USER, _user_of_membership)
users_from_memberships.__doc__ = "OrganizationMembership objects -> `raw.users` (embedded user)."


def _membership(m: Item) -> tuple[Any, ...]:
    u = m.get("user") or _EMPTY
    return (
        m.get("uri"),
        m.get("organization"),
        m.get("role"),
        u.get("uri"),
        u.get("name"),
        u.get("email"),
        u.get("slug"),
        u.get("timezone"),
        m.get("created_at"),
        m.get("updated_at"),
    )


organization_memberships = _collection(
    rt.ORGANIZATION_MEMBERSHIPS,
    (
        "uri",
        "organization",
        "role",
        "user_uri",
        "user_name",
        "user_email",
        "user_slug",
        "user_timezone",
        "created_at",
        "updated_at",
    ),
    _membership,
)

organization_invitations = _collection(
    rt.ORGANIZATION_INVITATIONS,
    (
        "uri",
        "organization",
        "email",
        "status",
        "last_sent_at",
        "user_uri",
        "created_at",
        "updated_at",
    ),
    _same(
        "uri", "organization", "email", "status", "last_sent_at", "user", "created_at", "updated_at"
    ),
)

_GROUP = ("uri", "name", "organization", "member_count", "created_at", "updated_at")
groups = _collection(rt.GROUPS, _GROUP, _same(*_GROUP))


def _group_relationship(r: Item) -> tuple[Any, ...]:
    owner = r.get("owner") or _EMPTY
    return (
        r.get("uri"),
        r.get("role"),
        owner.get("uri"),
        owner.get("type"),
        r.get("group"),
        r.get("organization"),
        r.get("created_at"),
        r.get("updated_at"),
    )


group_relationships = _collection(
    rt.GROUP_RELATIONSHIPS,
    (
        "uri",
        "role",
        "owner_uri",
        "owner_type",
        "group_uri",
        "organization",
        "created_at",
        "updated_at",
    ),
    _group_relationship,
)

# --- scheduling configuration -----------------------------------------------------------------


def _event_type(t: Item) -> tuple[Any, ...]:
    profile = t.get("profile") or _EMPTY
    locations = t.get("locations")
    questions = t.get("custom_questions")
    return (
        t.get("uri"),
        t.get("name"),
        t.get("slug"),
        t.get("active"),
        t.get("admin_managed"),
        t.get("booking_method"),
        t.get("kind"),
        t.get("pooling_type"),
        t.get("type"),
        t.get("secret"),
        t.get("is_paid"),
        t.get("duration"),
        t.get("duration_options"),
        None if locations is None else [loc.get("kind") for loc in locations],
        None if questions is None else sum(1 for q in questions if q.get("enabled")),
        profile.get("type"),
        profile.get("owner"),
        profile.get("name"),
        t.get("scheduling_url"),
        t.get("position"),
        t.get("created_at"),
        t.get("updated_at"),
        t.get("deleted_at"),
        questions,
        locations,
    )


event_types = _collection(
    rt.EVENT_TYPES,
    (
        "uri",
        "name",
        "slug",
        "active",
        "admin_managed",
        "booking_method",
        "kind",
        "pooling_type",
        "type",
        "secret",
        "is_paid",
        "duration",
        "duration_options",
        "location_kinds",
        "custom_questions_enabled",
        "profile_type",
        "profile_owner",
        "profile_name",
        "scheduling_url",
        "position",
        "created_at",
        "updated_at",
        "deleted_at",
        "custom_questions",
        "locations",
    ),
    _event_type,
)


def _event_type_host(m: Item) -> tuple[Any, ...]:
    event_type = m.get("event_type")
    member = m.get("member") or _EMPTY
    return (
        event_type if isinstance(event_type, str) else (event_type or _EMPTY).get("uri"),
        member.get("uri"),
        m.get("uri"),
        member.get("name"),
        member.get("email"),
        m.get("created_at"),
        m.get("updated_at"),
    )


event_type_hosts = _collection(
    rt.EVENT_TYPE_HOSTS,
    (
        "event_type_uri",
        "user_uri",
        "membership_uri",
        "user_name",
        "user_email",
        "created_at",
        "updated_at",
    ),
    _event_type_host,
)
event_type_hosts.__doc__ = "EventTypeMembership objects (`/event_type_memberships`) -> hosts."

# --- meetings ---------------------------------------------------------------------------------


def _event(e: Item) -> tuple[Any, ...]:
    counter = e.get("invitees_counter") or _EMPTY
    cancel = e.get("cancellation") or _EMPTY
    return (
        e.get("uri"),
        e.get("name"),
        e.get("status"),
        e.get("start_time"),
        e.get("end_time"),
        e.get("event_type"),
        (e.get("location") or _EMPTY).get("type"),
        counter.get("total"),
        counter.get("active"),
        counter.get("limit"),
        cancel.get("canceled_by"),
        cancel.get("canceler_type"),
        cancel.get("reason"),
        cancel.get("created_at"),
        len(e.get("event_guests") or ()),
        e.get("created_at"),
        e.get("updated_at"),
    )


scheduled_events = _collection(
    rt.SCHEDULED_EVENTS,
    (
        "uri",
        "name",
        "status",
        "start_time",
        "end_time",
        "event_type",
        "location_type",
        "invitees_total",
        "invitees_active",
        "invitees_limit",
        "canceled_by",
        "canceler_type",
        "cancel_reason",
        "canceled_at",
        "guest_count",
        "created_at",
        "updated_at",
    ),
    _event,
)


def event_hosts(events: Iterable[Item], *, rejects: Rejects | None = None) -> pd.DataFrame:
    """Event objects -> `raw.event_hosts` (one row per `event_memberships` entry)."""
    return _build(
        rt.EVENT_HOSTS,
        ("event_uri", "user_uri", "user_email", "user_name"),
        lambda e: [
            (e.get("uri"), h.get("user"), h.get("user_email"), h.get("user_name"))
            for h in e.get("event_memberships") or ()
        ],
        events,
        rejects,
        whole=False,
    )


def _email_policy(pii: str, salt: str) -> Callable[[str | None], str | None]:
    """What is stored in `raw.invitees.email` (see `INVITEES`); validated before any row."""
    if pii not in PII_MODES:
        raise ValueError(f"invitee_pii must be one of {', '.join(PII_MODES)}; got {pii!r}")
    if pii == "keep":
        return lambda email: email
    if pii == "drop":
        return lambda email: None
    if not isinstance(salt, str) or not salt:
        raise ValueError("invitee_pii='hash' needs a non-empty salt to hash invitee emails with")
    salted = hashlib.sha256(salt.encode())

    def hashed(email: str | None) -> str | None:
        if email is None:
            return None
        h = salted.copy()
        h.update(email.strip().lower().encode())
        return h.hexdigest()

    return hashed


def _domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower() or None


_INVITEE = (
    "uri",
    "event_uri",
    "email",
    "email_domain",
    "name",
    "status",
    "timezone",
    "rescheduled",
    "old_invitee",
    "new_invitee",
    "routing_form_submission",
    "no_show_uri",
    "no_show_at",
    "reconfirmation_created_at",
    "reconfirmation_confirmed_at",
    "payment_provider",
    "payment_amount",
    "payment_currency",
    "payment_successful",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "salesforce_uuid",
    "text_reminder",
    "scheduling_method",
    "invitee_scheduled_by",
    "canceled_by",
    "canceler_type",
    "cancel_reason",
    "canceled_at",
    "created_at",
    "updated_at",
)


def invitees(
    items: Iterable[Item], *, pii: str = "hash", salt: str = "", rejects: Rejects | None = None
) -> pd.DataFrame:
    """Invitee objects -> `raw.invitees`, applying the `invitee_pii` policy.

    `hash` (default): email -> salted SHA-256 hex of the lower-cased address, name dropped;
    `keep`: both kept; `drop`: both NULL. The email domain is always kept.
    """
    email_of = _email_policy(pii, salt)
    keep_name = pii == "keep"

    def row(i: Item) -> tuple[Any, ...]:
        email = i.get("email")
        no_show = i.get("no_show") or _EMPTY
        reconfirmation = i.get("reconfirmation") or _EMPTY
        payment = i.get("payment") or _EMPTY
        tracking = i.get("tracking") or _EMPTY
        cancel = i.get("cancellation") or _EMPTY
        return (
            i.get("uri"),
            i.get("event"),
            email_of(email),
            _domain(email),
            i.get("name") if keep_name else None,
            i.get("status"),
            i.get("timezone"),
            i.get("rescheduled"),
            i.get("old_invitee"),
            i.get("new_invitee"),
            i.get("routing_form_submission"),
            no_show.get("uri"),
            no_show.get("created_at"),
            reconfirmation.get("created_at"),
            reconfirmation.get("confirmed_at"),
            payment.get("provider"),
            payment.get("amount"),
            payment.get("currency"),
            payment.get("successful"),
            tracking.get("utm_source"),
            tracking.get("utm_medium"),
            tracking.get("utm_campaign"),
            tracking.get("utm_content"),
            tracking.get("utm_term"),
            tracking.get("salesforce_uuid"),
            i.get("text_reminder_number") is not None,
            i.get("scheduling_method"),
            i.get("invitee_scheduled_by"),
            cancel.get("canceled_by"),
            cancel.get("canceler_type"),
            cancel.get("reason"),
            cancel.get("created_at"),
            i.get("created_at"),
            i.get("updated_at"),
        )

    return _build(rt.INVITEES, _INVITEE, lambda i: [row(i)], items, rejects, whole=True)


def invitee_questions_and_answers(
    items: Iterable[Item], *, rejects: Rejects | None = None
) -> pd.DataFrame:
    """Invitee objects -> `raw.invitee_questions_and_answers` (one row per answer)."""
    return _build(
        rt.INVITEE_QUESTIONS_AND_ANSWERS,
        ("invitee_uri", "position", "question", "answer"),
        lambda i: [
            (i.get("uri"), qa.get("position"), qa.get("question"), qa.get("answer"))
            for qa in i.get("questions_and_answers") or ()
        ],
        items,
        rejects,
        whole=False,
    )


# --- routing, integrations, audit -------------------------------------------------------------


def _routing_form(f: Item) -> tuple[Any, ...]:
    questions = f.get("questions")
    return (
        f.get("uri"),
        f.get("organization"),
        f.get("name"),
        f.get("status"),
        None if questions is None else len(questions),
        questions,
        f.get("created_at"),
        f.get("updated_at"),
    )


routing_forms = _collection(
    rt.ROUTING_FORMS,
    (
        "uri",
        "organization",
        "name",
        "status",
        "question_count",
        "questions",
        "created_at",
        "updated_at",
    ),
    _routing_form,
)


def _submission(s: Item) -> tuple[Any, ...]:
    result = s.get("result") or _EMPTY
    value = result.get("value")
    tracking = s.get("tracking") or _EMPTY
    return (
        s.get("uri"),
        s.get("routing_form"),
        s.get("submitter"),
        s.get("submitter_type"),
        result.get("type"),
        value if value is None or isinstance(value, str) else json.dumps(value),
        tracking.get("utm_source"),
        tracking.get("utm_medium"),
        tracking.get("utm_campaign"),
        s.get("created_at"),
        s.get("updated_at"),
        s.get("questions_and_answers"),
    )


routing_form_submissions = _collection(
    rt.ROUTING_FORM_SUBMISSIONS,
    (
        "uri",
        "routing_form",
        "submitter",
        "submitter_type",
        "result_type",
        "result_value",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "created_at",
        "updated_at",
        "questions_and_answers",
    ),
    _submission,
)

webhook_subscriptions = _collection(
    rt.WEBHOOK_SUBSCRIPTIONS,
    (
        "uri",
        "callback_url",
        "state",
        "events",
        "scope",
        "organization",
        "user_uri",
        "group_uri",
        "creator",
        "retry_started_at",
        "created_at",
        "updated_at",
    ),
    _same(
        "uri",
        "callback_url",
        "state",
        "events",
        "scope",
        "organization",
        "user",
        "group",
        "creator",
        "retry_started_at",
        "created_at",
        "updated_at",
    ),
)


def _entry(e: Item) -> tuple[Any, ...]:
    actor = e.get("actor") or _EMPTY
    return (
        e.get("uri"),
        e.get("occurred_at"),
        e.get("namespace"),
        e.get("action"),
        e.get("fully_qualified_name"),
        actor.get("uri"),
        actor.get("type"),
        actor.get("display_name"),
        (actor.get("organization") or _EMPTY).get("role"),
        e.get("organization"),
        e.get("details"),
    )


activity_log_entries = _collection(
    rt.ACTIVITY_LOG_ENTRIES,
    (
        "uri",
        "occurred_at",
        "namespace",
        "action",
        "fully_qualified_name",
        "actor_uri",
        "actor_type",
        "actor_display_name",
        "actor_role",
        "organization",
        "details",
    ),
    _entry,
)

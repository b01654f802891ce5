"""Calendly API JSON -> typed frames shaped exactly like the raw TableSpecs.

Declarative: each column's place in the API object is its `path` in `schema.raw_tables` (and
`derive`, one of the named functions in `DERIVED`, for the few computed columns), so this
module names a column only where an endpoint serves a table in another shape (the users
embedded in memberships). Pure pandas and stdlib: no HTTP, no DuckDB. At the 1M-event scale
these functions see millions of dicts, so each makes one pass building plain row tuples and
converts whole columns at the end (`to_frame`); no pandas call runs per row.

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

from calendly_pipeline.schema import raw_tables as rt
from calendly_pipeline.schema.rejected import Rejected
from calendly_pipeline.schema.spec import TableSpec, pandas_dtype

Item = Mapping[str, Any]
PII_MODES = ("hash", "keep", "drop")
_EMPTY: Mapping[str, Any] = {}


# What pandas raises on a value that does not fit a column (IndexError: a list in a BOOLEAN one).
_CONVERT_ERRORS = (ValueError, TypeError, OverflowError, IndexError)


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
        # Every element must fit the element type (a duration of 2**31 does not fit INTEGER),
        # or DuckDB's CAST fails the whole write instead of one record being set aside.
        _convert(type_.removesuffix("[]"), [e for v in values if v is not None for e in v])
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
        except _CONVERT_ERRORS as exc:
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


def _json_text(value: Any) -> str | None:
    return value if value is None or isinstance(value, str) else json.dumps(value)


def _domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower() or None


# The named functions a column's `derive` applies to the value at its path. The invitee PII
# ones depend on the `invitee_pii` setting, so `invitees` supplies them per call.
DERIVED: dict[str, Callable[[Any], Any]] = {
    "kinds": lambda v: None if v is None else [loc.get("kind") for loc in v],
    "enabled_count": lambda v: None if v is None else sum(1 for q in v if q.get("enabled")),
    "count": lambda v: None if v is None else len(v),
    "count_or_zero": lambda v: len(v or ()),
    "json_text": _json_text,
    "uri": lambda v: v if isinstance(v, str) else (v or _EMPTY).get("uri"),
    "is_set": lambda v: v is not None,
    "email_domain": _domain,
}


def _read(path: str, source: str) -> str:
    """Python expression reading `a.b.c` from `source`, NULL where a level is missing or
    empty, exactly as `(source.get("a") or {}).get("b")` would."""
    first, *rest = path.split(".")
    expression = f"{source}.get({first!r})"
    for key in rest:
        expression = f"({expression} or _EMPTY).get({key!r})"
    return expression


def _rows_of(
    spec: TableSpec,
    *,
    under: str | None = None,
    paths: Mapping[str, str] | None = None,
    derived: Mapping[str, Callable[[Any], Any]] = DERIVED,
) -> tuple[list[str], Callable[[Item], list[tuple[Any, ...]]], bool]:
    """(column names, item -> rows, one row per item?) from the columns' API paths.

    Columns whose path has `list[].` take one row per element of that list, the others come
    from the item itself. `under` reads every path inside that object of the item (`paths`
    overrides a column's path for such a variant). The row function is compiled once per table
    (as `collections.namedtuple` does) into the tuple expression a hand-written one would be:
    a generic getter per value cost twice the time on the 1M-event benchmark.
    """
    columns = [c for c in spec.columns if c.api_path is not None]
    overrides = paths or {}
    namespace: dict[str, Any] = {"_EMPTY": _EMPTY}
    values: list[str] = []
    lists: set[str] = set()
    for c in columns:
        path = overrides.get(c.name) or (f"{under}.{c.api_path}" if under else c.api_path)
        if "[]." in path:
            listed, path = path.split("[].")
            lists.add(listed)
            value = _read(path, "element")
        else:
            value = _read(path, "item")
        if c.derive is not None:
            namespace[f"derive_{c.derive}"] = derived[c.derive]
            value = f"derive_{c.derive}({value})"
        values.append(value)
    if len(lists) > 1:
        raise ValueError(f"{spec.qualified_name}: rows from more than one list {sorted(lists)}")
    row = f"({', '.join(values)},)"
    if lists:
        source = f"lambda item: [{row} for element in {_read(lists.pop(), 'item')} or ()]"
    else:
        source = f"lambda item: [{row}]"
    rows = eval(source, namespace)  # our own specs' paths, each quoted by repr()
    return [c.name for c in columns], rows, not lists


def _table(spec: TableSpec, **variant: Any) -> Callable[..., pd.DataFrame]:
    names, rows, whole = _rows_of(spec, **variant)

    def flatten(items: Iterable[Item], *, rejects: Rejects | None = None) -> pd.DataFrame:
        return _build(spec, names, rows, items, rejects, whole=whole)

    flatten.__doc__ = f"API objects -> `{spec.qualified_name}` frame."
    return flatten


organizations = _table(rt.ORGANIZATIONS)
users = _table(rt.USERS)
# The user embedded in each membership, in the membership's organization.
users_from_memberships = _table(
    rt.USERS, under="user", paths={"current_organization": "organization"}
)
users_from_memberships.__doc__ = "OrganizationMembership objects -> `raw.users` (embedded user)."
organization_memberships = _table(rt.ORGANIZATION_MEMBERSHIPS)
organization_invitations = _table(rt.ORGANIZATION_INVITATIONS)
groups = _table(rt.GROUPS)
group_relationships = _table(rt.GROUP_RELATIONSHIPS)
event_types = _table(rt.EVENT_TYPES)
event_type_hosts = _table(rt.EVENT_TYPE_HOSTS)
event_type_hosts.__doc__ = "EventTypeMembership objects (`/event_type_memberships`) -> hosts."
scheduled_events = _table(rt.SCHEDULED_EVENTS)
event_hosts = _table(rt.EVENT_HOSTS)
event_hosts.__doc__ = "Event objects -> `raw.event_hosts` (one row per `event_memberships` entry)."
invitee_questions_and_answers = _table(rt.INVITEE_QUESTIONS_AND_ANSWERS)
invitee_questions_and_answers.__doc__ = (
    "Invitee objects -> `raw.invitee_questions_and_answers` (one row per answer)."
)
routing_forms = _table(rt.ROUTING_FORMS)
routing_form_submissions = _table(rt.ROUTING_FORM_SUBMISSIONS)
webhook_subscriptions = _table(rt.WEBHOOK_SUBSCRIPTIONS)
activity_log_entries = _table(rt.ACTIVITY_LOG_ENTRIES)


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


def invitees(
    items: Iterable[Item], *, pii: str = "hash", salt: str = "", rejects: Rejects | None = None
) -> pd.DataFrame:
    """Invitee objects -> `raw.invitees`, applying the `invitee_pii` policy.

    `hash` (default): email -> salted SHA-256 hex of the lower-cased address, name dropped;
    `keep`: both kept; `drop`: both NULL. The email domain is always kept.
    """
    policy = {
        "invitee_email": _email_policy(pii, salt),
        "invitee_name": (lambda name: name) if pii == "keep" else (lambda name: None),
    }
    names, rows, _ = _rows_of(rt.INVITEES, derived={**DERIVED, **policy})
    return _build(rt.INVITEES, names, rows, items, rejects, whole=True)

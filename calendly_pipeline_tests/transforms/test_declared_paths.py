"""The extraction is the specs' declaration: every raw column read from the API lands from the
`path` its spec declares (schema/raw_tables.py), and a column no flatten function reads
declares no path."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from calendly_pipeline.schema import raw_tables as rt
from calendly_pipeline.schema.spec import Column, TableSpec
from calendly_pipeline.transforms import flatten

FLATTENED = [spec for spec in rt.RAW_TABLES if hasattr(flatten, spec.name)]
SAMPLE: dict[str, Any] = {
    "VARCHAR": "text",
    "INTEGER": 7,
    "BOOLEAN": True,
    "DOUBLE": 1.5,
    "TIMESTAMPTZ": "2026-01-02T03:04:05Z",
    "JSON": {"k": "v"},
    "VARCHAR[]": ["a", "b"],
    "INTEGER[]": [15, 30],
}


# derive -> (a value served at the column's path, what the column then holds)
DERIVED: dict[str, tuple[Any, Any]] = {
    "kinds": ([{"kind": "zoom"}, {"kind": "physical"}], ["zoom", "physical"]),
    "enabled_count": ([{"enabled": True}, {"enabled": False}, {"enabled": True}], 2),
    "count": ([{"enabled": True}, {"enabled": False}, {"enabled": True}], 3),
    "count_or_zero": ([{}, {}], 2),
    "json_text": ({"a": 1}, '{"a": 1}'),
    "uri": ({"uri": "https://api/x"}, "https://api/x"),
    "is_set": ("+33 1 00 00 00 00", True),
    "email_domain": ("Ann@X.Example", "x.example"),
    "invitee_email": ("Ann@X.Example", "Ann@X.Example"),  # invitee_pii=keep
    "invitee_name": ("Ann", "Ann"),
}


def _value(column: Column) -> Any:
    value = SAMPLE[column.type]
    return f"{value}-{column.name}" if column.type == "VARCHAR" else value


def _put(item: dict[str, Any], path: str, value: Any) -> Any:
    """Serve `value` at `path`, or keep what is already there; returns what is served."""
    listed, _, inner = path.rpartition("[].")
    if listed:
        item = item.setdefault(listed, [{}])[0]
    *parents, leaf = inner.split(".")
    for key in parents:
        item = item.setdefault(key, {})
    return item.setdefault(leaf, value)


def _expected(column: Column, served: Any) -> Any:
    if column.derive is not None:
        return DERIVED[column.derive][1]
    if column.type == "TIMESTAMPTZ":
        return pd.Timestamp(served)
    return json.dumps(served) if column.type == "JSON" else served


def test_a_table_no_flatten_function_builds_declares_no_api_path() -> None:
    """docs/raw_tables.md says "set by our sync" for such columns, never a path nobody reads."""
    unread = [spec for spec in rt.RAW_TABLES if spec not in FLATTENED]
    assert [spec.name for spec in unread] == ["membership_snapshots"]
    assert all(c.api_path is None for spec in unread for c in spec.columns)


@pytest.mark.parametrize("spec", FLATTENED, ids=lambda s: s.name)
def test_each_column_is_read_at_its_declared_path(spec: TableSpec) -> None:
    read = [c for c in spec.columns if c.api_path is not None]
    item: dict[str, Any] = {}
    derived_first = sorted(read, key=lambda c: c.derive is None)
    served = {
        c.name: _put(item, c.api_path, DERIVED[c.derive][0] if c.derive else _value(c))
        for c in derived_first
    }
    kwargs = {"pii": "keep"} if spec is rt.INVITEES else {}
    frame = getattr(flatten, spec.name)([item], **kwargs)
    assert len(frame) == 1
    for column in read:
        got = frame[column.name].iloc[0]
        got = list(got) if isinstance(got, list) else got
        assert got == _expected(column, served[column.name]), column.name

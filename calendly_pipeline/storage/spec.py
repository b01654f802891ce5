"""Storage's side of the table specifications (declared in `calendly_pipeline.schema.spec`,
re-exported here for storage's callers): the Markdown the table docs are rendered from."""

from __future__ import annotations

from calendly_pipeline.schema.spec import (
    PANDAS_DTYPES,
    Column,
    TableSpec,
    pandas_dtype,
    pandas_dtypes,
)

__all__ = [
    "PANDAS_DTYPES",
    "Column",
    "TableSpec",
    "key_enforced",
    "key_sentence",
    "not_null",
    "pandas_dtype",
    "pandas_dtypes",
    "render_markdown",
]


def key_enforced(spec: TableSpec) -> bool:
    """Whether DuckDB holds the table's key as a PRIMARY KEY (an ART index).

    Not for raw tables, nor for the others that grow with the history stored
    (`grows_with_history`): a key index costs memory and file space that grow with it, and a
    write into it needs the index in memory, under the pipeline's DuckDB memory cap too
    (docs/scaling.md, daily memory). Their key stays metadata: `storage.writes` keeps it
    unique, the DDL keeps it NOT NULL, and the `unique_key` asset checks (`storage.integrity`)
    verify it.
    """
    return bool(spec.primary_key) and spec.schema != "raw" and not spec.grows_with_history


def not_null(spec: TableSpec, column: Column) -> bool:
    """A key column is NOT NULL whether or not DuckDB enforces the key."""
    return not column.nullable or column.name in spec.primary_key


def key_sentence(spec: TableSpec) -> str:
    """What the docs and the table's DuckDB comment say about its key."""
    keys = ", ".join(spec.primary_key)
    if key_enforced(spec):
        return f"Primary key: `{keys}`."
    return (
        f"Key: `{keys}`: one row per key, never NULL (checked by the `unique_key` asset "
        "check, not held as a DuckDB PRIMARY KEY)."
    )


def _api_source(column: Column) -> str:
    """Where a raw column's value is in the API object (`transforms.flatten` reads it there)."""
    if column.api_path is None:
        return "set by our sync"
    derived = f" → `{column.derive}`" if column.derive else ""
    return f"`{column.api_path}`{derived}"


def render_markdown(specs: list[TableSpec]) -> str:
    """Analyst-facing Markdown for a list of tables."""
    out: list[str] = []
    for spec in specs:
        out.append(f"### `{spec.qualified_name}`\n\n{spec.description}\n")
        if spec.primary_key:
            out.append(key_sentence(spec) + "\n")
        api = spec.schema == "raw"  # read from the Calendly API: say where each column is
        out.append("| column | type | description |" + (" from the API |" if api else ""))
        out.append("|---|---|---|" + ("---|" if api else ""))
        out += [
            f"| `{c.name}` | {c.type} | {c.description} |" + (f" {_api_source(c)} |" if api else "")
            for c in spec.columns
        ]
        out.append("")
    return "\n".join(out)

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
    "pandas_dtype",
    "pandas_dtypes",
    "render_markdown",
]


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
            out.append(f"Primary key: `{', '.join(spec.primary_key)}`.\n")
        api = spec.schema == "raw"  # read from the Calendly API: say where each column is
        out.append("| column | type | description |" + (" from the API |" if api else ""))
        out.append("|---|---|---|" + ("---|" if api else ""))
        out += [
            f"| `{c.name}` | {c.type} | {c.description} |" + (f" {_api_source(c)} |" if api else "")
            for c in spec.columns
        ]
        out.append("")
    return "\n".join(out)

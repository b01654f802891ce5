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


def render_markdown(specs: list[TableSpec]) -> str:
    """Analyst-facing Markdown for a list of tables."""
    out: list[str] = []
    for spec in specs:
        out.append(f"### `{spec.qualified_name}`\n\n{spec.description}\n")
        if spec.primary_key:
            out.append(f"Primary key: `{', '.join(spec.primary_key)}`.\n")
        out.append("| column | type | description |\n|---|---|---|")
        out += [f"| `{c.name}` | {c.type} | {c.description} |" for c in spec.columns]
        out.append("")
    return "\n".join(out)

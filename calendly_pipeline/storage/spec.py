"""Table specifications: the one place a table's columns, types and meanings are written down.

Migrations build DDL from these, the Dagster assets turn them into column-schema metadata, and
`docs/tables.md` is rendered from them, so the three can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type, e.g. "VARCHAR", "TIMESTAMPTZ", "VARCHAR[]"
    description: str
    nullable: bool = True


@dataclass(frozen=True)
class TableSpec:
    schema: str
    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ("uri",)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


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

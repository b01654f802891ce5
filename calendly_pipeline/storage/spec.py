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


# The pandas dtype each DuckDB type is read into and flattened to, so frames from the API and
# frames read back from DuckDB compare equal. Lists stay Python lists in object columns.
PANDAS_DTYPES = {
    "VARCHAR": "str",
    "JSON": "str",
    "BOOLEAN": "boolean",
    "INTEGER": "Int32",
    "BIGINT": "Int64",
    "DOUBLE": "float64",
    "TIMESTAMPTZ": "datetime64[us, UTC]",
    "DATE": "datetime64[us]",
}


def pandas_dtype(duckdb_type: str) -> str:
    return "object" if duckdb_type.endswith("[]") else PANDAS_DTYPES[duckdb_type]


def pandas_dtypes(spec: TableSpec) -> dict[str, str]:
    return {c.name: pandas_dtype(c.type) for c in spec.columns}

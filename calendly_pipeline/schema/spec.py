"""Table specifications: the one place a table's columns, types and meanings are written down.

Migrations build DDL from these, the Dagster assets turn them into column-schema metadata,
`docs/raw_tables.md` is rendered from them and `transforms.flatten` reads each raw column from
the API at its `path`, so none of them can drift apart. Stdlib only: storage and transforms
both import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type, e.g. "VARCHAR", "TIMESTAMPTZ", "VARCHAR[]"
    description: str
    nullable: bool = True
    # Where the value is in the API object: a dotted JSON path ("user.email"); `list[].field`
    # makes one row per element of `list`. "" is the field of the column's own name; None: not
    # from the API (our sync sets it).
    path: str | None = ""
    # A named function of the value at `path` (`transforms.flatten.DERIVED`), for the few
    # columns the API does not serve as they are stored.
    derive: str | None = None

    @property
    def api_path(self) -> str | None:
        return self.name if self.path == "" else self.path


@dataclass(frozen=True)
class TableSpec:
    schema: str
    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ("uri",)
    extra: dict[str, str] = field(default_factory=dict)
    # A row per event (or per user and day): the table grows with the history stored, so DuckDB
    # holds no index for its key (`storage.spec.key_enforced`), as for every raw table.
    grows_with_history: bool = False

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


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


def frame_dtypes(spec: TableSpec) -> dict[str, str]:
    """The dtypes the utilization model computes a table in: NOT NULL booleans and integers as
    NumPy's `bool`/`int64` (no mask to carry), every other column as DuckDB reads it back."""
    numpy = {"BOOLEAN": "bool", "INTEGER": "int64", "BIGINT": "int64"}
    return {
        c.name: numpy[c.type] if not c.nullable and c.type in numpy else pandas_dtype(c.type)
        for c in spec.columns
    }

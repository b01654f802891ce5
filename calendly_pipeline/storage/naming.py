"""Quoted SQL names, optionally inside another attached database (catalog), and `run`.

Every storage function takes `catalog`: None means the connection's default database, a name
means an ATTACHed one (a second file, MotherDuck), so nothing assumes a local file.
"""

from __future__ import annotations

from typing import Any

import duckdb

from calendly_pipeline.storage.spec import TableSpec


def ident(name: str) -> str:
    """A double-quoted SQL identifier (quotes inside doubled)."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A single-quoted SQL string literal, for statements that take no parameters (COMMENT ON)."""
    return "'" + text.replace("'", "''") + "'"


def schema_ref(schema: str, catalog: str | None = None) -> str:
    return f"{ident(catalog)}.{ident(schema)}" if catalog else ident(schema)


def table_ref(spec: TableSpec, catalog: str | None = None) -> str:
    return f"{schema_ref(spec.schema, catalog)}.{ident(spec.name)}"


def run(
    conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> list[tuple[Any, ...]]:
    """Execute and fetch everything: DuckDB refuses `register`/`unregister` while a result is
    still pending on the connection."""
    return conn.execute(sql, params).fetchall()

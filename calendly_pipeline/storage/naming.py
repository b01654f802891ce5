"""Quoted SQL names, and `run`: the helpers every storage module writes its SQL with.

Tables live in the connection's own database, whatever it is (a file, or `md:` on MotherDuck).
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


def table_ref(spec: TableSpec) -> str:
    return f"{ident(spec.schema)}.{ident(spec.name)}"


def run(
    conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> list[tuple[Any, ...]]:
    """Execute and fetch everything: DuckDB refuses `register`/`unregister` while a result is
    still pending on the connection."""
    return conn.execute(sql, params).fetchall()

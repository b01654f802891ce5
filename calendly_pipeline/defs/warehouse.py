"""DuckDB as a Dagster resource: dagster-duckdb's `DuckDBResource`, opened through `storage`.

The subclass keeps DuckDBResource's config surface (`database`, shown in the UI) and adds what
the pipeline needs on every open: the parent folder, a clear error for a foreign or damaged file,
and the schema migrations, applied once per process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field

from calendly_pipeline.settings import DUCKDB_MEMORY_MIB, check_whole_numbers, duckdb_database
from calendly_pipeline.storage import database, migrations

_migrated: set[str] = set()
_active: str | None = None


def active_database() -> str:
    """The warehouse of the run executing in this process (one run per process at a time)."""
    return _active or duckdb_database()


class Warehouse(DuckDBResource):
    """The pipeline's DuckDB database (`CALENDLY_DUCKDB_PATH`, default data/calendly.duckdb)."""

    duckdb_memory_mib: int = Field(
        default=DUCKDB_MEMORY_MIB,
        description="DuckDB's memory cap, MiB (`CALENDLY_DUCKDB_MEMORY_MIB`): above it DuckDB "
        "evicts the blocks it has read and spills to disk, so a sync's memory does not grow with "
        "the history stored.",
    )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        check_whole_numbers(self)
        # Each run's steps then say which warehouse they wrote (`active_database`), even when
        # the Launchpad points this run at another file than the environment does.
        global _active
        _active = self.database

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with database.connection(self.database, memory_limit_mib=self.duckdb_memory_mib) as conn:
            if self.database not in _migrated:
                migrations.migrate(conn)
                _migrated.add(self.database)
            yield conn

"""Which organization a warehouse belongs to, and the state of its Calendly connection.

A warehouse holds one organization. Syncing another one into it would mark every event of the
first deleted and purge its invitees, and synthetic sandbox data must never mix with real data,
so the first sync records the owner (`meta.warehouse_owner`) and every later sync compares
before it writes anything. The owner is keyed by the organization's UUID, not its URI, whose
host differs between the sandbox and the real API.

`meta.connection_status` is what the dashboard's connection card reads: how the pipeline is
connected, as whom, and since when it needs a Reconnect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from calendly_pipeline.storage.naming import run, table_ref
from calendly_pipeline.storage.raw_tables import CONNECTION_STATUS, SYNC_INFO, WAREHOUSE_OWNER
from calendly_pipeline.storage.writes import transaction

ANOTHER_FILE = "set CALENDLY_DUCKDB_PATH to another file to sync it"


class WarehouseOwnedByAnother(Exception):
    """The warehouse holds another organization, or the other kind of data (synthetic/real)."""


@dataclass(frozen=True)
class Owner:
    org_uuid: str
    org_name: str
    is_synthetic: bool

    @classmethod
    def from_uri(cls, org_uri: str, org_name: str, is_synthetic: bool) -> Owner:
        return cls(org_uri.rstrip("/").rsplit("/", 1)[-1], org_name, bool(is_synthetic))

    def __str__(self) -> str:
        kind = "synthetic sandbox data" if self.is_synthetic else "real data"
        return f"{self.org_name!r} (organization {self.org_uuid}, {kind})"


def _recorded(conn: duckdb.DuckDBPyConnection) -> tuple[Owner | None, bool]:
    """The recorded owner and whether it is in `meta.warehouse_owner`; a warehouse synced before
    owners were recorded is owned by its `meta.sync_info` organization."""
    rows = run(
        conn,
        f"SELECT org_uuid, org_name, is_synthetic FROM {table_ref(WAREHOUSE_OWNER)}",
    )
    if rows:
        return Owner(*rows[0]), True
    legacy = run(conn, f"SELECT org_uri, org_name, is_synthetic FROM {table_ref(SYNC_INFO)}")
    return (Owner.from_uri(*legacy[0]) if legacy else None), False


def claim(
    conn: duckdb.DuckDBPyConnection,
    incoming: Owner,
    api_host: str,
) -> None:
    """Record `incoming` as the owner of an unclaimed warehouse, or refuse if another owns it."""
    with transaction(conn):
        held, stored = _recorded(conn)
        if held is not None and (held.org_uuid, held.is_synthetic) != (
            incoming.org_uuid,
            incoming.is_synthetic,
        ):
            raise WarehouseOwnedByAnother(
                f"this warehouse holds {held}; refusing to sync {incoming} into it (nothing was "
                f"written): {ANOTHER_FILE}"
            )
        if not stored:
            owner = held or incoming
            run(
                conn,
                f"INSERT INTO {table_ref(WAREHOUSE_OWNER)} VALUES (?, ?, ?, ?, ?)",
                [owner.org_uuid, owner.org_name, owner.is_synthetic, api_host, datetime.now(UTC)],
            )


def record_connected(
    conn: duckdb.DuckDBPyConnection,
    *,
    method: str,
    connected_as: str,
    role: str | None,
    organization: str | None,
    connected_since: datetime | None,
) -> None:
    """A run authenticated: the card shows who, and any Reconnect warning clears."""
    with transaction(conn):
        run(conn, f"DELETE FROM {table_ref(CONNECTION_STATUS)}")
        run(
            conn,
            f"INSERT INTO {table_ref(CONNECTION_STATUS)} VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)",
            [method, connected_as, role, organization, connected_since, datetime.now(UTC)],
        )


def record_refused(conn: duckdb.DuckDBPyConnection, cause: str) -> None:
    """Authentication was refused: keep who was connected, note since when and why."""
    table = table_ref(CONNECTION_STATUS)
    now = datetime.now(UTC)
    with transaction(conn):
        if not run(conn, f"SELECT 1 FROM {table}"):
            run(conn, f"INSERT INTO {table} (reconnect_needed_since) VALUES (?)", [now])
        run(
            conn,
            f"UPDATE {table} SET reconnect_needed_since = coalesce(reconnect_needed_since, ?), "
            "last_error = ?",
            [now, cause],
        )


def read_status(conn: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The connection card's row (timestamps in UTC), or None before any run recorded one."""
    from calendly_pipeline.storage import reads  # reads -> migrations -> this module

    frame = reads.read_table(conn, CONNECTION_STATUS)
    if frame.empty:
        return None
    return {k: (None if pd.isna(v) else v) for k, v in frame.iloc[0].items()}

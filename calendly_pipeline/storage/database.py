"""Where the database lives, how to open it, and what to say when that fails.

Connections are short-lived: a writer holds DuckDB's file lock only while it writes, so an
analyst (or the dashboard) can open the file read-only in between. Every function that touches
data takes a `duckdb.DuckDBPyConnection`, so the same code runs on a connection from this module
or from dagster-duckdb's `DuckDBResource.get_connection()`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from tenacity import (
    RetryCallState,
    retry,
    retry_if_exception_type,
    stop_after_delay,
    wait_exponential,
)

log = logging.getLogger(__name__)

READER_WAIT_SECONDS = 10.0
WRITER_WAIT_SECONDS = 300.0
DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file
_FOREIGN_SIGNATURES = {
    b"SQLite format 3\x00": "an SQLite database",
    b"PAR1": "a Parquet file",
    b"PK\x03\x04": "a ZIP archive",
    b"\x1f\x8b": "a gzip file",
}


class DatabaseError(RuntimeError):
    """The DuckDB database cannot be used; the message names the file and what to do."""


class CorruptDatabaseError(DatabaseError):
    """The file is not a DuckDB database (foreign or damaged)."""


class DatabaseLockedError(DatabaseError):
    """Another process (or another connection of this one) holds the file."""


class ReadOnlyLocationError(DatabaseError):
    """The database or its folder cannot be written."""


def resolve_database(database: str | os.PathLike[str]) -> str:
    """The database to open (the caller resolves `CALENDLY_DUCKDB_PATH`: see
    `settings.duckdb_database`, so storage reads no setting itself).

    MotherDuck (`md:...`) and `:memory:` pass through untouched: they are not paths.
    """
    value = os.fspath(database)
    if is_remote(value):
        return value
    return str(Path(value).expanduser())


def is_remote(database: str) -> bool:
    return database.startswith(("md:", "motherduck:")) or database == ":memory:"


def display_name(database: str) -> str:
    """The database named for a message: query strings of `md:` URIs may carry a token."""
    return database.split("?", 1)[0] if is_remote(database) else database


def prepare_location(database: str) -> None:
    """Create the parent folder of a local file, and refuse a file that is not DuckDB's."""
    if is_remote(database):
        return
    path = Path(database)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReadOnlyLocationError(
            f"cannot create the folder {path.parent} for the DuckDB database: {exc.strerror}. "
            "Point CALENDLY_DUCKDB_PATH at a writable location."
        ) from None
    if path.is_dir():
        raise CorruptDatabaseError(f"{path} is a folder, not a DuckDB database file")
    if not path.exists():
        return
    with path.open("rb") as fh:
        head = fh.read(16)
    if head[8:12] == DUCKDB_MAGIC:
        return
    if not head:
        what = "an empty file"
    else:
        what = next(
            (name for sig, name in _FOREIGN_SIGNATURES.items() if head.startswith(sig)),
            "text" if all(32 <= b < 127 or b in b"\t\n\r" for b in head) else "unknown data",
        )
    raise CorruptDatabaseError(
        f"{path} is {what}, not a DuckDB database. Move it away (or set CALENDLY_DUCKDB_PATH "
        "to another file) and run the sync again to build a fresh database."
    )


def explain(exc: BaseException, database: str) -> DatabaseError | None:
    """A clear `DatabaseError` for a low-level DuckDB/OS failure, or None if it is none of ours."""
    if isinstance(exc, DatabaseError):
        return exc
    name = display_name(database)
    text = str(exc)
    if "Conflicting lock" in text or "Could not set lock" in text:
        holder = re.search(r"held in (.+?) \(PID (\d+)\)", text)
        who = f" (process {holder.group(2)}: {holder.group(1)})" if holder else ""
        return DatabaseLockedError(
            f"{name} is locked by another process{who}, most likely a sync that is writing. "
            "Wait for it to finish, or read a copy of the file."
        )
    if "different configuration" in text:
        return DatabaseLockedError(
            f"{name} is already open in this process with other settings (read-only vs "
            "read-write); close that connection first."
        )
    if any(
        s in text
        for s in (
            "not a valid DuckDB database",
            "Corrupt database",
            "Could not read enough bytes",
            "checksum",
        )
    ):
        detail = text.splitlines()[0].removeprefix("IO Error: ").removeprefix("Error: ")
        return CorruptDatabaseError(
            f"{name} is damaged or not a DuckDB database ({detail}). Move it away (or restore "
            "a backup) and run the sync again to rebuild it."
        )
    if any(s in text for s in ("Permission denied", "Operation not permitted", "Read-only file")):
        return ReadOnlyLocationError(
            f"cannot write {name} or its folder ({text.splitlines()[0]}). Make the data folder "
            "writable or point CALENDLY_DUCKDB_PATH elsewhere."
        )
    return None


@contextmanager
def explained(database: str) -> Iterator[None]:
    """Turn low-level failures inside the block into a clear `DatabaseError`.

    Damage often shows only when a block is read, so wrap the work, not just the connect.
    """
    try:
        yield
    except duckdb.Error as exc:  # not OSError: HTTP errors in the block are OSErrors too
        clear = explain(exc, database)
        if clear is None or clear is exc:
            raise
        raise clear from exc


def _log_wait(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning("%s; retrying in %.1f s", exc, state.next_action.sleep if state.next_action else 0)


def connect(
    database: str | os.PathLike[str],
    *,
    read_only: bool = False,
    wait_seconds: float | None = None,
    memory_limit_mib: int | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the database (see `resolve_database`), in UTC; with `memory_limit_mib`, DuckDB's
    buffer pool is capped there (`memory_limit`: above it, DuckDB evicts the table blocks it
    has read and spills joins to `<database>.tmp`).

    The cap is what keeps a sync's memory independent of the history stored: DuckDB keeps
    every block a query has read until its memory limit (80% of RAM by default), and a daily
    sync reads all of a long history's tables (docs/scaling.md, daily memory).

    While another process holds the file, the open retries and then fails with a
    `DatabaseLockedError` saying so. Readers wait up to 10 s (a sync holds the file only while it
    commits). Writers wait up to 5 minutes: Dagster's pool already serializes our own writers,
    so the holder is an analyst or the dashboard, and their reads must never fail a sync.
    """
    target = resolve_database(database)
    if read_only and not is_remote(target) and not Path(target).exists():
        raise DatabaseError(f"{target} does not exist yet; run `calendly-pipeline sync` first")
    prepare_location(target)

    def attempt() -> duckdb.DuckDBPyConnection:
        with explained(target):
            conn = duckdb.connect(target, read_only=read_only)
        # A SET, not a connect-time config: a config differing from another open connection
        # to the same file in this process would be refused.
        conn.execute("SET TimeZone = 'UTC'")
        if memory_limit_mib is not None:
            # Instance-wide, like TimeZone: every connection to the file in this process.
            conn.execute(f"SET memory_limit = '{int(memory_limit_mib)}MiB'")
        return conn

    if wait_seconds is None:
        wait_seconds = READER_WAIT_SECONDS if read_only else WRITER_WAIT_SECONDS
    waiting = retry(
        retry=retry_if_exception_type(DatabaseLockedError),
        stop=stop_after_delay(wait_seconds),
        wait=wait_exponential(multiplier=0.1, max=2),
        before_sleep=_log_wait,
        reraise=True,
    )
    return waiting(attempt)()


@contextmanager
def connection(
    database: str | os.PathLike[str],
    *,
    read_only: bool = False,
    wait_seconds: float | None = None,
    memory_limit_mib: int | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """`connect`, closed on exit, with failures inside the block explained too."""
    target = resolve_database(database)
    conn = connect(
        target, read_only=read_only, wait_seconds=wait_seconds, memory_limit_mib=memory_limit_mib
    )
    try:
        with explained(target):
            yield conn
    finally:
        conn.close()

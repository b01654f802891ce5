"""Opening the database: where it lives, and a clear error for every way that goes wrong."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from calendly_pipeline import settings
from calendly_pipeline.storage import database, migrations, reads
from calendly_pipeline.storage import raw_tables as rt

CANARY = "tok_canary_5f1e"


def test_md_uri_passes_through_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"md:calendly?motherduck_token={CANARY}"
    monkeypatch.setenv("CALENDLY_DUCKDB_PATH", uri)
    assert database.resolve_database(settings.duckdb_database()) == uri
    database.prepare_location(uri)  # no path operation on it
    assert not Path("md:calendly").exists()
    assert CANARY not in database.display_name(uri)
    err = database.explain(duckdb.IOException("Could not set lock on file"), uri)
    assert err is not None and CANARY not in str(err)


def test_path_from_environment_and_parent_folder_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "nested" / "deeper" / "calendly.duckdb"
    monkeypatch.setenv("CALENDLY_DUCKDB_PATH", str(target))
    assert database.resolve_database(settings.duckdb_database()) == str(target)
    with database.connection(settings.duckdb_database()) as conn:
        migrations.migrate(conn)
    assert target.is_file()
    with database.connection(settings.duckdb_database(), read_only=True) as conn:
        assert reads.row_count(conn, rt.SCHEDULED_EVENTS) == 0


def test_read_only_open_of_a_missing_file_says_to_sync_first(db_path: str) -> None:
    with pytest.raises(database.DatabaseError, match=r"does not exist yet.*sync"):
        database.connect(db_path, read_only=True)


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (os.urandom(4096), "unknown data"),
        (b"order_id,amount\n1,2\n" * 50, "text"),
        (b"", "an empty file"),
    ],
)
def test_foreign_file_is_named(db_path: str, content: bytes, named: str) -> None:
    Path(db_path).parent.mkdir(parents=True)
    Path(db_path).write_bytes(content)
    with pytest.raises(database.CorruptDatabaseError) as err:
        database.connect(db_path)
    assert str(err.value).startswith(f"{db_path} is {named}, not a DuckDB database")
    assert Path(db_path).read_bytes() == content  # nothing overwritten


def test_sqlite_file_is_named(db_path: str) -> None:
    Path(db_path).parent.mkdir(parents=True)
    with sqlite3.connect(db_path) as lite:
        lite.execute("CREATE TABLE t (a)")
    with pytest.raises(database.CorruptDatabaseError, match="is an SQLite database, not a DuckDB"):
        database.connect(db_path, read_only=True)


def test_damaged_duckdb_file_is_reported_as_corrupted(db_path: str) -> None:
    with database.connection(db_path) as conn:
        migrations.migrate(conn)
        conn.execute("CREATE TABLE filler AS SELECT range AS n FROM range(300000)")
    size = Path(db_path).stat().st_size
    with open(db_path, "r+b") as fh:  # keep the header, damage the blocks after it
        fh.seek(4096 * 3)
        fh.write(os.urandom(size - 4096 * 3))
    with (
        pytest.raises(database.CorruptDatabaseError, match="damaged or not a DuckDB database"),
        database.connection(db_path) as conn,
    ):
        conn.execute("SELECT sum(n) FROM filler").fetchall()


def _make_immutable(folder: Path) -> None:
    """Make `folder` refuse new files even for root (chmod alone does not stop root)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root, where chmod does not block writes, and chattr is missing")
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"running as root and this filesystem refuses chattr +i: {done.stderr}")


def _undo_immutable(folder: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(folder)], check=False)
    folder.chmod(0o755)


def test_read_only_data_folder_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    _make_immutable(folder)
    try:
        with pytest.raises(
            database.ReadOnlyLocationError, match=r"cannot write .*calendly\.duckdb"
        ):
            database.connect(folder / "calendly.duckdb")
        with pytest.raises(database.ReadOnlyLocationError, match="cannot create the folder"):
            database.connect(folder / "sub" / "calendly.duckdb")
    finally:
        _undo_immutable(folder)


HOLD_LOCK = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _writer(db_path: str, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, db_path, str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_lock_held_by_another_process(db_path: str) -> None:
    with database.connection(db_path) as conn:
        migrations.migrate(conn)
    writer = _writer(db_path, 30)
    try:
        started = time.monotonic()
        with pytest.raises(database.DatabaseLockedError) as err:
            database.connect(db_path, read_only=True, wait_seconds=0.5)
        assert time.monotonic() - started >= 0.5  # it waited before giving up
        assert f"process {writer.pid}" in str(err.value)
        assert "a sync that is writing" in str(err.value)
        started = time.monotonic()
        with pytest.raises(database.DatabaseLockedError):
            database.connect(db_path, wait_seconds=0.5)  # a writer waits too, then says so
        assert time.monotonic() - started >= 0.5
    finally:
        writer.kill()
        writer.wait()


def test_reader_waits_for_a_short_writer(db_path: str) -> None:
    with database.connection(db_path) as conn:
        migrations.migrate(conn)
    writer = _writer(db_path, 1.0)
    try:
        started = time.monotonic()
        with database.connection(db_path, read_only=True, wait_seconds=20) as conn:
            waited = time.monotonic() - started
            assert reads.row_count(conn, rt.SCHEMA_MIGRATIONS) == len(migrations.MIGRATIONS)
        assert waited > 0.3
    finally:
        writer.kill()
        writer.wait()


def test_same_process_config_clash_is_explained(db_path: str) -> None:
    with database.connection(db_path) as conn:
        migrations.migrate(conn)
        with pytest.raises(database.DatabaseLockedError, match="already open in this process"):
            database.connect(db_path, read_only=True, wait_seconds=0)


def test_the_pipeline_caps_duckdb_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A daily sync reads all of a long history's tables; uncapped, DuckDB keeps every block it
    read (up to 80% of RAM), so the sync's memory grew with the history stored."""
    from calendly_pipeline.definitions import build_defs

    monkeypatch.setenv("CALENDLY_DUCKDB_PATH", str(tmp_path / "calendly.duckdb"))
    monkeypatch.setenv("CALENDLY_DUCKDB_MEMORY_MIB", "48")
    warehouse = build_defs().resources["duckdb"]
    with warehouse.get_connection() as conn:
        assert conn.execute("SELECT current_setting('memory_limit')").fetchone() == ("48.0 MiB",)
    monkeypatch.delenv("CALENDLY_DUCKDB_MEMORY_MIB")
    with build_defs().resources["duckdb"].get_connection() as conn:
        limit = conn.execute("SELECT current_setting('memory_limit')").fetchone()
    assert limit == (f"{settings.DUCKDB_MEMORY_MIB}.0 MiB",)

"""Storage works on any attached database by name (as a MotherDuck database would be), so
nothing assumes the connection's own local file."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from calendly_pipeline.storage import database, integrity, migrations, reads, writes
from calendly_pipeline.storage import raw_tables as rt
from calendly_pipeline.storage.spec import TableSpec
from calendly_pipeline.transforms import flatten

API = "https://api.calendly.com"
JAN, FEB = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)


def _event(n: int) -> dict[str, object]:
    return {
        "uri": f"{API}/scheduled_events/E{n}",
        "status": "active",
        "start_time": f"2026-01-0{n}T10:00:00.000000Z",
        "end_time": f"2026-01-0{n}T10:30:00.000000Z",
        "updated_at": "2025-12-01T00:00:00.000000Z",
        "event_memberships": [{"user": f"{API}/users/U1", "user_email": "u1@acme.test"}],
    }


def test_every_storage_function_on_an_attached_catalog(tmp_path: Path) -> None:
    remote_file = tmp_path / "remote.duckdb"
    with database.connection(tmp_path / "local.duckdb") as conn:
        conn.execute(f"ATTACH '{remote_file}' AS remote")
        assert migrations.migrate(conn, catalog="remote") == [
            m.version for m in migrations.MIGRATIONS
        ]
        assert migrations.migrate(conn, catalog="remote") == []

        events = [_event(n) for n in (1, 2, 3)]
        frame = flatten.scheduled_events(events)
        with writes.transaction(conn):
            writes.replace_window(
                conn, rt.SCHEDULED_EVENTS, frame, "start_time", JAN, FEB, catalog="remote"
            )
            writes.upsert(conn, rt.SCHEDULED_EVENTS, frame.iloc[:1], catalog="remote")
            writes.replace_children(
                conn, rt.EVENT_HOSTS, flatten.event_hosts(events), "event_uri", frame["uri"],
                catalog="remote",
            )  # fmt: skip
        window = writes.TimeWindow(JAN, FEB)
        seen = frame["uri"][:2]
        assert writes.mark_deleted(conn, rt.SCHEDULED_EVENTS, window, seen, FEB, catalog="remote")
        assert writes.purge_invitees(conn, [events[2]["uri"]], catalog="remote") == 0
        roster = flatten.organization_memberships(
            [{"uri": f"{API}/organization_memberships/M1", "user": {"uri": f"{API}/users/U1"}}]
        )
        writes.replace_all(conn, rt.ORGANIZATION_MEMBERSHIPS, roster, catalog="remote")
        writes.snapshot_memberships(conn, date(2026, 1, 5), roster, catalog="remote")
        writes.write_sync_info(conn, org_uri="o", plan="teams", catalog="remote")

        def count(spec: TableSpec, catalog: str | None = "remote") -> int:
            return reads.row_count(conn, spec, catalog=catalog)

        assert count(rt.SCHEDULED_EVENTS) == 3 and count(rt.EVENT_HOSTS) == 3
        assert count(rt.MEMBERSHIP_SNAPSHOTS) == 1 and count(rt.SYNC_INFO) == 1
        local = conn.execute(  # the local file was never touched
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
        assert local == [(0,)]
        assert reads.event_versions(conn, JAN, FEB, catalog="remote").keys() == set(
            frame["uri"][:2]
        )
        assert reads.member_user_uris(conn, catalog="remote") == [f"{API}/users/U1"]
        assert reads.read_sync_info(conn, catalog="remote")["plan"] == "teams"
        frames = reads.raw_frames(conn, catalog="remote")
        assert set(frames) == {s.name for s in rt.RAW_TABLES}
        assert frames["scheduled_events"]["deleted_at"].notna().sum() == 1
        pd.testing.assert_series_equal(
            frames["scheduled_events"]["start_time"].sort_values(ignore_index=True),
            frame["start_time"],
        )
        chunks = list(reads.event_chunks(conn, {"invitees": ["uri"]}, catalog="remote"))
        assert [len(c["scheduled_events"]) for c in chunks] == [3]  # all in January
        assert len(chunks[0]["event_hosts"]) == 3 and chunks[0]["invitees"].empty
        keys = integrity.key_report(conn, rt.SCHEDULED_EVENTS, catalog="remote")
        assert (keys.rows, keys.shared) == (3, 0)
        assert integrity.orphan_invitees(conn, catalog="remote").live == 0

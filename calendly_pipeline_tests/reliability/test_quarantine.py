"""Bad records are quarantined, not fatal (issue 13): over real HTTP to a sandbox serving wild
records, real Dagster runs and the real DuckDB file, each compared with the fault-free sync."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from calendly_pipeline.defs.org_assets import org_assets
from calendly_pipeline.defs.resources import CalendlyResource
from calendly_pipeline.defs.sync_settings import SyncSettings
from calendly_pipeline.defs.warehouse import Warehouse
from calendly_pipeline.sandbox import FaultConfig, SandboxConfig
from calendly_pipeline.sandbox.config import WildData
from calendly_pipeline_tests.pipeline.harness import AS_OF, Pipeline, pipeline
from calendly_pipeline_tests.reliability.support import SHORT, Reference, rows


def _wild(**knobs: Any) -> SandboxConfig:
    return SandboxConfig(
        seed=7, as_of=AS_OF, scale="tiny", rate_limit_per_minute=0, wild=WildData(**knobs)
    )


def _normal(p: Pipeline, uri: str) -> str:
    return uri.replace(p.sandbox.base_url, "{base}")


def _rejected(p: Pipeline) -> list[tuple[Any, ...]]:
    return p.query(
        "SELECT table_name, record_key, reason, record, asset FROM meta.rejected_records "
        "ORDER BY table_name, record_key NULLS FIRST, record"
    )


def _checks(p: Pipeline, run_id: str) -> dict[str, Any]:
    """The run's `no_rejected_records` evaluations by asset, e.g. {"raw/users": evaluation}."""
    records = p.instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    found = {}
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.check_name == "no_rejected_records":
            found[evaluation.asset_key.to_user_string()] = evaluation
    return found


def test_membership_without_user_and_events_without_uri_are_quarantined(
    tmp_path: Path, reference: Reference
) -> None:
    with pipeline(tmp_path, _wild(orphan_memberships=1, events_without_uri=2, seed=3)) as p:
        outcome = p.sync(*SHORT)
        assert outcome.success, outcome.error
        got, want = rows(p), reference(SHORT)
        world = p.sandbox.world
        (orphan,) = world.orphan_members
        orphan_user = _normal(p, world.uri("user", orphan))
        orphan_membership = _normal(p, world.uri("membership", orphan))
        gone = {_normal(p, world.uri("event", e)) for e in world.uriless_events}
        assert len(gone) == 2

        # The records that could not be loaded are in the quarantine, with reason and JSON.
        found = _rejected(p)
        tables = [(t, k and _normal(p, k), r, a) for t, k, r, _, a in found]
        assert tables == [
            ("raw.scheduled_events", None, "uri: missing", "raw__scheduled_events"),
            ("raw.scheduled_events", None, "uri: missing", "raw__scheduled_events"),
            ("raw.users", orphan_membership, "uri: missing", "organization_memberships"),
        ]
        served = {json.loads(record)["start_time"] for t, _, _, record, _ in found if "events" in t}
        stored_starts = {r[3] for r in want["raw.scheduled_events"] if r[0] in gone}
        assert served == {s.strftime("%Y-%m-%dT%H:%M:%S.%fZ") for s in stored_starts}

        # Everything else loaded: each table equals the fault-free sync minus exactly those.
        gone_invitees = {r[0] for r in want["raw.invitees"] if r[1] in gone}
        expected = {
            **want,
            "raw.scheduled_events": [r for r in want["raw.scheduled_events"] if r[0] not in gone],
            "raw.event_hosts": [r for r in want["raw.event_hosts"] if r[0] not in gone],
            "raw.invitees": [r for r in want["raw.invitees"] if r[1] not in gone],
            "raw.invitee_questions_and_answers": [
                r for r in want["raw.invitee_questions_and_answers"] if r[0] not in gone_invitees
            ],
            "raw.users": [r for r in want["raw.users"] if r[0] != orphan_user],
            # the seat itself is still a membership: loaded, with no user to name
            "raw.organization_memberships": [
                (*r[:3], None, None, None, None, None, *r[8:]) if r[0] == orphan_membership else r
                for r in want["raw.organization_memberships"]
            ],
        }
        for table in expected:
            if table.startswith("raw."):
                assert got[table] == expected[table], table
        assert len(got["analytics.seat_utilization"]) == len(want["analytics.seat_utilization"])

        # The WARN checks name the count and the first examples; the other tables pass.
        checks = _checks(p, outcome.run_id)
        for asset in ("raw/users", "raw/scheduled_events"):
            assert not checks[asset].passed
            assert checks[asset].severity == dg.AssetCheckSeverity.WARN
        assert checks["raw/scheduled_events"].description.startswith(
            "2 record(s) set aside in meta.rejected_records; first: raw.scheduled_events no key: "
            "uri: missing"
        )
        assert "uri: missing" in checks["raw/users"].description
        assert checks["raw/organization_memberships"].passed
        assert checks["raw/invitees"].passed

        # A second run of the same world holds the same quarantine, not twice the rows.
        assert p.sync(*SHORT).success
        assert _rejected(p) == found


def test_missing_and_null_names_are_stored_as_null_not_nan(tmp_path: Path) -> None:
    with pipeline(tmp_path, _wild(null_names=True, seed=5)) as p:
        outcome = p.sync(*SHORT)
        assert outcome.success, outcome.error
        assert p.query("SELECT name FROM raw.organizations") == [(None,)]
        assert p.query("SELECT org_name FROM meta.sync_info") == [(None,)]
        named = p.query("SELECT count(*), count(name) FROM raw.users")[0]
        assert 0 < named[1] < named[0], "some user names are null, others not"
        # No text column anywhere holds the string 'nan' that str(NaN) would have written.
        with duckdb.connect(str(p.database), read_only=True) as conn:
            columns = conn.execute(
                "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
                "WHERE data_type = 'VARCHAR' AND schema_name IN ('raw', 'meta', 'analytics')"
            ).fetchall()
            nans = [
                f"{s}.{t}.{c}"
                for s, t, c in columns
                if conn.execute(f'SELECT count(*) FROM {s}."{t}" WHERE "{c}" = \'nan\'').fetchone()[
                    0
                ]
            ]
        assert nans == []
        assert p.query("SELECT count(*) FROM meta.rejected_records") == [(0,)]
        html = (p.folder / "dashboard.html").read_text()
        assert ">nan<" not in html and "(unnamed organization)" in html


def test_a_403_on_one_removed_members_webhooks_skips_that_member(tmp_path: Path) -> None:
    with pipeline(tmp_path) as p:
        assert p.sync(*SHORT).success
        before = p.snapshot("raw.webhook_subscriptions")
        world = p.sandbox.world
        with world.lock:
            hooked = sorted({h.user for h in world.data.webhooks if h.scope == "user"})
        removed = world.uri("user", hooked[0])
        world.remove_member(removed)  # after the roster was stored: its list now answers 403

        result = dg.materialize(
            org_assets,
            selection=dg.AssetSelection.keys(dg.AssetKey(["raw", "webhook_subscriptions"])),
            resources={
                "calendly": CalendlyResource.from_env(),
                "duckdb": Warehouse(database=str(p.database)),
                # user-scope hooks are read every run, not on their 7-day cadence
                "sync_settings": SyncSettings(user_webhooks_every_days=0),
            },
            instance=p.instance,
            raise_on_error=False,
        )

        assert result.success
        (event,) = result.get_asset_materialization_events()
        assert event.materialization.metadata["rejected_records"].value == 1
        assert p.snapshot("raw.webhook_subscriptions") == [r for r in before if r[6] != removed]
        ((table, key, reason, record, _),) = _rejected(p)
        assert (table, key) == ("raw.webhook_subscriptions", removed)
        assert (
            reason == "children not readable: /webhook_subscriptions answered 403 for this parent"
        )
        assert json.loads(record)["params"]["user"] == removed


def test_a_parent_list_that_fails_otherwise_still_fails_the_collection(tmp_path: Path) -> None:
    """Only a refusal for one parent (403/404) is a reject; a 5xx after every retry is not."""
    with pipeline(tmp_path, env={"CALENDLY_HTTP_ATTEMPTS": "1"}) as p:
        p.sandbox.set_faults(FaultConfig(error_rate=1.0, paths=("/event_type_memberships",)))
        result = dg.materialize(
            org_assets,
            selection=dg.AssetSelection.keys(
                dg.AssetKey(["raw", "event_types"])
            ).required_multi_asset_neighbors(),
            resources={
                "calendly": CalendlyResource.from_env(),
                "duckdb": Warehouse(database=str(p.database)),
                "sync_settings": SyncSettings(),
            },
            instance=p.instance,
            raise_on_error=False,
        )
        assert not result.success
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        assert failure.step_failure_data.error.cause.cls_name == "ServerError"
        assert p.query("SELECT count(*) FROM raw.event_types") == [(0,)]
        assert p.query("SELECT count(*) FROM meta.rejected_records") == [(0,)]


def test_a_partial_read_clears_the_rejects_of_records_it_loaded(tmp_path: Path) -> None:
    """Routing-form submissions are read newest first between whole reads (a partial run):
    the earlier rejects of the forms and submissions it loaded well leave the quarantine."""
    with pipeline(tmp_path) as p:
        assert p.sync(*SHORT).success
        form, submission = (
            p.query(f"SELECT uri FROM raw.{table} ORDER BY created_at DESC LIMIT 1")[0][0]
            for table in ("routing_forms", "routing_form_submissions")
        )
        with duckdb.connect(str(p.database)) as conn:
            for table, key in (("routing_forms", form), ("routing_form_submissions", submission)):
                conn.execute(
                    "INSERT INTO meta.rejected_records (table_name, record_id, record_key, "
                    "reason) VALUES (?, ?, ?, 'malformed record (KeyError)')",
                    [f"raw.{table}", key, key],
                )
        p.sandbox.world.advance(days=1)
        assert p.sync(*SHORT).success
        assert _rejected(p) == []

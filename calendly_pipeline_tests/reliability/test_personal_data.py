"""Invitees are outsiders: hashed emails and no names by default, `invitee_pii` switches that,
members stay named, and compliance deletions vanish on the next sync."""

from __future__ import annotations

import hashlib
from pathlib import Path

from calendly_pipeline.defs.sync_settings import SyncSettings
from calendly_pipeline_tests.pipeline.harness import Pipeline, environment, pipeline
from calendly_pipeline_tests.reliability.support import SHORT, cli, cli_env, dagster_home, sync_args

SALT = "test-salt"  # the harness's CALENDLY_PII_SALT
INVITEES = "SELECT uri, email, email_domain, name FROM raw.invitees ORDER BY uri"


def _into(p: Pipeline, folder: Path, **resources: SyncSettings) -> Pipeline:
    """Sync SHORT from the same sandbox into a fresh database under `folder`."""
    other = Pipeline(p.sandbox, folder, p.instance)
    folder.mkdir()
    with environment(CALENDLY_DUCKDB_PATH=str(other.database)):
        assert other.sync(*SHORT, **resources).success
    return other


def test_invitee_pii_modes_and_members(tmp_path: Path) -> None:
    with pipeline(tmp_path / "hash") as p:
        assert p.sync(*SHORT).success
        hashed = p.query(INVITEES)
        kept = _into(p, tmp_path / "keep", sync_settings=SyncSettings(invitee_pii="keep")).query(
            INVITEES
        )
        assert hashed and len(hashed) == len(kept)
        for (uri, email, domain, name), (k_uri, k_email, k_domain, k_name) in zip(
            hashed, kept, strict=True
        ):
            assert uri == k_uri and "@" in k_email and k_name
            assert email == hashlib.sha256((SALT + k_email.strip().lower()).encode()).hexdigest()
            assert name is None
            assert domain == k_domain == k_email.rsplit("@", 1)[1].lower()

        # `drop` through the environment variable, as a deployment would set it.
        dropped = Pipeline(p.sandbox, tmp_path / "drop", p.instance)
        env = cli_env(
            CALENDLY_INVITEE_PII="drop",
            CALENDLY_DUCKDB_PATH=str(dropped.database),
            DAGSTER_HOME=str(dagster_home()),
        )
        done = cli(*sync_args(*SHORT), env=env)
        assert done.returncode == 0, done.stderr
        rows = dropped.query(INVITEES)
        assert [(u, e, n) for u, e, _, n in rows] == [(u, None, None) for u, *_ in hashed]
        assert [d for *_, d, _ in rows] == [d for *_, d, _ in hashed]

        # Seat holders stay named: reclaiming a seat needs to know whose it is.
        members = {m["user_uri"]: (m["name"], m["email"]) for m in p.sandbox.manifest()["members"]}
        stored = p.query("SELECT user_uri, user_name, user_email FROM raw.organization_memberships")
        assert {u: (n, e) for u, n, e in stored} == members


def test_compliance_deletion_disappears_on_the_next_sync(tmp_path: Path) -> None:
    with pipeline(tmp_path) as p:
        assert p.sync(*SHORT).success
        ((event,),) = p.query(
            "SELECT event_uri FROM raw.invitees GROUP BY event_uri ORDER BY event_uri LIMIT 1"
        )
        people = [
            u for (u,) in p.query("SELECT uri FROM raw.invitees WHERE event_uri = ?", [event])
        ]
        p.sandbox.world.delete_event_data(event)
        assert p.sync(*SHORT).success
        assert p.query("SELECT count(*) FROM raw.invitees WHERE event_uri = ?", [event]) == [(0,)]
        answers = p.query(
            "SELECT count(*) FROM raw.invitee_questions_and_answers "
            "WHERE list_contains(?, invitee_uri)",
            [people],
        )
        assert answers == [(0,)]
        assert p.query(
            "SELECT deleted_at IS NOT NULL FROM raw.scheduled_events WHERE uri = ?", [event]
        ) == [(True,)]

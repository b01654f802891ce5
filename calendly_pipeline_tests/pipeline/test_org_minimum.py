"""Organization data at its true minimum (issue 17): per-parent lists only where they can hold
something, with the same raw tables as reading every parent.

Requests are counted by the sandbox (`stats()`), over real HTTP, into a real DuckDB file.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from calendly_pipeline.client import CalendlyClient, PersonalAccessToken
from calendly_pipeline.defs.sync_settings import SyncSettings
from calendly_pipeline.sandbox import FaultConfig, Sandbox
from calendly_pipeline.transforms import flatten
from calendly_pipeline_tests.pipeline.harness import pipeline
from calendly_pipeline_tests.reliability.support import SHORT, served

HOSTS = "/event_type_memberships"
HOOKS = "/webhook_subscriptions"
SUBMISSIONS = "/routing_form_submissions"
HOST_COLUMNS = ["event_type_uri", "user_uri", "user_name", "user_email"]


def _hosts_read_one_type_at_a_time(sandbox: Sandbox, type_uris: list[str]) -> pd.DataFrame:
    """What reading `/event_type_memberships` for every event type gives (the old way)."""
    token = PersonalAccessToken(sandbox.tokens["owner"])
    with CalendlyClient(sandbox.base_url, token) as client:
        items = [
            m for uri in type_uris for m in client.paginate(HOSTS, {"event_type": uri}, count=100)
        ]
    return flatten.event_type_hosts(items)


def test_solo_types_hosts_come_from_the_type_with_the_same_rows(tmp_path: Path) -> None:
    with pipeline(tmp_path) as p:
        assert p.sync(*SHORT).success
        asked = served(p.sandbox, HOSTS)
        types = p.query(
            "SELECT uri, kind = 'solo' AND pooling_type IS NULL AND profile_type = 'User' "
            "FROM raw.event_types WHERE deleted_at IS NULL ORDER BY uri"
        )
        shared = [uri for uri, solo in types if not solo]
        # Only the types that can have several hosts were asked, and the tiny org has both kinds.
        assert asked == len(shared)
        assert 0 < len(shared) < len(types)

        expected = _hosts_read_one_type_at_a_time(p.sandbox, [uri for uri, _ in types])
        stored = p.query(
            "SELECT event_type_uri, user_uri, user_name, user_email, membership_uri, "
            "created_at, updated_at FROM raw.event_type_hosts"
        )
        stored = pd.DataFrame(stored, columns=[*HOST_COLUMNS, "membership", "created", "updated"])

        def rows(frame: pd.DataFrame) -> list[tuple[object, ...]]:
            return sorted(map(tuple, frame[HOST_COLUMNS].astype(object).to_numpy().tolist()))

        assert rows(stored) == rows(expected)
        # Hosts read from the API keep the membership record; derived ones have none to keep.
        read = stored[stored["event_type_uri"].isin(shared)]
        assert read["membership"].notna().all() and read["created"].notna().all()
        derived = stored[~stored["event_type_uri"].isin(shared)]
        assert len(derived) > 0 and derived["membership"].isna().all()


def test_user_webhooks_are_read_on_their_cadence(tmp_path: Path) -> None:
    with pipeline(tmp_path) as p:
        world = p.sandbox.world
        start = served(p.sandbox, HOOKS)
        assert p.sync(*SHORT).success
        first = served(p.sandbox, HOOKS) - start
        members = p.query("SELECT count(DISTINCT user_uri) FROM raw.organization_memberships")[0][0]
        groups = p.query("SELECT count(*) FROM raw.groups")[0][0]
        # the connection check's probe, organization scope, each group, each member
        assert first == 2 + groups + members
        stored = p.snapshot("raw.webhook_subscriptions")
        assert any(row[4] == "user" for row in stored)
        ((read_at,),) = p.query(
            "SELECT read_at FROM meta.collection_reads WHERE part = 'webhook_subscriptions/user'"
        )

        # A member adds a hook; the next run (same day) does not read user scope and keeps
        # every stored hook: the new one waits for the cadence (its freshness cost).
        with world.lock:
            mine = next(h for h in world.data.webhooks if h.scope == "user")
            world.data.webhooks.append(
                dataclasses.replace(
                    mine, idx=len(world.data.webhooks), callback_url="https://example.test/new"
                )
            )
        world.advance(days=6)
        before = served(p.sandbox, HOOKS)
        assert p.sync(*SHORT).success
        assert served(p.sandbox, HOOKS) - before == 2 + groups
        assert p.snapshot("raw.webhook_subscriptions") == stored
        assert p.query(
            "SELECT read_at FROM meta.collection_reads WHERE part = 'webhook_subscriptions/user'"
        ) == [(read_at,)]

        # Seven days after the last read, user scope is read again and the new hook arrives.
        world.advance(days=1)
        before = served(p.sandbox, HOOKS)
        assert p.sync(*SHORT).success
        assert served(p.sandbox, HOOKS) - before == first
        urls = [row[1] for row in p.snapshot("raw.webhook_subscriptions")]
        assert "https://example.test/new" in urls
        assert len(urls) == len(stored) + 1

        # 0 days: every run reads user scope (the setting, or CALENDLY_USER_WEBHOOKS_EVERY_DAYS).
        before = served(p.sandbox, HOOKS)
        assert p.sync(*SHORT, sync_settings=SyncSettings(user_webhooks_every_days=0)).success
        assert served(p.sandbox, HOOKS) - before == first


def _submissions_read_whole(sandbox: Sandbox) -> list[tuple[object, ...]]:
    """What reading every submission of every form gives, as `raw.routing_form_submissions`
    rows without `synced_at` (the one-shot whole read)."""
    token = PersonalAccessToken(sandbox.tokens["owner"])
    with CalendlyClient(sandbox.base_url, token) as client:
        org = sandbox.world.org_uri()
        forms = [f["uri"] for f in client.paginate("/routing_forms", {"organization": org})]
        items = [s for uri in forms for s in client.paginate(SUBMISSIONS, {"form": uri})]
    frame = flatten.routing_form_submissions(items).drop(columns="synced_at", errors="ignore")
    frame = frame.sort_values("uri").astype(object)
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame.to_numpy().tolist()]


def test_submissions_are_read_whole_on_their_cadence_and_newest_first_between(
    tmp_path: Path,
) -> None:
    with pipeline(tmp_path) as p:
        world = p.sandbox.world
        form = world.uri("routing_form", 0)
        for _ in range(120):  # form 0 outgrows a page (100): a whole read takes two
            world.submit_routing_form(form)
        world.advance(days=8)  # ... and they are older than the trailing week

        before = served(p.sandbox, SUBMISSIONS)
        assert p.sync(*SHORT).success
        whole = served(p.sandbox, SUBMISSIONS) - before
        forms = p.query("SELECT count(*) FROM raw.routing_forms")[0][0]
        assert whole == forms + 1
        stored = p.snapshot("raw.routing_form_submissions")
        assert len(stored) == world.counts()["submissions"]

        # A day later: one new submission, and an old one's booking deleted (its submitter
        # goes), which a newest-first read cannot see: the freshness cost.
        world.advance(days=1)
        new = world.submit_routing_form(form)
        with world.lock:
            booked = next(s for s in world.data.submissions if s.event >= 0)
        world.delete_event_data(world.uri("event", booked.event))
        before = served(p.sandbox, SUBMISSIONS)
        assert p.sync(*SHORT).success
        assert served(p.sandbox, SUBMISSIONS) - before == forms  # one page per form
        now = p.snapshot("raw.routing_form_submissions")
        assert [r for r in now if r[0] != new] == stored
        assert len(now) == len(stored) + 1

        # A server that ignores `sort` serves the oldest first: the run reads every page, so
        # nothing new is missed, and the table is what a whole read gives.
        p.sandbox.set_faults(FaultConfig(ignore_sort=True))
        before = served(p.sandbox, SUBMISSIONS)
        assert p.sync(*SHORT).success
        assert served(p.sandbox, SUBMISSIONS) - before == whole
        p.sandbox.set_faults(FaultConfig())
        assert p.snapshot("raw.routing_form_submissions") == _submissions_read_whole(p.sandbox)
        assert p.snapshot("raw.routing_form_submissions") != now

        # 30 days after the last whole read (`submissions_every_days`), a whole read again.
        world.advance(days=29)
        before = served(p.sandbox, SUBMISSIONS)
        assert p.sync(*SHORT).success
        assert served(p.sandbox, SUBMISSIONS) - before == whole
        assert p.snapshot("raw.routing_form_submissions") == _submissions_read_whole(p.sandbox)

        # 0 days: every run reads them whole (the setting, or CALENDLY_SUBMISSIONS_EVERY_DAYS).
        before = served(p.sandbox, SUBMISSIONS)
        assert p.sync(*SHORT, sync_settings=SyncSettings(submissions_every_days=0)).success
        assert served(p.sandbox, SUBMISSIONS) - before == whole

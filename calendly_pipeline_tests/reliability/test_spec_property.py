"""Property: whatever the official spec allows a collection page to hold, the load never crashes,
every served record is either loaded or quarantined, and what is loaded equals what was served.

Each example is served over real HTTP, read by the real client (two pages linked by a token),
flattened and written to a real DuckDB file, then read back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calendly_pipeline.client import CalendlyClient, PersonalAccessToken
from calendly_pipeline.storage import database, migrations, reads, rejected, writes
from calendly_pipeline.storage import raw_tables as rt
from calendly_pipeline.storage.spec import TableSpec
from calendly_pipeline.transforms import flatten
from calendly_pipeline_tests.client.support import FAST_RETRY
from calendly_pipeline_tests.reliability.spec_pages import PageServer, Spec, pages_of


@dataclass(frozen=True)
class Collection:
    """A collection the pipeline reads, the table its items land in, and fields to compare."""

    path: str
    flatten: Callable[..., pd.DataFrame]  # (items, *, rejects) -> frame
    spec: TableSpec
    # column -> how to read the same value from the served item
    fields: dict[str, Callable[[dict[str, Any]], Any]]


def _get(*keys: str) -> Callable[[dict[str, Any]], Any]:
    def read(item: dict[str, Any]) -> Any:
        value: Any = item
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    return read


COLLECTIONS = (
    Collection(
        "/organization_memberships",
        flatten.organization_memberships,
        rt.ORGANIZATION_MEMBERSHIPS,
        {
            "role": _get("role"),
            "user_uri": _get("user", "uri"),
            "user_email": _get("user", "email"),
        },
    ),
    Collection(
        "/organizations/{uuid}/invitations",
        flatten.organization_invitations,
        rt.ORGANIZATION_INVITATIONS,
        {"email": _get("email"), "status": _get("status")},
    ),
    Collection("/groups", flatten.groups, rt.GROUPS, {"name": _get("name")}),
    Collection(
        "/group_relationships",
        flatten.group_relationships,
        rt.GROUP_RELATIONSHIPS,
        {"role": _get("role"), "group_uri": _get("group")},
    ),
    Collection(
        "/event_types",
        flatten.event_types,
        rt.EVENT_TYPES,
        {"name": _get("name"), "slug": _get("slug"), "kind": _get("kind")},
    ),
    Collection(
        "/scheduled_events",
        flatten.scheduled_events,
        rt.SCHEDULED_EVENTS,
        {"name": _get("name"), "status": _get("status"), "event_type": _get("event_type")},
    ),
    Collection(
        "/scheduled_events/{uuid}/invitees",
        lambda items, rejects: flatten.invitees(items, pii="keep", salt="", rejects=rejects),
        rt.INVITEES,
        {"email": _get("email"), "status": _get("status"), "event_uri": _get("event")},
    ),
    Collection("/routing_forms", flatten.routing_forms, rt.ROUTING_FORMS, {"name": _get("name")}),
    Collection(
        "/routing_form_submissions",
        flatten.routing_form_submissions,
        rt.ROUTING_FORM_SUBMISSIONS,
        {"routing_form": _get("routing_form")},
    ),
    Collection(
        "/webhook_subscriptions",
        flatten.webhook_subscriptions,
        rt.WEBHOOK_SUBSCRIPTIONS,
        {"callback_url": _get("callback_url"), "state": _get("state")},
    ),
    Collection(
        "/activity_log_entries",
        flatten.activity_log_entries,
        rt.ACTIVITY_LOG_ENTRIES,
        {"action": _get("action"), "namespace": _get("namespace")},
    ),
)


@pytest.fixture(scope="module")
def spec(spec_dir: Path) -> Spec:
    return Spec(spec_dir / "openapi.json")


@pytest.fixture(scope="module")
def server() -> Iterator[PageServer]:
    with PageServer() as running:
        yield running


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    with database.connection(str(tmp_path_factory.mktemp("property") / "w.duckdb")) as conn:
        migrations.migrate(conn)
        yield conn


def _read_once(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a reader yields: every record, but a URI a later page repeats only once (a page
    shifting under the reader repeats records)."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for page in pages:
        fresh = [
            i
            for i in page["collection"]
            if not (isinstance(i.get("uri"), str) and i["uri"] in seen)
        ]
        seen.update(i["uri"] for i in page["collection"] if isinstance(i.get("uri"), str))
        out.extend(fresh)
    return out


def _served(items: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Every copy served of each URI (a key served twice is stored once, as one of its copies)."""
    copies: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        if isinstance(item.get("uri"), str):
            copies.setdefault(item["uri"], []).append(item)
    return copies


def _same(stored: Any, served: Any) -> bool:
    return (pd.isna(stored) and served is None) or stored == served


@pytest.mark.parametrize("collection", COLLECTIONS, ids=lambda c: c.path)
def test_spec_allowed_pages_load_or_are_quarantined(
    collection: Collection,
    spec: Spec,
    server: PageServer,
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    client = CalendlyClient(server.base_url, PersonalAccessToken("t0ken"), retry=FAST_RETRY)

    @settings(
        max_examples=20,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(items=spec.items(collection.path), split=st.integers(0, 6))
    def load(items: list[dict[str, Any]], split: int) -> None:
        server.pages = pages_of(items, split)
        fetched = list(client.paginate("/anything", {}, count=100))
        assert fetched == _read_once(server.pages)
        rejects = flatten.Rejects()
        frame = collection.flatten(fetched, rejects=rejects)
        with writes.transaction(warehouse):
            # Each example starts empty (event types of events are kept by a full refresh).
            warehouse.execute(f"DELETE FROM {collection.spec.qualified_name}")
            writes.replace_all(warehouse, collection.spec, frame)
            rejected.record(
                warehouse, rejects.records, at=None, asset="property",
                replace=[collection.spec.qualified_name],
            )  # fmt: skip
        # Every reject names its table and says why in one line, and is kept as served.
        for r in rejects.records:
            assert r.table == collection.spec.qualified_name and r.reason
            assert "\n" not in r.reason and r.record in items
        quarantined = rejected.summary(warehouse, [collection.spec.qualified_name]).count
        assert quarantined == len({(r.table, r.record_id) for r in rejects.records})
        # Whatever was not quarantined is loaded, as served (the last copy of a URI wins).
        refused = {id(r.record) for r in rejects.records}
        served = _served([item for item in fetched if id(item) not in refused])
        stored = reads.read_table(warehouse, collection.spec).set_index("uri")
        assert set(stored.index) == set(served)
        for uri, copies in served.items():
            row = stored.loc[uri]
            assert any(
                all(_same(row[column], read(copy)) for column, read in collection.fields.items())
                for copy in copies
            ), (uri, row.to_dict(), copies)

    with client:
        load()

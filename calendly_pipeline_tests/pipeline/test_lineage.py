"""The lineage graph shows which raw tables feed which analytics table (issue 16), and still
reaches every raw table the model reads, so the run orders each step after its inputs."""

from __future__ import annotations

import dagster as dg

from calendly_pipeline.definitions import defs
from calendly_pipeline.transforms.model import ANALYTICS_NAMES, SMALL_TABLES
from calendly_pipeline.transforms.summary import EVENT_CHUNK_COLUMNS

# raw.event_hosts is written by the raw/scheduled_events asset.
WRITTEN_BY = {"event_hosts": "scheduled_events"}


def _parents(name: str) -> set[str]:
    graph = defs().resolve_asset_graph()
    node = graph.get(dg.AssetKey(["analytics", name]))
    return {"/".join(k.path[1:]) for k in node.parent_keys if k.path[0] == "raw"}


def test_every_raw_table_the_model_reads_is_upstream() -> None:
    read = {WRITTEN_BY.get(t, t) for t in (*SMALL_TABLES, *EVENT_CHUNK_COLUMNS)}
    upstream = set().union(*(_parents(name) for name in ANALYTICS_NAMES))
    assert upstream == read


def test_each_analytics_table_has_its_own_inputs() -> None:
    assert _parents("daily_activity") == {"scheduled_events", "invitees"}
    assert _parents("event_type_usage") == {"event_types", "scheduled_events", "invitees"}
    # Tables nothing reads draw no edge into the analytics group.
    drawn = set().union(*(_parents(name) for name in ANALYTICS_NAMES))
    assert not {"users", "routing_forms", "routing_form_submissions"} & drawn

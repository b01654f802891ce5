"""The transforms' frames match the analytics specs and load into a real DuckDB file; the
analyst docs are rendered from the same specs and their example queries run."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from calendly_pipeline.storage import writes
from calendly_pipeline.storage.analytics_tables import (
    ANALYTICS_TABLES,
    DOCS_PATH,
    docs_with_tables,
)
from calendly_pipeline.storage.migrations import migrate
from calendly_pipeline.transforms import activity, adoption, plans, utilization
from calendly_pipeline.transforms.completeness import mark_invitee_completeness
from calendly_pipeline.transforms.model import ANALYTICS_NAMES, build_analytics
from calendly_pipeline.transforms.utilization_config import UtilizationConfig
from calendly_pipeline_tests.transforms.builders import AS_OF, sample_world

CONFIG = UtilizationConfig(excluded_emails=("bot@acme.test",))
SPECS = {spec.name: spec for spec in ANALYTICS_TABLES}


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return build_analytics(sample_world().frames(), CONFIG, AS_OF)


def test_one_pass_equals_each_transform_alone(tables: dict[str, pd.DataFrame]) -> None:
    frames = sample_world().frames()
    # The transforms alone, with the model's invitee-completeness marker (nothing pending).
    alone = mark_invitee_completeness({
        "seat_utilization": utilization.seat_utilization(frames, CONFIG, AS_OF),
        "feature_adoption": adoption.feature_adoption(frames, CONFIG, AS_OF),
        "org_feature_adoption": adoption.org_feature_adoption(frames, CONFIG, AS_OF),
        "daily_activity": activity.daily_activity(frames, AS_OF),
        "event_type_usage": activity.event_type_usage(frames, AS_OF),
        "seat_history": utilization.seat_history(frames, CONFIG, AS_OF),
        "plan_options": plans.organization_plan_options(frames, CONFIG, AS_OF),
    }, None)  # fmt: skip
    assert set(alone) == set(tables) == set(ANALYTICS_NAMES)
    for name, frame in alone.items():
        pd.testing.assert_frame_equal(tables[name], frame, obj=name)


def test_every_spec_has_a_transform(tables: dict[str, pd.DataFrame]) -> None:
    assert set(tables) == set(SPECS)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_frame_columns_match_the_spec(tables: dict[str, pd.DataFrame], name: str) -> None:
    spec, frame = SPECS[name], tables[name]
    assert list(frame.columns) == spec.column_names
    assert len(frame) > 0
    for column in spec.columns:
        if not column.nullable:
            assert frame[column.name].notna().all(), f"{name}.{column.name} has nulls"
    assert not frame.duplicated(list(spec.primary_key)).any()


def test_frames_load_into_duckdb_and_read_back(
    tables: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    with duckdb.connect(str(tmp_path / "calendly.duckdb")) as conn:
        migrate(conn, analytics=ANALYTICS_TABLES)
        for name, frame in tables.items():
            assert writes.replace_all(conn, SPECS[name], frame) == len(frame)
        seats = conn.execute(
            "SELECT email, status, group_names, features_used, days_since_active "
            "FROM analytics.seat_utilization WHERE email = 'alice@acme.test'"
        ).fetchone()
        month = conn.execute("SELECT max(month) FROM analytics.seat_history").fetchone()[0]
    assert seats[1] == "active" and seats[2] == ["Sales"] and "one_on_one" in seats[3]
    assert str(month) == "2026-06-30"


def test_docs_tables_md_is_up_to_date() -> None:
    text = DOCS_PATH.read_text()
    assert text == docs_with_tables(text), (
        "docs/tables.md is stale: run `uv run python -m calendly_pipeline.storage.analytics_tables`"
    )
    assert "(raw_tables.md)" in text


def test_docs_example_queries_run(tables: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    queries = re.findall(r"```sql\n(.*?)```", DOCS_PATH.read_text(), flags=re.S)
    assert len(queries) >= 5
    with duckdb.connect(str(tmp_path / "calendly.duckdb")) as conn:
        migrate(conn, analytics=ANALYTICS_TABLES)
        for name, frame in tables.items():
            writes.replace_all(conn, SPECS[name], frame)
        results = [conn.execute(q).fetchall() for q in queries]
    headline = results[0][0]
    # alice, bob, carol active; newbie new; ivan and the excluded bot idle, only ivan costs
    assert headline[:3] == (6, 3, 2)
    assert headline[3] == pytest.approx(12 * 20.0)

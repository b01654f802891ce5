"""docs/raw_tables.md is generated from the TableSpecs and must be committed up to date."""

from __future__ import annotations

from calendly_pipeline.storage import docs
from calendly_pipeline.storage import raw_tables as rt


def test_committed_table_docs_are_current() -> None:
    assert docs.DOC_PATH.read_text() == docs.render(), (
        "docs/raw_tables.md is stale: run `uv run python -m calendly_pipeline.storage.docs`"
    )


def test_every_column_is_documented() -> None:
    for spec in rt.RAW_TABLES + rt.META_TABLES:
        assert spec.description
        assert len(set(spec.column_names)) == len(spec.columns), spec.qualified_name
        assert set(spec.primary_key) <= set(spec.column_names), spec.qualified_name
        for column in spec.columns:
            assert len(column.description) > 5, f"{spec.qualified_name}.{column.name}"
        if spec.schema == "raw":
            assert "synced_at" in spec.column_names, spec.qualified_name

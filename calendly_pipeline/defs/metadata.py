"""Metadata a person reads in the Dagster UI: row counts, column docs, previews, provenance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
import pandas as pd

from calendly_pipeline.storage.spec import TableSpec

SYNTHETIC_NOTE = "SYNTHETIC: data from the embedded Calendly sandbox, not a real organization"
PREVIEW_ROWS = 5


def column_schema(spec: TableSpec) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=c.name,
                type=c.type,
                description=c.description,
                constraints=dg.TableColumnConstraints(
                    nullable=c.nullable, unique=spec.primary_key == (c.name,)
                ),
            )
            for c in spec.columns
        ]
    )


def preview(df: pd.DataFrame, rows: int = PREVIEW_ROWS) -> dg.MarkdownMetadataValue:
    if df.empty:
        return dg.MetadataValue.md("_no rows_")
    shown = df.head(rows).astype(str).map(lambda v: v if len(v) <= 60 else v[:57] + "...")
    return dg.MetadataValue.md(shown.to_markdown(index=False))


def table_metadata(
    spec: TableSpec,
    rows: int,
    sample: pd.DataFrame | None = None,
    *,
    synthetic: bool,
    requests: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The standard block every table-writing asset reports."""
    meta: dict[str, Any] = {
        "dagster/row_count": rows,
        "dagster/column_schema": column_schema(spec),
        "dagster/table_name": spec.qualified_name,
        "synthetic_data": synthetic,
    }
    if synthetic:
        meta["data_source"] = SYNTHETIC_NOTE
    if requests is not None:
        meta["api_requests"] = requests
    if sample is not None:
        meta["preview"] = preview(sample)
    if extra:
        meta.update(extra)
    return meta

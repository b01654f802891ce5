"""Metadata a person reads in the Dagster UI: row counts, column docs, previews, provenance."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dagster as dg
import pandas as pd

from calendly_pipeline.defs.warehouse import active_database
from calendly_pipeline.safe_text import markdown
from calendly_pipeline.storage.spec import TableSpec

OWNERS = ["team:data-platform"]  # every asset's owner in the Dagster UI
SYNTHETIC_NOTE = "SYNTHETIC: data from the embedded Calendly sandbox, not a real organization"
PREVIEW_ROWS = 5
PREVIEW_CELL_CHARS = 60


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


def _cell(value: object) -> str:
    """One Markdown table cell: names are the members' own, so a `|` or a newline in one must
    not open a new column or row, nor brackets a link (`safe_text.markdown`, capped)."""
    missing = value is None or value is pd.NA or value is pd.NaT
    if missing or (isinstance(value, float) and value != value):
        return ""
    return markdown(short_id(value), limit=PREVIEW_CELL_CHARS)


def short_id(value: object) -> object:
    """An API URI as its last path segment (the UUID), so a preview leads with ids that fit
    instead of `https://host/organization_memberships/...` cut at the right."""
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        path = urlsplit(value).path.rstrip("/")
        if path.count("/") >= 2:
            return path.rsplit("/", 1)[1]
    return value


def preview(df: pd.DataFrame, rows: int = PREVIEW_ROWS) -> dg.MarkdownMetadataValue:
    if df.empty:
        return dg.MetadataValue.md("_no rows_")
    # disable_numparse: tabulate would otherwise reformat a name such as "1e3" as 1000.
    table = df.head(rows).map(_cell).to_markdown(index=False, disable_numparse=True)
    return dg.MetadataValue.md(table)


def definition_metadata(spec: TableSpec) -> dict[str, Any]:
    """Static metadata on the asset definition: the table and its documented columns.

    Kept out of each materialization, because a range run logs one materialization per
    partition and a year of partitions would repeat the schema hundreds of times.
    """
    return {"dagster/table_name": spec.qualified_name, "dagster/column_schema": column_schema(spec)}


def warehouse_value() -> dg.MetadataValue:
    """Which DuckDB file (or md: database) this materialization wrote: two warehouses synced
    from one DAGSTER_HOME share an asset history, and this tells their entries apart."""
    database = active_database()
    if database.startswith("md:"):
        return dg.MetadataValue.text(database)
    return dg.MetadataValue.path(str(Path(database).resolve()))


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
        "synthetic_data": synthetic,
        "warehouse": warehouse_value(),
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

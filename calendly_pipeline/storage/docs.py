"""Render `docs/raw_tables.md` from the TableSpecs: `python -m calendly_pipeline.storage.docs`.

A test fails when the committed file is stale, so the analyst docs never drift from the DDL.
"""

from __future__ import annotations

import sys
from pathlib import Path

from calendly_pipeline.schema.raw_tables import RAW_TABLES
from calendly_pipeline.storage.raw_tables import META_TABLES
from calendly_pipeline.storage.spec import render_markdown

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "raw_tables.md"

HEADER = """\
# Raw and meta tables

Generated from the table specs (`calendly_pipeline/schema/raw_tables.py` for `raw`,
`calendly_pipeline/storage/raw_tables.py` for `meta`) by
`uv run python -m calendly_pipeline.storage.docs`; do not edit by hand. "From the API" is where
each raw column's value is in the Calendly API object (`list[].field`: one row per element of
`list`; `→ name`: computed by `transforms.flatten`'s function of that name).

All timestamps are `TIMESTAMPTZ` in UTC. Every raw table has `synced_at`, the moment our sync
wrote the row. The same descriptions are stored as DuckDB comments: in any SQL client,
`SELECT table_name, column_name, comment FROM duckdb_columns() WHERE schema_name = 'raw'`.

Open the file read-only while no sync is writing, e.g.
`duckdb -readonly data/calendly.duckdb`.

## Schema `raw`

"""


def render() -> str:
    return (
        HEADER
        + render_markdown(list(RAW_TABLES))
        + "\n## Schema `meta`\n\n"
        + render_markdown(list(META_TABLES))
    )


def main() -> None:
    DOC_PATH.write_text(render())
    sys.stdout.write(f"wrote {DOC_PATH}\n")


if __name__ == "__main__":
    main()

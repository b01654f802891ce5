"""`docs/tables.md`'s generated part, rendered from the analytics specs (declared in
`calendly_pipeline.schema.analytics_tables`, where the transforms read them too):
`python -m calendly_pipeline.storage.analytics_tables`.
"""

from __future__ import annotations

from pathlib import Path

from calendly_pipeline.schema.analytics_tables import ANALYTICS_TABLES
from calendly_pipeline.storage.spec import render_markdown

__all__ = ["ANALYTICS_TABLES", "DOCS_PATH", "docs_with_tables"]

DOCS_PATH = Path(__file__).resolve().parents[2] / "docs" / "tables.md"
BEGIN = "<!-- BEGIN generated from storage/analytics_tables.py; edit the specs, not this -->"
END = "<!-- END generated -->"


def docs_with_tables(text: str) -> str:
    """`docs/tables.md` with its generated part replaced by the current specs."""
    head, _, rest = text.partition(BEGIN)
    _, found, tail = rest.partition(END)
    if not found:
        raise ValueError(f"docs/tables.md lacks the markers {BEGIN!r} ... {END!r}")
    return f"{head}{BEGIN}\n\n{render_markdown(ANALYTICS_TABLES)}\n{END}{tail}"


if __name__ == "__main__":
    DOCS_PATH.write_text(docs_with_tables(DOCS_PATH.read_text()))
    print(f"wrote {DOCS_PATH}")

"""`safe_text` against the real readers of each destination, for any text (Hypothesis).

Markdown is parsed by markdown-it (GFM tables), CSV read back by the `csv` module, plotly text
decoded the way an HTML parser decodes entities; the terminal rule is checked byte by byte.
"""

from __future__ import annotations

import csv
import html
import io
import unicodedata

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from calendly_pipeline.safe_text import csv_cell, markdown, plain, plotly_text

# Characters that mean something to one destination or another, mixed into any text.
TRICKY = st.sampled_from([*"|\\`*_[]()<>&#!~=+-@\t\r\n\x1b\x07\x9b\u202e\"',;", "&amp;"])
TEXT = st.lists(st.one_of(TRICKY, st.text(max_size=5)), max_size=20).map("".join)
LIMIT = 60


def _is_control(char: str) -> bool:
    code = ord(char)
    return code < 32 or 0x7F <= code <= 0x9F or unicodedata.bidirectional(char) in {
        "LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI",
    }  # fmt: skip


@given(TEXT, st.one_of(st.none(), st.integers(1, 80)))
def test_plain_is_one_printable_line_within_the_limit(text: str, limit: int | None) -> None:
    out = plain(text, limit)
    assert not any(_is_control(c) for c in out)
    assert limit is None or len(out) <= limit


@given(TEXT)
def test_markdown_cell_stays_one_cell_and_reads_back_as_typed(text: str) -> None:
    table = f"| name | next |\n|---|---|\n| {markdown(text, LIMIT)} | x |\n"
    tokens = MarkdownIt("commonmark").enable("table").parse(table)
    cells = [t for t in tokens if t.type == "inline"]
    assert len(cells) == 4, table  # two header cells, two body cells: no column was added
    children = cells[2].children or []
    assert {c.type for c in children} <= {"text", "softbreak"}, table  # no link, code, HTML
    shown = "".join(c.content for c in children)
    # A table cell's edges are trimmed of white space (no-break spaces too) by the reader.
    assert shown == plain(text, LIMIT).strip(), table
    assert cells[3].content == "x"


@given(TEXT)
def test_plotly_text_has_no_tag_and_decodes_to_the_text(text: str) -> None:
    out = plotly_text(text)
    assert "<" not in out and ">" not in out
    assert html.unescape(out) == text


@given(st.lists(TEXT, min_size=1, max_size=5))
def test_csv_cells_read_back_neutralized(texts: list[str]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC).writerow([csv_cell(t) for t in texts])
    row = next(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert len(row) == len(texts)
    for cell, text in zip(row, texts, strict=True):
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
        assert cell == (f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text)

"""Text from a Calendly server, made safe for the place a person reads it.

Names, e-mails, group and event type titles are typed by members, and error messages come from
whatever server or proxy answers, so none of them may steer what shows them: plotly reads a
subset of HTML, spreadsheets run cells that look like formulas, Markdown turns brackets into
links and `|` into new columns, and terminals obey escape sequences (OSC 52 writes the clipboard).
One function per destination; stdlib only, so every layer may import this module.
"""

from __future__ import annotations

import html as _html
import re

# C0 and C1 control characters (ESC, BEL, CR, LF, TAB, CSI ...) and the Unicode bidi overrides
# and isolates, which reorder what a reader sees ("Trojan Source").
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# OWASP CSV injection: a spreadsheet treats a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Markdown characters that open links, images, emphasis, code, HTML, entities or table cells.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
ELLIPSIS = "…"


def plain(text: object, limit: int | None = None) -> str:
    """One line of printable text, for a terminal or a log: every control character becomes a
    space (an escape sequence can no longer reach the terminal, a newline no longer splits the
    line), capped at `limit` characters with an ellipsis."""
    out = _CONTROL.sub(" ", str(text))
    if limit is not None and len(out) > limit:
        out = out[: max(limit - 1, 0)] + ELLIPSIS
    return out


def plotly_text(text: object) -> str:
    """For plotly text, tick labels, hover text and titles: plotly renders `<a href>`, `<br>`,
    `<b>`, `<span style>` there, so `&`, `<` and `>` arrive as the entities plotly decodes back
    to the characters (it leaves `&quot;` as is, so quotes stay; they open nothing outside a
    tag). The page itself is HTML-escaped by Jinja's autoescape."""
    return _html.escape(str(text), quote=False)


def csv_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: a leading `=`, `+`, `-`, `@`, tab or carriage
    return gets a single quote in front (OWASP). Quote the whole cell too (the `csv` module's
    QUOTE_NONNUMERIC) so a separator cannot start a new, unprefixed cell."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def markdown(text: object, limit: int | None = None) -> str:
    """Inline Markdown or a Markdown table cell: one line (`plain`), capped at `limit` before
    escaping so an escape is never cut in half, with every character that opens a link, an
    image, emphasis, code, raw HTML, an entity or a new table cell backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", plain(text, limit))

"""Rich output the commands share: server text made safe for a terminal, logging on a console."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from calendly_pipeline.safe_text import plain

if TYPE_CHECKING:
    from rich.console import Console


def shown(value: object, limit: int | None = None) -> str:
    """Text from a server or the environment, ready for Rich: control characters gone
    (`safe_text.plain`, capped at `limit`: no escape sequence reaches the terminal) and markup
    escaped, so `[/]` or `[link=...]` in a name prints as typed instead of crashing or linking."""
    from rich.markup import escape

    return escape(plain(value, limit))


class _TerminalLogHandler(logging.Handler):
    """Python logging on a Rich console, one printable line per record: the client's retry
    warnings quote the server, escape sequences and newlines included."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.WARNING)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        line = plain(record.getMessage())
        self.console.print(line, markup=False, highlight=False, soft_wrap=True)


def log_to_terminal(console: Console) -> None:
    """Send warnings of every logger to `console` (above a live progress bar) as plain lines,
    instead of Python's last-resort handler, which writes them raw to stderr."""
    logging.basicConfig(level=logging.WARNING, handlers=[_TerminalLogHandler(console)], force=True)

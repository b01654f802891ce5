"""What `calendly-pipeline sync` prints while the run goes: a live bar on a terminal, plain lines
elsewhere (CI, nohup, a scheduler's log), and warnings above either, one printable line each."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from calendly_pipeline.terminal import shown

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID


@dataclass
class SyncProgress:
    """The `on_progress` and `on_warning` callbacks of `run_sync`, drawn on `console`.

    Without a terminal a bar is invisible (Rich draws nothing until the end), so each finished
    step prints `step 3/22 done: raw__users` and a log or `tail -f` shows the run is alive.
    """

    console: Console
    bar: Progress | None = None
    task: TaskID | None = None
    done: int = field(default=0)

    def step(self, message: str, done: int, total: int) -> None:
        # Messages carry names and server text: `shown` strips escape sequences, escapes markup.
        if self.bar is not None and self.task is not None:
            steps = f"{done}/{total} steps"
            self.bar.update(self.task, completed=done, total=total, steps=steps)
            self.bar.update(self.task, description=shown(message, 60))
        elif done > self.done:
            self.console.print(f"step {done}/{total} done: {shown(message)}", highlight=False)
        self.done = done

    def warning(self, message: str) -> None:
        self.console.print(f"[yellow]warning:[/yellow] {shown(message)}")

    def finish(self, success: bool) -> None:
        if self.bar is not None and self.task is not None:
            total = self.bar.tasks[0].total
            # The watcher polls once a second and may miss the last step.
            done = total if success and total is not None else self.done
            self.bar.update(self.task, completed=done, description="done" if success else "failed")


@contextmanager
def sync_progress(console: Console) -> Iterator[SyncProgress]:
    """A live bar when `console` is a terminal; plain lines otherwise."""
    if not console.is_terminal:
        yield SyncProgress(console)
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[steps]}"),  # empty until the step count is known
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("loading definitions", total=None, steps="")
        yield SyncProgress(console, bar, task)

"""Progress display (rich): a bar with samples/s, rejects and ETA, on stderr."""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.text import Text


class _RateColumn(ProgressColumn):
    """Samples per second over the whole run so far (steadier than rich's windowed speed)."""

    def __init__(self, started: float, initial: int):
        super().__init__()
        self.started = started
        self.initial = initial

    def render(self, task) -> Text:
        elapsed = time.monotonic() - self.started
        rate = (task.completed - self.initial) / elapsed if elapsed > 0 else 0.0
        return Text(f"{rate:,.1f} samples/s", style="progress.data.speed")


class ProgressBar:
    """``with ProgressBar(total, done) as bar: executor.run(tasks, bar.update)``; no-op when disabled."""

    def __init__(self, total: int, already_done: int = 0, enabled: bool = True, console: Console | None = None):
        self.enabled = enabled
        self.total = total
        self.done = already_done
        self.rejected = 0
        self.console = console or Console(file=sys.stderr)
        self._progress: Progress | None = None
        self._task_id = None

    def __enter__(self) -> "ProgressBar":
        if self.enabled:
            self._progress = Progress(
                TextColumn("[bold]generate"),
                BarColumn(),
                MofNCompleteColumn(),
                _RateColumn(time.monotonic(), self.done),
                TextColumn("{task.fields[rejected]} rejected"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self.console,
                transient=False,
            )
            self._progress.__enter__()
            self._task_id = self._progress.add_task("generate", total=self.total, completed=self.done, rejected=0)
        return self

    def update(self, task_index: int, done: int, rejected: int) -> None:
        self.done += done
        self.rejected += rejected
        if self._progress is not None:
            self._progress.update(self._task_id, advance=done, rejected=self.rejected)

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

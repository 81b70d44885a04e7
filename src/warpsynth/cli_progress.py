"""Progress bars for the curation commands (rich, on stderr; the CLI decides when they are on)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from warpsynth.errors import WarpsynthError


def dataset_rows(directory: Path) -> int | None:
    """Rows in the dataset folder from shard metadata (None when it cannot be read: the command
    itself then reports why)."""
    from warpsynth.dataset.shards import dataset_shards, shard_num_rows

    try:
        return sum(shard_num_rows(s.path) for s in dataset_shards(directory))
    except (WarpsynthError, OSError):
        return None


@contextmanager
def row_progress(label: str, directory: Path, enabled: bool) -> Iterator[Callable[[int], None]]:
    """``with row_progress("dedup", DIR, on) as advance: lib(..., progress=advance)``.

    ``advance(rows)`` moves a bar over the dataset's rows; a no-op when ``enabled`` is false.
    """
    if not enabled:
        yield lambda rows: None
        return
    progress = Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(file=sys.stderr),
        transient=True,
    )
    with progress:
        task = progress.add_task(label, total=dataset_rows(directory))
        yield lambda rows: progress.advance(task, rows)

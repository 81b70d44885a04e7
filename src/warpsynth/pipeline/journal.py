"""A task's crash bookkeeping: the in-flight record a worker keeps, and the crash journal.

``NNNNN.inflight`` says which sample (or verify batch) the worker is on, one fixed-size
line rewritten in place; after the worker dies, the executor appends it to
``NNNNN.crashes.jsonl`` (:func:`append_crash`), and the task's next attempt reads the
journal back (:func:`read_crashes`) to reject or bisect what crashed
(``executors.base.RetryPolicy`` says when a task is retried).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

#: A sample whose processing crashed the worker this many times is rejected, not retried.
CRASH_LIMIT = 2


@dataclass
class Crashes:
    """Crash history of a task, from its ``.crashes.jsonl``.

    ``per_sample``: sample index -> crashes while it alone was in flight; ``batch_ranges``:
    ``(start, end)`` of verify batches that crashed; ``unpinned``: crashes outside any sample.
    """

    per_sample: Counter
    batch_ranges: set[tuple[int, int]]
    unpinned: int
    total: int

    def split(self, items: list) -> list[list]:
        """Verify batches for ``items`` (sorted by index): a batch that crashed before is bisected."""
        if len(items) > 1 and (items[0][0], items[-1][0] + 1) in self.batch_ranges:
            mid = len(items) // 2
            return self.split(items[:mid]) + self.split(items[mid:])
        return [items]

    def rejected(self, index: int) -> str | None:
        """The reject reason for sample ``index`` if it crashed the worker ``CRASH_LIMIT`` times."""
        count = self.per_sample[index]
        return f"worker crashed {count} times on this sample" if count >= CRASH_LIMIT else None


def read_crashes(path: Path) -> Crashes:
    """The crash journal at ``path`` (empty history when there is none)."""
    per_sample: Counter = Counter()
    ranges, unpinned, total = set(), 0, 0
    if path.exists():
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            total += 1
            start, end = entry.get("start"), entry.get("end")
            if start is None or end is None or end <= start:
                unpinned += 1
            elif end - start == 1:
                per_sample[start] += 1
            else:
                ranges.add((start, end))
    return Crashes(per_sample, ranges, unpinned, total)


def append_crash(journal: Path, inflight: Path, reason: str) -> bool:
    """Append the dead worker's in-flight record (from ``inflight``) and ``reason`` to ``journal``.

    Returns whether the crash is pinned to samples (the record names a non-empty range).
    """
    entry: dict[str, Any] = {"stage": None, "start": None, "end": None, "reason": reason}
    try:
        stage, start, end = inflight.read_text().split()
        entry.update(stage=stage, start=int(start), end=int(end))
    except (OSError, ValueError):
        pass
    journal.parent.mkdir(parents=True, exist_ok=True)
    with open(journal, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry, sort_keys=True) + "\n")
    return entry["start"] is not None and entry["end"] is not None and entry["end"] > entry["start"]


class Inflight:
    """The in-flight record: ``"stage start end"`` in one fixed-size line rewritten in place
    (a few µs per sample). ``on_set(stage, start, end, samples)``, when given, runs after each
    write (the test-only fault hook, ``pipeline.faults``)."""

    WIDTH = 64

    def __init__(self, path: Path, on_set: Callable[[str, int, int, Sequence[int]], None] | None = None):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._f = open(path, "wb", buffering=0)
        self._on_set = on_set

    def set(self, stage: str, start: int, end: int, samples: Sequence[int] = ()) -> None:
        """Now working on samples ``[start, end)`` in ``stage`` (``0 0``: no sample, e.g. writing);
        ``samples``: the ones actually in flight when not all of the range (a verify batch)."""
        self._f.seek(0)
        self._f.write(f"{stage} {start} {end}".ljust(self.WIDTH - 1).encode() + b"\n")
        if self._on_set is not None:
            self._on_set(stage, start, end, samples)

    def close(self) -> None:
        self._f.close()

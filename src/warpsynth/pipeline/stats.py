"""Task statistics: the counts that add up over tasks, and a task's completion-marker record."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Iterable


@dataclass(frozen=True)
class Counts:
    """Deterministic sample counts of one task or, added up (``a + b``, :meth:`total`), of a run.

    ``rejects_by_stage`` and ``categories`` are sorted ``{name: count}`` dicts (category
    ``""``: rows without one). These are what the dataset card reports.
    """

    samples: int = 0
    rows: int = 0
    rejected: int = 0
    rejects_by_stage: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(
            samples=self.samples + other.samples,
            rows=self.rows + other.rows,
            rejected=self.rejected + other.rejected,
            rejects_by_stage=_sorted_sum(self.rejects_by_stage, other.rejects_by_stage),
            categories=_sorted_sum(self.categories, other.categories),
        )

    @classmethod
    def from_marker(cls, marker: dict) -> "Counts":
        """The counts in a completion marker as read from disk (a dict)."""
        return cls(marker["samples"], marker["rows"], marker["rejected"],
                   dict(sorted(marker.get("rejects_by_stage", {}).items())), dict(sorted(marker.get("categories", {}).items())))

    @classmethod
    def total(cls, markers: Iterable[dict]) -> "Counts":
        """Sum over the completion markers of a run's finished tasks."""
        return sum((cls.from_marker(m) for m in markers), cls())

    def to_dict(self) -> dict:
        """``{"samples", "rows", "rejected", "rejects_by_stage", "categories"}`` (``stats.json`` totals)."""
        return asdict(self)


def _sorted_sum(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    total = Counter(a)
    total.update(b)
    return dict(sorted(total.items()))


@dataclass(frozen=True)
class TaskStats:
    """A finished task's completion marker, ``_run/tasks/NNNNN.done.json``.

    Data (deterministic): the task, its config hash, its shard (name, bytes, SHA-256) and the
    counts. Measurements (differ run to run): seconds (wall, CPU, per stage; verify stages in
    seconds from their ms), Unix start/end times, the worker's pid and RSS in MiB (start, end,
    peak, and ``[samples done, MiB]`` after each chunk).
    """

    index: int
    config_hash: str
    shard: str
    shard_bytes: int
    shard_sha256: str
    samples: int
    rows: int
    rejected: int
    rejects_by_stage: dict[str, int]
    categories: dict[str, int]
    crashes_before: int
    seconds: float
    cpu_seconds: float
    started_at: float
    finished_at: float
    samples_per_s: float | None
    stage_seconds: dict[str, float]
    verify_seconds_by_stage: dict[str, float]
    pid: int
    rss_start_mb: float
    rss_end_mb: float
    peak_rss_mb: float
    rss_trace_mb: list[list[float]]

    @property
    def counts(self) -> Counts:
        return Counts(self.samples, self.rows, self.rejected, self.rejects_by_stage, self.categories)

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        """The marker file's text: keys sorted, one per line."""
        return json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n"

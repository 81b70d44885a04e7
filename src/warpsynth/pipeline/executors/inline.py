"""``InlineExecutor``: tasks one after another in the calling process (``--workers 0``)."""

from __future__ import annotations

from typing import Sequence

from warpsynth.pipeline.executors.base import Executor, OnProgress
from warpsynth.pipeline.task import ShardTask, TaskResult


class InlineExecutor(Executor):
    """Runs tasks one after another in this process (debugging, benchmarks). No crash isolation:
    a segfault ends the run (rerunning it resumes)."""

    workers = 1

    def run(self, tasks: Sequence[ShardTask], on_progress: OnProgress | None = None) -> list[TaskResult]:
        out = []
        for task in tasks:
            report = (lambda d, r, i=task.index: on_progress(i, d, r)) if on_progress else None
            try:
                out.append(task.run(report))
            except Exception as exc:
                out.append(TaskResult(task.index, "failed", error=f"{type(exc).__name__}: {exc}"))
        return out

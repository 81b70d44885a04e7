"""The executor interface and the one crash-retry rule every executor follows.

An executor runs shard tasks somewhere (this process, worker processes, a Ray
cluster) and returns one :class:`TaskResult` per task. Tasks are small picklable
values whose ``run(progress)`` does all the work, including resume, atomic writes
and crash bookkeeping, so an executor only ships tasks, forwards progress, and
applies :class:`RetryPolicy` when the process running a task dies. Shaped like
HF datatrove's ``executor/base.py``; the implementations are ``inline``,
``local`` and ``ray_cluster`` beside this module.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Sequence

from warpsynth.pipeline.task import ShardTask, TaskResult

#: on_progress(task_index, samples_done_delta, samples_rejected_delta); deltas may be negative
#: when a crashed task's progress is rolled back before its retry.
OnProgress = Callable[[int, int, int], None]


@dataclass(frozen=True)
class RetryPolicy:
    """What happens when the process running a task dies (segfault in Warp, OOM kill, lost node).

    The same rule for every executor:

    1. The executor calls ``task.record_crash(reason)`` (on the driver), which appends the
       dead worker's in-flight record (the sample or verify batch it was on) to the task's
       crash journal, and the task is run again from its start.
    2. A crash pinned to samples is always retried. Such retries end: the retry bisects a
       verify batch that crashed, and rejects (stage ``crash``) a sample that was in flight
       in ``journal.CRASH_LIMIT`` (2) crashes, so each guilty sample costs at most
       2 + log2(chunk size) attempts.
    3. A crash pinned to no sample (during the task's set-up, while writing its shard, or
       with no in-flight record) is retried at most ``max_unpinned`` times per task in one
       run; the next one fails the task with ``"<reason> N times outside any sample"``. The
       run then reports the failed tasks, and rerunning the command retries them.
    """

    max_unpinned: int = 2

    def start(self) -> "Retries":
        """Fresh bookkeeping for one ``Executor.run`` call."""
        return Retries(self)


class Retries:
    """One run's crash counts under a :class:`RetryPolicy`."""

    def __init__(self, policy: RetryPolicy):
        self.policy = policy
        self.unpinned: Counter = Counter()

    def after_crash(self, task: ShardTask, reason: str) -> TaskResult | None:
        """Record the crash in ``task``'s journal; None: run the task again; else its failed result."""
        if task.record_crash(reason):
            return None
        self.unpinned[task.index] += 1
        count = self.unpinned[task.index]
        if count > self.policy.max_unpinned:
            return TaskResult(task.index, "failed", error=f"{reason} {count} times outside any sample")
        return None


class Executor(ABC):
    """Runs shard tasks; returns one TaskResult per task, in the order given.

    A task that raises is reported with ``status="failed"`` and an ``error``, not raised;
    a task whose process dies is handled by ``retry`` (:class:`RetryPolicy`). To add an
    engine, implement ``run``: ship each task to a worker that sees the output folder,
    call ``task.run(progress)`` there, and on a dead worker ask ``retries.after_crash``.
    """

    #: How many tasks run at once (for the progress display and the report).
    workers: int = 1
    retry: RetryPolicy = RetryPolicy()

    @abstractmethod
    def run(self, tasks: Sequence[ShardTask], on_progress: OnProgress | None = None) -> list[TaskResult]: ...

"""The executors package: one crash-retry rule (RetryPolicy) for every executor, and the name registry."""

from __future__ import annotations

import pytest

from warpsynth.errors import WarpsynthError
from warpsynth.pipeline.executors import InlineExecutor, LocalExecutor, RetryPolicy, executor_by_name, local_executor


class FakeTask:
    """Stands in for ShardTask: ``record_crash`` says whether the crash was pinned to samples."""

    def __init__(self, index: int, pinned: bool):
        self.index, self.pinned, self.recorded = index, pinned, []

    def record_crash(self, reason: str) -> bool:
        self.recorded.append(reason)
        return self.pinned


def test_a_crash_pinned_to_samples_is_always_retried():
    retries = RetryPolicy().start()
    task = FakeTask(0, pinned=True)
    assert all(retries.after_crash(task, "worker killed by SIGSEGV") is None for _ in range(20))
    assert len(task.recorded) == 20  # every crash goes into the task's journal


def test_unpinned_crashes_fail_the_task_after_max_unpinned_retries():
    retries = RetryPolicy(max_unpinned=2).start()
    task, other = FakeTask(3, pinned=False), FakeTask(4, pinned=False)
    assert retries.after_crash(task, "worker killed by SIGKILL") is None
    assert retries.after_crash(task, "worker killed by SIGKILL") is None
    assert retries.after_crash(other, "x") is None  # counted per task
    failed = retries.after_crash(task, "worker killed by SIGKILL")
    assert (failed.index, failed.status, failed.error) == (3, "failed", "worker killed by SIGKILL 3 times outside any sample")
    assert RetryPolicy(max_unpinned=2).start().after_crash(FakeTask(3, pinned=False), "x") is None  # per run
    assert RetryPolicy(max_unpinned=0).start().after_crash(FakeTask(0, pinned=False), "x").status == "failed"


def test_every_executor_uses_the_shared_policy_by_default():
    ray_cluster = pytest.importorskip("warpsynth.pipeline.executors.ray_cluster")
    assert LocalExecutor(1).retry == InlineExecutor().retry == ray_cluster.RayExecutor().retry == RetryPolicy()
    strict = RetryPolicy(max_unpinned=0)
    assert LocalExecutor(1, retry=strict).retry is strict and ray_cluster.RayExecutor(retry=strict).retry is strict


def test_registry_and_local_default():
    assert executor_by_name("local") is None
    with pytest.raises(WarpsynthError, match="--ray-address: needs --executor ray"):
        executor_by_name("local", ray_address="127.0.0.1:1")
    with pytest.raises(WarpsynthError, match=r"unknown executor 'slurm' \(choose local or ray\)"):
        executor_by_name("slurm")
    assert isinstance(local_executor(0, 5), InlineExecutor)
    assert local_executor(8, 3).workers == 3 and local_executor(2, 0).workers == 1

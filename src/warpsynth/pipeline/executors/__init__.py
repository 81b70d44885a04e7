"""Executors run a run's shard tasks: ``base`` (the interface and the one retry rule),
``inline`` (this process), ``local`` (worker processes), ``ray_cluster`` (Ray; imported
only when chosen). This module is the name registry behind ``--executor``.
"""

from __future__ import annotations

import os

from warpsynth.errors import WarpsynthError
from warpsynth.pipeline.executors.base import Executor, OnProgress, RetryPolicy
from warpsynth.pipeline.executors.inline import InlineExecutor
from warpsynth.pipeline.executors.local import LocalExecutor

#: ``--executor`` names.
EXECUTORS = ("local", "ray")

__all__ = ["EXECUTORS", "Executor", "InlineExecutor", "LocalExecutor", "OnProgress", "RetryPolicy", "executor_by_name", "local_executor"]


def executor_by_name(name: str, workers: int | None = None, ray_address: str | None = None) -> Executor | None:
    """``--executor`` choice -> executor; None for ``local`` (``generate`` then sizes the local
    executor to the tasks left, :func:`local_executor`). Raises WarpsynthError for an unknown
    name, ``--ray-address`` without ray, Ray not installed, or an unreachable address (before
    the output folder is touched)."""
    if name == "local":
        if ray_address is not None:
            raise WarpsynthError("--ray-address: needs --executor ray")
        return None
    if name == "ray":
        from warpsynth.pipeline.executors.ray_cluster import RayExecutor, check_reachable, import_ray

        import_ray()
        check_reachable(ray_address)
        return RayExecutor(address=ray_address, workers=workers)
    raise WarpsynthError(f"--executor: unknown executor {name!r} (choose {' or '.join(EXECUTORS)})")


def local_executor(workers: int | None, tasks: int) -> Executor:
    """``workers`` processes (default: CPUs), at most one per task; 0: in this process."""
    if workers == 0:
        return InlineExecutor()
    return LocalExecutor(max(1, min(workers or os.cpu_count() or 1, tasks or 1)))

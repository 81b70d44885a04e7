"""Run the same shard tasks as plain Ray tasks, one per shard, on a Ray cluster.

Ray is an optional extra (``pip install 'warpsynth[ray]'``) and is imported only
here, only when this executor is used. Tasks are unchanged: each writes its own
shard and completion marker under the run folder, which must be a path every
node can reach (a shared filesystem). Crashes follow the same ``RetryPolicy`` as
``LocalExecutor``: Ray's own retries are off, so that when a worker process dies
the driver can record the crash (pinned to the sample in flight, from the task's
journal on the shared folder) before resubmitting the task.

(Named ``ray_cluster`` so that ``import ray`` here is never this module.)
"""

from __future__ import annotations

import os
import socket
from typing import Sequence

from warpsynth.errors import WarpsynthError
from warpsynth.pipeline.executors.base import Executor, OnProgress, RetryPolicy
from warpsynth.pipeline.task import ShardTask, TaskResult

#: Seconds to wait for a TCP connection to ``--ray-address`` before giving up (Ray's own
#: connection retries take minutes on an unreachable address).
CONNECT_TIMEOUT_S = 5.0

#: Environment every Ray worker needs, forwarded through ``runtime_env`` when set on the driver.
FORWARDED_ENV = ("WARP_CACHE_PATH", "WARPSYNTH_TEST_SEGFAULT")


def import_ray():
    """Ray, or a one-line error saying what to install."""
    try:
        import ray
    except ImportError:
        raise WarpsynthError("--executor ray needs Ray: pip install 'warpsynth[ray]'") from None
    return ray


def check_reachable(address: str | None, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Fail fast, with a one-line WarpsynthError, when ``HOST:PORT`` (or ``ray://HOST:PORT``)
    accepts no TCP connection within ``timeout`` seconds. ``None`` and ``auto`` are left to Ray."""
    if not address or address == "auto":
        return
    hostport = address.split("://", 1)[-1]
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        raise WarpsynthError(f"--ray-address {address}: expected HOST:PORT, ray://HOST:PORT or auto")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise WarpsynthError(f"--ray-address {address}: unreachable ({exc.strerror or exc}) within {timeout:g} s") from None


def _run_task(task: ShardTask) -> TaskResult:
    """Body of the remote task: the same ``task.run`` a local worker calls."""
    from warpsynth import _warp

    _warp.init_quiet()
    return task.run(None)


class RayExecutor(Executor):
    """One ``@ray.remote`` task per shard.

    ``address``: a running cluster (``ray://host:10001`` or ``auto``); None starts or
    joins a local instance. ``retry``: what happens when a task's worker dies
    (:class:`RetryPolicy`, the same rule as locally). ``env``: extra worker environment.
    """

    def __init__(
        self,
        address: str | None = None,
        retry: RetryPolicy = RetryPolicy(),
        num_cpus_per_task: float = 1,
        env: dict[str, str] | None = None,
        workers: int | None = None,
    ):
        self.address = address
        self.retry = retry
        self.num_cpus_per_task = num_cpus_per_task
        self.env = dict(env or {})
        self.workers = workers or 1

    def runtime_env(self) -> dict:
        env_vars = {name: os.environ[name] for name in FORWARDED_ENV if name in os.environ}
        env_vars.update(self.env)
        return {"env_vars": env_vars} if env_vars else {}

    def _connect(self, ray) -> None:
        if not ray.is_initialized():
            check_reachable(self.address)
            try:
                ray.init(address=self.address, runtime_env=self.runtime_env() or None, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise WarpsynthError(f"--ray-address {self.address}: cannot connect ({' '.join(str(exc).split())[:200]})") from None
        if self.workers <= 1:
            self.workers = max(1, int(ray.cluster_resources().get("CPU", 1) // self.num_cpus_per_task))

    def run(self, tasks: Sequence[ShardTask], on_progress: OnProgress | None = None) -> list[TaskResult]:
        ray = import_ray()
        self._connect(ray)
        remote = ray.remote(max_retries=0, num_cpus=self.num_cpus_per_task)(_run_task)
        options = {"runtime_env": self.runtime_env()} if self.runtime_env() else {}
        retries = self.retry.start()
        results: dict[int, TaskResult] = {}
        died = (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError, ray.exceptions.LocalRayletDiedError)
        in_flight = {remote.options(**options).remote(t): t for t in tasks}
        while in_flight:
            [ref], _ = ray.wait(list(in_flight), num_returns=1)
            task = in_flight.pop(ref)
            try:
                result = ray.get(ref)
            except died as exc:
                failed = retries.after_crash(task, f"ray worker died ({type(exc).__name__})")
                if failed is None:
                    in_flight[remote.options(**options).remote(task)] = task
                else:
                    results[task.index] = failed
                continue
            except ray.exceptions.RayTaskError as exc:
                cause = exc.cause if getattr(exc, "cause", None) is not None else exc
                results[task.index] = TaskResult(task.index, "failed", error=f"{type(cause).__name__}: {cause}".splitlines()[0])
                continue
            results[task.index] = result
            if on_progress is not None:
                on_progress(task.index, result.rows + result.rejected, result.rejected)
        return [results[t.index] for t in tasks]

"""``LocalExecutor``: shard tasks in long-lived worker processes on this machine.

Workers are ``spawn``ed, run one task at a time, stream progress over a pipe, and
die with the parent (``PR_SET_PDEATHSIG``). A worker that dies is noticed through
its process sentinel; the task's retry follows the shared ``RetryPolicy``.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
import traceback
from collections import deque
from multiprocessing.connection import wait
from typing import Sequence

from warpsynth.pipeline.executors.base import Executor, OnProgress, Retries, RetryPolicy
from warpsynth.pipeline.task import ShardTask, TaskResult


def _die_with_parent() -> None:
    """Linux: get SIGKILL when the parent dies, so a killed run leaves no orphan workers."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _init_warp_silently() -> None:
    """wp.init() in a worker, without the native "no CUDA driver" warning (the parent shows it once)."""
    from warpsynth import _warp

    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            _warp.init_quiet()
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _worker_main(conn, parent_pid: int) -> None:
    """Worker process: run tasks received on ``conn`` until told to stop."""
    _die_with_parent()
    if os.getppid() != parent_pid:  # parent died before prctl took effect
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    _init_warp_silently()
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        try:
            result = task.run(lambda done, rejected: conn.send(("progress", task.index, done, rejected)))
            conn.send(("done", result))
        except Exception:
            conn.send(("error", task.index, traceback.format_exc(limit=8)))


class _Worker:
    def __init__(self, ctx):
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_worker_main, args=(child, os.getpid()), daemon=True)
        self.process.start()
        child.close()
        self.task: ShardTask | None = None
        self.done = 0
        self.rejected = 0

    def assign(self, task: ShardTask) -> None:
        self.task, self.done, self.rejected = task, 0, 0
        self.conn.send(task)

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


def _exit_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"worker killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"worker killed by signal {-exitcode}"
    return f"worker exited with status {exitcode}"


class LocalExecutor(Executor):
    """Runs tasks in ``workers`` long-lived processes on this machine.

    Each worker runs one task at a time, so a worker that dies is pinned to its
    task, which is queued again on a fresh worker under ``retry``
    (:class:`RetryPolicy`). Only the dead task's in-flight work is lost.
    """

    def __init__(self, workers: int = 2, start_method: str = "spawn", retry: RetryPolicy = RetryPolicy()):
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.workers = workers
        self.start_method = start_method
        self.retry = retry

    def run(self, tasks: Sequence[ShardTask], on_progress: OnProgress | None = None) -> list[TaskResult]:
        on_progress = on_progress or (lambda i, d, r: None)
        ctx = mp.get_context(self.start_method)
        pending = deque(tasks)
        results: dict[int, TaskResult] = {}
        retries = self.retry.start()
        pool: list[_Worker] = []
        try:
            pool = [_Worker(ctx) for _ in range(min(self.workers, len(pending)))]
            while pending or any(w.task is not None for w in pool):
                for i, worker in enumerate(pool):
                    if worker.task is None and pending:
                        if not worker.process.is_alive():  # died while idle: replace it
                            worker.kill()
                            pool[i] = worker = _Worker(ctx)
                        worker.assign(pending.popleft())
                busy = [w for w in pool if w.task is not None]
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
                for worker in busy:
                    if worker.conn in ready:
                        self._drain(worker, results, on_progress)
                for worker in list(pool):
                    if worker.task is not None and worker.process.sentinel in ready and not worker.process.is_alive():
                        self._drain(worker, results, on_progress)  # messages sent before it died
                        if worker.task is not None:
                            self._crashed(worker, pending, results, retries, on_progress)
                        pool.remove(worker)
                        worker.kill()
                        if pending:
                            pool.append(_Worker(ctx))
        except BaseException:  # Ctrl-C or a bug here: do not wait for running tasks
            for worker in pool:
                worker.kill()
            raise
        for worker in pool:
            worker.stop()
        for worker in pool:
            worker.process.join(timeout=10)
            worker.kill()
        return [results[t.index] for t in tasks]

    def _drain(self, worker: _Worker, results: dict, on_progress: OnProgress) -> None:
        try:
            while worker.conn.poll():
                message = worker.conn.recv()
                kind = message[0]
                if kind == "progress":
                    _, index, done, rejected = message
                    worker.done += done
                    worker.rejected += rejected
                    on_progress(index, done, rejected)
                elif kind == "done":
                    results[message[1].index] = message[1]
                    worker.task = None
                elif kind == "error":
                    _, index, text = message
                    last = text.strip().splitlines()[-1] if text.strip() else "unknown error"
                    results[index] = TaskResult(index, "failed", error=last, stats={"traceback": text})
                    worker.task = None
        except (EOFError, OSError):
            pass

    def _crashed(self, worker: _Worker, pending: deque, results: dict, retries: Retries, on_progress: OnProgress) -> None:
        """The worker running ``worker.task`` died: roll back its progress, then retry or fail (RetryPolicy)."""
        task = worker.task
        on_progress(task.index, -worker.done, -worker.rejected)
        worker.task = None
        failed = retries.after_crash(task, _exit_reason(worker.process.exitcode))
        if failed is not None:
            results[task.index] = failed
        else:
            pending.appendleft(task)

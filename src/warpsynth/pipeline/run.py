"""``generate(...)``: the library function behind ``warpsynth generate``.

A run: check the settings and the output folder, take its lock, write the run config, run
the incomplete shard tasks with an executor, then merge rejects, write ``_run/stats.json``
and the dataset card (``results``), and return a ``RunSummary``.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path
from typing import Iterable, Mapping

from warpsynth.dataset.folder import DATA_DIR, remove_dataset
from warpsynth.dataset.io import write_text_atomic
from warpsynth.dataset.run_layout import CONFIG_FILE, LOCK_FILE, TASKS_DIR, run_dir
from warpsynth.dataset.schema import TARGETS
from warpsynth.errors import PartialFailure, WarpsynthError
from warpsynth.pipeline import results
from warpsynth.pipeline.config import DEFAULT_GENERATOR, RunConfig, check_folder
from warpsynth.pipeline.executors import Executor, local_executor
from warpsynth.pipeline.progress import ProgressBar
from warpsynth.pipeline.programs import load_program_source
from warpsynth.pipeline.stats import Counts
from warpsynth.pipeline.summary import RunSummary
from warpsynth.pipeline.task import DEFAULT_CHUNK, ShardTask, TaskResult
from warpsynth.pipeline.verifying import prepare, require_verify


def _remove_stale_temp_files(root: Path) -> None:
    """Temp files of writes interrupted by a kill (``.name.XXXX.tmp``)."""
    for folder in (root, root / DATA_DIR, run_dir(root), run_dir(root) / TASKS_DIR):
        if folder.is_dir():
            for path in folder.iterdir():
                if path.name.startswith(".") and path.name.endswith(".tmp") and path.is_file():
                    path.unlink(missing_ok=True)


def _peak_rss_per_worker(markers: list[dict], done: list[TaskResult]) -> list[float]:
    """Peak RSS of each worker process that ran a task in this invocation, ascending."""
    this_run = {r.index for r in done if r.status == "done"}
    peaks: dict[int, float] = {}
    for m in markers:
        if m["index"] in this_run:
            peaks[m["pid"]] = max(peaks.get(m["pid"], 0.0), m["peak_rss_mb"])
    return sorted(peaks.values())


class _Lock:
    """An exclusive lock on ``_run/lock`` for the run's duration: two runs never share a folder."""

    def __init__(self, root: Path):
        self.path = run_dir(root) / LOCK_FILE

    def __enter__(self) -> "_Lock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._f = open(self.path, "w")
        try:
            fcntl.flock(self._f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._f.close()
            raise WarpsynthError(f"{self.path.parent.parent}: another warpsynth run is writing to this folder") from None
        return self

    def __exit__(self, *exc) -> None:
        fcntl.flock(self._f, fcntl.LOCK_UN)
        self._f.close()


def generate(
    n: int,
    out: str | os.PathLike,
    *,
    seed: int = 0,
    shards: int | None = None,
    targets: Iterable[str] = TARGETS,
    ptx: Iterable[int] = (),
    backward: bool = True,
    category_weights: Mapping[str, float] | None = None,
    fmt: str = "parquet",
    verify: str = "codegen",
    row_timings: bool = False,
    workers: int | None = None,
    overwrite: bool = False,
    progress: bool = True,
    executor: Executor | None = None,
    generator: str = DEFAULT_GENERATOR,
    chunk_size: int = DEFAULT_CHUNK,
) -> RunSummary:
    """Generate ``n`` kernels into the dataset folder ``out``; resume if it holds the same run.

    ``workers``: processes for the local executor (default: CPUs, at most one per
    task; 0 runs tasks in this process without crash isolation). ``executor``
    overrides it (e.g. a cluster executor). ``row_timings`` fills each row's
    ``verify_ms``, at the price of byte-identical output. Raises WarpsynthError for bad
    settings or a folder holding a different run (unless ``overwrite``; it deletes only
    what a warpsynth run wrote, and refuses a folder holding anything else), and
    PartialFailure (a WarpsynthError) for tasks that failed after retries (rerunning the
    same call resumes).
    """
    if shards is not None and shards < 1:
        raise WarpsynthError(f"--shards: must be between 1 and -n ({n}); got {shards}")
    if workers is not None and workers < 0:
        raise WarpsynthError(f"--workers: must be >= 0 (0: in this process), got {workers}")
    config = RunConfig(
        n=n, seed=seed, shards=shards or 0, targets=tuple(targets), ptx_archs=tuple(ptx), backward=backward,
        category_weights=tuple((category_weights or {}).items()), fmt=fmt, verify=verify,
        row_timings=row_timings, generator=generator,
    )
    require_verify(config.verify)
    generator_config = load_program_source(config.generator, dict(config.category_weights)).config_dict()
    root = Path(out)
    mode = check_folder(root, config, overwrite)
    if mode == "overwrite":
        remove_dataset(root)
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with _Lock(root):
        _remove_stale_temp_files(root)
        _write_run_config(root, config, generator_config)
        tasks = [ShardTask(str(root), config, i, chunk_size) for i in range(config.shards)]
        todo = [t for t in tasks if not t.is_complete()]
        executor = executor or local_executor(workers, len(todo))
        done = _run_tasks(todo, executor, config, progress)
        return _finish(root, config, mode, tasks, todo, done, executor, generator_config, time.perf_counter() - started)


def _write_run_config(root: Path, config: RunConfig, generator_config: dict) -> None:
    """``_run/config.json``: the run config, its hash (what resume and --overwrite compare) and the generator's config."""
    data = {"hash": config.hash, "config": config.to_dict(), "generator_config": generator_config}
    write_text_atomic(run_dir(root) / CONFIG_FILE, json.dumps(data, indent=1, sort_keys=True) + "\n")


def _run_tasks(todo: list[ShardTask], executor: Executor, config: RunConfig, progress: bool) -> list[TaskResult]:
    """Run the incomplete tasks with a progress bar (samples of completed tasks count as done)."""
    if not todo:
        return []
    prepare(config)
    already = config.n - sum(len(t.samples) for t in todo)
    with ProgressBar(config.n, already, enabled=progress) as bar:
        return executor.run(todo, bar.update)


def _finish(root: Path, config: RunConfig, mode: str, tasks: list[ShardTask], todo: list[ShardTask],
            done: list[TaskResult], executor: Executor, generator_config: dict, seconds: float) -> RunSummary:
    """Write ``_run/stats.json``; raise PartialFailure for failed tasks; else merge rejects, write the card."""
    failed = [r for r in done if r.status == "failed"]
    markers = [m for m in (t.read_marker() for t in tasks) if m is not None]
    invocation = {
        "mode": mode,
        "workers": executor.workers,
        "executor": type(executor).__name__,
        "tasks_run": len(todo),
        "tasks_failed": [{"index": r.index, "error": r.error} for r in failed],
        "seconds": round(seconds, 3),
        "samples_run": sum(len(t.samples) for t in todo),
    }
    stats_path = results.write_stats(root, config, markers, invocation)
    if failed:
        first = failed[0]
        raise PartialFailure(
            f"{len(failed)} of {len(tasks)} task(s) failed (task {first.index}: {first.error}); "
            f"details in {stats_path}; rerun the same command to retry them"
        )
    rejects_path = results.merge_rejects(root, tasks)
    total = Counts.total(markers)
    card = results.write_dataset_card(root, config, total, generator_config)
    return RunSummary(
        root=root, config=config, mode=mode, tasks=len(tasks), tasks_run=len(todo), rows=total.rows,
        rejected=total.rejected, rejects_by_stage=total.rejects_by_stage, categories=total.categories,
        seconds=seconds, samples_run=invocation["samples_run"], workers=executor.workers,
        peak_rss_mb=_peak_rss_per_worker(markers, done), files=[t.shard for t in tasks], card=card,
        stats=stats_path, rejects=rejects_path,
    )

"""``generate(...)``: the library function behind ``warpsynth generate``."""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from rich.console import Console
from rich.table import Table

from warpsynth.dataset.folder import DATA_DIR, remove_dataset
from warpsynth.errors import PartialFailure, WarpsynthError
from warpsynth.pipeline import stats as _stats
from warpsynth.dataset.run_layout import CONFIG_FILE, LOCK_FILE, TASKS_DIR, run_dir
from warpsynth.pipeline.config import DEFAULT_GENERATOR, RunConfig, check_folder
from warpsynth.pipeline.executor import Executor, InlineExecutor, LocalExecutor
from warpsynth.pipeline.progress import ProgressBar
from warpsynth.dataset.io import write_text_atomic
from warpsynth.pipeline.task import DEFAULT_CHUNK, ShardTask


@dataclass
class RunSummary:
    """What a run produced (all tasks, including ones completed by earlier invocations)."""

    root: Path
    config: RunConfig
    mode: str
    tasks: int
    tasks_run: int
    rows: int
    rejected: int
    rejects_by_stage: dict
    categories: dict
    seconds: float
    samples_run: int
    workers: int
    peak_rss_mb: list[float] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    card: Path | None = None
    stats: Path | None = None
    rejects: Path | None = None

    def exit_status(self) -> int:
        """The CLI's exit status: 0 when rows were written, 1 when none was (every sample rejected)."""
        return 0 if self.rows > 0 else 1

    @property
    def samples_per_s(self) -> float:
        return self.samples_run / self.seconds if self.seconds > 0 else 0.0

    def print(self, console: Console | None = None) -> None:
        """The final summary table, then where the output and reports are."""
        console = console or Console()
        table = Table(title="warpsynth generate", show_header=False, title_justify="left")
        table.add_column(style="bold")
        table.add_column()
        table.add_row("rows written", f"{self.rows:,}")
        stages = ", ".join(f"{k} {v}" for k, v in self.rejects_by_stage.items())
        table.add_row("rejected", f"{self.rejected:,}" + (f" ({stages})" if stages else ""))
        table.add_row("tasks", f"{self.tasks} ({self.tasks_run} run now, {self.tasks - self.tasks_run} already complete)")
        table.add_row("time", f"{self.seconds:.1f} s, {self.samples_per_s:.1f} samples/s with {self.workers} worker(s)")
        if self.peak_rss_mb:
            table.add_row("peak RSS / worker", ", ".join(f"{m:.0f} MB" for m in self.peak_rss_mb))
        top = sorted(self.categories.items(), key=lambda kv: -kv[1])[:6]
        if top:
            table.add_row("categories", ", ".join(f"{k or '(none)'} {v}" for k, v in top) + (" ..." if len(self.categories) > 6 else ""))
        table.add_row("warp", self.config.warp_version)
        console.print(table)
        if self.rows == 0:
            console.print(f"[bold red]no rows written[/]: all {self.rejected:,} sample(s) were rejected; see {self.rejects}", soft_wrap=True)
        console.print(f"output:  {self.root / DATA_DIR}/ ({len(self.files)} {self.config.fmt} shard(s), {self.rows:,} rows)", soft_wrap=True)
        console.print(f"card:    {self.card}", soft_wrap=True)
        console.print(f"report:  {self.stats} (timings, memory), {self.rejects} (rejected samples)", soft_wrap=True)


def _remove_stale_temp_files(root: Path) -> None:
    """Temp files of writes interrupted by a kill (``.name.XXXX.tmp``)."""
    for folder in (root, root / DATA_DIR, run_dir(root), run_dir(root) / TASKS_DIR):
        if folder.is_dir():
            for path in folder.iterdir():
                if path.name.startswith(".") and path.name.endswith(".tmp") and path.is_file():
                    path.unlink(missing_ok=True)


def _local_executor(workers: int | None, tasks: int) -> Executor:
    """``workers`` processes (default: CPUs), at most one per task; 0: in this process."""
    if workers == 0:
        return InlineExecutor()
    return LocalExecutor(max(1, min(workers or os.cpu_count() or 1, tasks or 1)))


def _peak_rss_per_worker(markers: list[dict], results: list) -> list[float]:
    """Peak RSS of each worker process that ran a task in this invocation, ascending."""
    this_run = {r.index for r in results if r.status == "done"}
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
    targets: Iterable[str] = ("cpu", "cuda"),
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
        raise WarpsynthError(f"--shards must be between 1 and -n ({n}); got {shards}")
    if workers is not None and workers < 0:
        raise WarpsynthError(f"--workers must be >= 0 (0: in this process), got {workers}")
    config = RunConfig(
        n=n,
        seed=seed,
        shards=shards or 0,
        targets=tuple(targets),
        ptx_archs=tuple(ptx),
        backward=backward,
        category_weights=tuple((category_weights or {}).items()),
        fmt=fmt,
        verify=verify,
        row_timings=row_timings,
        generator=generator,
    )
    from warpsynth.pipeline.programs import load_program_source
    from warpsynth.pipeline.verifying import prepare, require_verify

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
        write_text_atomic(
            run_dir(root) / CONFIG_FILE,
            json.dumps({"hash": config.hash, "config": config.to_dict(), "generator_config": generator_config}, indent=1, sort_keys=True) + "\n",
        )
        tasks = [ShardTask(str(root), config, i, chunk_size) for i in range(config.shards)]
        todo = [t for t in tasks if not t.is_complete()]
        if todo:
            prepare(config)
        executor = executor or _local_executor(workers, len(todo))
        already = sum(len(t.samples) for t in tasks if t not in todo)
        results = []
        if todo:
            with ProgressBar(config.n, already, enabled=progress) as bar:
                results = executor.run(todo, bar.update)
        seconds = time.perf_counter() - started
        failed = [r for r in results if r.status == "failed"]
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
        stats_path = _stats.write_stats(root, config, markers, invocation)
        if failed:
            first = failed[0]
            raise PartialFailure(
                f"{len(failed)} of {len(tasks)} task(s) failed (task {first.index}: {first.error}); "
                f"details in {stats_path}; rerun the same command to retry them"
            )
        rejects_path = _stats.merge_rejects(root, tasks)
        total = _stats.totals(markers)
        card = _stats.write_dataset_card(root, config, total, generator_config)
    return RunSummary(
        root=root,
        config=config,
        mode=mode,
        tasks=len(tasks),
        tasks_run=len(todo),
        rows=total["rows"],
        rejected=total["rejected"],
        rejects_by_stage=total["rejects_by_stage"],
        categories=total["categories"],
        seconds=seconds,
        samples_run=invocation["samples_run"],
        workers=executor.workers,
        peak_rss_mb=_peak_rss_per_worker(markers, results),
        files=[t.shard for t in tasks],
        card=card,
        stats=stats_path,
        rejects=rejects_path,
    )

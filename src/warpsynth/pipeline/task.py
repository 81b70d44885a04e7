"""One shard task: generate its slice of seeds, write its shard atomically, then its marker.

A task is a small frozen value (output folder, run config, index) and
``task.run()`` does everything, so any executor (local processes, a cluster)
only has to call ``run`` somewhere that sees the output folder.

Files of task ``i`` under ``DIR/_run/tasks/`` (``{i:05d}`` prefix):

- ``.done.json``      completion marker with the task's stats (written last), including the
                      shard's name, row count, size and SHA-256: a shard is complete only if it
                      still matches them (a truncated, garbage or swapped-in file is redone)
- ``.rejects.jsonl``  samples that failed (index, seed, stage, reason), written before the marker
- ``.inflight``       which sample (or verify batch) the worker is on; read after a crash
- ``.crashes.jsonl``  crashes recorded by the executor; a sample in two crashes is rejected
"""

from __future__ import annotations

import json
import os
import resource
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from warpsynth import _warp
from warpsynth.errors import reject_reason
from warpsynth.dataset.folder import GENERATED_LICENSE, shard_path
from warpsynth.dataset.io import ShardWriter, file_matches, file_sha256, remove_temp_files, write_text_atomic
from warpsynth.extract.row import row_from_ir
from warpsynth.dataset.run_layout import TASK_CRASHES, TASK_INFLIGHT, TASK_MARKER, TASK_REJECTS, task_file
from warpsynth.pipeline.config import SPLIT, RunConfig, sample_seed

DEFAULT_CHUNK = 32
#: A sample whose processing crashed the worker this many times is rejected, not retried.
CRASH_LIMIT = 2
#: Module tag for generated sources: constant, so equal sources give equal code (and ids).
SOURCE_TAG = "gen"

#: TEST-ONLY fault injection: comma-separated sample indices whose processing kills the
#: worker with SIGSEGV ("7" every time, "7:once" only on the first attempt, "7:verify" every
#: time a verify batch holding sample 7 runs, "setup" in every task's set-up). Never set in real use.
TEST_SEGFAULT_ENV = "WARPSYNTH_TEST_SEGFAULT"

Progress = Callable[[int, int], None]

#: Set to 1 to run Warp's own builtin overload resolution (no cache) -- for debugging only;
#: the cache gives byte-identical output (tests/test_pipeline_warp.py).
NO_OVERLOAD_CACHE_ENV = "WARPSYNTH_NO_OVERLOAD_CACHE"


def prepare_process() -> None:
    """Per-process set-up before a task's samples: Warp initialised, builtin overload cache on."""
    _warp.init_quiet()
    if os.environ.get(NO_OVERLOAD_CACHE_ENV, "") in ("", "0"):
        _warp.enable_builtin_overload_cache()


def _rss_mb() -> float:
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except Exception:  # pragma: no cover - psutil is a dependency
        return 0.0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class TaskResult:
    """What an executor gets back per task. ``status``: done, skipped (already complete) or failed."""

    index: int
    status: str
    rows: int = 0
    rejected: int = 0
    stats: dict = field(default_factory=dict)
    error: str | None = None


@dataclass
class _Crashes:
    """Crash history of a task, from its ``.crashes.jsonl``."""

    per_sample: Counter
    batch_ranges: set[tuple[int, int]]
    unattributed: int
    total: int

    def split(self, items: list) -> list[list]:
        """Verify batches for ``items`` (sorted by index): a batch that crashed before is bisected."""
        if len(items) > 1 and (items[0][0], items[-1][0] + 1) in self.batch_ranges:
            mid = len(items) // 2
            return self.split(items[:mid]) + self.split(items[mid:])
        return [items]


class _Journal:
    """The in-flight record: one fixed-size line rewritten in place (a few µs per sample)."""

    WIDTH = 64

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._f = open(path, "wb", buffering=0)

    def set(self, stage: str, start: int, end: int) -> None:
        self._f.seek(0)
        self._f.write(f"{stage} {start} {end}".ljust(self.WIDTH - 1).encode() + b"\n")

    def close(self) -> None:
        self._f.close()


@dataclass(frozen=True)
class ShardTask:
    """Task ``index`` of a run into ``root``: samples ``config.task_range(index)``."""

    root: str
    config: RunConfig
    index: int
    chunk_size: int = DEFAULT_CHUNK

    # -- paths ---------------------------------------------------------------------------------
    @property
    def shard(self) -> Path:
        return shard_path(self.root, SPLIT, self.index, self.config.shards, self.config.fmt)

    def _path(self, suffix: str) -> Path:
        return task_file(self.root, self.index, suffix)

    @property
    def marker(self) -> Path:
        return self._path(TASK_MARKER)

    @property
    def rejects_path(self) -> Path:
        return self._path(TASK_REJECTS)

    @property
    def inflight_path(self) -> Path:
        return self._path(TASK_INFLIGHT)

    @property
    def crashes_path(self) -> Path:
        return self._path(TASK_CRASHES)

    @property
    def samples(self) -> range:
        return self.config.task_range(self.index)

    # -- state ---------------------------------------------------------------------------------
    def read_marker(self) -> dict | None:
        try:
            marker = json.loads(self.marker.read_text())
        except (OSError, json.JSONDecodeError):
            return None
        return marker if marker.get("config_hash") == self.config.hash else None

    def is_complete(self) -> bool:
        """Marker of this config present, rejects written, and the shard still the file the
        marker describes (size and SHA-256); anything else makes the task run again."""
        marker = self.read_marker()
        if marker is None or not self.rejects_path.exists():
            return False
        return file_matches(self.shard, marker.get("shard_bytes"), marker.get("shard_sha256"))

    def _crashes(self) -> _Crashes:
        per_sample: Counter = Counter()
        ranges, unattributed, total = set(), 0, 0
        if self.crashes_path.exists():
            for line in self.crashes_path.read_text().splitlines():
                if not line.strip():
                    continue
                entry = json.loads(line)
                total += 1
                start, end = entry.get("start"), entry.get("end")
                if start is None or end is None or end <= start:
                    unattributed += 1
                elif end - start == 1:
                    per_sample[start] += 1
                else:
                    ranges.add((start, end))
        return _Crashes(per_sample, ranges, unattributed, total)

    def record_crash(self, reason: str) -> bool:
        """Called by an executor when the process running this task died (segfault, OOM kill...).

        Reads the in-flight record left by the dead worker and appends it to the
        task's crash log; the retry then re-runs the task, and rejects any sample
        that was in flight in ``CRASH_LIMIT`` crashes. Returns whether the crash
        could be pinned to samples (if not, the executor should bound retries).
        """
        entry: dict[str, Any] = {"stage": None, "start": None, "end": None, "reason": reason}
        try:
            stage, start, end = self.inflight_path.read_text().split()
            entry.update(stage=stage, start=int(start), end=int(end))
        except (OSError, ValueError):
            pass
        self.crashes_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.crashes_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, sort_keys=True) + "\n")
        return entry["start"] is not None and entry["end"] is not None and entry["end"] > entry["start"]

    # -- running -------------------------------------------------------------------------------
    def run(self, progress: Progress | None = None) -> TaskResult:
        """Generate, extract (and verify) every sample, write shard + rejects + marker."""
        if self.is_complete():
            marker = self.read_marker() or {}
            return TaskResult(self.index, "skipped", marker.get("rows", 0), marker.get("rejected", 0), marker)
        return _Runner(self, progress).run()


class _Runner:
    """The work of one task attempt (kept out of ShardTask so the task stays a small value)."""

    def __init__(self, task: ShardTask, progress: Progress | None):
        self.task = task
        self.config = task.config
        self.progress = progress or (lambda done, rejected: None)
        #: rows of the current chunk; handed to the shard writer at the end of each chunk
        self.rows: list[dict] = []
        self.row_count = 0
        self.rejects: list[dict] = []
        self.timings: Counter = Counter()
        self.categories: Counter = Counter()
        self.verify_ms: Counter = Counter()
        self.crashes = task._crashes()
        self.crash_hook = self._test_crash_hook()

    def _test_crash_hook(self) -> dict[int, str]:
        spec = os.environ.get(TEST_SEGFAULT_ENV, "")
        hook = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            if part == "setup":
                continue
            index, _, mode = part.partition(":")
            hook[int(index)] = mode or "always"
        return hook

    def _maybe_crash(self, index: int, stage: str = "sample") -> None:
        """TEST-ONLY: die like a segfault inside Warp would (see TEST_SEGFAULT_ENV)."""
        mode = self.crash_hook.get(index)
        if mode is None or (mode == "verify") != (stage == "verify"):
            return
        if mode == "once":
            flag = self.task._path(f".test-crashed-{index}")
            if flag.exists():
                return
            flag.touch()
        os.kill(os.getpid(), signal.SIGSEGV)

    def reject(self, index: int, stage: str, reason: str, category: str | None) -> None:
        """Record sample ``index``'s reject with its generator category (None: unknown, generation failed)."""
        self.rejects.append(
            {"index": index, "seed": sample_seed(self.config.seed, index), "stage": stage, "reason": reason,
             "category": category}
        )

    def run(self) -> TaskResult:
        from warpsynth.extract import extract_overloads, load_source
        from warpsynth.pipeline.programs import load_program_source

        task, config = self.task, self.config
        t_start = time.perf_counter()
        started_at = time.time()
        cpu_start = time.process_time()
        # first thing: a crash from here on must not be pinned on a sample of an earlier attempt
        journal = _Journal(task.inflight_path)
        rss_trace = []
        try:
            journal.set("setup", 0, 0)
            if "setup" in os.environ.get(TEST_SEGFAULT_ENV, "").split(","):
                os.kill(os.getpid(), signal.SIGSEGV)  # TEST-ONLY: a crash no sample can be blamed for
            prepare_process()
            source = load_program_source(config.generator, dict(config.category_weights))
            load_generator_s = time.perf_counter() - t_start
            # Rows are streamed to the shard's temp file chunk by chunk (nothing of a task's output is
            # held until its end, so a worker's memory does not depend on the shard size); the shard
            # appears under its name only after its last sample. A killed earlier attempt may have
            # left its temp file: this attempt starts the shard again from its first sample.
            remove_temp_files(task.shard)
            shard = ShardWriter(task.shard)
            rss_start = _rss_mb()
        except BaseException:
            journal.close()
            raise
        try:
            indices = list(task.samples)
            for c in range(0, len(indices), task.chunk_size):
                chunk = indices[c : c + task.chunk_size]
                rejects_before = len(self.rejects)
                items = []
                for index in chunk:
                    if self.crashes.per_sample[index] >= CRASH_LIMIT:
                        self.reject(index, "crash", f"worker crashed {self.crashes.per_sample[index]} times on this sample",
                                    _category_of(source, sample_seed(self.config.seed, index)))
                        continue
                    journal.set("sample", index, index + 1)
                    self._maybe_crash(index)
                    item = self._sample(index, source, load_source, extract_overloads)
                    if item is not None:
                        items.append(item)
                if items and config.verify != "codegen":
                    items = self._verify(items, journal)
                for index, program, row in items:
                    self.rows.append(row)
                    self.categories[row.get("category") or ""] += 1
                chunk_rows = len(self.rows)
                # a crash while writing is nobody's sample: "write" is not pinned on the chunk
                journal.set("write", 0, 0)
                t0 = time.perf_counter()
                shard.write(self.rows)
                self.rows.clear()
                self.timings["write"] += time.perf_counter() - t0
                self.row_count += chunk_rows
                self.progress(chunk_rows + len(self.rejects) - rejects_before, len(self.rejects) - rejects_before)
                rss_trace.append([c + len(chunk), round(_rss_mb(), 1)])
            journal.set("write", 0, 0)
            t0 = time.perf_counter()
            shard.commit()
            self.rejects.sort(key=lambda r: r["index"])
            write_text_atomic(task.rejects_path, "".join(json.dumps(r, sort_keys=True) + "\n" for r in self.rejects))
            self.timings["write"] += time.perf_counter() - t0
        finally:
            shard.abort()  # no-op once committed; otherwise removes the temp file
            journal.close()
        seconds = time.perf_counter() - t_start
        stats = {
            "index": task.index,
            "config_hash": config.hash,
            "shard": task.shard.name,
            "shard_bytes": task.shard.stat().st_size,
            "shard_sha256": file_sha256(task.shard),
            "samples": len(task.samples),
            "rows": self.row_count,
            "rejected": len(self.rejects),
            "rejects_by_stage": dict(sorted(Counter(r["stage"] for r in self.rejects).items())),
            "categories": dict(sorted(self.categories.items())),
            "crashes_before": self.crashes.total,
            "seconds": round(seconds, 3),
            "cpu_seconds": round(time.process_time() - cpu_start, 3),
            "started_at": round(started_at, 3),
            "finished_at": round(time.time(), 3),
            "samples_per_s": round(len(task.samples) / seconds, 2) if seconds > 0 else None,
            "stage_seconds": {k: round(v, 3) for k, v in sorted(self.timings.items())} | {"load_generator": round(load_generator_s, 3)},
            "verify_seconds_by_stage": {k: round(v / 1000, 3) for k, v in sorted(self.verify_ms.items())},
            "pid": os.getpid(),
            "rss_start_mb": round(rss_start, 1),
            "rss_end_mb": round(_rss_mb(), 1),
            "peak_rss_mb": round(_peak_rss_mb(), 1),
            "rss_trace_mb": rss_trace,
        }
        write_text_atomic(task.marker, json.dumps(stats, indent=1, sort_keys=True) + "\n")
        task.inflight_path.unlink(missing_ok=True)
        return TaskResult(task.index, "done", self.row_count, len(self.rejects), stats)

    def _sample(self, index: int, source, load_source, extract_overloads):
        """Generate + load + extract one sample; a failure becomes a reject, never an exception."""
        from warpsynth.pipeline.verifying import race_reject

        config = self.config
        seed = sample_seed(config.seed, index)
        t0 = time.perf_counter()
        try:
            program = source(seed)
        except Exception as exc:
            self.reject(index, "generate", reject_reason(exc), None)
            return None
        t1 = time.perf_counter()
        self.timings["generate"] += t1 - t0
        race = race_reject(program)  # GPU correctness is proven statically at every level
        t_race = time.perf_counter()
        self.timings["race"] += t_race - t1
        if race is not None:
            self.reject(index, "race", race, program.category)
            return None
        t1 = t_race
        stage = "load"
        try:
            with load_source(program.source, SOURCE_TAG) as loaded:
                kernel = loaded.kernels().get(program.kernel_name)
                if kernel is None:
                    raise LookupError(f"source defines no kernel named {program.kernel_name!r}")
                t2 = time.perf_counter()
                self.timings["load"] += t2 - t1
                stage = "extract"
                # a generated generic kernel (typing.Any) carries one wp.overload: its code
                [ir] = extract_overloads(kernel, config.targets, config.ptx_archs, config.backward)
                t3 = time.perf_counter()
                self.timings["extract"] += t3 - t2
        except Exception as exc:
            self.reject(index, stage, reject_reason(exc), program.category)
            return None
        try:
            row = row_from_ir(
                ir,
                source=program.source,
                origin="generated",
                source_file=None,
                license=GENERATED_LICENSE,
                category=program.category,
                features=list(program.features),
                builtins=list(program.builtins),
                launch=program.launch_json(),
                seed=seed,
                config_hash=program.config_hash,
                differentiable=program.differentiable,
            )
        except Exception as exc:
            self.reject(index, "row", reject_reason(exc), program.category)
            return None
        self.timings["row"] += time.perf_counter() - t3
        return index, program, row

    def _verify(self, items: list, journal: _Journal) -> list:
        """Hand a chunk to ``warpsynth.verify`` as one batch; a batch that crashed a worker is
        bisected on the retry, down to the sample (which is rejected after its second crash)."""
        from warpsynth.pipeline.verifying import verify_chunk

        t0 = time.perf_counter()
        kept = []
        for group in self.crashes.split(items):
            if len(group) == 1 and self.crashes.per_sample[group[0][0]] >= CRASH_LIMIT:
                self.reject(group[0][0], "crash", f"worker crashed {self.crashes.per_sample[group[0][0]]} times on this sample",
                            group[0][1].category)
                continue
            journal.set("verify", group[0][0], group[-1][0] + 1)
            for index, _, _ in group:
                self._maybe_crash(index, "verify")
            for index, program, row, reject, ms in verify_chunk(group, self.config):
                for stage, value in ms.items():
                    self.verify_ms[stage] += value
                if reject is not None:
                    self.reject(index, *reject, program.category)
                else:
                    kept.append((index, program, row))
        self.timings["verify"] += time.perf_counter() - t0
        kept.sort(key=lambda it: it[0])
        return kept


def _category_of(source, seed: int) -> str | None:
    """The category of the program ``source`` makes for ``seed`` (None if generating it fails)."""
    try:
        return source(seed).category
    except Exception:  # noqa: BLE001 - the generate stage reports such a failure itself
        return None

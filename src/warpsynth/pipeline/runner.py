"""One attempt at a shard task: set up, run its samples chunk by chunk, write shard, rejects, marker.

Rows are streamed to the shard's temp file chunk by chunk (nothing of a task's output is
held until its end, so a worker's memory does not depend on the shard size); the shard
appears under its name only after its last sample, then the rejects, then the completion
marker. A killed earlier attempt may have left its temp file: an attempt starts the shard
again from its first sample. Before each sample, verify batch or write, the in-flight
record says what the worker is doing (``journal.Inflight``).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Protocol

from warpsynth.dataset.io import ShardWriter, file_sha256, remove_temp_files, write_text_atomic
from warpsynth.pipeline.config import RunConfig, sample_seed
from warpsynth.pipeline.faults import SegfaultHook
from warpsynth.pipeline.journal import Inflight, read_crashes
from warpsynth.pipeline.process import peak_rss_mb, prepare_process, rss_mb
from warpsynth.pipeline.programs import load_program_source
from warpsynth.pipeline.stages import SampleStages, Tally
from warpsynth.pipeline.stats import TaskStats

#: progress(samples_done_delta, samples_rejected_delta), called after each chunk
Progress = Callable[[int, int], None]


class Task(Protocol):
    """What a runner needs of its task (``task.ShardTask`` has it; not imported, it imports us)."""

    index: int
    config: RunConfig
    chunk_size: int

    @property
    def samples(self) -> range: ...
    @property
    def shard(self) -> Path: ...
    @property
    def marker(self) -> Path: ...
    @property
    def rejects_path(self) -> Path: ...
    @property
    def inflight_path(self) -> Path: ...
    @property
    def crashes_path(self) -> Path: ...


class TaskRunner:
    """The work of one attempt at ``task`` (kept out of ShardTask so the task stays a small value)."""

    def __init__(self, task: Task, progress: Progress | None = None):
        self.task = task
        self.config = task.config
        self.progress = progress or (lambda done, rejected: None)
        self.tally = Tally(task.config.seed)
        self.stages = SampleStages(task.config, self.tally)
        self.crashes = read_crashes(task.crashes_path)
        self.row_count = 0
        self.rss_trace: list[list[float]] = []

    def run(self) -> TaskStats:
        """Run every sample, write the shard, rejects and marker; return the marker's stats."""
        clock = (time.perf_counter(), time.time(), time.process_time())
        # first thing: a crash from here on must not be pinned on a sample of an earlier attempt
        flags = self.task.inflight_path.with_suffix("")  # _run/tasks/NNNNN: prefix of the test hook's flag files
        inflight = Inflight(self.task.inflight_path, SegfaultHook.from_env(flags))
        try:
            source, shard, setup = self._set_up(inflight, clock[0])
        except BaseException:
            inflight.close()
            raise
        try:
            indices = list(self.task.samples)
            for c in range(0, len(indices), self.task.chunk_size):
                self._chunk(indices[c : c + self.task.chunk_size], source, shard, inflight)
                self.rss_trace.append([min(c + self.task.chunk_size, len(indices)), round(rss_mb(), 1)])
            inflight.set("write", 0, 0)
            t0 = time.perf_counter()
            shard.commit()
            rejects = sorted(self.tally.rejects, key=lambda r: r["index"])
            write_text_atomic(self.task.rejects_path, "".join(json.dumps(r, sort_keys=True) + "\n" for r in rejects))
            self.tally.seconds["write"] += time.perf_counter() - t0
        finally:
            shard.abort()  # no-op once committed; otherwise removes the temp file
            inflight.close()
        stats = self._stats(clock, setup)
        write_text_atomic(self.task.marker, stats.to_json())
        self.task.inflight_path.unlink(missing_ok=True)
        return stats

    def _set_up(self, inflight: Inflight, t_start: float) -> tuple[Callable, ShardWriter, dict]:
        """Process set-up, the program source, and a fresh temp file for the shard."""
        inflight.set("setup", 0, 0)
        prepare_process()
        source = load_program_source(self.config.generator, dict(self.config.category_weights))
        load_generator_s = time.perf_counter() - t_start
        remove_temp_files(self.task.shard)
        shard = ShardWriter(self.task.shard)
        return source, shard, {"load_generator_s": load_generator_s, "rss_start": rss_mb()}

    def _chunk(self, chunk: list[int], source: Callable, shard: ShardWriter, inflight: Inflight) -> None:
        """Build (and verify) the chunk's samples, append their rows to the shard, report progress."""
        rejects_before = len(self.tally.rejects)
        items = []
        for index in chunk:
            crashed = self.crashes.rejected(index)
            if crashed is not None:
                self.tally.reject(index, "crash", crashed, _category_of(source, self.stages, index))
                continue
            inflight.set("sample", index, index + 1)
            item = self.stages.build(index, source)
            if item is not None:
                items.append(item)
        if items and self.config.verify != "codegen":
            items = self.stages.verify(items, self.crashes, inflight)
        rows = [row for _, _, row in items]
        self.tally.categories.update(row.get("category") or "" for row in rows)
        # a crash while writing is nobody's sample: "write" is not pinned on the chunk
        inflight.set("write", 0, 0)
        t0 = time.perf_counter()
        shard.write(rows)
        self.tally.seconds["write"] += time.perf_counter() - t0
        self.row_count += len(rows)
        rejected = len(self.tally.rejects) - rejects_before
        self.progress(len(rows) + rejected, rejected)

    def _stats(self, clock: tuple[float, float, float], setup: dict) -> TaskStats:
        """The completion marker of this attempt."""
        task, tally = self.task, self.tally
        seconds = time.perf_counter() - clock[0]
        samples = len(task.samples)
        return TaskStats(
            index=task.index, config_hash=self.config.hash, shard=task.shard.name,
            shard_bytes=task.shard.stat().st_size, shard_sha256=file_sha256(task.shard),
            samples=samples, rows=self.row_count, rejected=len(tally.rejects),
            rejects_by_stage=dict(sorted(Counter(r["stage"] for r in tally.rejects).items())),
            categories=dict(sorted(tally.categories.items())),
            crashes_before=self.crashes.total,
            seconds=round(seconds, 3), cpu_seconds=round(time.process_time() - clock[2], 3),
            started_at=round(clock[1], 3), finished_at=round(time.time(), 3),
            samples_per_s=round(samples / seconds, 2) if seconds > 0 else None,
            stage_seconds={k: round(v, 3) for k, v in sorted(tally.seconds.items())}
            | {"load_generator": round(setup["load_generator_s"], 3)},
            verify_seconds_by_stage={k: round(v / 1000, 3) for k, v in sorted(tally.verify_ms.items())},
            pid=os.getpid(), rss_start_mb=round(setup["rss_start"], 1), rss_end_mb=round(rss_mb(), 1),
            peak_rss_mb=round(peak_rss_mb(), 1), rss_trace_mb=self.rss_trace,
        )


def _category_of(source: Callable, stages: SampleStages, index: int) -> str | None:
    """The category of sample ``index``'s program (None if generating it fails)."""
    try:
        return source(sample_seed(stages.config.seed, index)).category
    except Exception:  # noqa: BLE001 - the generate stage reports such a failure itself
        return None

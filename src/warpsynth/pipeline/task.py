"""One shard task: a small frozen value naming its output folder, run config and index.

``task.run()`` does everything (``runner.TaskRunner``), so any executor (this process,
worker processes, a cluster) only has to call ``run`` somewhere that sees the output folder.

Files of task ``i`` under ``DIR/_run/tasks/`` (``{i:05d}`` prefix; names in
``dataset.run_layout``):

- ``.done.json``      completion marker with the task's stats (``stats.TaskStats``, written
                      last), including the shard's name, row count, size and SHA-256: a shard is
                      complete only if it still matches them (a truncated, garbage or swapped-in
                      file is redone)
- ``.rejects.jsonl``  samples that failed (index, seed, stage, reason, category), written before the marker
- ``.inflight``       which sample (or verify batch) the worker is on; read after a crash
- ``.crashes.jsonl``  crashes recorded by the executor; a sample in two crashes is rejected
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from warpsynth.dataset.folder import shard_path
from warpsynth.dataset.io import file_matches
from warpsynth.dataset.run_layout import TASK_CRASHES, TASK_INFLIGHT, TASK_MARKER, TASK_REJECTS, task_file
from warpsynth.pipeline.config import SPLIT, RunConfig
from warpsynth.pipeline.journal import append_crash
from warpsynth.pipeline.runner import Progress, TaskRunner

#: Samples per chunk: the unit of verification batches, progress reports and shard writes.
DEFAULT_CHUNK = 32


@dataclass
class TaskResult:
    """What an executor gets back per task. ``status``: done, skipped (already complete) or failed;
    ``stats``: the completion marker's fields (or a failed worker's ``traceback``)."""

    index: int
    status: str
    rows: int = 0
    rejected: int = 0
    stats: dict = field(default_factory=dict)
    error: str | None = None


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

    @property
    def marker(self) -> Path:
        return task_file(self.root, self.index, TASK_MARKER)

    @property
    def rejects_path(self) -> Path:
        return task_file(self.root, self.index, TASK_REJECTS)

    @property
    def inflight_path(self) -> Path:
        return task_file(self.root, self.index, TASK_INFLIGHT)

    @property
    def crashes_path(self) -> Path:
        return task_file(self.root, self.index, TASK_CRASHES)

    @property
    def samples(self) -> range:
        return self.config.task_range(self.index)

    # -- state ---------------------------------------------------------------------------------
    def read_marker(self) -> dict | None:
        """The completion marker of this run's config, as written (None if absent or another run's)."""
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

    def record_crash(self, reason: str) -> bool:
        """Called by an executor (``executors.base.Retries``) when the process running this task
        died (segfault, OOM kill...): appends the dead worker's in-flight record to the task's
        crash journal. The next attempt re-runs the task, rejects any sample that was in flight
        in ``journal.CRASH_LIMIT`` crashes, and bisects a verify batch that crashed. Returns
        whether the crash was pinned to samples."""
        return append_crash(self.crashes_path, self.inflight_path, reason)

    # -- running -------------------------------------------------------------------------------
    def run(self, progress: Progress | None = None) -> TaskResult:
        """Generate, extract (and verify) every sample, write shard + rejects + marker."""
        if self.is_complete():
            marker = self.read_marker() or {}
            return TaskResult(self.index, "skipped", marker.get("rows", 0), marker.get("rejected", 0), marker)
        stats = TaskRunner(self, progress).run()
        return TaskResult(self.index, "done", stats.rows, stats.rejected, stats.to_dict())

"""Where a ``generate`` run keeps its state inside the dataset folder (``DIR/_run/``).

    DIR/_run/config.json                the run config and its hash
    DIR/_run/stats.json                 totals, timings, memory, per-task stats
    DIR/_run/rejects.jsonl              every rejected sample, in sample order
    DIR/_run/lock                       held while a run writes to DIR
    DIR/_run/tasks/{i:05d}.done.json    task i's completion marker (written last)
    DIR/_run/tasks/{i:05d}.rejects.jsonl, .inflight, .crashes.jsonl

``warpsynth.pipeline`` writes these; ``warpsynth.curate`` (validate, report) and
``warpsynth.verify.report`` read them. The names are defined here only.
"""

from __future__ import annotations

import os
from pathlib import Path

RUN_DIR = "_run"
CONFIG_FILE = "config.json"
STATS_FILE = "stats.json"
REJECTS_FILE = "rejects.jsonl"
LOCK_FILE = "lock"
TASKS_DIR = "tasks"

#: Suffixes of a task's files after its ``{index:05d}`` prefix, under ``_run/tasks/``.
TASK_MARKER = ".done.json"
TASK_REJECTS = ".rejects.jsonl"
TASK_INFLIGHT = ".inflight"
TASK_CRASHES = ".crashes.jsonl"


def run_dir(root: str | os.PathLike) -> Path:
    """``root/_run``: the run state of the dataset folder ``root``."""
    return Path(root) / RUN_DIR


def task_file(root: str | os.PathLike, index: int, suffix: str) -> Path:
    """``root/_run/tasks/{index:05d}{suffix}``, e.g. ``task_file(root, 3, TASK_MARKER)``."""
    return run_dir(root) / TASKS_DIR / f"{index:05d}{suffix}"

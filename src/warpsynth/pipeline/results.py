"""Run-level results: merge the tasks' rejects and markers into ``_run/`` reports and the card.

Everything that goes into the dataset card is deterministic (counts only);
timings and memory go to ``_run/stats.json`` only.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Sequence

from warpsynth.dataset.folder import write_card
from warpsynth.dataset.run_layout import REJECTS_FILE, STATS_FILE, run_dir
from warpsynth.pipeline.config import SPLIT, RunConfig
from warpsynth.dataset.schema import SCHEMA
from warpsynth.dataset.io import write_text_atomic
from warpsynth.pipeline.stats import Counts
from warpsynth.pipeline.task import ShardTask


def merge_rejects(root: Path, tasks: Sequence[ShardTask]) -> Path:
    """``_run/rejects.jsonl``: every task's rejects, in sample order."""
    text = "".join(t.rejects_path.read_text(encoding="utf-8") for t in tasks)
    path = run_dir(root) / REJECTS_FILE
    write_text_atomic(path, text)
    return path


def write_stats(root: Path, config: RunConfig, markers: Sequence[dict], invocation: dict) -> Path:
    """``_run/stats.json``: totals, this invocation's timing/memory, and each task's stats."""
    stage_seconds: Counter = Counter()
    for m in markers:
        stage_seconds.update(m.get("stage_seconds", {}))
    peak: dict[int, float] = {}
    for m in markers:
        if m.get("pid") is not None:
            peak[m["pid"]] = max(peak.get(m["pid"], 0.0), m.get("peak_rss_mb", 0.0))
    data = {
        "config_hash": config.hash,
        "totals": Counts.total(markers).to_dict(),
        "invocation": invocation,
        "stage_seconds_all_tasks": {k: round(v, 3) for k, v in sorted(stage_seconds.items())},
        "peak_rss_mb_per_worker_pid": {str(k): v for k, v in sorted(peak.items())},
        "tasks": list(markers),
    }
    path = run_dir(root) / STATS_FILE
    write_text_atomic(path, json.dumps(data, indent=1) + "\n")
    return path


def _table(rows: list[tuple], header: tuple) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def card_markdown(config: RunConfig, total: Counts) -> str:
    """The card's Markdown body: what the rows are, the counts, categories, how to load it."""
    rows, samples = total.rows, total.samples
    cats = sorted(total.categories.items(), key=lambda kv: (-kv[1], kv[0]))
    stages = total.rejects_by_stage
    ptx = ", ".join(f"sm_{a}" for a in config.ptx_archs) or "none"
    parts = [
        "# warpsynth: Warp kernels paired with generated C++/CUDA",
        "",
        f"{rows:,} synthetic [NVIDIA Warp](https://github.com/NVIDIA/warp) `@wp.kernel` programs, each paired with "
        f"the code Warp {config.warp_version} generates for it ({', '.join(config.targets)}"
        f"{', forward + backward' if config.backward else ', forward only'}; PTX: {ptx}).",
        "One row per kernel; the columns are documented in `docs/schema.md` of warpsynth.",
        "",
        "## Contents",
        "",
        _table(
            [
                ("rows", f"{rows:,}"),
                ("samples attempted", f"{samples:,}"),
                ("rejected", f"{total.rejected:,}" + (f" ({', '.join(f'{k}: {v}' for k, v in stages.items())})" if stages else "")),
                ("shards", f"{config.shards} x {config.fmt}"),
                ("verification level", config.verify),
                ("run seed", config.seed),
                ("run config hash", f"`{config.hash}`"),
            ],
            ("", ""),
        ),
        "",
    ]
    if cats:
        parts += ["## Categories", "", _table([(c or "(none)", f"{n:,}", f"{100 * n / max(rows, 1):.1f}%") for c, n in cats], ("category", "rows", "share")), ""]
    parts += [
        "## Usage",
        "",
        "```python",
        "import datasets",
        f'ds = datasets.load_dataset("path/to/this/folder", split="{SPLIT}")',
        "```",
        "",
        "Rejected samples (seed, stage, reason) are listed in `_run/rejects.jsonl`; the run config is in `_run/config.json`.",
    ]
    return "\n".join(parts) + "\n"


def write_dataset_card(root: Path, config: RunConfig, total: Counts, generator_config: dict) -> Path:
    """``README.md``: the Hugging Face card (YAML configs, features, generator config) + summary."""
    path = write_card(
        root,
        splits={SPLIT: [f"data/{SPLIT}-*.{config.fmt}"]},
        num_rows=total.rows,
        warp_version=config.warp_version,
        summary_markdown=card_markdown(config, total),
        generator_config={"run": config.to_dict(), "run_config_hash": config.hash, "generator": generator_config},
        pretty_name="warpsynth Warp kernels",
        features=SCHEMA,
    )
    return path

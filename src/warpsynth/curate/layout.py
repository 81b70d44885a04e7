"""Whole-folder checks of a dataset: do the shards on disk match what the folder says it holds?

A folder states its contents three times: the shard names (``-of-K``: K shards per split),
the card (``warpsynth.num_rows`` and ``configs`` data files) and, for a generated folder,
the run's completion markers (``_run/tasks/NNNNN.done.json``: each shard's row count, size
and SHA-256). A deleted, extra, truncated or swapped-in shard contradicts at least one.
"""

from __future__ import annotations

import json
from pathlib import Path

from warpsynth.dataset import folder
from warpsynth.dataset.run_layout import CONFIG_FILE, TASK_MARKER, run_dir, task_file
from warpsynth.dataset.io import file_matches, read_json
from warpsynth.dataset.shards import Shard, shard_num_rows
from warpsynth.errors import WarpsynthError


def _shard_count_problems(shards: list[Shard]) -> list[str]:
    """Per split: indices 0..K-1 each once, every name saying ``-of-K`` with K the file count."""
    problems = []
    by_split: dict[str, list[tuple[int, int, str]]] = {}
    for s in shards:
        _, index, count = folder.parse_shard_name(s.path.name)
        by_split.setdefault(s.split, []).append((index, count, s.path.name))
    for split, items in by_split.items():
        counts = {count for _, count, _ in items}
        if len(counts) > 1:
            problems.append(f"{split}: shard names disagree on the shard count ({', '.join(f'-of-{c:05d}' for c in sorted(counts))})")
            continue
        count = counts.pop()
        missing = sorted(set(range(count)) - {i for i, _, _ in items})
        if missing:
            problems.append(f"{split}: {len(missing)} of {count} shard(s) missing (first: {split}-{missing[0]:05d}-of-{count:05d})")
        extra = [name for i, _, name in items if i >= count]
        if extra:
            problems.append(f"{split}: {extra[0]} is beyond -of-{count:05d}")
    return problems


def _card_problems(root: Path, shards: list[Shard], rows: dict[Path, int]) -> list[str]:
    try:
        meta = folder.read_card(root)
    except WarpsynthError as exc:
        return [str(exc)]
    declared = (meta.get("warpsynth") or {}).get("num_rows")
    total = sum(rows.values())
    problems = []
    if declared is not None and declared != total:
        problems.append(f"README.md: the card says {declared:,} rows, the shards hold {total:,}")
    sizes = meta.get("size_categories")
    if sizes is not None and sizes != [folder.size_category(total)]:
        problems.append(f"README.md: size_categories {sizes} does not fit {total:,} rows (expected {folder.size_category(total)})")
    listed = {p for c in meta.get("configs") or [] for f in c.get("data_files") or [] for p in (f.get("path") or [])}
    listed = {p for p in listed if "*" not in p}
    on_disk = {s.path.relative_to(root).as_posix() for s in shards}
    if listed and listed != on_disk:
        gone, new = sorted(listed - on_disk), sorted(on_disk - listed)
        problems.append(f"README.md: card lists {gone[0]}, which is missing" if gone else f"README.md: {new[0]} is not in the card's data files")
    return problems


def _marker_problems(root: Path, shards: list[Shard], rows: dict[Path, int]) -> list[str]:
    """A generated (not curated) folder: every task's marker and shard agree."""
    stored = read_json(run_dir(root) / CONFIG_FILE)
    meta = folder.read_card(root)
    if not isinstance(stored, dict) or (meta.get("warpsynth") or {}).get("curation"):
        return []  # extracted/curated folders carry no markers for their own shards
    config_hash, count = stored.get("hash"), (stored.get("config") or {}).get("shards")
    if not config_hash or not count:
        return []
    problems = []
    for i in range(count):
        path = task_file(root, i, TASK_MARKER)
        marker = read_json(path)
        if not isinstance(marker, dict) or marker.get("config_hash") != config_hash:
            problems.append(f"_run/tasks/{path.name}: no completion marker of this run for task {i} (the run is incomplete: rerun it to resume)")
            continue
        shard = root / folder.DATA_DIR / marker.get("shard", "")
        if not shard.is_file():
            problems.append(f"{folder.DATA_DIR}/{marker.get('shard')}: missing (task {i} completed it)")
        elif "shard_sha256" in marker and not file_matches(shard, marker.get("shard_bytes"), marker["shard_sha256"]):
            problems.append(f"{folder.DATA_DIR}/{shard.name}: not the file task {i} wrote (size/SHA-256 differ from its marker)")
        elif rows.get(shard) is not None and rows[shard] != marker.get("rows"):
            problems.append(f"{folder.DATA_DIR}/{shard.name}: {rows[shard]:,} rows, task {i} wrote {marker.get('rows')}")
        if len(problems) >= 5:
            break
    return problems


def _stray_problems(root: Path) -> list[str]:
    """Files in ``data/`` that are not shards: no loader of the card reads them, so they are
    either left over or put there by hand; either way the folder does not hold what it says."""
    data = root / folder.DATA_DIR
    if not data.is_dir():
        return []
    stray = sorted(p.name for p in data.iterdir() if folder.parse_shard_name(p.name) is None)
    if not stray:
        return []
    more = f" (and {len(stray) - 1} more)" if len(stray) > 1 else ""
    return [f"{folder.DATA_DIR}/{stray[0]}: not a shard (names are SPLIT-NNNNN-of-NNNNN.parquet|jsonl){more}"]


def layout_problems(root: str | Path, shards: list[Shard]) -> list[str]:
    """Everything wrong with the folder as a whole, one line each (empty: consistent)."""
    root = Path(root)
    rows: dict[Path, int] = {}
    for s in shards:
        try:
            rows[s.path] = shard_num_rows(s.path)
        except (WarpsynthError, json.JSONDecodeError):
            pass  # the per-shard "readable" check reports it
    return _shard_count_problems(shards) + _stray_problems(root) + _card_problems(root, shards, rows) + _marker_problems(root, shards, rows)

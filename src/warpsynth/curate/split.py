"""``warpsynth split DIR -o OUT --val 0.05 --test 0.05``: train/validation/test by cluster.

Rows are clustered as for dedup (exact + near duplicates), so a kernel and its
near-copies always land in the same split. Clusters are visited in the order
of a salted hash of their smallest id (deterministic, independent of shard
order); a cluster goes to test, else validation, while it fits in that split's
row budget (``round(fraction * rows)``), else to train. Big clusters that fit
nowhere else end in train, which is where leakage does no harm.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa

from warpsynth.curate.cluster import find_clusters
from warpsynth.curate.licenses import license_mask, parse_allow_list
from warpsynth.dataset.folder import SPLITS
from warpsynth.dataset.shards import check_dataset, iter_rows, max_shard_rows
from warpsynth.dataset.writer import DatasetWriter
from warpsynth.errors import WarpsynthError

REPORT = "split.json"


def check_fractions(val: float, test: float) -> None:
    """Raise WarpsynthError unless ``val`` and ``test`` are fractions in [0, 1) with a sum below 1."""
    if not (0 <= val < 1 and 0 <= test < 1 and val + test < 1):
        raise WarpsynthError(f"--val/--test: {val} and {test} must be fractions in [0, 1) with a sum below 1")


def assign(ids: list[str], roots: np.ndarray, val: float, test: float, seed: int = 0) -> np.ndarray:
    """Split index (0 train, 1 validation, 2 test) per row; whole clusters only."""
    n = len(ids)
    check_fractions(val, test)
    smallest: dict[int, str] = {}
    size: Counter = Counter()
    for i, r in enumerate(roots.tolist()):
        size[r] += 1
        if r not in smallest or ids[i] < smallest[r]:
            smallest[r] = ids[i]
    salt = str(seed).encode()
    order = sorted(smallest, key=lambda r: (hashlib.sha256(salt + b"\0" + smallest[r].encode()).digest(), r))
    budget = {2: round(test * n), 1: round(val * n)}
    used = {2: 0, 1: 0}
    cluster_split: dict[int, int] = {}
    for r in order:
        target = 0
        for s in (2, 1):
            if used[s] + size[r] <= budget[s] and used[s] < budget[s]:
                target = s
                used[s] += size[r]
                break
        cluster_split[r] = target
    return np.fromiter((cluster_split[r] for r in roots.tolist()), dtype=np.int8, count=n)


def split(
    root: str | Path,
    out: str | Path,
    *,
    val: float = 0.05,
    test: float = 0.05,
    seed: int = 0,
    overwrite: bool = False,
    progress: Callable[[int], None] | None = None,
    licenses: str | list[str] | None = None,
) -> dict:
    """Write ``root``'s rows into train/validation/test shards of ``out``; returns the split summary.

    ``licenses``: an SPDX allow-list; other rows go to no split (``dropped_by_license``).
    """
    allow = parse_allow_list(licenses)
    shards = check_dataset(root)
    check_fractions(val, test)
    with DatasetWriter(out, source=root, rows_per_shard=max_shard_rows(shards), overwrite=overwrite) as writer:
        clusters = find_clusters(root, shards=shards, progress=progress)
        where = assign(clusters.ids, clusters.roots, val, test, seed)
        dropped = 0
        if allow is not None:
            allowed = np.concatenate([license_mask(b, allow) for _, b in iter_rows(root, ["license"], shards)] or [np.zeros(0, bool)])
            where[~allowed] = -1
            dropped = int((~allowed).sum())
            if not allowed.any():  # as export: a split that would write no row writes nothing
                raise WarpsynthError(f"--license: no row of {root} has license {', '.join(sorted(allow))} ({dropped} rows dropped); nothing written")
        for name in SPLITS:
            writer.declare(name)
        offset = 0
        for _, batch in iter_rows(root, None, shards):
            part = where[offset : offset + batch.num_rows]
            offset += batch.num_rows
            for s, name in enumerate(SPLITS):
                mask = part == s
                if mask.any():
                    writer.write(name, batch.filter(pa.array(mask)))
        summary = _summary(clusters.roots, where, val, test, seed, {k: v for k, v in clusters.params.items() if k != "workers"})
        if allow is not None:
            summary["licenses"], summary["dropped_by_license"] = sorted(allow), dropped
        writer.write_report(REPORT, summary)
        rows = summary["rows"]
        writer.commit(
            card_step={"step": "split", "rows": rows, "val": val, "test": test, "seed": seed},
            card_section="\n".join(
                [
                    "### Splits",
                    "",
                    f"Split by near-duplicate cluster (no cluster spans two splits), seed {seed}: "
                    + ", ".join(f"{k} {rows[k]:,} rows ({summary['clusters'][k]:,} clusters)" for k in SPLITS)
                    + ".",
                ]
            ),
        )
    return summary


def format_summary(summary: dict) -> str:
    """Rows and clusters per split, one line each (the CLI's output)."""
    return "\n".join(f"{k:<11}{summary['rows'][k]:>10,} rows {summary['clusters'][k]:>10,} clusters" for k in summary["rows"])


def _summary(roots: np.ndarray, where: np.ndarray, val: float, test: float, seed: int, params: dict) -> dict:
    rows = {name: int((where == s).sum()) for s, name in enumerate(SPLITS)}
    clusters = {name: int(len(np.unique(roots[where == s]))) for s, name in enumerate(SPLITS)}
    spanning = 0
    if len(roots):
        per_root = {}
        for r, s in zip(roots.tolist(), where.tolist()):
            if s >= 0:  # -1: left out (license filter)
                per_root.setdefault(r, set()).add(s)
        spanning = sum(1 for v in per_root.values() if len(v) > 1)
    if spanning:
        raise RuntimeError(f"{spanning} clusters span two splits")  # assign() makes this impossible
    n = max(1, len(roots))
    return {
        "rows": rows,
        "clusters": clusters,
        "fractions": {k: round(v / n, 4) for k, v in rows.items()},
        "requested": {"validation": val, "test": test},
        "seed": seed,
        "clusters_spanning_splits": spanning,
        "cluster_params": params,
    }

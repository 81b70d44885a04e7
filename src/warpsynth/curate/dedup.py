"""``warpsynth dedup DIR -o OUT``: drop exact and near-duplicate rows, one kept per cluster.

Pass 1 (``cluster.find_clusters``) keeps compact per-row state only; pass 2
streams the rows again and writes the kept ones, in their original order and
split, into a new folder that appears at OUT only when complete. The cluster
report goes to ``OUT/_curate/dedup.json`` and a summary into the card.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa

from warpsynth.curate.cluster import Clusters, find_clusters
from warpsynth.curate.minhash import NUM_PERM, SHINGLE, THRESHOLD
from warpsynth.dataset.shards import check_dataset, iter_rows, max_shard_rows
from warpsynth.dataset.writer import DatasetWriter
from warpsynth.errors import WarpsynthError

REPORT = "dedup.json"


def dedup(
    root: str | Path,
    out: str | Path,
    *,
    threshold: float = THRESHOLD,
    num_perm: int = NUM_PERM,
    shingle: int = SHINGLE,
    near: bool = True,
    overwrite: bool = False,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Deduplicate ``root`` into ``out``; returns the summary written to ``_curate/dedup.json``.

    ``threshold``: MinHash Jaccard estimate in (0, 1] at which two rows are near duplicates.
    ``progress(rows)`` is called as the clustering pass reads rows. Raises WarpsynthError for a
    bad threshold or output folder (``overwrite`` replaces only a folder warpsynth wrote).
    """
    if not (isinstance(threshold, (int, float)) and 0 < threshold <= 1):
        raise WarpsynthError(f"--threshold: must be in (0, 1] (a Jaccard similarity), got {threshold}")
    shards = check_dataset(root)
    with DatasetWriter(out, source=root, rows_per_shard=max_shard_rows(shards), overwrite=overwrite) as writer:
        clusters = find_clusters(root, threshold=threshold, num_perm=num_perm, shingle=shingle, near=near, shards=shards, workers=workers, progress=progress)
        write_kept(root, shards, clusters.keep, writer)
        summary = clusters.summary()
        # the written report must be byte-stable: timings and worker count go to the caller only
        writer.write_report(REPORT, {k: v for k, v in summary.items() if k != "seconds"} | {"params": {k: v for k, v in summary["params"].items() if k != "workers"}})
        params = {k: v for k, v in summary["params"].items() if k != "workers"}
        writer.commit(card_step={"step": "dedup", **{k: summary[k] for k in ("rows_in", "rows_kept", "exact_duplicate_rows", "near_duplicate_rows", "clusters")}, "params": params}, card_section=card_section(summary))
    return summary


def write_kept(root, shards, keep: np.ndarray, writer: DatasetWriter) -> None:
    """Stream the full rows again and write those with ``keep`` set, split by split."""
    offset = 0
    for shard in shards:
        writer.declare(shard.split)
    for shard, batch in iter_rows(root, None, shards):
        mask = keep[offset : offset + batch.num_rows]
        offset += batch.num_rows
        if mask.any():
            writer.write(shard.split, batch.filter(pa.array(mask)))
    if offset != len(keep):
        raise RuntimeError(f"dataset changed while deduplicating ({offset} rows now, {len(keep)} before)")


def card_section(summary: dict) -> str:
    sizes = ", ".join(f"{k}: {v}" for k, v in summary["cluster_sizes"].items())
    return "\n".join(
        [
            "### Deduplication",
            "",
            f"- rows in: {summary['rows_in']:,}; kept: {summary['rows_kept']:,}; dropped: {summary['rows_dropped']:,}",
            f"- exact duplicates (canonical form: identifiers renamed, literals abstracted): {summary['exact_duplicate_rows']:,} rows",
            f"- near duplicates (MinHash LSH, {summary['params']['shingle']}-token shingles, Jaccard >= {summary['params']['threshold']}, "
            f"{summary['params']['num_perm']} permutations): {summary['near_duplicate_rows']:,} rows",
            f"- clusters by size (size: count): {sizes}",
        ]
    )


def format_summary(summary: dict) -> str:
    """A short plain-text summary for the CLI."""
    lines = [
        f"rows in        {summary['rows_in']:>10,}",
        f"rows kept      {summary['rows_kept']:>10,}",
        f"exact dups     {summary['exact_duplicate_rows']:>10,}  ({summary['exact_duplicate_groups']:,} groups)",
        f"near dups      {summary['near_duplicate_rows']:>10,}  ({summary['near_duplicate_pairs']:,} row pairs at Jaccard >= {summary['params']['threshold']}, exact ones included)",
        f"clusters       {summary['clusters']:>10,}",
        "cluster sizes  " + ", ".join(f"{k}x{v}" for k, v in summary["cluster_sizes"].items()),
        f"seconds        {summary['seconds']['total']:>10}",
    ]
    for c in summary["largest_clusters"][:5]:
        dropped = ", ".join(d["kernel_name"] for d in c["dropped"][:4])
        lines.append(f"  cluster of {c['size']}: kept {c['kept']['kernel_name']} ({c['kept']['id'][:12]}), dropped {dropped}")
    return "\n".join(lines)

"""Duplicate clusters of a dataset folder: exact (canonical form) and near (MinHash LSH).

One streaming pass over the Python columns keeps, per row, only its id, kernel
name, a 16-byte digest of its canonical form and a 256 x uint32 MinHash
signature (plus the LSH band keys). Rows are then linked by union-find:

- exact duplicates: equal canonical form (identifiers alpha-renamed, literals
  abstracted, ``warpsynth.generate.canonical.canonical_form``);
- near duplicates: Jaccard >= 0.7 between the 5-token shingle sets of their
  canonical forms, found by MinHash LSH and confirmed on the signatures.

Each cluster keeps one row, the one with the smallest id (ties: first in
dataset order), so the choice does not depend on shard order.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from warpsynth.curate.minhash import NUM_PERM, SHINGLE, THRESHOLD, NearDuplicateIndex, Shingler, Signer, UnionFind
from warpsynth.curate.text import python_text
from warpsynth.curate.tokenize import tokenize
from warpsynth.dataset.io import iter_batches
from warpsynth.dataset.shards import Shard, check_dataset, conform, shard_num_rows
from warpsynth.errors import WarpsynthError

COLUMNS = ["id", "kernel_name", "source", "kernel_source"]


def canonical(text: str) -> str:
    """The project's canonical form of a Python source (falls back to the text when it does not parse)."""
    from warpsynth.generate.canonical import canonical_form

    try:
        return canonical_form(text)
    except (SyntaxError, ValueError, RecursionError):
        return text


@dataclass
class Clusters:
    """Cluster membership of every row of a dataset, in dataset order."""

    ids: list[str]
    names: list[str]
    splits: list[str]
    roots: np.ndarray
    keep: np.ndarray
    exact_groups: int
    exact_rows_removed: int
    near_pairs: int
    seconds: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.ids)

    def sizes(self) -> Counter:
        """Cluster size -> number of clusters."""
        _, counts = np.unique(self.roots, return_counts=True)
        return Counter(counts.tolist())

    def members(self) -> dict[int, list[int]]:
        """Root -> member row indices, for clusters of two or more rows."""
        order = np.argsort(self.roots, kind="stable")
        roots = self.roots[order]
        out: dict[int, list[int]] = {}
        if len(roots) == 0:
            return out
        cuts = np.flatnonzero(np.diff(roots)) + 1
        for group in np.split(order, cuts):
            if len(group) > 1:
                out[int(self.roots[group[0]])] = sorted(group.tolist())
        return out

    def summary(self, top: int = 20) -> dict:
        sizes = self.sizes()
        groups = sorted(self.members().values(), key=lambda g: (-len(g), g[0]))
        largest = []
        for g in groups[:top]:
            kept = next(i for i in g if self.keep[i])
            largest.append(
                {
                    "size": len(g),
                    "kept": {"id": self.ids[kept], "kernel_name": self.names[kept]},
                    "dropped": [{"id": self.ids[i], "kernel_name": self.names[i]} for i in g if i != kept][:20],
                }
            )
        return {
            "rows_in": self.n,
            "rows_kept": int(self.keep.sum()),
            "rows_dropped": int(self.n - self.keep.sum()),
            "clusters": int(sum(sizes.values())),
            "exact_duplicate_groups": self.exact_groups,
            "exact_duplicate_rows": self.exact_rows_removed,
            "near_duplicate_rows": int(self.n - self.keep.sum()) - self.exact_rows_removed,
            "near_duplicate_pairs": self.near_pairs,
            "cluster_sizes": {str(k): v for k, v in sorted(sizes.items())},
            "largest_clusters": largest,
            "params": self.params,
            "seconds": self.seconds,
        }


@dataclass
class _Part:
    """Compact state of one slice of a shard, computed by a worker."""

    ids: list
    names: list
    digests: list
    signatures: np.ndarray | None
    seconds: dict


def _slices(shards: list[Shard], rows_per_task: int = 5000) -> list[tuple[str, str, list | None]]:
    """(path, split, row groups or None) work items, in dataset order."""
    items = []
    for shard in shards:
        if shard.path.suffix != ".parquet":
            items.append((str(shard.path), shard.split, None))
            continue
        try:
            meta = pq.ParquetFile(shard.path).metadata
        except (pa.ArrowInvalid, OSError) as exc:
            raise WarpsynthError(f"{shard.path}: unreadable ({str(exc).splitlines()[0]})") from None
        group: list[int] = []
        rows = 0
        for g in range(meta.num_row_groups):
            group.append(g)
            rows += meta.row_group(g).num_rows
            if rows >= rows_per_task:
                items.append((str(shard.path), shard.split, group))
                group, rows = [], 0
        if group or not items or items[-1][0] != str(shard.path):
            items.append((str(shard.path), shard.split, group))
    return items


def _part(item: tuple[str, str, list | None], shingle: int, num_perm: int, near: bool) -> _Part:
    path, split, groups = item
    path = Path(path)
    shingler = Shingler(shingle)
    signer = Signer(num_perm) if near else None
    ids, names, digests, sigs = [], [], [], []
    t_canon = t_sig = 0.0
    if groups is None:
        batches = (conform(b, path, COLUMNS) for b in iter_batches(path, columns=COLUMNS))
    else:
        batches = _parquet_batches(path, groups)
    for batch in batches:
        cols = {name: batch.column(name).to_pylist() for name in COLUMNS}
        for rid, name, source, kernel in zip(cols["id"], cols["kernel_name"], cols["source"], cols["kernel_source"]):
            ids.append(rid or "")
            names.append(name or "")
            a = time.perf_counter()
            canon = canonical(python_text({"source": source, "kernel_source": kernel}))
            b = time.perf_counter()
            digests.append(hashlib.blake2b(canon.encode("utf-8", "surrogatepass"), digest_size=16).digest())
            if signer is not None:
                sigs.append(signer.signature(shingler.hashes(tokenize(canon))))
            t_canon += b - a
            t_sig += time.perf_counter() - b
    signatures = (np.stack(sigs) if sigs else np.zeros((0, num_perm), dtype=np.uint32)) if near else None
    return _Part(ids, names, digests, signatures, {"canonical": t_canon, "shingle_minhash": t_sig})


def _parquet_batches(path: Path, groups: list[int]):
    try:
        yield from pq.ParquetFile(path).iter_batches(row_groups=groups, columns=COLUMNS)
    except (pa.ArrowInvalid, OSError) as exc:
        raise WarpsynthError(f"{path}: unreadable ({str(exc).splitlines()[0]})") from None


def _run_parts(items, shingle, num_perm, near, workers):
    if workers <= 1 or len(items) <= 1:
        for item in items:
            yield _part(item, shingle, num_perm, near)
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        yield from pool.map(_part, items, *zip(*[(shingle, num_perm, near)] * len(items)))


def default_workers(rows: int) -> int:
    """Processes for pass 1: one per core, but none for small datasets (start-up costs more)."""
    if rows < 20_000:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def find_clusters(
    root: str | Path,
    *,
    threshold: float = THRESHOLD,
    num_perm: int = NUM_PERM,
    shingle: int = SHINGLE,
    near: bool = True,
    shards: list[Shard] | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Clusters:
    """Stream ``root`` once and cluster its rows (see module docstring).

    The per-row work (canonical form, shingles, MinHash) runs in ``workers``
    processes over slices of the shards; results are combined in dataset order,
    so the outcome does not depend on the number of workers.
    """
    shards = shards if shards is not None else check_dataset(root)
    t0 = time.perf_counter()
    items = _slices(shards)
    if workers is None:
        workers = default_workers(sum(shard_num_rows(s.path) for s in shards))
    ids: list[str] = []
    names: list[str] = []
    splits: list[str] = []
    exact: dict[bytes, int] = {}
    uf = UnionFind()
    index = NearDuplicateIndex(threshold, num_perm) if near else None
    worker_seconds: Counter = Counter()
    exact_removed = 0
    exact_groups: set[int] = set()
    for item, part in zip(items, _run_parts(items, shingle, num_perm, near, workers)):
        worker_seconds.update(part.seconds)
        for k, (rid, name, digest) in enumerate(zip(part.ids, part.names, part.digests)):
            i = uf.add()
            ids.append(rid)
            names.append(name)
            splits.append(item[1])
            first = exact.setdefault(digest, i)
            if first != i:
                uf.union(first, i)
                exact_removed += 1
                exact_groups.add(first)
            if index is not None:
                index.add_signature(part.signatures[k])
        if progress:
            progress(len(part.ids))
    t1 = time.perf_counter()
    near_pairs = index.link(uf) if index is not None else 0
    t2 = time.perf_counter()
    roots = uf.roots()
    keep = _choose(ids, roots)
    return Clusters(
        ids=ids,
        names=names,
        splits=splits,
        roots=roots,
        keep=keep,
        exact_groups=len(exact_groups),
        exact_rows_removed=exact_removed,
        near_pairs=near_pairs,
        seconds={
            "pass1_wall": round(t1 - t0, 3),
            "canonical_cpu": round(worker_seconds["canonical"], 3),
            "shingle_minhash_cpu": round(worker_seconds["shingle_minhash"], 3),
            "lsh_query_union": round(t2 - t1, 3),
            "total": round(time.perf_counter() - t0, 3),
        },
        params={"threshold": threshold, "num_perm": num_perm, "shingle": shingle, "near": near, "workers": workers, "text": "canonical form of the Python source"},
    )


def _choose(ids: list[str], roots: np.ndarray) -> np.ndarray:
    """One kept row per cluster: the smallest id, ties broken by dataset order."""
    n = len(ids)
    keep = np.zeros(n, dtype=bool)
    if n == 0:
        return keep
    order = sorted(range(n), key=lambda i: (int(roots[i]), ids[i], i))
    last = None
    for i in order:
        r = int(roots[i])
        if r != last:
            keep[i] = True
            last = r
    return keep

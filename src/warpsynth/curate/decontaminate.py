"""``warpsynth decontaminate DIR --against PATH``: drop rows that overlap an evaluation set.

The evaluation set is any mix of dataset folders (each row gives two documents:
its Python, and its generated code), files (``.py`` as Python; ``.cu .cuh .cpp
.cc .cxx .c .h .hpp`` as C++; ``.jsonl``: every string value of every record;
other text as Python) and directories of such files.

Text is compared as sets of token n-grams (default 20 tokens of
``curate.tokenize``; comments and whitespace ignored). A row is contaminated by
an evaluation document when they share long n-grams *and* the shared n-grams
cover at least ``min_overlap`` (default 0.5) of the smaller of the two: the row
(its Python, or its code: CUDA and C++ forward and backward) or the document.
A single shared n-gram is not enough, because every Warp kernel shares runs of
boilerplate with every other (signatures such as ``a: wp.array(dtype=float),
...): tid = wp.tid()``, adjoint declarations, launch loops); measured on real
generated rows, distinct kernels overlap by at most ~0.4 (Python, tiny
kernels) while a copied kernel overlaps by ~1.0. N-grams found in more than
``max(10, 5%)`` of the evaluation documents are boilerplate of the evaluation
set and ignored.

One streaming pass: each row is decided when read and the kept rows written.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pyarrow as pa

from warpsynth.curate.text import python_text
from warpsynth.curate.tokenize import tokenize
from warpsynth.dataset import folder
from warpsynth.dataset.shards import check_dataset, iter_rows, max_shard_rows
from warpsynth.dataset.writer import DatasetWriter
from warpsynth.errors import WarpsynthError

NGRAM = 20
MIN_OVERLAP = 0.5
COMMON_FRACTION = 0.05
COMMON_MIN = 10
CODE_COLUMNS = ("cuda_forward", "cuda_backward", "cpu_forward", "cpu_backward")
CPP_SUFFIXES = {".cu", ".cuh", ".cpp", ".cc", ".cxx", ".c", ".h", ".hpp"}
TEXT_SUFFIXES = {".py", ".jsonl", ".txt", ".md"} | CPP_SUFFIXES
REPORT = "decontaminate.json"

_MULT = np.uint64(0x100000001B3)


class NgramHasher:
    """64-bit hashes of token n-grams (token hashes cached; the combination is vectorized)."""

    def __init__(self, n: int = NGRAM):
        if n < 1:
            raise WarpsynthError(f"--ngram: must be at least 1 (got {n})")
        self.n = n
        self._vocab: dict[str, int] = {}

    def hashes(self, tokens: list[str]) -> np.ndarray:
        if len(tokens) < self.n:
            return np.zeros(0, dtype=np.uint64)
        vocab = self._vocab
        ids = np.empty(len(tokens), dtype=np.uint64)
        for i, tok in enumerate(tokens):
            h = vocab.get(tok)
            if h is None:
                h = vocab[tok] = int.from_bytes(hashlib.blake2b(tok.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")
            ids[i] = h
        count = len(ids) - self.n + 1
        with np.errstate(over="ignore"):
            h = np.full(count, 0xCBF29CE484222325, dtype=np.uint64)
            for k in range(self.n):
                h = (h ^ ids[k : k + count]) * _MULT
                h ^= h >> np.uint64(31)
        return h


@dataclass
class EvalDoc:
    name: str
    text: str
    lang: str


def eval_documents(paths: list[str | Path]) -> Iterator[EvalDoc]:
    """Documents of the evaluation set (see module docstring)."""
    for p in paths:
        path = Path(p)
        if not path.exists():
            raise WarpsynthError(f"{path}: no such evaluation file or folder")
        if path.is_dir() and (path / folder.DATA_DIR).is_dir():
            for shard, batch in iter_rows(path, ["id", "kernel_name", "source", "kernel_source", *CODE_COLUMNS]):
                for row in batch.to_pylist():
                    name = f"{path.name}:{row['kernel_name']}({(row['id'] or '')[:12]})"
                    yield EvalDoc(name, python_text(row), "python")
                    code = "\n".join(row[c] for c in CODE_COLUMNS if row.get(c))
                    if code:
                        yield EvalDoc(f"{name}.code", code, "cpp")
        elif path.is_dir():
            files = sorted(f for f in path.rglob("*") if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES)
            for f in files:
                yield from _file_docs(f)
        else:
            yield from _file_docs(path)


def _file_docs(path: Path) -> Iterator[EvalDoc]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise WarpsynthError(f"{path}: unreadable ({exc.strerror})") from None
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                raise WarpsynthError(f"{path}:{lineno}: not valid JSON") from None
            for key, value in _strings(record):
                yield EvalDoc(f"{path.name}:{lineno}.{key}", value, "python")
    else:
        yield EvalDoc(path.name, text, "cpp" if suffix in CPP_SUFFIXES else "python")


def _strings(value, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield key or "value", value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{key}.{k}" if key else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{key}[{i}]")


class EvalIndex:
    """(n-gram hash, document) pairs of the evaluation set, sorted, boilerplate removed."""

    def __init__(self, docs: Iterator[EvalDoc], hasher: NgramHasher, common_fraction: float = COMMON_FRACTION, common_min: int = COMMON_MIN):
        self.hasher = hasher
        hashes, owners, self.docs = [], [], []
        for doc in docs:
            h = np.unique(hasher.hashes(tokenize(doc.text, doc.lang)))
            if len(h) == 0:
                continue
            hashes.append(h)
            owners.append(np.full(len(h), len(self.docs), dtype=np.int64))
            self.docs.append(doc)
        if not hashes:
            raise WarpsynthError(f"evaluation set has no text of at least {hasher.n} tokens")
        allh, allo = np.concatenate(hashes), np.concatenate(owners)
        order = np.lexsort((allo, allh))
        allh, allo = allh[order], allo[order]
        uniq, start, df = np.unique(allh, return_index=True, return_counts=True)
        cap = max(common_min, math.ceil(common_fraction * len(self.docs)))
        self.common = uniq[df > cap]
        keep = np.repeat(df <= cap, df)
        self.hashes, self.owner = allh[keep], allo[keep]
        self.doc_size = np.bincount(self.owner, minlength=len(self.docs))

    def __len__(self) -> int:
        return len(self.hashes)

    def overlap(self, h: np.ndarray) -> tuple[int, int, float, int] | None:
        """Best (doc, shared n-grams, overlap, an example hash) for one row text's n-gram hashes."""
        h = np.unique(h)
        if len(h) == 0:
            return None
        if len(self.common):
            h = h[~np.isin(h, self.common, assume_unique=True)]
        lo = np.searchsorted(self.hashes, h, "left")
        hi = np.searchsorted(self.hashes, h, "right")
        hit = hi > lo
        if not hit.any():
            return None
        lo, hi, hh = lo[hit], hi[hit], h[hit]
        counts = hi - lo
        idx = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        docs = self.owner[idx]
        ids, shared = np.unique(docs, return_counts=True)
        denom = np.minimum(self.doc_size[ids], len(h))
        frac = shared / np.maximum(denom, 1)
        best = int(np.lexsort((ids, -frac))[0])
        doc = int(ids[best])
        example = int(np.repeat(hh, counts)[docs == doc][0])
        return doc, int(shared[best]), float(frac[best]), example

    def explain(self, doc_index: int, h: int) -> str:
        """The text of one evaluation n-gram."""
        doc = self.docs[doc_index]
        toks = tokenize(doc.text, doc.lang)
        at = np.flatnonzero(self.hasher.hashes(toks) == np.uint64(h))
        return " ".join(toks[int(at[0]) : int(at[0]) + self.hasher.n]) if len(at) else ""


def decontaminate(
    root: str | Path,
    against: list[str | Path],
    *,
    out: str | Path | None = None,
    ngram: int = NGRAM,
    min_overlap: float = MIN_OVERLAP,
    overwrite: bool = False,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Drop contaminated rows of ``root`` into ``out`` (default: rewrite ``root`` in place, which takes
    ``overwrite`` like any replaced output); returns the report."""
    if not against:
        raise WarpsynthError("--against: give at least one evaluation file or folder")
    if not 0 < min_overlap <= 1:
        raise WarpsynthError(f"--min-overlap: must be in (0, 1] (got {min_overlap})")
    shards = check_dataset(root)
    in_place = out is None
    out = Path(root) if in_place else Path(out)
    hasher = NgramHasher(ngram)
    with DatasetWriter(out, source=root, rows_per_shard=max_shard_rows(shards), overwrite=overwrite) as writer:
        index = EvalIndex(eval_documents(against), hasher)  # after the output is known to be ours to write
        n = 0
        dropped = []
        for shard in shards:
            writer.declare(shard.split)
        for shard, batch in iter_rows(root, None, shards):
            keep = np.ones(batch.num_rows, dtype=bool)
            for j, row in enumerate(batch.to_pylist()):
                n += 1
                texts = {
                    "python": hasher.hashes(tokenize(python_text(row), "python")),
                    "code": np.concatenate([hasher.hashes(tokenize(row[c], "cpp")) for c in CODE_COLUMNS if row.get(c)] or [np.zeros(0, np.uint64)]),
                }
                for field_name, h in texts.items():
                    hit = index.overlap(h)
                    if hit is not None and hit[2] >= min_overlap:
                        doc, shared, frac, example = hit
                        keep[j] = False
                        dropped.append(
                            {
                                "id": row["id"],
                                "kernel_name": row["kernel_name"],
                                "split": shard.split,
                                "field": field_name,
                                "eval_document": index.docs[doc].name,
                                "shared_ngrams": shared,
                                "overlap": round(frac, 3),
                                "example_ngram": index.explain(doc, example),
                            }
                        )
                        break
            if keep.any():
                writer.write(shard.split, batch.filter(pa.array(keep)))
            if progress:
                progress(batch.num_rows)
        report = {
            "rows_in": n,
            "rows_dropped": len(dropped),
            "rows_kept": n - len(dropped),
            "against": [str(p) for p in against],
            "eval_documents": len(index.docs),
            "eval_ngrams": int(len(np.unique(index.hashes))),
            "eval_boilerplate_ngrams_ignored": int(len(index.common)),
            "ngram_tokens": ngram,
            "min_overlap": min_overlap,
            "dropped": dropped,
        }
        writer.write_report(REPORT, report)
        writer.commit(
            card_step={"step": "decontaminate", "rows_in": n, "rows_dropped": len(dropped), "against": [Path(p).name for p in against], "ngram_tokens": ngram, "min_overlap": min_overlap},
            card_section=f"### Decontamination\n\nDropped {len(dropped):,} of {n:,} rows whose Python or generated code shares {ngram}-token n-grams "
            f"covering at least {min_overlap:.0%} of it (or of an evaluation document) with: {', '.join(Path(p).name for p in against)}.",
        )
    return report


def format_report(report: dict, limit: int = 20) -> str:
    lines = [
        f"rows in {report['rows_in']:,}, dropped {report['rows_dropped']:,}, kept {report['rows_kept']:,}",
        f"evaluation set: {report['eval_documents']:,} documents, {report['eval_ngrams']:,} distinct {report['ngram_tokens']}-grams "
        f"({report['eval_boilerplate_ngrams_ignored']:,} ignored as boilerplate); drop at overlap >= {report['min_overlap']}",
    ]
    for d in report["dropped"][:limit]:
        lines.append(f"  dropped {d['kernel_name']} ({d['id'][:12]}, {d['split']}): {d['field']} overlaps {d['eval_document']} by {d['overlap']:.0%} ({d['shared_ngrams']} n-grams), e.g. {d['example_ngram'][:70]!r}")
    if len(report["dropped"]) > limit:
        lines.append(f"  ... {len(report['dropped']) - limit} more in _curate/{REPORT}")
    return "\n".join(lines)

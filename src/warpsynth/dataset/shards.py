"""Reading a dataset folder shard by shard: which shards it has, their schema and row counts,
and their rows as Arrow record batches (JSONL shards cast to the schema)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from warpsynth.dataset import folder
from warpsynth.dataset.io import iter_batches
from warpsynth.dataset.schema import SCHEMA
from warpsynth.errors import WarpsynthError


@dataclass(frozen=True)
class Shard:
    """One shard file of a dataset folder and the split it belongs to."""

    split: str
    path: Path


def dataset_shards(root: str | os.PathLike) -> list[Shard]:
    """The shards of a dataset folder, splits in canonical order; clear error when it is none."""
    root = Path(root)
    if not root.exists():
        raise WarpsynthError(f"{root}: no such dataset folder")
    if not root.is_dir():
        raise WarpsynthError(f"{root}: not a directory")
    files = folder.split_files(root)
    order = [s for s in folder.SPLITS if s in files] + sorted(s for s in files if s not in folder.SPLITS)
    return [Shard(split, path) for split in order for path in files[split]]


def check_schema(path: Path, schema: pa.Schema) -> None:
    """Raise WarpsynthError naming the file when its columns differ from ``SCHEMA``."""
    expected = {f.name: f.type for f in SCHEMA}
    got = {f.name: f.type for f in schema}
    missing = [n for n in expected if n not in got]
    if missing:
        raise WarpsynthError(f"{path}: wrong schema, missing column(s) {', '.join(missing)}")
    for name, typ in expected.items():
        if got[name] != typ:
            raise WarpsynthError(f"{path}: wrong schema, column {name} is {got[name]}, expected {typ}")
    extra = [n for n in got if n not in expected]
    if extra:
        raise WarpsynthError(f"{path}: wrong schema, unexpected column(s) {', '.join(extra)}")


def shard_schema(path: Path) -> pa.Schema:
    """The Arrow schema of a shard (JSONL: its first row's inferred schema); WarpsynthError when unreadable."""
    try:
        if path.suffix == ".parquet":
            return pq.read_schema(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise WarpsynthError(f"{path}: unreadable ({str(exc).splitlines()[0]})") from None
    for batch in iter_batches(path, batch_size=1):  # JSONL: the first row's inferred schema
        return batch.schema
    return SCHEMA


def shard_num_rows(path: Path) -> int:
    """Rows in a shard (Parquet: from its footer); WarpsynthError when unreadable."""
    try:
        if path.suffix == ".parquet":
            return pq.ParquetFile(path).metadata.num_rows
    except (pa.ArrowInvalid, OSError) as exc:
        raise WarpsynthError(f"{path}: unreadable ({str(exc).splitlines()[0]})") from None
    return sum(b.num_rows for b in iter_batches(path, columns=["id"]))


def check_dataset(root: str | os.PathLike) -> list[Shard]:
    """All shards, each with the expected schema (JSONL shards are checked row by row when read)."""
    shards = dataset_shards(root)
    for shard in shards:
        if shard.path.suffix == ".parquet":
            check_schema(shard.path, shard_schema(shard.path))
    return shards


def iter_rows(root: str | os.PathLike, columns: list[str] | None = None, shards: list[Shard] | None = None) -> Iterator[tuple[Shard, pa.RecordBatch]]:
    """Stream (shard, batch) over a checked dataset folder, in dataset order."""
    for shard in shards if shards is not None else check_dataset(root):
        for batch in iter_batches(shard.path, columns=columns):
            if shard.path.suffix != ".parquet":
                batch = conform(batch, shard.path, columns)
            yield shard, batch


def conform(batch: pa.RecordBatch, path: Path, columns: list[str] | None = None) -> pa.RecordBatch:
    """Cast a JSONL-inferred batch to the schema (or raise naming the file)."""
    fields = [SCHEMA.field(c) for c in (columns or SCHEMA.names)]
    schema = pa.schema(fields)
    try:
        rows = batch.to_pylist()
        return pa.RecordBatch.from_pylist([{f.name: r.get(f.name) for f in fields} for r in rows], schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise WarpsynthError(f"{path}: wrong schema ({str(exc).splitlines()[0]})") from None


def max_shard_rows(shards: list[Shard], default: int = 10_000) -> int:
    """The largest shard's row count (``default`` when there are no shards), at least 1."""
    sizes = [shard_num_rows(s.path) for s in shards]
    return max([default if not sizes else max(sizes), 1])

"""Writing a whole dataset folder (curation's output): shards per split, card, carried-over
run metadata, moved into place atomically."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa

from warpsynth.dataset import folder
from warpsynth.dataset.card import update_card
from warpsynth.dataset.io import ShardWriter, write_json
from warpsynth.dataset.schema import SCHEMA
from warpsynth.dataset.workdir import make_work_dir, remove_stale_work_dirs, swap_into_place
from warpsynth.errors import WarpsynthError


class DatasetWriter:
    """Build a dataset folder in a temporary directory next to ``out``; ``commit`` moves it into place.

    Rows are appended per split in order and cut into shards of ``rows_per_shard``;
    shard names get their ``-of-N`` count at commit. Until then nothing exists at
    ``out``; on any error (``abort`` or leaving the ``with`` block by an exception)
    the temporary directory is removed, so no partial output is ever left behind.
    Each shard is a ``dataset.io.ShardWriter`` file (row groups of at most ``ROW_GROUP_SIZE``
    rows per :meth:`write` call; an empty split's shard has no row group). ``_run/`` and
    ``_curate/`` of ``source`` are carried over; errors are WarpsynthError naming ``-o``/``out``.
    """

    def __init__(self, out: str | os.PathLike, *, source: str | os.PathLike, rows_per_shard: int, overwrite: bool = False):
        self.out = Path(out).absolute()
        self.source = Path(source).absolute()
        if self.out != self.source and self.source in self.out.parents:
            raise WarpsynthError(f"{out}: output must not be inside the input folder {source}")
        if self.out == self.source and not overwrite:
            raise WarpsynthError(f"-o: {out} is the input folder; pass --overwrite to rewrite it in place")
        if self.out.exists() and self.out != self.source:
            if not self.out.is_dir():
                raise WarpsynthError(f"-o: {out} exists and is not a folder")
            if any(self.out.iterdir()) and not overwrite:
                raise WarpsynthError(f"-o: {out} exists; choose a new folder, or pass --overwrite to replace it")
        foreign = folder.foreign_entries(self.out)  # replacing a folder (also in place) drops them
        if foreign:
            raise WarpsynthError(f"{out}: holds {foreign[0].relative_to(self.out)}, which warpsynth did not write; refusing to replace the folder")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_work_dirs(self.out)
        self.tmp = make_work_dir(self.out, "tmp")
        self.rows_per_shard = max(1, int(rows_per_shard))
        self._writers: dict[str, ShardWriter] = {}
        self._in_shard: dict[str, int] = {}
        self._shards: dict[str, list[Path]] = {}
        self.num_rows: dict[str, int] = {}
        self._done = False
        for sub in (folder.RUN_DIR, folder.CURATE_DIR):
            if (self.source / sub).is_dir():
                shutil.copytree(self.source / sub, self.tmp / sub)

    def __enter__(self) -> "DatasetWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None or not self._done:
            self.abort()

    def _open(self, split: str) -> ShardWriter:
        index = len(self._shards.setdefault(split, []))
        path = self.tmp / folder.DATA_DIR / f".{split}-{index:05d}.parquet"
        self._shards[split].append(path)
        self._in_shard[split] = 0
        writer = ShardWriter(path, SCHEMA)
        self._writers[split] = writer
        return writer

    def write(self, split: str, table: pa.Table | pa.RecordBatch) -> None:
        """Append rows (any column order; cast to ``SCHEMA``) to ``split``, starting a new shard
        every ``rows_per_shard`` rows."""
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        if table.schema != SCHEMA:
            table = table.select(SCHEMA.names).cast(SCHEMA)
        self.num_rows.setdefault(split, 0)
        self._shards.setdefault(split, [])
        start = 0
        while start < table.num_rows:
            writer = self._writers.get(split)
            if writer is None or self._in_shard[split] >= self.rows_per_shard:
                if writer is not None:
                    writer.commit()
                writer = self._open(split)
            take = min(self.rows_per_shard - self._in_shard[split], table.num_rows - start)
            writer.write_table(table.slice(start, take))
            self._in_shard[split] += take
            self.num_rows[split] += take
            start += take

    def declare(self, split: str) -> None:
        """Make ``split`` exist even when no rows go to it (it gets one empty shard)."""
        self.num_rows.setdefault(split, 0)
        self._shards.setdefault(split, [])

    def write_report(self, name: str, value) -> None:
        """A JSON curation report into ``_curate/`` of the new folder."""
        write_json(self.tmp / folder.CURATE_DIR / name, value)

    def commit(self, *, card_step: dict | None = None, card_section: str = "") -> Path:
        """Name the shards, copy run metadata, write the card, move the folder to ``out``."""
        for writer in self._writers.values():
            writer.commit(empty_row_group=False)
        self._writers.clear()
        splits: dict[str, list[str]] = {}
        ordered = [s for s in folder.SPLITS if s in self._shards] + sorted(s for s in self._shards if s not in folder.SPLITS)
        for split in ordered:
            paths = self._shards[split]
            if not paths:
                self._open(split).commit(empty_row_group=False)
                self._writers.pop(split)
                paths = self._shards[split]
            count = len(paths)
            names = []
            for i, path in enumerate(paths):
                final = folder.shard_path(self.tmp, split, i, count)
                path.rename(final)
                names.append(final.relative_to(self.tmp).as_posix())
            splits[split] = names
        update_card(self.source, self.tmp, splits=splits, num_rows=sum(self.num_rows.values()), step=card_step, section=card_section)
        swap_into_place(self.tmp, self.out)
        self._done = True
        return self.out

    def abort(self) -> None:
        """Drop everything written so far (the work folder); ``out`` is untouched."""
        for writer in self._writers.values():
            writer.abort()
        self._writers.clear()
        shutil.rmtree(self.tmp, ignore_errors=True)

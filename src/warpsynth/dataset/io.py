"""Read and write rows as Parquet or JSONL, atomically and in a streaming way.

Writes go to a temporary file in the destination folder and are renamed into
place, so a killed process never leaves a half-written file under the final name.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from warpsynth.dataset.schema import SCHEMA
from warpsynth.errors import WarpsynthError

FORMATS = ("parquet", "jsonl")
ROW_GROUP_SIZE = 1000
#: Rows per row group of a streamed shard (:class:`ShardWriter`). Fixed, so a shard's bytes depend
#: only on its rows, not on how the caller hands them over. 128 rows (~8 MB of text) keep a
#: writer's memory small; vs one row group per 500-row shard the file is ~5% larger.
SHARD_ROW_GROUP_ROWS = 128
#: How every Parquet file we write is encoded (zstd; shared columns such as the Warp version are
#: dictionary-encoded, so they cost almost nothing per row).
PARQUET_OPTIONS = {"compression": "zstd", "use_dictionary": True}


def jsonl_line(row: dict) -> str:
    """One row as a JSON line; keys in the row's (schema) order so output is byte-stable."""
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"


def format_of(path: str | os.PathLike) -> str:
    """``"parquet"`` or ``"jsonl"`` by the file extension (.parquet; .jsonl/.json); WarpsynthError otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        return "parquet"
    if suffix in (".jsonl", ".json"):
        return "jsonl"
    raise WarpsynthError(f"{path}: unknown output format (use .parquet or .jsonl)")


def check_output_file(path: str | os.PathLike, overwrite: bool, option: str = "-o") -> None:
    """Refuse to replace an existing output file without ``overwrite``: WarpsynthError (exit 2)
    ``<option>: <path> exists; pass --overwrite to replace it``; a folder in its place is refused too."""
    path = Path(path)
    if path.is_dir():
        raise WarpsynthError(f"{option}: {path} is a folder; expected a file")
    if path.exists() and not overwrite:
        raise WarpsynthError(f"{option}: {path} exists; pass --overwrite to replace it")


def rows_to_table(rows: list[dict], schema: pa.Schema = SCHEMA) -> pa.Table:
    """Row dicts as an Arrow table of ``schema`` (missing keys become nulls)."""
    return pa.Table.from_pylist(rows, schema=schema)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_target(path: Path) -> tuple[int, str]:
    """A temp file beside ``path``, with the permissions a plain ``open`` would give (mkstemp uses 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, 0o666 & ~_umask())
    return fd, tmp


def write_table(table: pa.Table, path: str | os.PathLike) -> None:
    """Write a Parquet file atomically (temp file + rename), in row groups of ``ROW_GROUP_SIZE``
    rows: the bytes ``pyarrow.parquet.write_table`` gives."""
    with ShardWriter(path, table.schema) as writer:
        writer.write_table(table)
        writer.commit()


def write_lines_atomic(lines: Iterable[str], path: str | os.PathLike) -> None:
    """Write text atomically (temp file + rename): readers see the old file or the whole new one."""
    path = Path(path)
    fd, tmp = _atomic_target(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.writelines(lines)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) atomically: readers see the old file or the whole new one."""
    write_lines_atomic([text], path)


def write_jsonl(rows: Iterable[dict], path: str | os.PathLike) -> None:
    """Write JSON lines atomically; keys in schema order so output is byte-stable."""
    write_lines_atomic(map(jsonl_line, rows), path)


def write_rows(rows: list[dict], path: str | os.PathLike) -> None:
    """Write rows to ``path``, Parquet or JSONL by its extension."""
    if format_of(path) == "parquet":
        write_table(rows_to_table(rows), path)
    else:
        write_jsonl(rows, path)


class ShardWriter:
    """Stream rows into a Parquet or JSONL file that appears under its name only on :meth:`commit`.

    Rows go to a temp file beside ``path`` (``.NAME.XXXX.tmp``) in row groups of
    ``SHARD_ROW_GROUP_ROWS`` rows whatever the sizes of the :meth:`write` calls, so the
    bytes depend only on the rows; :meth:`commit` renames the finished file into place.
    Leaving the ``with`` block without ``commit`` (an exception) removes the temp file; a
    killed process leaves it behind for the next run to delete. Columnar data that is
    already an Arrow table goes in with :meth:`write_table` instead (Parquet only).
    This is the one Parquet writer of the project: single files (:func:`write_table`),
    pipeline shards and curated folders (``dataset.writer.DatasetWriter``) all use it.

    Memory: only one row group's rows and Arrow table are held at a time, and Arrow's
    allocator hands the freed memory back to the OS after each row group (mimalloc
    otherwise keeps ~30-120 MB per write, growing with the rows per write).
    """

    def __init__(self, path: str | os.PathLike, schema: pa.Schema = SCHEMA):
        self.path = Path(path)
        self.fmt = format_of(self.path)
        self.schema = schema
        self.rows_written = 0
        self._pending: list[dict] = []
        self._tables_written = 0
        self._committed = False
        fd, self._tmp = _atomic_target(self.path)
        try:
            if self.fmt == "parquet":
                os.close(fd)
                # the first Table conversion imports pandas (~45 MB): pay it here, not mid-task
                rows_to_table([], schema)
                self._writer = pq.ParquetWriter(self._tmp, schema, **PARQUET_OPTIONS)
            else:
                self._file = os.fdopen(fd, "w", encoding="utf-8")
        except BaseException:
            Path(self._tmp).unlink(missing_ok=True)
            raise

    def write(self, rows: Iterable[dict]) -> None:
        self._pending.extend(rows)
        while len(self._pending) >= SHARD_ROW_GROUP_ROWS:
            self._flush(self._pending[:SHARD_ROW_GROUP_ROWS])
            del self._pending[:SHARD_ROW_GROUP_ROWS]

    def _flush(self, rows: list[dict]) -> None:
        if not rows:
            return
        if self.fmt == "parquet":
            self._writer.write_table(rows_to_table(rows, self.schema), row_group_size=len(rows))
            pa.default_memory_pool().release_unused()
        else:
            self._file.writelines(map(jsonl_line, rows))
        self.rows_written += len(rows)

    def write_table(self, table: pa.Table, row_group_size: int = ROW_GROUP_SIZE) -> None:
        """Append an Arrow table as it is: each call writes its own row groups of at most
        ``row_group_size`` rows (Parquet only; not mixed with :meth:`write` in one file)."""
        if self.fmt != "parquet" or self._pending:
            raise ValueError(f"{self.path}: write_table needs a Parquet file without pending rows")
        self._writer.write_table(table, row_group_size=row_group_size)
        self.rows_written += table.num_rows
        self._tables_written += 1

    def _close(self) -> None:
        if self.fmt == "parquet":
            self._writer.close()
        else:
            self._file.close()

    def commit(self, empty_row_group: bool = True) -> None:
        """Write what is pending, close the file and rename it into place.

        A Parquet file nothing was written to gets one empty row group (what
        ``pyarrow.parquet.write_table`` gives for no rows), or none with ``empty_row_group=False``.
        """
        self._flush(self._pending)
        self._pending.clear()
        if self.fmt == "parquet" and self.rows_written == 0 and not self._tables_written and empty_row_group:
            self._writer.write_table(rows_to_table([], self.schema))
        self._close()
        os.replace(self._tmp, self.path)
        self._committed = True

    def abort(self) -> None:
        """Drop the temp file (no-op after commit); safe to call while an exception is raised."""
        if not self._committed:
            try:
                self._close()
            except Exception:
                pass
            Path(self._tmp).unlink(missing_ok=True)

    def __enter__(self) -> "ShardWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.abort()


def remove_temp_files(path: str | os.PathLike) -> list[Path]:
    """Delete temp files left beside ``path`` by interrupted atomic writes of it; returns them."""
    path = Path(path)
    found = [p for p in path.parent.glob(f".{path.name}.*.tmp") if p.is_file()] if path.parent.is_dir() else []
    for p in found:
        p.unlink(missing_ok=True)
    return found


def read_json(path: Path) -> dict | list | None:
    """A JSON file, or None when absent or unreadable (metadata is optional)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path, value: object) -> None:
    """Write ``value`` as indented JSON with sorted keys (a small metadata file; not atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes (streamed in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_matches(path: str | os.PathLike, size: int | None, sha256: str | None) -> bool:
    """Whether ``path`` has exactly ``size`` bytes and SHA-256 ``sha256`` (size first: cheap)."""
    try:
        if os.stat(path).st_size != size:
            return False
    except OSError:
        return False
    return file_sha256(path) == sha256


def read_rows(path: str | os.PathLike) -> list[dict]:
    """All rows of one Parquet or JSONL file (small files; stream big ones with iter_batches)."""
    return [row for batch in iter_batches(path) for row in batch.to_pylist()]


def iter_batches(path: str | os.PathLike, batch_size: int = ROW_GROUP_SIZE, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
    """Stream a Parquet or JSONL file as record batches; a corrupt file raises WarpsynthError naming it."""
    path = Path(path)
    try:
        if format_of(path) == "parquet":
            yield from pq.ParquetFile(path).iter_batches(batch_size=batch_size, columns=columns)
        else:
            with open(path, encoding="utf-8") as f:
                chunk: list[dict] = []
                for lineno, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    try:
                        chunk.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise WarpsynthError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
                    if len(chunk) >= batch_size:
                        yield pa.RecordBatch.from_pylist(chunk)
                        chunk = []
                if chunk:
                    yield pa.RecordBatch.from_pylist(chunk)
    except (pa.ArrowInvalid, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise WarpsynthError(f"{path}: no such file") from None
        raise WarpsynthError(f"{path}: unreadable ({str(exc).splitlines()[0]})") from None

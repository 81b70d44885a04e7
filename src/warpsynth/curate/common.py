"""Shared plumbing for the curation commands: reading a dataset folder shard by
shard, writing a new one atomically, and keeping its card up to date."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from warpsynth.dataset import folder, run_layout
from warpsynth.dataset.io import PARQUET_OPTIONS, ROW_GROUP_SIZE, iter_batches
from warpsynth.dataset.schema import SCHEMA
from warpsynth.errors import WarpsynthError

#: Curation reports live next to ``_run/`` in a dataset folder.
CURATE_DIR = "_curate"

_KERNEL_DECORATOR = re.compile(r"^[ \t]*@(?:wp|warp)\.kernel\b", re.MULTILINE)


def python_text(row: dict) -> str:
    """The Python side of a training pair.

    A generated row's ``source`` is a small program defining this one kernel
    (plus its helpers), so the whole program is used. A row extracted from a
    file with several kernels shares that file as ``source`` with its
    siblings; for those only the kernel's own text is this row's.
    """
    source = row.get("source") or ""
    kernel = row.get("kernel_source") or ""
    if source and len(_KERNEL_DECORATOR.findall(source)) <= 1:
        return source
    return kernel or source


@dataclass(frozen=True)
class Shard:
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
    try:
        if path.suffix == ".parquet":
            return pq.read_schema(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise WarpsynthError(f"{path}: unreadable ({str(exc).splitlines()[0]})") from None
    for batch in iter_batches(path, batch_size=1):  # JSONL: the first row's inferred schema
        return batch.schema
    return SCHEMA


def shard_num_rows(path: Path) -> int:
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
    sizes = [shard_num_rows(s.path) for s in shards]
    return max([default if not sizes else max(sizes), 1])


def curate_dir(root: str | os.PathLike) -> Path:
    return Path(root) / CURATE_DIR


def read_json(path: Path) -> dict | list | None:
    """A JSON file, or None when absent or unreadable (metadata is optional)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


class DatasetWriter:
    """Build a dataset folder in a temporary directory next to ``out``; ``commit`` moves it into place.

    Rows are appended per split in order and cut into shards of ``rows_per_shard``;
    shard names get their ``-of-N`` count at commit. Until then nothing exists at
    ``out``; on any error (``abort`` or leaving the ``with`` block by an exception)
    the temporary directory is removed, so no partial output is ever left behind.
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
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._in_shard: dict[str, int] = {}
        self._shards: dict[str, list[Path]] = {}
        self.num_rows: dict[str, int] = {}
        self._done = False
        for sub in (run_layout.RUN_DIR, CURATE_DIR):
            if (self.source / sub).is_dir():
                shutil.copytree(self.source / sub, self.tmp / sub)

    def __enter__(self) -> "DatasetWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None or not self._done:
            self.abort()

    def _open(self, split: str) -> pq.ParquetWriter:
        index = len(self._shards.setdefault(split, []))
        path = self.tmp / folder.DATA_DIR / f".{split}-{index:05d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        self._shards[split].append(path)
        self._in_shard[split] = 0
        writer = pq.ParquetWriter(path, SCHEMA, **PARQUET_OPTIONS)
        self._writers[split] = writer
        return writer

    def write(self, split: str, table: pa.Table | pa.RecordBatch) -> None:
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
                    writer.close()
                writer = self._open(split)
            take = min(self.rows_per_shard - self._in_shard[split], table.num_rows - start)
            writer.write_table(table.slice(start, take), row_group_size=ROW_GROUP_SIZE)
            self._in_shard[split] += take
            self.num_rows[split] += take
            start += take

    def declare(self, split: str) -> None:
        """Make ``split`` exist even when no rows go to it (it gets one empty shard)."""
        self.num_rows.setdefault(split, 0)
        self._shards.setdefault(split, [])

    def write_report(self, name: str, value) -> None:
        """A JSON curation report into ``_curate/`` of the new folder."""
        write_json(self.tmp / CURATE_DIR / name, value)

    def commit(self, *, card_step: dict | None = None, card_section: str = "") -> Path:
        """Name the shards, copy run metadata, write the card, move the folder to ``out``."""
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        splits: dict[str, list[str]] = {}
        ordered = [s for s in folder.SPLITS if s in self._shards] + sorted(s for s in self._shards if s not in folder.SPLITS)
        for split in ordered:
            paths = self._shards[split]
            if not paths:
                writer = self._open(split)
                writer.close()
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
        _swap_into_place(self.tmp, self.out)
        self._done = True
        return self.out

    def abort(self) -> None:
        for writer in self._writers.values():
            try:
                writer.close()
            except Exception:
                pass
        self._writers.clear()
        shutil.rmtree(self.tmp, ignore_errors=True)


#: Work folders beside OUT are named ``.OUT.warpsynth-PID-XXXX.{tmp,old}``: a later run removes
#: those whose process is gone (a killed run's leftovers), never anyone else's.
_WORK_DIR_RE = re.compile(r"^\.(?P<name>.+)\.warpsynth-(?P<pid>\d+)-[^.]+\.(?:tmp|old)$")


def make_work_dir(out: Path, kind: str) -> Path:
    """A new work folder beside ``out``, mode 0777 minus umask like any folder (mkdtemp gives 0700)."""
    path = Path(tempfile.mkdtemp(prefix=f".{out.name}.warpsynth-{os.getpid()}-", suffix=f".{kind}", dir=out.parent))
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o777 & ~mask)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_work_dirs(out: Path) -> list[Path]:
    """Delete work folders of ``out`` left by killed warpsynth runs (their process is gone)."""
    removed = []
    if out.parent.is_dir():
        for path in out.parent.iterdir():
            match = _WORK_DIR_RE.match(path.name)
            if match and match["name"] == out.name and path.is_dir() and not _alive(int(match["pid"])):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def _swap_into_place(tmp: Path, out: Path) -> None:
    if not out.exists():
        os.replace(tmp, out)
        return
    old = make_work_dir(out, "old")
    os.rmdir(old)
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def card_body(root: str | os.PathLike) -> str:
    """The card's Markdown after its front matter ('' when there is no card)."""
    path = Path(root) / "README.md"
    if not path.exists():
        return ""
    text = path.read_text(encoding="utf-8")
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        text = text[end + 5 :] if end >= 0 else ""
    return text.strip("\n")


_CURATION_HEADING = "## Curation"


def update_card(source: Path, dest: Path, *, splits: dict[str, list[str]], num_rows: int, step: dict | None, section: str) -> None:
    """Write ``dest``'s card from ``source``'s: new ``configs``, the curation step appended."""
    meta = folder.read_card(source)
    ws = dict(meta.get("warpsynth") or {})
    warp_version = ws.pop("warp_version", None) or _first_warp_version(dest)
    ws.pop("num_rows", None)
    generator_config = ws.pop("generator_config", None)
    steps = list(ws.pop("curation", None) or [])
    if step is not None:
        steps.append(step)
    if steps:
        ws["curation"] = steps
    body = card_body(source)
    cut = body.find(_CURATION_HEADING)
    if cut >= 0:
        body = body[:cut].rstrip()
    if not body:
        body = f"# {meta.get('pretty_name', 'warpsynth Warp kernels')}\n\nWarp Python kernels paired with the C++/CUDA code Warp generates."
    previous = card_body(source)
    sections = previous[previous.find(_CURATION_HEADING) + len(_CURATION_HEADING) :].strip("\n") if _CURATION_HEADING in previous else ""
    if section:
        sections = (sections + "\n\n" + section.strip()).strip()
    text = body + ("\n\n" + _CURATION_HEADING + "\n\n" + sections if sections else "")
    folder.write_card(
        dest,
        splits=splits,
        num_rows=num_rows,
        warp_version=warp_version or "unknown",
        summary_markdown=text,
        generator_config=generator_config,
        pretty_name=meta.get("pretty_name", "warpsynth Warp kernels"),
        extra=ws or None,
    )


def _first_warp_version(root: Path) -> str | None:
    for path in sorted((root / folder.DATA_DIR).glob("*.parquet")):
        for batch in iter_batches(path, columns=["warp_version"]):
            for value in batch.column(0).to_pylist():
                if value:
                    return value
    return None

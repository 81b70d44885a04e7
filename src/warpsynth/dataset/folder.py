"""The dataset folder layout, as Hugging Face ``datasets`` expects it.

    DIR/README.md                       dataset card (YAML front matter + summary)
    DIR/data/{split}-{i:05d}-of-{k:05d}.parquet
    DIR/_run/                           run config, task markers, stats, rejects (dataset.run_layout)

``datasets.load_dataset(DIR)`` reads the card's ``configs`` to find the shards.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pyarrow as pa
import yaml

from warpsynth.dataset.io import write_text_atomic
from warpsynth.dataset.run_layout import RUN_DIR
from warpsynth.errors import WarpsynthError

DATA_DIR = "data"
#: Curation reports live next to ``_run/`` in a dataset folder.
CURATE_DIR = "_curate"
#: ``warpsynth report``'s default output folder.
REPORT_DIR = "_report"
#: The dataset card (YAML front matter + Markdown), where Hugging Face looks for it.
CARD_FILE = "README.md"
#: Folders warpsynth writes inside a dataset folder besides data/: run state, curation and report output.
OWNED_DIRS = (RUN_DIR, CURATE_DIR, REPORT_DIR)
SPLITS = ("train", "validation", "test")
_SHARD_RE = re.compile(r"^(?P<split>[A-Za-z0-9_]+)-(?P<index>\d{5})-of-(?P<count>\d{5})\.(?P<fmt>parquet|jsonl)$")


#: SPDX id of generated data (the card's license, and each generated row's ``license``): the
#: kernels are warpsynth's output, released under warpsynth's own license (pyproject.toml).
GENERATED_LICENSE = "Apache-2.0"

def shard_path(root: str | os.PathLike, split: str, index: int, count: int, fmt: str = "parquet") -> Path:
    """``root/data/{split}-{index:05d}-of-{count:05d}.{fmt}``."""
    return Path(root) / DATA_DIR / f"{split}-{index:05d}-of-{count:05d}.{fmt}"


def curate_dir(root: str | os.PathLike) -> Path:
    """``root/_curate``: the curation steps' JSON reports."""
    return Path(root) / CURATE_DIR


def parse_shard_name(name: str) -> tuple[str, int, int] | None:
    """``"train-00002-of-00004.parquet"`` -> ``("train", 2, 4)``; None for any other name."""
    match = _SHARD_RE.match(name)
    return (match["split"], int(match["index"]), int(match["count"])) if match else None


def split_files(root: str | os.PathLike) -> dict[str, list[Path]]:
    """Shard files per split, sorted; raises WarpsynthError when ``root`` is no dataset folder."""
    root = Path(root)
    data = root / DATA_DIR
    if not data.is_dir():
        raise WarpsynthError(f"{root}: not a warpsynth dataset folder (no {DATA_DIR}/ directory)")
    out: dict[str, list[Path]] = {}
    for path in sorted(data.iterdir()):
        match = _SHARD_RE.match(path.name)
        if match:
            out.setdefault(match["split"], []).append(path)
    if not out:
        raise WarpsynthError(f"{root}: no shard files in {DATA_DIR}/")
    return out


def all_files(root: str | os.PathLike) -> list[Path]:
    """Every shard of every split, in split order then name order."""
    files = split_files(root)
    ordered = [s for s in SPLITS if s in files] + sorted(s for s in files if s not in SPLITS)
    return [p for s in ordered for p in files[s]]


def size_category(num_rows: int) -> str:
    """The Hugging Face hub's size_categories bucket."""
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if num_rows < limit:
            return label
    return "n>10M"


def _hf_type(arrow_type: pa.DataType) -> dict:
    """One column type in the card's ``dataset_info.features`` notation."""
    if pa.types.is_list(arrow_type):
        item = arrow_type.value_type
        if pa.types.is_struct(item):
            return {"list": [{"name": f.name, **_hf_type(f.type)} for f in item]}
        return {"sequence": _hf_type(item)["dtype"]}
    if pa.types.is_struct(arrow_type):
        return {"struct": [{"name": f.name, **_hf_type(f.type)} for f in arrow_type]}
    names = {pa.string(): "string", pa.int32(): "int32", pa.int64(): "int64", pa.float64(): "float64", pa.bool_(): "bool"}
    return {"dtype": names[arrow_type]}


def hf_features(schema: pa.Schema) -> list[dict]:
    """Features for the card, so ``datasets`` never has to infer types (an all-empty list column
    in a JSONL shard would otherwise be inferred as null and fail to merge with other shards)."""
    return [{"name": f.name, **_hf_type(f.type)} for f in schema]


def write_card(
    root: str | os.PathLike,
    *,
    splits: dict[str, list[str]],
    num_rows: int,
    warp_version: str,
    summary_markdown: str,
    generator_config: dict | None = None,
    pretty_name: str = "warpsynth Warp kernels",
    extra: dict | None = None,
    features: pa.Schema | None = None,
) -> Path:
    """Write ``README.md`` atomically; ``splits`` maps split -> data_files (paths or globs relative to root).

    ``features``: the shards' schema, declared in the card for ``datasets``.
    """
    meta: dict = {
        "pretty_name": pretty_name,
        "license": GENERATED_LICENSE.lower(),  # the Hub's card spelling of the SPDX id
        "language": ["code"],
        "tags": ["code", "warp", "cuda", "cpp", "ptx", "synthetic", "code-generation"],
        "task_categories": ["text-generation"],
        "size_categories": [size_category(num_rows)],
        "configs": [
            {
                "config_name": "default",
                "default": True,
                "data_files": [{"split": split, "path": list(paths)} for split, paths in splits.items()],
            }
        ],
        "warpsynth": {"warp_version": warp_version, "num_rows": num_rows},
    }
    if features is not None:
        meta["dataset_info"] = {"features": hf_features(features)}
    if generator_config is not None:
        meta["warpsynth"]["generator_config"] = generator_config
    if extra:
        meta["warpsynth"].update(extra)
    text = "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n\n" + summary_markdown.rstrip() + "\n"
    path = Path(root) / CARD_FILE
    write_text_atomic(path, text)
    return path


def read_card(root: str | os.PathLike) -> dict:
    """The card's YAML front matter as a dict ({} when there is no card)."""
    path = Path(root) / CARD_FILE
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return {}
    end = text.find("\n---\n", 4)
    if end < 0:
        raise WarpsynthError(f"{path}: dataset card front matter is not closed")
    try:
        return yaml.safe_load(text[4:end]) or {}
    except yaml.YAMLError as exc:
        raise WarpsynthError(f"{path}: dataset card YAML is invalid ({str(exc).splitlines()[0]})") from None


def _is_card(path: Path) -> bool:
    """A README.md that warpsynth wrote: a card whose front matter has a ``warpsynth`` section."""
    try:
        return path.is_file() and "warpsynth" in read_card(path.parent)
    except (WarpsynthError, OSError, UnicodeDecodeError):
        return False


def foreign_entries(root: str | os.PathLike) -> list[Path]:
    """Entries of ``root`` that warpsynth did not write (empty for a dataset folder it wrote).

    Owned: the card (README.md with a ``warpsynth`` section), ``data/`` holding only shard
    files (and temp files of interrupted writes, ``.NAME.XXXX.tmp``), and :data:`OWNED_DIRS`.
    """
    root = Path(root)
    if not root.is_dir():
        return []
    foreign: list[Path] = []
    for entry in sorted(root.iterdir()):
        if entry.name in OWNED_DIRS and entry.is_dir():
            continue
        if entry.name == CARD_FILE and _is_card(entry):
            continue
        if entry.name == DATA_DIR and entry.is_dir():
            foreign += [p for p in sorted(entry.iterdir()) if not (p.is_file() and (_SHARD_RE.match(p.name) or _is_temp(p.name)))]
            continue
        foreign.append(entry)
    return foreign


def _is_temp(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


def remove_dataset(root: str | os.PathLike, what: str = "--overwrite") -> None:
    """Delete a dataset folder's warpsynth files (card, shards, run/curation/report folders).

    Raises WarpsynthError naming one foreign file, before deleting anything, when ``root``
    holds something warpsynth did not write: warpsynth never deletes a user's files.
    """
    root = Path(root)
    foreign = foreign_entries(root)
    if foreign:
        raise WarpsynthError(
            f"{what}: {root} holds {foreign[0].relative_to(root)}, which warpsynth did not write; "
            f"refusing to delete it (choose another output folder)"
        )
    for name in (DATA_DIR, *OWNED_DIRS):
        if (root / name).is_dir():
            shutil.rmtree(root / name)
    (root / CARD_FILE).unlink(missing_ok=True)

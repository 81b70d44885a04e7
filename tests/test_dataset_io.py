"""Dataset I/O: atomic writes, readable permissions, corrupt files named, card round trip."""

from __future__ import annotations

import os

import pytest

from warpsynth.dataset import content_id, read_rows, write_rows
from warpsynth.dataset.folder import read_card, shard_path, size_category, split_files, write_card
from warpsynth.dataset.schema import COLUMNS
from warpsynth.errors import WarpsynthError


def row(**values):
    base = dict.fromkeys(COLUMNS)
    base.update(kernel_name="k", source="src", cpu_forward="fwd", args=[], ptx=[], features=[], builtins=[],
                helper_names=[], struct_names=[])
    base.update(values)
    base["id"] = content_id(base)
    return base


@pytest.mark.parametrize("name", ["rows.parquet", "rows.jsonl"])
def test_round_trip_and_permissions(tmp_path, name):
    path = tmp_path / name
    rows = [row(), row(source="other")]
    write_rows(rows, path)
    assert read_rows(path) == rows
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~_umask()
    assert [p.name for p in tmp_path.iterdir()] == [name]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_failed_write_leaves_nothing(tmp_path):
    path = tmp_path / "rows.parquet"
    with pytest.raises(Exception):
        write_rows([{"id": object()}], path)
    assert list(tmp_path.iterdir()) == []


def test_content_id_depends_on_code_not_on_metadata():
    assert content_id(row()) == content_id(row(seed=5, category="x"))
    assert content_id(row()) != content_id(row(cpu_forward="other"))


def test_corrupt_and_missing_files_are_named(tmp_path):
    bad = tmp_path / "train-00000-of-00001.parquet"
    bad.write_bytes(b"PAR1 truncated")
    with pytest.raises(WarpsynthError, match="train-00000-of-00001.parquet: unreadable"):
        read_rows(bad)
    with pytest.raises(WarpsynthError, match="no such file"):
        read_rows(tmp_path / "missing.parquet")
    lines = tmp_path / "rows.jsonl"
    lines.write_text('{"a": 1}\n{oops\n')
    with pytest.raises(WarpsynthError, match="rows.jsonl:2: not valid JSON"):
        read_rows(lines)


def test_card_round_trip_and_split_discovery(tmp_path):
    write_rows([row()], shard_path(tmp_path, "train", 0, 2))
    write_rows([row()], shard_path(tmp_path, "train", 1, 2))
    write_rows([row()], shard_path(tmp_path, "test", 0, 1))
    write_card(tmp_path, splits={"train": ["data/train-*.parquet"], "test": ["data/test-*.parquet"]},
               num_rows=3, warp_version="1.19.0", summary_markdown="# Summary")
    card = read_card(tmp_path)
    assert card["size_categories"] == ["n<1K"] and card["warpsynth"]["warp_version"] == "1.19.0"
    assert [d["split"] for d in card["configs"][0]["data_files"]] == ["train", "test"]
    files = split_files(tmp_path)
    assert [p.name for p in files["train"]] == ["train-00000-of-00002.parquet", "train-00001-of-00002.parquet"]
    with pytest.raises(WarpsynthError, match="not a warpsynth dataset folder"):
        split_files(tmp_path / "nowhere")
    assert size_category(999) == "n<1K" and size_category(50_000) == "10K<n<100K"


def test_jsonl_shards_with_all_empty_lists_load_with_hf_datasets(tmp_path):
    """Without the card's features, `datasets` infers null for an all-empty list column and fails."""
    datasets = pytest.importorskip("datasets")
    from warpsynth.dataset.schema import SCHEMA

    write_rows([row()], shard_path(tmp_path, "train", 0, 2, "jsonl"))
    write_rows([row(features=["loop"], args=[{"name": "a", "type": "float32"}])], shard_path(tmp_path, "train", 1, 2, "jsonl"))
    write_card(tmp_path, splits={"train": ["data/train-*.jsonl"]}, num_rows=2, warp_version="1.19.0",
               summary_markdown="x", features=SCHEMA)
    loaded = datasets.load_dataset(str(tmp_path), split="train")
    assert loaded.num_rows == 2 and loaded[1]["features"] == ["loop"]
    assert list(loaded.features) == list(SCHEMA.names)

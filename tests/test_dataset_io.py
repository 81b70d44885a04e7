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


# -- streamed shards (ShardWriter) -------------------------------------------------------------------


def _stream(path, rows, sizes):
    """Write ``rows`` through a ShardWriter in calls of the given sizes (cycled)."""
    from warpsynth.dataset.io import ShardWriter

    with ShardWriter(path) as writer:
        i = k = 0
        while i < len(rows):
            writer.write(rows[i : i + sizes[k % len(sizes)]])
            i += sizes[k % len(sizes)]
            k += 1
            assert not path.exists()  # nothing under the final name before commit
        writer.commit()
    return path.read_bytes()


@pytest.mark.parametrize("name", ["rows.parquet", "rows.jsonl"])
def test_shard_writer_bytes_do_not_depend_on_how_rows_are_handed_over(tmp_path, monkeypatch, name):
    """Row groups have a fixed size, so chunking the writes (the pipeline's chunk size, which is not
    part of the run config) cannot change a shard's bytes; rows stream out one row group at a time."""
    import pyarrow.parquet as pq

    from warpsynth.dataset import io

    monkeypatch.setattr(io, "SHARD_ROW_GROUP_ROWS", 4)
    rows = [row(source=f"s{i}", seed=i, category="c") for i in range(11)]
    outs = {sizes: _stream(tmp_path / f"{len(sizes)}-{sizes[0]}-{name}", rows, sizes) for sizes in [(1,), (3, 5), (11,), (4,)]}
    assert len(set(outs.values())) == 1
    path = tmp_path / f"1-11-{name}"
    assert read_rows(path) == rows
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~_umask()
    if name.endswith(".parquet"):
        meta = pq.ParquetFile(path).metadata
        assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [4, 4, 3]
    else:  # JSONL: the same bytes as a whole-file write
        write_rows(rows, tmp_path / "whole.jsonl")
        assert outs[(11,)] == (tmp_path / "whole.jsonl").read_bytes()
    assert not list(tmp_path.glob(".*.tmp"))


def test_shard_writer_streams_and_leaves_nothing_on_failure(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    from warpsynth.dataset import io

    monkeypatch.setattr(io, "SHARD_ROW_GROUP_ROWS", 2)
    path = tmp_path / "rows.parquet"
    with pytest.raises(RuntimeError):
        with io.ShardWriter(path) as writer:
            writer.write([row(), row(source="b"), row(source="c")])
            (tmp,) = tmp_path.glob(".rows.parquet.*.tmp")
            assert tmp.stat().st_size > 0  # the first row group is on disk already
            assert len(writer._pending) == 1  # only the rest of a row group is held
            raise RuntimeError("worker died")
    assert list(tmp_path.iterdir()) == []
    # an empty shard (every sample rejected) is a valid file with the schema
    with io.ShardWriter(path) as writer:
        writer.commit()
    assert read_rows(path) == []
    assert pq.ParquetFile(path).metadata.num_row_groups == 1
    # temp files of a killed attempt are found and removed by name
    (tmp_path / ".rows.parquet.abc123.tmp").write_bytes(b"partial")
    (tmp_path / ".other.parquet.abc123.tmp").write_bytes(b"keep")
    assert [p.name for p in io.remove_temp_files(path)] == [".rows.parquet.abc123.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.parquet.abc123.tmp", "rows.parquet"]

"""One Parquet writer: single files, pipeline shards and curated folders all go through
``dataset.io.ShardWriter``, with the bytes each wrote before they shared it."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from test_dataset_io import row
from warpsynth.dataset.io import PARQUET_OPTIONS, ROW_GROUP_SIZE, ShardWriter, rows_to_table, write_table
from warpsynth.dataset.schema import SCHEMA
from warpsynth.dataset.writer import DatasetWriter


def _rows(n: int) -> pa.Table:
    return rows_to_table([row(source=f"s{i}") for i in range(n)])


@pytest.mark.parametrize("n", [0, 3, 2 * ROW_GROUP_SIZE + 5])
def test_write_table_gives_pyarrows_bytes(tmp_path, n):
    table = _rows(n)
    pq.write_table(table, tmp_path / "pyarrow.parquet", row_group_size=ROW_GROUP_SIZE, **PARQUET_OPTIONS)
    write_table(table, tmp_path / "ours.parquet")
    assert (tmp_path / "ours.parquet").read_bytes() == (tmp_path / "pyarrow.parquet").read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


def test_shard_writer_write_table_is_parquet_only_and_not_mixed_with_rows(tmp_path):
    with ShardWriter(tmp_path / "a.jsonl") as writer, pytest.raises(ValueError, match="Parquet"):
        writer.write_table(_rows(1))
    with ShardWriter(tmp_path / "b.parquet") as writer, pytest.raises(ValueError, match="pending"):
        writer.write([row()])
        writer.write_table(_rows(1))


def test_dataset_writer_shards_match_a_plain_parquet_writer(tmp_path):
    """Curated shards: one row group per write call (at most ROW_GROUP_SIZE rows), cut at
    rows_per_shard; an empty split gets a shard without row groups."""
    source = tmp_path / "in"
    source.mkdir()
    first, second = _rows(4), _rows(3)
    with DatasetWriter(tmp_path / "out", source=source, rows_per_shard=5) as writer:
        writer.write("train", first)
        writer.write("train", second)
        writer.declare("test")
        out = writer.commit()
    shards = sorted((out / "data").iterdir())
    assert [p.name for p in shards] == ["test-00000-of-00001.parquet", "train-00000-of-00002.parquet", "train-00001-of-00002.parquet"]
    expected = [[first, second.slice(0, 1)], [second.slice(1)]]
    for path, tables in zip(shards[1:], expected):
        with pq.ParquetWriter(tmp_path / "plain.parquet", SCHEMA, **PARQUET_OPTIONS) as plain:
            for table in tables:
                plain.write_table(table, row_group_size=ROW_GROUP_SIZE)
        assert path.read_bytes() == (tmp_path / "plain.parquet").read_bytes()
    empty = pq.ParquetFile(shards[0])
    assert empty.metadata.num_rows == 0 and empty.metadata.num_row_groups == 0

"""warpsynth validate: every check catches its failure; corrupt shards are named, the rest still checked."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from test_curate_support import all_rows, make_row, KERNELS, run_cli, truncate, write_dataset
from warpsynth.curate.validate import validate
from warpsynth.dataset import folder
from warpsynth.dataset.rows import content_id
from warpsynth.errors import WarpsynthError


@pytest.fixture(scope="module")
def rows():
    return all_rows()


def test_clean_dataset_passes_and_cli_exits_zero(tmp_path, rows):
    root = write_dataset(tmp_path / "ds", rows, shards=2)
    report = validate(root)
    assert report.ok, report.table()
    assert report.rows == len(rows) and report.files == 2
    assert report.targets == ["cpu", "cuda"]
    for name in ("required", "python", "code", "id"):
        assert report.checks[name].checked == len(rows)
    code, out, _ = run_cli(["validate", str(root)])
    assert code == 0 and "OK" in out and "FAILED" not in out


def test_missing_folder_is_one_line_error(tmp_path):
    with pytest.raises(WarpsynthError, match="no such dataset folder"):
        validate(tmp_path / "nope")
    code, out, err = run_cli(["validate", str(tmp_path / "nope")])
    assert code == 2 and err.strip().count("\n") == 0 and "nope" in err
    (tmp_path / "empty").mkdir()
    with pytest.raises(WarpsynthError, match="not a warpsynth dataset folder"):
        validate(tmp_path / "empty")


def test_corrupt_shard_named_and_others_checked(tmp_path, rows):
    root = write_dataset(tmp_path / "ds", rows, shards=2)
    bad = folder.shard_path(root, "train", 0, 2)
    truncate(bad)
    report = validate(root)
    assert not report.ok
    assert report.bad_files == [bad.name]
    assert bad.name in report.checks["readable"].examples[0]
    good_rows = pq.ParquetFile(folder.shard_path(root, "train", 1, 2)).metadata.num_rows
    assert report.rows == good_rows and report.checks["id"].checked == good_rows
    code, out, _ = run_cli(["validate", str(root)])
    assert code == 1 and bad.name in out and "FAILED" in out


def test_wrong_schema_named(tmp_path, rows):
    root = write_dataset(tmp_path / "ds", rows, shards=2)
    path = folder.shard_path(root, "train", 1, 2)
    table = pq.read_table(path)
    table = table.set_column(table.schema.get_field_index("seed"), "seed", pa.array([str(s) for s in table.column("seed").to_pylist()]))
    pq.write_table(table, path)
    report = validate(root)
    assert report.bad_files == [path.name]
    assert "column seed is string, expected int64" in report.checks["schema"].examples[0]
    assert report.rows == pq.ParquetFile(folder.shard_path(root, "train", 0, 2)).metadata.num_rows


def _rewrite(row: dict, **changes) -> dict:
    row = dict(row, **changes)
    row["id"] = content_id(row)
    return row


def test_each_row_check_catches_its_failure(tmp_path, rows):
    bad = [
        dict(rows[0], id="0" * 32),  # id is not the content hash
        rows[1],  # duplicate of the next one
        rows[1],
        _rewrite(rows[2], source="import warp as wp\n\ndef broken(:\n"),  # does not parse
        _rewrite(rows[3], kernel_name="no_such_kernel"),  # names a kernel the source lacks
        _rewrite(rows[4], cuda_forward=""),  # requested target code missing
        _rewrite(rows[5], options="{not json"),  # required field invalid
    ]
    root = write_dataset(tmp_path / "ds", bad + rows[6:])
    report = validate(root)
    c = report.checks
    assert not report.ok
    assert c["id"].failed == 2 and "is not the content hash" in c["id"].examples[0] and "repeats" in c["id"].examples[1]
    assert c["python"].failed == 2
    assert any("does not parse" in e for e in c["python"].examples)
    assert any("no @wp.kernel 'no_such_kernel'" in e for e in c["python"].examples)
    assert c["code"].failed == 1 and "cuda_forward is empty" in c["code"].examples[0]
    assert c["required"].failed == 1 and "options is not valid JSON" in c["required"].examples[0]
    assert "#0" in c["id"].examples[0]  # failures point at file and row


def test_forward_only_rows_need_no_backward(tmp_path):
    row = make_row("saxpy", KERNELS["saxpy"], backward=False)
    assert row["cuda_backward"] == "" and json.loads(row["options"])["enable_backward"] is False
    root = write_dataset(tmp_path / "ds", [row])
    assert validate(root).ok


def test_recodegen_detects_drift(tmp_path, rows):
    root = write_dataset(tmp_path / "ds", rows)
    report = validate(root, recodegen=True)
    assert report.ok and report.checks["recodegen"].checked == len(rows)
    drifted = [_rewrite(rows[0], cuda_forward=rows[0]["cuda_forward"].replace("wp::", "wp ::", 1))] + rows[1:]
    root2 = write_dataset(tmp_path / "ds2", drifted)
    report = validate(root2, recodegen=True)
    assert report.checks["id"].failed == 0  # only re-extraction can see this drift
    assert report.checks["recodegen"].failed == 1
    assert "differs in cuda_forward" in report.checks["recodegen"].examples[0]
    sampled = validate(root2, recodegen=True, sample=4)
    assert sampled.checks["recodegen"].checked == 4
    again = validate(root2, recodegen=True, sample=4)
    assert again.checks["recodegen"].examples == sampled.checks["recodegen"].examples
    code, out, _ = run_cli(["validate", str(root2), "--recodegen", "--sample", "100"])
    assert code == 1 and "recodegen" in out

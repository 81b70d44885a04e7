"""warpsynth decontaminate: copies of evaluation kernels dropped, boilerplate-sharing rows kept."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from test_curate_support import HEADER, KERNELS, all_rows, leftovers, run_cli, truncate, write_dataset
from warpsynth.dataset.shards import dataset_shards
from warpsynth.curate.decontaminate import decontaminate
from warpsynth.dataset import folder
from warpsynth.errors import WarpsynthError


def _names(root):
    return sorted(n for s in dataset_shards(root) for n in pq.read_table(s.path, columns=["kernel_name"]).column(0).to_pylist())


@pytest.fixture(scope="module")
def rows():
    return all_rows()


def test_files_against_python_copies(tmp_path, rows):
    root = write_dataset(tmp_path / "ds", rows, shards=2)
    ev = tmp_path / "eval"
    ev.mkdir()
    # a verbatim copy and an edited copy of two dataset kernels, in one benchmark file
    (ev / "bench.py").write_text(HEADER + KERNELS["vec_length"] + "\n\n" + KERNELS["loop_pow"].replace("acc = acc * x[i]", "acc = acc * x[i] + 1.0"))
    # an unrelated kernel sharing only boilerplate (signature style, wp.tid()) with many rows
    (ev / "other.py").write_text(HEADER + "@wp.kernel\ndef fill(out: wp.array(dtype=float), value: float):\n    tid = wp.tid()\n    out[tid] = value * float(tid)\n")
    (ev / "notes.jsonl").write_text(json.dumps({"prompt": "Write a Warp kernel", "solution": KERNELS["random_fill"]}) + "\n")
    out = tmp_path / "clean"
    report = decontaminate(root, [ev], out=out)
    dropped = sorted(d["kernel_name"] for d in report["dropped"])
    assert dropped == ["loop_pow", "random_fill", "vec_length"]
    assert _names(out) == sorted(set(_names(root)) - set(dropped))
    assert {d["field"] for d in report["dropped"]} == {"python"}
    by_name = {d["kernel_name"]: d for d in report["dropped"]}
    assert by_name["vec_length"]["overlap"] == 1.0 and by_name["vec_length"]["eval_document"] == "bench.py"
    assert by_name["random_fill"]["eval_document"] == "notes.jsonl:1.solution"
    assert json.loads((out / "_curate" / "decontaminate.json").read_text())["rows_dropped"] == 3
    assert "Decontamination" in (out / "README.md").read_text()
    assert folder.read_card(out)["warpsynth"]["curation"][-1]["rows_dropped"] == 3


def test_dataset_folder_against_and_code_only_eval(tmp_path, rows):
    root = write_dataset(tmp_path / "ds", rows)
    ev = write_dataset(tmp_path / "eval", [rows[0], rows[6]])  # saxpy, cross_normal
    report = decontaminate(root, [ev], out=tmp_path / "a")
    assert sorted(d["kernel_name"] for d in report["dropped"]) == ["cross_normal", "saxpy"]
    # an evaluation set holding generated CUDA only: matched on the code side
    cu = tmp_path / "kernel.cu"
    cu.write_text(rows[3]["cuda_forward"] + rows[3]["cuda_backward"])
    report = decontaminate(root, [cu], out=tmp_path / "b")
    assert [(d["kernel_name"], d["field"]) for d in report["dropped"]] == [(rows[3]["kernel_name"], "code")]


def test_in_place_and_cli(tmp_path, rows):
    root = write_dataset(tmp_path / "ds", rows)
    ev = tmp_path / "e.py"
    ev.write_text(HEADER + KERNELS["laplace2d"])
    code, _, err = run_cli(["decontaminate", str(root), "--against", str(ev)])  # in place needs --overwrite
    assert code == 2 and "is the input folder; pass --overwrite" in err
    code, out, _ = run_cli(["decontaminate", str(root), "--against", str(ev), "--overwrite"])
    assert code == 0 and "dropped laplace2d" in out
    assert "laplace2d" not in _names(root) and len(_names(root)) == len(rows) - 1
    assert leftovers(tmp_path) == []


def test_bad_inputs(tmp_path, rows):
    root = write_dataset(tmp_path / "ds", rows, shards=2)
    ev = tmp_path / "e.py"
    ev.write_text(HEADER + KERNELS["saxpy"])
    with pytest.raises(WarpsynthError, match="no such evaluation file"):
        decontaminate(root, [tmp_path / "missing.py"], out=tmp_path / "o")
    with pytest.raises(WarpsynthError, match="no such dataset folder"):
        decontaminate(tmp_path / "missing", [ev], out=tmp_path / "o")
    short = tmp_path / "short.py"
    short.write_text("x = 1\n")
    with pytest.raises(WarpsynthError, match="no text of at least 20 tokens"):
        decontaminate(root, [short], out=tmp_path / "o")
    truncate(folder.shard_path(root, "train", 1, 2))
    before = sorted(p.name for p in tmp_path.iterdir())
    code, _, err = run_cli(["decontaminate", str(root), "--against", str(ev), "-o", str(tmp_path / "o")])
    assert code == 2 and "train-00001-of-00002.parquet" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no output, no temp dirs

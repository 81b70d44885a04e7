"""warpsynth export: every task x format, templates, skipped rows, bad inputs leave no file."""

from __future__ import annotations

import json

import pytest

from test_curate_support import KERNELS, all_rows, make_row, run_cli, truncate, write_dataset
from warpsynth.curate.export import export
from warpsynth.curate.templates import DEFAULT_TEMPLATES, TASKS
from warpsynth.dataset import folder
from warpsynth.errors import WarpsynthError


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    rows = all_rows() + [make_row("saxpy", KERNELS["saxpy"].replace("alpha *", "alpha * 2.0 *"), backward=False)]
    return write_dataset(tmp_path_factory.mktemp("export") / "ds", rows, shards=2), rows


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("fmt", ["chat", "completion"])
def test_tasks_and_formats(tmp_path, dataset, task, fmt):
    root, rows = dataset
    out = tmp_path / "x.jsonl"
    result = export(root, out, task=task, fmt=fmt)
    lines = _lines(out)
    expected_skipped = 1 if task == "forward-to-backward" else 0  # the forward-only row
    assert result["written"] == len(lines) == len(rows) - expected_skipped
    assert result["skipped"] == expected_skipped
    by_id = {r["id"]: r for r in rows}
    for rec in lines:
        row = by_id[rec["id"]]
        if fmt == "chat":
            assert [m["role"] for m in rec["messages"]] == ["system", "user", "assistant"]
            prompt, answer = rec["messages"][1]["content"], rec["messages"][2]["content"]
        else:
            assert set(rec) == {"id", "prompt", "completion"}
            prompt, answer = rec["prompt"], rec["completion"]
        assert row["kernel_name"] in prompt
        if task == "python-to-cuda":
            assert row["cuda_forward"].strip() in answer and "def " + row["kernel_name"] in prompt
        elif task == "python-to-cpp":
            assert row["cpu_forward"].strip() in answer and row["cuda_forward"].strip() not in answer
        elif task == "forward-to-backward":
            assert row["cuda_forward"].strip() in prompt and row["cuda_backward"].strip() in answer
        else:
            assert row["cuda_forward"].strip() in prompt and row["source"].strip() in answer
    assert out.read_bytes() == (export(root, tmp_path / "again.jsonl", task=task, fmt=fmt) and (tmp_path / "again.jsonl").read_bytes())


def test_custom_templates_and_cli(tmp_path, dataset):
    root, rows = dataset
    tmpl = tmp_path / "t.json"
    tmpl.write_text(json.dumps({"python-to-cuda": {"system": "", "user": "K={kernel_name}\n{python}", "assistant": "{cuda_forward}"}}))
    out = tmp_path / "c.jsonl"
    code, stdout, _ = run_cli(["export", str(root), "--task", "python-to-cuda", "--format", "chat", "-o", str(out), "--templates", str(tmpl)])
    assert code == 0 and f"{len(rows)} examples" in stdout
    rec = _lines(out)[0]
    assert [m["role"] for m in rec["messages"]] == ["user", "assistant"]
    assert rec["messages"][0]["content"].startswith("K=")
    assert DEFAULT_TEMPLATES["python-to-cuda"]["system"]  # defaults untouched


def test_split_filter(tmp_path, dataset):
    root, _ = dataset
    with pytest.raises(WarpsynthError, match="no split 'test'"):
        export(root, tmp_path / "x.jsonl", task="python-to-cuda", splits=["test"])
    assert not (tmp_path / "x.jsonl").exists()
    assert export(root, tmp_path / "y.jsonl", task="python-to-cuda", splits=["train"])["splits"] == {"train": 17}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"task": "cuda-to-rust"}, "--task 'cuda-to-rust'"),
        ({"task": "python-to-cuda", "fmt": "alpaca"}, "--format 'alpaca'"),
    ],
)
def test_bad_options(tmp_path, dataset, kwargs, message):
    root, _ = dataset
    with pytest.raises(WarpsynthError, match=message):
        export(root, tmp_path / "x.jsonl", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_bad_template_field(tmp_path, dataset):
    root, _ = dataset
    tmpl = tmp_path / "t.json"
    tmpl.write_text(json.dumps({"python-to-cuda": {"user": "{pyhton}"}}))
    with pytest.raises(WarpsynthError, match=r"unknown field \{pyhton\}"):
        export(root, tmp_path / "x.jsonl", task="python-to-cuda", templates=tmpl)
    assert not (tmp_path / "x.jsonl").exists()


def test_missing_and_corrupt_inputs_leave_no_file(tmp_path, dataset):
    root, rows = dataset
    code, _, err = run_cli(["export", str(tmp_path / "none"), "--task", "python-to-cuda", "-o", str(tmp_path / "x.jsonl")])
    assert code == 2 and "no such dataset folder" in err
    bad = write_dataset(tmp_path / "bad", rows, shards=2)
    truncate(folder.shard_path(bad, "train", 1, 2))
    with pytest.raises(WarpsynthError, match="train-00001-of-00002.parquet"):
        export(bad, tmp_path / "x.jsonl", task="python-to-cuda")
    assert not (tmp_path / "x.jsonl").exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]

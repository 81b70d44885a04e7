"""The curation commands on a real dataset made by ``warpsynth generate`` (40 samples)."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from test_curate_support import run_cli
from warpsynth.curate.validate import validate
from warpsynth.dataset import folder


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from warpsynth.pipeline import generate

    root = tmp_path_factory.mktemp("gen") / "ds"
    generate(40, root, seed=7, workers=0, progress=False)
    return root


def test_validate_with_recodegen(generated):
    report = validate(generated, recodegen=True, sample=8)
    assert report.ok, report.table()
    assert report.targets == ["cpu", "cuda"]
    assert report.rows >= 25 and report.checks["recodegen"].checked == 8


def test_pipeline_of_commands(tmp_path, generated):
    rows = validate(generated).rows
    code, out, err = run_cli(["dedup", str(generated), "-o", str(tmp_path / "dd")])
    assert code == 0, err
    dd = json.loads((tmp_path / "dd" / "_curate" / "dedup.json").read_text())
    assert dd["rows_in"] == rows and dd["rows_kept"] <= rows
    assert run_cli(["split", str(tmp_path / "dd"), "-o", str(tmp_path / "sp"), "--val", "0.1", "--test", "0.1"])[0] == 0
    assert set(folder.split_files(tmp_path / "sp")) == {"train", "validation", "test"}
    assert (tmp_path / "sp" / "_run" / "stats.json").exists()  # run metadata travels with the data
    assert validate(tmp_path / "sp").ok
    code, out, _ = run_cli(["export", str(tmp_path / "sp"), "--task", "python-to-cuda", "--split", "train", "-o", str(tmp_path / "train.jsonl")])
    assert code == 0
    lines = [json.loads(x) for x in (tmp_path / "train.jsonl").read_text().splitlines()]
    assert lines and all(m["messages"][2]["content"].startswith("```cuda\n") for m in lines)
    assert run_cli(["report", str(tmp_path / "sp"), "-o", str(tmp_path / "rep")])[0] == 0
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "## Run throughput" in md and "samples/s" in md and "## Curation" in md and "| test |" in md
    assert "Generation:" in md and "passed every stage" in md
    html_text = (tmp_path / "rep" / "report.html").read_text()
    HTMLParser().feed(html_text)
    assert html_text.count("data:image/png;base64,") >= 6

"""warpsynth split: clusters never span splits, deterministic, card configs updated, loadable by datasets."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from test_curate_support import EXACT_DUPS, NEAR_DUPS, all_rows, leftovers, run_cli, truncate, write_dataset
from warpsynth.curate.split import assign, split
from warpsynth.dataset import folder
from warpsynth.errors import WarpsynthError

PAIRS = [(base, dup) for base, (dup, _) in list(EXACT_DUPS.items()) + list(NEAR_DUPS.items())]


def _where(root):
    out = {}
    for name, paths in folder.split_files(root).items():
        for p in paths:
            for n in pq.read_table(p, columns=["kernel_name"]).column(0).to_pylist():
                out[n] = name
    return out


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("split") / "ds", all_rows(), shards=2)


def test_clusters_stay_together(tmp_path, dataset):
    summary = split(dataset, tmp_path / "out", val=0.25, test=0.25)
    where = _where(tmp_path / "out")
    assert len(where) == 16 and sum(summary["rows"].values()) == 16
    assert summary["rows"] == {"train": 8, "validation": 4, "test": 4}
    assert summary["clusters_spanning_splits"] == 0
    for base, dup in PAIRS:
        assert where[base] == where[dup]
    # the split folder is a dataset folder with three splits in its card
    card = folder.read_card(tmp_path / "out")
    files = {f["split"]: f["path"] for f in card["configs"][0]["data_files"]}
    assert set(files) == {"train", "validation", "test"}
    for name, paths in folder.split_files(tmp_path / "out").items():
        assert files[name] == [f"data/{p.name}" for p in paths]
    assert json.loads((tmp_path / "out" / "_curate" / "split.json").read_text())["rows"] == summary["rows"]
    code, out, _ = run_cli(["split", str(tmp_path / "out"), "-o", str(tmp_path / "again"), "--val", "0.25", "--test", "0.25"])
    assert code == 0 and "validation" in out
    assert _where(tmp_path / "again") == where  # re-splitting a split dataset is a fixed point


def test_deterministic_and_seeded(tmp_path, dataset):
    split(dataset, tmp_path / "a", val=0.2, test=0.2)
    split(dataset, tmp_path / "b", val=0.2, test=0.2)
    for p in (tmp_path / "a" / "data").iterdir():
        assert p.read_bytes() == (tmp_path / "b" / "data" / p.name).read_bytes()
    assert (tmp_path / "a" / "README.md").read_bytes() == (tmp_path / "b" / "README.md").read_bytes()
    others = [_where(tmp_path / f"s{seed}") for seed in (1, 2, 3) if split(dataset, tmp_path / f"s{seed}", val=0.2, test=0.2, seed=seed)]
    assert any(w != _where(tmp_path / "a") for w in others)


def test_hf_datasets_loads_the_splits(tmp_path, dataset):
    datasets = pytest.importorskip("datasets")
    split(dataset, tmp_path / "out", val=0.25, test=0.25)
    ds = datasets.load_dataset(str(tmp_path / "out"), cache_dir=str(tmp_path / "cache"))
    assert {k: len(v) for k, v in ds.items()} == {"train": 8, "validation": 4, "test": 4}


def test_assign_budgets_and_big_clusters():
    ids = [f"{i:04d}" for i in range(1000)]
    roots = np.arange(1000)
    roots[:300] = 0  # one big cluster of 300 rows: fits no 5% budget, so it goes to train
    where = assign(ids, roots, 0.05, 0.05, seed=0)
    assert (where[:300] == 0).all()
    assert abs((where == 1).sum() - 50) <= 1 and abs((where == 2).sum() - 50) <= 1


def test_bad_inputs(tmp_path, dataset):
    with pytest.raises(WarpsynthError, match="must be fractions"):
        split(dataset, tmp_path / "out", val=0.6, test=0.5)
    assert not (tmp_path / "out").exists()
    code, _, err = run_cli(["split", str(tmp_path / "missing"), "-o", str(tmp_path / "out")])
    assert code == 2 and "no such dataset folder" in err
    bad = write_dataset(tmp_path / "bad", all_rows(), shards=2)
    truncate(folder.shard_path(bad, "train", 0, 2), 0.9)
    with pytest.raises(WarpsynthError, match="train-00000-of-00002.parquet"):
        split(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists() and leftovers(tmp_path) == []

"""warpsynth dedup: planted exact and renamed near duplicates found, no false merges, deterministic, atomic."""

from __future__ import annotations

import json
import random

import pyarrow.parquet as pq
import pytest

from test_curate_support import EXACT_DUPS, KERNELS, NEAR_DUPS, all_rows, leftovers, run_cli, truncate, write_dataset
from warpsynth.curate.cluster import find_clusters
from warpsynth.curate.text import python_text
from warpsynth.dataset.shards import dataset_shards
from warpsynth.curate.dedup import dedup
from warpsynth.curate.minhash import NearDuplicateIndex, Shingler, UnionFind, jaccard, shingle_set
from warpsynth.curate.tokenize import tokenize
from warpsynth.dataset import folder
from warpsynth.errors import WarpsynthError

PAIRS = {frozenset((base, dup)) for base, (dup, _) in list(EXACT_DUPS.items()) + list(NEAR_DUPS.items())}


def _names(root):
    return [n for s in dataset_shards(root) for n in pq.read_table(s.path, columns=["kernel_name"]).column(0).to_pylist()]


def _data_bytes(root):
    return {p.name: p.read_bytes() for p in sorted((root / "data").iterdir())}


@pytest.fixture(scope="module")
def rows():
    return all_rows()


def test_planted_duplicates_found_without_false_merges(tmp_path, rows):
    root = write_dataset(tmp_path / "ds", rows, shards=2)
    summary = dedup(root, tmp_path / "out")
    assert summary["rows_in"] == 16 and summary["rows_kept"] == 12
    assert summary["exact_duplicate_rows"] == 2 and summary["near_duplicate_rows"] == 2
    assert summary["cluster_sizes"] == {"1": 8, "2": 4}
    clusters = {frozenset([c["kept"]["kernel_name"], *(d["kernel_name"] for d in c["dropped"])]) for c in summary["largest_clusters"]}
    assert clusters == PAIRS  # every planted pair is one cluster, and nothing else merged
    kept = _names(tmp_path / "out")
    assert len(kept) == 12 and all(len(pair & set(kept)) == 1 for pair in PAIRS)
    assert set(KERNELS) - {n for p in PAIRS for n in p} <= set(kept)
    written = json.loads((tmp_path / "out" / "_curate" / "dedup.json").read_text())
    assert written["rows_kept"] == 12 and "seconds" not in written
    card = folder.read_card(tmp_path / "out")
    assert card["warpsynth"]["num_rows"] == 12 and card["warpsynth"]["curation"][-1]["step"] == "dedup"
    files = card["configs"][0]["data_files"]
    assert [f["split"] for f in files] == ["train"]
    assert files[0]["path"] == [f"data/{p.name}" for p in folder.split_files(tmp_path / "out")["train"]]
    assert "### Deduplication" in (tmp_path / "out" / "README.md").read_text()


def test_renamed_near_duplicates_are_near_by_jaccard(rows):
    from warpsynth.generate.canonical import canonical_form

    by = {r["kernel_name"]: r for r in rows}
    for base, (dup, _) in NEAR_DUPS.items():
        a, b = (canonical_form(python_text(by[n])) for n in (base, dup))
        assert a != b
        assert jaccard(shingle_set(a), shingle_set(b)) >= 0.7
        # on the raw text the renaming hides the copy: this is why shingles are taken on the canonical form
        assert jaccard(shingle_set(python_text(by[base])), shingle_set(python_text(by[dup]))) < 0.5
    # the closest pair of unrelated kernels is far below the threshold
    names = [n for n in KERNELS]
    sims = [jaccard(shingle_set(canonical_form(python_text(by[x]))), shingle_set(canonical_form(python_text(by[y])))) for i, x in enumerate(names) for y in names[i + 1 :]]
    assert max(sims) < 0.6


def test_deterministic_and_order_independent(tmp_path, rows):
    root = write_dataset(tmp_path / "ds", rows, shards=2)
    dedup(root, tmp_path / "a")
    dedup(root, tmp_path / "b")
    assert _data_bytes(tmp_path / "a") == _data_bytes(tmp_path / "b")
    assert (tmp_path / "a" / "_curate" / "dedup.json").read_bytes() == (tmp_path / "b" / "_curate" / "dedup.json").read_bytes()
    shuffled = list(rows)
    random.Random(3).shuffle(shuffled)
    root2 = write_dataset(tmp_path / "ds2", shuffled, shards=3)
    dedup(root2, tmp_path / "c")
    assert sorted(_names(tmp_path / "c")) == sorted(_names(tmp_path / "a"))


def test_worker_processes_give_same_clusters(tmp_path, rows):
    root = write_dataset(tmp_path / "ds", rows, shards=2)
    one = find_clusters(root, workers=1)
    two = find_clusters(root, workers=2)
    assert two.params["workers"] == 2
    assert one.ids == two.ids and (one.roots == two.roots).all() and (one.keep == two.keep).all()


def test_exact_only(tmp_path, rows):
    root = write_dataset(tmp_path / "ds", rows)
    summary = dedup(root, tmp_path / "out", near=False)
    assert summary["rows_kept"] == 14 and summary["exact_duplicate_rows"] == 2 and summary["near_duplicate_rows"] == 0


def test_bad_inputs_leave_nothing(tmp_path, rows):
    code, _, err = run_cli(["dedup", str(tmp_path / "missing"), "-o", str(tmp_path / "out")])
    assert code == 2 and "no such dataset folder" in err and err.count("\n") == 1
    root = write_dataset(tmp_path / "ds", rows, shards=2)
    # existing output is refused unless --overwrite
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("keep me")
    with pytest.raises(WarpsynthError, match="exists; choose a new folder, or pass --overwrite"):
        dedup(root, tmp_path / "taken")
    assert (tmp_path / "taken" / "x").read_text() == "keep me"
    # --overwrite replaces only a folder warpsynth wrote: a user's file is never deleted
    code, out, err = run_cli(["dedup", str(root), "-o", str(tmp_path / "taken"), "--overwrite"])
    assert code == 2 and "holds x, which warpsynth did not write" in err and err.count("\n") == 1
    assert (tmp_path / "taken" / "x").read_text() == "keep me"
    (tmp_path / "taken" / "x").unlink()
    dedup(root, tmp_path / "taken", near=False)
    code, out, _ = run_cli(["dedup", str(root), "-o", str(tmp_path / "taken"), "--overwrite"])
    assert code == 0 and "rows kept" in out
    # a shard corrupt in its data pages (footer intact): found in the middle of the run
    shard = folder.shard_path(root, "train", 1, 2)
    data = bytearray(shard.read_bytes())
    for i in range(200, len(data) // 2, 7):
        data[i] ^= 0x5A
    shard.write_bytes(bytes(data))
    with pytest.raises(WarpsynthError, match="train-00001-of-00002.parquet"):
        dedup(root, tmp_path / "out")
    assert not (tmp_path / "out").exists() and leftovers(tmp_path) == []
    # truncated: refused before anything is written
    truncate(shard)
    code, _, err = run_cli(["dedup", str(root), "-o", str(tmp_path / "out")])
    assert code == 2 and "train-00001-of-00002.parquet" in err and not (tmp_path / "out").exists()
    # wrong schema
    good = write_dataset(tmp_path / "ds3", rows)
    path = folder.shard_path(good, "train", 0, 1)
    pq.write_table(pq.read_table(path).drop_columns(["kernel_source"]), path)
    with pytest.raises(WarpsynthError, match="missing column"):
        dedup(good, tmp_path / "out")
    assert leftovers(tmp_path) == []


def test_minhash_pieces():
    uf = UnionFind(5)
    uf.union(0, 1)
    uf.union(3, 4)
    uf.union(1, 4)
    assert len(set(uf.roots()[[0, 1, 3, 4]])) == 1 and uf.roots()[2] == 2
    # the LSH index confirms candidates on the signatures, so a pair just under the threshold is not linked
    a = " ".join(f"x{i} = y{i} + {i}" for i in range(60))
    b = a.replace("x30 =", "z30 =").replace("x31 =", "z31 =")
    c = " ".join(f"q{i} = r{i} * {i}" for i in range(60))
    sh = Shingler()
    idx = NearDuplicateIndex()
    for t in (a, b, c):
        idx.add(sh.hashes(tokenize(t)))
    uf = UnionFind(3)
    assert idx.link(uf) == 1
    assert uf.find(0) == uf.find(1) != uf.find(2)
    assert tokenize("a.b += c[0] // 2  # x") == ["a", ".", "b", "+=", "c", "[", "0", "]", "//", "2"]
    assert tokenize("wp::vec3 v = a->b; // c\n/* d */ x <<= 1.0f;", "cpp") == ["wp", "::", "vec3", "v", "=", "a", "->", "b", ";", "x", "<<=", "1.0f", ";"]


def test_band_index_against_brute_force():
    import numpy as np

    rng = np.random.default_rng(1)
    base = rng.integers(0, 2**32, (40, 256), dtype=np.uint32)
    sigs, truth = [], []
    for i in range(400):
        if i < 200:  # 5 noisy copies of each of 40 bases, 4-12% of the values changed
            s = base[i % 40].copy()
            k = rng.integers(10, 31)
            s[rng.choice(256, k, replace=False)] = rng.integers(0, 2**32, k, dtype=np.uint32)
        else:
            s = rng.integers(0, 2**32, 256, dtype=np.uint32)
        sigs.append(s)
    idx = NearDuplicateIndex()
    for s in sigs:
        idx.add_signature(s)
    uf = UnionFind(400)
    idx.link(uf)
    roots = uf.roots()
    arr = np.stack(sigs)
    sim = (arr[:, None, :] == arr[None, :, :]).mean(axis=2)
    for i in range(400):
        for j in range(i + 1, 400):
            if sim[i, j] >= 0.85:  # far above the threshold: LSH finds these with probability ~1
                assert roots[i] == roots[j]
    # every merge is backed by a chain of pairs at or above the threshold
    for r in set(roots.tolist()):
        members = np.flatnonzero(roots == r)
        if len(members) > 1:
            assert all((sim[m, members[members != m]] >= 0.7).any() for m in members)
    assert len(set(roots[200:].tolist())) == 200  # random signatures stay alone

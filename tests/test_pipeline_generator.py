"""The pipeline with the real generator (small runs, in-process) and the floor helper in _warp."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from warpsynth import _warp, generate as gen
from warpsynth.dataset.folder import read_card
from warpsynth.errors import WarpsynthError
from warpsynth.extract import extract, load_source
from warpsynth.pipeline import generate
from warpsynth.pipeline.config import sample_seed


def rows_of(root):
    return pq.read_table(sorted((root / "data").glob("*.parquet"))).to_pylist()


def test_real_generator_rows(tmp_path):
    out = tmp_path / "ds"
    summary = generate(24, out, shards=2, workers=0, progress=False, seed=3)
    rows = rows_of(out)
    assert summary.rows == len(rows) >= 20  # the generator is valid by construction; allow a few rejects
    assert {r["category"] for r in rows} <= set(gen.CATEGORIES)
    assert {r["config_hash"] for r in rows} == {gen.GeneratorConfig().hash()}
    for r in rows:
        assert r["seed"] >> 32 == 3
        program = gen.kernel(r["seed"], gen.GeneratorConfig())
        assert r["source"] == program.source and r["launch"] == program.launch_json()
    card = read_card(out)
    assert card["warpsynth"]["generator_config"]["generator"] == json.loads(gen.GeneratorConfig().to_json())


def test_category_weights_reach_the_generator(tmp_path):
    out = tmp_path / "ds"
    generate(8, out, shards=1, workers=0, progress=False, category_weights={"arithmetic": 1.0})
    assert {r["category"] for r in rows_of(out)} == {"arithmetic"}
    with pytest.raises(WarpsynthError, match="unknown categor"):
        generate(8, tmp_path / "other", shards=1, workers=0, progress=False, category_weights={"nope": 1.0})


def test_module_codegen_is_the_module_source_and_restores_options():
    program = gen.kernel(sample_seed(0, 1), gen.GeneratorConfig())
    with load_source(program.source, "floor") as loaded:
        kernel = loaded.kernels()[program.kernel_name]
        ir = extract(kernel)
        build = _warp.build_module(kernel.module)
        before = dict(build.builder.options)
        cpu = _warp.module_codegen(build, "cpu", _warp.target_options(build, "cpu"))
        cuda = _warp.module_codegen(build, "cuda", _warp.target_options(build, "cuda"))
        assert build.builder.options == before
    # the module holds just this kernel: its per-kernel slices appear verbatim in Warp's module text
    for part in ("cpu_forward", "cpu_backward"):
        assert getattr(ir.targets["cpu"], part.split("_")[1]) in cpu
    assert ir.targets["cuda"].forward in cuda and ir.targets["cuda"].backward in cuda
    assert "__global__" in cuda and "__global__" not in cpu

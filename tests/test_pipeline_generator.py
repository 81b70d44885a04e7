"""The pipeline with the real generator (small runs, in-process) and the floor helper in _warp."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from warpsynth import _warp, generate as gen
from warpsynth.dataset.folder import read_card
from warpsynth.errors import WarpsynthError
from warpsynth.extract import extract, extract_overloads, load_source
from warpsynth.pipeline import generate
from warpsynth.pipeline.config import sample_seed



@pytest.fixture(autouse=True)
def _restore_warp_resolution():
    """In-process runs (workers=0) turn on the builtin overload cache; leave Warp as other tests expect it."""
    yield
    _warp.disable_builtin_overload_cache()

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


def _live_sample_modules() -> int:
    import gc

    gc.collect()
    return sum(
        1
        for o in gc.get_objects()
        if type(o).__name__ == "Module" and type(o).__module__.startswith("warp.") and str(getattr(o, "name", "")).startswith("warpsynth_src_")
    )


def test_samples_leave_no_warp_module_alive(tmp_path):
    """Memory stays flat: after the task's per-sample path nothing keeps a sample's Warp module
    (Warp's library modules list callers in ``dependents``; the task detaches them)."""
    from warpsynth.pipeline import RunConfig
    from warpsynth.pipeline.programs import load_program_source
    from warpsynth.pipeline.stages import SampleStages, Tally

    config = RunConfig(n=40, shards=1)
    stages = SampleStages(config, Tally(config.seed))
    source = load_program_source(config.generator, {})
    before = _live_sample_modules()
    kept = [stages.build(i, source) for i in range(40)]
    assert sum(item is not None for item in kept) >= 35
    assert _live_sample_modules() == before


def test_detach_module_references_releases_dependents():
    import gc
    import weakref

    for i in range(100):
        program = gen.kernel(sample_seed(0, i), gen.GeneratorConfig())
        with load_source(program.source, "detach") as loaded:
            kernel = loaded.kernels()[program.kernel_name]
            extract_overloads(kernel)  # generic motif kernels have overloads
            module = kernel.module
            if not module.references:
                continue
            libraries = list(module.references)
            assert all(module in lib.dependents for lib in libraries)
            _warp.detach_module_references(module)
            assert not module.references and all(module not in lib.dependents for lib in libraries)
            ref = weakref.ref(module)
            del kernel, module
        gc.collect()
        assert ref() is None
        return
    pytest.fail("no generated program referenced a library module")


def test_real_generator_output_is_identical_across_processes(tmp_path):
    """Spawned workers have their own str-hash seeds and import order: the bytes must not care."""
    a, b = tmp_path / "inproc", tmp_path / "workers"
    generate(10, a, shards=2, workers=0, progress=False, seed=7)
    generate(10, b, shards=2, workers=2, progress=False, seed=7)
    for name in ("data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet", "README.md", "_run/rejects.jsonl"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name

"""scripts/gpu_check.py (run on CPU vs CPU here), rows back to programs, and the verification report."""

from __future__ import annotations

import importlib.util
import json
import os

import numpy as np
import warp as wp

from warpsynth.extract.row import row_from_ir
from warpsynth.extract import extract, load_source
from warpsynth.generate.program import ArgSpec, KernelProgram
from warpsynth.verify import report
from warpsynth.verify.cuda import compare_arrays
from warpsynth.verify.rows import program_from_row

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", os.path.join(ROOT, "scripts", "gpu_check.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SRC = '''import warp as wp

@wp.struct
class Params:
    scale: float
    offset: wp.vec3

@wp.kernel
def k(x: wp.array(dtype=wp.vec3), p: Params, n: wp.array(dtype=int), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = wp.length(x[i] * p.scale + p.offset) + float(n[i])
'''


def _row():
    args = (
        ArgSpec(name="x", kind="array", dtype="vec3", shape=(8,)),
        ArgSpec(name="p", kind="struct", dtype="Params", fields=(
            ArgSpec(name="scale", kind="scalar", dtype="float32", value=2.0),
            ArgSpec(name="offset", kind="value", dtype="vec3", low=-1.0, high=1.0),
        )),
        ArgSpec(name="n", kind="array", dtype="int32", shape=(8,), low=0, high=5),
        ArgSpec(name="y", kind="array", dtype="float32", shape=(8,), low=0.0, high=0.0, role="out"),
    )
    program = KernelProgram(seed=11, source=SRC, kernel_name="k", category="struct", features=(), args=args,
                            launch_dim=(8,), config_hash="t")
    with load_source(SRC, "gc") as loaded:
        ir = extract(loaded.kernels()["k"], targets=("cpu", "cuda"))
    return program, row_from_ir(ir, source=SRC, origin="test", seed=11, category="struct",
                                launch=program.launch_json(), verify_level="run", config_hash="t", differentiable=True)


def test_program_round_trips_through_the_row():
    program, row = _row()
    assert program_from_row(row) == program


def test_gpu_check_same_device_matches(tmp_path, capsys):
    # the script's path, CPU against CPU: race check + compare_on_device over fresh generated seeds
    out = tmp_path / "report.json"
    assert _gpu_check().main(["-n", "3", "--start-seed", "5", "--device", "cpu", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["checked"] == 3 and report["counts"] == {"match": 3} and report["arch"] == "cpu"


def test_compare_flags_differences():
    a = np.linspace(0, 1, 10, dtype=np.float32)
    assert compare_arrays("y", a, a + 1e-7, 1e-4, 1e-5) is None
    b = a.copy()
    b[3] += 0.01
    assert compare_arrays("y", a, b, 1e-4, 1e-5).startswith("'y'[3]: ")
    assert "1 of 10 elements differ" in compare_arrays("y", a, b, 1e-4, 1e-5)
    assert compare_arrays("n", np.arange(4), np.array([0, 1, 2, 4]), 0, 0).startswith("'n'[3]: 4 vs 3")


def test_gpu_check_without_gpu_says_so(capsys, tmp_path):
    if wp.is_cuda_available():  # on a GPU machine the real check runs instead; not needed here
        return
    assert _gpu_check().main(["--dataset", str(tmp_path)]) == 2
    out = capsys.readouterr().out
    assert "no CUDA device" in out and len(out.strip().splitlines()) == 1


def test_report_pass_rates_per_level_and_category(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "_run").mkdir()
    rows = [
        {"verify_level": "grad", "differentiable": True, "category": "math", "seed": 0, "grad_max_rel_err": 1e-4},
        {"verify_level": "run", "differentiable": False, "category": "math", "seed": 1, "grad_max_rel_err": None},
        {"verify_level": "run", "differentiable": False, "category": "integer", "seed": 2, "grad_max_rel_err": None},
    ]
    (tmp_path / "data" / "shard.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    rejects = [
        {"seed": 3, "stage": "grad", "reason": "gradient mismatch", "category": "math"},
        {"seed": 4, "stage": "run", "reason": "non-finite value", "category": "integer"},
        {"seed": 5, "stage": "compile", "reason": "cpu: error", "category": "integer"},
    ]
    (tmp_path / "_run" / "rejects.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rejects))
    s = report.summarize(str(tmp_path))
    assert s["samples"] == 6 and s["rows"] == 3 and s["rejects"] == 3
    lv = s["levels"]
    assert lv["codegen"] == {"applies": 6, "passed": 6, "rate": 1.0}
    assert lv["compile"]["passed"] == 5 and lv["run"] == {"applies": 5, "passed": 4, "rate": 0.8}
    assert lv["grad"] == {"applies": 2, "passed": 1, "rate": 0.5}
    assert s["levels"]["all_applicable"]["passed"] == 3
    assert s["categories"]["integer"]["compile"] == {"applies": 3, "passed": 2, "rate": round(2 / 3, 4)}
    assert "| **all** |" in report.render(s)


def test_load_programs_rebuilds_a_datasets_programs(tmp_path):
    from warpsynth.generate import GeneratorConfig, kernel
    from warpsynth.pipeline import generate
    from warpsynth.verify.rows import load_programs

    generate(3, str(tmp_path / "d"), seed=0, shards=1, workers=0, progress=False, targets=("cpu",))
    programs = load_programs(str(tmp_path / "d"))
    assert len(programs) == 3
    for p in programs:
        fresh = kernel(p.seed, GeneratorConfig())
        assert (p.source, p.kernel_name, p.args, p.launch_dim, p.tiled, p.block_dim) == \
            (fresh.source, fresh.kernel_name, fresh.args, fresh.launch_dim, fresh.tiled, fresh.block_dim)

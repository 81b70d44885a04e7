"""The cuda level, run CPU against CPU (no GPU needed): same path, matches; an injected difference fails."""

from __future__ import annotations

import numpy as np
import pytest
import warp as wp

from warpsynth.errors import WarpsynthError
from warpsynth.extract import extract, load_source
from warpsynth.extract.row import row_from_ir
from warpsynth.generate import GeneratorConfig, kernel
from warpsynth.pipeline.verifying import require_verify
from warpsynth.verify import VerifyOptions, verify_samples
from warpsynth.verify import cuda as cuda_level


def _float_arrays(p, role_in: bool) -> bool:
    return any(a.kind == "array" and a.dtype == "float32" and (a.role == "in") == role_in for a in p.args)


def _first(category: str, differentiable: bool | None = None, start: int = 0):
    """The first ``category`` program (of the wanted differentiability) with float32 input and output arrays."""
    config = GeneratorConfig(weights={category: 1.0})
    for seed in range(start, start + 200):
        p = kernel(seed, config)
        if p.category == category and (differentiable is None or p.differentiable == differentiable) \
                and _float_arrays(p, True) and _float_arrays(p, False):
            return p
    raise AssertionError(f"no {category} program")


@pytest.mark.parametrize("category", ["arithmetic", "atomic", "tile", "vector"])
def test_cpu_against_cpu_matches(category):
    program = _first(category)
    result = cuda_level.compare_on_device(program, device="cpu")
    assert result.status == "match", result.detail
    assert result.device == "cpu" and result.arch == "cpu" and result.arrays == sum(a.kind == "array" for a in program.args)


def test_adjoints_are_compared_for_differentiable_kernels():
    result = cuda_level.compare_on_device(_first("arithmetic", differentiable=True), device="cpu")
    assert result.ok and result.adjoints >= 1


def test_an_injected_forward_difference_is_a_mismatch(monkeypatch):
    program = _first("arithmetic")
    forward = cuda_level._forward
    calls = []

    def perturbed(program, kernel, seed, device, block_dim=None):
        values = forward(program, kernel, seed, device, block_dim)
        calls.append(device)
        if len(calls) == 2:  # the "device" side: one output element off by 1%
            out = next(v for v, a in zip(values, program.args) if a.role == "out" and a.dtype == "float32")
            data = out.numpy()
            data.reshape(-1)[0] = data.reshape(-1)[0] * 1.01 + 0.01
        return values

    monkeypatch.setattr(cuda_level, "_forward", perturbed)
    result = cuda_level.compare_on_device(program, device="cpu")
    assert result.status == "mismatch" and result.detail.startswith("forward '") and "[0]: " in result.detail, result


@pytest.mark.parametrize("category", ["arithmetic", "atomic"])
def test_a_result_that_changes_with_block_dim_is_a_mismatch(monkeypatch, category):
    """The device runs a per-thread kernel a second time at ALT_BLOCK_DIM; a difference there (a race) fails."""
    program = _first(category)
    assert not program.tiled
    forward = cuda_level._forward
    seen = []

    def racy(program, kernel, seed, device, block_dim=None):
        values = forward(program, kernel, seed, device, block_dim)
        seen.append(block_dim)
        if block_dim == cuda_level.ALT_BLOCK_DIM:
            out = next(v for v, a in zip(values, program.args) if a.role != "in" and a.dtype == "float32")
            data = out.numpy()
            data.reshape(-1)[-1] = data.reshape(-1)[-1] * 1.5 + 1.0
        return values

    monkeypatch.setattr(cuda_level, "_forward", racy)
    result = cuda_level.compare_on_device(program, device="cpu")
    assert seen == [None, None, cuda_level.ALT_BLOCK_DIM]
    assert result.status == "mismatch" and result.detail.startswith(f"block_dim {cuda_level.ALT_BLOCK_DIM} vs 256"), result


def test_launch_passes_block_dim_to_per_thread_kernels_only(monkeypatch):
    from warpsynth.generate import launch as launch_mod

    got = []
    monkeypatch.setattr(launch_mod.wp, "launch", lambda *a, **kw: got.append(("launch", kw["block_dim"])))
    monkeypatch.setattr(launch_mod.wp, "launch_tiled", lambda *a, **kw: got.append(("tiled", kw["block_dim"])))
    monkeypatch.setattr(launch_mod.wp, "synchronize_device", lambda *a: None)
    thread, tiled = _first("arithmetic"), _first("tile")
    launch_mod.launch(thread, None, [], block_dim=32)
    launch_mod.launch(tiled, None, [], block_dim=32)
    assert got == [("launch", 32), ("tiled", tiled.block_dim)]


def test_an_injected_adjoint_difference_is_a_mismatch(monkeypatch):
    program = _first("arithmetic", differentiable=True)
    adjoints = cuda_level._adjoints
    calls = []

    def perturbed(*args):
        grads = adjoints(*args)
        calls.append(1)
        if len(calls) == 2:
            k = next(iter(grads))
            grads[k].reshape(-1)[0] += 1.0
        return grads

    monkeypatch.setattr(cuda_level, "_adjoints", perturbed)
    result = cuda_level.compare_on_device(program, device="cpu")
    assert result.status == "mismatch" and result.detail.startswith("adjoint 'adj_"), result


def test_tolerances_by_dtype():
    a = np.full(4, 1.0)
    assert cuda_level.compare_arrays("x", a.astype(np.float32), (a + 5e-5).astype(np.float32), *cuda_level.FORWARD_TOL["float32"]) is None
    assert cuda_level.compare_arrays("x", a, a + 5e-5, *cuda_level.FORWARD_TOL["float64"]) is not None
    assert cuda_level.compare_arrays("x", np.arange(3), np.arange(3), 0.0, 0.0) is None


def test_a_launch_error_is_an_error_not_an_exception():
    program = _first("arithmetic")
    broken = type(program)(**{**program.__dict__, "kernel_name": "missing"})
    result = cuda_level.compare_on_device(broken, device="cpu")
    assert result.status == "error" and "KeyError" in result.detail


def test_verify_level_cuda_fills_device_columns():
    program = _first("arithmetic")
    with load_source(program.source, "vc") as loaded:
        ir = extract(loaded.kernels()[program.kernel_name], targets=("cpu",))
    row = row_from_ir(ir, source=program.source, origin="generated", launch=program.launch_json(), seed=program.seed)
    [result] = verify_samples([(program, row)], "cuda", VerifyOptions(targets=("cpu",), cuda_device="cpu"))
    assert result.reject is None and result.level_passed == "cuda"
    assert result.columns["verified_cuda_device"] == "cpu" and result.columns["verified_cuda_arch"] == "cpu"


def test_verify_rejects_a_racy_row_at_every_level():
    src = "import warp as wp\n\n@wp.kernel\ndef k(x: wp.array(dtype=float), acc: wp.array(dtype=float)):\n" \
          "    i = wp.tid()\n    wp.atomic_add(acc, 0, x[i])\n    wp.atomic_max(acc, 0, x[i])\n"
    program = _first("arithmetic")
    with load_source(src, "race") as loaded:
        ir = extract(loaded.kernels()["k"], targets=("cpu",))
    row = row_from_ir(ir, source=src, origin="extracted")
    [result] = verify_samples([(program, row)], "codegen", VerifyOptions(targets=("cpu",)))
    assert result.reject[0] == "race" and "do not commute" in result.reject[1]


def test_cuda_level_without_a_gpu_is_a_one_line_error():
    if wp.is_cuda_available():
        return
    with pytest.raises(WarpsynthError, match="--verify cuda: no CUDA device"):
        require_verify("cuda")


def test_cli_verify_cuda_without_a_gpu_exits_2(tmp_path, capsys):
    if wp.is_cuda_available():
        return
    from warpsynth.cli import main

    assert main(["generate", "-n", "2", "-o", str(tmp_path / "d"), "--verify", "cuda", "--no-progress"]) == 2
    err = capsys.readouterr()
    lines = (err.out + err.err).strip().splitlines()
    assert len(lines) == 1 and "no CUDA device" in lines[0]


def test_one_lane_tile_atomic_runs_and_matches():
    config = GeneratorConfig(weights={"tile": 1.0})
    program = next(p for p in (kernel(s, config) for s in range(400)) if "if lane == 0:" in p.source)
    result = cuda_level.compare_on_device(program, device="cpu")
    assert result.ok, result.detail


@pytest.mark.parametrize("source, precision", [
    ("def k(a: wp.array(dtype=wp.float64), b: wp.array(dtype=wp.vec3d)):\n    b[0] = wp.vec3d(a[0])", "float64"),
    ("def k(a: wp.array(dtype=float), b: wp.array(dtype=wp.float64)):\n    b[0] = wp.float64(wp.sin(a[0]))", "float32"),
    ("def k(q: wp.array(dtype=wp.quat), b: wp.array(dtype=wp.quatd)):\n    pass", "float32"),
    ("def k(h: wp.array(dtype=wp.vec3h), b: wp.array(dtype=wp.float64)):\n    pass", "float16"),
])
def test_computing_precision_is_the_least_precise_float_type_in_the_source(source, precision):
    assert cuda_level.computing_precision(source) == precision


def test_a_float64_output_computed_in_float32_compares_at_float32_tolerance():
    """A float64 array whose values went through float32 math (CPU and CUDA libm round differently)."""
    tol = cuda_level.Tolerances()
    value = wp.zeros(4, dtype=wp.float64)
    assert cuda_level._tol(value, tol, 1.0) == cuda_level.FORWARD_TOL["float64"]
    assert cuda_level._tol(value, tol, 1.0, "float32") == cuda_level.FORWARD_TOL["float32"]
    ref = np.full(4, 0.686635, dtype=np.float64)
    got = ref * (1 + 3e-7)  # one float32 ulp apart
    assert cuda_level.compare_arrays("t", ref, got, *cuda_level._tol(value, tol, 1.0)) is not None
    assert cuda_level.compare_arrays("t", ref, got, *cuda_level._tol(value, tol, 1.0, "float32")) is None
    # a float32 array never compares looser than float32 because of a float64 floor
    assert cuda_level._tol(wp.zeros(4, dtype=float), tol, 1.0, "float64") == cuda_level.FORWARD_TOL["float32"]

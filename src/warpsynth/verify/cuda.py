"""The ``cuda`` level: run a sample on a CUDA device and on the CPU with the same inputs and compare.

    compare_on_device(program, device="cuda:0") -> DeviceComparison

Inputs come from ``warpsynth.generate.launch.make_inputs`` (seeded, identical on both
devices); tiled programs launch with their ``block_dim`` (on the CPU Warp runs one thread per
block). Every array is compared after the forward launch; for differentiable programs the
adjoints of the float inputs are compared too, after a ``wp.Tape`` backward pass seeded with
the same fixed random weights on both sides. A per-thread program is then launched on the device
once more with ``ALT_BLOCK_DIM`` threads per block and compared with the first device run: a
race or a result that depends on the block size or on thread order shows as a difference
(tiled programs keep their own ``block_dim``: it is part of the tile code). Tolerances are per dtype (:class:`Tolerances`):
integers exactly, floats relative to the array's magnitude, looser where atomics make the
summation order differ. Tests call it with ``device="cpu"`` (CPU against CPU).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import warp as wp

#: (rtol, atol relative to the array's largest magnitude) per float dtype, forward results.
#: f32: scripts/gpu_check.py's earlier tolerance, under which 1,152 of 1,200 generated kernels matched on
#: an H200 (the other 48 were races and block_dim effects, issue 14); f16/f64 scaled by their precision.
FORWARD_TOL = {"float16": (1e-2, 1e-3), "float32": (1e-4, 1e-5), "float64": (1e-7, 1e-9)}

#: Threads per block of the second device launch of a per-thread program (Warp's default is 256):
#: one warp per block, so blocks are scheduled in a different order and grouping than the first run.
ALT_BLOCK_DIM = 32


@dataclass(frozen=True)
class Tolerances:
    """Comparison tolerances: ``forward`` per float dtype; adjoints and atomic results are ``*_factor`` looser."""

    forward: dict = field(default_factory=lambda: dict(FORWARD_TOL))
    atomic_factor: float = 10.0  # atomics add in a different order on the GPU
    adjoint_factor: float = 10.0  # adjoints accumulate (atomically) over threads


@dataclass
class DeviceComparison:
    """Outcome: ``status`` "match" | "mismatch" | "error"; ``detail`` one line; ``device``/``arch`` of the compared device."""

    status: str
    device: str
    arch: str
    detail: str = ""
    arrays: int = 0
    adjoints: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "match"


def device_identity(device: str) -> tuple[str, str]:
    """(device name, arch) for a row: e.g. ("NVIDIA H200", "sm_90"); ("cpu", "cpu") for the CPU."""
    d = wp.get_device(device)
    if d.is_cuda:
        return str(d.name), f"sm_{d.arch}"
    return "cpu", "cpu"


def compare_arrays(name: str, ref: np.ndarray, got: np.ndarray, rtol: float, atol: float) -> str | None:
    """None when ``got`` equals ``ref`` within tolerance (integers exactly); else a one-line description."""
    if ref.shape != got.shape:
        return f"'{name}': shape {got.shape} vs {ref.shape}"
    if ref.dtype.names:
        for f in ref.dtype.names:
            d = compare_arrays(f"{name}.{f}", ref[f], got[f], rtol, atol)
            if d:
                return d
        return None
    if ref.dtype.kind != "f":
        if np.array_equal(ref, got):
            return None
        k = int(np.flatnonzero((ref != got).reshape(-1))[0])
        return f"'{name}'[{k}]: {got.reshape(-1)[k].item()} vs {ref.reshape(-1)[k].item()} (cpu)"
    a, b = ref.astype(np.float64), got.astype(np.float64)
    scale = max(1.0, float(np.nanmax(np.abs(a), initial=0.0)))
    close = np.isclose(b, a, rtol=rtol, atol=atol * scale, equal_nan=True)
    if close.all():
        return None
    diff = np.where(close, 0.0, np.abs(a - b))
    k = int(np.nanargmax(diff.reshape(-1)))
    return (f"'{name}'[{k}]: {b.reshape(-1)[k]:.6g} vs {a.reshape(-1)[k]:.6g} (cpu); "
            f"{int((~close).sum())} of {close.size} elements differ beyond rtol {rtol:g}")


def _tol(value: Any, tol: Tolerances, factor: float, floor: str = "float64") -> tuple[float, float]:
    """Tolerance of ``value``'s float dtype, or of ``floor`` (the least precise float type the kernel computes in) if looser."""
    rtol, atol = max(tol.forward.get(_np_float_name(value), tol.forward["float32"]), tol.forward[floor])
    return rtol * factor, atol * factor


#: a float16 or float32 type in kernel source (``float`` alone is float32 in Warp; ``wp.vec3`` is vec3f)
_F16 = re.compile(r"float16|\bhalf\b|\b(?:vec[234]|mat[234]{2})h\b")
_F32 = re.compile(r"\bfloat\b|float32|\bwp\.(?:vec[234]|mat[234]{2}|quat|transform|spatial_vector|spatial_matrix)\b(?!\w)"
                  r"|\b(?:vec[234]|mat[234]{2})f\b")


def computing_precision(source: str) -> str:
    """The least precise float type a kernel's source computes in: "float16", "float32" or "float64".

    A float64 output computed through a float32 value (``wp.float64(wp.sin(x))`` of a float32
    ``x``) carries float32 rounding, and the CPU and CUDA math libraries round differently, so
    its results compare at float32 tolerance.
    """
    if _F16.search(source):
        return "float16"
    return "float32" if _F32.search(source) else "float64"


def _np_float_name(value: Any) -> str:
    kind = value.numpy().dtype
    base = kind.base if kind.names is None else kind
    return {2: "float16", 4: "float32", 8: "float64"}.get(base.itemsize if base.kind == "f" else 4, "float32")


def _forward(program: Any, kernel: Any, seed: int, device: str, block_dim: int | None = None) -> list:
    from warpsynth.generate.launch import launch, make_inputs

    values = make_inputs(program, seed, kernel, device=device)
    launch(program, kernel, values, device=device, block_dim=block_dim)
    return values


def _first_difference(program: Any, ref: list, got: list, tol: Tolerances, factor: float) -> str | None:
    """The first array argument of ``got`` that differs from ``ref`` (one line), or None."""
    floor = computing_precision(program.source)
    for spec, r, g in zip(program.args, ref, got):
        if isinstance(r, wp.array):
            detail = compare_arrays(spec.name, r.numpy(), g.numpy(), *_tol(r, tol, factor, floor))
            if detail:
                return detail
    return None


def _adjoints(program: Any, kernel: Any, seed: int, device: str, ins: list[int], outs: list[int]) -> dict[int, np.ndarray]:
    """d(sum(w * outputs))/d(input) per float input array, with weights w fixed by ``seed``."""
    from warpsynth.generate.launch import launch, make_inputs

    values = make_inputs(program, seed, kernel, device=device)
    for i in ins + outs:
        values[i].requires_grad = True
    tape = wp.Tape()
    with tape:
        launch(program, kernel, values, device=device)
    rng = np.random.default_rng(seed ^ 0x5EED)
    grads = {}
    for j in outs:
        w = rng.standard_normal(values[j].grad.shape + tuple(getattr(values[j].dtype, "_shape_", ()) or ()))
        grads[j] = wp.array(w.astype(values[j].grad.numpy().dtype), dtype=values[j].dtype, device=device)
    tape.backward(grads={values[j]: grads[j] for j in outs})
    out = {i: np.array(values[i].grad.numpy(), copy=True) for i in ins}
    tape.zero()
    return out


def compare_on_device(program: Any, device: str = "cuda:0", reference: str = "cpu", seed: int | None = None,
                      grad: bool = True, tol: Tolerances | None = None) -> DeviceComparison:
    """Run ``program`` (a :class:`~warpsynth.generate.program.KernelProgram`) on ``reference`` and ``device``; compare.

    Forward: every array argument after the launch. Adjoints (when ``grad`` and the program is
    differentiable): float input arrays, for the loss sum(w * float outputs). Any exception
    (compile failure, launch error) is an "error" with its one-line message.
    """
    from warpsynth.extract import load_source

    tol = tol or Tolerances()
    seed = program.seed if seed is None else seed
    name, arch = device_identity(device)
    result = DeviceComparison("match", name, arch)
    atomic = "atomic_" in program.source
    try:
        with load_source(program.source, f"cuda{program.seed}") as loaded:
            kernel = loaded.kernels()[program.kernel_name]
            ref, got = _forward(program, kernel, seed, reference), _forward(program, kernel, seed, device)
            factor = tol.atomic_factor if atomic else 1.0
            result.arrays = sum(isinstance(r, wp.array) for r in ref)
            detail = _first_difference(program, ref, got, tol, factor)
            if detail:
                return DeviceComparison("mismatch", name, arch, f"forward {detail}", result.arrays)
            if not program.tiled:
                again = _forward(program, kernel, seed, device, block_dim=ALT_BLOCK_DIM)
                detail = _first_difference(program, got, again, tol, factor)
                if detail:
                    return DeviceComparison("mismatch", name, arch, f"block_dim {ALT_BLOCK_DIM} vs 256 on {device}: {detail}", result.arrays)
            if grad and program.differentiable:
                floats = [k for k, v in enumerate(ref) if isinstance(v, wp.array) and v.numpy().dtype.kind == "f"]
                ins = [k for k in floats if program.args[k].role == "in"]
                outs = [k for k in floats if program.args[k].role != "in"]
                if ins and outs:
                    a_ref = _adjoints(program, kernel, seed, reference, ins, outs)
                    a_got = _adjoints(program, kernel, seed, device, ins, outs)
                    for k in ins:
                        result.adjoints += 1
                        detail = compare_arrays(f"adj_{program.args[k].name}", a_ref[k], a_got[k],
                                                *_tol(ref[k], tol, tol.adjoint_factor, computing_precision(program.source)))
                        if detail:
                            return DeviceComparison("mismatch", name, arch, f"adjoint {detail}", result.arrays, result.adjoints)
    except Exception as exc:  # compile or launch failure on either device: the sample is not proven
        return DeviceComparison("error", name, arch, " ".join(f"{type(exc).__name__}: {exc}".split())[:300])
    return result

"""Run and gradient checks of one sample on the CPU, against its batch-compiled object.

Inputs and launches come from ``warpsynth.generate.launch`` (the generator's own
input maker: deterministic per seed, inside each argument's valid domain).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import warp as wp

IO_MAX_ELEMENTS = 8


def _launch_api():
    from warpsynth.generate.launch import launch, make_inputs

    return make_inputs, launch


def is_array(value: Any) -> bool:
    return isinstance(value, wp.array)


def _scalar_kind(value: Any) -> str:
    """'f16' | 'f32' | 'f64' | 'int' | 'other' for an array's scalar type."""
    np_dtype = value.numpy().dtype
    if np_dtype.names:
        return "other"
    if np_dtype.kind == "f":
        return {2: "f16", 4: "f32", 8: "f64"}.get(np_dtype.itemsize, "other")
    return "int" if np_dtype.kind in "iub" else "other"


def float_views(a: np.ndarray) -> list[np.ndarray]:
    """The floating-point parts of an array (structured arrays: each float field, recursively)."""
    if a.dtype.names:
        out = []
        for name in a.dtype.names:
            out.extend(float_views(a[name]))
        return out
    return [a] if a.dtype.kind == "f" else []


def snapshot(values: list) -> list[np.ndarray | None]:
    return [np.array(v.numpy(), copy=True) if is_array(v) else None for v in values]


@dataclass
class RunOutcome:
    reject: str | None = None
    io_examples: dict = field(default_factory=dict)
    changed: list[int] = field(default_factory=list)  # indices of arrays a launch wrote


def _elem_shape(value: Any) -> tuple[int, ...]:
    return tuple(getattr(value.dtype, "_shape_", ()) or ())


def _head(value: Any, data: np.ndarray, kind: str) -> list:
    """The first few elements (of the array's dtype, e.g. whole vec3s) as JSON values."""
    elem_ndim = len(_elem_shape(value))
    if data.dtype.names:
        flat = data.reshape(-1)
    else:
        flat = data.reshape((-1,) + data.shape[data.ndim - elem_ndim :]) if elem_ndim else data.reshape(-1)
    digits = {"f16": 5, "f32": 9, "f64": 17}.get(kind)

    def conv(x):
        if isinstance(x, np.ndarray):  # a vector field of a struct element (structured arrays)
            x = x.tolist()
        if isinstance(x, (list, tuple)):
            return [conv(y) for y in x]
        if isinstance(x, float) and digits:
            return float(f"{x:.{digits}g}")
        return x

    return conv(flat[:IO_MAX_ELEMENTS].tolist())


def _struct_json(value: Any, spec: Any) -> dict:
    """A struct argument's fields as JSON; a nested struct field (spec kind "struct") as a nested dict."""
    return {f.name: _struct_json(getattr(value, f.name, None), f) if f.kind == "struct" else _json_scalar(getattr(value, f.name, None))
            for f in spec.fields}


def _json_scalar(value: Any) -> Any:
    """A kernel scalar argument (Python number, Warp scalar, or Warp vector/matrix) as JSON."""
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    inner = getattr(value, "value", None)  # Warp scalar instances (wp.float32(0.5))
    if isinstance(inner, (bool, int, float)):
        return inner
    try:
        return np.asarray(value, dtype=np.float64).tolist()  # vectors/matrices
    except Exception:
        return type(value).__name__


def _nonfinite(data: np.ndarray) -> tuple[int, float] | None:
    for view in float_views(data):
        bad = ~np.isfinite(view.astype(np.float64, copy=False))
        if bad.any():
            flat = np.flatnonzero(bad.reshape(-1))[0]
            return int(flat), float(view.reshape(-1)[flat])
    return None


def _differs(a: np.ndarray, b: np.ndarray, tolerant: bool, rtol: float, atol: float) -> float | None:
    """None when equal (within tolerance for atomics); else the max abs difference (nan if not numeric)."""
    if a.dtype.names:
        for name in a.dtype.names:
            d = _differs(a[name], b[name], tolerant, rtol, atol)
            if d is not None:
                return d
        return None
    if a.dtype.kind == "f":
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        if tolerant:
            equal = np.allclose(a64, b64, rtol=rtol, atol=atol, equal_nan=True)
        else:
            equal = np.array_equal(a64, b64, equal_nan=True)
        return None if equal else float(np.nanmax(np.abs(a64 - b64)))
    return None if np.array_equal(a, b) else float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))


def run_checks(program: Any, kernel: Any, seed: int, atomic: bool, rtol: float, atol: float) -> RunOutcome:
    """Launch twice on fresh seeded inputs; reject NaN/Inf and nondeterminism; record I/O examples."""
    make_inputs, launch = _launch_api()
    out = RunOutcome()
    first = make_inputs(program, seed, kernel)
    before = snapshot(first)
    launch(program, kernel, first, device="cpu")
    after1 = snapshot(first)
    second = make_inputs(program, seed, kernel)
    launch(program, kernel, second, device="cpu")
    after2 = snapshot(second)

    for i, (spec, value) in enumerate(zip(program.args, first)):
        if after1[i] is None:
            continue
        if before[i].tobytes() != after1[i].tobytes():
            out.changed.append(i)
        bad = _nonfinite(after1[i])
        if bad is not None:
            out.reject = f"non-finite value {bad[1]} in '{spec.name}' at flat index {bad[0]} after launch"
            return out
        diff = _differs(after1[i], after2[i], atomic, rtol, atol)
        if diff is not None:
            what = "beyond atomic tolerance" if atomic else "bitwise"
            out.reject = f"nondeterministic: '{spec.name}' differs between two launches on the same inputs ({what}, max abs diff {diff:.3g})"
            return out

    args = []
    for i, (spec, value) in enumerate(zip(program.args, first)):
        entry: dict = {"name": spec.name, "kind": spec.kind, "dtype": spec.dtype}
        if is_array(value):
            kind = _scalar_kind(value)
            entry["shape"] = list(value.shape)
            entry["in"] = _head(value, before[i], kind)
            if i in out.changed or spec.role != "in":
                entry["out"] = _head(value, after1[i], kind)
        elif spec.kind in ("scalar", "value"):
            entry["value"] = _json_scalar(value)
        elif spec.kind == "struct":
            entry["fields"] = _struct_json(value, spec)
        args.append(entry)
    out.io_examples = {"seed": seed, "max_elements": IO_MAX_ELEMENTS, "launch_dim": list(program.launch_dim), "args": args}
    return out


@dataclass
class GradOutcome:
    differentiable: bool
    reject: str | None = None
    max_rel_err: float | None = None
    checked: int = 0
    skipped: int = 0
    note: str = ""
    points: list = field(default_factory=list)  # per compared point: diagnostics


@dataclass
class GradTolerances:
    points: int = 6
    eps32: float = 1e-2
    eps64: float = 1e-6
    rtol32: float = 2e-2
    rtol64: float = 1e-5
    atol32: float = 1e-3
    atol64: float = 1e-8


class PrimalGradTape(wp.Tape):
    """A ``wp.Tape`` whose backward launches pass null adjoint arrays, so each adjoint accessor
    accumulates into the array's own ``.grad`` through the primal array's descriptor, bounds-checked
    (debug mode) against the primal array's shape.

    Source: Warp 1.19 ``native/array.h``: ``adj_address``, ``adj_array_store``, ``adj_atomic_add``,
    ``adj_load``, ... use ``index(adj_buf, ...)`` when ``adj_buf.data`` is set and otherwise
    ``index_grad(buf, ...)``: the same element of ``buf.grad``, with the same zeroing rule. Used for
    kernels whose adjoint resets ``adj_x.shape`` (``options.ADJOINT_SHAPE_RESET``): with Warp's own
    tape their debug bounds checks on ``adj_x`` fail whatever the index; with this one the checks
    read the primal's shape, which the adjoint does not touch.
    """

    def get_adjoint(self, a: Any) -> Any:
        if is_array(a):
            if a.grad is not None:
                self.gradients[a] = a.grad  # zeroed by ``tape.zero()``, as Warp's tape does
            return None
        return super().get_adjoint(a)


def make_tape(primal_grad: bool = False) -> wp.Tape:
    """``PrimalGradTape()`` when ``primal_grad`` (adjoint through the primal arrays' ``.grad``), else ``wp.Tape()``."""
    return PrimalGradTape() if primal_grad else wp.Tape()


@dataclass
class _GradSetup:
    """What the gradient check of one sample works on: argument indices, precision, loss weights."""

    inputs: list[int]  # float arrays the kernel only reads
    outputs: list[int]  # float arrays it writes (not in-out)
    f64: bool
    rng: np.random.Generator
    weights: dict[int, np.ndarray]  # per output: fixed random loss weights, float64, the output's shape


def _grad_setup(program: Any, kernel: Any, seed: int, changed: list[int]) -> _GradSetup | GradOutcome:
    """The check's set-up, or a ``GradOutcome`` that ends it (non-differentiable, no float pair)."""
    make_inputs, _ = _launch_api()
    if not program.differentiable:
        return GradOutcome(False, note="generator marked the kernel non-differentiable")
    probe = make_inputs(program, seed, kernel)
    kinds = {i: _scalar_kind(v) for i, v in enumerate(probe) if is_array(v)}
    roles = {i: program.args[i].role for i in kinds}
    outputs = [i for i in kinds if (i in changed or roles[i] == "out") and roles[i] != "inout" and kinds[i] in ("f32", "f64")]
    inputs = [i for i in kinds if roles[i] == "in" and i not in changed and kinds[i] in ("f32", "f64")]
    if not outputs or not inputs:
        return GradOutcome(False, note="no float input->output array pair")
    if any(kinds[i] == "f16" for i in kinds):
        return GradOutcome(False, note="float16 arrays: finite differences not meaningful")
    rng = np.random.default_rng(seed ^ 0x5EED)
    weights = {j: rng.standard_normal(np.shape(probe[j].numpy())) for j in outputs}
    return _GradSetup(inputs, outputs, all(kinds[i] == "f64" for i in inputs + outputs), rng, weights)


def _adjoint(program: Any, kernel: Any, seed: int, g: _GradSetup, primal_grad: bool) -> tuple[dict, dict]:
    """One taped launch with ``output.grad = weights``: (flat float64 adjoint per input, float64 outputs)."""
    make_inputs, launch = _launch_api()
    values = make_inputs(program, seed, kernel)
    for i in g.inputs + g.outputs:
        values[i].requires_grad = True
    tape = make_tape(primal_grad)
    with tape:
        launch(program, kernel, values, device="cpu")
    base_out = {j: np.array(values[j].numpy(), dtype=np.float64) for j in g.outputs}
    for j in g.outputs:
        values[j].grad.numpy()[...] = g.weights[j].astype(values[j].grad.numpy().dtype)
    tape.backward()
    adjoint = {i: np.array(values[i].grad.numpy(), dtype=np.float64).reshape(-1) for i in g.inputs}
    tape.zero()
    return adjoint, base_out


def _candidates(g: _GradSetup, adjoint: dict, points: int) -> list[tuple[int, int]]:
    """Up to ``3 * points`` (input, flat element) pairs: the largest adjoints first, then random ones."""
    cands: list[tuple[int, int]] = []
    flat_all = [(i, k) for i in g.inputs for k in range(adjoint[i].size)]
    by_mag = sorted(flat_all, key=lambda p: -abs(adjoint[p[0]][p[1]]))
    order = by_mag[: max(1, points // 2)] + [flat_all[k] for k in g.rng.permutation(len(flat_all))]
    for p in order:
        if p not in cands:
            cands.append(p)
        if len(cands) >= 3 * points:
            break
    return cands


@dataclass
class _Scale:
    """Per-sample constants of the finite-difference comparison (see ``grad_check``)."""

    eps: float  # relative step
    rtol: float
    atol: float  # absolute tolerance: a fraction of the largest adjoint
    unit: float  # float epsilon of the kernel's precision
    out_scale: float  # largest |weight * output|


def _fd_point(program: Any, kernel: Any, seed: int, g: _GradSetup, i: int, k: int, s: _Scale) -> dict | None:
    """Richardson central difference of the loss in input ``i``, element ``k``, with its error
    estimate; None where the point is skipped (no room in the domain, non-finite, not smooth)."""
    make_inputs, launch = _launch_api()
    spec = program.args[i]

    def outputs_at(delta: float) -> tuple[dict, float]:
        vals = make_inputs(program, seed, kernel)
        view = vals[i].numpy().reshape(-1)
        view[k] = view[k] + view.dtype.type(delta)
        actual = float(view[k])
        launch(program, kernel, vals, device="cpu")
        return {j: np.array(vals[j].numpy(), dtype=np.float64) for j in g.outputs}, actual

    def loss_of(outs: dict) -> float:
        return float(sum(np.sum(g.weights[j] * outs[j]) for j in g.outputs))

    base, x0 = outputs_at(0.0)
    h = s.eps * max(1.0, abs(x0))
    room = min(x0 - spec.low, spec.high - x0) if spec.high > spec.low else h
    if room < h:
        if room < h / 10:
            return None
        h = room
    f0 = loss_of(base)
    f, x = {}, {}
    for step in (h, -h, h / 2, -h / 2):
        outs, x[step] = outputs_at(step)
        f[step] = loss_of(outs)
        if step == h:  # rounding differs between the two launches only in the outputs this element moves
            moved = math.sqrt(sum(float(np.sum(((g.weights[j] * base[j])[outs[j] != base[j]]) ** 2)) for j in g.outputs))
    if not all(math.isfinite(v) for v in f.values()) or len(set(x.values()) | {x0}) < 5:
        return None
    c1 = (f[h] - f[-h]) / (x[h] - x[-h])
    c2 = (f[h / 2] - f[-h / 2]) / (x[h / 2] - x[-h / 2])
    # one-sided asymmetry: ~h*f'' (so it halves with h) where f is smooth; a kink or jump
    # within the stencil keeps it from halving
    a1 = (f[h] - f0) / (x[h] - x0) - (f0 - f[-h]) / (x0 - x[-h])
    a2 = (f[h / 2] - f0) / (x[h / 2] - x0) - (f0 - f[-h / 2]) / (x0 - x[-h / 2])
    # loss rounding (a few ulps of the moved outputs) over the step, and the resolution floor:
    # a derivative so small that the step moves no output by an ulp reads as exactly 0
    noise = 4.0 * s.unit * moved / (h / 2) + 2.0 * s.unit * s.out_scale / h
    if abs(a2 - a1 / 2) > 0.25 * s.rtol * max(abs(c2), s.atol) + noise:
        return None
    fd = (4.0 * c2 - c1) / 3.0  # Richardson: cancels the h^2 term
    fd_err = 2.0 * abs(c1 - c2) + noise  # truncation + rounding, estimated from the two steps
    return {"arg": spec.name, "k": k, "x": x0, "h": h, "c1": c1, "c2": c2, "fd": fd, "fd_err": fd_err,
            "a1": a1, "a2": a2, "noise": noise}


def grad_check(program: Any, kernel: Any, seed: int, changed: list[int], tol: GradTolerances,
               primal_grad: bool = False) -> GradOutcome:
    """``wp.Tape`` adjoint vs central finite differences on a few input elements.

    Loss = sum(w * outputs) with fixed random weights w. Finite differences use
    steps h and h/2: where they disagree grossly the point straddles a branch
    discontinuity and is skipped; otherwise the Richardson estimate is compared
    with the adjoint, allowing the FD error estimate on top of the tolerance.
    ``primal_grad``: take the adjoint with ``PrimalGradTape`` (kernels with ``ADJOINT_SHAPE_RESET``).
    """
    g = _grad_setup(program, kernel, seed, changed)
    if isinstance(g, GradOutcome):
        return g
    eps, rtol, atol_rel = (tol.eps64, tol.rtol64, tol.atol64) if g.f64 else (tol.eps32, tol.rtol32, tol.atol32)
    adjoint, base_out = _adjoint(program, kernel, seed, g, primal_grad)
    if not all(np.all(np.isfinite(a)) for a in adjoint.values()):
        return GradOutcome(True, reject="adjoint has non-finite values")
    # absolute tolerance relative to the gradient's own scale (not the outputs'): a small
    # gradient that is wrong by 20% must not hide under the size of the outputs
    grad_scale = max(float(np.max(np.abs(a), initial=0.0)) for a in adjoint.values())
    out_scale = max(float(np.max(np.abs(g.weights[j] * base_out[j]), initial=0.0)) for j in g.outputs)
    scale = _Scale(eps, rtol, atol_rel * max(grad_scale, 1e-12), 2.0**-52 if g.f64 else 2.0**-23, out_scale)
    out = GradOutcome(True, max_rel_err=0.0)
    for i, k in _candidates(g, adjoint, tol.points):
        if out.checked >= tol.points:
            break
        p = _fd_point(program, kernel, seed, g, i, k, scale)
        if p is None:
            out.skipped += 1
            continue
        ad, fd = adjoint[i][k], p["fd"]
        diff = abs(ad - fd)
        allowed = scale.atol + rtol * max(abs(ad), abs(fd)) + p["fd_err"]
        # relative to what finite differences can resolve: two values both below the FD error
        # agree "within noise", they do not differ by 100%
        rel = diff / max(abs(ad), abs(fd), scale.atol + p["fd_err"])
        out.points.append(dict(p, adjoint=ad, allowed=allowed, rel=rel))
        out.checked += 1
        out.max_rel_err = float(max(out.max_rel_err, rel))
        if diff > allowed:
            out.reject = (f"gradient mismatch d(loss)/d{p['arg']}[{k}]: adjoint {ad:.6g} vs finite difference {fd:.6g} "
                          f"(rel err {rel:.3g}, allowed {allowed:.3g})")
            return out
    if out.checked == 0:
        out.max_rel_err = None
        out.note = f"no smooth point found among {out.skipped} tried"
    return out


def io_json(io: dict) -> str:
    return json.dumps(io, sort_keys=True, separators=(",", ":"))

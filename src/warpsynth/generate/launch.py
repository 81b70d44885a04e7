"""Make seeded inputs for a generated program and launch it.

``make_inputs(program, seed, kernel)`` turns the program's :class:`ArgSpec` list
into Warp values, deterministically from ``seed`` (numpy ``default_rng``):

* ``array``: a ``wp.array`` of ``shape`` (plus the element's component shape),
  drawn uniformly from [low, high] (integer dtypes inclusive); outputs have
  ``low == high == 0`` and start as zeros.
* ``scalar``: ``value`` converted to the parameter's dtype.
* ``value``: a vector/matrix value drawn per component from [low, high].
* ``struct``: an instance of the kernel's struct type with each field set as above
  (needs ``kernel`` to find the struct class); a field of kind ``struct`` is a nested
  struct filled the same way.
* ``array`` with ``fields`` (an array of structs): one struct instance per element,
  each ``field`` spec drawn per element from [low, high].
* host objects, passed to the kernel as their ``wp.uint64`` id and kept alive on the
  returned list's ``hosts`` (see :mod:`warpsynth.generate.hosts`): ``mesh``,
  ``bvh``, ``hashgrid`` (built over the ``vec3`` array its ``fields[0]`` names) and
  ``volume``.

``launch(program, kernel, inputs, device)`` runs it with ``wp.launch`` or, for
tiled programs, ``wp.launch_tiled`` with the program's ``block_dim``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

import numpy as np
import warp as wp

from warpsynth.errors import WarpsynthError
from warpsynth.generate import types as T
from warpsynth.generate.hosts import HOST_KINDS, make_host
from warpsynth.generate.program import ArgSpec, KernelProgram

_NP = {
    "float16": np.float16, "float32": np.float32, "float64": np.float64, "int8": np.int8, "int16": np.int16,
    "int32": np.int32, "int64": np.int64, "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32,
    "uint64": np.uint64, "bool": np.bool_,
}


@lru_cache(maxsize=None)
def wtype(dtype: str) -> T.WType:
    """The modeled type named ``dtype`` (``float32``, ``vec3``, ``mat33d``, ``transform``...)."""
    for t in T.all_value_types():
        if t.type_name() == dtype:
            return t
    raise WarpsynthError(f"unknown generated dtype {dtype!r}")


def _draw(rng: np.random.Generator, t: T.WType, shape: tuple[int, ...], low: float, high: float) -> np.ndarray:
    full = tuple(shape) + (() if t.kind in ("scalar", "bool") else tuple(t.shape))
    np_dtype = _NP[t.dtype]
    if t.kind == "bool":
        return rng.integers(0, 2, size=full).astype(np.bool_)
    if np.issubdtype(np_dtype, np.integer):
        return rng.integers(int(low), int(high), size=full, endpoint=True).astype(np_dtype)
    return rng.uniform(low, high, size=full).astype(np_dtype)


def _distinct_pairs(rng: np.random.Generator, data: np.ndarray, low: int, high: int) -> np.ndarray:
    """``data`` (index pairs, consecutive in memory) with each pair's second end moved off its first:
    ``j = low + (i - low + 1 + r) % (high - low + 1)`` with ``r`` uniform in ``[0, high - low - 1]``."""
    flat = data.reshape(-1, 2)
    span = high - low + 1
    if span < 2:
        raise ValueError(f"distinct index pairs need at least two indices, got [{low}, {high}]")
    shift = 1 + rng.integers(0, span - 1, size=len(flat), endpoint=False)
    flat[:, 1] = low + (flat[:, 0] - low + shift) % span
    return flat.reshape(data.shape)


def _value(rng: np.random.Generator, spec: ArgSpec) -> Any:
    t = wtype(spec.dtype)
    if spec.kind == "scalar":
        return t.warp(spec.value)
    if spec.kind == "draw":
        return t.warp(_draw(rng, t, (), spec.low, spec.high).item())
    if spec.kind == "value":
        comps = _draw(rng, t, (), spec.low, spec.high).reshape(-1)
        return t.warp(*[c.item() for c in comps])
    raise WarpsynthError(f"argument {spec.name!r}: kind {spec.kind!r} is not a value")


def _struct_type(kernel: Any, index: int, name: str) -> Any:
    if kernel is None:
        raise WarpsynthError(f"argument {name!r} is a struct: pass the kernel so its struct type can be found")
    return kernel.adj.args[index].type


def _field_value(rng: np.random.Generator, spec: ArgSpec, struct_type: Any) -> Any:
    if spec.kind == "struct":
        return _struct_value(rng, struct_type.vars[spec.name].type, spec.fields)
    if spec.kind == "field":  # a per-element field of an array of structs: drawn like a "value"
        return _value(rng, ArgSpec(spec.name, "value" if wtype(spec.dtype).kind != "scalar" else "draw", spec.dtype,
                                   low=spec.low, high=spec.high))
    return _value(rng, spec)


def _struct_value(rng: np.random.Generator, struct_type: Any, fields: Sequence[ArgSpec]) -> Any:
    inst = struct_type()
    for field in fields:
        setattr(inst, field.name, _field_value(rng, field, struct_type))
    return inst


class Inputs(list):
    """Launch values in parameter order; ``hosts`` keeps meshes, BVHs, hash grids and volumes alive."""

    hosts: list


def make_inputs(program: KernelProgram, seed: int, kernel: Any = None, device: str = "cpu") -> Inputs:
    """Warp values for ``program``'s arguments, in parameter order, deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    out = Inputs()
    out.hosts = []
    hosts = [i for i, spec in enumerate(program.args) if spec.kind in HOST_KINDS]
    for index, spec in enumerate(program.args):
        if spec.kind == "array" and spec.fields:
            st = _struct_type(kernel, index, spec.name).dtype
            items = [_struct_value(rng, st, spec.fields) for _ in range(int(np.prod(spec.shape)))]
            out.append(wp.array(items, dtype=st, device=device).reshape(spec.shape))
        elif spec.kind == "array":
            t = wtype(spec.dtype)
            data = _draw(rng, t, spec.shape, spec.low, spec.high)
            if spec.pairs:
                data = _distinct_pairs(rng, data, int(spec.low), int(spec.high))
            out.append(wp.array(data, dtype=t.warp, device=device))
        elif spec.kind == "struct":
            out.append(_struct_value(rng, _struct_type(kernel, index, spec.name), spec.fields))
        elif spec.kind in HOST_KINDS:
            out.append(None)  # built below, once every array exists
        else:
            out.append(_value(rng, spec))
    named = {s.name: v for s, v in zip(program.args, out)}
    for index in hosts:
        host = make_host(program.args[index], rng, named, device)
        out.hosts.append(host)
        out[index] = host.id
    return out


def launch(program: KernelProgram, kernel: Any, inputs: Sequence, device: str = "cpu", block_dim: int | None = None) -> None:
    """Launch ``kernel`` (loaded from ``program.source``) on ``inputs`` and wait for it.

    ``block_dim`` (threads per CUDA block) applies to per-thread kernels only; None is Warp's
    default (256). A tiled program always launches with its own ``program.block_dim``.
    """
    if program.tiled:
        wp.launch_tiled(kernel, dim=list(program.launch_dim), inputs=list(inputs), block_dim=program.block_dim, device=device)
    else:
        wp.launch(kernel, dim=list(program.launch_dim), inputs=list(inputs), device=device, block_dim=block_dim)
    wp.synchronize_device(device)


def outputs_finite(program: KernelProgram, inputs: Sequence) -> list[str]:
    """Names of array arguments holding a NaN/Inf after a launch (empty when all finite)."""
    bad = []
    for spec, value in zip(program.args, inputs):
        if spec.kind == "array":
            data = value.numpy()
            if np.issubdtype(data.dtype, np.floating) and not np.isfinite(data).all():
                bad.append(spec.name)
    return bad

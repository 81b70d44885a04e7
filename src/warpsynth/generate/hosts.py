"""Host objects that query kernels need, built deterministically from a seed.

A kernel parameter of kind ``mesh``, ``bvh``, ``hashgrid`` or ``volume`` (see
:class:`~warpsynth.generate.program.ArgSpec`) is a ``wp.uint64`` id; the object
behind it is built here from the spec and the launch's numpy ``Generator``:

* ``mesh``: a height-field surface over the square [-1, 1]^2 (x, z) with
  ``shape = (nx, nz)`` vertices and heights drawn from [low, high];
  2 (nx-1)(nz-1) triangles. It is an open surface, so only
  ``wp.mesh_query_point_sign_normal`` gives a meaningful sign (kernels use no other).
* ``bvh``: ``shape[0]`` axis-aligned boxes, centres drawn from [low, high]^3,
  half extents from [0.05, 0.25]; or, when ``fields`` names two ``vec3`` arrays
  (lowers, extents), the boxes [lowers, lowers + |extents|] the kernel itself reads.
* ``hashgrid``: a ``wp.HashGrid`` of ``shape`` cells built over the ``vec3``
  array argument named by ``fields[0].name`` with cell radius ``value``.
* ``volume``: a dense float32 NanoVDB grid of ``shape`` voxels (voxel size
  ``value``, origin at 0), voxel values drawn from [low, high].

All four build on the CPU (checked with Warp 1.19 in tests/test_motifs.py).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import warp as wp

from warpsynth.errors import WarpsynthError
from warpsynth.generate.program import ArgSpec

HOST_KINDS = frozenset({"mesh", "bvh", "hashgrid", "volume"})


def _mesh(spec: ArgSpec, rng: np.random.Generator, device: str) -> Any:
    nx, nz = spec.shape
    xs, zs = np.meshgrid(np.linspace(-1.0, 1.0, nx), np.linspace(-1.0, 1.0, nz), indexing="ij")
    ys = rng.uniform(spec.low, spec.high, size=(nx, nz))
    points = np.stack([xs, ys, zs], axis=-1).reshape(-1, 3).astype(np.float32)
    tris = []
    for a in range(nx - 1):
        for c in range(nz - 1):
            v00, v01, v10, v11 = a * nz + c, a * nz + c + 1, (a + 1) * nz + c, (a + 1) * nz + c + 1
            tris += [v00, v01, v11, v00, v11, v10]
    return wp.Mesh(points=wp.array(points, dtype=wp.vec3, device=device),
                   indices=wp.array(np.asarray(tris, dtype=np.int32), dtype=wp.int32, device=device))


def _bvh(spec: ArgSpec, rng: np.random.Generator, named: Mapping[str, Any], device: str) -> Any:
    if spec.fields:  # built over the kernel's own box arrays: lowers, and extents added to them
        lowers = _ref(spec, 0, named)
        uppers = wp.array(lowers.numpy() + np.abs(_ref(spec, 1, named).numpy()), dtype=wp.vec3, device=device)
        return wp.Bvh(lowers, uppers)
    n = spec.shape[0]
    centers = rng.uniform(spec.low, spec.high, size=(n, 3))
    half = rng.uniform(0.05, 0.25, size=(n, 3))
    return wp.Bvh(wp.array((centers - half).astype(np.float32), dtype=wp.vec3, device=device),
                  wp.array((centers + half).astype(np.float32), dtype=wp.vec3, device=device))


def _ref(spec: ArgSpec, k: int, named: Mapping[str, Any]) -> Any:
    ref = spec.fields[k].name if len(spec.fields) > k else None
    value = named.get(ref)
    if value is None:
        raise WarpsynthError(f"argument {spec.name!r}: array {ref!r} it is built over is not an argument of the kernel")
    return value


def _hashgrid(spec: ArgSpec, named: Mapping[str, Any], device: str) -> Any:
    points = _ref(spec, 0, named)
    grid = wp.HashGrid(*spec.shape, device=device)
    grid.build(points, float(spec.value))
    return grid


def _volume(spec: ArgSpec, rng: np.random.Generator, device: str) -> Any:
    values = rng.uniform(spec.low, spec.high, size=tuple(spec.shape)).astype(np.float32)
    return wp.Volume.load_from_numpy(values, min_world=(0.0, 0.0, 0.0), voxel_size=float(spec.value), bg_value=0.0,
                                     device=device)


def make_host(spec: ArgSpec, rng: np.random.Generator, named: Mapping[str, Any], device: str = "cpu") -> Any:
    """The host object for ``spec`` (its ``.id`` is the kernel argument); ``named``: earlier arguments by name."""
    if spec.kind == "mesh":
        return _mesh(spec, rng, device)
    if spec.kind == "bvh":
        return _bvh(spec, rng, named, device)
    if spec.kind == "hashgrid":
        return _hashgrid(spec, named, device)
    if spec.kind == "volume":
        return _volume(spec, rng, device)
    raise WarpsynthError(f"argument {spec.name!r}: unknown host object kind {spec.kind!r}")

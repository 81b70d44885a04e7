"""Sampling a sparse ``wp.Volume`` (NanoVDB): trilinear lookups, gradients and SDF collision
(cf. Warp's ``example_sample_volume``-style tests and ``warp.sim`` particle-volume contact).

One thread per point, writing only its own slot.  The volume is a dense float
grid built from the launch seed (``generate.hosts``); query points are drawn
inside its world-space bounds.  Volume sampling takes ``float32`` coordinates.
"""

from __future__ import annotations

import ast

from warpsynth.generate.motifs import common
from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.motifs.kit import X, assign, if_, name, wp
from warpsynth.generate.program import KernelProgram


def _index_point(b: MotifBuilder, vol: X, p: X, body: list[ast.stmt]) -> X:
    uvw = b.fresh(b.pick(["uvw", "q", "index_pos"]))
    body.append(assign(uvw, wp.volume_world_to_index(vol, p)))
    return name(uvw)


def build(b: MotifBuilder) -> KernelProgram:
    b.force_f32()
    b.differentiable = False
    variant = b.variant()
    res, voxel = b.pick([8, 12, 16]), b.pick([0.05, 0.1, 0.125])
    n = b.pick([32, 64, 128])
    vol = b.host(b.pick(["volume", "sdf", "density_field", "vol"]), "volume", (res, res, res), value=voxel,
                 low=-0.5 if variant == "sdf_collide" else 0.0, high=1.0)
    extent = res * voxel
    pts = b.array(b.pick(["points", "x", "positions"]), "vec3", wp.vec3, (n,), low=0.0, high=extent)
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    p = b.fresh("p")
    body: list[ast.stmt] = [t_stmt, assign(p, pts[t])]
    mode = wp.Volume.dot(b.pick(["LINEAR", "LINEAR", "CLOSEST"])) if variant == "sample_linear" else wp.Volume.dot("LINEAR")
    if variant == "sample_linear":
        out = b.array(b.pick(["values", "samples", "density"]), "float32", name("float"), (n,), role="out")
        uvw = _index_point(b, vol, name(p), body)
        body.append(assign(out[t], wp.volume_sample_f(vol, uvw, mode)))
        return b.finish(b.pick(["sample_volume", "sample_field", "lookup_density"]), body, (n,))
    grad, d = b.fresh(b.pick(["grad", "g"])), b.fresh(b.pick(["d", "phi", "value"]))
    uvw = _index_point(b, vol, name(p), body)
    body += [assign(grad, wp.vec3()), assign(d, wp.volume_sample_grad_f(vol, uvw, mode, name(grad)))]
    if variant == "sample_gradient":
        out = b.array(b.pick(["gradients", "grad_out", "normals"]), "vec3", wp.vec3, (n,), role="out")
        values = b.array(b.pick(["values", "phi_out", "sdf_values"]), "float32", name("float"), (n,), role="out")
        body += [assign(out[t], wp.normalize(name(grad)) if b.rng.random() < 0.5 else name(grad)), assign(values[t], name(d))]
        return b.finish(b.pick(["sample_gradient", "field_gradient", "compute_normals"]), body, (n,))
    radius = b.scalar(b.pick(["radius", "particle_radius", "thickness"]), b.pick([0.01, 0.05, 0.1]))
    out = b.array(b.pick(["x_out", "x_new", "corrected"]), "vec3", wp.vec3, (n,), role="out")
    nrm = b.fresh("n")
    body.append(if_(name(d).lt(radius), [assign(nrm, wp.normalize(name(grad))),
                                         assign(p, name(p) + name(nrm) * (radius - name(d)))]))
    body.append(assign(out[t], name(p)))
    return b.finish(b.pick(["collide_sdf", "volume_collision", "push_out"]), body, (n,))

"""Sampling a ``wp.Volume`` (NanoVDB): trilinear lookups, gradients, SDF collision, ray marching
and index-space loops over voxels (cf. Warp's volume examples and ``warp.sim`` SDF contact).

One thread per point / pixel / voxel, writing only its own slots.  The volume is a dense
float grid built from the launch seed (``generate.hosts``); query points are drawn inside
its world-space bounds.  Volume sampling takes ``float32`` coordinates.
"""

from __future__ import annotations

import ast

from warpsynth.generate.motifs import common
from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.motifs.kit import X, assign, aug, for_, if_, name, ret, wp
from warpsynth.generate.program import KernelProgram

F = name("float")


def _index_point(b: MotifBuilder, vol: X, p: X, body: list[ast.stmt], world: bool = True) -> X:
    """World -> index space (``volume_world_to_index``), bound to a local or inline; points given in
    index space (``world=False``) are used as they are."""
    if not world:
        return p
    return b.let(b.pick(["uvw", "q", "index_pos"]), wp.volume_world_to_index(vol, p), body)


def _mode(b: MotifBuilder) -> X:
    return wp.Volume.dot(b.pick(["LINEAR", "LINEAR", "CLOSEST"]))


def _transfer(b: MotifBuilder, value: X) -> X:
    """What an application does with a sampled value: as is, scaled, thresholded, or as opacity."""
    kind = b.pick(["raw", "raw", "scale", "threshold", "opacity"])
    if kind == "scale":
        return value * b.scalar(b.pick(["scale", "gain"]), b.pick([0.5, 2.0, 10.0]))
    if kind == "threshold":
        iso = b.scalar(b.pick(["iso", "threshold"]), b.pick([0.25, 0.5]))
        return wp.where(value.gt(iso), 1.0, 0.0)
    sigma = b.scalar(b.pick(["sigma", "density_scale"]), b.pick([1.0, 4.0]))
    return b.maybe_func(["opacity", "absorb", "to_alpha"], [("d", F, value), ("sigma", F, sigma)],
                        lambda d_, s_: 1.0 - wp.exp(-s_ * wp.max(d_, 0.0)), F)


def _points(b: MotifBuilder, vol: X, n: int, extent: float, res: int, variant: str) -> KernelProgram:
    world = variant != "sample_linear" or b.rng.random() < 0.7
    if world:
        pts = b.array(b.pick(["points", "x", "positions"]), "vec3", wp.vec3, (n,), low=0.0, high=extent)
    else:
        pts = b.array(b.pick(["coords", "index_coords", "ijk"]), "vec3", wp.vec3, (n,), low=0.0, high=float(res - 1))
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    p = b.fresh("p")
    body: list[ast.stmt] = [t_stmt] + common.active_guard(b, n, t) + [assign(p, pts[t])]
    if variant == "sample_linear":
        out = b.array(b.pick(["values", "samples", "density"]), "float32", F, (n,), role="out")
        uvw = _index_point(b, vol, name(p), body, world)
        b.store(out, t, _transfer(b, wp.volume_sample_f(vol, uvw, _mode(b))), body)
        return b.finish(b.pick(["sample_volume", "sample_field", "lookup_density"]), body, (n,))
    grad, d = b.fresh(b.pick(["grad", "g"])), b.fresh(b.pick(["d", "phi", "value"]))
    uvw = _index_point(b, vol, name(p), body)
    if b.rng.random() < 0.3:  # central differences in index space through a sampling helper
        q = name("q")
        at = b.func(b.pick(["sample", "sdf_at", "field_at"]), [("v", wp.uint64), ("q", wp.vec3)],
                    [ret(wp.volume_sample_f(name("v"), q, wp.Volume.dot("LINEAR")))], F)
        c = name(b.fresh("c")) if not isinstance(uvw.node, ast.Name) else uvw
        if c is not uvw:
            body.append(assign(c, uvw))
        ex, ey, ez = wp.vec3(1.0, 0.0, 0.0), wp.vec3(0.0, 1.0, 0.0), wp.vec3(0.0, 0.0, 1.0)
        comps = [name(at)(vol, c + e) - name(at)(vol, c - e) for e in (ex, ey, ez)]
        body += [assign(d, name(at)(vol, c)), assign(grad, wp.vec3(*comps) * 0.5)]
    else:
        body += [assign(grad, b.zero(wp.vec3)), assign(d, wp.volume_sample_grad_f(vol, uvw, wp.Volume.dot("LINEAR"), name(grad)))]
    if variant == "sample_gradient":
        out = b.array(b.pick(["gradients", "grad_out", "normals"]), "vec3", wp.vec3, (n,), role="out")
        values = b.array(b.pick(["values", "phi_out", "sdf_values"]), "float32", F, (n,), role="out")
        # the sampled gradient is per index unit (volume.h): volume_world_to_index_dir turns it into world
        # units (exact for these uniform, axis-aligned voxels); a normalized direction needs no conversion
        g = wp.normalize(name(grad)) if b.rng.random() < 0.5 else wp.volume_world_to_index_dir(vol, name(grad))
        body += [assign(out[t], g), assign(values[t], name(d))]
        return b.finish(b.pick(["sample_gradient", "field_gradient", "compute_normals"]), body, (n,))
    radius = b.scalar(b.pick(["radius", "particle_radius", "thickness"]), b.pick([0.01, 0.05, 0.1]))
    out = b.array(b.pick(["x_out", "x_new", "corrected"]), "vec3", wp.vec3, (n,), role="out")
    nrm = b.fresh("n")
    fix = [assign(nrm, wp.normalize(name(grad))), assign(p, name(p) + name(nrm) * (radius - name(d)))]
    if b.rng.random() < 0.4:
        vel = b.array(b.pick(["v", "vel"]), "vec3", wp.vec3, (n,), low=-1.0, high=1.0)
        v_out = b.array(b.pick(["v_out", "v_new"]), "vec3", wp.vec3, (n,), role="out")
        v = b.fresh("vi")
        body.insert(2, assign(v, vel[t]))
        fix.append(assign(v, name(v) - name(nrm) * wp.min(wp.dot(name(v), name(nrm)), 0.0)))
        body += [if_(name(d).lt(radius), fix), assign(out[t], name(p)), assign(v_out[t], name(v))]
    else:
        body += [if_(name(d).lt(radius), fix), assign(out[t], name(p))]
    return b.finish(b.pick(["collide_sdf", "volume_collision", "push_out"]), body, (n,))


def _ray_march(b: MotifBuilder, vol: X, extent: float) -> KernelProgram:
    """Emission-absorption ray marching through the volume, one pixel per thread."""
    w, h = b.pick([8, 16]), b.pick([8, 12])
    n_steps = b.constant("NUM_STEPS", b.pick([16, 32, 64])) if b.chance("module_constant") else b.int_param("num_steps", b.pick([16, 32]))
    size = b.scalar(b.pick(["domain_size", "extent", "box_size"]), extent)
    ds = b.scalar(b.pick(["step_size", "ds"]), round(extent / 32.0, 4))
    sigma = b.scalar(b.pick(["sigma", "density_scale"]), b.pick([1.0, 4.0, 10.0]))
    img = b.array(b.pick(["image", "pixels", "opacity"]), "float32", F, (w, h), role="out")
    t_stmt, (i, j) = common.tid(b, b.pick([("i", "j"), ("x", "y")]))
    o, dirn, T, s = b.fresh("origin"), b.fresh("ray_dir"), b.fresh("transmittance"), "s"
    u = (F(i) + 0.5) / F(img.dot("shape")[0]) * size
    v = (F(j) + 0.5) / F(img.dot("shape")[1]) * size
    body: list[ast.stmt] = [t_stmt, assign(o, wp.vec3(u, size, v))]
    if b.rng.random() < 0.4:
        d = b.value(b.pick(["view_dir", "direction"]), "vec3", wp.vec3, -1.0, -0.2)
        body.append(assign(dirn, wp.normalize(d)))
    else:
        body.append(assign(dirn, wp.vec3(0.0, -1.0, 0.0)))
    body.append(assign(T, F(1.0)))
    p, rho = b.fresh("p"), b.fresh(b.pick(["rho", "density"]))
    loop = [assign(p, name(o) + name(dirn) * (F(name(s)) * ds)),
            assign(rho, wp.max(wp.volume_sample_f(vol, wp.volume_world_to_index(vol, name(p)), wp.Volume.dot("LINEAR")), 0.0))]
    emit = b.rng.random() < 0.5
    if emit:
        L = b.fresh(b.pick(["radiance", "color"]))
        body.append(assign(L, F(0.0)))
        loop.append(aug(L, "+", name(T) * name(rho) * ds))
    loop.append(assign(T, name(T) * wp.exp(-sigma * name(rho) * ds)))
    if b.rng.random() < 0.5:
        loop.append(if_(name(T).lt(0.01), [ast.Break()]))
    body += [for_(s, [n_steps], loop)]
    if emit:
        rad = b.array(b.pick(["radiance_out", "emission"]), "float32", F, (w, h), role="out")
        b.store(rad, (i, j), name(L), body)
    b.store(img, (i, j), 1.0 - name(T), body)
    return b.finish(b.pick(["ray_march", "render_volume", "march_rays"]), body, (w, h))


def _voxels(b: MotifBuilder, vol: X, res: int) -> KernelProgram:
    """Index-space loop over voxels: ``volume_lookup_f`` and a central-difference Laplacian/gradient."""
    out_grad = b.rng.random() < 0.5
    out = b.array(b.pick(["grad", "grad_field"]) if out_grad else b.pick(["lap", "smoothed"]),
                  "vec3" if out_grad else "float32", wp.vec3 if out_grad else F, (res, res, res), role="out")
    t_stmt, (i, j, k) = common.tid(b, ("i", "j", "k"))
    L = lambda a, c, e: wp.volume_lookup_f(vol, a, c, e)  # noqa: E731
    body: list[ast.stmt] = [t_stmt]
    if b.rng.random() < 0.35:  # also write each voxel centre's world position
        centers = b.array(b.pick(["voxel_pos", "centers", "world_pos"]), "vec3", wp.vec3, (res, res, res), role="out")
        ijk = wp.vec3(F(i), F(j), F(k))
        body.append(assign(centers[i, j, k], wp.volume_index_to_world(vol, ijk)))
    if b.rng.random() < 0.5:  # skip the border (lookups outside the grid return the background value)
        shape = out.dot("shape")  # each index against its own axis: right for any grid, not only a cube
        edge = i.eq(0).or_(j.eq(0)).or_(k.eq(0)).or_(i.eq(shape[0] - 1)).or_(j.eq(shape[1] - 1)).or_(k.eq(shape[2] - 1))
        body.append(if_(edge, [ast.Return(None)]))
        b.features.add("early_return")
    if out_grad:
        g = wp.vec3(L(i + 1, j, k) - L(i - 1, j, k), L(i, j + 1, k) - L(i, j - 1, k), L(i, j, k + 1) - L(i, j, k - 1))
        b.store(out, (i, j, k), g * 0.5, body)
    else:
        c = b.fresh("center")
        body.append(assign(c, L(i, j, k)))
        nb = L(i + 1, j, k) + L(i - 1, j, k) + L(i, j + 1, k) + L(i, j - 1, k) + L(i, j, k + 1) + L(i, j, k - 1)
        if b.rng.random() < 0.5:
            b.store(out, (i, j, k), nb - 6.0 * name(c), body)
        else:
            b.store(out, (i, j, k), (nb + name(c)) / 7.0, body)
    return b.finish(b.pick(["volume_gradient", "voxel_gradient"] if out_grad else ["volume_laplacian", "smooth_voxels"]),
                    body, (res, res, res))


def build(b: MotifBuilder) -> KernelProgram:
    b.force_f32()
    b.differentiable = False
    variant = b.variant()
    res, voxel = b.pick([8, 12, 16]), b.pick([0.05, 0.1, 0.125])
    vol = b.host(b.pick(["volume", "sdf", "density_field", "vol"]), "volume", (res, res, res), value=voxel,
                 low=-0.5 if variant == "sdf_collide" else 0.0, high=1.0)
    if variant == "ray_march":
        return _ray_march(b, vol, res * voxel)
    if variant == "voxels":
        return _voxels(b, vol, res)
    return _points(b, vol, b.pick([32, 64, 128]), res * voxel, res, variant)

"""Neighbour sums over a ``wp.HashGrid`` (cf. Warp's ``example_sph.py`` and DEM examples).

One thread per particle: it queries the grid around its own position, accumulates
over neighbours within the radius and writes only its own output slot.  The grid is
built on the launch's position array (``generate.hosts``).  Hash grid queries take
``float32`` points, so this family is single precision.
"""

from __future__ import annotations

import ast

from warpsynth.generate.motifs import common
from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.motifs.kit import X, aug, assign, cont, for_, if_, name, ret, while_, wp
from warpsynth.generate.motifs.kit import func as fdef
from warpsynth.generate.program import KernelProgram


def _kernel_fn(b: MotifBuilder, kind: str) -> str:
    """A smoothing kernel ``@wp.func`` of the distance ``r`` and radius ``h``."""
    r, h = name("r"), name("h")
    if kind == "poly6":
        body = [if_(r.ge(h), [ret(0.0)]), assign("q", h * h - r * r),
                ret(315.0 / (64.0 * wp.pi * wp.pow(h, 9.0)) * name("q") * name("q") * name("q"))]
        return b.func(b.pick(["poly6", "density_kernel", "w_poly6"]), [("r", name("float")), ("h", name("float"))], body, name("float"))
    body = [assign("q", wp.max(h - r, 0.0)), ret(45.0 / (wp.pi * wp.pow(h, 6.0)) * name("q"))]
    return b.func(b.pick(["viscosity_laplacian", "visc_kernel"]), [("r", name("float")), ("h", name("float"))], body, name("float"))


def _loop(b: MotifBuilder, grid: X, xi: X, radius: X, body: list[ast.stmt], index: str) -> list[ast.stmt]:
    """``for index in wp.hash_grid_query(...)`` or the older ``while wp.hash_grid_query_next`` form."""
    q = b.fresh(b.pick(["query", "neighbors"]))
    if b.rng.random() < 0.6:
        return [assign(q, wp.hash_grid_query(grid, xi, radius)), ast.For(ast.Name(index, ast.Store()), name(q).node, body, [], lineno=0)]
    b.features.add("query_next_loop")
    return [assign(q, wp.hash_grid_query(grid, xi, radius)), assign(index, name("int")(0)),
            while_(wp.hash_grid_query_next(name(q), name(index)), body)]


def build(b: MotifBuilder) -> KernelProgram:
    b.force_f32()
    variant = b.variant()
    n = b.pick([32, 64, 128])
    x = b.array(b.pick(["x", "particle_x", "positions"]), "vec3", wp.vec3, (n,), low=0.0, high=1.0)
    radius_value = b.pick([0.1, 0.15, 0.2, 0.25])
    grid = b.host(b.pick(["grid", "hash_grid"]), "hashgrid", (8, 8, 8), value=radius_value, refs=(x.text(),))
    radius = b.scalar(b.pick(["radius", "smoothing_length", "h"]), radius_value)
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    xi, index, d, r = b.fresh("xi"), b.fresh(b.pick(["j", "index", "nbr"])), b.fresh("d"), b.fresh("dist")
    body: list[ast.stmt] = [t_stmt, assign(xi, x[t])]
    inner: list[ast.stmt] = [assign(d, name(xi) - x[name(index)]), assign(r, wp.length(name(d)))]
    b.differentiable = False
    if variant == "density":
        mass = b.scalar(b.pick(["mass", "particle_mass"]), b.pick([0.01, 0.02, 0.1]))
        w = _kernel_fn(b, "poly6")
        rho = b.array(b.pick(["rho", "density", "densities"]), "float32", name("float"), (n,), role="out")
        acc = b.fresh("rho_i")
        body.append(assign(acc, name("float")(0.0)))
        inner.append(aug(acc, "+", mass * name(w)(name(r), radius)))
        body += _loop(b, grid, name(xi), radius, inner, index.__str__())
        body.append(assign(rho[t], name(acc)))
    elif variant == "viscosity":
        v = b.array(b.pick(["v", "particle_v", "velocities"]), "vec3", wp.vec3, (n,), low=-0.5, high=0.5)
        mu = b.scalar(b.pick(["viscosity", "mu"]), b.pick([0.01, 0.1, 0.5]))
        w = _kernel_fn(b, "visc")
        out = b.array(b.pick(["f_visc", "accel", "dv"]), "vec3", wp.vec3, (n,), role="out")
        acc, vi = b.fresh("f"), b.fresh("vi")
        body += [assign(vi, v[t]), assign(acc, wp.vec3())]
        inner += [if_(name(r).lt(radius), [aug(acc, "+", (v[name(index)] - name(vi)) * (mu * name(w)(name(r), radius)))])]
        body += _loop(b, grid, name(xi), radius, inner, index)
        body.append(assign(out[t], name(acc)))
    elif variant == "count":
        out = b.array(b.pick(["counts", "neighbor_count", "num_neighbors"]), "int32", name("int"), (n,), role="out")
        acc = b.fresh("count")
        body.append(assign(acc, name("int")(0)))
        inner += [if_(name(r).le(radius), [aug(acc, "+", 1)])]
        body += _loop(b, grid, name(xi), radius, inner, index)
        body.append(assign(out[t], name(acc)))
    else:
        k = b.scalar(b.pick(["k_contact", "stiffness", "ke"]), b.pick([10.0, 100.0, 1000.0]))
        out = b.array(b.pick(["f", "particle_f", "forces"]), "vec3", wp.vec3, (n,), role="out")
        acc = b.fresh("f")
        body.append(assign(acc, wp.vec3(0.0)))
        inner += [if_(name(index).eq(t).or_(name(r).ge(radius)).or_(name(r).lt(1.0e-6)), [cont()]),
                  aug(acc, "+", name(d) / name(r) * (k * (radius - name(r))))]
        body += _loop(b, grid, name(xi), radius, inner, index)
        body.append(assign(out[t], name(acc)))
    return b.finish(b.pick({"density": ["compute_density", "sph_density"], "viscosity": ["compute_viscosity", "viscosity_forces"],
                            "count": ["count_neighbors", "neighbor_count_kernel"],
                            "separation": ["apply_separation", "contact_forces", "repulsion"]}[variant]), body, (n,))

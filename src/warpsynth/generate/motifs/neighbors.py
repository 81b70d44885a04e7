"""Neighbour sums over a ``wp.HashGrid`` (cf. Warp's ``example_sph.py`` and DEM examples).

One thread per particle: it queries the grid around its own position, accumulates over
neighbours within the radius and writes only its own output slots.  The grid is built on
the launch's position array (``generate.hosts``).  Hash grid queries take ``float32``
points, so this family is single precision.
"""

from __future__ import annotations

import ast

from warpsynth.generate.motifs import common
from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.motifs.kit import X, aug, assign, cont, expr, if_, name, ret, while_, wp
from warpsynth.generate.program import KernelProgram

F = name("float")


def _kernel_fn(b: MotifBuilder, kind: str) -> str:
    """A smoothing kernel ``@wp.func`` of the distance ``r`` and support radius ``h``."""
    r, h, q = name("r"), name("h"), name("q")
    ps = [("r", F), ("h", F)]
    if kind == "poly6":
        body = [if_(r.ge(h), [ret(0.0)]), assign("q", h * h - r * r),
                ret(315.0 / (64.0 * wp.pi * wp.pow(h, 9.0)) * q * q * q)]
        return b.func(b.pick(["poly6", "density_kernel", "w_poly6"]), ps, body, F)
    if kind == "cubic":
        body = [assign("q", r / h), assign("sigma", 8.0 / (wp.pi * h * h * h)),
                if_(q.le(0.5), [ret(name("sigma") * (6.0 * (q * q * q - q * q) + 1.0))]),
                if_(q.le(1.0), [ret(name("sigma") * 2.0 * wp.pow(1.0 - q, 3.0))]),
                ret(0.0)]
        return b.func(b.pick(["cubic_spline", "w_cubic", "kernel_w"]), ps, body, F)
    if kind == "spiky":
        body = [if_(r.ge(h), [ret(0.0)]), ret(-45.0 / (wp.pi * wp.pow(h, 6.0)) * (h - r) * (h - r))]
        return b.func(b.pick(["spiky_grad", "w_spiky_grad"]), ps, body, F)
    body = [assign("q", wp.max(h - r, 0.0)), ret(45.0 / (wp.pi * wp.pow(h, 6.0)) * q)]
    return b.func(b.pick(["viscosity_laplacian", "visc_kernel"]), ps, body, F)


def _loop(b: MotifBuilder, grid: X, xi: X, radius: X, body: list[ast.stmt], index: str) -> list[ast.stmt]:
    """``for index in wp.hash_grid_query(...)`` or the older ``while wp.hash_grid_query_next`` form."""
    q = b.fresh(b.pick(["query", "neighbors"]))
    if b.rng.random() < 0.6:
        return [assign(q, wp.hash_grid_query(grid, xi, radius)), ast.For(ast.Name(index, ast.Store()), name(q).node, body, [], lineno=0)]
    b.features.add("query_next_loop")
    return [assign(q, wp.hash_grid_query(grid, xi, radius)), assign(index, name("int")(0)),
            while_(wp.hash_grid_query_next(name(q), name(index)), body)]


def _mass(b: MotifBuilder, n: int, j: X) -> X:
    if b.rng.random() < 0.4:
        return b.array(b.pick(["mass", "particle_mass"]), "float32", F, (n,), low=0.01, high=0.1)[j]
    return common.physical(b, "PARTICLE_MASS", b.pick(["mass", "particle_mass"]), b.pick([0.01, 0.02, 0.1]))


def _reorder(b: MotifBuilder) -> KernelProgram:
    """Gather particle data into the grid's cell order (``wp.hash_grid_point_id``), as SPH and DEM
    codes do before the neighbour passes so that neighbours are close in memory."""
    n = b.pick([32, 64, 128])
    x = b.array(b.pick(["x", "particle_x", "positions"]), "vec3", wp.vec3, (n,), low=0.0, high=1.0)
    grid = b.host(b.pick(["grid", "hash_grid"]), "hashgrid", (8, 8, 8), value=b.pick([0.1, 0.2]), refs=(x.text(),))
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "k"]),))
    i = b.fresh(b.pick(["i", "src", "pid"]))
    body: list[ast.stmt] = [t_stmt, assign(i, wp.hash_grid_point_id(grid, t))]
    xs = b.array(b.pick(["x_sorted", "sorted_x", "x_cell_order"]), "vec3", wp.vec3, (n,), role="out")
    body.append(assign(xs[t], x[name(i)]))
    if b.rng.random() < 0.6:
        v = b.array(b.pick(["v", "particle_v", "velocities"]), "vec3", wp.vec3, (n,), low=-0.5, high=0.5)
        vs = b.array(b.pick(["v_sorted", "sorted_v"]), "vec3", wp.vec3, (n,), role="out")
        body.append(assign(vs[t], v[name(i)]))
    if b.rng.random() < 0.5:
        ids = b.array(b.pick(["original_index", "sort_index", "perm"]), "int32", name("int"), (n,), role="out")
        body.append(assign(ids[t], name(i)))
    return b.finish(b.pick(["reorder_particles", "sort_by_cell", "gather_sorted"]), body, (n,))


def build(b: MotifBuilder) -> KernelProgram:
    b.force_f32()
    b.differentiable = False
    variant = b.variant()
    if variant == "reorder":
        return _reorder(b)
    n = b.pick([32, 64, 128])
    x = b.array(b.pick(["x", "particle_x", "positions"]), "vec3", wp.vec3, (n,), low=0.0, high=1.0)
    radius_value = b.pick([0.1, 0.15, 0.2, 0.25])
    grid = b.host(b.pick(["grid", "hash_grid"]), "hashgrid", (8, 8, 8), value=radius_value, refs=(x.text(),))
    radius = b.scalar(b.pick(["radius", "smoothing_length", "h"]), radius_value)
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    xi, index, d, r = b.fresh("xi"), b.fresh(b.pick(["j", "index", "nbr"])), b.fresh("d"), b.fresh("dist")
    j = name(index)
    body: list[ast.stmt] = [t_stmt] + common.active_guard(b, n, t) + [assign(xi, x[t])]
    listed = False
    inner: list[ast.stmt] = []
    if b.rng.random() < 0.4 and variant not in ("density", "count"):
        inner.append(if_(j.eq(t), [cont()]))
    inner += [assign(d, name(xi) - x[j]), assign(r, b.length(name(d)))]
    if variant == "density":
        w = _kernel_fn(b, b.pick(["poly6", "cubic"]))
        rho = b.array(b.pick(["rho", "density", "densities"]), "float32", F, (n,), role="out")
        acc = b.fresh("rho_i")
        body.append(assign(acc, F(0.0)))
        inner.append(aug(acc, "+", _mass(b, n, j) * name(w)(name(r), radius)))
        body += _loop(b, grid, name(xi), radius, inner, index)
        if b.rng.random() < 0.4:
            rho0 = common.physical(b, "REST_DENSITY", b.pick(["rest_density", "rho0"]), b.pick([1.0, 1000.0]))
            pres = b.array(b.pick(["pressure", "p_out"]), "float32", F, (n,), role="out")
            k = common.physical(b, "STIFFNESS", b.pick(["stiffness", "gas_constant"]), b.pick([1.0, 5.0, 50.0]))
            b.store(pres, t, k * wp.max(name(acc) - rho0, 0.0), body)
        b.store(rho, t, name(acc), body)
    elif variant == "viscosity":
        v = b.array(b.pick(["v", "particle_v", "velocities"]), "vec3", wp.vec3, (n,), low=-0.5, high=0.5)
        mu = common.physical(b, "VISCOSITY", b.pick(["viscosity", "mu"]), b.pick([0.01, 0.1, 0.5]))
        w = _kernel_fn(b, b.pick(["visc", "cubic"]))
        out = b.array(b.pick(["f_visc", "accel", "dv"]), "vec3", wp.vec3, (n,), role="out")
        acc, vi = b.fresh("f"), b.fresh("vi")
        body += [assign(vi, v[t]), assign(acc, b.zero(wp.vec3))]
        term = (v[j] - name(vi)) * (mu * _mass(b, n, j) * name(w)(name(r), radius))
        inner += [if_(name(r).lt(radius), [aug(acc, "+", term)])]
        body += _loop(b, grid, name(xi), radius, inner, index)
        b.store(out, t, name(acc), body)
    elif variant == "count":
        out = b.array(b.pick(["counts", "neighbor_count", "num_neighbors"]), "int32", name("int"), (n,), role="out")
        acc = b.fresh("count")
        body.append(assign(acc, name("int")(0)))
        keep = [aug(acc, "+", 1)]
        listed = b.rng.random() < 0.5
        if listed:  # also store a fixed-capacity neighbour list
            cap = b.pick([8, 16, 32])
            nbrs = b.array(b.pick(["neighbor_list", "nbrs"]), "int32", name("int"), (n, cap), role="out")
            keep = [if_(name(acc).lt(nbrs.dot("shape")[1]), [assign(nbrs[t, name(acc)], j)]), aug(acc, "+", 1)]
        if b.rng.random() < 0.4:  # squared distances: no sqrt for a pure range test
            inner = [st for st in inner if not (isinstance(st, ast.Assign) and ast.unparse(st.targets[0]) == r)]
            inner.append(if_(b.length_sq(name(d)).le(radius * radius), keep))
        else:
            inner += [if_(name(r).le(radius), keep)]
        body += _loop(b, grid, name(xi), radius, inner, index)
        b.store(out, t, name(acc), body)
    else:
        k = common.physical(b, "CONTACT_KE", b.pick(["k_contact", "stiffness", "ke"]), b.pick([10.0, 100.0, 1000.0]))
        out = b.array(b.pick(["f", "particle_f", "forces"]), "vec3", wp.vec3, (n,), role="out")
        acc = b.fresh("f")
        body.append(assign(acc, wp.vec3(0.0)))
        skip = name(r).ge(radius).or_(name(r).lt(b.eps()))
        inner += [if_(skip, [cont()]), aug(acc, "+", name(d) / name(r) * (k * (radius - name(r))))]
        body += _loop(b, grid, name(xi), radius, inner, index)
        if b.rng.random() < 0.3:
            fmax = b.scalar(b.pick(["max_force", "force_limit"]), b.pick([10.0, 100.0]))
            body.append(assign(acc, wp.normalize(name(acc)) * wp.min(b.length(name(acc)), fmax)))
        b.store(out, t, name(acc), body)
    return b.finish(b.pick({"density": ["compute_density", "sph_density"], "viscosity": ["compute_viscosity", "viscosity_forces"],
                            "count": ["build_neighbor_list", "find_neighbors"] if variant == "count" and listed else ["count_neighbors"],
                            "separation": ["apply_separation", "contact_forces", "repulsion"]}[variant]), body, (n,))

"""Springs and distance constraints (cf. ``warp.sim``'s ``eval_springs`` and XPBD ``solve_springs``).

One thread per spring: it reads both end points and accumulates into per-particle
arrays with ``wp.atomic_add`` only (one commutative atomic kind per array), so the
launch is race-free.  ``tether`` is one thread per particle, writing only its own slot.
"""

from __future__ import annotations

import ast

from warpsynth.generate.motifs import common
from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.motifs.kit import X, assign, expr, if_, name, ret, wp
from warpsynth.generate.program import KernelProgram


def _endpoints(b: MotifBuilder, t: X, n_particles: int, m: int) -> tuple[list[ast.stmt], X, X]:
    """``i, j`` of spring ``t`` from a flat ``(2m,)`` or an ``(m, 2)`` index array."""
    i, j = b.fresh("i"), b.fresh("j")
    if b.rng.random() < 0.5:
        idx = b.array(b.pick(["spring_indices", "edges"]), "int32", name("int"), (2 * m,), low=0, high=n_particles - 1)
        return [assign(i, idx[t * 2 + 0]), assign(j, idx[t * 2 + 1])], name(i), name(j)
    idx = b.array(b.pick(["springs", "edge_indices", "constraints"]), "int32", wp.int32, (m, 2), low=0, high=n_particles - 1)
    return [assign(i, idx[t, 0]), assign(j, idx[t, 1])], name(i), name(j)


def _length(b: MotifBuilder, d: X) -> X:
    if b.chance("helper_func"):
        return name(common.safe_norm(b))(d)
    return wp.max(wp.length(d), b.prec.lit(1.0e-6))


def _spring_forces(b: MotifBuilder, t: X, body: list[ast.stmt], n: int, m: int) -> None:
    p = b.prec
    x = b.array(b.pick(["x", "particle_q", "pos"]), p.vec_dtype(), p.vec(), (n,), low=-1.0, high=1.0)
    v = b.array(b.pick(["v", "particle_qd", "vel"]), p.vec_dtype(), p.vec(), (n,), low=-0.5, high=0.5)
    rest = b.array(b.pick(["rest_length", "spring_rest_length"]), p.dtype, p.scalar(), (m,), low=0.1, high=0.5)
    if b.rng.random() < 0.5:
        ke, kd = b.scalar("ke", b.pick([100.0, 500.0, 1000.0])), b.scalar("kd", b.pick([1.0, 5.0, 10.0]))
    else:
        ke_arr = b.array(b.pick(["spring_stiffness", "stiffness"]), p.dtype, p.scalar(), (m,), low=10.0, high=100.0)
        kd_arr = b.array(b.pick(["spring_damping", "damping"]), p.dtype, p.scalar(), (m,), low=0.1, high=1.0)
        ke, kd = b.fresh("ke"), b.fresh("kd")
        body += [assign(ke, ke_arr[t]), assign(kd, kd_arr[t])]
        ke, kd = name(ke), name(kd)
    f = b.array(b.pick(["f", "particle_f", "forces"]), p.vec_dtype(), p.vec(), (n,), role="out")
    stmts, i, j = _endpoints(b, t, n, m)
    body += stmts
    xij, vij, l, d, c, dcdt, fs = (b.fresh(s) for s in ("xij", "vij", "l", "dir", "c", "dcdt", "fs"))
    body += [assign(xij, x[i] - x[j]), assign(vij, v[i] - v[j]), assign(l, _length(b, name(xij))),
             assign(d, name(xij) / name(l)), assign(c, name(l) - rest[t]), assign(dcdt, wp.dot(name(d), name(vij))),
             assign(fs, name(d) * (ke * name(c) + kd * name(dcdt))),
             expr(wp.atomic_add(f, i, -name(fs))), expr(wp.atomic_add(f, j, name(fs)))]
    b.features.add("atomic")


def _distance_constraint(b: MotifBuilder, t: X, body: list[ast.stmt], n: int, m: int) -> None:
    p = b.prec
    x = b.array(b.pick(["x", "particle_q", "pred_pos"]), p.vec_dtype(), p.vec(), (n,), low=-1.0, high=1.0)
    w = b.array(b.pick(["inv_mass", "particle_inv_mass"]), p.dtype, p.scalar(), (n,), low=0.0, high=2.0)
    rest = b.array(b.pick(["rest_length", "rest"]), p.dtype, p.scalar(), (m,), low=0.1, high=0.5)
    k = common.physical(b, "RELAXATION", b.pick(["relaxation", "stiffness"]), b.pick([0.5, 0.8, 1.0]))
    delta = b.array(b.pick(["delta", "particle_deltas", "dx"]), p.vec_dtype(), p.vec(), (n,), role="out")
    stmts, i, j = _endpoints(b, t, n, m)
    body += stmts
    d, l, wi, wj, ws, nrm, s = (b.fresh(v) for v in ("d", "l", "wi", "wj", "w_sum", "n", "lam"))
    eps = p.lit(1.0e-6)
    body += [assign(wi, w[i]), assign(wj, w[j]), assign(ws, name(wi) + name(wj)),
             if_(name(ws).eq(p.lit(0.0)), [ret()]),
             assign(d, x[i] - x[j]), assign(l, wp.length(name(d))),
             if_(name(l).lt(eps), [ret()]),
             assign(nrm, name(d) / name(l)), assign(s, (name(l) - rest[t]) / name(ws) * k),
             expr(wp.atomic_add(delta, i, -name(nrm) * (name(s) * name(wi)))),
             expr(wp.atomic_add(delta, j, name(nrm) * (name(s) * name(wj))))]
    b.features |= {"atomic", "early_return"}


def _tether(b: MotifBuilder, t: X, body: list[ast.stmt], n: int) -> None:
    p = b.prec
    if b.chance("generic_kernel"):
        b.make_generic()
    x = b.array(b.pick(["x", "particle_q", "pos"]), p.vec_dtype(), p.vec(), (n,), low=-1.0, high=1.0)
    anchor = b.array(b.pick(["anchor", "rest_pos", "attachment"]), p.vec_dtype(), p.vec(), (n,), low=-1.0, high=1.0)
    max_len = b.scalar(b.pick(["max_length", "tether_length"]), b.pick([0.25, 0.5, 1.0]))
    out = b.array(b.pick(["x_out", "x_proj"]), p.vec_dtype(), p.vec(), (n,), role="out")
    xi, a, d, l = (b.fresh(v) for v in ("xi", "a", "d", "l"))
    body += [assign(xi, x[t]), assign(a, anchor[t]), assign(d, name(xi) - name(a)), assign(l, wp.length(name(d))),
             if_(name(l).gt(max_len), [assign(xi, name(a) + name(d) * (max_len / name(l)))]),
             assign(out[t], name(xi))]


def build(b: MotifBuilder) -> KernelProgram:
    variant = b.variant()
    n = b.pick([16, 32, 64, 128])
    m = b.pick([16, 32, 48, 64])
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "s", "spring"]) if variant != "tether" else b.pick(["tid", "i"]),))
    body: list[ast.stmt] = [t_stmt]
    if variant == "spring_forces":
        _spring_forces(b, t, body, n, m)
        return b.finish(b.pick(["eval_springs", "spring_forces", "compute_spring_forces"]), body, (m,))
    if variant == "distance_constraint":
        _distance_constraint(b, t, body, n, m)
        return b.finish(b.pick(["solve_distance_constraints", "solve_springs", "project_constraints"]), body, (m,))
    _tether(b, t, body, n)
    return b.finish(b.pick(["apply_tethers", "project_tethers"]), body, (n,))

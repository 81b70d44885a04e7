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
        idx = b.array(b.pick(["spring_indices", "edges"]), "int32", name("int"), (2 * m,), low=0, high=n_particles - 1, pairs=True)
        return [assign(i, idx[t * 2 + 0]), assign(j, idx[t * 2 + 1])], name(i), name(j)
    idx = b.array(b.pick(["springs", "edge_indices", "constraints"]), "int32", wp.int32, (m, 2), low=0, high=n_particles - 1, pairs=True)
    return [assign(i, idx[t, 0]), assign(j, idx[t, 1])], name(i), name(j)


def _length(b: MotifBuilder, d: X) -> X:
    if b.chance("helper_func"):
        return name(common.safe_norm(b))(d)
    return wp.max(b.length(d), b.eps())


def _spring_forces(b: MotifBuilder, t: X, body: list[ast.stmt], n: int, m: int) -> None:
    p = b.prec
    damped = b.rng.random() < 0.7
    x = b.array(b.pick(["x", "particle_q", "pos"]), p.vec_dtype(), p.vec(), (n,), low=-1.0, high=1.0)
    v = b.array(b.pick(["v", "particle_qd", "vel"]), p.vec_dtype(), p.vec(), (n,), low=-0.5, high=0.5) if damped else None
    rest = b.array(b.pick(["rest_length", "spring_rest_length"]), p.dtype, p.scalar(), (m,), low=0.1, high=0.5)
    kd: X | None = None
    if b.rng.random() < 0.5:
        ke = common.physical(b, "KE", "ke", b.pick([100.0, 500.0, 1000.0]))
        if damped:
            kd = common.physical(b, "KD", "kd", b.pick([1.0, 5.0, 10.0]))
    else:
        ke_arr = b.array(b.pick(["spring_stiffness", "stiffness"]), p.dtype, p.scalar(), (m,), low=10.0, high=100.0)
        ke = b.let("ke", ke_arr[t], body)
        if damped:
            kd_arr = b.array(b.pick(["spring_damping", "damping"]), p.dtype, p.scalar(), (m,), low=0.1, high=1.0)
            kd = b.let("kd", kd_arr[t], body)
    f = b.array(b.pick(["f", "particle_f", "forces"]), p.vec_dtype(), p.vec(), (n,), role="out")
    body += common.active_guard(b, m, t)
    stmts, i, j = _endpoints(b, t, n, m)
    body += stmts
    l, d, c = b.fresh("l"), b.fresh("dir"), b.fresh("c")
    xij = b.let("xij", x[i] - x[j], body)
    body += [assign(l, _length(b, xij)), assign(d, xij / name(l))]
    rest_t = rest[t]
    if b.rng.random() < 0.25:  # muscle-like activation shortens the rest length
        act = b.array(b.pick(["activation", "muscle_activation"]), p.dtype, p.scalar(), (m,), low=0.0, high=0.5)
        rest_t = rest_t * (p.lit(1.0) - act[t])
    body.append(assign(c, name(l) - rest_t))
    params = [("dir", p.vec(), name(d)), ("c", p.scalar(), name(c)), ("ke", p.scalar(), ke)]
    if v is not None and kd is not None:
        vij = b.let("vij", v[i] - v[j], body)
        params += [("dcdt", p.scalar(), b.let("dcdt", wp.dot(name(d), vij), body)), ("kd", p.scalar(), kd)]
    force = b.maybe_func(["spring_force", "eval_spring_force"], params,
                         lambda n, c_, k, *dd: n * (k * c_ + dd[1] * dd[0]) if dd else n * (k * c_), p.vec())
    fs = b.let("fs", force, body)
    body += [expr(wp.atomic_add(f, i, -fs)), expr(wp.atomic_add(f, j, fs))]
    if b.rng.random() < 0.25:
        strain = b.array(b.pick(["strain", "spring_strain"]), p.dtype, p.scalar(), (m,), role="out")
        b.store(strain, t, name(c) / rest[t], body)
    b.features.add("atomic")


def _distance_constraint(b: MotifBuilder, t: X, body: list[ast.stmt], n: int, m: int) -> None:
    p = b.prec
    x = b.array(b.pick(["x", "particle_q", "pred_pos"]), p.vec_dtype(), p.vec(), (n,), low=-1.0, high=1.0)
    w = b.array(b.pick(["inv_mass", "particle_inv_mass"]), p.dtype, p.scalar(), (n,), low=0.0, high=2.0)
    rest = b.array(b.pick(["rest_length", "rest"]), p.dtype, p.scalar(), (m,), low=0.1, high=0.5)
    xpbd = b.rng.random() < 0.4
    if xpbd:
        compliance = common.physical(b, "COMPLIANCE", b.pick(["compliance", "alpha"]), b.pick([0.0, 1.0e-4, 1.0e-3]))
        dt = b.scalar("dt", b.pick([1.0 / 60.0, 0.01]))
    else:
        k = common.physical(b, "RELAXATION", b.pick(["relaxation", "stiffness"]), b.pick([0.5, 0.8, 1.0]))
    delta = b.array(b.pick(["delta", "particle_deltas", "dx"]), p.vec_dtype(), p.vec(), (n,), role="out")
    stmts, i, j = _endpoints(b, t, n, m)
    body += stmts
    d, l, wi, wj, ws, nrm, s = (b.fresh(v) for v in ("d", "l", "wi", "wj", "w_sum", "n", "lam"))
    eps = b.eps()
    body += [assign(wi, w[i]), assign(wj, w[j])]
    if xpbd:
        body.append(assign(ws, name(wi) + name(wj) + compliance / (dt * dt)))
    else:
        body.append(assign(ws, name(wi) + name(wj)))
    body += [if_(name(ws).eq(p.lit(0.0)), [ret()]),
             assign(d, x[i] - x[j]), assign(l, b.length(name(d))),
             if_(name(l).lt(eps), [ret()]),
             assign(nrm, name(d) / name(l))]
    err = name(l) - rest[t]
    body.append(assign(s, err / name(ws) if xpbd else err / name(ws) * k))
    body += [expr(wp.atomic_add(delta, i, -name(nrm) * (name(s) * name(wi)))),
             expr(wp.atomic_add(delta, j, name(nrm) * (name(s) * name(wj))))]
    if b.rng.random() < 0.3:
        lam_out = b.array(b.pick(["lambdas", "constraint_lambda", "impulse"]), p.dtype, p.scalar(), (m,), role="out")
        b.store(lam_out, t, name(s), body)
    b.features |= {"atomic", "early_return"}


def _tether(b: MotifBuilder, t: X, body: list[ast.stmt], n: int) -> None:
    """Keep each particle within a maximum distance of its anchor (hard projection or soft pull)."""
    p = b.prec
    if b.chance("generic_kernel"):
        b.make_generic()
    x = b.array(b.pick(["x", "particle_q", "pos"]), p.vec_dtype(), p.vec(), (n,), low=-1.0, high=1.0)
    anchor = b.array(b.pick(["anchor", "rest_pos", "attachment"]), p.vec_dtype(), p.vec(), (n,), low=-1.0, high=1.0)
    if b.rng.random() < 0.5:
        max_len = b.scalar(b.pick(["max_length", "tether_length"]), b.pick([0.25, 0.5, 1.0]))
    else:
        max_len = b.array(b.pick(["max_length", "tether_length"]), p.dtype, p.scalar(), (n,), low=0.2, high=1.0)[t]
    soft = not b.generic_mode and b.rng.random() < 0.4
    k = b.scalar(b.pick(["stiffness", "pull"]), b.pick([0.1, 0.5, 0.9])) if soft else None
    out = b.array(b.pick(["x_out", "x_proj"]), p.vec_dtype(), p.vec(), (n,), role="out")
    xi, a, d, l = (b.fresh(v) for v in ("xi", "a", "d", "l"))
    body += [assign(xi, x[t]), assign(a, anchor[t]), assign(d, name(xi) - name(a)), assign(l, b.length(name(d)))]
    if soft:
        fix = [assign(xi, name(xi) - name(d) / name(l) * ((name(l) - max_len) * k))]
    else:
        proj = b.maybe_func(["project_to_sphere", "clamp_distance"],
                            [("center", p.vec(), name(a)), ("d", p.vec(), name(d)), ("r", p.scalar(), max_len)],
                            lambda c_, d_, r_: c_ + wp.normalize(d_) * r_, p.vec())
        fix = [assign(xi, proj)]
    body += [if_(name(l).gt(max_len), fix), assign(out[t], name(xi))]


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

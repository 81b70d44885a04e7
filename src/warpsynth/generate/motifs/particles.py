"""Particle integration (semi-implicit Euler, Verlet) with gravity and damping, and
collision response against a ground plane or a sphere collider (cf. ``warp.sim``'s
``integrate_particles`` and the particle examples shipped with Warp).

Each thread owns particle ``tid``: it reads its own state and writes ``x_out[tid]``,
``v_out[tid]`` (separate output arrays, so the launch is race-free and differentiable).
"""

from __future__ import annotations

import ast

from warpsynth.generate.motifs import common
from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.motifs.kit import X, assign, if_, name, ret, wp
from warpsynth.generate.program import KernelProgram


def _velocity_update(b: MotifBuilder, st: common.Particles, t: X, f: X | None, g: X, dt: X) -> tuple[list[ast.stmt], X]:
    """``v1 = v0 + (f * w + g) * dt``, optionally through an ``integrate_velocity`` helper."""
    p = b.prec
    accel = (f[t] * st.inv_mass + g) if f is not None else g
    v1 = b.fresh(b.pick(["v1", "v_new", "vel_new"]))
    if b.chance("helper_func"):
        hp = [("v", p.vec()), ("a", p.vec()), ("dt", p.scalar())]
        h = b.func(b.pick(["integrate_velocity", "step_velocity"]), hp, [ret(name("v") + name("a") * name("dt"))], p.vec())
        return [assign(v1, name(h)(st.vel, accel, dt))], name(v1)
    return [assign(v1, st.vel + accel * dt)], name(v1)


def _damping(b: MotifBuilder, v: X, dt: X) -> list[ast.stmt]:
    p = b.prec
    k = common.physical(b, "DAMPING", b.pick(["damping", "drag"]), b.pick([0.1, 0.5, 1.0, 2.0]))
    if b.rng.random() < 0.5:
        return [assign(v, v * wp.max(p.lit(1.0) - k * dt, p.lit(0.0)))]
    return [assign(v, v * wp.exp(-k * dt))]


def _ground(b: MotifBuilder, x: X, v: X) -> list[ast.stmt]:
    """Push particles out of the plane ``y = 0`` and reflect the normal velocity."""
    p = b.prec
    radius = common.physical(b, "PARTICLE_RADIUS", "radius", b.pick([0.01, 0.05, 0.1]), "contact")
    e = common.physical(b, "RESTITUTION", "restitution", b.pick([0.0, 0.3, 0.5, 0.8]), "contact")
    mu = common.physical(b, "FRICTION", "friction", b.pick([0.1, 0.25, 0.5]), "contact")
    n, c, vn, vt = b.fresh("n"), b.fresh("c"), b.fresh("vn"), b.fresh("vt")
    body = [assign(vn, wp.dot(v, name(n))),
            assign(vt, v - name(n) * name(vn)),
            if_(name(vn).lt(p.lit(0.0)), [assign(v, name(vt) * (p.lit(1.0) - mu) - name(n) * name(vn) * e)]),
            assign(x, x - name(n) * name(c))]
    return [assign(n, p.vec()(0.0, 1.0, 0.0)), assign(c, wp.dot(x, name(n)) - radius), if_(name(c).lt(p.lit(0.0)), body)]


def _sphere(b: MotifBuilder, x: X, v: X) -> list[ast.stmt]:
    """Project particles out of a sphere collider and remove the approaching normal velocity."""
    p = b.prec
    center = b.value(b.pick(["center", "sphere_center", "collider_pos"]), p.vec_dtype(), p.vec(), -0.5, 0.5)
    radius = b.scalar(b.pick(["sphere_radius", "collider_radius"]), b.pick([0.25, 0.5, 0.75]))
    d, dist, pen, n = b.fresh("d"), b.fresh("dist"), b.fresh("pen"), b.fresh("n")
    eps = p.lit(1.0e-6)
    return [assign(d, x - center), assign(dist, wp.length(name(d))), assign(pen, radius - name(dist)),
            if_(name(pen).gt(p.lit(0.0)), [
                assign(n, name(d) / wp.max(name(dist), eps)),
                assign(x, x + name(n) * name(pen)),
                assign(v, v - name(n) * wp.min(wp.dot(v, name(n)), p.lit(0.0)))])]


def build(b: MotifBuilder) -> KernelProgram:
    p = b.prec
    variant = b.variant()
    n = b.pick([32, 64, 100, 128, 256])
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i", "p"]),))
    verlet = variant == "verlet"
    forces = not verlet and b.rng.random() < 0.7
    st = common.particles(b, n, t, with_vel=not verlet, with_inv_mass=forces)
    body: list[ast.stmt] = [t_stmt]
    body += common.active_guard(b, n, t)
    body += st.loads
    f = None if not forces else b.array(b.pick(["f", "forces", "particle_f"]), p.vec_dtype(), p.vec(), (n,), low=-1.0, high=1.0)
    g = common.gravity(b)
    dt = b.scalar("dt", b.pick([1.0 / 60.0, 0.01, 0.005, 1.0e-3]))
    x_out = b.array(b.pick(["x_out", "x_new", "particle_q_out"]), p.vec_dtype(), p.vec(), (n,), role="out")
    if verlet:
        prev = b.array(b.pick(["x_prev", "prev_pos"]), p.vec_dtype(), p.vec(), (n,), low=-1.0, high=1.0)
        k = common.physical(b, "DAMPING", "damping", b.pick([0.99, 0.995, 0.98]))
        x1 = b.fresh("x_next")
        body.append(assign(x1, st.pos + (st.pos - prev[t]) * k + g * (dt * dt)))
        body.append(assign(x_out[t], name(x1)))
        b.features.add("verlet")
        return b.finish(b.pick(["verlet_step", "integrate_verlet"]), body, (n,))
    v_out = b.array(b.pick(["v_out", "v_new", "particle_qd_out"]), p.vec_dtype(), p.vec(), (n,), role="out")
    upd, v1 = _velocity_update(b, st, t, f, g, dt)
    body += upd
    if b.rng.random() < 0.6:
        body += _damping(b, v1, dt)
    x1 = b.fresh(b.pick(["x1", "x_new", "pos_new"]))
    body.append(assign(x1, st.pos + v1 * dt))
    if variant == "ground_plane":
        body += _ground(b, name(x1), v1)
    elif variant == "sphere_collider":
        body += _sphere(b, name(x1), v1)
    body += [assign(x_out[t], name(x1)), assign(v_out[t], v1)]
    return b.finish(b.pick(["integrate_particles", "integrate", "advance_particles", "step_particles"]), body, (n,))

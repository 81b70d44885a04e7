"""Particle integration (semi-implicit Euler, Verlet) with gravity, forces and damping, composed
with the post-steps ``warp.sim``-style integrators apply: speed limits, box bounds, and
collision response against a ground plane, a sphere, a ``wp.Volume`` SDF or a ``wp.Mesh``
(cf. ``warp.sim``'s ``integrate_particles`` and the particle examples shipped with Warp).

Each thread owns particle ``tid`` (or ``env, i`` in a batch of environments): it reads its own
state and writes only its own slots of separate output arrays, so the launch is race-free;
an optional kinetic-energy total is accumulated with ``wp.atomic_add`` only.
"""

from __future__ import annotations

import ast
from typing import Callable

from warpsynth.generate.motifs import common
from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.motifs.kit import X, assign, expr, if_, name, ret, tup, wp
from warpsynth.generate.program import KernelProgram

#: post-integration steps (the order among those picked is shuffled: colliders run in sequence)
_POST = ("damping", "max_speed", "bounds", "ground", "sphere", "volume_sdf", "mesh")
_HOST_STEPS = {"volume_sdf", "mesh"}


def _velocity_update(b: MotifBuilder, st: common.Particles, t: X, f: X | None, g: X, dt: X,
                     body: list[ast.stmt]) -> X:
    """``v1 = v0 + (f * w + g [- drag * v0]) * dt``, optionally through a helper."""
    p = b.prec
    accel = (f[t] * st.inv_mass + g) if f is not None else g
    if b.rng.random() < 0.25:
        drag = common.physical(b, "DRAG", b.pick(["drag", "air_drag"]), b.pick([0.1, 0.5, 1.0]))
        accel = accel - st.vel * drag
    accel = b.let("a", accel, body)
    v1 = b.fresh(b.pick(["v1", "vp", "v_pred"]))
    if b.chance("helper_func"):
        hp = [("v", p.vec()), ("a", p.vec()), ("dt", p.scalar())]
        h = b.func(b.pick(["integrate_velocity", "step_velocity"]), hp, [ret(name("v") + name("a") * name("dt"))], p.vec())
        body.append(assign(v1, name(h)(st.vel, accel, dt)))
    else:
        body.append(assign(v1, st.vel + accel * dt))
    return name(v1)


def _damping(b: MotifBuilder, x: X, v: X, dt: X) -> list[ast.stmt]:
    p = b.prec
    k = common.physical(b, "DAMPING", b.pick(["damping", "linear_damping"]), b.pick([0.1, 0.5, 1.0, 2.0]))
    if b.rng.random() < 0.5:
        return [assign(v, v * wp.max(p.lit(1.0) - k * dt, p.lit(0.0)))]
    return [assign(v, v * wp.exp(-k * dt))]


def _max_speed(b: MotifBuilder, x: X, v: X, dt: X) -> list[ast.stmt]:
    vmax = common.physical(b, "MAX_SPEED", b.pick(["max_speed", "max_velocity"]), b.pick([2.0, 5.0, 10.0]))
    s = b.fresh("speed")
    return [assign(s, b.length(v)), if_(name(s).gt(vmax), [assign(v, v * (vmax / name(s)))])]


def _bounds(b: MotifBuilder, x: X, v: X, dt: X) -> list[ast.stmt]:
    p = b.prec
    lo = b.value(b.pick(["bounds_lower", "box_min", "domain_lo"]), p.vec_dtype(), p.vec(), -1.5, -1.0)
    hi = b.value(b.pick(["bounds_upper", "box_max", "domain_hi"]), p.vec_dtype(), p.vec(), 1.0, 1.5)
    clamped = b.fresh("xc")
    return [assign(clamped, wp.min(wp.max(x, lo), hi)),
            if_(b.length(name(clamped) - x).gt(p.lit(0.0)), [assign(v, b.zero(p.vec()))]),
            assign(x, name(clamped))]


def _ground(b: MotifBuilder, x: X, v: X, dt: X) -> list[ast.stmt]:
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


def _sphere(b: MotifBuilder, x: X, v: X, dt: X) -> list[ast.stmt]:
    """Project particles out of a sphere collider and remove the approaching normal velocity."""
    p = b.prec
    center = b.value(b.pick(["center", "sphere_center", "collider_pos"]), p.vec_dtype(), p.vec(), -0.5, 0.5)
    radius = b.scalar(b.pick(["sphere_radius", "collider_radius"]), b.pick([0.25, 0.5, 0.75]))
    d, dist, pen, n = b.fresh("d"), b.fresh("dist"), b.fresh("pen"), b.fresh("n")
    eps = b.eps()
    return [assign(d, x - center), assign(dist, b.length(name(d))), assign(pen, radius - name(dist)),
            if_(name(pen).gt(p.lit(0.0)), [
                assign(n, name(d) / wp.max(name(dist), eps)),
                assign(x, x + name(n) * name(pen)),
                assign(v, v - name(n) * wp.min(wp.dot(v, name(n)), p.lit(0.0)))])]


def _volume_sdf(b: MotifBuilder, x: X, v: X, dt: X) -> list[ast.stmt]:
    """Collide with a signed distance field stored in a ``wp.Volume`` (gradient = contact normal)."""
    vol = b.host(b.pick(["sdf", "collider_sdf", "volume"]), "volume", (8, 8, 8), value=0.25, low=-0.5, high=0.5)
    margin = b.scalar(b.pick(["contact_margin", "thickness"]), b.pick([0.01, 0.02, 0.05]))
    uvw, grad, d, n = b.fresh("uvw"), b.fresh("grad"), b.fresh("d"), b.fresh("n")
    out = [assign(uvw, wp.volume_world_to_index(vol, x)), assign(grad, b.zero(wp.vec3)),
           assign(d, wp.volume_sample_grad_f(vol, name(uvw), wp.Volume.dot("LINEAR"), name(grad)))]
    out.append(if_(name(d).lt(margin), [assign(n, wp.normalize(name(grad))),
                                        assign(x, x + name(n) * (margin - name(d))),
                                        assign(v, v - name(n) * wp.min(wp.dot(v, name(n)), 0.0))]))
    b.differentiable = False
    return out


def _mesh(b: MotifBuilder, x: X, v: X, dt: X) -> list[ast.stmt]:
    """Push particles below a triangle mesh (a height field) back onto its surface.

    Inside/outside comes from the query's sign (angle-weighted normals) and the contact normal
    from the closest point, as in warp.sim's soft contacts: both are the same whichever face
    sharing an edge or vertex the query reports (a face normal is not, and the CPU and GPU
    BVHs report different faces there)."""
    mesh = b.host(b.pick(["mesh", "collider_mesh", "ground_mesh"]), "mesh", (6, 6), low=-0.2, high=0.2)
    max_dist = b.scalar(b.pick(["max_dist", "query_radius"]), b.pick([0.25, 0.5, 1.0]))
    q, cp, n = b.fresh("query"), b.fresh("cp"), b.fresh("n")
    hit = [assign(cp, wp.mesh_eval_position(mesh, name(q).dot("face"), name(q).dot("u"), name(q).dot("v"))),
           if_(name(q).dot("sign").lt(0.0), [assign(n, wp.normalize(name(cp) - x)), assign(x, name(cp)),
                                               assign(v, v - name(n) * wp.min(wp.dot(v, name(n)), 0.0))])]
    b.differentiable = False
    return [assign(q, wp.mesh_query_point_sign_normal(mesh, x, max_dist)), if_(name(q).dot("result"), hit)]


_STEPS: dict[str, Callable[[MotifBuilder, X, X, X], list[ast.stmt]]] = {
    "damping": _damping, "max_speed": _max_speed, "bounds": _bounds, "ground": _ground, "sphere": _sphere,
    "volume_sdf": _volume_sdf, "mesh": _mesh,
}


def _post_steps(b: MotifBuilder, variant: str) -> list[str]:
    picked = [s for s in _POST if b.rng.random() < b.policy.particle_steps[s]]
    if variant == "ground_plane" and "ground" not in picked:
        picked.append("ground")
    if variant == "sphere_collider" and "sphere" not in picked:
        picked.append("sphere")
    first = [s for s in picked if s in ("damping", "max_speed")]
    rest = [s for s in picked if s not in first]
    b.rng.shuffle(rest)
    return first + rest


def _energy(b: MotifBuilder, t: X, v: X, shape: tuple[int, ...], body: list[ast.stmt]) -> None:
    p = b.prec
    ke = p.lit(0.5) * wp.dot(v, v)
    if b.rng.random() < 0.5:
        total = b.array(b.pick(["kinetic_energy", "energy", "total_ke"]), p.dtype, p.scalar(), (1,), role="out")
        body.append(expr(wp.atomic_add(total, 0, ke)))
        b.features.add("atomic")
    else:
        out = b.array(b.pick(["speed", "particle_ke", "ke"]), p.dtype, p.scalar(), shape, role="out")
        b.store(out, t, ke if b.rng.random() < 0.5 else b.length(v), body)


def _verlet(b: MotifBuilder, st: common.Particles, t: X, shape: tuple[int, ...], g: X, dt: X,
            body: list[ast.stmt]) -> KernelProgram:
    p = b.prec
    prev = b.array(b.pick(["x_prev", "prev_pos"]), p.vec_dtype(), p.vec(), shape, low=-1.0, high=1.0)
    x_out = b.array(b.pick(["x_out", "x_new", "particle_q_out"]), p.vec_dtype(), p.vec(), shape, role="out")
    k = common.physical(b, "DAMPING", "damping", b.pick([0.99, 0.995, 0.98]))
    x1 = b.fresh("x_next")
    body.append(assign(x1, st.pos + (st.pos - prev[t]) * k + g * (dt * dt)))
    if b.rng.random() < 0.5:
        floor_y = common.physical(b, "FLOOR_Y", b.pick(["floor", "ground_height"]), b.pick([0.0, -0.5, -1.0]))
        body.append(assign(x1, p.vec()(name(x1)[0], wp.max(name(x1)[1], floor_y), name(x1)[2])))
    b.store(x_out, t, name(x1), body)
    b.features.add("verlet")
    return b.finish(b.pick(["verlet_step", "integrate_verlet"]), body, shape)


def build(b: MotifBuilder) -> KernelProgram:
    p = b.prec
    variant = b.variant()
    steps = _post_steps(b, variant) if variant != "verlet" else []
    if _HOST_STEPS & set(steps):
        b.force_f32()
        p = b.prec
    n = b.pick([32, 64, 100, 128, 256])
    shape = b.batched(n)
    t_stmt, ids = common.tid(b, (b.pick(["env", "e"]), b.pick(["i", "tid", "p"])) if len(shape) == 2 else (b.pick(["tid", "i", "p"]),))
    t = tup(*ids) if len(ids) == 2 else ids[0]
    verlet = variant == "verlet"
    forces = not verlet and b.rng.random() < 0.7
    st = common.particles(b, shape, t, with_vel=not verlet, with_inv_mass=forces)
    body: list[ast.stmt] = [t_stmt]
    body += common.active_guard(b, shape, t)
    body += st.loads
    g = common.gravity(b)
    dt = b.scalar("dt", b.pick([1.0 / 60.0, 0.01, 0.005, 1.0e-3]))
    if verlet:
        return _verlet(b, st, t, shape, g, dt, body)
    f = b.array(b.pick(["f", "forces", "particle_f"]), p.vec_dtype(), p.vec(), shape, low=-1.0, high=1.0) if forces else None
    x_out = b.array(b.pick(["x_out", "x_new", "particle_q_out"]), p.vec_dtype(), p.vec(), shape, role="out")
    v_out = b.array(b.pick(["v_out", "v_new", "particle_qd_out"]), p.vec_dtype(), p.vec(), shape, role="out")
    v1 = _velocity_update(b, st, t, f, g, dt, body)
    x1 = b.fresh(b.pick(["x1", "xp", "x_pred"]))
    for step in [s for s in steps if s in ("damping", "max_speed")]:  # velocity limits act before the position update
        body += _STEPS[step](b, name(x1), v1, dt)
    body.append(assign(x1, st.pos + v1 * dt))
    for step in [s for s in steps if s not in ("damping", "max_speed")]:
        body += _STEPS[step](b, name(x1), v1, dt)
    body += [assign(x_out[t], name(x1)), assign(v_out[t], v1)]
    if b.rng.random() < 0.2:
        _energy(b, t, v1, shape, body)
    return b.finish(b.pick(["integrate_particles", "integrate", "advance_particles", "step_particles", "simulate"]), body, shape)

"""Quaternion and transform kinematics: rigid-body integration, transforming points and
normals, forward kinematics along a joint chain, axis-angle rotations and slerp (cf.
``warp.sim``'s ``integrate_bodies`` and ``eval_articulation_fk``).

One thread per body / point / articulation; each writes only its own slots.  Input
quaternions are normalised before use (drawn components are not unit length).
"""

from __future__ import annotations

import ast

from warpsynth.generate.motifs import common
from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.motifs.kit import X, assign, for_, if_, name, ret, tup, wp
from warpsynth.generate.program import KernelProgram


def _index(b: MotifBuilder, n: int, names: list[str]) -> tuple[tuple[int, ...], ast.stmt, X]:
    shape = b.batched(n)
    if len(shape) == 2:
        t_stmt, (e, i) = common.tid(b, (b.pick(["env", "world"]), b.pick(["i", "body"])))
        return shape, t_stmt, tup(e, i)
    t_stmt, (t,) = common.tid(b, (b.pick(names),))
    return shape, t_stmt, t


def _rigid(b: MotifBuilder, n: int) -> KernelProgram:
    p = b.prec
    shape, t_stmt, t = _index(b, n, ["tid", "i", "body"])
    spatial = b.rng.random() < 0.4
    if b.rng.random() < 0.5:
        q_in = b.array(b.pick(["body_q", "xforms"]), p.transform_dtype(), p.transform(), shape, low=0.1, high=1.0)
        pos, rot = None, None
    else:
        q_in = None
        pos = b.array(b.pick(["body_pos", "com", "x"]), p.vec_dtype(), p.vec(), shape)
        rot = b.array(b.pick(["body_rot", "orientation", "q"]), p.quat_dtype(), p.quat(), shape, low=0.1, high=1.0)
    if spatial:
        qd = b.array(b.pick(["body_qd", "twist"]), "spatial_vectord" if p.f64 else "spatial_vector",
                     wp.spatial_vectord if p.f64 else wp.spatial_vector, shape, low=-0.5, high=0.5)
    else:
        v = b.array(b.pick(["body_vel", "lin_vel", "v"]), p.vec_dtype(), p.vec(), shape, low=-0.5, high=0.5)
        w = b.array(b.pick(["body_omega", "ang_vel", "w"]), p.vec_dtype(), p.vec(), shape, low=-1.0, high=1.0)
    g = common.gravity(b) if b.rng.random() < 0.7 else None
    dt = b.scalar("dt", b.pick([1.0 / 60.0, 0.01, 0.005]))
    body: list[ast.stmt] = [t_stmt]
    body += common.active_guard(b, shape, t)
    x0, r0, v0, w0, x1, r1 = (b.fresh(s) for s in ("x0", "r0", "v0", "w0", "x1", "r1"))
    if q_in is not None:
        X0 = b.let("X", q_in[t], body)
        body += [assign(x0, wp.transform_get_translation(X0)), assign(r0, wp.normalize(wp.transform_get_rotation(X0)))]
    else:
        body += [assign(x0, pos[t]), assign(r0, wp.normalize(rot[t]))]
    if spatial:  # warp.sim convention: angular velocity on top, linear at the bottom
        qd_t = b.let("qd", qd[t], body)
        body += [assign(w0, wp.spatial_top(qd_t)), assign(v0, wp.spatial_bottom(qd_t))]
    else:
        body += [assign(w0, w[t]), assign(v0, v[t])]
    if b.rng.random() < 0.4:
        ang_damp = common.physical(b, "ANGULAR_DAMPING", b.pick(["angular_damping", "ang_damping"]), b.pick([0.01, 0.05, 0.1]))
        body.append(assign(w0, name(w0) * (p.lit(1.0) - ang_damp * dt)))
    if g is not None:
        body.append(assign(v0, name(v0) + g * dt))
    body.append(assign(x1, name(x0) + name(v0) * dt))
    qp = [("q", p.quat(), name(r0)), ("w", p.vec(), name(w0)), ("dt", p.scalar(), dt)]
    if b.rng.random() < 0.5:
        rot = b.maybe_func(["integrate_rotation", "quat_integrate"], qp,
                           lambda q, w_, h: wp.normalize(q + p.quat()(w_, p.lit(0.0)) * q * (p.lit(0.5) * h)), p.quat())
    else:  # exact rotation by |w| dt about w
        rot = b.maybe_func(["integrate_rotation", "rotate_by_omega"], qp,
                           lambda q, w_, h: wp.quat_from_axis_angle(wp.normalize(w_), b.length(w_) * h) * q, p.quat())
    body.append(assign(r1, rot))
    if b.rng.random() < 0.5:
        out = b.array(b.pick(["body_q_out", "body_q_new", "xform_out"]), p.transform_dtype(), p.transform(), shape, role="out")
        b.store(out, t, p.transform()(name(x1), name(r1)), body)
    else:
        xo = b.array(b.pick(["pos_out", "x_new"]), p.vec_dtype(), p.vec(), shape, role="out")
        ro = b.array(b.pick(["rot_out", "q_new"]), p.quat_dtype(), p.quat(), shape, role="out")
        body += [assign(xo[t], name(x1)), assign(ro[t], name(r1))]
    return b.finish(b.pick(["integrate_bodies", "integrate_rigid", "step_bodies"]), body, shape)


def _apply_helpers(b: MotifBuilder, overload: bool) -> tuple[str, bool]:
    """``apply(X: transform, p)`` and, if ``overload`` (the kernel rotates directions too: an
    overload nothing calls would be dead code), ``apply(q: quat, p)``."""
    p = b.prec
    fname = b.fresh(b.pick(["apply", "to_world", "xform"]))
    b.func(fname, [("X", p.transform()), ("p", p.vec())], [ret(wp.transform_point(name("X"), name("p")))], p.vec(), reuse_name=fname)
    if overload:
        b.func(fname, [("q", p.quat()), ("p", p.vec())], [ret(wp.quat_rotate(name("q"), name("p")))], p.vec(), reuse_name=fname)
        b.features.add("func_overload")
        return fname, True
    return fname, False


def _transform_points(b: MotifBuilder, n: int) -> KernelProgram:
    p = b.prec
    if b.chance("generic_kernel"):
        b.make_generic()
    nb = b.pick([2, 4, 8])
    xf = b.array(b.pick(["body_q", "xforms", "transforms"]), p.transform_dtype(), p.transform(), (nb,), low=0.1, high=1.0)
    body_id = b.array(b.pick(["body", "shape_body", "owner"]), "int32", name("int"), (n,), low=0, high=nb - 1)
    local = b.array(b.pick(["points_local", "local_pos", "rest"]), p.vec_dtype(), p.vec(), (n,))
    helper = b.chance("helper_func")
    overload = helper and b.chance("func_overload")  # rotating normals too is what calls the overload
    nrm = b.array(b.pick(["normals_local", "local_normal"]), p.vec_dtype(), p.vec(), (n,)) \
        if overload or b.rng.random() < 0.6 else None
    vel = None
    if not b.generic_mode and b.rng.random() < 0.3:
        vel = (b.array(b.pick(["body_v", "lin_vel"]), p.vec_dtype(), p.vec(), (nb,)),
               b.array(b.pick(["body_w", "ang_vel"]), p.vec_dtype(), p.vec(), (nb,)))
    out = b.array(b.pick(["points_world", "world_pos", "x_out"]), p.vec_dtype(), p.vec(), (n,), role="out")
    nout = b.array(b.pick(["normals_world", "world_normal"]), p.vec_dtype(), p.vec(), (n,), role="out") if nrm is not None else None
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    X0, q, bid = b.fresh("X"), b.fresh("q"), b.fresh("b")
    body: list[ast.stmt] = [t_stmt, assign(bid, body_id[t]), assign(X0, xf[name(bid)]),
                            assign(q, wp.normalize(wp.transform_get_rotation(name(X0)))),
                            assign(X0, p.transform()(wp.transform_get_translation(name(X0)), name(q)))]
    point = b.let("p_local", local[t], body)  # the body-frame point, bound or inline
    if helper:
        fname, overloaded = _apply_helpers(b, overload)
        b.store(out, t, name(fname)(name(X0), point), body)
        if nout is not None:
            rot = name(fname)(name(q), nrm[t]) if overloaded else wp.quat_rotate(name(q), nrm[t])
            b.store(nout, t, wp.normalize(rot), body)
    else:
        b.store(out, t, wp.transform_point(name(X0), point), body)
        if nout is not None:
            b.store(nout, t, wp.normalize(wp.transform_vector(name(X0), nrm[t])), body)
    if vel is not None:  # velocity of the material point: v + w x r
        vout = b.array(b.pick(["point_vel", "world_vel"]), p.vec_dtype(), p.vec(), (n,), role="out")
        r = wp.quat_rotate(name(q), point)
        b.store(vout, t, vel[0][name(bid)] + wp.cross(vel[1][name(bid)], r), body)
    return b.finish(b.pick(["transform_points", "update_world_points", "compute_world_shapes"]), body, (n,))


def _fk_chain(b: MotifBuilder, n: int) -> KernelProgram:
    p = b.prec
    links = b.pick([2, 3, 4, 6])
    angles = b.array(b.pick(["joint_q", "angles", "theta"]), p.dtype, p.scalar(), (n, links), low=-1.5, high=1.5)
    offset = b.array(b.pick(["link_offset", "joint_X_p", "bone_length"]), p.vec_dtype(), p.vec(), (links,), low=0.2, high=1.0)
    per_joint = b.rng.random() < 0.4
    if per_joint:
        axis = b.array(b.pick(["joint_axis", "axes"]), p.vec_dtype(), p.vec(), (links,), low=0.3, high=1.0)
    else:
        axis = b.value(b.pick(["axis", "joint_axis"]), p.vec_dtype(), p.vec(), 0.3, 1.0)
    as_xform = b.rng.random() < 0.4
    as_matrix = as_xform and b.rng.random() < 0.3  # 4x4 world matrices (e.g. for rendering)
    if as_matrix:
        out = b.array(b.pick(["link_mat", "world_matrix"]), p.mat_dtype(4), p.mat(4), (n, links), role="out")
    elif as_xform:
        out = b.array(b.pick(["body_q", "link_X_w"]), p.transform_dtype(), p.transform(), (n, links), role="out")
    else:
        out = b.array(b.pick(["link_pos", "body_pos", "joint_world"]), p.vec_dtype(), p.vec(), (n, links), role="out")
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "arm", "env"]),))
    X0, a, j = b.fresh("X"), b.fresh("a"), b.fresh(b.pick(["j", "link"]))
    static = b.chance("static_expr")
    L = b.constant("NUM_LINKS", links) if b.chance("module_constant") else links
    trips = [wp.static(L)] if static and not isinstance(L, int) else [L]
    if static and not isinstance(L, int):
        b.features.add("wp_static")
    ident = wp.transform_identity(dtype=p.scalar()) if p.f64 else wp.transform_identity()
    body: list[ast.stmt] = [t_stmt]
    if not per_joint:
        body.append(assign(a, wp.normalize(axis)))
    body.append(assign(X0, ident))
    ax = wp.normalize(axis[name(j)]) if per_joint else name(a)
    loop: list[ast.stmt] = []
    rot = b.let("r", wp.quat_from_axis_angle(ax, angles[t, name(j)]), loop)
    loop += [assign(X0, name(X0) * p.transform()(offset[name(j)], rot)),
             assign(out[t, name(j)], wp.transform_to_matrix(name(X0)) if as_matrix else name(X0) if as_xform
                    else wp.transform_get_translation(name(X0)))]
    body.append(for_(j, trips, loop))
    return b.finish(b.pick(["eval_fk", "forward_kinematics", "fk_chain"]), body, (n,))


def _quat_rotate(b: MotifBuilder, n: int) -> KernelProgram:
    p = b.prec
    if b.chance("generic_kernel"):
        b.make_generic()
    shape, t_stmt, t = _index(b, n, ["tid", "i"])
    axis = b.array(b.pick(["axis", "axes", "rot_axis"]), p.vec_dtype(), p.vec(), shape, low=0.2, high=1.0)
    angle = b.array(b.pick(["angle", "theta"]), p.dtype, p.scalar(), shape, low=-3.0, high=3.0)
    v = b.array(b.pick(["v", "vectors", "points"]), p.vec_dtype(), p.vec(), shape)
    out = b.array(b.pick(["v_out", "rotated", "result"]), p.vec_dtype(), p.vec(), shape, role="out")
    q = b.fresh("q")
    body: list[ast.stmt] = [t_stmt, assign(q, wp.quat_from_axis_angle(wp.normalize(axis[t]), angle[t]))]
    how = b.pick(["rotate", "rotate", "inverse", "matrix"])
    if how == "matrix":
        R = b.let("R", wp.quat_to_matrix(name(q)), body)
        b.store(out, t, R * v[t], body)
    elif how == "inverse":
        b.store(out, t, wp.quat_rotate_inv(name(q), v[t]), body)
    else:
        b.store(out, t, wp.quat_rotate(name(q), v[t]), body)
    return b.finish(b.pick(["rotate_vectors", "apply_rotation", "rotate"]), body, shape)


def _slerp(b: MotifBuilder, n: int) -> KernelProgram:
    """Interpolate orientations (keyframes) with ``quat_slerp`` and output rotated frames."""
    p = b.prec
    shape, t_stmt, t = _index(b, n, ["tid", "i"])
    q0 = b.array(b.pick(["q_start", "rot_a", "key0"]), p.quat_dtype(), p.quat(), shape, low=0.1, high=1.0)
    q1 = b.array(b.pick(["q_end", "rot_b", "key1"]), p.quat_dtype(), p.quat(), shape, low=0.1, high=1.0)
    alpha = b.scalar(b.pick(["alpha", "t_interp", "blend"]), b.pick([0.25, 0.5, 0.75]))
    a, c, q = b.fresh("qa"), b.fresh("qb"), b.fresh("q")
    body: list[ast.stmt] = [t_stmt, assign(a, wp.normalize(q0[t])), assign(c, wp.normalize(q1[t]))]
    if b.rng.random() < 0.5:  # take the short way round
        body.append(if_(wp.dot(name(a), name(c)).lt(p.lit(0.0)), [assign(c, -name(c))]))
    body.append(assign(q, wp.quat_slerp(name(a), name(c), alpha)))
    if b.rng.random() < 0.5:
        out = b.array(b.pick(["q_out", "rot_interp"]), p.quat_dtype(), p.quat(), shape, role="out")
        b.store(out, t, name(q), body)
    else:
        out = b.array(b.pick(["frames", "rot_mat"]), p.mat_dtype(), p.mat(), shape, role="out")
        b.store(out, t, wp.quat_to_matrix(name(q)), body)
    return b.finish(b.pick(["interpolate_rotations", "slerp_keyframes", "blend_orientations"]), body, shape)


def _planar_fk(b: MotifBuilder, n: int) -> KernelProgram:
    """A planar arm: accumulate joint angles and step along each link with ``cos``/``sin``."""
    p = b.prec
    links = b.pick([2, 3, 4])
    degrees = b.rng.random() < 0.3
    q = b.array(b.pick(["joint_q", "angles", "theta"]), p.dtype, p.scalar(), (n, links),
                low=-90.0 if degrees else -1.5, high=90.0 if degrees else 1.5)
    length = b.array(b.pick(["link_length", "lengths", "bone_length"]), p.dtype, p.scalar(), (links,), low=0.2, high=1.0)
    out = b.array(b.pick(["link_pos", "joint_pos", "tip"]), p.vec_dtype(2), p.vec(2), (n, links), role="out")
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "arm", "env"]),))
    phi, pos, j = b.fresh(b.pick(["phi", "angle"])), b.fresh(b.pick(["pos", "x"])), b.fresh(b.pick(["j", "link"]))
    body: list[ast.stmt] = [t_stmt, assign(phi, p.lit(0.0) if p.f64 else name("float")(0.0)), assign(pos, b.zero(p.vec(2)))]
    angle = wp.radians(q[t, name(j)]) if degrees else q[t, name(j)]
    loop = [assign(phi, name(phi) + angle),
            assign(pos, name(pos) + length[name(j)] * p.vec(2)(wp.cos(name(phi)), wp.sin(name(phi)))),
            assign(out[t, name(j)], name(pos))]
    L = b.constant("NUM_LINKS", links) if b.chance("module_constant") else links
    body.append(for_(j, [wp.static(L)] if not isinstance(L, int) and b.chance("static_expr") else [L], loop))
    return b.finish(b.pick(["planar_fk", "eval_planar_arm", "arm_forward_kinematics"]), body, (n,))


def _animate(b: MotifBuilder, n: int) -> KernelProgram:
    """Procedural animation: points orbit or bob around their rest position with ``sin``/``cos`` of time."""
    p = b.prec
    shape, t_stmt, t = _index(b, n, ["tid", "i"])
    rest = b.array(b.pick(["rest_pos", "x0", "anchor"]), p.vec_dtype(), p.vec(), shape)
    time = b.scalar(b.pick(["time", "t", "sim_time"]), b.pick([0.0, 0.5, 1.25]))
    omega = common.physical(b, "OMEGA", b.pick(["omega", "frequency"]), b.pick([1.0, 2.0, 6.28]))
    amp = common.physical(b, "AMPLITUDE", b.pick(["amplitude", "radius"]), b.pick([0.05, 0.1, 0.5]))
    body: list[ast.stmt] = [t_stmt]
    phase = b.array(b.pick(["phase", "phase_offset"]), p.dtype, p.scalar(), shape, low=0.0, high=6.0)[t] \
        if b.rng.random() < 0.5 else None
    arg = omega * time + phase if phase is not None else omega * time
    a = name(b.fresh(b.pick(["arg", "angle", "theta"])))  # used twice: always bound
    body.append(assign(a, arg))
    out = b.array(b.pick(["x_out", "positions", "x"]), p.vec_dtype(), p.vec(), shape, role="out")
    if b.rng.random() < 0.5:  # circular orbit in the xz plane
        offset = p.vec()(amp * wp.cos(a), p.lit(0.0), amp * wp.sin(a))
    else:  # vertical bobbing
        offset = p.vec()(p.lit(0.0), amp * wp.sin(a), p.lit(0.0))
    b.store(out, t, rest[t] + offset, body)
    if b.rng.random() < 0.5:  # analytic velocity d/dt
        vout = b.array(b.pick(["v_out", "velocities"]), p.vec_dtype(), p.vec(), shape, role="out")
        w = amp * omega
        vel = p.vec()(-w * wp.sin(a), p.lit(0.0), w * wp.cos(a)) if "cos" in ast.unparse(offset.node) else \
            p.vec()(p.lit(0.0), w * wp.cos(a), p.lit(0.0))
        b.store(vout, t, vel, body)
    return b.finish(b.pick(["animate_points", "kinematic_update", "drive_targets"]), body, shape)


def _relative_rotation(b: MotifBuilder, n: int) -> KernelProgram:
    """Angular velocity from two orientations: ``axis, angle = quat_to_axis_angle(q1 * inv(q0))``;
    or a point expressed in a body's local frame with ``transform_inverse``."""
    p = b.prec
    b.differentiable = False  # the axis is undefined at zero rotation
    shape, t_stmt, t = _index(b, n, ["tid", "i", "body"])
    body: list[ast.stmt] = [t_stmt]
    if b.rng.random() < 0.5:
        xf = b.array(b.pick(["body_q", "xforms"]), p.transform_dtype(), p.transform(), shape, low=0.1, high=1.0)
        pts = b.array(b.pick(["x_world", "points"]), p.vec_dtype(), p.vec(), shape)
        out = b.array(b.pick(["x_local", "local_pos"]), p.vec_dtype(), p.vec(), shape, role="out")
        X0 = b.fresh("X")
        body += [assign(X0, xf[t]),
                 assign(X0, p.transform()(wp.transform_get_translation(name(X0)), wp.normalize(wp.transform_get_rotation(name(X0)))))]
        b.store(out, t, wp.transform_point(wp.transform_inverse(name(X0)), pts[t]), body)
        return b.finish(b.pick(["to_local_frame", "world_to_body", "inverse_transform_points"]), body, shape)
    q0 = b.array(b.pick(["q_prev", "rot0"]), p.quat_dtype(), p.quat(), shape, low=0.1, high=1.0)
    q1 = b.array(b.pick(["q_next", "rot1"]), p.quat_dtype(), p.quat(), shape, low=0.1, high=1.0)
    dt = b.scalar("dt", b.pick([1.0 / 60.0, 0.01]))
    out = b.array(b.pick(["omega", "ang_vel", "w_out"]), p.vec_dtype(), p.vec(), shape, role="out")
    dq, axis, angle = b.fresh("dq"), b.fresh("axis"), b.fresh("angle")
    body += [assign(dq, wp.normalize(q1[t]) * wp.quat_inverse(wp.normalize(q0[t]))),
             assign([axis, angle], wp.quat_to_axis_angle(name(dq)))]
    if b.rng.random() < 0.5:  # the short way round
        pi = wp.float64(wp.pi) if p.f64 else wp.pi
        body.append(if_(name(angle).gt(pi), [assign(angle, name(angle) - p.lit(2.0) * pi)]))
    b.store(out, t, name(axis) * (name(angle) / dt), body)
    return b.finish(b.pick(["finite_diff_omega", "angular_velocity", "relative_rotation"]), body, shape)


def build(b: MotifBuilder) -> KernelProgram:
    variant = b.variant()
    n = b.pick([16, 32, 64, 128])
    return {"rigid_integrate": _rigid, "transform_points": _transform_points, "fk_chain": _fk_chain,
            "quat_rotate": _quat_rotate, "slerp": _slerp, "planar_fk": _planar_fk, "animate": _animate,
            "relative_rotation": _relative_rotation}[variant](b, n)

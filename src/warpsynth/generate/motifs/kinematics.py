"""Quaternion and transform kinematics: rigid-body integration, transforming points and
normals, forward kinematics along a joint chain, axis-angle rotations (cf. ``warp.sim``'s
``integrate_bodies`` and ``eval_articulation_fk``).

One thread per body / point / articulation; each writes only its own slots.  Input
quaternions are normalised before use (drawn components are not unit length).
"""

from __future__ import annotations

import ast

from warpsynth.generate.motifs import common
from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.motifs.kit import X, assign, for_, func, name, ret, wp
from warpsynth.generate.program import KernelProgram


def _rigid(b: MotifBuilder, n: int) -> KernelProgram:
    p = b.prec
    pos = b.array(b.pick(["body_pos", "com", "x"]), p.vec_dtype(), p.vec(), (n,))
    rot = b.array(b.pick(["body_rot", "orientation", "q"]), p.quat_dtype(), p.quat(), (n,), low=0.1, high=1.0)
    v = b.array(b.pick(["body_vel", "lin_vel", "v"]), p.vec_dtype(), p.vec(), (n,), low=-0.5, high=0.5)
    w = b.array(b.pick(["body_omega", "ang_vel", "w"]), p.vec_dtype(), p.vec(), (n,), low=-1.0, high=1.0)
    g = common.gravity(b)
    dt = b.scalar("dt", b.pick([1.0 / 60.0, 0.01, 0.005]))
    out = b.array(b.pick(["body_q_out", "body_q", "xform_out"]), p.transform_dtype(), p.transform(), (n,), role="out")
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i", "body"]),))
    x0, r0, v1, w0, x1, r1 = (b.fresh(s) for s in ("x0", "r0", "v1", "w0", "x1", "r1"))
    body: list[ast.stmt] = [t_stmt, assign(x0, pos[t]), assign(r0, wp.normalize(rot[t])), assign(w0, w[t]),
                            assign(v1, v[t] + g * dt), assign(x1, name(x0) + name(v1) * dt)]
    spin = p.quat()(name(w0), p.lit(0.0)) * name(r0) * (p.lit(0.5) * dt)
    body += [assign(r1, wp.normalize(name(r0) + spin)), assign(out[t], p.transform()(name(x1), name(r1)))]
    return b.finish(b.pick(["integrate_bodies", "integrate_rigid", "step_bodies"]), body, (n,))


def _apply_helpers(b: MotifBuilder) -> tuple[str, bool]:
    """``apply(X: transform, p)`` and, as an overload, ``apply(q: quat, p)`` for directions."""
    p = b.prec
    fname = b.fresh(b.pick(["apply", "to_world", "xform"]))
    b.func(fname, [("X", p.transform()), ("p", p.vec())], [ret(wp.transform_point(name("X"), name("p")))], p.vec(), reuse_name=fname)
    if b.chance("func_overload"):
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
    nrm = b.array(b.pick(["normals_local", "local_normal"]), p.vec_dtype(), p.vec(), (n,)) if b.rng.random() < 0.6 else None
    out = b.array(b.pick(["points_world", "world_pos", "x_out"]), p.vec_dtype(), p.vec(), (n,), role="out")
    nout = b.array(b.pick(["normals_world", "world_normal"]), p.vec_dtype(), p.vec(), (n,), role="out") if nrm is not None else None
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    X0, q = b.fresh("X"), b.fresh("q")
    body: list[ast.stmt] = [t_stmt, assign(X0, xf[body_id[t]]),
                            assign(q, wp.normalize(wp.transform_get_rotation(name(X0)))),
                            assign(X0, p.transform()(wp.transform_get_translation(name(X0)), name(q)))]
    if b.chance("helper_func"):
        fname, overloaded = _apply_helpers(b)
        body.append(assign(out[t], name(fname)(name(X0), local[t])))
        if nout is not None:
            rot = name(fname)(name(q), nrm[t]) if overloaded else wp.quat_rotate(name(q), nrm[t])
            body.append(assign(nout[t], wp.normalize(rot)))
    else:
        body.append(assign(out[t], wp.transform_point(name(X0), local[t])))
        if nout is not None:
            body.append(assign(nout[t], wp.normalize(wp.transform_vector(name(X0), nrm[t]))))
    return b.finish(b.pick(["transform_points", "update_world_points", "compute_world_shapes"]), body, (n,))


def _fk_chain(b: MotifBuilder, n: int) -> KernelProgram:
    p = b.prec
    links = b.pick([2, 3, 4, 6])
    angles = b.array(b.pick(["joint_q", "angles", "theta"]), p.dtype, p.scalar(), (n, links), low=-1.5, high=1.5)
    offset = b.array(b.pick(["link_offset", "joint_X_p", "bone_length"]), p.vec_dtype(), p.vec(), (links,), low=0.2, high=1.0)
    axis = b.value(b.pick(["axis", "joint_axis"]), p.vec_dtype(), p.vec(), 0.3, 1.0)
    out = b.array(b.pick(["link_pos", "body_pos", "joint_world"]), p.vec_dtype(), p.vec(), (n, links), role="out")
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "arm", "env"]),))
    X0, a, j = b.fresh("X"), b.fresh("a"), b.fresh(b.pick(["j", "link"]))
    static = b.chance("static_expr")
    if b.chance("module_constant"):
        L = b.constant("NUM_LINKS", links)
    else:
        L = links
    trips = [wp.static(L)] if static and not isinstance(L, int) else [L]
    if static and not isinstance(L, int):
        b.features.add("wp_static")
    body: list[ast.stmt] = [t_stmt, assign(a, wp.normalize(axis)), assign(X0, wp.transform_identity(dtype=p.scalar()) if p.f64 else wp.transform_identity())]
    loop = [assign(X0, name(X0) * p.transform()(offset[name(j)], wp.quat_from_axis_angle(name(a), angles[t, name(j)]))),
            assign(out[t, name(j)], wp.transform_get_translation(name(X0)))]
    body.append(for_(j, trips, loop))
    return b.finish(b.pick(["eval_fk", "forward_kinematics", "fk_chain"]), body, (n,))


def _quat_rotate(b: MotifBuilder, n: int) -> KernelProgram:
    p = b.prec
    if b.chance("generic_kernel"):
        b.make_generic()
    axis = b.array(b.pick(["axis", "axes", "rot_axis"]), p.vec_dtype(), p.vec(), (n,), low=0.2, high=1.0)
    angle = b.array(b.pick(["angle", "theta"]), p.dtype, p.scalar(), (n,), low=-3.0, high=3.0)
    v = b.array(b.pick(["v", "vectors", "points"]), p.vec_dtype(), p.vec(), (n,))
    out = b.array(b.pick(["v_out", "rotated", "result"]), p.vec_dtype(), p.vec(), (n,), role="out")
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    q = b.fresh("q")
    body: list[ast.stmt] = [t_stmt, assign(q, wp.quat_from_axis_angle(wp.normalize(axis[t]), angle[t]))]
    if b.rng.random() < 0.5:
        R = b.fresh("R")
        body += [assign(R, wp.quat_to_matrix(name(q))), assign(out[t], name(R) * v[t])]
    else:
        body.append(assign(out[t], wp.quat_rotate(name(q), v[t])))
    return b.finish(b.pick(["rotate_vectors", "apply_rotation", "rotate"]), body, (n,))


def build(b: MotifBuilder) -> KernelProgram:
    variant = b.variant()
    n = b.pick([16, 32, 64, 128])
    return {"rigid_integrate": _rigid, "transform_points": _transform_points, "fk_chain": _fk_chain,
            "quat_rotate": _quat_rotate}[variant](b, n)

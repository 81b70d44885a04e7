"""Ray and closest-point queries against a ``wp.Mesh`` and box queries against a ``wp.Bvh``
(cf. Warp's ``example_raycast.py``, ``example_mesh.py`` and the BVH tests).

One thread per query point or pixel; each writes only its own output slot.  The
mesh (a height field) and the BVH boxes are built from the launch seed
(``generate.hosts``).  Mesh and BVH queries take ``float32``, so this family is
single precision.
"""

from __future__ import annotations

import ast

from warpsynth.generate.motifs import common
from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.motifs.kit import X, aug, assign, if_, name, ret, while_, wp
from warpsynth.generate.program import KernelProgram


def _mesh(b: MotifBuilder) -> X:
    k = b.pick([4, 6, 8])
    return b.host(b.pick(["mesh", "mesh_id"]), "mesh", (k, k), low=-0.2, high=0.2)


def _closest(b: MotifBuilder) -> KernelProgram:
    n = b.pick([32, 64, 128])
    mesh = _mesh(b)
    pts = b.array(b.pick(["points", "query_points", "x"]), "vec3", wp.vec3, (n,), low=-1.0, high=1.0)
    max_dist = b.scalar(b.pick(["max_dist", "query_radius"]), b.pick([0.5, 1.0, 2.0]))
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    p, q, cp = b.fresh("p"), b.fresh(b.pick(["query", "q"])), b.fresh(b.pick(["closest", "cp"]))
    body: list[ast.stmt] = [t_stmt, assign(p, pts[t])]
    signed = b.rng.random() < 0.5
    body.append(assign(q, (wp.mesh_query_point if signed else wp.mesh_query_point_no_sign)(mesh, name(p), max_dist)))
    hit = [assign(cp, wp.mesh_eval_position(mesh, name(q).dot("face"), name(q).dot("u"), name(q).dot("v")))]
    if b.rng.random() < 0.5:
        dist = b.array(b.pick(["sdf", "distance", "dist"]), "float32", name("float"), (n,), role="out")
        d = wp.length(name(p) - name(cp))
        hit.append(assign(dist[t], d * name(q).dot("sign") if signed else d))
        body.append(if_(name(q).dot("result"), hit, [assign(dist[t], max_dist)]))
    else:
        out = b.array(b.pick(["closest_points", "projected", "x_proj"]), "vec3", wp.vec3, (n,), role="out")
        normal = b.array(b.pick(["normals", "contact_normal"]), "vec3", wp.vec3, (n,), role="out")
        hit += [assign(out[t], name(cp)), assign(normal[t], wp.mesh_eval_face_normal(mesh, name(q).dot("face")))]
        body.append(if_(name(q).dot("result"), hit, [assign(out[t], name(p))]))
    return b.finish(b.pick(["closest_point_query", "query_mesh", "mesh_sdf", "project_points"]), body, (n,))


def _ray(b: MotifBuilder) -> KernelProgram:
    w, h = b.pick([8, 16, 24]), b.pick([8, 12, 16])
    mesh = _mesh(b)
    cam = b.value(b.pick(["cam_pos", "camera_origin", "eye"]), "vec3", wp.vec3, 1.5, 2.0)
    max_t = b.scalar(b.pick(["max_t", "far"]), b.pick([10.0, 100.0, 1.0e6]))
    width, height = b.int_param("width", w), b.int_param("height", h)
    t_stmt, (i, j) = common.tid(b, b.pick([("i", "j"), ("x", "y"), ("px", "py")]))
    depth = b.array(b.pick(["depth", "pixels", "image"]), "float32", name("float"), (w, h), role="out")
    sx, sy, ro, rd, q = b.fresh("sx"), b.fresh("sy"), b.fresh("ro"), b.fresh("rd"), b.fresh("query")
    body: list[ast.stmt] = [t_stmt,
                            assign(sx, 2.0 * name("float")(i) / name("float")(width) - 1.0),
                            assign(sy, 2.0 * name("float")(j) / name("float")(height) - 1.0),
                            assign(ro, cam),
                            assign(rd, wp.normalize(wp.vec3(name(sx), -1.0, name(sy)))),
                            assign(q, wp.mesh_query_ray(mesh, name(ro), name(rd), max_t))]
    shade = b.rng.random() < 0.5
    value = wp.abs(wp.dot(name(q).dot("normal"), name(rd))) if shade else name(q).dot("t")
    body.append(if_(name(q).dot("result"), [assign(depth[i, j], value)], [assign(depth[i, j], 0.0 if shade else max_t)]))
    return b.finish(b.pick(["draw", "raycast", "render_depth", "trace_rays"]), body, (w, h))


def _bvh(b: MotifBuilder, ray: bool) -> KernelProgram:
    n = b.pick([16, 32, 64])
    bvh = b.host(b.pick(["bvh", "bvh_id"]), "bvh", (b.pick([8, 16, 32]),), low=-1.0, high=1.0)
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    body: list[ast.stmt] = [t_stmt]
    q, idx = b.fresh("query"), b.fresh(b.pick(["bounds_nr", "index", "box"]))
    if ray:
        starts = b.array(b.pick(["ray_starts", "origins"]), "vec3", wp.vec3, (n,), low=-2.0, high=2.0)
        dirs = b.array(b.pick(["ray_dirs", "directions"]), "vec3", wp.vec3, (n,), low=-1.0, high=1.0)
        body.append(assign(q, wp.bvh_query_ray(bvh, starts[t], wp.normalize(dirs[t]))))
    else:
        pts = b.array(b.pick(["points", "centers"]), "vec3", wp.vec3, (n,), low=-1.0, high=1.0)
        r = b.scalar(b.pick(["radius", "margin"]), b.pick([0.1, 0.25, 0.5]))
        c = b.fresh("c")
        body += [assign(c, pts[t]), assign(q, wp.bvh_query_aabb(bvh, name(c) - wp.vec3(r), name(c) + wp.vec3(r)))]
    count = b.array(b.pick(["counts", "hits", "num_overlaps"]), "int32", name("int"), (n,), role="out")
    acc = b.fresh("count")
    # BVH queries have no iterator form in Warp 1.19: the while/query_next loop is the idiom
    body += [assign(idx, name("int")(0)), assign(acc, name("int")(0)),
             while_(wp.bvh_query_next(name(q), name(idx)), [aug(acc, "+", 1)])]
    body.append(assign(count[t], name(acc)))
    return b.finish(b.pick(["bvh_query", "count_overlaps", "broad_phase"] if not ray else ["bvh_raycast", "count_ray_hits"]), body, (n,))


def build(b: MotifBuilder) -> KernelProgram:
    b.force_f32()
    b.differentiable = False
    variant = b.variant()
    if variant == "mesh_closest":
        return _closest(b)
    if variant == "mesh_ray":
        return _ray(b)
    return _bvh(b, ray=variant == "bvh_ray")

"""Ray and closest-point queries against a ``wp.Mesh`` and box queries against a ``wp.Bvh``
(cf. Warp's ``example_raycast.py``, ``example_mesh.py`` and the BVH tests).

One thread per query point or pixel; each writes only its own output slots.  The mesh (a
height field) and the BVH boxes are built from the launch seed (``generate.hosts``; a BVH
may be built over box arrays the kernel also reads for its narrow phase).  Mesh and BVH
queries take ``float32``, so this family is single precision.
"""

from __future__ import annotations

import ast

from warpsynth.generate.motifs import common
from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.motifs.kit import X, aug, assign, for_, if_, name, ret, ternary, while_, wp
from warpsynth.generate.program import KernelProgram

F = name("float")


def _mesh(b: MotifBuilder) -> tuple[X, int]:
    """A height-field mesh parameter and its number of vertices."""
    k = b.pick([4, 6, 8])
    return b.host(b.pick(["mesh", "mesh_id"]), "mesh", (k, k), low=-0.2, high=0.2), k * k


def _closest(b: MotifBuilder) -> KernelProgram:
    n = b.pick([32, 64, 128])
    mesh, vertices = _mesh(b)
    pts = b.array(b.pick(["points", "query_points", "x"]), "vec3", wp.vec3, (n,), low=-1.0, high=1.0)
    max_dist = b.scalar(b.pick(["max_dist", "query_radius"]), b.pick([0.5, 1.0, 2.0]))
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    p, q, cp = b.fresh("p"), b.fresh(b.pick(["query", "q"])), b.fresh(b.pick(["closest", "cp"]))
    body: list[ast.stmt] = [t_stmt] + common.active_guard(b, n, t) + [assign(p, pts[t])]
    # The host mesh is an open height field: only the angle-weighted normals give a meaningful inside/outside
    # sign there (wp.mesh_query_point's ray vote and the winding number assume a closed mesh: mesh.h), so
    # the signed queries are sign_normal ones and the others are used for distances and closest points only.
    query = b.pick(["no_sign", "no_sign", "sign_normal", "sign_normal", "point"])
    signed = query == "sign_normal"
    fn = {"point": wp.mesh_query_point, "no_sign": wp.mesh_query_point_no_sign,
          "sign_normal": wp.mesh_query_point_sign_normal}[query]
    body.append(assign(q, fn(mesh, name(p), max_dist)))
    face, u, v = name(q).dot("face"), name(q).dot("u"), name(q).dot("v")
    hit = [assign(cp, wp.mesh_eval_position(mesh, face, u, v))]
    miss: list[ast.stmt] = []
    outputs = b.rng.sample(["dist", "closest", "normal", "bary", "parity"], b.rng.randint(1, 3))
    if outputs == ["parity"]:  # the query's own result is needed too
        outputs.append("dist")
    for o in outputs:
        if o == "dist":
            arr = b.array(b.pick(["sdf", "distance", "dist"]), "float32", F, (n,), role="out")
            dist = b.length(name(p) - name(cp))
            hit.append(assign(arr[t], dist * name(q).dot("sign") if signed else dist))
            miss.append(assign(arr[t], max_dist))
        elif o == "closest":
            arr = b.array(b.pick(["closest_points", "projected", "x_proj"]), "vec3", wp.vec3, (n,), role="out")
            hit.append(assign(arr[t], name(cp)))
            miss.append(assign(arr[t], name(p)))
        elif o == "parity":  # inside/outside by the parity of crossings along +y (valid far from the query too)
            arr = b.array(b.pick(["inside", "is_inside", "below"]), "int32", name("int"), (n,), role="out")
            crossings = wp.mesh_query_ray_count_intersections(mesh, name(p), wp.vec3(0.0, 1.0, 0.0))
            body.append(assign(arr[t], crossings % 2))
        elif o == "normal":  # from the closest point, not the face's normal: the same on every face sharing it
            arr = b.array(b.pick(["normals", "contact_normal"]), "vec3", wp.vec3, (n,), role="out")
            nrm = wp.normalize(name(p) - name(cp))
            hit.append(assign(arr[t], nrm * name(q).dot("sign") if signed else nrm))
        else:
            hit += _vertex_attribute(b, mesh, vertices, face, u, v, t, n)
    if not any(cp in {n.id for n in ast.walk(st) if isinstance(n, ast.Name)} for st in hit[1:]):
        hit = hit[1:]  # only the face / barycentrics are needed, not the closest point itself
    if b.rng.random() < 0.4 and miss:
        body += [if_(X(ast.UnaryOp(ast.Not(), name(q).dot("result").node)), miss + [ret()])] + hit
        b.features.add("early_return")
    else:
        body.append(if_(name(q).dot("result"), hit, miss))
    return b.finish(b.pick(["closest_point_query", "query_mesh", "mesh_sdf", "project_points"]), body, (n,))


def _vertex_attribute(b: MotifBuilder, mesh: X, vertices: int, face: X, u: X, v: X, t: X, n: int) -> list[ast.stmt]:
    """A per-vertex field interpolated at the closest point with the query's barycentrics.

    A closest point on an edge or vertex belongs to every face there, and which face a query
    reports differs between the CPU and the GPU BVH; the face index and barycentrics do too, but
    the interpolated value (like ``wp.mesh_eval_position``) is the same from every face.
    """
    attr = b.array(b.pick(["vertex_values", "vertex_temperature", "point_data"]), "float32", F, (vertices,))
    out = b.array(b.pick(["sampled", "surface_value", "interp"]), "float32", F, (n,), role="out")
    ids = [b.fresh(f"i{k}") for k in range(3)]
    corners = [assign(i, wp.mesh_get_index(mesh, face * 3 + k)) for k, i in enumerate(ids)]
    a, c, d = (attr[name(i)] for i in ids)
    return corners + [assign(out[t], a * u + c * v + d * (1.0 - u - v))]


def _ray(b: MotifBuilder) -> KernelProgram:
    w, h = b.pick([8, 16, 24]), b.pick([8, 12, 16])
    mesh, vertices = _mesh(b)
    cam = b.value(b.pick(["cam_pos", "camera_origin", "eye"]), "vec3", wp.vec3, 1.5, 2.0)
    width, height = b.int_param("width", w), b.int_param("height", h)
    max_t = b.scalar(b.pick(["max_t", "far"]), b.pick([10.0, 100.0, 1.0e6]))
    flat = b.rng.random() < 0.35
    shape = (w * h,) if flat else (w, h)
    body: list[ast.stmt] = []
    if flat:
        t_stmt, (tid,) = common.tid(b, (b.pick(["tid", "pixel"]),))
        i, j = b.fresh("x"), b.fresh("y")
        body += [t_stmt, assign(i, tid % width), assign(j, tid // width)]
        i, j, at = name(i), name(j), (tid,)
    else:
        t_stmt, (i, j) = common.tid(b, b.pick([("i", "j"), ("x", "y"), ("px", "py")]))
        body.append(t_stmt)
        at = (i, j)
    sx = b.let("sx", 2.0 * F(i) / F(width) - 1.0, body)
    sy = b.let("sy", 2.0 * F(j) / F(height) - 1.0, body)
    ro, rd, q = b.fresh("ro"), b.fresh("rd"), b.fresh("query")
    if b.rng.random() < 0.3:  # orthographic camera: parallel rays from a plane
        body += [assign(ro, cam + wp.vec3(sx, 0.0, sy)), assign(rd, wp.vec3(0.0, -1.0, 0.0))]
    else:
        if b.rng.random() < 0.4:
            fov = b.scalar(b.pick(["fov", "fov_y"]), b.pick([0.5, 0.8, 1.2]))
            sx, sy = sx * wp.tan(fov * 0.5), sy * wp.tan(fov * 0.5)
        ray = b.maybe_func(["camera_ray", "primary_ray", "ray_dir"], [("sx", F, sx), ("sy", F, sy)],
                           lambda u, v: wp.normalize(wp.vec3(u, -1.0, v)), wp.vec3)
        body += [assign(ro, cam), assign(rd, ray)]
    body.append(assign(q, wp.mesh_query_ray(mesh, name(ro), name(rd), max_t)))
    shade = b.pick(["depth", "normal", "lambert", "position"])
    if shade == "position":
        img = b.array(b.pick(["hit_points", "positions"]), "vec3", wp.vec3, shape, role="out")
        hit, miss = name(ro) + name(rd) * name(q).dot("t"), b.zero(wp.vec3)
    elif shade == "normal":
        img = b.array(b.pick(["normals", "normal_image"]), "vec3", wp.vec3, shape, role="out")
        hit, miss = name(q).dot("normal") * 0.5 + wp.vec3(0.5), b.zero(wp.vec3)
    else:
        img = b.array(b.pick(["depth", "pixels", "image"]), "float32", F, shape, role="out")
        if shade == "depth":
            hit, miss = name(q).dot("t"), max_t
        else:
            light = b.value(b.pick(["light_dir", "sun"]), "vec3", wp.vec3, 0.2, 1.0)
            hit, miss = wp.max(wp.dot(name(q).dot("normal"), wp.normalize(light)), 0.0), F(0.0)
            if b.rng.random() < 0.5:  # shadow ray towards the light: any hit means the point is occluded
                lit = wp.mesh_query_ray_anyhit(mesh, name(ro) + name(rd) * name(q).dot("t") + name(q).dot("normal") * 1.0e-3,
                                               wp.normalize(light), max_t)
                hit = ternary(lit, F(0.0), hit)
                b.features.add("shadow_ray")
    px = at[0] if len(at) == 1 else tuple(at)
    if b.rng.random() < 0.5:
        body.append(if_(name(q).dot("result"), [assign(img[px], hit)], [assign(img[px], miss)]))
    else:  # start from the background value, overwrite on a hit, store once
        c = b.fresh(b.pick(["color", "value", "shade"]))
        body += [assign(c, miss), if_(name(q).dot("result"), [assign(c, hit)])]
        b.store(img, px, name(c), body)
    return b.finish(b.pick(["draw", "raycast", "render", "trace_rays"]), body, shape)


def _bvh(b: MotifBuilder, ray: bool) -> KernelProgram:
    n, nb = b.pick([16, 32, 64]), b.pick([8, 16, 32])
    narrow = b.rng.random() < 0.5
    lowers = uppers = None
    if narrow:  # the kernel reads the boxes the BVH was built over
        lowers = b.array(b.pick(["lowers", "box_lower"]), "vec3", wp.vec3, (nb,), low=-1.2, high=0.8)
        uppers = b.array(b.pick(["extents", "box_size"]), "vec3", wp.vec3, (nb,), low=0.2, high=0.4)
        bvh = b.host(b.pick(["bvh", "bvh_id"]), "bvh", (nb,), refs=(lowers.text(), uppers.text()))
    else:
        bvh = b.host(b.pick(["bvh", "bvh_id"]), "bvh", (nb,), low=-1.0, high=1.0)
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    body: list[ast.stmt] = [t_stmt]
    q, idx = b.fresh("query"), b.fresh(b.pick(["bounds_nr", "index", "box"]))
    lo = hi = None
    if ray:
        starts = b.array(b.pick(["ray_starts", "origins"]), "vec3", wp.vec3, (n,), low=-2.0, high=2.0)
        dirs = b.array(b.pick(["ray_dirs", "directions"]), "vec3", wp.vec3, (n,), low=-1.0, high=1.0)
        direction = wp.normalize(dirs[t]) if b.rng.random() < 0.6 else dirs[t]  # or directions given unit length
        if narrow:
            ro, rd = b.fresh("ro"), b.fresh("rd")
            body += [assign(ro, starts[t]), assign(rd, direction), assign(q, wp.bvh_query_ray(bvh, name(ro), name(rd)))]
            return _bvh_nearest(b, t, body, q, idx, lowers, uppers, name(ro), name(rd), n)
        ro, rd = b.let("ro", starts[t], body), b.let("rd", direction, body)
        body.append(assign(q, wp.bvh_query_ray(bvh, ro, rd)))
    else:
        pts = b.array(b.pick(["points", "centers"]), "vec3", wp.vec3, (n,), low=-1.0, high=1.0)
        if b.rng.random() < 0.4:
            r = b.array(b.pick(["radius", "radii"]), "float32", F, (n,), low=0.05, high=0.5)[t]
        else:
            r = b.scalar(b.pick(["radius", "margin"]), b.pick([0.1, 0.25, 0.5]))
        c, lo, hi = b.fresh("c"), b.fresh("lower"), b.fresh("upper")
        if not narrow and b.rng.random() < 0.4:  # boxes overlapping a sphere around the point
            body += [assign(c, pts[t]), assign(q, wp.bvh_query_sphere(bvh, name(c), r))]
        else:
            ext = b.let("ext", wp.vec3(r, r, r) if b.rng.random() < 0.5 else wp.vec3(r), body)
            body += [assign(c, pts[t]), assign(lo, name(c) - ext), assign(hi, name(c) + ext),
                     assign(q, wp.bvh_query_aabb(bvh, name(lo), name(hi)))]
    any_hit = b.rng.random() < 0.3  # only whether anything is hit: stop at the first one
    acc = b.fresh(b.pick(["hit", "occluded"]) if any_hit else "count")
    found = [aug(acc, "+", 1)] + ([ast.Break()] if any_hit else [])
    cap = None
    if not any_hit and b.rng.random() < 0.4:
        # a point x box overlap matrix, not a list of box ids: a BVH reports the same boxes on every
        # device but in its own traversal order, so a list filled in that order differs CPU vs GPU
        cap = nb
        cand = b.array(b.pick(["overlap", "contact_mask", "pair_mask"]), "int32", name("int"), (n, nb), role="out")
        found = [assign(cand[t, name(idx)], 1), aug(acc, "+", 1)]
    if narrow:  # exact AABB test against the box (the BVH may report boxes that only touch its nodes)
        bl = lowers[name(idx)]
        bu = bl + uppers[name(idx)]
        sep = bl.dot("x").gt(name(hi).dot("x")).or_(bu.dot("x").lt(name(lo).dot("x")))
        for axis in ("y", "z"):
            sep = sep.or_(bl.dot(axis).gt(name(hi).dot(axis))).or_(bu.dot(axis).lt(name(lo).dot(axis)))
        found = [if_(sep, [ast.Continue()])] + found
    count = b.array(b.pick(["any_hit", "occlusion", "hit_mask"] if any_hit else ["counts", "hits", "num_overlaps"]), "int32",
                    name("int"), (n,), role="out")
    # BVH queries have no iterator form in Warp 1.19: the while/query_next loop is the idiom
    body += [assign(idx, name("int")(0)), assign(acc, name("int")(0)),
             while_(wp.bvh_query_next(name(q), name(idx)), found)]
    b.store(count, t, name(acc), body)
    names = ["bvh_raycast", "count_ray_hits"] if ray else (["find_candidates", "broad_phase"] if cap else ["bvh_query", "count_overlaps"])
    if any_hit and not cap:
        names = ["any_hit", "occlusion_query", "test_overlap"]
    return b.finish(b.pick(names), body, (n,))


def _slab(b: MotifBuilder) -> str:
    """``ray_box(o, d, lo, hi) -> float``: entry distance of a ray into a box (slab test), or -1."""
    o, d, lo, hi = name("o"), name("d"), name("lo"), name("hi")
    inv = name("inv_d")
    body = [assign("inv_d", wp.vec3(1.0 / d.dot("x"), 1.0 / d.dot("y"), 1.0 / d.dot("z"))),
            assign("t0", wp.cw_mul(lo - o, inv)), assign("t1", wp.cw_mul(hi - o, inv)),
            assign("tmin", wp.max(wp.min(name("t0"), name("t1")))), assign("tmax", wp.min(wp.max(name("t0"), name("t1")))),
            if_(name("tmax").lt(wp.max(name("tmin"), 0.0)), [ret(-1.0)]),
            ret(wp.max(name("tmin"), 0.0))]
    return b.func(b.pick(["ray_box", "intersect_aabb", "slab_test"]), [("o", wp.vec3), ("d", wp.vec3), ("lo", wp.vec3), ("hi", wp.vec3)],
                  body, F)


def _bvh_nearest(b: MotifBuilder, t: X, body: list[ast.stmt], q: str, idx: str, lowers: X, extents: X, ro: X, rd: X,
                 n: int) -> KernelProgram:
    """Closest box along each ray: BVH candidates, exact slab test, keep the nearest."""
    slab = _slab(b)
    best_t, best = b.fresh(b.pick(["t_min", "closest_t"])), b.fresh(b.pick(["hit_box", "closest"]))
    th = b.fresh("t_hit")
    test = [assign(th, name(slab)(ro, rd, lowers[name(idx)], lowers[name(idx)] + extents[name(idx)])),
            if_(name(th).ge(0.0).and_(name(th).lt(name(best_t))), [assign(best_t, name(th)), assign(best, name(idx))])]
    far = b.scalar(b.pick(["max_t", "far"]), b.pick([100.0, 1.0e6]))
    hit_id = b.array(b.pick(["hit_index", "hit_ids"]), "int32", name("int"), (n,), role="out")
    hit_t = b.array(b.pick(["hit_t", "hit_dist"]), "float32", F, (n,), role="out")
    body += [assign(idx, name("int")(0)), assign(best, name("int")(-1)), assign(best_t, far),
             while_(wp.bvh_query_next(name(q), name(idx)), test),
             assign(hit_id[t], name(best)), assign(hit_t[t], name(best_t))]
    return b.finish(b.pick(["raycast_boxes", "closest_hit", "trace_bvh"]), body, (n,))


def _mesh_aabb(b: MotifBuilder) -> KernelProgram:
    """Triangles of a mesh overlapping a box around each point (``wp.mesh_query_aabb``): count
    them, or find the nearest vertex among them (``wp.mesh_get_index`` / ``wp.mesh_get_point``)."""
    n = b.pick([32, 64, 128])
    mesh, vertices = _mesh(b)
    pts = b.array(b.pick(["points", "query_points", "x"]), "vec3", wp.vec3, (n,), low=-1.0, high=1.0)
    half = b.scalar(b.pick(["half_extent", "radius", "margin"]), b.pick([0.1, 0.25, 0.5]))
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    p, q, face = b.fresh("p"), b.fresh("query"), b.fresh(b.pick(["face", "tri", "f"]))
    body: list[ast.stmt] = [t_stmt] + common.active_guard(b, n, t) + [assign(p, pts[t])]
    ext = b.let("ext", wp.vec3(half, half, half) if b.rng.random() < 0.5 else wp.vec3(half), body)
    body.append(assign(q, wp.mesh_query_aabb(mesh, name(p) - ext, name(p) + ext)))
    body.append(assign(face, name("int")(0)))
    if b.rng.random() < 0.5:
        count, out = b.fresh(b.pick(["count", "num_tris"])), b.array(b.pick(["counts", "overlaps", "num_faces"]), "int32",
                                                                    name("int"), (n,), role="out")
        # the BVH reports candidates (which ones differs between the CPU and GPU builds): count the
        # faces whose centroid lies in the box
        c = b.fresh(b.pick(["centroid", "c"]))
        k = b.fresh("k")
        test = [assign(c, b.zero(wp.vec3)),
                for_(k, [3], [aug(c, "+", wp.mesh_get_point(mesh, name(face) * 3 + name(k)))]),
                if_(wp.max(wp.abs(name(c) / 3.0 - name(p))).le(half), [aug(count, "+", 1)])]
        body += [assign(count, name("int")(0)), while_(wp.mesh_query_aabb_next(name(q), name(face)), test)]
        b.store(out, t, name(count), body)
        return b.finish(b.pick(["count_overlapping_faces", "mesh_broad_phase", "faces_in_box"]), body, (n,))
    best, best_d, k, vi, dv, d = (b.fresh(v) for v in (b.pick(["nearest", "best_vertex"]), b.pick(["best_d", "min_d"]),
                                                       "k", "vi", "dv", "d"))
    inner = [assign(vi, wp.mesh_get_index(mesh, name(face) * 3 + name(k))),
             # wp.mesh_get_point takes the face-vertex slot (face * 3 + k), as wp.mesh_get_index does, not a vertex id
             assign(dv, wp.mesh_get_point(mesh, name(face) * 3 + name(k)) - name(p)), assign(d, b.length_sq(name(dv))),
             if_(name(d).lt(name(best_d)), [assign(best_d, name(d)), assign(best, name(vi))])]
    # only vertices within ``half`` of the point: their faces overlap the box, so every BVH reports them
    body += [assign(best, name("int")(-1)), assign(best_d, half * half),
             while_(wp.mesh_query_aabb_next(name(q), name(face)), [for_(k, [3], inner)])]
    out = b.array(b.pick(["nearest_vertex", "closest_vertex", "vertex_ids"]), "int32", name("int"), (n,), role="out")
    body.append(assign(out[t], name(best)))
    if b.rng.random() < 0.5:
        dist = b.array(b.pick(["vertex_dist", "dist_sq"]), "float32", F, (n,), role="out")
        body.append(assign(dist[t], name(best_d)))
    return b.finish(b.pick(["nearest_mesh_vertex", "snap_to_vertex", "closest_vertex"]), body, (n,))


def build(b: MotifBuilder) -> KernelProgram:
    b.force_f32()
    b.differentiable = False
    variant = b.variant()
    if variant == "mesh_closest":
        return _closest(b)
    if variant == "mesh_ray":
        return _ray(b)
    if variant == "mesh_aabb":
        return _mesh_aabb(b)
    return _bvh(b, ray=variant == "bvh_ray")

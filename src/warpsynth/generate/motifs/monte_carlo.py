"""Monte Carlo sampling with Warp's per-thread RNG: estimating pi and integrals, random walks,
hemisphere integration, position jitter (cf. Warp's sampling and noise examples).

``state = wp.rand_init(seed, tid)`` gives each thread its own stream; each thread writes only
its own output slots (or adds its count with ``wp.atomic_add``).
"""

from __future__ import annotations

import ast

from warpsynth.generate.motifs import common
from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.motifs.kit import X, aug, assign, expr, for_, if_, name, ret, wp
from warpsynth.generate.program import KernelProgram

F = name("float")

#: integrands for the ``integrate`` variant, as (helper body expression of x, name)
_INTEGRANDS = {
    "gaussian": lambda x: wp.exp(-x * x), "xsin": lambda x: wp.sin(x) * x,
    "poly": lambda x: x * x * x - 2.0 * x, "bump": lambda x: 1.0 / (1.0 + x * x),
}


def _samples(b: MotifBuilder) -> X:
    count = b.pick([8, 16, 32, 64])
    if b.chance("module_constant"):
        return b.constant(b.pick(["NUM_SAMPLES", "SAMPLES_PER_THREAD"]), count)
    return b.int_param(b.pick(["num_samples", "samples_per_thread", "n_samples"]), count)


def _pi(b: MotifBuilder, state: X, t: X, n: int, body: list[ast.stmt]) -> str:
    ns = _samples(b)
    hits = b.fresh(b.pick(["hits", "inside"]))
    if b.rng.random() < 0.5:
        x, y = b.fresh("x"), b.fresh("y")
        draw = [assign(x, wp.randf(state)), assign(y, wp.randf(state))]
        r2 = name(x) * name(x) + name(y) * name(y)
    else:
        pt = b.fresh("pt")
        draw = [assign(pt, wp.sample_unit_square(state))]
        r2 = wp.length_sq(name(pt) + wp.vec2(0.5, 0.5))
    inside = r2.le(1.0)
    if b.chance("helper_func"):
        fn = b.func(b.pick(["in_unit_circle", "inside"]), [("r2", F)], [ret(name("r2").le(1.0))], name("bool"))
        inside = name(fn)(r2)
    body += [assign(hits, name("int")(0)), for_("_", [ns], draw + [if_(inside, [aug(hits, "+", 1)])])]
    if b.rng.random() < 0.5:
        total = b.array(b.pick(["total_hits", "counter"]), "int32", name("int"), (1,), role="out")
        body.append(expr(wp.atomic_add(total, 0, name(hits))))
        b.features.add("atomic")
    else:
        est = b.array(b.pick(["estimate", "pi_est"]), "float32", F, (n,), role="out")
        b.store(est, t, 4.0 * F(name(hits)) / F(ns), body)
    return b.pick(["estimate_pi", "monte_carlo_pi"])


def _integrate(b: MotifBuilder, state: X, t: X, n: int, body: list[ast.stmt]) -> str:
    kind = b.pick(list(_INTEGRANDS))
    f = b.func(b.pick(["integrand", "f", "eval_f"]), [("x", F)], [ret(_INTEGRANDS[kind](name("x")))], F)
    ns = _samples(b)
    lo, hi = b.scalar(b.pick(["a", "lower"]), b.pick([0.0, -1.0])), b.scalar(b.pick(["b", "upper"]), b.pick([1.0, 2.0]))
    acc, x = b.fresh(b.pick(["acc", "total"])), b.fresh("x")
    if b.rng.random() < 0.35:  # stratified: one jittered sample per sub-interval
        k = b.fresh("k")
        u = (F(name(k)) + wp.randf(state)) / F(ns)
        body += [assign(acc, F(0.0)),
                 for_(k, [ns], [assign(x, lo + (hi - lo) * u), aug(acc, "+", name(f)(name(x)))])]
        b.features.add("stratified")
    else:
        body += [assign(acc, F(0.0)),
                 for_("_", [ns], [assign(x, wp.randf(state, lo, hi)), aug(acc, "+", name(f)(name(x)))])]
    est = (hi - lo) * name(acc) / F(ns)
    if b.rng.random() < 0.4:
        total = b.array(b.pick(["integral", "result"]), "float32", F, (1,), role="out")
        body.append(expr(wp.atomic_add(total, 0, est / F(n))))
        b.features.add("atomic")
    else:
        out = b.array(b.pick(["estimates", "partial"]), "float32", F, (n,), role="out")
        b.store(out, t, est, body)
    return b.pick(["mc_integrate", "integrate_monte_carlo"])


def _walk(b: MotifBuilder, state: X, t: X, n: int, body: list[ast.stmt]) -> str:
    ns = _samples(b)
    start = b.array(b.pick(["x0", "start", "positions"]), "vec3", wp.vec3, (n,))
    step = b.scalar(b.pick(["step_size", "sigma"]), b.pick([0.01, 0.05, 0.1]))
    pos = b.fresh("p")
    draw = wp.sample_unit_sphere_surface(state) if b.rng.random() < 0.5 else wp.vec3(wp.randn(state), wp.randn(state), wp.randn(state))
    loop: list[ast.stmt] = []
    loop.append(aug(pos, "+", b.let(b.pick(["dx", "dp", "step_vec"]), draw * step, loop)))
    if b.rng.random() < 0.4:
        bound = b.scalar(b.pick(["bound", "box_half_size"]), b.pick([1.0, 2.0]))
        loop.append(assign(pos, wp.min(wp.max(name(pos), wp.vec3(-bound)), wp.vec3(bound))))
    out = b.array(b.pick(["x_final", "end", "positions_out"]), "vec3", wp.vec3, (n,), role="out")
    body += [assign(pos, start[t]), for_("_", [ns], loop), assign(out[t], name(pos))]
    if b.rng.random() < 0.3:
        dist = b.array(b.pick(["displacement", "dist"]), "float32", F, (n,), role="out")
        b.store(dist, t, b.length(name(pos) - start[t]), body)
    return b.pick(["random_walk", "brownian_motion", "diffuse_particles"])


def _hemisphere(b: MotifBuilder, state: X, t: X, n: int, body: list[ast.stmt]) -> str:
    ns = _samples(b)
    style = b.rng.random()
    normals = b.array(b.pick(["normals", "n"]), "vec3", wp.vec3, (n,)) if style >= 0.3 else None
    out = b.array(b.pick(["irradiance", "ao", "coverage"]), "float32", F, (n,), role="out")
    nrm, acc, d = b.fresh("nrm"), b.fresh("acc"), b.fresh("d")
    loop: list[ast.stmt] = []
    if style < 0.3:  # cosine-weighted directions about +z from two uniforms (polar form)
        u1, u2, r, phi, tx, ty = (b.fresh(v) for v in ("u1", "u2", "r", "phi", "tx", "ty"))
        helper = b.rng.random() < 0.5
        loop += [assign(u1, wp.randf(state)), assign(u2, wp.randf(state)), assign(r, wp.sqrt(name(u1))),
                 assign(phi, 2.0 * wp.pi * name(u2))]
        local = wp.vec3(name(r) * wp.cos(name(phi)), name(r) * wp.sin(name(phi)), wp.sqrt(wp.max(1.0 - name(u1), 0.0)))
        if helper:  # the visibility / radiance term of each direction, as a function of the local direction
            w = b.func(b.pick(["sky_radiance", "radiance", "env_light"]), [("d", wp.vec3)],
                       [ret(0.5 + 0.5 * name("d").dot("z"))], F)
            loop.append(aug(acc, "+", name(w)(local)))
        else:
            loop += [assign(d, local), aug(acc, "+", name(d).dot("z") * name(d).dot("z"))]
        body += [assign(acc, F(0.0)), for_("_", [ns], loop)]
        b.store(out, t, name(acc) / F(ns), body)
        return b.pick(["cosine_sample", "integrate_sky", "sample_cosine"])
    if style < 0.65:
        loop.append(assign(d, wp.sample_unit_sphere_surface(state)))
        cos = b.let("cos_theta", wp.dot(name(d), name(nrm)), loop)
        if b.rng.random() < 0.5:
            loop.append(aug(acc, "+", wp.max(cos, 0.0)))
        else:
            loop.append(if_(cos.gt(0.0), [aug(acc, "+", cos)]))
    else:  # hemisphere around +z, folded onto the normal's side
        loop += [assign(d, wp.sample_unit_hemisphere_surface(state)), aug(acc, "+", wp.abs(wp.dot(name(d), name(nrm))))]
    body += [assign(nrm, wp.normalize(normals[t])), assign(acc, F(0.0)), for_("_", [ns], loop)]
    b.store(out, t, name(acc) / F(ns), body)
    return b.pick(["integrate_hemisphere", "ambient_occlusion", "sample_cosine"])


def _jitter(b: MotifBuilder, state: X, t: X, n: int, body: list[ast.stmt]) -> str:
    two_d = b.rng.random() < 0.35
    vt, vd = (wp.vec2, "vec2") if two_d else (wp.vec3, "vec3")
    pts = b.array(b.pick(["points", "x", "grid_points"]), vd, vt, (n,))
    amp = b.scalar(b.pick(["jitter", "amplitude", "noise_scale"]), b.pick([0.01, 0.05, 0.1]))
    out = b.array(b.pick(["x_out", "jittered", "samples"]), vd, vt, (n,), role="out")
    kind = b.pick(["uniform", "gaussian", "disk", "polar"] if two_d else ["uniform", "gaussian"])
    if kind == "uniform":
        comps = [wp.randf(state, -1.0, 1.0) for _ in range(2 if two_d else 3)]
        off = vt(*comps)
    elif kind == "gaussian":
        off = vt(*[wp.randn(state) for _ in range(2 if two_d else 3)])
    elif kind == "polar":  # uniform in the unit disk: r = sqrt(u), theta = 2 pi v
        r, th = b.fresh("r"), b.fresh("theta")
        body += [assign(r, wp.sqrt(wp.randf(state))), assign(th, 2.0 * wp.pi * wp.randf(state))]
        off = wp.vec2(name(r) * wp.cos(name(th)), name(r) * wp.sin(name(th)))
    else:
        off = wp.sample_unit_disk(state)
    b.store(out, t, pts[t] + off * amp, body)
    return b.pick(["jitter_points", "perturb", "add_noise"])


def _resample(b: MotifBuilder, state: X, t: X, n: int, body: list[ast.stmt]) -> str:
    """Bootstrap statistics: each thread draws random elements of a data array (``wp.randi``) and
    estimates their mean (or mean square) from the resample."""
    ns = _samples(b)
    m = b.pick([16, 32, 64, 100])
    data = b.array(b.pick(["data", "observations", "samples"]), "float32", F, (m,))
    acc, j = b.fresh(b.pick(["acc", "total"])), b.fresh(b.pick(["j", "idx", "pick"]))
    upper = data.dot("shape")[0] if b.rng.random() < 0.6 else m
    square = b.rng.random() < 0.3
    draw = [assign(j, wp.randi(state, 0, upper)), aug(acc, "+", data[name(j)] * data[name(j)] if square else data[name(j)])]
    body += [assign(acc, F(0.0)), for_("_", [ns], draw)]
    out = b.array(b.pick(["means", "bootstrap", "estimates"]), "float32", F, (n,), role="out")
    b.store(out, t, name(acc) / F(ns), body)
    return b.pick(["bootstrap_mean", "resample", "bootstrap"])


_VARIANTS = {"pi_estimate": _pi, "random_walk": _walk, "sphere_sampling": _hemisphere, "jitter": _jitter,
             "integrate": _integrate, "resample": _resample}


def build(b: MotifBuilder) -> KernelProgram:
    b.force_f32()
    b.differentiable = False
    b.features.add("random")
    variant = b.variant()
    n = b.pick([16, 32, 64, 128])
    seed = b.int_param(b.pick(["seed", "rng_seed"]), b.rng.randint(0, 10_000))
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    state = b.fresh(b.pick(["state", "rng"]))
    body: list[ast.stmt] = [t_stmt]
    if b.rng.random() < 0.3:  # a per-launch offset so repeated launches draw fresh numbers
        frame = b.int_param(b.pick(["frame", "iteration", "step"]), b.rng.randint(0, 100))
        body.append(assign(state, wp.rand_init(seed + frame, t)))
    else:
        body.append(assign(state, wp.rand_init(seed, t)))
    kname = _VARIANTS[variant](b, name(state), t, n, body)
    return b.finish(kname, body, (n,))

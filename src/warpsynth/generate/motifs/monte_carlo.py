"""Monte Carlo sampling with Warp's per-thread RNG: estimating pi, random walks, hemisphere
integration, position jitter (cf. Warp's ``example_*`` noise and sampling kernels).

``state = wp.rand_init(seed, tid)`` gives each thread its own stream; each thread
writes only its own output slot (or adds its count with ``wp.atomic_add``).
"""

from __future__ import annotations

import ast

from warpsynth.generate.motifs import common
from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.motifs.kit import X, aug, assign, expr, for_, if_, name, wp
from warpsynth.generate.program import KernelProgram


def _samples(b: MotifBuilder) -> X:
    count = b.pick([8, 16, 32, 64])
    if b.chance("module_constant"):
        return b.constant(b.pick(["NUM_SAMPLES", "SAMPLES_PER_THREAD"]), count)
    return b.int_param(b.pick(["num_samples", "samples_per_thread", "n_samples"]), count)


def build(b: MotifBuilder) -> KernelProgram:
    b.force_f32()
    b.differentiable = False
    b.features.add("random")
    variant = b.variant()
    n = b.pick([16, 32, 64, 128])
    seed = b.int_param(b.pick(["seed", "rng_seed"]), b.rng.randint(0, 10_000))
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    state = b.fresh(b.pick(["state", "rng"]))
    body: list[ast.stmt] = [t_stmt, assign(state, wp.rand_init(seed, t))]
    s = "_"  # the sample index is not needed: each draw advances the thread's RNG state
    if variant == "pi_estimate":
        ns = _samples(b)
        hits = b.fresh(b.pick(["hits", "inside"]))
        x, y = b.fresh("x"), b.fresh("y")
        loop = [assign(x, wp.randf(name(state))), assign(y, wp.randf(name(state))),
                if_((name(x) * name(x) + name(y) * name(y)).le(1.0), [aug(hits, "+", 1)])]
        body += [assign(hits, name("int")(0)), for_(s, [ns], loop)]
        if b.rng.random() < 0.5:
            total = b.array(b.pick(["total_hits", "counter"]), "int32", name("int"), (1,), role="out")
            body.append(expr(wp.atomic_add(total, 0, name(hits))))
            b.features.add("atomic")
        else:
            est = b.array(b.pick(["estimate", "pi_est"]), "float32", name("float"), (n,), role="out")
            body.append(assign(est[t], 4.0 * name("float")(name(hits)) / name("float")(ns)))
        return b.finish(b.pick(["estimate_pi", "monte_carlo_pi"]), body, (n,))
    if variant == "random_walk":
        ns = _samples(b)
        start = b.array(b.pick(["x0", "start", "positions"]), "vec3", wp.vec3, (n,))
        step = b.scalar(b.pick(["step_size", "sigma"]), b.pick([0.01, 0.05, 0.1]))
        out = b.array(b.pick(["x_final", "end", "positions_out"]), "vec3", wp.vec3, (n,), role="out")
        pos = b.fresh("p")
        draw = wp.sample_unit_sphere_surface(name(state)) if b.rng.random() < 0.5 else wp.vec3(wp.randn(name(state)), wp.randn(name(state)), wp.randn(name(state)))
        body += [assign(pos, start[t]), for_(s, [ns], [aug(pos, "+", draw * step)]), assign(out[t], name(pos))]
        return b.finish(b.pick(["random_walk", "brownian_motion", "diffuse_particles"]), body, (n,))
    if variant == "sphere_sampling":
        ns = _samples(b)
        normals = b.array(b.pick(["normals", "n"]), "vec3", wp.vec3, (n,))
        out = b.array(b.pick(["irradiance", "ao", "coverage"]), "float32", name("float"), (n,), role="out")
        nrm, acc, d = b.fresh("nrm"), b.fresh("acc"), b.fresh("d")
        body += [assign(nrm, wp.normalize(normals[t])), assign(acc, name("float")(0.0)),
                 for_(s, [ns], [assign(d, wp.sample_unit_sphere_surface(name(state))),
                                aug(acc, "+", wp.max(wp.dot(name(d), name(nrm)), 0.0))]),
                 assign(out[t], name(acc) / name("float")(ns))]
        return b.finish(b.pick(["integrate_hemisphere", "ambient_occlusion", "sample_cosine"]), body, (n,))
    pts = b.array(b.pick(["points", "x", "grid_points"]), "vec3", wp.vec3, (n,))
    amp = b.scalar(b.pick(["jitter", "amplitude", "noise_scale"]), b.pick([0.01, 0.05, 0.1]))
    out = b.array(b.pick(["x_out", "jittered", "samples"]), "vec3", wp.vec3, (n,), role="out")
    off = wp.vec3(wp.randf(name(state), -1.0, 1.0), wp.randf(name(state), -1.0, 1.0), wp.randf(name(state), -1.0, 1.0))
    body.append(assign(out[t], pts[t] + off * amp))
    return b.finish(b.pick(["jitter_points", "perturb", "add_noise"]), body, (n,))

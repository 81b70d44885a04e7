"""Finite-difference stencils on 2D/3D grids: Laplacian, explicit diffusion, semi-Lagrangian
advection and central-difference gradients (cf. Warp's ``example_fluid.py`` and wave examples).

Each thread owns cell ``(i, j[, k])``: it reads neighbours of an INPUT array and writes
its own cell of a different OUTPUT array.  Boundaries are handled one of three ways:
an early ``return`` on the border, clamped neighbour indices, or periodic wrap.
"""

from __future__ import annotations

import ast

from warpsynth.generate.motifs import common
from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.motifs.kit import X, assign, if_, name, ret, wp
from warpsynth.generate.program import KernelProgram


def _neighbour(b: MotifBuilder, mode: str, idx: X, n: X, step: int) -> X:
    moved = idx - (-step) if step < 0 else idx + step
    if mode == "periodic":
        return (moved + n) % n if step < 0 else moved % n
    if mode == "clamp":
        return wp.max(moved, 0) if step < 0 else wp.min(moved, n - 1)
    return moved


def _spacing(b: MotifBuilder) -> tuple[X, X]:
    """(dx, 1/dx^2): a plain module constant folded with ``wp.static``, or a parameter."""
    p = b.prec
    dxv = b.pick([0.1, 0.05, 0.02, 1.0 / 32.0])
    if b.chance("static_expr"):
        dx = b.fresh("DX")
        b.consts.append(assign(dx, float(f"{dxv:.4g}")))
        b.features.add("wp_static")
        inv = wp.static(1.0 / (name(dx) * name(dx)))
        return (wp.static(name(dx)) if not p.f64 else p.cast(wp.static(name(dx)))), (inv if not p.f64 else p.cast(inv))
    dx = b.scalar(b.pick(["dx", "h", "cell_size"]), dxv)
    return dx, p.lit(1.0) / (dx * dx)


def _border(ids: tuple[X, ...], sizes: tuple[X, ...]) -> X:
    cond = None
    for i, n in zip(ids, sizes):
        for c in (i.eq(0), i.eq(n - 1)):
            cond = c if cond is None else cond.or_(c)
    return cond


def _laplacian(b: MotifBuilder, u: X, ids: tuple[X, ...], sizes: tuple[X, ...], mode: str) -> X:
    total = None
    for d in range(len(ids)):
        for step in (-1, 1):
            nb = tuple(_neighbour(b, mode, ids[e], sizes[e], step) if e == d else ids[e] for e in range(len(ids)))
            term = u[nb]
            total = term if total is None else total + term
    return total - b.prec.lit(2.0 * len(ids)) * u[ids]


def build(b: MotifBuilder) -> KernelProgram:
    p = b.prec
    variant = b.variant()
    ndim = 3 if b.rng.random() < 0.35 and variant != "advection" else 2
    shape = tuple(b.pick([8, 12, 16, 24]) for _ in range(ndim)) if ndim == 2 else tuple(b.pick([4, 6, 8]) for _ in range(3))
    id_names = ("i", "j", "k") if ndim == 3 else b.pick([("i", "j"), ("x", "y")])
    mode = b.pick(["border", "clamp", "periodic"]) if variant != "advection" else "clamp"
    b.features.add(f"boundary_{mode}")
    in_name = {"laplacian": ["u", "phi", "field"], "diffusion": ["u", "temperature", "conc"], "wave": ["u", "h", "height"],
               "advection": ["q", "density", "dye"], "gradient": ["p", "pressure", "phi"],
               "jacobi": ["p", "pressure", "phi"]}[variant]
    u = b.array(b.pick(in_name), p.dtype, p.scalar(), shape)
    t_stmt, ids = common.tid(b, id_names)
    body: list[ast.stmt] = [t_stmt]
    sizes: tuple[X, ...] = ()
    if variant != "advection":  # advection samples through clamped lookups instead
        if b.chance("inline_temp"):  # u.shape[d] written where it is used
            sizes = tuple(u.dot("shape")[d] for d in range(ndim))
        else:
            size_names = [b.fresh(s) for s in ("nx", "ny", "nz")[:ndim]]
            body += [assign(s, u.dot("shape")[d]) for d, s in enumerate(size_names)]
            sizes = tuple(name(s) for s in size_names)

    dx, inv_h2 = _spacing(b)
    if variant == "gradient":
        out = b.array(b.pick(["grad", "grad_p", "du"]), p.vec_dtype(ndim), p.vec(ndim), shape, role="out")
    else:
        outs = {"laplacian": ["lap_out", "result", "del2_u"], "diffusion": ["u_new", "u_out"], "advection": ["q_new", "q_out", "out"],
                "wave": ["u_next", "u_new", "h_new"], "jacobi": ["p_new", "p_out", "pressure_next"]}
        out = b.array(b.pick(outs[variant]), p.dtype, p.scalar(), shape, role="out")
    if mode == "border":
        body.append(if_(_border(ids, sizes), [ret()]))
        b.features.add("early_return")
    if variant in ("laplacian", "diffusion", "wave"):
        _laplacian_step(b, variant, u, out, ids, sizes, mode, inv_h2, shape, body)
    elif variant == "jacobi":
        _jacobi(b, u, out, ids, sizes, mode, dx, shape, body)
    elif variant == "gradient":
        _gradient(b, u, out, ids, sizes, mode, dx, body)
    else:
        _advect(b, u, out, ids, sizes, dx, body)
    return b.finish(b.pick({"laplacian": ["laplacian", "apply_laplacian", "compute_laplacian"],
                            "diffusion": ["diffuse", "diffusion_step", "heat_step"], "wave": ["wave_step", "integrate_wave", "wave_solve"],
                            "advection": ["advect", "advect_semi_lagrangian", "advect_scalar"],
                            "gradient": ["gradient", "compute_gradient", "pressure_gradient"],
                            "jacobi": ["jacobi_iteration", "pressure_solve", "jacobi_step"]}[variant]), body, shape)


def _laplacian_step(b: MotifBuilder, variant: str, u: X, out: X, ids: tuple[X, ...], sizes: tuple[X, ...], mode: str,
                    inv_h2: X, shape: tuple[int, ...], body: list[ast.stmt]) -> None:
    """The Laplacian itself, an explicit diffusion step or a wave step (the Laplacian maybe as a helper)."""
    p = b.prec
    ndim = len(ids)
    lap = b.fresh(b.pick(["lap", "del2"]))
    ann = b.arr_ann(p.scalar(), ndim)
    params = [("f", ann, u)] + [(nm, name("int"), e) for nm, e in zip(("i", "j", "k"), ids)]
    if mode != "border":
        params += [(nm, name("int"), e) for nm, e in zip(("nx", "ny", "nz"), sizes)]
    stencil = b.maybe_func(["laplacian", "discrete_laplacian", "lap5" if ndim == 2 else "lap7"], params,
                           lambda f, *rest: _laplacian(b, f, tuple(rest[:ndim]), tuple(rest[ndim:]) or sizes, mode), p.scalar())
    body.append(assign(lap, stencil * inv_h2))
    if variant == "laplacian":
        b.store(out, ids, name(lap), body)
    elif variant == "diffusion":
        if b.rng.random() < 0.3:
            kappa = b.array(b.pick(["kappa", "diffusivity"]), p.dtype, p.scalar(), shape, low=0.01, high=0.25)[ids]
        else:
            kappa = common.physical(b, "KAPPA", b.pick(["kappa", "diffusivity", "alpha"]), b.pick([0.01, 0.1, 0.25]))
        dt = b.scalar("dt", b.pick([1.0e-3, 1.0e-4, 5.0e-4]))
        rate = kappa * name(lap)
        if b.rng.random() < 0.3:
            rate = rate + b.array(b.pick(["source", "heat_source", "q"]), p.dtype, p.scalar(), shape)[ids]
        b.store(out, ids, u[ids] + dt * rate, body)
    else:
        prev = b.array(b.pick(["u_prev", "h_prev", "prev"]), p.dtype, p.scalar(), shape)
        c = common.physical(b, "WAVE_SPEED", b.pick(["c", "wave_speed"]), b.pick([0.5, 1.0, 2.0]))
        dt = b.scalar("dt", b.pick([1.0e-3, 5.0e-4]))
        nxt = p.lit(2.0) * u[ids] - prev[ids] + (c * dt) * (c * dt) * name(lap)
        if b.rng.random() < 0.4:
            damp = common.physical(b, "DAMPING", "damping", b.pick([0.99, 0.995, 0.999]))
            nxt = nxt * damp
        b.store(out, ids, nxt, body)


def _jacobi(b: MotifBuilder, u: X, out: X, ids: tuple[X, ...], sizes: tuple[X, ...], mode: str, dx: X,
            shape: tuple[int, ...], body: list[ast.stmt]) -> None:
    """One Jacobi sweep of the pressure Poisson equation ``lap(p) = div``."""
    p = b.prec
    ndim = len(ids)
    div = b.array(b.pick(["div", "divergence", "rhs"]), p.dtype, p.scalar(), shape)
    total = None
    for d in range(ndim):
        for step in (-1, 1):
            nb = tuple(_neighbour(b, mode, ids[e], sizes[e], step) if e == d else ids[e] for e in range(ndim))
            total = u[nb] if total is None else total + u[nb]
    s_ = b.let(b.pick(["s", "nbr_sum"]), total, body)
    h2 = dx * dx
    b.store(out, ids, (s_ - h2 * div[ids]) / p.lit(2.0 * ndim), body)


def _gradient(b: MotifBuilder, u: X, out: X, ids: tuple[X, ...], sizes: tuple[X, ...], mode: str, dx: X,
              body: list[ast.stmt]) -> None:
    """Central-difference gradient into a vector array."""
    p = b.prec
    ndim = len(ids)
    comps = []
    for d in range(ndim):
        hi = tuple(_neighbour(b, mode, ids[e], sizes[e], 1) if e == d else ids[e] for e in range(ndim))
        lo = tuple(_neighbour(b, mode, ids[e], sizes[e], -1) if e == d else ids[e] for e in range(ndim))
        comps.append((u[hi] - u[lo]) * p.lit(0.5) / dx)
    b.store(out, ids, p.vec(ndim)(*comps), body)


def _advect(b: MotifBuilder, q: X, out: X, ids: tuple[X, ...], sizes: tuple[X, ...], dx: X, body: list[ast.stmt]) -> None:
    """Backtrace the cell centre along the velocity and sample bilinearly (clamped lookups)."""
    p = b.prec
    vel = b.array(b.pick(["vel", "u_vel", "velocity"]), p.vec_dtype(2), p.vec(2), tuple(int(s) for s in b.args[0].shape),
                  low=-1.0, high=1.0)
    dt = b.scalar("dt", b.pick([0.01, 0.02, 0.05]))
    f, x, y = name("f"), name("x"), name("y")
    fa = b.arr_ann(p.scalar(), 2)
    lookup = b.func(b.pick(["lookup", "fetch", "sample_clamped"]), [("f", fa), ("x", name("int")), ("y", name("int"))],
                    [ret(f[wp.clamp(x, 0, f.dot("shape")[0] - 1), wp.clamp(y, 0, f.dot("shape")[1] - 1)])], p.scalar())
    L = name(lookup)
    one = p.lit(1.0)
    bil = [assign("lx", name("int")(wp.floor(x))), assign("ly", name("int")(wp.floor(y))),
           assign("tx", x - p.cast(name("lx"))), assign("ty", y - p.cast(name("ly"))),
           assign("s0", wp.lerp(L(f, name("lx"), name("ly")), L(f, name("lx") + 1, name("ly")), name("tx"))),
           assign("s1", wp.lerp(L(f, name("lx"), name("ly") + 1), L(f, name("lx") + 1, name("ly") + 1), name("tx"))),
           ret(wp.lerp(name("s0"), name("s1"), name("ty")))]
    sample = b.func(b.pick(["sample_bilinear", "interpolate"]), [("f", fa), ("x", p.scalar()), ("y", p.scalar())], bil, p.scalar())
    i, j = ids
    v, px, py = b.fresh("v"), b.fresh("px"), b.fresh("py")
    body += [assign(v, vel[i, j]),
             assign(px, p.cast(i) - name(v)[0] * dt / dx), assign(py, p.cast(j) - name(v)[1] * dt / dx),
             assign(out[i, j], name(sample)(q, name(px), name(py)))]
    del one

"""Small dense linear algebra: FEM stiffness assembly with atomics, per-thread 2x2..4x4
solves, covariance / principal axes, and a tile Cholesky solve (cf. ``warp.fem``'s
assembly, Warp's ``example_tile_cholesky.py``).

Assembly adds element contributions into a global matrix with ``wp.atomic_add`` only;
per-thread solves write only their own row; the tiled solve has no per-thread side
effects (``tile_store`` of a block-wide result).
"""

from __future__ import annotations

import ast

from warpsynth.generate.motifs import common
from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.motifs.kit import X, aug, assign, expr, for_, if_, name, ret, tup, wp
from warpsynth.generate.program import KernelProgram


def _fem_assembly(b: MotifBuilder) -> KernelProgram:
    """P1 Laplacian stiffness ``K[a, c] += measure * grad_a . grad_c`` of triangles (2-D) or
    tetrahedra (3-D) into a dense matrix, optionally with a lumped mass or a load vector."""
    p = b.prec
    dim = 3 if b.rng.random() < 0.35 else 2
    nodes = dim + 1
    nv, m = b.pick([8, 12, 16]), b.pick([8, 16, 24])
    x = b.array(b.pick(["x", "positions", "node_pos"]), p.vec_dtype(dim), p.vec(dim), (nv,))
    cells = b.array(b.pick(["tri_indices", "elements", "cells"] if dim == 2 else ["tet_indices", "elements", "cells"]),
                    "int32", wp.int32, (m, nodes), low=0, high=nv - 1)
    K = b.array(b.pick(["K", "stiffness", "A"]), p.dtype, p.scalar(), (nv, nv), role="out")
    Dinv = name("Dinv")
    first = -(Dinv[0] + Dinv[1]) if dim == 2 else -(Dinv[0] + Dinv[1] + Dinv[2])
    grad = b.func(b.pick(["basis_grad", "shape_grad"]), [("Dinv", p.mat(dim)), ("a", name("int"))],
                  [if_(name("a").eq(0), [ret(first)]), ret(Dinv[name("a") - 1])], p.vec(dim))
    b.features.add("early_return")
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "e", "cell"]),))
    ids = [b.fresh(f"i{k}") for k in range(nodes)]
    D, det, area, Di = (b.fresh(s) for s in ("D", "det", "area" if dim == 2 else "vol", "D_inv"))
    a, c = b.fresh("a"), b.fresh("c")
    eps = b.eps()
    edges = [x[name(ids[k])] - x[name(ids[0])] for k in range(1, nodes)]
    scale = 0.5 if dim == 2 else 1.0 / 6.0
    body: list[ast.stmt] = [t_stmt] + [assign(ids[k], cells[t, k]) for k in range(nodes)]
    body += [assign(D, wp.matrix_from_cols(*edges)), assign(det, wp.determinant(name(D))),
             if_(wp.abs(name(det)).lt(eps), [ret()]),
             assign(area, b.maybe_func(["element_measure", "cell_volume"] if dim == 3 else ["triangle_area", "element_area"],
                                       [("det", p.scalar(), name(det))], lambda d_: p.lit(scale) * wp.abs(d_), p.scalar())),
             assign(Di, wp.inverse(name(D)))]
    idx = name(b.fresh("idx"))
    body.append(assign(idx, (wp.vec3i if dim == 2 else wp.vec4i)(*[name(i) for i in ids])))
    coef = name(area)
    if b.rng.random() < 0.4:  # per-element conductivity
        kappa = b.array(b.pick(["conductivity", "k_elem", "material"]), p.dtype, p.scalar(), (m,), low=0.5, high=2.0)
        coef = coef * kappa[t]
    inner = [expr(wp.atomic_add(K, idx[name(a)], idx[name(c)],
                                coef * wp.dot(name(grad)(name(Di), name(a)), name(grad)(name(Di), name(c)))))]
    outer: list[ast.stmt] = [for_(c, [nodes], inner)]
    extra = b.rng.random()
    share = name(area) / p.lit(float(nodes))
    if extra < 0.3:  # lumped mass matrix alongside
        mass = b.array(b.pick(["lumped_mass", "mass", "M_diag"]), p.dtype, p.scalar(), (nv,), role="out")
        outer.append(expr(wp.atomic_add(mass, idx[name(a)], share)))
    elif extra < 0.55:  # load vector of a per-node source term
        src = b.array(b.pick(["source", "f_nodes", "rhs_nodes"]), p.dtype, p.scalar(), (nv,))
        rhs = b.array(b.pick(["rhs", "load", "b"]), p.dtype, p.scalar(), (nv,), role="out")
        outer.append(expr(wp.atomic_add(rhs, idx[name(a)], share * src[idx[name(a)]])))
    body.append(for_(a, [nodes], outer))
    b.features.add("atomic")
    b.differentiable = False
    return b.finish(b.pick(["assemble_stiffness", "assemble_laplacian", "fem_assemble"]), body, (m,))


def _small_solve(b: MotifBuilder) -> KernelProgram:
    """Per thread: regularised normal equations ``(M^T M + reg I) x = rhs`` via ``wp.inverse``."""
    p = b.prec
    n, k = b.pick([32, 64, 128]), b.pick([2, 3, 3, 4])
    shape = b.batched(n)
    M = b.array(b.pick(["A", "J", "M"]), p.mat_dtype(k), p.mat(k), shape)
    rhs = b.array(b.pick(["rhs", "b", "r"]), p.vec_dtype(k), p.vec(k), shape)
    reg = common.physical(b, "REGULARIZATION", b.pick(["reg", "damping", "lam"]), b.pick([0.1, 0.5, 1.0]))
    out = b.array(b.pick(["sol", "delta", "dx"]), p.vec_dtype(k), p.vec(k), shape, role="out")
    if len(shape) == 2:
        t_stmt, ids = common.tid(b, (b.pick(["env", "batch"]), b.pick(["i", "tid"])))
        t = tup(*ids)
    else:
        t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    A, JtJ = b.fresh("A_i"), b.fresh("JtJ")
    ident = wp.identity(n=k, dtype=p.scalar())
    body: list[ast.stmt] = [t_stmt, assign(A, M[t])]
    if b.rng.random() < 0.5:  # (A^T A + reg I) x = A^T b
        body.append(assign(JtJ, wp.transpose(name(A)) * name(A) + ident * reg))
        sol = wp.inverse(name(JtJ)) * (wp.transpose(name(A)) * rhs[t])
    else:  # damped least squares in the J J^T form: x = J^T (J J^T + reg I)^-1 b
        body.append(assign(JtJ, name(A) * wp.transpose(name(A)) + wp.diag(p.vec(k)(*([reg] * k)))))
        sol = wp.transpose(name(A)) * (wp.inverse(name(JtJ)) * rhs[t])
    if b.rng.random() < 0.5:
        b.store(out, t, sol, body)
    else:
        x, res = b.fresh("x"), b.array(b.pick(["residual", "res_norm"]), p.dtype, p.scalar(), shape, role="out")
        body += [assign(x, sol), assign(out[t], name(x)), assign(res[t], b.length(name(A) * name(x) - rhs[t]))]
    return b.finish(b.pick(["solve_normal_equations", "damped_least_squares", "solve_systems"]), body, shape)


def _covariance(b: MotifBuilder) -> KernelProgram:
    """Per cluster: mean and covariance of its ``K`` points; optionally principal axes via ``wp.eig3``."""
    p = b.prec
    n, k = b.pick([16, 32, 64]), b.pick([4, 8, 16])
    pts = b.array(b.pick(["points", "cluster_points", "samples"]), p.vec_dtype(), p.vec(), (n, k))
    cov = b.array(b.pick(["cov", "covariance", "C"]), p.mat_dtype(), p.mat(), (n,), role="out")
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "cluster", "i"]),))
    mean, C, d, j = b.fresh("mean"), b.fresh("C"), b.fresh("d"), b.fresh("j")
    count = pts.dot("shape")[1]
    inv_k = p.lit(1.0) / p.cast(count)
    kk = b.fresh("num") if b.rng.random() < 0.4 else None
    if kk is not None:
        inv_k, count = p.lit(1.0) / p.cast(name(kk)), name(kk)
    body: list[ast.stmt] = [t_stmt] + ([assign(kk, pts.dot("shape")[1])] if kk is not None else [])
    if p.f64 and b.rng.random() < 0.5:  # one pass: E[x x^T] - mean mean^T (cancels badly in float32: two passes there)
        S = b.fresh("S")
        body += [assign(mean, b.zero(p.vec())), assign(S, p.mat()()),
                 for_(j, [count], [assign(d, pts[t, name(j)]), aug(mean, "+", name(d)), aug(S, "+", wp.outer(name(d), name(d)))]),
                 assign(mean, name(mean) * inv_k),
                 assign(C, name(S) * inv_k - wp.outer(name(mean), name(mean)))]
    else:
        body += [assign(mean, b.zero(p.vec())), for_(j, [count], [aug(mean, "+", pts[t, name(j)])]),
                 assign(mean, name(mean) * inv_k), assign(C, p.mat()()),
                 for_(j, [count], [assign(d, pts[t, name(j)] - name(mean)), aug(C, "+", wp.outer(name(d), name(d)))]),
                 assign(C, name(C) * inv_k)]
    b.store(cov, t, name(C), body)
    if b.rng.random() < 0.4:
        means = b.array(b.pick(["centroids", "means", "mu"]), p.vec_dtype(), p.vec(), (n,), role="out")
        b.store(means, t, name(mean), body)
    if not p.f64 and b.rng.random() < 0.4:  # principal axes via a symmetric eigen-decomposition
        U, sig, col = b.fresh("U"), b.fresh("sigma"), b.fresh("k")
        out_name = b.pick(["principal_axis", "normal", "major_axis"])
        axes = b.array(out_name, p.vec_dtype(), p.vec(), (n,), role="out")
        # wp.eig3 returns the eigenvalues in no particular order (svd.h; "do not rely on a particular
        # ordering"): pick the column of the largest one (the smallest for a surface normal)
        better = (lambda e: e.lt(name(sig)[name(col)])) if out_name == "normal" else (lambda e: e.gt(name(sig)[name(col)]))
        body += [assign(U, p.mat()()), assign(sig, b.zero(p.vec())), expr(wp.eig3(name(C), name(U), name(sig))),
                 assign(col, name("int")(0)),
                 if_(better(name(sig)[1]), [assign(col, 1)]), if_(better(name(sig)[2]), [assign(col, 2)]),
                 assign(axes[t], wp.vec3(name(U)[0, name(col)], name(U)[1, name(col)], name(U)[2, name(col)]))]
        b.differentiable = False
    return b.finish(b.pick(["compute_covariance", "cluster_covariance", "fit_gaussians"]), body, (n,))


def _tile_cholesky(b: MotifBuilder) -> KernelProgram:
    """One block: ``A = M M^T + reg I`` (or ``(M + M^T) / 2 + reg I``), ``L = cholesky(A)``, solve ``A x = rhs``,
    store ``x``; optionally factor and solve in place."""
    b.force_f32()
    b.differentiable = False
    N = b.pick([4, 8, 16])
    # a batch of systems is stacked along the first axis and addressed with tile offsets
    batch = b.pick([2, 4]) if b.rng.random() < 0.4 else 0
    rows = (batch or 1) * N
    M = b.array(b.pick(["M", "A_factor", "B"]), "float32", name("float"), (rows, N))
    rhs = b.array(b.pick(["rhs", "b", "y"]), "float32", name("float"), (rows,))
    source = b.pick(["gram", "gram", "sym"])  # SPD from a Gram matrix M M^T, or the symmetric part of a given A
    # 0.5 (A + A^T) + reg I is SPD once reg exceeds its spectral radius (entries in [-1, 1]: reg = 2N)
    reg = b.scalar(b.pick(["reg", "shift"]), b.pick([0.5, 1.0, float(N)]) if source == "gram" else float(2 * N))
    out = b.array(b.pick(["x", "sol", "result"]), "float32", name("float"), (rows,), role="out")
    size = b.constant(b.pick(["N", "DIM", "TILE_N"]), N) if b.chance("module_constant") else N
    inplace = b.rng.random() < 0.35  # factor and solve in place: A becomes L, the right-hand side becomes x
    m, A, L, r, x = (b.fresh(s) for s in ("m", "A", "L", "r", b.pick(["x_tile", "sol_tile", "y_tile"])))
    if inplace:
        L, x = A, r
    body: list[ast.stmt] = []
    off1: dict = {}
    off2: dict = {}
    if batch:
        t_stmt, (t,) = common.tid(b, (b.pick(["i", "system", "batch"]),))
        body.append(t_stmt)
        off1, off2 = {"offset": t * size}, {"offset": (t * size, 0)}
    body.append(assign(m, wp.tile_load(M, shape=(size, size), **off2)))
    if source == "gram":
        body.append(assign(A, wp.tile_matmul(name(m), wp.tile_transpose(name(m))) if b.rng.random() < 0.6
                           else wp.tile_matmul(wp.tile_transpose(name(m)), name(m))))
    else:
        body.append(assign(A, 0.5 * (name(m) + wp.tile_transpose(name(m)))))
    shift = wp.tile_full(shape=size, value=reg, dtype=name("float")) if b.rng.random() < 0.6 else \
        wp.tile_ones(shape=size, dtype=name("float")) * reg
    body += [assign(A, wp.tile_diag_add(name(A), shift)),
             expr(wp.tile_cholesky_inplace(name(A))) if inplace else assign(L, wp.tile_cholesky(name(A)))]
    if b.rng.random() < 0.3:  # keep the factor for later solves
        L_out = b.array(b.pick(["L_out", "factor", "chol"]), "float32", name("float"), (rows, N), role="out")
        body.append(expr(wp.tile_store(L_out, name(L), **off2)))
    body.append(assign(r, wp.tile_load(rhs, shape=size, **off1)))
    if inplace and b.rng.random() < 0.5:
        body.append(expr(wp.tile_cholesky_solve_inplace(name(L), name(r))))
    elif inplace:
        body += [expr(wp.tile_lower_solve_inplace(name(L), name(r))),
                 expr(wp.tile_upper_solve_inplace(wp.tile_transpose(name(L)), name(r)))]
        b.features.add("triangular_solve")
    elif b.rng.random() < 0.5:
        body.append(assign(x, wp.tile_cholesky_solve(name(L), name(r))))
    else:
        z = b.fresh("z")
        body += [assign(z, wp.tile_lower_solve(name(L), name(r))),
                 assign(x, wp.tile_upper_solve(wp.tile_transpose(name(L)), name(z)))]
        b.features.add("triangular_solve")
    body.append(expr(wp.tile_store(out, name(x), **off1)))
    b.features.add("tile")
    # block_dim 16 is rejected by MathDx for every tile_matmul (generate/mathdx_table.py)
    return b.finish(b.pick(["cholesky_solve", "solve_spd", "factorize_and_solve"]), body, (batch or 1,), tiled=True,
                    block_dim=b.pick([32, 64]))


def _polar(b: MotifBuilder) -> KernelProgram:
    """Rotation part of deformation gradients: ``F = U S V^T`` (``wp.svd3``), ``R = U V^T``, with
    the reflection case fixed (as corotational FEM and shape matching do)."""
    b.force_f32()
    b.differentiable = False
    n = b.pick([32, 64, 128])
    F = b.array(b.pick(["F", "deformation_gradient", "Apq"]), "mat33", wp.mat33, (n,), low=-1.0, high=1.0)
    R_out = b.array(b.pick(["R", "rotations", "R_out"]), "mat33", wp.mat33, (n,), role="out")
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i", "e"]),))
    U, sig, V, Rm = b.fresh("U"), b.fresh("sigma"), b.fresh("V"), b.fresh("R_i")
    body: list[ast.stmt] = [t_stmt]
    Fi = b.let("F_i", F[t], body)
    body += [assign(U, wp.mat33()), assign(sig, b.zero(wp.vec3)), assign(V, wp.mat33()),
             expr(wp.svd3(Fi, name(U), name(sig), name(V))),
             assign(Rm, name(U) * wp.transpose(name(V)))]
    if b.rng.random() < 0.6:
        fix = b.maybe_func(["flip_last_column", "fix_reflection"], [("U", wp.mat33, name(U)), ("V", wp.mat33, name(V))],
                           lambda u_, v_: wp.mat33(u_[0, 0], u_[0, 1], -u_[0, 2], u_[1, 0], u_[1, 1], -u_[1, 2],
                                                   u_[2, 0], u_[2, 1], -u_[2, 2]) * wp.transpose(v_), wp.mat33)
        body.append(if_(wp.determinant(name(Rm)).lt(0.0), [assign(Rm, fix)]))
    b.store(R_out, t, name(Rm), body)
    if b.rng.random() < 0.4:
        strain = b.array(b.pick(["stretch", "singular_values"]), "vec3", wp.vec3, (n,), role="out")
        b.store(strain, t, name(sig), body)
    return b.finish(b.pick(["polar_decomposition", "extract_rotations", "corotate"]), body, (n,))


def build(b: MotifBuilder) -> KernelProgram:
    variant = b.variant()
    return {"fem_assembly": _fem_assembly, "small_solve": _small_solve, "covariance": _covariance,
            "tile_cholesky": _tile_cholesky, "polar": _polar}[variant](b)

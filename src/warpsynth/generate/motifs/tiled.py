"""Block-cooperative tile kernels (``wp.launch_tiled``): tiled GEMM, a dense layer of an MLP,
FFT filtering, per-block sorting and prefix sums, row softmax and blocked transposes (cf. Warp's
``example_tile_matmul.py``, ``example_tile_mlp.py``, ``example_tile_fft.py`` and
``example_tile_walkthrough.py``).

Every tile shape is a literal (the race check, ``verify/races.py``, reads shapes from the
syntax tree) and every GEMM is one MathDx builds for sm_80 and sm_90 at the launch's block_dim
(``gpu_rules.tile_matmul_ok``).  A block writes only its own tile of each output with
``wp.tile_store`` at an offset that is an injective function of the block index, so the launch
is race-free; no per-thread side effects.
"""

from __future__ import annotations

import ast

from warpsynth.generate.gpu_rules import tile_matmul_ok
from warpsynth.generate.motifs import common
from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.motifs.kit import X, assign, expr, for_, lift, name, ret, wp
from warpsynth.generate.program import KernelProgram

#: tile_fft sizes (complex elements per row) and block_dims MathDx builds for sm_80 and sm_90
#: (measured with ``wp.compile_aot_module(arch=80/90)``; cuFFTDx needs >= 2 elements per thread)
FFT_SIZES: tuple[tuple[int, int], ...] = ((64, 32),)


def _gemm_shape(b: MotifBuilder, dtype: str) -> tuple[int, int]:
    """(tile size T, block_dim) of a T x T x T GEMM MathDx builds."""
    options = [(t, bd) for t in (8, 16) for bd in (32, 64) if tile_matmul_ok(t, t, t, dtype, bd)]
    return b.pick(options)


def _sizes(b: MotifBuilder, value: int, names: tuple[str, ...]) -> tuple[X, ...]:
    """Tile extents written as literals or (policy ``module_constant``) as module constants
    ``TILE_M = wp.constant(8)``, one per name, as tile code usually declares them."""
    if b.chance("module_constant"):
        return tuple(b.constant(n, value) for n in names)
    return tuple(lift(value) for _ in names)


def _activation(b: MotifBuilder, ann: X) -> X:
    """The activation ``wp.tile_map`` applies: ``wp.tanh`` itself, or a scalar ``@wp.func`` (``relu``,
    ``sigmoid``, ``leaky_relu``, ``softplus``; one defined already is called again)."""
    x = name("x")
    kind = b.pick(["relu", "relu", "tanh", "sigmoid", "leaky_relu", "softplus"])
    if kind == "tanh":
        return wp.tanh
    if any(isinstance(d, ast.FunctionDef) and d.name == kind for d in b.defs):
        return name(kind)
    zero = b.prec.lit(0.0)
    one = b.prec.lit(1.0)
    body = {"relu": lambda: wp.max(x, zero),
            "sigmoid": lambda: one / (one + wp.exp(-x)),
            "leaky_relu": lambda: wp.where(x.gt(zero), x, b.prec.lit(0.01) * x),
            "softplus": lambda: wp.log(one + wp.exp(-wp.abs(x))) + wp.max(x, zero)}[kind]()
    return name(b.func(kind, [("x", ann)], [ret(body)], ann))


def _gemm(b: MotifBuilder) -> KernelProgram:
    """``C = alpha * A @ B [+ beta * C_in]`` over a (row block, column block) grid, K in tiles."""
    p = b.prec
    T, bd = _gemm_shape(b, p.dtype)
    gm, gn, gk = b.pick([1, 2, 3]), b.pick([1, 2]), b.pick([1, 2, 4])
    TM, TN, TK = _sizes(b, T, ("TILE_M", "TILE_N", "TILE_K"))
    A = b.array(b.pick(["A", "a", "lhs"]), p.dtype, p.scalar(), (gm * T, gk * T))
    bt = b.rng.random() < 0.3  # B stored row-major as (N, K): C = A @ B^T
    B = b.array(b.pick(["B", "b", "rhs"]) if not bt else b.pick(["Bt", "B_T", "weights"]), p.dtype, p.scalar(),
                (gn * T, gk * T) if bt else (gk * T, gn * T))
    C = b.array(b.pick(["C", "c", "out"]), p.dtype, p.scalar(), (gm * T, gn * T), role="out")
    t_stmt, (i, j) = common.tid(b, b.pick([("i", "j"), ("row", "col"), ("bi", "bj")]))
    body: list[ast.stmt] = [t_stmt]
    acc, k, ta, tb = b.fresh(b.pick(["acc", "c_acc", "c_tile"])), b.fresh("k"), b.fresh("a"), b.fresh("b")

    def load_b(kk: X | None) -> X:  # kk None: the first (only) K tile
        k_off = 0 if kk is None else kk * TK
        return wp.tile_transpose(wp.tile_load(B, shape=(TN, TK), offset=(j * TN, k_off))) if bt else \
            wp.tile_load(B, shape=(TK, TN), offset=(k_off, j * TN))
    loads = [assign(ta, wp.tile_load(A, shape=(TM, TK), offset=(i * TM, name(k) * TK))), assign(tb, load_b(name(k)))]
    if gk == 1 and b.rng.random() < 0.6:  # one K tile: no accumulator loop
        body += [assign(ta, wp.tile_load(A, shape=(TM, TK), offset=(i * TM, 0))), assign(tb, load_b(None))]
        body.append(assign(acc, wp.tile_matmul(name(ta), name(tb))))
    else:
        count = b.pick(["shape", "param", "const"])
        trips: X = {"shape": lambda: name("int")(A.dot("shape")[1] / TK),
                    "param": lambda: b.int_param(b.pick(["k_tiles", "num_k_tiles"]), gk),
                    "const": lambda: b.constant("K_TILES", gk)}[count]()
        body.append(assign(acc, wp.tile_zeros(shape=(TM, TN), dtype=p.scalar())))
        body.append(for_(k, [trips], loads + [expr(wp.tile_matmul(name(ta), name(tb), name(acc)))]))
    result: X = name(acc)
    if b.rng.random() < 0.35:
        alpha = b.scalar(b.pick(["alpha", "scale"]), b.pick([0.5, 1.0, 2.0]))
        result = alpha * result
    if b.rng.random() < 0.3:
        beta = b.scalar("beta", b.pick([0.5, 1.0]))
        c_in = b.array(b.pick(["C_in", "c_prev", "bias"]), p.dtype, p.scalar(), (gm * T, gn * T))
        result = result + beta * wp.tile_load(c_in, shape=(TM, TN), offset=(i * TM, j * TN))
    if b.rng.random() < 0.3:
        result = wp.tile_map(_activation(b, p.scalar()), result)
        b.features.add("tile_map")
    body.append(expr(wp.tile_store(C, result, offset=(i * TM, j * TN))))
    b.features.update({"tile", "tile_matmul"})
    return b.finish(b.pick(["gemm", "tile_gemm", "matmul_tiled", "block_matmul"]), body, (gm, gn), tiled=True, block_dim=bd)


def _dense_layer(b: MotifBuilder) -> KernelProgram:
    """One layer of an MLP over a batch in column tiles: ``act(W @ x + bias)``."""
    b.force_f32()
    p = b.prec
    T, bd = _gemm_shape(b, "float32")
    batches = b.pick([2, 4])
    W = b.array(b.pick(["weights", "W", "w"]), "float32", name("float"), (T, T), low=-0.5, high=0.5)
    x = b.array(b.pick(["x", "inputs", "activations"]), "float32", name("float"), (T, batches * T))
    y = b.array(b.pick(["y", "out", "outputs"]), "float32", name("float"), (T, batches * T), role="out")
    t_stmt, (i,) = common.tid(b, (b.pick(["i", "batch", "tile_id"]),))
    body: list[ast.stmt] = [t_stmt]
    DO, DI, TB = _sizes(b, T, b.pick([("DIM_OUT", "DIM_IN", "TILE_B"), ("HIDDEN", "IN_DIM", "BATCH_TILE")]))
    tw, tx, z = b.fresh(b.pick(["w_tile", "w"])), b.fresh(b.pick(["x_tile", "f"])), b.fresh(b.pick(["z", "pre", "h"]))
    body += [assign(tw, wp.tile_load(W, shape=(DO, DI))), assign(tx, wp.tile_load(x, shape=(DI, TB), offset=(0, i * TB))),
             assign(z, wp.tile_matmul(name(tw), name(tx)))]
    layers = 2 if b.rng.random() < 0.35 else 1  # a fused two-layer MLP keeps the hidden tile in shared memory
    out: X = name(z)
    act: X | None = None
    for layer in range(layers):
        if layer:
            W2 = b.array(b.pick(["weights_out", "W2", "w2"]), "float32", name("float"), (T, T), low=-0.5, high=0.5)
            tw2 = b.fresh("w2_tile")
            body += [assign(tw2, wp.tile_load(W2, shape=(DO, DO))), assign(z, wp.tile_matmul(name(tw2), out))]
        if b.rng.random() < 0.6:
            bias = b.array(b.pick(["bias", "b"] if not layer else ["bias_out", "b2"]), "float32", name("float"), (T, 1),
                           low=-0.1, high=0.1)
            tb = b.fresh(b.pick(["b_tile", "bias_tile"]))
            body += [assign(tb, wp.tile_load(bias, shape=(DO, 1))),
                     assign(z, name(z) + wp.tile_broadcast(name(tb), shape=(DO, TB)))]
            b.features.add("tile_broadcast")
        last = layer == layers - 1
        if last and layers == 1 and b.rng.random() < 0.25:  # residual block: x + act(W x + b)
            out = name(tx) + wp.tile_map(_activation(b, p.scalar()), name(z))
        elif last and layers == 2 and b.rng.random() < 0.5:  # linear output layer
            out = name(z)
        else:
            if act is None or b.rng.random() < 0.5:
                act = _activation(b, p.scalar())  # a new one, or the first layer's again
            out = wp.tile_map(act, name(z))
        if not isinstance(out.node, ast.Name) and (not last or b.rng.random() < 0.5):  # no copies of a name
            h = b.fresh(b.pick(["a", "act", "h"]))
            body.append(assign(h, out))
            out = name(h)
    body.append(expr(wp.tile_store(y, out, offset=(0, i * TB))))
    b.features.update({"tile", "tile_matmul", "tile_map"})
    return b.finish(b.pick(["dense_forward", "mlp_layer", "linear_relu", "layer_forward"]), body, (batches,), tiled=True,
                    block_dim=bd)


def _complex_mul(b: MotifBuilder) -> str:
    a, c = name("a"), name("b")
    body = [ret(wp.vec2f(a[0] * c[0] - a[1] * c[1], a[0] * c[1] + a[1] * c[0]))]
    return b.func(b.pick(["cmul", "complex_mul", "mul_complex"]), [("a", wp.vec2f), ("b", wp.vec2f)], body, wp.vec2f)


def _fft(b: MotifBuilder) -> KernelProgram:
    """Row FFTs of complex signals (``wp.vec2f``): forward transform, optional spectral filter,
    inverse transform scaled by ``1/N``, or the power spectrum."""
    b.force_f32()
    b.differentiable = False
    n, bd = b.pick(FFT_SIZES)
    rows = b.pick([1, 2, 4, 8])
    x = b.array(b.pick(["signal", "x", "data"]), "vec2", wp.vec2f, (rows, n))
    t_stmt, (i,) = common.tid(b, (b.pick(["i", "row", "batch"]),))
    body: list[ast.stmt] = [t_stmt]
    s = b.fresh(b.pick(["s", "spec", "tile"]))
    N = _sizes(b, n, (b.pick(["FFT_SIZE", "N", "SIGNAL_LEN"]),))[0]
    body.append(assign(s, wp.tile_load(x, shape=(1, N), offset=(i, 0))))
    if b.rng.random() < 0.4:  # taper the signal with a window (Hann, Hamming... given as an array) before the transform
        win = b.array(b.pick(["window", "taper"]), "float32", name("float"), (1, n), low=0.0, high=1.0)
        apply = b.func(b.pick(["apply_window", "windowed"]), [("c", wp.vec2f), ("w", name("float"))],
                       [ret(name("c") * name("w"))], wp.vec2f)
        body.append(assign(s, wp.tile_map(name(apply), name(s), wp.tile_load(win, shape=(1, N)))))
    body.append(expr(wp.tile_fft(name(s))))
    mode = b.pick(["filter", "filter", "power", "magnitude"])
    if mode in ("power", "magnitude"):
        out = b.array(b.pick(["power", "spectrum", "psd"] if mode == "power" else ["amplitude", "magnitude"]), "float32",
                      name("float"), (rows, n), role="out")
        c = name("c")
        value = wp.dot(c, c) if mode == "power" else b.length(c)
        mag = b.func(b.pick(["abs2", "power", "mag_sq"] if mode == "power" else ["cabs", "amplitude"]), [("c", wp.vec2f)],
                     [ret(value)], name("float"))
        body.append(expr(wp.tile_store(out, wp.tile_map(name(mag), name(s)), offset=(i, 0))))
    else:
        per_row = b.rng.random() < 0.4
        h = b.array(b.pick(["kernel_hat", "transfer", "response"]), "vec2", wp.vec2f, (rows, n) if per_row else (1, n))
        ht = wp.tile_load(h, shape=(1, N), offset=(i, 0)) if per_row else wp.tile_load(h, shape=(1, N))
        body.append(assign(s, wp.tile_map(name(_complex_mul(b)), name(s), ht)))
        body.append(expr(wp.tile_ifft(name(s))))
        out = b.array(b.pick(["y", "filtered", "result"]), "vec2", wp.vec2f, (rows, n), role="out")
        norm = b.fresh(b.pick(["scaled", "y_tile"]))
        # wp.tile_ifft is unnormalised (cuFFT style): scale by 1/N, or the output is N times the signal
        scaled = b.func(b.pick(["normalize_ifft", "rescale"]), [("c", wp.vec2f)], [ret(name("c") * (1.0 / float(n)))],
                        wp.vec2f)
        body.append(assign(norm, wp.tile_map(name(scaled), name(s))))
        body.append(expr(wp.tile_store(out, name(norm), offset=(i, 0))))
    b.features.update({"tile", "tile_fft"})
    return b.finish(b.pick(["fft_rows", "spectral_filter", "convolve_fft", "fft_tiled"]), body, (rows,), tiled=True,
                    block_dim=bd)


def _sort(b: MotifBuilder) -> KernelProgram:
    """Sort each block's keys with their values (``wp.tile_sort``), optionally with the index of
    the block's largest/smallest key before sorting (``tile_argmax``/``tile_argmin``)."""
    b.force_f32()
    b.differentiable = False
    T = b.pick([16, 32, 64])
    blocks = b.pick([1, 2, 4])
    int_keys = b.rng.random() < 0.3
    kd, kann = ("int32", name("int")) if int_keys else ("float32", name("float"))
    keys = b.array(b.pick(["keys", "distances", "scores"]), kd, kann, (blocks * T,), low=0 if int_keys else -1.0,
                   high=1000 if int_keys else 1.0)
    vals = b.array(b.pick(["values", "ids", "indices"]), "int32", name("int"), (blocks * T,), low=0, high=blocks * T - 1)
    t_stmt, (i,) = common.tid(b, (b.pick(["i", "block", "tile_id"]),))
    body: list[ast.stmt] = [t_stmt]
    tk, tv = b.fresh(b.pick(["k", "key_tile"])), b.fresh(b.pick(["v", "val_tile"]))
    TS = _sizes(b, T, (b.pick(["TILE_SIZE", "BLOCK_SIZE"]),))[0]
    body += [assign(tk, wp.tile_load(keys, shape=TS, offset=i * TS)), assign(tv, wp.tile_load(vals, shape=TS, offset=i * TS))]
    if b.rng.random() < 0.5:
        which = b.pick(["argmax", "argmin"])
        arg = b.array(b.pick([f"{which}_out", "best", "extreme_index"]), "int32", name("int"), (blocks,), role="out")
        body.append(expr(wp.tile_store(arg, getattr(wp, f"tile_{which}")(name(tk)), offset=i)))
    descending = not int_keys and b.rng.random() < 0.3
    if descending:  # descending order: sort the negated keys
        body.append(assign(tk, wp.tile_map(wp.neg, name(tk))))
    body.append(expr(wp.tile_sort(name(tk), name(tv))))
    if b.rng.random() < 0.6:
        ko = b.array(b.pick(["sorted_keys", "keys_out"]), kd, kann, (blocks * T,), role="out")
        stored = wp.tile_map(wp.neg, name(tk)) if descending else name(tk)  # the keys, not their negations
        body.append(expr(wp.tile_store(ko, stored, offset=i * TS)))
    vo = b.array(b.pick(["sorted_values", "order", "perm"]), "int32", name("int"), (blocks * T,), role="out")
    body.append(expr(wp.tile_store(vo, name(tv), offset=i * TS)))
    b.features.add("tile")
    return b.finish(b.pick(["sort_blocks", "tile_sort_kernel", "segmented_sort"]), body, (blocks,), tiled=True,
                    block_dim=b.pick([16, 32, 64]))


def _softmax(b: MotifBuilder) -> KernelProgram:
    """Row softmax: ``exp(x - max) / sum``, one row per block."""
    b.force_f32()
    n = b.pick([16, 32, 64])
    rows = b.pick([2, 4, 8])
    x = b.array(b.pick(["logits", "x", "scores"]), "float32", name("float"), (rows, n), low=-2.0, high=2.0)
    y = b.array(b.pick(["probs", "y", "weights"]), "float32", name("float"), (rows, n), role="out")
    t_stmt, (i,) = common.tid(b, (b.pick(["i", "row"]),))
    N = _sizes(b, n, (b.pick(["ROW_SIZE", "N", "NUM_CLASSES"]),))[0]
    t, m, e, s = (b.fresh(v) for v in (b.pick(["t", "row_tile"]), b.pick(["m", "row_max"]), "e", b.pick(["s", "denom"])))
    body: list[ast.stmt] = [t_stmt, assign(t, wp.tile_load(x, shape=(1, N), offset=(i, 0)))]
    kind = b.pick(["softmax", "softmax", "log_softmax", "l2_normalize"])
    if b.rng.random() < 0.3:  # additive bias / mask row (attention-style)
        bias = b.array(b.pick(["bias", "mask", "offsets"]), "float32", name("float"), (1, n), low=-1.0, high=0.0)
        body.append(assign(t, name(t) + wp.tile_load(bias, shape=(1, N))))
    if kind != "l2_normalize" and b.rng.random() < 0.35:
        inv_temp = b.scalar(b.pick(["inv_temperature", "beta", "scale"]), b.pick([0.5, 2.0, 10.0]))
        body.append(assign(t, name(t) * inv_temp))
    if kind == "l2_normalize":  # each row divided by its Euclidean norm (plus a small epsilon)
        sq = b.fresh("sq")
        eps = b.eps(1.0e-6)
        rnorm = b.func(b.pick(["safe_rsqrt", "inv_norm"]), [("x", name("float"))], [ret(1.0 / wp.sqrt(name("x") + eps))],
                       name("float"))
        body += [assign(sq, wp.tile_map(wp.mul, name(t), name(t))),
                 assign(s, wp.tile_broadcast(wp.tile_map(name(rnorm), wp.tile_sum(name(sq))), shape=(1, N))),
                 expr(wp.tile_store(y, wp.tile_map(wp.mul, name(t), name(s)), offset=(i, 0)))]
        b.features.update({"tile", "tile_map", "tile_broadcast"})
        return b.finish(b.pick(["normalize_rows", "row_l2_normalize"]), body, (rows,), tiled=True, block_dim=b.pick([16, 32, 64]))
    mx = wp.tile_max(name(t))
    if b.rng.random() < 0.3:  # keep the row maximum (e.g. for a backward pass or a log-sum-exp)
        row_max = b.array(b.pick(["row_max", "max_out", "m_out"]), "float32", name("float"), (rows,), role="out")
        mt = b.fresh("mx")
        body += [assign(mt, mx), expr(wp.tile_store(row_max, name(mt), offset=i))]
        mx = name(mt)
    body += [assign(m, wp.tile_broadcast(mx, shape=(1, N))),
             assign(e, wp.tile_map(wp.exp, name(t) - name(m))),
             assign(s, wp.tile_broadcast(wp.tile_sum(name(e)), shape=(1, N)))]
    if kind == "log_softmax":
        body.append(expr(wp.tile_store(y, name(t) - name(m) - wp.tile_map(wp.log, name(s)), offset=(i, 0))))
    elif b.rng.random() < 0.4:  # the row sum as a scalar: one reciprocal, then a scale
        inv = b.fresh(b.pick(["inv_sum", "inv_denom"]))
        body[-1] = assign(inv, 1.0 / wp.tile_extract(wp.tile_sum(name(e)), 0))
        body.append(expr(wp.tile_store(y, name(e) * name(inv), offset=(i, 0))))
    else:
        body.append(expr(wp.tile_store(y, wp.tile_map(wp.div, name(e), name(s)), offset=(i, 0))))
    b.features.update({"tile", "tile_map", "tile_broadcast"})
    return b.finish(b.pick(["softmax", "row_softmax", "softmax_rows"]), body, (rows,), tiled=True,
                    block_dim=b.pick([16, 32, 64]))


def _scan(b: MotifBuilder) -> KernelProgram:
    """Per-block prefix sums (``wp.tile_scan_exclusive``/``inclusive``): write offsets for stream
    compaction or a running sum, and optionally each block's total."""
    b.force_f32()
    b.differentiable = False
    T = b.pick([16, 32, 64])
    blocks = b.pick([1, 2, 4, 8])
    counts = b.rng.random() < 0.6  # integer flags -> write offsets (compaction); else a float running sum
    dt, ann = ("int32", name("int")) if counts else ("float32", name("float"))
    x = b.array(b.pick(["flags", "keep", "counts"] if counts else ["x", "values", "weights"]), dt, ann, (blocks * T,),
                low=0 if counts else 0.0, high=1 if counts else 1.0)
    out = b.array(b.pick(["offsets", "write_index", "prefix"] if counts else ["cumsum", "running_sum", "cdf"]), dt, ann,
                  (blocks * T,), role="out")
    t_stmt, (i,) = common.tid(b, (b.pick(["i", "block", "tile_id"]),))
    TS = _sizes(b, T, (b.pick(["BLOCK_SIZE", "TILE_SIZE"]),))[0]
    t, sc = b.fresh(b.pick(["f", "t", "tile"])), b.fresh(b.pick(["s", "scan", "prefix_tile"]))
    scan = wp.tile_scan_exclusive if counts and b.rng.random() < 0.7 else wp.tile_scan_inclusive
    body: list[ast.stmt] = [t_stmt, assign(t, wp.tile_load(x, shape=TS, offset=i * TS)), assign(sc, scan(name(t)))]
    if not counts and b.rng.random() < 0.4:  # normalise the running sum into a per-block CDF
        total = b.fresh(b.pick(["total", "norm"]))
        body.append(assign(total, wp.tile_extract(name(sc), T - 1 if isinstance(TS.node, ast.Constant) else TS - 1)))
        body.append(expr(wp.tile_store(out, name(sc) * (1.0 / wp.max(name(total), 1.0e-6)), offset=i * TS)))
    else:
        body.append(expr(wp.tile_store(out, name(sc), offset=i * TS)))
    if b.rng.random() < 0.5:
        sums = b.array(b.pick(["block_counts", "block_totals", "block_sums"]), dt, ann, (blocks,), role="out")
        body.append(expr(wp.tile_store(sums, wp.tile_sum(name(t)), offset=i)))
    b.features.add("tile")
    return b.finish(b.pick(["block_scan", "compact_offsets", "prefix_sum"] if counts else ["block_cumsum", "running_sum"]),
                    body, (blocks,), tiled=True, block_dim=b.pick([16, 32, 64]))


def _transpose(b: MotifBuilder) -> KernelProgram:
    """Blocked transpose (optionally scaled): tile ``(i, j)`` of ``a`` goes to tile ``(j, i)`` of ``out``."""
    p = b.prec
    T = b.pick([8, 16, 32])
    gi, gj = b.pick([1, 2, 4]), b.pick([1, 2])
    a = b.array(b.pick(["a", "src", "m"]), p.dtype, p.scalar(), (gi * T, gj * T))
    t_stmt, (i, j) = common.tid(b, b.pick([("i", "j"), ("bx", "by")]))
    t = b.fresh(b.pick(["t", "tile"]))
    TT = _sizes(b, T, (b.pick(["TILE", "TILE_DIM", "BLOCK"]),))[0]
    body: list[ast.stmt] = [t_stmt, assign(t, wp.tile_load(a, shape=(TT, TT), offset=(i * TT, j * TT)))]
    res: X = wp.tile_transpose(name(t))
    if gi == gj and b.rng.random() < 0.4:  # symmetric part (A + A^T) / 2, tile (i, j) from tiles (i, j) and (j, i)
        out = b.array(b.pick(["sym", "a_sym", "out"]), p.dtype, p.scalar(), (gi * T, gj * T), role="out")
        u = b.fresh(b.pick(["u", "t_ji"]))
        body += [assign(u, wp.tile_load(a, shape=(TT, TT), offset=(j * TT, i * TT))),
                 expr(wp.tile_store(out, p.lit(0.5) * (name(t) + wp.tile_transpose(name(u))), offset=(i * TT, j * TT)))]
        b.features.add("tile")
        return b.finish(b.pick(["symmetrize", "sym_part"]), body, (gi, gj), tiled=True, block_dim=b.pick([16, 32, 64]))
    if b.rng.random() < 0.3:
        res = b.scalar(b.pick(["scale", "alpha"]), b.pick([0.5, 2.0])) * res
    if p.f64 and b.rng.random() < 0.5:  # write a single-precision copy
        out = b.array(b.pick(["at32", "out_f32"]), "float32", name("float"), (gj * T, gi * T), role="out")
        res = wp.tile_astype(res, dtype=wp.float32)
    else:
        out = b.array(b.pick(["at", "dst", "out"]), p.dtype, p.scalar(), (gj * T, gi * T), role="out")
    body.append(expr(wp.tile_store(out, res, offset=(j * TT, i * TT))))
    b.features.add("tile")
    return b.finish(b.pick(["transpose_tiled", "tile_transpose_kernel", "blocked_transpose"]), body, (gi, gj), tiled=True,
                    block_dim=b.pick([16, 32, 64]))


def build(b: MotifBuilder) -> KernelProgram:
    variant = b.variant()
    return {"gemm": _gemm, "dense_layer": _dense_layer, "fft": _fft, "sort": _sort, "softmax": _softmax,
            "transpose": _transpose, "scan": _scan}[variant](b)

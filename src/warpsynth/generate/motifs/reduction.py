"""Histograms and reductions with atomics, segmented sums, and block reductions with tiles
(cf. Warp's ``example_tile_*`` reductions and the atomic tests).

Race-free by construction: every shared array is updated with ONE commutative atomic kind
per launch (``atomic_add`` on a histogram / sum, ``atomic_max`` on a maximum, ``atomic_min``
on a separate minimum); tiled kernels reduce a block-wide tile and write it with
``wp.tile_atomic_add`` / ``wp.tile_store``, with no per-thread side effects.
"""

from __future__ import annotations

import ast

from warpsynth.generate.motifs import common
from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.motifs.kit import X, assign, aug, expr, for_, if_, name, ret, tup, wp
from warpsynth.generate.program import KernelProgram


def _mask(b: MotifBuilder, shape: tuple[int, ...], t: X, body: list[ast.stmt]) -> None:
    """An optional ``if mask[i] == 0: return`` (only selected elements contribute)."""
    if b.rng.random() < 0.25:
        m = b.array(b.pick(["mask", "valid", "active"]), "int32", name("int"), shape, low=0, high=1)
        body.append(if_(m[t].eq(0), [ret()]))
        b.features.add("early_return")


def _index(b: MotifBuilder, n: int) -> tuple[tuple[int, ...], list[ast.stmt], X, X | None]:
    """(shape, tid statement, element index, env index or None) for a 1-D or batched launch."""
    shape = b.batched(n)
    if len(shape) == 2:
        t_stmt, (e, i) = common.tid(b, (b.pick(["env", "batch", "row"]), b.pick(["i", "tid"])))
        return shape, [t_stmt], tup(e, i), e
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    return shape, [t_stmt], t, None


def _quantity(b: MotifBuilder, stems: list[str], shape: tuple[int, ...], t: X, body: list[ast.stmt], low: float = -1.0,
              high: float = 1.0) -> X:
    """The per-element value a reduction reduces: a scalar array read, or (policy
    ``reduce_quantity`` weights) a physical quantity of particle state computed on the fly, as
    diagnostics kernels do: speed, kinetic energy, displacement, height."""
    p = b.prec
    kind = b.pick_weighted(b.policy.reduce_quantity)
    if kind == "scalar":
        return b.array(b.pick(stems), p.dtype, p.scalar(), shape, low=low, high=high)[t]
    if kind == "speed":
        v = b.array(b.pick(["vel", "velocities", "particle_qd"]), p.vec_dtype(), p.vec(), shape, low=-0.5, high=0.5)
        return b.length(v[t])
    if kind == "kinetic_energy":
        v = b.array(b.pick(["vel", "velocities", "particle_qd"]), p.vec_dtype(), p.vec(), shape, low=-0.5, high=0.5)
        vi = b.let("vi", v[t], body)
        if b.rng.random() < 0.5:
            mass = b.array(b.pick(["mass", "particle_mass"]), p.dtype, p.scalar(), shape, low=0.5, high=2.0)
            return p.lit(0.5) * mass[t] * b.length_sq(vi)
        return p.lit(0.5) * b.length_sq(vi)
    if kind == "displacement":
        x = b.array(b.pick(["pos", "positions", "particle_q"]), p.vec_dtype(), p.vec(), shape)
        x0 = b.array(b.pick(["x0", "rest", "x_prev"]), p.vec_dtype(), p.vec(), shape)
        return b.length(x[t] - x0[t])
    x = b.array(b.pick(["pos", "positions", "particle_q"]), p.vec_dtype(), p.vec(), shape)
    return x[t][1]  # height (y component)


def _histogram(b: MotifBuilder, n: int) -> KernelProgram:
    p = b.prec
    bins = b.pick([8, 16, 32, 64])
    shape, body, t, env = _index(b, n)
    weighted = b.rng.random() < 0.3
    w = b.array(b.pick(["weights", "w"]), p.dtype, p.scalar(), shape, low=0.0, high=1.0) if weighted else None
    helper = b.chance("helper_func")
    if helper:
        nb = None  # the helper takes the histogram's own length
    elif b.chance("module_constant"):
        nb = b.constant("NUM_BINS", bins)
    else:
        nb = b.int_param(b.pick(["num_bins", "bins"]), bins)
    hshape = (shape[0], bins) if env is not None else (bins,)
    hist = b.array(b.pick(["hist", "histogram", "counts"]), p.dtype if weighted else "int32",
                   p.scalar() if weighted else name("int"), hshape, role="out")
    _mask(b, shape, t, body)
    v, k = b.fresh("v"), b.fresh(b.pick(["bin", "b", "slot"]))
    body.append(assign(v, _quantity(b, ["values", "samples", "x"], shape, t, body, 0.0, 1.0)))
    if b.rng.random() < 0.4:
        lo = b.scalar(b.pick(["lo", "range_min"]), 0.0)
        hi = b.scalar(b.pick(["hi", "range_max"]), 1.0)
        body.append(assign(v, (name(v) - lo) / (hi - lo)))
    # bound by the array's own length (Warp 1.19: after wp.float64(NUM_BINS) a later
    # NUM_BINS - 1 is typed float64: "Input types must be the same" in the clamp)
    limit = hist.dot("shape")[len(hshape) - 1]
    if helper:
        fname = b.func(b.pick(["bin_index", "to_bin", "find_bin"]), [("x", p.scalar()), ("n", name("int"))],
                       [ret(wp.clamp(name("int")(name("x") * p.cast(name("n"))), 0, name("n") - 1))], name("int"))
        body.append(assign(k, name(fname)(name(v), limit)))
    else:
        scaled = name(v) * p.cast(nb)
        body += [assign(k, name("int")(wp.floor(scaled)) if b.rng.random() < 0.3 else name("int")(scaled)),
                 assign(k, wp.clamp(name(k), 0, limit - 1))]
    amount = w[t] if w is not None else 1
    where = [env, name(k)] if env is not None else [name(k)]
    body.append(expr(wp.atomic_add(hist, *where, amount)))
    b.differentiable = False
    b.features.add("atomic")
    return b.finish(b.pick(["compute_histogram", "bin_values", "build_histogram"]), body, shape)


def _atomic_sum(b: MotifBuilder, n: int) -> KernelProgram:
    p = b.prec
    if b.chance("generic_kernel"):
        b.make_generic()
    shape, body, t, env = _index(b, n)
    a = b.array(b.pick(["a", "x", "u"]), p.dtype, p.scalar(), shape)
    kind = b.pick(["dot", "sum_sq", "abs", "sum"])
    w = b.array(b.pick(["b", "y", "weights"]), p.dtype, p.scalar(), shape) if kind == "dot" else None
    total = b.array(b.pick(["total", "result", "sum_out"]), p.dtype, p.scalar(), (shape[0],) if env is not None else (1,), role="out")
    per_thread = env is None and not b.generic_mode and b.rng.random() < 0.35
    launch = shape
    if per_thread:  # each thread sums a contiguous chunk first: one atomic per thread, not per element
        items = b.pick([2, 4, 8])
        launch = (n // items,)
        chunk = b.constant("ITEMS_PER_THREAD", items) if b.chance("module_constant") else b.int_param("items_per_thread", items)
        k, idx, acc = b.fresh("k"), b.fresh("idx"), b.fresh(b.pick(["partial", "local_sum", "s"]))
        elem = name(idx)
        loop = [assign(idx, t * chunk + name(k))]
    else:
        _mask(b, shape, t, body)
        elem, loop = t, body
    term = {"dot": lambda: a[elem] * w[elem], "sum_sq": lambda: a[elem] * a[elem], "abs": lambda: wp.abs(a[elem]),
            "sum": lambda: a[elem]}[kind]()
    term = b.let(b.pick(["v", "term", "contrib"]), term, loop)
    if per_thread:
        loop.append(ast.AugAssign(name(acc).node, ast.Add(), term.node))
        body += [assign(acc, p.cast(0.0) if p.f64 else name("float")(0.0)), for_(k, [chunk], loop)]
        term = name(acc)
    body.append(expr(wp.atomic_add(total, env if env is not None else 0, term)))
    b.features.add("atomic")
    names = {"dot": ["dot_product", "inner_product"], "sum_sq": ["sum_squares", "norm_squared"],
             "abs": ["l1_norm", "sum_abs"], "sum": ["array_sum", "reduce_sum"]}[kind]
    return b.finish(b.pick(names), body, launch)


def _segmented(b: MotifBuilder, n: int) -> KernelProgram:
    p = b.prec
    if b.chance("generic_kernel"):
        b.make_generic()
    m = b.pick([4, 8, 16])
    vals = b.array(b.pick(["values", "contrib", "x"]), p.dtype, p.scalar(), (n,))
    seg = b.array(b.pick(["segment_ids", "keys", "cell_ids"]), "int32", name("int"), (n,), low=0, high=m - 1)
    w = b.array(b.pick(["weights", "w"]), p.dtype, p.scalar(), (n,), low=0.0, high=1.0) if b.rng.random() < 0.3 else None
    sums = b.array(b.pick(["segment_sums", "sums", "cell_total"]), p.dtype, p.scalar(), (m,), role="out")
    counts = b.array(b.pick(["segment_counts", "counts"]), "int32", name("int"), (m,), role="out") if b.rng.random() < 0.5 else None
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    body: list[ast.stmt] = [t_stmt]
    _mask(b, (n,), t, body)
    s = b.let(b.pick(["s", "seg", "key"]), seg[t], body)
    body.append(expr(wp.atomic_add(sums, s, vals[t] * w[t] if w is not None else vals[t])))
    if counts is not None:
        body.append(expr(wp.atomic_add(counts, s, 1)))
    b.features.add("atomic")
    return b.finish(b.pick(["segmented_sum", "reduce_by_key", "scatter_add"]), body, (n,))


def _minmax(b: MotifBuilder, n: int) -> KernelProgram:
    p = b.prec
    shape, body, t, env = _index(b, n)
    which = b.pick(["both", "both", "min", "max"])
    slot = (shape[0],) if env is not None else (1,)
    lo = b.array(b.pick(["min_out", "lower"]), p.dtype, p.scalar(), slot, low=1.0e3, high=1.0e3, role="inout") if which != "max" else None
    hi = b.array(b.pick(["max_out", "upper"]), p.dtype, p.scalar(), slot, low=-1.0e3, high=-1.0e3, role="inout") if which != "min" else None
    _mask(b, shape, t, body)
    v = b.fresh("v")
    q = _quantity(b, ["x", "values", "data"], shape, t, body)
    body.append(assign(v, wp.abs(q) if b.rng.random() < 0.3 and isinstance(q.node, ast.Subscript) else q))
    if b.rng.random() < 0.3:  # ignore NaN/Inf entries
        body.append(if_(X(ast.UnaryOp(ast.Not(), wp.isfinite(name(v)).node)), [ret()]))
    at = env if env is not None else 0
    if lo is not None:
        body.append(expr(wp.atomic_min(lo, at, name(v))))
    if hi is not None:
        body.append(expr(wp.atomic_max(hi, at, name(v))))
    b.differentiable = False
    b.features.add("atomic")
    return b.finish(b.pick({"both": ["compute_bounds", "min_max", "value_range"], "min": ["reduce_min", "find_min"],
                            "max": ["reduce_max", "find_max"]}[which]), body, shape)


def _count_if(b: MotifBuilder, n: int) -> KernelProgram:
    """Count (and optionally sum) the elements passing a threshold test with ``wp.atomic_add``."""
    p = b.prec
    shape, body, t, env = _index(b, n)
    thresh = b.scalar(b.pick(["threshold", "tol", "cutoff"]), b.pick([0.0, 0.5, 0.9]))
    slot = (shape[0],) if env is not None else (1,)
    count = b.array(b.pick(["count", "num_above", "num_active"]), "int32", name("int"), slot, role="out")
    at = env if env is not None else 0
    q = _quantity(b, ["x", "values", "residual"], shape, t, body)
    v = b.let("v", wp.abs(q) if b.rng.random() < 0.4 and isinstance(q.node, ast.Subscript) else q, body)
    hit = [expr(wp.atomic_add(count, at, 1))]
    if b.rng.random() < 0.4:
        total = b.array(b.pick(["sum_above", "excess"]), p.dtype, p.scalar(), slot, role="out")
        hit.append(expr(wp.atomic_add(total, at, v - thresh)))
    if b.rng.random() < 0.5:
        body.append(if_(v.gt(thresh), hit))
    else:  # early-out for elements that fail the test
        body += [if_(v.le(thresh), [ret()])] + hit
        b.features.add("early_return")
    b.differentiable = False
    b.features.add("atomic")
    return b.finish(b.pick(["count_above", "count_if", "count_violations"]), body, shape)


def _tile_sum(b: MotifBuilder) -> KernelProgram:
    """Block reductions: ``tile_load`` a chunk per block, map, reduce, then ``tile_atomic_add``
    into a total or ``tile_store`` one partial per block."""
    p = b.prec
    tile = b.pick([16, 32, 64])
    blocks = b.pick([2, 4, 8])
    per_block = b.pick([2, 4]) if b.rng.random() < 0.3 else 1  # several tiles per block, summed into an accumulator
    n = tile * blocks * per_block
    size = b.constant("TILE_SIZE", tile) if b.chance("module_constant") else tile
    x = b.array(b.pick(["x", "values", "data"]), p.dtype, p.scalar(), (n,))
    t_stmt, (t,) = common.tid(b, (b.pick(["i", "block", "tile_id"]),))
    a = b.fresh(b.pick(["a", "t", "chunk"]))
    if per_block > 1:
        k, acc = b.fresh("k"), b.fresh(b.pick(["acc", "block_acc"]))
        count = b.constant("TILES_PER_BLOCK", per_block) if b.chance("module_constant") else per_block
        if b.rng.random() < 0.5:  # one load of the block's whole chunk, summed through sub-tile views
            chunk = b.fresh(b.pick(["chunk", "block_data"]))
            view = wp.tile_view(name(chunk), offset=tup(name(k) * size), shape=tup(size))
            whole = tile * per_block  # a tile shape is a compile-time int: not TILE_SIZE * TILES_PER_BLOCK
            body = [t_stmt, assign(chunk, wp.tile_load(x, shape=whole, offset=t * whole)),
                    assign(acc, wp.tile_zeros(shape=size, dtype=p.scalar())), for_(k, [count], [aug(acc, "+", view)])]
            b.features.add("tile_view")
        else:
            body = [t_stmt, assign(acc, wp.tile_zeros(shape=size, dtype=p.scalar())),
                    for_(k, [count], [assign(a, wp.tile_load(x, shape=size, offset=(t * count + name(k)) * size)),
                                      aug(acc, "+", name(a)) if b.rng.random() < 0.5
                                      else assign(acc, name(acc) + name(a))])]
        a = acc
    else:
        body = [t_stmt, assign(a, wp.tile_load(x, shape=size, offset=t * size))]
    op = b.pick(["sum", "sum", "sum_sq", "abs", "max", "min"]) if per_block == 1 else b.pick(["sum", "sum_sq", "abs"])
    if op == "sum_sq":
        sq = b.fresh("sq")
        body.append(assign(sq, wp.tile_map(wp.mul, name(a), name(a))))
        a = sq
        b.features.add("tile_map")
    elif op == "abs":
        ab = b.fresh("mag")
        body.append(assign(ab, wp.tile_map(wp.abs, name(a))))
        a = ab
        b.features.add("tile_map")
    if op in ("max", "min"):
        red = getattr(wp, f"tile_{op}")(name(a))
    elif b.rng.random() < 0.3:
        red = wp.tile_reduce(wp.add, name(a))
    else:
        red = wp.tile_sum(name(a))
    s = b.fresh(b.pick(["s", "partial"]))
    body.append(assign(s, red))
    if op not in ("max", "min") and b.rng.random() < 0.5:
        out = b.array(b.pick(["total", "result", "out"]), p.dtype, p.scalar(), (1,), role="out")
        body.append(expr(wp.tile_atomic_add(out, name(s))))
        b.features.add("atomic")
    else:
        out = b.array(b.pick({"max": ["block_max", "partial_max"], "min": ["block_min", "partial_min"]}.get(
            op, ["partials", "block_sums"])), p.dtype, p.scalar(), (blocks,), role="out")
        body.append(expr(wp.tile_store(out, name(s), offset=t)))
    b.features.add("tile")
    if op in ("max", "min"):
        b.differentiable = False
    return b.finish(b.pick(["block_reduce", "tile_reduce_kernel", "reduce_tiles"]), body, (blocks,), tiled=True,
                    block_dim=b.pick([16, 32, 64]))


def _block_sum(b: MotifBuilder) -> KernelProgram:
    """Per-thread values summed per block with ``wp.tile_sum(wp.tile(v))`` and added once per block with
    ``wp.tile_atomic_add`` (cf. Warp's ``example_fdtd_3d.py`` energy sums): one global atomic per block
    instead of one per thread. A plain ``wp.launch``: the tile spans the launch's block, so the total is
    the same at any block_dim (the launch size is a multiple of 256; no thread returns early, since
    every thread of a block takes part in the tile)."""
    p = b.prec
    n = b.pick([256, 512, 1024])
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    body: list[ast.stmt] = [t_stmt]
    terms = 2 if b.rng.random() < 0.3 else 1
    for _ in range(terms):
        v = b.fresh(b.pick(["e", "energy", "contrib"]))  # a local: wp.tile() takes a value, not an array element
        body.append(assign(v, _quantity(b, ["density", "values", "w"], (n,), t, body)))
        s = b.fresh(b.pick(["block_sum", "tile_total", "s"]))
        total = b.array(b.pick(["total", "energy_sum", "sum_out"]), p.dtype, p.scalar(), (1,), role="out")
        body += [assign(s, wp.tile_sum(wp.tile(name(v)))), expr(wp.tile_atomic_add(total, name(s)))]
    b.cooperative = True
    b.features |= {"tile", "atomic", "per_thread_tile"}
    return b.finish(b.pick(["sum_energy", "block_sum", "reduce_per_block"]), body, (n,))


def _block_histogram(b: MotifBuilder) -> KernelProgram:
    """A privatized histogram: each block counts into a shared-memory tile with
    ``wp.tile_scatter_add`` and adds it to the global bins once with ``wp.tile_atomic_add``
    (one global atomic per bin and block, not per element). A plain ``wp.launch``: the global
    counts are the same at any block_dim and on the CPU (blocks of one thread); values outside
    the range are skipped with ``has_value`` (every thread still takes part in the scatter)."""
    p = b.prec
    n = b.pick([256, 512, 1024])
    nbins = b.pick([8, 16, 32])
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    body: list[ast.stmt] = [t_stmt]
    x = b.array(b.pick(["values", "samples", "data"]), p.dtype, p.scalar(), (n,))
    lo = b.scalar(b.pick(["lo", "range_min", "x_min"]), -1.0)
    width = b.scalar(b.pick(["bin_width", "width"]), round(2.0 / nbins, 4))
    bins_n = b.constant(b.pick(["NUM_BINS", "BINS"]), nbins) if b.chance("module_constant") else nbins
    weighted = b.rng.random() < 0.3
    cdt, cann, one = (p.dtype, p.scalar(), p.lit(1.0)) if weighted else ("int32", name("int"), 1)
    counts = b.array(b.pick(["hist", "counts", "bins"]), cdt, cann, (nbins,), role="out")
    v, bin_, local = b.fresh(b.pick(["x", "v"])), b.fresh(b.pick(["bin", "k"])), b.fresh(b.pick(["local_hist", "block_bins"]))
    value = b.array(b.pick(["weights", "mass"]), p.dtype, p.scalar(), (n,), low=0.5, high=2.0)[t] if weighted else one
    body += [assign(v, x[t]), assign(bin_, name("int")((name(v) - lo) / width)),
             assign(local, wp.tile_zeros(shape=bins_n, dtype=cann, storage=X(ast.Constant("shared")))),
             expr(wp.tile_scatter_add(name(local), name(bin_), value, name(bin_).ge(0).and_(name(bin_).lt(bins_n)))),
             expr(wp.tile_atomic_add(counts, name(local)))]
    b.cooperative = True
    b.differentiable = False
    b.features |= {"tile", "atomic", "per_thread_tile", "tile_scatter"}
    return b.finish(b.pick(["histogram", "bin_values", "block_histogram"]), body, (n,))


def build(b: MotifBuilder) -> KernelProgram:
    variant = b.variant()
    n = b.pick([64, 100, 128, 256])
    return {"histogram": _histogram, "atomic_sum": _atomic_sum, "segmented": _segmented, "minmax": _minmax,
            "tile_sum": lambda b, n: _tile_sum(b), "block_sum": lambda b, n: _block_sum(b),
            "block_histogram": lambda b, n: _block_histogram(b), "count_if": _count_if}[variant](b, n)

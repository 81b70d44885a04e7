"""Histograms and reductions with atomics, segmented sums, and block reductions with tiles
(cf. Warp's ``example_tile_*`` reductions and the atomic tests).

Race-free by construction: every shared array is updated with ONE commutative atomic
kind per launch (``atomic_add`` on a histogram / sum, ``atomic_max`` on a maximum,
``atomic_min`` on a separate minimum); the tiled kernel reduces a block-wide tile and
adds it with ``wp.tile_atomic_add``, with no per-thread side effects.
"""

from __future__ import annotations

import ast

from warpsynth.generate.motifs import common
from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.motifs.kit import X, assign, expr, if_, name, ret, wp
from warpsynth.generate.program import KernelProgram


def _histogram(b: MotifBuilder, n: int) -> KernelProgram:
    p = b.prec
    bins = b.pick([8, 16, 32, 64])
    vals = b.array(b.pick(["values", "samples", "x"]), p.dtype, p.scalar(), (n,), low=0.0, high=1.0)
    if b.chance("module_constant"):
        nb = b.constant("NUM_BINS", bins)
    else:
        nb = b.int_param(b.pick(["num_bins", "bins"]), bins)
    hist = b.array(b.pick(["hist", "histogram", "counts"]), "int32", name("int"), (bins,), role="out")
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    v, k = b.fresh("v"), b.fresh(b.pick(["bin", "b", "slot"]))
    body = [t_stmt, assign(v, vals[t]),
            assign(k, name("int")(name(v) * p.cast(nb))),
            # bound by the array's own length (Warp 1.19: after wp.float64(NUM_BINS) a later
            # NUM_BINS - 1 is typed float64: "Input types must be the same" in the clamp)
            assign(k, wp.clamp(name(k), 0, hist.dot("shape")[0] - 1)),
            expr(wp.atomic_add(hist, name(k), 1))]
    b.differentiable = False
    b.features.add("atomic")
    return b.finish(b.pick(["compute_histogram", "bin_values", "build_histogram"]), body, (n,))


def _atomic_sum(b: MotifBuilder, n: int) -> KernelProgram:
    p = b.prec
    if b.chance("generic_kernel"):
        b.make_generic()
    a = b.array(b.pick(["a", "x", "u"]), p.dtype, p.scalar(), (n,))
    w = b.array(b.pick(["b", "y", "weights"]), p.dtype, p.scalar(), (n,)) if b.rng.random() < 0.6 else None
    total = b.array(b.pick(["total", "result", "sum_out"]), p.dtype, p.scalar(), (1,), role="out")
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    term = a[t] * w[t] if w is not None else a[t] * a[t]
    body = [t_stmt, expr(wp.atomic_add(total, 0, term))]
    b.features.add("atomic")
    return b.finish(b.pick(["dot_product", "inner_product"] if w is not None else ["sum_squares", "norm_squared"]), body, (n,))


def _segmented(b: MotifBuilder, n: int) -> KernelProgram:
    p = b.prec
    if b.chance("generic_kernel"):
        b.make_generic()
    m = b.pick([4, 8, 16])
    vals = b.array(b.pick(["values", "contrib", "x"]), p.dtype, p.scalar(), (n,))
    seg = b.array(b.pick(["segment_ids", "keys", "cell_ids"]), "int32", name("int"), (n,), low=0, high=m - 1)
    sums = b.array(b.pick(["segment_sums", "sums", "cell_total"]), p.dtype, p.scalar(), (m,), role="out")
    counts = b.array(b.pick(["segment_counts", "counts"]), "int32", name("int"), (m,), role="out") if b.rng.random() < 0.5 else None
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    s = b.fresh(b.pick(["s", "seg", "key"]))
    body = [t_stmt, assign(s, seg[t]), expr(wp.atomic_add(sums, name(s), vals[t]))]
    if counts is not None:
        body.append(expr(wp.atomic_add(counts, name(s), 1)))
    b.features.add("atomic")
    return b.finish(b.pick(["segmented_sum", "reduce_by_key", "scatter_add"]), body, (n,))


def _minmax(b: MotifBuilder, n: int) -> KernelProgram:
    p = b.prec
    x = b.array(b.pick(["x", "values", "data"]), p.dtype, p.scalar(), (n,))
    lo = b.array(b.pick(["min_out", "lower"]), p.dtype, p.scalar(), (1,), low=1.0e3, high=1.0e3, role="inout")
    hi = b.array(b.pick(["max_out", "upper"]), p.dtype, p.scalar(), (1,), low=-1.0e3, high=-1.0e3, role="inout")
    t_stmt, (t,) = common.tid(b, (b.pick(["tid", "i"]),))
    v = b.fresh("v")
    body = [t_stmt, assign(v, x[t]), expr(wp.atomic_min(lo, 0, name(v))), expr(wp.atomic_max(hi, 0, name(v)))]
    b.differentiable = False
    b.features.add("atomic")
    return b.finish(b.pick(["compute_bounds", "min_max", "value_range"]), body, (n,))


def _tile_sum(b: MotifBuilder) -> KernelProgram:
    """Block sums: ``tile_load`` a TILE-sized chunk per block, reduce, ``tile_atomic_add`` into the result."""
    p = b.prec
    tile = b.pick([16, 32, 64])
    blocks = b.pick([2, 4, 8])
    n = tile * blocks
    TILE = b.constant("TILE_SIZE", tile) if b.chance("module_constant") else None
    size = TILE if TILE is not None else tile
    x = b.array(b.pick(["x", "values", "data"]), p.dtype, p.scalar(), (n,))
    out = b.array(b.pick(["total", "result", "out"]), p.dtype, p.scalar(), (1,), role="out")
    t_stmt, (t,) = common.tid(b, (b.pick(["i", "block", "tile_id"]),))
    a, s = b.fresh(b.pick(["a", "t", "chunk"])), b.fresh(b.pick(["s", "partial"]))
    body: list[ast.stmt] = [t_stmt, assign(a, wp.tile_load(x, shape=size, offset=t * size))]
    if b.rng.random() < 0.5:
        sq = b.fresh("sq")
        body.append(assign(sq, wp.tile_map(wp.mul, name(a), name(a))))
        a = sq
        b.features.add("tile_map")
    body += [assign(s, wp.tile_sum(name(a))), expr(wp.tile_atomic_add(out, name(s)))]
    b.features |= {"tile", "atomic"}
    return b.finish(b.pick(["block_sum", "tile_reduce_sum", "sum_tiles"]), body, (blocks,), tiled=True,
                    block_dim=b.pick([16, 32, 64]))


def build(b: MotifBuilder) -> KernelProgram:
    variant = b.variant()
    n = b.pick([64, 100, 128, 256])
    return {"histogram": _histogram, "atomic_sum": _atomic_sum, "segmented": _segmented, "minmax": _minmax,
            "tile_sum": lambda b, n: _tile_sum(b)}[variant](b, n)

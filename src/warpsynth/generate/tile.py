"""Tile kernels (``wp.launch_tiled``): load, map, arithmetic, matmul, scans, reductions, store.

Tiles are float32 blocks cut from arrays whose shape is an exact multiple of
the tile shape, so every ``tile_load``/``tile_store`` is in bounds.  Each tile
value carries a magnitude bound like scalar expressions do; a tile whose bound
grows past the limit is squashed with ``tile_map(wp.tanh, t)`` or a scale.
"""

from __future__ import annotations

import ast

from warpsynth.generate import types as T
from warpsynth.generate.catalog import Built, Job
from warpsynth.generate.gpu_rules import tile_matmul_ok
from warpsynth.generate.categories import Plan
from warpsynth.generate.thread_kernel import ProgramBuilder
from warpsynth.generate.program import ArgSpec
from warpsynth.generate.scope import Scope
from warpsynth.generate.value import name_load, round_lit, wp_attr

_UNARY = ["sin", "cos", "tanh", "abs", "atan", "erf", "neg"]
_BINARY = ["add", "sub", "mul", "min", "max"]
_REDUCE_OPS = ["add", "max", "min"]
_LIMIT = 1.0e3


def _call(name: str, args: list[ast.expr], kw: dict | None = None) -> ast.expr:
    return ast.Call(wp_attr(name), args, [ast.keyword(k, v) for k, v in (kw or {}).items()])


def _shape_node(shape: tuple[int, ...]) -> ast.expr:
    return ast.Constant(shape[0]) if len(shape) == 1 else ast.Tuple([ast.Constant(s) for s in shape], ast.Load())


class TileKernelBuilder(ProgramBuilder):
    """A ``wp.launch_tiled`` kernel over float32 tiles."""

    def build(self) -> Built:
        r, ctx, pol = self.rng, self.ctx, self.policy
        ndim = r.choice([1, 1, 2, 2, 2])
        if ndim == 1:
            tshape: tuple[int, ...] = (r.choice([8, 16, 32, 64]),)
            grid: tuple[int, ...] = (r.randint(1, 4),)
            tids = [ctx.fresh(r.choice(["i", "tile_id", "blk"]))]
        else:
            t = r.choice([4, 8, 16])
            tshape = (t, t) if r.random() < pol.p_tile_square else (t, r.choice([4, 8, 16]))
            grid = (r.randint(1, 3), r.randint(1, 3))
            tids = [ctx.fresh(n) for n in r.choice([["i", "j"], ["bi", "bj"], ["tx", "ty"]])]
        block_dim = r.choice([16, 32, 64])
        arr_shape = tuple(g * s for g, s in zip(grid, tshape))
        root = Scope()
        root.ctx = ctx
        inputs = [self.add_array(root, ["a", "b", "x", "src", "data", "lhs", "rhs"], T.FLOAT, arr_shape, "in", low=-1.0, high=1.0)
                  for _ in range(r.randint(1, 3))]
        n_helpers = min(r.randint(0, 2), self.config.max_helpers)
        for _ in range(n_helpers):
            self.add_helper(None, [T.FLOAT] * r.randint(1, 2), T.FLOAT)
        unary_helpers = [h for h in ctx.helpers if h.params == (T.FLOAT,) and h.ret == T.FLOAT]
        binary_helpers = [h for h in ctx.helpers if h.params == (T.FLOAT, T.FLOAT) and h.ret == T.FLOAT]
        total = None
        if r.random() < pol.p_tile_total:
            total = self.add_array(root, ["total", "sums", "norms"], T.FLOAT, (1,), "inout", low=0.0, high=0.0, readable=False)
        out = self.add_array(root, ["out", "result", "dst", "c"], T.FLOAT, arr_shape, "out", low=0.0, high=0.0, readable=False)
        scale = None
        if r.random() < pol.p_tile_scale_param:
            scale = self.ctx.fresh(r.choice(["alpha", "scale", "beta"]))
            value = round_lit(r.uniform(-2.0, 2.0))
            self.params.append(ast.arg(scale, T.FLOAT.annotation()))
            self.args.append(ArgSpec(scale, "scalar", "float32", value=value))
            scale_mag = abs(value) + 0.001

        body: list[ast.stmt] = []
        target = ast.Name(tids[0], ast.Store()) if ndim == 1 else ast.Tuple([ast.Name(t, ast.Store()) for t in tids], ast.Store())
        body.append(ast.Assign([target], _call("tid", []), lineno=0))
        ctx.use("tid")
        if ndim == 1:
            offset: ast.expr = ast.BinOp(name_load(tids[0]), ast.Mult(), ast.Constant(tshape[0]))
        else:
            offset = ast.Tuple([ast.BinOp(name_load(t), ast.Mult(), ast.Constant(s)) for t, s in zip(tids, tshape)], ast.Load())
        tiles: list[tuple[str, float, tuple[int, ...]]] = []  # (name, mag, shape)

        def new_tile(stem: str, value: ast.expr, mag: float, shape: tuple[int, ...]) -> None:
            name = ctx.fresh(stem)
            body.append(ast.Assign([ast.Name(name, ast.Store())], value, lineno=0))
            tiles.append((name, mag, shape))
            if mag > _LIMIT:
                ctx.use("tile_map")
                ctx.use("tanh")
                body.append(ast.Assign([ast.Name(name, ast.Store())], _call("tile_map", [wp_attr("tanh"), name_load(name)]), lineno=0))
                tiles[-1] = (name, 1.0, shape)

        for a in inputs:
            kw = {"shape": _shape_node(tshape), "offset": offset}
            if r.random() < pol.p_tile_storage_kw:
                kw["storage"] = ast.Constant(r.choice(["shared", "register"]))
            ctx.use("tile_load")
            new_tile(r.choice(["t", "ta", "tile", "blk"]), _call("tile_load", [name_load(a.name)], kw), 1.0, tshape)
        square = ndim == 2 and tshape[0] == tshape[1]
        # a GEMM only where MathDx builds it for sm_80 and sm_90 at this block_dim (measured table)
        matmul = square and tile_matmul_ok(tshape[0], tshape[0], tshape[0], "float32", block_dim)
        n_ops = max(1, min(self.config.max_statements, 1 + int(r.expovariate(1 / 3.0))))
        for _ in range(n_ops):
            ops = ["unary", "binary", "arith", "scale", "const"]
            if unary_helpers or binary_helpers:
                ops += ["helper", "helper"]
            if square:
                ops += ["matmul", "matmul", "transpose"] if matmul else ["transpose"]
            if ndim == 1:
                ops += ["scan", "arange"]
            ops += ["bcast", "astype", "reshape", "mean"]
            op = r.choice(ops)
            name, mag, shape = r.choice(tiles)
            same = [t for t in tiles if t[2] == shape and t[0] != name]  # never ``t - t`` / ``min(t, t)``
            if not same and op in ("binary", "arith"):
                op = "unary"
            same = same or [(name, mag, shape)]
            if op == "unary":
                fn = r.choice(_UNARY)
                ctx.use("tile_map")
                ctx.use(fn)
                bound = 1.6 if fn in ("sin", "cos", "tanh", "atan", "erf") else mag
                new_tile("tm", _call("tile_map", [wp_attr(fn), name_load(name)]), bound, shape)
                ctx.feature("tile_map")
            elif op == "binary":
                other = r.choice(same)
                fn = r.choice(_BINARY)
                ctx.use("tile_map")
                ctx.use(fn)
                m = mag * other[1] if fn == "mul" else mag + other[1]
                new_tile("tb", _call("tile_map", [wp_attr(fn), name_load(name), name_load(other[0])]), m, shape)
                ctx.feature("tile_map")
            elif op == "helper":
                if unary_helpers and (not binary_helpers or r.random() < pol.p_tile_unary_helper):
                    h = r.choice(unary_helpers)
                    args = [name_load(h.name), name_load(name)]
                else:
                    h = r.choice(binary_helpers)
                    other = r.choice(same)
                    args = [name_load(h.name), name_load(name), name_load(other[0])]
                    if other[1] > h.arg_limit:
                        continue
                if mag > h.arg_limit:
                    continue
                ctx.use("tile_map")
                new_tile("th", _call("tile_map", args), h.ret_mag, shape)
                ctx.feature("tile_map")
                ctx.feature("func_call")
            elif op == "arith":
                other = r.choice(same)
                pick = r.choice(["add", "sub", "neg"])
                ctx.use(pick)
                if pick == "neg":
                    new_tile("tn", ast.UnaryOp(ast.USub(), name_load(name)), mag, shape)
                else:
                    new_tile("ts", ast.BinOp(name_load(name), ast.Add() if pick == "add" else ast.Sub(), name_load(other[0])), mag + other[1], shape)
            elif op == "scale":
                ctx.use("mul")
                if scale is not None and r.random() < pol.p_tile_scale_by_param:
                    new_tile("tk", ast.BinOp(name_load(name), ast.Mult(), name_load(scale)), mag * scale_mag, shape)
                else:
                    c = round_lit(r.uniform(-2.0, 2.0))
                    new_tile("tk", ast.BinOp(name_load(name), ast.Mult(), ast.Constant(c)), mag * abs(c) + 0.01, shape)
            elif op == "const":
                kind = r.choice(["tile_zeros", "tile_ones", "tile_full"])
                kw = {"shape": _shape_node(shape), "dtype": name_load("float")}
                args = []
                m = 1.0
                if kind == "tile_full":
                    c = round_lit(r.uniform(-1.0, 1.0))
                    kw["value"] = ast.Constant(c)
                    m = abs(c)
                ctx.use(kind)
                cst = _call(kind, args, kw)
                ctx.use("add")
                new_tile("tc", ast.BinOp(name_load(name), ast.Add(), cst), mag + m, shape)
            elif op == "matmul":
                other = r.choice(same)
                ctx.use("tile_matmul")
                ctx.feature("tile_matmul")
                new_tile("tmm", _call("tile_matmul", [name_load(name), name_load(other[0])]), shape[1] * mag * other[1], shape)
            elif op == "transpose":
                ctx.use("tile_transpose")
                new_tile("tt", _call("tile_transpose", [name_load(name)]), mag, shape)
            elif op == "scan":
                fn = r.choice(["tile_scan_inclusive", "tile_scan_exclusive", "tile_scan_max_inclusive", "tile_scan_min_inclusive"])
                ctx.use(fn)
                ctx.feature("tile_scan")
                new_tile("tsc", _call(fn, [name_load(name)]), mag * shape[0], shape)
            elif op == "bcast":
                red = r.choice(["tile_sum", "tile_max", "tile_min"])
                ctx.use(red)
                ctx.use("tile_broadcast")
                ctx.use("add")
                numel = shape[0] * (shape[1] if len(shape) > 1 else 1)
                rmag = mag * numel if red == "tile_sum" else mag
                bc = _call("tile_broadcast", [_call(red, [name_load(name)])], {"shape": ast.Tuple([ast.Constant(x) for x in shape], ast.Load())})
                new_tile("tbc", ast.BinOp(name_load(name), ast.Sub(), bc), mag + rmag, shape)
                ctx.feature("tile_broadcast")
            elif op == "astype":
                ctx.use("tile_astype")
                wide = _call("tile_astype", [name_load(name)], {"dtype": wp_attr("float64")})
                fn = r.choice(["sin", "cos", "tanh", "abs"])
                ctx.use("tile_map")
                ctx.use(fn)
                back = _call("tile_astype", [_call("tile_map", [wp_attr(fn), wide])], {"dtype": name_load("float")})
                new_tile("tw", back, 1.0 if fn != "abs" else mag, shape)
                ctx.feature("mixed_precision")
            elif op == "reshape":
                numel = shape[0] * (shape[1] if len(shape) > 1 else 1)
                flat = _call("tile_reshape", [name_load(name)], {"shape": ast.Tuple([ast.Constant(numel)], ast.Load())})
                ctx.use("tile_reshape")
                if len(shape) == 1:
                    new_tile("tf", flat, mag, shape)
                else:
                    back = _call("tile_reshape", [_call("tile_map", [wp_attr("abs"), flat])], {"shape": ast.Tuple([ast.Constant(x) for x in shape], ast.Load())})
                    ctx.use("tile_map")
                    ctx.use("abs")
                    new_tile("tf", back, mag, shape)
            elif op == "mean":
                # scale by 1 / (elements in the tile): not by wp.block_dim(), which is 1 on the CPU
                ctx.use("div")
                numel = shape[0] * (shape[1] if len(shape) > 1 else 1)
                new_tile("tavg", ast.BinOp(name_load(name), ast.Div(), ast.Constant(float(numel))), mag / numel, shape)
            elif op == "arange":
                ctx.use("tile_arange")
                ar = _call("tile_arange", [ast.Constant(shape[0])], {"dtype": name_load("float")})
                ctx.use("mul")
                k = round_lit(1.0 / shape[0])
                new_tile("tr", ast.BinOp(name_load(name), ast.Add(), ast.BinOp(ar, ast.Mult(), ast.Constant(k))), mag + 1.0, shape)
        final, fmag, fshape = tiles[-1]
        if total is not None:
            name, mag, shape = r.choice(tiles)
            kind = r.choice(["tile_sum", "tile_max", "tile_min", "tile_reduce", "tile_dot"])
            if kind == "tile_dot":
                other = r.choice([t for t in tiles if t[2] == shape])
                red = _call("tile_dot", [name_load(name), name_load(other[0])])
            elif kind == "tile_reduce":
                fn = r.choice(_REDUCE_OPS)
                red = _call("tile_reduce", [wp_attr(fn), name_load(name)])
                ctx.use(fn)
            else:
                red = _call(kind, [name_load(name)])
            ctx.use(kind)
            rname = ctx.fresh(r.choice(["s", "red", "acc"]))
            body.append(ast.Assign([ast.Name(rname, ast.Store())], red, lineno=0))
            if r.random() < pol.p_tile_atomic_add:
                ctx.use("tile_atomic_add")
                body.append(ast.Expr(_call("tile_atomic_add", [name_load(total.name), name_load(rname)])))
            else:  # read the reduced value back as a scalar, as reductions often do
                body += _one_lane_atomic_add(ctx, body[0], total.name, rname)
            ctx.feature("reduction")
            ctx.feature("tile_reduce")
        ctx.use("tile_store")
        body.append(ast.Expr(_call("tile_store", [name_load(out.name), name_load(final)], {"offset": offset})))
        ctx.feature("tile")
        ctx.feature(f"launch{ndim}d")
        kname = ctx.fresh(r.choice(["tile", "tiled", "block"]) + "_" + r.choice(["gemm", "map", "reduce", "kernel", "op", "update"]))
        kfn = ast.FunctionDef(kname, ast.arguments([], self.params, None, [], [], None, []), body, [wp_attr("kernel")], None, lineno=0)
        return Built(self.structs + self.helpers + [kfn], kname, tuple(self.args), grid, features=set(ctx.features),
                     tiled=True, block_dim=block_dim)


def _one_lane_atomic_add(ctx, tid_assign: ast.Assign, total: str, reduced: str) -> list[ast.stmt]:
    """``v = red[0]`` (every thread), then ``if lane == 0: wp.atomic_add(total, 0, v)``: one add per block.

    Every thread of a block holds the block's reduced value; an unguarded scalar atomic would
    add it block_dim times on a GPU (once on the CPU, where tiled launches run one thread per
    block). Adds the lane to the kernel's ``wp.tid()`` unpacking (``i, lane = wp.tid()``).
    """
    lane = ctx.fresh("lane")
    target = tid_assign.targets[0]
    elts = list(target.elts) if isinstance(target, ast.Tuple) else [target]
    tid_assign.targets[0] = ast.Tuple(elts + [ast.Name(lane, ast.Store())], ast.Store())
    value = ctx.fresh("v")
    ctx.use("tile_extract")
    ctx.use("atomic_add")
    read = ast.Assign([ast.Name(value, ast.Store())], ast.Subscript(name_load(reduced), ast.Constant(0), ast.Load()), lineno=0)
    guard = ast.Compare(name_load(lane), [ast.Eq()], [ast.Constant(0)])
    add = ast.Expr(_call("atomic_add", [name_load(total), ast.Constant(0), name_load(value)]))
    return [read, ast.If(guard, [add], [])]


def build_tile(job: Job) -> Built:
    """The ``tile`` category's build function (registered in ``classic``)."""
    p = Plan("tile", [T.FLOAT, T.INT], groups={"Scalar Math": 2.0}, stmts=job.policy.table("w_stmt"), helpers=(0, 2))
    return TileKernelBuilder(job, p).build()

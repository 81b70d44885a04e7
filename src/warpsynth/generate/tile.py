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
    """A ``wp.launch_tiled`` kernel over float32 tiles.

    ``build`` runs four jobs in order, all drawing from the job's rng: the launch layout and
    parameters (``_layout``, ``_parameters``), the tile loads (``_loads``), the body's tile
    operations (``_operations``, one ``_op_*`` method per kind) and the reduction/store tail
    (``_reduce_into_total``, the final ``tile_store``).
    """

    def build(self) -> Built:
        self.body: list[ast.stmt] = []
        self.tiles: list[tuple[str, float, tuple[int, ...]]] = []  # (name, mag, shape)
        self._layout()
        self._parameters()
        self._loads()
        self._operations()
        final = self.tiles[-1][0]
        if self.total is not None:
            self._reduce_into_total()
        ctx, r = self.ctx, self.rng
        ctx.use("tile_store")
        self.body.append(ast.Expr(_call("tile_store", [name_load(self.out.name), name_load(final)], {"offset": self.offset})))
        ctx.feature("tile")
        ctx.feature(f"launch{self.ndim}d")
        kname = ctx.fresh(r.choice(["tile", "tiled", "block"]) + "_" + r.choice(["gemm", "map", "reduce", "kernel", "op", "update"]))
        kfn = ast.FunctionDef(kname, ast.arguments([], self.params, None, [], [], None, []), self.body, [wp_attr("kernel")], None, lineno=0)
        return Built(self.structs + self.helpers + [kfn], kname, tuple(self.args), self.grid, features=set(ctx.features),
                     tiled=True, block_dim=self.block_dim)

    # ------------------------------------------------------------------ layout, parameters, loads
    def _layout(self) -> None:
        """Tile shape, launch grid, thread-id names and block_dim; arrays are ``grid * tile`` exactly."""
        r, ctx, pol = self.rng, self.ctx, self.policy
        self.ndim = r.choice([1, 1, 2, 2, 2])
        if self.ndim == 1:
            self.tshape: tuple[int, ...] = (r.choice([8, 16, 32, 64]),)
            self.grid: tuple[int, ...] = (r.randint(1, 4),)
            self.tids = [ctx.fresh(r.choice(["i", "tile_id", "blk"]))]
        else:
            t = r.choice([4, 8, 16])
            self.tshape = (t, t) if r.random() < pol.p_tile_square else (t, r.choice([4, 8, 16]))
            self.grid = (r.randint(1, 3), r.randint(1, 3))
            self.tids = [ctx.fresh(n) for n in r.choice([["i", "j"], ["bi", "bj"], ["tx", "ty"]])]
        self.block_dim = r.choice([16, 32, 64])
        self.arr_shape = tuple(g * s for g, s in zip(self.grid, self.tshape))

    def _parameters(self) -> None:
        """Input arrays, float helpers for ``tile_map``, the optional ``total`` accumulator, the output
        array and an optional float scale parameter."""
        r, ctx, pol = self.rng, self.ctx, self.policy
        root = Scope()
        root.ctx = ctx
        self.inputs = [self.add_array(root, ["a", "b", "x", "src", "data", "lhs", "rhs"], T.FLOAT, self.arr_shape, "in",
                                      low=-1.0, high=1.0) for _ in range(r.randint(1, 3))]
        n_helpers = min(r.randint(0, 2), self.config.max_helpers)
        for _ in range(n_helpers):
            self.add_helper(None, [T.FLOAT] * r.randint(1, 2), T.FLOAT)
        self.unary_helpers = [h for h in ctx.helpers if h.params == (T.FLOAT,) and h.ret == T.FLOAT]
        self.binary_helpers = [h for h in ctx.helpers if h.params == (T.FLOAT, T.FLOAT) and h.ret == T.FLOAT]
        self.total = None
        if r.random() < pol.p_tile_total:
            self.total = self.add_array(root, ["total", "sums", "norms"], T.FLOAT, (1,), "inout", low=0.0, high=0.0, readable=False)
        self.out = self.add_array(root, ["out", "result", "dst", "c"], T.FLOAT, self.arr_shape, "out", low=0.0, high=0.0, readable=False)
        self.scale: str | None = None
        self.scale_mag = 0.0
        if r.random() < pol.p_tile_scale_param:
            self.scale = ctx.fresh(r.choice(["alpha", "scale", "beta"]))
            value = round_lit(r.uniform(-2.0, 2.0))
            self.params.append(ast.arg(self.scale, T.FLOAT.annotation()))
            self.args.append(ArgSpec(self.scale, "scalar", "float32", value=value))
            self.scale_mag = abs(value) + 0.001

    def _loads(self) -> None:
        """``i = wp.tid()``, the tile offset, and one ``wp.tile_load`` per input array."""
        r, ctx, pol = self.rng, self.ctx, self.policy
        tids = self.tids
        target = ast.Name(tids[0], ast.Store()) if self.ndim == 1 else ast.Tuple([ast.Name(t, ast.Store()) for t in tids], ast.Store())
        self.body.append(ast.Assign([target], _call("tid", []), lineno=0))
        ctx.use("tid")
        if self.ndim == 1:
            self.offset: ast.expr = ast.BinOp(name_load(tids[0]), ast.Mult(), ast.Constant(self.tshape[0]))
        else:
            self.offset = ast.Tuple([ast.BinOp(name_load(t), ast.Mult(), ast.Constant(s)) for t, s in zip(tids, self.tshape)], ast.Load())
        for a in self.inputs:
            kw = {"shape": _shape_node(self.tshape), "offset": self.offset}
            if r.random() < pol.p_tile_storage_kw:
                kw["storage"] = ast.Constant(r.choice(["shared", "register"]))
            ctx.use("tile_load")
            self.new_tile(r.choice(["t", "ta", "tile", "blk"]), _call("tile_load", [name_load(a.name)], kw), 1.0, self.tshape)

    def new_tile(self, stem: str, value: ast.expr, mag: float, shape: tuple[int, ...]) -> None:
        """``name = value`` for a new tile; a tile whose bound passes ``_LIMIT`` is squashed with ``tanh``."""
        ctx = self.ctx
        name = ctx.fresh(stem)
        self.body.append(ast.Assign([ast.Name(name, ast.Store())], value, lineno=0))
        self.tiles.append((name, mag, shape))
        if mag > _LIMIT:
            ctx.use("tile_map")
            ctx.use("tanh")
            self.body.append(ast.Assign([ast.Name(name, ast.Store())], _call("tile_map", [wp_attr("tanh"), name_load(name)]), lineno=0))
            self.tiles[-1] = (name, 1.0, shape)

    # ------------------------------------------------------------------ body operations
    def _operations(self) -> None:
        """A few tile operations, each on a random earlier tile (binary ones on two different tiles)."""
        r = self.rng
        square = self.ndim == 2 and self.tshape[0] == self.tshape[1]
        # a GEMM only where MathDx builds it for sm_80 and sm_90 at this block_dim (measured table)
        matmul = square and tile_matmul_ok(self.tshape[0], self.tshape[0], self.tshape[0], "float32", self.block_dim)
        n_ops = max(1, min(self.config.max_statements, 2 + int(r.expovariate(1 / 3.0))))  # one op alone repeats
        for _ in range(n_ops):
            ops = ["unary", "binary", "arith", "scale", "const"]
            if self.unary_helpers or self.binary_helpers:
                ops += ["helper", "helper"]
            if square:
                ops += ["matmul", "matmul", "transpose"] if matmul else ["transpose"]
            if self.ndim == 1:
                ops += ["scan", "arange"]
            ops += ["bcast", "astype", "reshape", "mean"]
            op = r.choice(ops)
            # the newest tile most often, so the ops form a chain that reaches the store (not dead code)
            name, mag, shape = self.tiles[-1] if r.random() < self.policy.p_tile_chain else r.choice(self.tiles)
            same = [t for t in self.tiles if t[2] == shape and t[0] != name]  # never ``t - t`` / ``min(t, t)``
            if not same and op in ("binary", "arith"):
                op = "unary"
            same = same or [(name, mag, shape)]
            getattr(self, f"_op_{op}")(name, mag, shape, same)

    def _op_unary(self, name, mag, shape, same) -> None:
        fn = self.rng.choice(_UNARY)
        self.ctx.use("tile_map")
        self.ctx.use(fn)
        bound = 1.6 if fn in ("sin", "cos", "tanh", "atan", "erf") else mag
        self.new_tile("tm", _call("tile_map", [wp_attr(fn), name_load(name)]), bound, shape)
        self.ctx.feature("tile_map")

    def _op_binary(self, name, mag, shape, same) -> None:
        r = self.rng
        other = r.choice(same)
        fn = r.choice(_BINARY)
        self.ctx.use("tile_map")
        self.ctx.use(fn)
        m = mag * other[1] if fn == "mul" else mag + other[1]
        self.new_tile("tb", _call("tile_map", [wp_attr(fn), name_load(name), name_load(other[0])]), m, shape)
        self.ctx.feature("tile_map")

    def _op_helper(self, name, mag, shape, same) -> None:
        r = self.rng
        if self.unary_helpers and (not self.binary_helpers or r.random() < self.policy.p_tile_unary_helper):
            h = r.choice(self.unary_helpers)
            args = [name_load(h.name), name_load(name)]
        else:
            h = r.choice(self.binary_helpers)
            other = r.choice(same)
            args = [name_load(h.name), name_load(name), name_load(other[0])]
            if other[1] > h.arg_limit:
                return
        if mag > h.arg_limit:
            return
        self.ctx.use("tile_map")
        self.new_tile("th", _call("tile_map", args), h.ret_mag, shape)
        self.ctx.feature("tile_map")
        self.ctx.feature("func_call")

    def _op_arith(self, name, mag, shape, same) -> None:
        r = self.rng
        other = r.choice(same)
        pick = r.choice(["add", "sub", "neg"])
        self.ctx.use(pick)
        if pick == "neg":
            self.new_tile("tn", ast.UnaryOp(ast.USub(), name_load(name)), mag, shape)
        else:
            op = ast.Add() if pick == "add" else ast.Sub()
            self.new_tile("ts", ast.BinOp(name_load(name), op, name_load(other[0])), mag + other[1], shape)

    def _op_scale(self, name, mag, shape, same) -> None:
        r = self.rng
        self.ctx.use("mul")
        if self.scale is not None and r.random() < self.policy.p_tile_scale_by_param:
            self.new_tile("tk", ast.BinOp(name_load(name), ast.Mult(), name_load(self.scale)), mag * self.scale_mag, shape)
        else:
            c = round_lit(r.uniform(-2.0, 2.0))
            while abs(c) in (0.0, 1.0):  # t * 1.0 is t, t * 0.0 is zeros, t * -1.0 is -t: not a scale
                c = round_lit(r.uniform(-2.0, 2.0))
            self.new_tile("tk", ast.BinOp(name_load(name), ast.Mult(), ast.Constant(c)), mag * abs(c) + 0.01, shape)

    def _op_const(self, name, mag, shape, same) -> None:
        r = self.rng
        kind = r.choice(["tile_zeros", "tile_ones", "tile_full"])
        kw = {"shape": _shape_node(shape), "dtype": name_load("float")}
        m = 1.0
        if kind == "tile_full":
            c = round_lit(r.uniform(-1.0, 1.0))
            while c == 0.0:  # t + tile_full(0.0) adds nothing
                c = round_lit(r.uniform(-1.0, 1.0))
            kw["value"] = ast.Constant(c)
            m = abs(c)
        self.ctx.use(kind)
        self.ctx.use("add")
        self.new_tile("tc", ast.BinOp(name_load(name), ast.Add(), _call(kind, [], kw)), mag + m, shape)

    def _op_matmul(self, name, mag, shape, same) -> None:
        other = self.rng.choice(same)
        self.ctx.use("tile_matmul")
        self.ctx.feature("tile_matmul")
        self.new_tile("tmm", _call("tile_matmul", [name_load(name), name_load(other[0])]), shape[1] * mag * other[1], shape)

    def _op_transpose(self, name, mag, shape, same) -> None:
        self.ctx.use("tile_transpose")
        self.new_tile("tt", _call("tile_transpose", [name_load(name)]), mag, shape)

    def _op_scan(self, name, mag, shape, same) -> None:
        fn = self.rng.choice(["tile_scan_inclusive", "tile_scan_exclusive", "tile_scan_max_inclusive", "tile_scan_min_inclusive"])
        self.ctx.use(fn)
        self.ctx.feature("tile_scan")
        self.new_tile("tsc", _call(fn, [name_load(name)]), mag * shape[0], shape)

    def _op_bcast(self, name, mag, shape, same) -> None:
        red = self.rng.choice(["tile_sum", "tile_max", "tile_min"])
        for used in (red, "tile_broadcast", "add"):
            self.ctx.use(used)
        rmag = mag * _numel(shape) if red == "tile_sum" else mag
        bc = _call("tile_broadcast", [_call(red, [name_load(name)])], {"shape": ast.Tuple([ast.Constant(x) for x in shape], ast.Load())})
        self.new_tile("tbc", ast.BinOp(name_load(name), ast.Sub(), bc), mag + rmag, shape)
        self.ctx.feature("tile_broadcast")

    def _op_astype(self, name, mag, shape, same) -> None:
        self.ctx.use("tile_astype")
        wide = _call("tile_astype", [name_load(name)], {"dtype": wp_attr("float64")})
        fn = self.rng.choice(["sin", "cos", "tanh", "abs"])
        self.ctx.use("tile_map")
        self.ctx.use(fn)
        back = _call("tile_astype", [_call("tile_map", [wp_attr(fn), wide])], {"dtype": name_load("float")})
        self.new_tile("tw", back, 1.0 if fn != "abs" else mag, shape)
        self.ctx.feature("mixed_precision")

    def _op_reshape(self, name, mag, shape, same) -> None:
        flat = _call("tile_reshape", [name_load(name)], {"shape": ast.Tuple([ast.Constant(_numel(shape))], ast.Load())})
        self.ctx.use("tile_reshape")
        if len(shape) == 1:
            self.new_tile("tf", flat, mag, shape)
            return
        back = _call("tile_reshape", [_call("tile_map", [wp_attr("abs"), flat])], {"shape": ast.Tuple([ast.Constant(x) for x in shape], ast.Load())})
        self.ctx.use("tile_map")
        self.ctx.use("abs")
        self.new_tile("tf", back, mag, shape)

    def _op_mean(self, name, mag, shape, same) -> None:
        # scale by 1 / (elements in the tile): not by wp.block_dim(), which is 1 on the CPU
        self.ctx.use("div")
        numel = _numel(shape)
        self.new_tile("tavg", ast.BinOp(name_load(name), ast.Div(), ast.Constant(float(numel))), mag / numel, shape)

    def _op_arange(self, name, mag, shape, same) -> None:
        self.ctx.use("tile_arange")
        ar = _call("tile_arange", [ast.Constant(shape[0])], {"dtype": name_load("float")})
        self.ctx.use("mul")
        k = round_lit(1.0 / shape[0])
        self.new_tile("tr", ast.BinOp(name_load(name), ast.Add(), ast.BinOp(ar, ast.Mult(), ast.Constant(k))), mag + 1.0, shape)

    # ------------------------------------------------------------------ reduction tail
    def _reduce_into_total(self) -> None:
        """Reduce one tile (sum/max/min/reduce/dot) and add it to ``total`` once per block."""
        r, ctx = self.rng, self.ctx
        name, mag, shape = r.choice(self.tiles)
        kind = r.choice(["tile_sum", "tile_max", "tile_min", "tile_reduce", "tile_dot"])
        if kind == "tile_dot":
            other = r.choice([t for t in self.tiles if t[2] == shape])
            red = _call("tile_dot", [name_load(name), name_load(other[0])])
        elif kind == "tile_reduce":
            fn = r.choice(_REDUCE_OPS)
            red = _call("tile_reduce", [wp_attr(fn), name_load(name)])
            ctx.use(fn)
        else:
            red = _call(kind, [name_load(name)])
        ctx.use(kind)
        rname = ctx.fresh(r.choice(["s", "red", "acc"]))
        self.body.append(ast.Assign([ast.Name(rname, ast.Store())], red, lineno=0))
        if r.random() < self.policy.p_tile_atomic_add:
            ctx.use("tile_atomic_add")
            self.body.append(ast.Expr(_call("tile_atomic_add", [name_load(self.total.name), name_load(rname)])))
        else:  # read the reduced value back as a scalar, as reductions often do
            self.body += _one_lane_atomic_add(ctx, self.body[0], self.total.name, rname)
        ctx.feature("reduction")
        ctx.feature("tile_reduce")


def _numel(shape: tuple[int, ...]) -> int:
    return shape[0] * (shape[1] if len(shape) > 1 else 1)


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

"""Every array access of a kernel (and the ``@wp.func`` helpers it calls), with its index as a function of the thread.

:func:`collect` walks the kernel's syntax tree once and returns :class:`Access` records and
:class:`Problem` s (uses that make results depend on block_dim or that the race check cannot
model). ``warpsynth.verify.races`` decides from them whether the launch is race-free.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from warpsynth.generate.liveness import array_ndim
from warpsynth.verify.index_forms import Affine, Evaluator, local_values, wp_name
from warpsynth.verify.tile_shapes import Tile, const_shape, tile_result

#: Tile builtins that read a region of their first (array) argument.
TILE_READS = frozenset({"tile_load"})
#: Augmented assignments Warp turns into atomics on an array slot (warp/_src/codegen.py, ``_atomic_slot_augassign_op_name``).
AUGASSIGN_ATOMIC = {ast.Add: "add", ast.Sub: "sub", ast.BitAnd: "and", ast.BitOr: "or", ast.BitXor: "xor"}
#: Tile builtins whose shape depends on the block size (one element per thread).
BLOCK_SHAPED_TILES = frozenset({"tile", "untile"})
#: Builtins that may write an array passed to them but that the check does not model.
_WRITING_WORDS = ("store", "atomic", "scatter", "assign")
#: Calls that read an array's metadata, not its elements.
_METADATA_CALLS = frozenset({"len"})


@dataclass(frozen=True)
class Access:
    """One access. ``kind``: "read" | "write" | "atomic" | "whole" (an opaque builtin reads the array).

    ``index``: per array dimension, the :class:`Affine` index or None; for tile accesses the
    offset, with ``extent`` the tile shape (1 per dimension for element accesses).
    ``op``: the atomic op ("add", "max"...). ``result_used``: an atomic's returned value is used.
    ``tile``: a block-wide tile access (``extent`` is the tile shape). ``where``: "in helper 'f' " or "".
    """

    array: str
    kind: str
    line: int
    index: tuple[Affine | None, ...] = ()
    extent: tuple[int, ...] = ()
    op: str = ""
    result_used: bool = False
    tile: bool = False
    where: str = ""


@dataclass
class Problem:
    line: int
    reason: str


@dataclass
class Collected:
    accesses: list[Access] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def array_params(fn: ast.FunctionDef, with_ndim: bool = False) -> dict:
    """Parameters annotated as Warp arrays: name -> element dtype text (``float32`` for ``float``), or (dtype, ndim).

    Both spellings: ``wp.array(dtype=float)`` / ``wp.array2d(dtype=wp.vec3)`` and ``wp.array[float]`` /
    ``wp.array2d[wp.vec3]`` (also ``indexedarray``, ``fabricarray``).
    """
    out = {}
    for arg in fn.args.args:
        ann, dtype = arg.annotation, None
        if isinstance(ann, ast.Call) and "array" in (wp_name(ann.func) or ""):
            dtype = next((k.value for k in ann.keywords if k.arg == "dtype"), ann.args[0] if ann.args else None)
        elif isinstance(ann, ast.Subscript) and "array" in (wp_name(ann.value) or ""):
            dtype = ann.slice.elts[0] if isinstance(ann.slice, ast.Tuple) else ann.slice
        else:
            continue
        text = ast.unparse(dtype).removeprefix("wp.").removeprefix("warp.") if dtype is not None else "float32"
        text = {"float": "float32", "int": "int32"}.get(text, text)
        out[arg.arg] = (text, array_ndim(ann)) if with_ndim else text
    return out


class Walker:
    """Collects the accesses of one function body; helpers are walked with their own :class:`Walker`."""

    def __init__(self, fn: ast.FunctionDef, ctx: "KernelContext", arrays: dict[str, str], bound: dict, where: str, depth: int = 0,
                 nodes: list[ast.AST] | None = None):
        self.fn, self.ctx, self.where, self.depth = fn, ctx, where, depth
        nodes = nodes if nodes is not None else list(ast.walk(fn))  # one walk, shared by the passes below
        self.arrays = arrays  # local name -> kernel-level array name
        self.views = self._aliases(fn, nodes)  # locals holding a view of an array (``row = a[i]`` of a 2-D ``a``)
        self.dtypes = {local: ctx.dtypes.get(global_, "") for local, global_ in arrays.items()}
        env = local_values(nodes, bound, ctx.known, frozenset(arrays), frozenset(ctx.helpers), ctx.dims, ctx.lines)
        self.ev = Evaluator(env, ctx.known, frozenset(arrays), frozenset(ctx.helpers), ctx.lines)
        self.tiles: dict[str, tuple[tuple[int, ...] | None, str]] = {}  # tile local -> (shape, dtype)

    def _aliases(self, fn: ast.FunctionDef, nodes: list[ast.AST]) -> set[str]:
        """Add ``b = a`` aliases of arrays to ``self.arrays``; return the locals that hold array views."""
        ndims = {name: nd for name, (_, nd) in array_params(fn, with_ndim=True).items()}
        views = set()
        for node in nodes:
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
                continue
            value, name = node.value, node.targets[0].id
            if isinstance(value, ast.Name) and value.id in self.arrays:
                self.arrays[name] = self.arrays[value.id]
            elif isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) and value.value.id in self.arrays:
                n_index = len(value.slice.elts) if isinstance(value.slice, ast.Tuple) else 1
                if n_index < ndims.get(value.value.id, 1):
                    views.add(name)
        return views

    # ---------------------------------------------------------------- statements
    def block(self, stmts: list[ast.stmt], guarded: bool) -> None:
        for stmt in stmts:
            self.stmt(stmt, guarded)

    def stmt(self, s: ast.stmt, guarded: bool) -> None:
        if isinstance(s, ast.Assign):
            self.expr(s.value, guarded)
            for target in s.targets:
                self.store(target, s.lineno, guarded)
            self._track_tile(s)
        elif isinstance(s, ast.AugAssign):
            self.expr(s.value, guarded)
            self.augstore(s, guarded)
        elif isinstance(s, ast.Expr):
            self.expr(s.value, guarded, used=False)
        elif isinstance(s, ast.If):
            self.expr(s.test, guarded)
            self.block(s.body, guarded or self.ctx.is_lane0_test(s.test, self.ev))
            self.block(s.orelse, guarded)
        elif isinstance(s, (ast.For, ast.While)):
            self.expr(s.iter if isinstance(s, ast.For) else s.test, guarded)
            self.block(s.body, guarded)
            self.block(s.orelse, guarded)
        else:
            for child in ast.iter_child_nodes(s):
                if isinstance(child, ast.expr):
                    self.expr(child, guarded)
                elif isinstance(child, ast.stmt):
                    self.stmt(child, guarded)

    def _array_of(self, node: ast.expr) -> str | None:
        return self.arrays.get(node.id) if isinstance(node, ast.Name) else None

    def _index(self, slice_: ast.expr) -> tuple[Affine | None, ...]:
        parts = slice_.elts if isinstance(slice_, ast.Tuple) else [slice_]
        return tuple(self.ev(p) for p in parts)

    def store(self, target: ast.expr, line: int, guarded: bool) -> None:
        """A store target: ``a[i] = ``, ``a[i].x = ``, ``a[i][1] = `` write array ``a``; locals are free."""
        if isinstance(target, ast.Tuple):
            for e in target.elts:
                self.store(e, line, guarded)
            return
        node = target
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            if isinstance(node, ast.Subscript) and self._array_of(node.value):
                self.side_effect(Access(self._array_of(node.value), "write", line, self._index(node.slice)), guarded)
                self.expr(node.slice, guarded)
                return
            if isinstance(node, ast.Subscript):
                self.expr(node.slice, guarded)
            node = node.value
        if node is not target and isinstance(node, ast.Name) and node.id in self.views:
            self.problem(line, f"writes through '{node.id}', a view of an array ({ast.unparse(target)}): the check does not model views")
        elif node is not target and isinstance(node, ast.Name) and node.id not in self.ev.env and node.id not in self.arrays:
            self.problem(line, f"writes through parameter '{node.id}' ({ast.unparse(target)}): the check cannot tell which memory it is")

    def augstore(self, s: ast.AugAssign, guarded: bool) -> None:
        t = s.target
        if isinstance(t, ast.Subscript) and self._array_of(t.value):
            name, index = self._array_of(t.value), self._index(t.slice)
            self.expr(t.slice, guarded)
            op = AUGASSIGN_ATOMIC.get(type(s.op))
            if op is not None:
                self.side_effect(Access(name, "atomic", s.lineno, index, op=op), guarded)
            else:  # Warp loads, applies the operator and stores: a read and a write
                self.add(Access(name, "read", s.lineno, index))
                self.side_effect(Access(name, "write", s.lineno, index), guarded)
        else:
            self.store(t, s.lineno, guarded)

    # ---------------------------------------------------------------- expressions
    def expr(self, node: ast.expr, guarded: bool, used: bool = True) -> None:
        if isinstance(node, ast.Call):
            self.call(node, guarded, used)
            return
        if isinstance(node, ast.Subscript) and self._array_of(node.value):
            self.add(Access(self._array_of(node.value), "read", node.lineno, self._index(node.slice)))
            self.expr(node.slice, guarded)
            return
        if isinstance(node, ast.Attribute) and self._array_of(node.value):
            return  # a.shape, a.ndim...: metadata, not elements
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expr(child, guarded)

    def call(self, node: ast.Call, guarded: bool, used: bool) -> None:
        name = wp_name(node.func) or ""
        args = list(node.args)
        if name == "range":
            self._range_args(node, guarded)
            return
        if name == "block_dim":
            self.problem(node.lineno, "uses wp.block_dim() as a value: the result depends on the block size (the CPU runs with block_dim 1)")
            return
        if name in BLOCK_SHAPED_TILES and id(node) not in self.ctx.block_sums:
            self.problem(node.lineno, f"wp.{name}() makes a tile with one element per thread: its shape depends on block_dim")
        first = self._array_of(args[0]) if args else None
        if args and not first and any(w in name for w in _WRITING_WORDS) and id(node) not in self.ctx.block_sums:
            self.problem(node.lineno, f"wp.{name} on {ast.unparse(args[0])}: the check cannot tell which array it writes")
        if name.startswith("atomic_") and first:
            index = tuple(self.ev(a) for a in args[1:-1 - (name == "atomic_cas")])
            self.side_effect(Access(first, "atomic", node.lineno, index, op=name.removeprefix("atomic_"), result_used=used), guarded)
            rest = args[1:]
        elif name.startswith("tile") and first:
            self.tile_call(node, name, first, guarded)
            rest = args[1:]
        elif name in self.ctx.helpers:
            self.helper(node, name, guarded)
            return
        else:
            rest = args
            for a in args if name not in _METADATA_CALLS else []:
                arr = self._array_of(a)
                if arr and any(w in name for w in _WRITING_WORDS):
                    self.problem(node.lineno, f"passes '{arr}' to wp.{name}, which may write it in a way the check does not model")
                elif arr:
                    self.add(Access(arr, "whole", node.lineno))
        for a in rest + [k.value for k in node.keywords]:
            self.expr(a, guarded)

    def _range_args(self, node: ast.Call, guarded: bool) -> None:
        """``range(...)``: a ``wp.block_dim()`` step is a block-stride loop (every element once, any block size)."""
        for k, a in enumerate(node.args):
            if k == 2 and isinstance(a, ast.Call) and wp_name(a.func) == "block_dim":
                continue
            self.expr(a, guarded)

    def tile_call(self, node: ast.Call, name: str, array: str, guarded: bool) -> None:
        kw = {k.arg: k.value for k in node.keywords}
        # positional forms: tile_load(a, shape, offset), tile_store(a, t, offset), tile_atomic_add(a, t, offset)
        offset = kw.get("offset", node.args[2] if len(node.args) > 2 else None)
        index = self._index(offset) if offset is not None else (Affine(),)
        if guarded:
            self.problem(node.lineno, f"wp.{name} on '{array}' under a one-lane guard: tile operations need the whole block")
        if name in TILE_READS:
            shape = const_shape(kw.get("shape", node.args[1] if len(node.args) > 1 else None))
            self.add(Access(array, "read", node.lineno, _pad(index, shape), extent=shape or (), tile=True))
        elif name in ("tile_store", "tile_atomic_add"):
            value = node.args[1] if len(node.args) > 1 else kw.get("t")
            info = self.ctx.tile_info(value, self.tiles, self.dtypes) if value is not None else None
            shape = info[0] if info else None
            if shape is None:
                self.problem(node.lineno, f"wp.{name} on '{array}': cannot infer the stored tile's shape")
                return
            kind, op = ("write", "") if name == "tile_store" else ("atomic", "add")
            self.add(Access(array, kind, node.lineno, _pad(index, shape), extent=shape, op=op, tile=True))
        else:
            self.problem(node.lineno, f"wp.{name} on '{array}': the check does not model this tile access")

    def helper(self, node: ast.Call, name: str, guarded: bool) -> None:
        fn = self.ctx.helpers[name]
        if self.depth > 8:
            self.problem(node.lineno, f"helper '{name}' nests too deep for the check")
            return
        arrays, bound = {}, {}
        array_typed = array_params(fn)
        for param, arg in zip(fn.args.args, node.args):
            if self._array_of(arg):
                arrays[param.arg] = self._array_of(arg)
            elif param.arg in array_typed:
                self.problem(node.lineno, f"passes {ast.unparse(arg)} to helper '{name}' as an array: the check models only whole arrays")
            else:
                self.expr(arg, guarded)
                bound[param.arg] = self.ev(arg)
        for k in node.keywords:
            self.expr(k.value, guarded)
        if arrays:  # a helper without array parameters touches no memory the check models
            Walker(fn, self.ctx, arrays, bound, f"in helper '{name}' ", self.depth + 1).block(fn.body, guarded)

    # ---------------------------------------------------------------- records
    def add(self, access: Access) -> None:
        self.ctx.out.accesses.append(Access(**{**access.__dict__, "where": self.where}))

    def side_effect(self, access: Access, guarded: bool) -> None:
        """A scalar write/atomic: in a tiled kernel every lane of the block runs it unless one lane is chosen."""
        if self.ctx.tiled and not guarded:
            self.problem(access.line, f"every thread of the block executes the {'wp.atomic_' + access.op if access.op else 'write'} "
                         f"on '{access.array}', so the result scales with block_dim: guard it with `if lane == 0` "
                         "(lane from `i, lane = wp.tid()`) or use wp.tile_atomic_add / wp.tile_store")
            return
        self.add(access)

    def problem(self, line: int, reason: str) -> None:
        self.ctx.out.problems.append(Problem(line, self.where + reason))

    def _track_tile(self, s: ast.Assign) -> None:
        if len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) and isinstance(s.value, (ast.Call, ast.BinOp, ast.UnaryOp, ast.Name)):
            info = self.ctx.tile_info(s.value, self.tiles, self.dtypes)
            if info is not None:
                self.tiles[s.targets[0].id] = info


def _pad(index: tuple, shape: tuple[int, ...] | None) -> tuple:
    n = len(shape) if shape else len(index)
    return tuple(index[:n]) + (Affine(),) * (n - len(index))


@dataclass
class KernelContext:
    """What every walker of one kernel shares: launch facts, helpers and the collected output."""

    helpers: dict[str, ast.FunctionDef]
    known: dict[str, int]
    dims: tuple[int, ...] | None
    tiled: bool
    lane: int | None  # tid component that is the lane in a tiled launch
    dtypes: dict[str, str]
    lines: list[str] | None = None  # source lines, for symbol names
    out: Collected = field(default_factory=Collected)
    block_sums: frozenset[int] = frozenset()  # ids of per-thread tile calls of a block sum / histogram (races.block_sum_tiles)

    def is_lane0_test(self, test: ast.expr, ev: Evaluator) -> bool:
        """``lane == 0`` (or ``0 == lane``, or one term of an ``and``) where lane is the thread's lane."""
        if self.lane is None:
            return False
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
            return any(self.is_lane0_test(v, ev) for v in test.values)
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
            sides = [ev(test.left), ev(test.comparators[0])]
            lane = Affine(tid=((self.lane, 1),))
            return lane in sides and Affine() in sides
        return False

    def tile_info(self, value: ast.expr, tiles: dict, dtypes: dict[str, str]) -> Tile | None:
        return tile_result(value, tiles, dtypes)

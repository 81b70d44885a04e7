"""Static proof that a kernel launch gives the same results on a GPU as on the CPU (no races, no block_dim dependence).

    check_races(source, kernel_name, launch) -> list[str]     # [] = proven; else one line per problem

The CPU runs a launch's threads one after another, so no CPU level can see a data race; a GPU
runs them concurrently. From the kernel's syntax tree and its launch the check proves, per
array (rules in ``warpsynth.generate.gpu_rules``):

* a non-atomic write goes only to a location the thread owns: the index, as an affine function
  of ``wp.tid()`` (``i``, ``i + 1``, ``i * W + j``, a grid-stride loop variable, a tile offset
  ``i * 8`` of an 8-wide tile), is injective over the launch, and every read and write of the
  array uses that same owned location pattern;
* locations several threads update get atomics of one commuting kind only (add/sub; min; max;
  and; or; xor), are never read plainly in the launch, and the value an atomic returns is unused;
* in tiled kernels, a scalar side effect (array write, ``wp.atomic_*``) runs on one lane
  (``if lane == 0``) instead of on every thread of the block; ``wp.block_dim()`` is used only as
  a ``range`` step; and each ``wp.tile_matmul`` is a GEMM MathDx builds for sm_80 and sm_90 at
  the launch's block_dim (``generate/mathdx_table.py``);
* ``@wp.func`` helpers that receive arrays are checked with the caller's index values.

Anything it cannot model (data-dependent indices of written arrays, writes through struct
fields, unknown builtins that may write) is rejected, never assumed safe.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from warpsynth.errors import WarpsynthError
from warpsynth.generate.gpu_rules import ORDER_DEPENDENT_OPS, ops_commute, tile_matmul_ok
from warpsynth.verify.accesses import Access, KernelContext, Walker, array_params
from warpsynth.verify.index_forms import Affine, wp_name
from warpsynth.verify.tile_shapes import tile_result


@dataclass(frozen=True)
class LaunchSpec:
    """How a kernel is launched: ``dim`` (the tile grid when ``tiled``), ``block_dim``, known array shapes and int scalars.

    ``dim`` None (an extracted kernel with no launch): the thread grid has as many dimensions as
    ``wp.tid()`` unpacks, of unknown sizes.
    """

    dim: tuple[int, ...] | None = None
    tiled: bool = False
    block_dim: int | None = None
    shapes: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    scalars: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_launch(cls, launch: str | dict | None) -> "LaunchSpec":
        """From a row's ``launch`` JSON (``KernelProgram.launch_json``); an empty/None launch is unknown."""
        if not launch:
            return cls()
        data = json.loads(launch) if isinstance(launch, str) else launch
        shapes, scalars = {}, {}
        for arg in data.get("args") or ():
            if arg.get("kind") == "array":
                shapes[arg["name"]] = tuple(arg.get("shape") or ())
            elif arg.get("kind") == "scalar" and isinstance(arg.get("value"), int) and not isinstance(arg.get("value"), bool):
                scalars[arg["name"]] = arg["value"]
        dim = data.get("dim")
        return cls(tuple(dim) if dim is not None else None, bool(data.get("tiled")), data.get("block_dim"), shapes, scalars)


def _functions(tree: ast.Module) -> tuple[dict[str, ast.FunctionDef], dict[str, ast.FunctionDef]]:
    kernels, funcs = {}, {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            decos = {wp_name(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list}
            if "kernel" in decos:
                kernels[node.name] = node
            elif decos & {"func", "func_native", "func_grad", "func_replay"}:
                funcs[node.name] = node
    return kernels, funcs


def _tid_count(nodes: list[ast.AST]) -> int:
    """How many thread-index components the kernel unpacks from ``wp.tid()``."""
    n = 0
    for node in nodes:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and wp_name(node.value.func) == "tid":
            target = node.targets[0]
            n = max(n, len(target.elts) if isinstance(target, ast.Tuple) else 1)
    return n


def _inline_int_constants(tree: ast.Module) -> None:
    """Replace reads of module-level integer constants (``TILE = 8``, ``TILE = wp.constant(8)``) inside
    functions by their value, as Warp does at codegen, so tile shapes and offsets written with them
    are literal to the check. A name a function assigns itself is left alone."""
    consts: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            if isinstance(value, ast.Call) and wp_name(value.func) == "constant" and len(value.args) == 1 and not value.keywords:
                value = value.args[0]
            if isinstance(value, ast.Constant) and type(value.value) is int:
                consts[node.targets[0].id] = value.value
            else:
                consts.pop(node.targets[0].id, None)
    if not consts:
        return
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        own = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        own |= {a.arg for a in fn.args.args}
        for node in ast.walk(fn):
            for field, value in ast.iter_fields(node):
                if isinstance(value, ast.Name) and isinstance(value.ctx, ast.Load) and value.id in consts and value.id not in own:
                    setattr(node, field, ast.copy_location(ast.Constant(consts[value.id]), value))
                elif isinstance(value, list):
                    for k, item in enumerate(value):
                        if isinstance(item, ast.Name) and isinstance(item.ctx, ast.Load) and item.id in consts \
                                and item.id not in own:
                            value[k] = ast.copy_location(ast.Constant(consts[item.id]), item)


def block_sum_tiles(fn: ast.FunctionDef) -> frozenset[int] | None:
    """Ids of the per-thread tile calls of a kernel whose every tile operation is a block sum or a
    privatized histogram, else None.

    A block sum is ``s = wp.tile_sum(wp.tile(x))`` with ``s`` used only in ``wp.tile_atomic_add(a, s)``
    (or ``wp.tile_atomic_add(a, wp.tile_sum(wp.tile(x)))``), as in Warp's ``example_fdtd_3d.py``. A
    privatized histogram is ``h = wp.tile_zeros(...)``, ``wp.tile_scatter_add(h, i, v, has_value)``
    calls (atomic, the default) and then one ``wp.tile_atomic_add(a, h)``, ``h`` used nowhere else.
    In a plain ``wp.launch`` each block adds its threads' contributions once, so the result is the
    sum over all threads at any block_dim (the CPU runs blocks of one thread and gets the same sum).
    A kernel with a ``return``, or with one of these calls inside a branch or loop, is neither: threads
    of the block would skip the tile operation.
    The ids returned are those of the ``wp.tile`` and ``wp.tile_scatter_add`` calls.
    """
    calls = [n for n in ast.walk(fn) if isinstance(n, ast.Call)]
    tile_calls = [c for c in calls if (wp_name(c.func) or "").startswith("tile")]
    if not tile_calls or any(isinstance(n, ast.Return) for n in ast.walk(fn)):
        return None
    made = {}  # local name -> the call whose tile it holds (tile_sum(tile(x)) or tile_zeros)
    for n in ast.walk(fn):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Call):
            made.setdefault(n.targets[0].id, []).append(n.value)
    adds = [c for c in tile_calls if wp_name(c.func) == "tile_atomic_add" and len(c.args) == 2 and not c.keywords]
    allowed: set[int] = set()
    per_thread: set[int] = set()

    def block_sum(call: ast.expr) -> bool:
        return (isinstance(call, ast.Call) and wp_name(call.func) == "tile_sum" and len(call.args) == 1
                and isinstance(call.args[0], ast.Call) and wp_name(call.args[0].func) == "tile" and len(call.args[0].args) == 1)

    reads = [n for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    for add in adds:
        src = add.args[1]
        if block_sum(src):
            allowed |= {id(add), id(src), id(src.args[0])}
            per_thread.add(id(src.args[0]))
            continue
        if not isinstance(src, ast.Name) or len(made.get(src.id, [])) != 1:
            continue
        holder, uses = made[src.id][0], [r for r in reads if r.id == src.id]
        if block_sum(holder) and len(uses) == 1:
            allowed |= {id(add), id(holder), id(holder.args[0])}
            per_thread.add(id(holder.args[0]))
        elif isinstance(holder, ast.Call) and wp_name(holder.func) == "tile_zeros":
            scatters = [c for c in tile_calls if wp_name(c.func) == "tile_scatter_add" and c.args
                        and isinstance(c.args[0], ast.Name) and c.args[0].id == src.id]
            atomic = all(len(c.args) < 5 and not any(k.arg == "atomic" for k in c.keywords) for c in scatters)
            ordered = all(c.lineno < add.lineno for c in scatters)
            if atomic and ordered and len(uses) == len(scatters) + 1:
                allowed |= {id(add), id(holder)} | {id(c) for c in scatters}
                per_thread |= {id(c) for c in scatters}
    top = {id(n) for st in fn.body if isinstance(st, (ast.Assign, ast.Expr)) for n in ast.walk(st)}
    if any(id(c) not in allowed or id(c) not in top for c in tile_calls):
        return None  # another tile op, or one inside a branch or loop (threads of the block would skip it)
    return frozenset(per_thread)


def check_races(source: str, kernel_name: str, launch: LaunchSpec | str | dict | None = None) -> list[str]:
    """Problems that can make ``kernel_name``'s results differ between CPU and GPU: ``[]`` when proven race-free.

    ``source``: the Python source defining the kernel and its ``@wp.func`` helpers; ``launch``: a
    :class:`LaunchSpec` or a row's ``launch`` JSON. Each problem is one line naming the line
    number, the array and the reason. Raises :class:`WarpsynthError` when the source does not parse
    or does not define the kernel.
    """
    spec = launch if isinstance(launch, LaunchSpec) else LaunchSpec.from_launch(launch)
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise WarpsynthError(f"race check: kernel source does not parse: {exc}") from None
    _inline_int_constants(tree)
    kernels, funcs = _functions(tree)
    fn = kernels.get(kernel_name)
    if fn is None:
        raise WarpsynthError(f"race check: source defines no @wp.kernel named {kernel_name!r}")
    nodes = list(ast.walk(fn))
    calls = [n for n in nodes if isinstance(n, ast.Call)]
    block_sums = block_sum_tiles(fn)
    tiled = spec.tiled or (spec.dim is None and block_sums is None and any((wp_name(c.func) or "").startswith("tile") for c in calls))
    n_tid = _tid_count(nodes)
    dims = _thread_dims(spec, tiled, n_tid)
    lane = len(spec.dim) if tiled and spec.dim is not None and n_tid > len(spec.dim) else None
    known = dict(spec.scalars)
    for name, shape in spec.shapes.items():
        known.update({f"{name}.shape[{d}]": n for d, n in enumerate(shape)})
    dtypes = array_params(fn)
    ctx = KernelContext(funcs, known, dims, tiled, lane, dtypes, source.splitlines(),
                        block_sums=block_sums if block_sums is not None and not tiled else frozenset())
    walker = Walker(fn, ctx, {a: a for a in dtypes}, {}, "", nodes=nodes)
    walker.block(fn.body, guarded=False)
    problems = [f"line {p.line}: {p.reason}" for p in ctx.out.problems]
    if not tiled and block_sums is None and any((wp_name(c.func) or "").startswith("tile") for c in calls):
        problems.append(f"line {fn.lineno}: tile operations in a launch that is not tiled (wp.launch_tiled): "
                        "the block they cooperate over depends on block_dim")
    problems += _matmul_problems([c for c in calls if wp_name(c.func) == "tile_matmul"], walker, spec)
    by_array: dict[str, list[Access]] = {}
    for acc in ctx.out.accesses:
        by_array.setdefault(acc.array, []).append(acc)
    owned_dims = dims[: len(spec.dim)] if tiled and spec.dim is not None else dims  # tile ops act per block
    for name, accs in by_array.items():
        problems += _array_problems(name, accs, owned_dims, spec.shapes.get(name), lane)
    return list(dict.fromkeys(problems))


def _thread_dims(spec: LaunchSpec, tiled: bool, n_tid: int) -> tuple[int | None, ...]:
    """Sizes of the launch's thread-index components (a tiled launch adds the block's lanes); None: unknown.

    A component the kernel does not unpack from ``wp.tid()`` still counts: threads that differ
    only there run the same code on the same locations.
    """
    if spec.dim is None:
        return (None,) * max(n_tid, 1)
    return tuple(spec.dim) + ((spec.block_dim or 256,) if tiled else ())


def _matmul_problems(matmuls: list[ast.Call], walker: Walker, spec: LaunchSpec) -> list[str]:
    """Each ``wp.tile_matmul`` must be a GEMM MathDx builds for sm_80 and sm_90 at the launch's block_dim."""
    out = []
    for node in matmuls:
        a = tile_result(node.args[0], walker.tiles, walker.dtypes) if node.args else None
        b = tile_result(node.args[1], walker.tiles, walker.dtypes) if len(node.args) > 1 else None
        if not (a and b and a[0] and b[0] and len(a[0]) == 2 and len(b[0]) == 2):
            out.append(f"line {node.lineno}: wp.tile_matmul with operand shapes the check cannot infer")
            continue
        m, k, n = a[0][0], a[0][1], b[0][1]
        bd = spec.block_dim or 256
        if not tile_matmul_ok(m, n, k, a[1], bd):
            out.append(f"line {node.lineno}: wp.tile_matmul {m}x{n}x{k} {a[1]} at block_dim {bd} is not a GEMM MathDx "
                       "is known to build for sm_80 and sm_90 (generate/mathdx_table.py)")
    return out


def witness(index: tuple[Affine | None, ...], extent: tuple[int, ...], dims: tuple[int | None, ...]) -> tuple | None:
    """The positions of ``index`` that make it injective over the thread grid ``dims``, or None if unproven.

    A position's affine index ``sum(c_k * tid_k) + u`` (u the same in all threads) covering an
    ``extent``-wide region is injective when its coefficients form a mixed radix: sorted by size,
    each is at least the span of the smaller ones (``extent + sum(|c| * (dim - 1))``). The index
    is owned when the injective positions together cover every component with more than one value.
    """
    parts, covered = [], set()
    for pos, value in enumerate(index):
        if value is None or not (value.tid or value.stride) or value.varies:
            continue  # thread-independent, unmodelled, or several locations per thread (i + k in a loop over k)
        ext = extent[pos] if pos < len(extent) else 1
        if value.stride:  # grid-stride loop variable (range_value proved it): disjoint per thread
            if ext != 1:
                continue
            parts.append((pos, value))
            covered.add(0)
            continue
        span, ok = ext, True
        for comp, coef in sorted(value.tid, key=lambda t: abs(t[1])):
            size = dims[comp] if comp < len(dims) else None
            if abs(coef) < span or (size is None and comp != sorted(value.tid, key=lambda t: abs(t[1]))[-1][0]):
                ok = False
                break
            span += abs(coef) * ((size or 1) - 1)
        if ok:
            parts.append((pos, value))
            covered |= {c for c, _ in value.tid}
    needed = {k for k, size in enumerate(dims) if size != 1}
    return (tuple(parts), extent) if needed <= covered else None


def _out_of_bounds(index: tuple, extent: tuple, dims: tuple, shape: tuple[int, ...] | None) -> int | None:
    """A dimension in which a proven affine index can leave the array, or None."""
    if not shape or any(d is None for d in dims):
        return None
    for pos, value in enumerate(index):
        if value is None or not value.known or value.stride or pos >= len(shape):
            continue
        lo = hi = value.const
        for comp, coef in value.tid:
            if comp >= len(dims):
                return None
            lo, hi = lo + min(0, coef * (dims[comp] - 1)), hi + max(0, coef * (dims[comp] - 1))
        ext = extent[pos] if pos < len(extent) else 1
        if lo < 0 or hi + ext > shape[pos]:
            return pos
    return None


def _array_problems(name: str, accs: list[Access], dims: tuple, shape: tuple[int, ...] | None, lane: int | None) -> list[str]:
    """The rules of the module docstring for one array's accesses."""
    out = []
    for a in accs:
        if lane is not None and any(v is not None and any(c == lane for c, _ in v.tid) for v in a.index):
            out.append(f"line {a.line}: {a.where}'{name}' is indexed with the thread's lane, so which elements are touched depends on block_dim")
    writes = [a for a in accs if a.kind in ("write", "atomic")]
    if not writes or out:
        return out
    owner = {id(a): witness(a.index, a.extent or (1,) * len(a.index), dims) for a in accs}
    shared = [a for a in writes if a.kind == "atomic" and (a.tile or owner[id(a)] is None)]  # tile atomics: many blocks
    if shared:
        return _shared_problems(name, accs, shared, owner)
    first = writes[0]
    for a in accs:
        verb = {"read": "reads", "write": "writes", "atomic": f"updates (wp.atomic_{a.op})", "whole": "passes whole"}[a.kind]
        if a.kind == "whole":
            out.append(f"line {a.line}: {a.where}passes '{name}' to a builtin that reads it while the launch writes it (line {first.line})")
        elif owner[id(a)] is None:
            out.append(f"line {a.line}: {a.where}{verb} '{name}' at [{_text(a.index)}], not a location only this thread owns "
                       f"(not an injective function of wp.tid() over the launch)")
        elif owner[id(a)] != owner[id(first)]:
            out.append(f"line {a.line}: {a.where}{verb} '{name}' at [{_text(a.index)}] while line {first.line} writes it at "
                       f"[{_text(first.index)}]: another thread's location")
        else:
            oob = _out_of_bounds(a.index, a.extent, dims, shape)
            if oob is not None:
                out.append(f"line {a.line}: {a.where}{verb} '{name}' at [{_text(a.index)}], which leaves dimension {oob} of shape {tuple(shape)}")
    return out


def _shared_problems(name: str, accs: list[Access], shared: list[Access], owner: dict) -> list[str]:
    """Rules for an array several threads update: one commuting atomic kind, no plain access, no used results."""
    out = []
    ops = {a.op for a in accs if a.kind == "atomic"}
    s0 = shared[0]
    if not ops_commute(ops) or ops & ORDER_DEPENDENT_OPS:
        lines = ", ".join(f"wp.atomic_{a.op} (line {a.line})" for a in {a.op: a for a in accs if a.kind == "atomic"}.values())
        why = "does not commute" if len(ops) == 1 else "do not commute"
        out.append(f"line {s0.line}: {s0.where}'{name}' is updated by several threads with {lines}, which {why}: the result depends on thread order")
    for a in accs:
        if a.kind == "atomic" and a.result_used:
            out.append(f"line {a.line}: {a.where}uses the value wp.atomic_{a.op} returns on '{name}', a location other threads update: it depends on thread order")
        elif a.kind in ("read", "whole"):
            out.append(f"line {a.line}: {a.where}reads '{name}', which other threads update atomically in the same launch (line {s0.line})")
        elif a.kind == "write":
            out.append(f"line {a.line}: {a.where}writes '{name}' non-atomically while other threads update it atomically (line {s0.line})")
    return out


def _text(index: tuple) -> str:
    def one(v: Affine | None) -> str:
        if v is None:
            return "?"
        terms = [f"{c}*tid{k}" if c != 1 else f"tid{k}" for k, c in v.tid] + [f"{c}*{s}" if c != 1 else s for s, c in v.syms]
        if v.const or not terms:
            terms.append(str(v.const))
        return " + ".join(terms) + (f" (stride {v.stride})" if v.stride else "")
    return ", ".join(one(v) for v in index)


def check_row(row: Mapping[str, Any]) -> list[str]:
    """:func:`check_races` of a dataset row (``source``, ``kernel_name``, ``launch``)."""
    return check_races(row["source"], row["kernel_name"], row.get("launch"))

"""Flow-sensitive liveness of local names in a function body: which assignments are dead stores.

A *dead store* is an assignment to a local name whose value no path reads: the name is assigned
again, on every path, before any read (``R = M`` then ``R = wp.outer(a, b)``; ``k -= n`` then
``k = flag``).  ``dead_stores(body, params)`` finds them with the classic backward dataflow
equation over the structured syntax tree (Aho, Lam, Sethi, Ullman, *Compilers*, 2nd ed., §9.2.5:
``in[s] = use[s] | (out[s] - def[s])``), with a fixpoint at each ``for``/``while`` loop and
``break``/``continue`` taking the loop's exit/head sets.

What counts as a store: ``x = e``, ``x += e`` and component writes ``x.y = e`` / ``x[0] = e`` to a
name that is not a parameter (a write through a parameter is an effect: arrays, structs passed
in; so is one through a local array view, ``array_views``, and ``wp.adjoint[v] += g`` in a
custom ``@wp.func_grad``).  A component write defines only part of ``x``, so it never kills ``x``.  A store whose value
has an effect (``old = wp.atomic_add(...)``) is reported too; the caller decides to keep its call.
Tuple targets (``i, j = wp.tid()``) are never reported.  Pure ``ast``: no Warp import.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field


def walk(node: ast.AST):
    """``ast.walk`` without its per-node generator overhead (the generator walks every program it makes)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        for name in n._fields:
            v = getattr(n, name, None)
            if isinstance(v, list):
                stack.extend(x for x in v if isinstance(x, ast.AST))
            elif isinstance(v, ast.AST):
                stack.append(v)


#: builtins writing into output arguments: name -> positions of the outputs
OUT_ARGS = {"svd2": (1, 2, 3), "svd3": (1, 2, 3), "qr3": (1, 2), "eig3": (1, 2)}


def reads(node: ast.AST | None) -> set[str]:
    """Names read in an expression."""
    if node is None:
        return set()
    return {n.id for n in walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def store_root(target: ast.expr) -> str | None:
    """``v`` for targets ``v``, ``v[0]``, ``v.x``, ``a[i, j]``."""
    while isinstance(target, (ast.Subscript, ast.Attribute)):
        target = target.value
    return target.id if isinstance(target, ast.Name) else None


#: builtins with an effect beyond their return value (``wp.<name>(...)`` as a statement)
EFFECT_PREFIXES = ("atomic_", "tile_store", "tile_atomic", "tile_scatter", "printf", "print", "expect_", "store")


def has_effect(node: ast.expr) -> bool:
    """Whether an expression calls a builtin with an effect (``wp.atomic_add`` returns the old value)."""
    return any((call_name(n) or "").startswith(EFFECT_PREFIXES) for n in walk(node) if isinstance(n, ast.Call))


def call_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        f = node.func
        return f.attr if isinstance(f, ast.Attribute) else (f.id if isinstance(f, ast.Name) else None)
    return None


@dataclass
class _Flow:
    params: set[str]
    dead: set[int] = field(default_factory=set)  # ids of dead statements (filled when ``record``)
    record: bool = False

    def block(self, body: list[ast.stmt], live: set[str], brk: set[str], cont: set[str]) -> set[str]:
        """Names live before ``body`` given ``live`` after it (``brk``/``cont``: live at a loop's exit/head)."""
        for s in reversed(body):
            live = self.stmt(s, live, brk, cont)
        return live

    def stmt(self, s: ast.stmt, live: set[str], brk: set[str], cont: set[str]) -> set[str]:
        if isinstance(s, ast.Break):
            return set(brk)
        if isinstance(s, ast.Continue):
            return set(cont)
        if isinstance(s, ast.Return):
            return reads(s.value)
        if isinstance(s, ast.If):
            return reads(s.test) | self.block(s.body, live, brk, cont) | self.block(s.orelse, live, brk, cont)
        if isinstance(s, (ast.For, ast.While)):
            return self.loop(s, live)
        if isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            return self.store(s, live)
        if isinstance(s, ast.Expr) and call_name(s.value) in OUT_ARGS:
            outs = {a.id for k, a in enumerate(s.value.args) if k in OUT_ARGS[call_name(s.value)]
                    and isinstance(a, ast.Name)}
            if outs and not outs & live and self.record:
                self.dead.add(id(s))
            return live | reads(s.value)  # outputs may be written in part: never a kill
        return live | reads(s)

    def store(self, s: ast.Assign | ast.AnnAssign | ast.AugAssign, live: set[str]) -> set[str]:
        targets = s.targets if isinstance(s, ast.Assign) else [s.target]
        used = reads(s.value)
        if len(targets) != 1 or isinstance(targets[0], ast.Tuple):
            return live | used | {n for t in targets for n in reads(t)}
        t = targets[0]
        root = store_root(t)
        if root is None or root in self.params or root == "wp":  # ``wp.adjoint[v] += ...`` in a ``func_grad``
            return live | used | reads(t) | ({root} if root else set())
        if root not in live and s.value is not None:
            if self.record:
                self.dead.add(id(s))
            return live | used if has_effect(s.value) else live  # the call of ``old = wp.atomic_add(...)`` stays
        if isinstance(t, ast.Name) and not isinstance(s, ast.AugAssign):
            return (live - {root}) | used
        return live | used | reads(t) | {root}

    def loop(self, s: ast.For | ast.While, after: set[str]) -> set[str]:
        head_reads = reads(s.iter) if isinstance(s, ast.For) else reads(s.test)
        target = {s.target.id} if isinstance(s, ast.For) and isinstance(s.target, ast.Name) else set()
        record, self.record = self.record, False
        head = set(after)
        while True:  # least fixpoint of head = after | (body_in - target)
            body_in = self.block(s.body, head, after, head)
            new = after | (body_in - target) | (set() if isinstance(s, ast.For) else head_reads)
            if new == head:
                break
            head = new
        self.record = record
        if record:
            self.block(s.body, head, after, head)
        return head | head_reads


def array_ndim(annotation: ast.expr | None) -> int:
    """Dimensions of an array annotation (``wp.array2d(dtype=float)``, ``wp.array(dtype=float, ndim=2)``,
    ``wp.array[float]``, ``wp.array2d[float]``), 0 if it is not one.  The race check
    (``verify.accesses.array_params``) reads dimensions with this too."""
    node = annotation.func if isinstance(annotation, ast.Call) else (
        annotation.value if isinstance(annotation, ast.Subscript) else annotation)
    name = node.attr if isinstance(node, ast.Attribute) else (node.id if isinstance(node, ast.Name) else "")
    if "array" not in name:  # array, array2d, indexedarray, fabricarray, indexedfabricarray
        return 0
    for k in getattr(annotation, "keywords", []):
        if k.arg == "ndim" and isinstance(k.value, ast.Constant):
            return int(k.value.value)
    digits = name.rstrip("d").lstrip("abcdefghijklmnopqrstuvwxyz")
    return int(digits) if digits.isdigit() else 1


def array_views(fn: ast.FunctionDef) -> set[str]:
    """Locals of ``fn`` that hold an array or a view of one (``o = out``, ``row = grid[i]`` of a 2-D
    ``grid``): a write through them is a write to the parameter, an effect."""
    ndim = {a.arg: array_ndim(a.annotation) for a in fn.args.args}
    ndim = {k: v for k, v in ndim.items() if v}
    while True:
        before = len(ndim)
        for n in walk(fn):
            if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
                v, name = n.value, n.targets[0].id
                if isinstance(v, ast.Name) and v.id in ndim:
                    ndim.setdefault(name, ndim[v.id])
                elif isinstance(v, ast.Subscript) and isinstance(v.value, ast.Name) and v.value.id in ndim:
                    used = len(v.slice.elts) if isinstance(v.slice, ast.Tuple) else 1
                    if used < ndim[v.value.id]:
                        ndim.setdefault(name, ndim[v.value.id] - used)
        if len(ndim) == before:
            return set(ndim) - {a.arg for a in fn.args.args}


def dead_stores(body: list[ast.stmt], params: set[str]) -> set[int]:
    """``id``s of the dead stores in ``body`` (statements of one function; ``params`` its parameters)."""
    flow = _Flow(params, record=True)
    flow.block(body, set(), set(), set())
    return flow.dead


def dead_store_lines(fn: ast.FunctionDef) -> list[str]:
    """The dead stores of one function, unparsed (``"R = M"``), in source order."""
    dead = dead_stores(fn.body, {a.arg for a in fn.args.args} | array_views(fn))
    return [ast.unparse(n) for n in ast.walk(fn) if id(n) in dead]


def is_dynamic_loop(loop: ast.stmt) -> bool:
    """A ``while`` loop, or a ``for`` over a ``range`` with a bound that is not a literal."""
    if isinstance(loop, ast.While):
        return True
    if not isinstance(loop, ast.For):
        return False
    it = loop.iter
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"):
        return True
    return not all(isinstance(a, ast.Constant) or (isinstance(a, ast.UnaryOp) and isinstance(a.operand, ast.Constant))
                   for a in it.args)


def assigned_names(body: list[ast.stmt]) -> set[str]:
    """Names ``body`` assigns, whole or in part, loop indices included (by statement, not by
    ``ctx``: syntax trees built by hand may carry ``Load`` on targets)."""
    out: set[str] = set()
    for t in body:
        for n in walk(t):
            if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For)):
                for tg in n.targets if isinstance(n, ast.Assign) else [n.target]:
                    elts = tg.elts if isinstance(tg, ast.Tuple) else [tg]
                    out |= {store_root(e) for e in elts} - {None}
    return out


def carried_out_of_dynamic_loops(fn: ast.FunctionDef) -> list[str]:
    """Locals assigned in a dynamic loop (``is_dynamic_loop``) and read after it, in source order.

    Warp 1.19's adjoint sees such a value at its value before the loop: the gradient of a
    nonlinear use after the loop is wrong (``s += x[i, j]`` over ``range(x.shape[1])``, then
    ``wp.length_sq(s)``: adjoint 0; tests/test_warp_known_bugs.py).  A constant range, which Warp
    unrolls, is right.
    """
    found: list[str] = []

    def visit(body: list[ast.stmt], after: set[str]) -> None:
        for k, s in enumerate(body):
            rest = after | {n for t in body[k + 1:] for n in reads(t)}
            if is_dynamic_loop(s):
                target = {s.target.id} if isinstance(s, ast.For) and isinstance(s.target, ast.Name) else set()
                assigned = assigned_names(s.body)
                found.extend(sorted((assigned - target) & rest))
            for field in ("body", "orelse"):
                inner = getattr(s, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    visit(inner, rest)

    visit(fn.body, set())
    return list(dict.fromkeys(found))

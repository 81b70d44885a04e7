"""Dead-code removal over a program's syntax tree: every value left reaches an output.

First copies go (``copies``: ``r = w`` where both always hold the same value, and a re-read
``a[i]`` after ``g = a[i]`` is ``g``), an ``if``
that the tests around it decide is written as the branch it takes
(``conditions``: ``elif n == 0:`` then ``if n < 0:``), a ``for`` loop whose iterations cannot
differ is written once (``flatten_repeated_loops``),
dead stores go (``liveness``: an assignment overwritten on every path before any read,
``R = M`` then ``R = wp.outer(a, b)``), then ``prune(built)`` works per name:
it keeps a statement only if it has an effect (an array store, an
atomic, a tile store, a ``return``) or assigns a name that a kept statement
reads; control flow is kept when its body keeps something (``break``/``continue``
when their loop is kept).  Liveness is per name and flow-insensitive (a name
read anywhere keeps all its assignments), computed as a least fixpoint, so the
result needs no type re-check: a removed statement only defined names nobody
reads.  Then helper parameters nobody reads are dropped (with the argument at
every call), helpers the kernel never calls (transitively), kernel parameters
(with their ``ArgSpec``) and ``@wp.struct``s nobody uses.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from warpsynth.generate.catalog import Built
from warpsynth.generate.conditions import fold_decided
from warpsynth.generate.copies import propagate_copies, reuse_loads
from warpsynth.generate.liveness import OUT_ARGS as _OUT_ARGS
from warpsynth.generate.liveness import call_name as _call_name
from warpsynth.generate.liveness import EFFECT_PREFIXES, array_views, dead_stores, has_effect
from warpsynth.generate.liveness import store_root as _root
from warpsynth.generate.liveness import reads as _names
from warpsynth.generate.quality import is_self_assignment
from warpsynth.generate.liveness import walk as _walk


class _Liveness:
    """Least-fixpoint liveness of one function body; ``params`` are the function's parameters."""

    def __init__(self, params: set[str]):
        self.params = params
        self.needed: set[str] = set()
        self._memo: dict[int, tuple] = {}

    def _simple(self, s: ast.stmt) -> tuple[bool, set[str]]:
        """(needed, names it reads) for a statement without a body."""
        hit = self._memo.get(id(s))
        if hit is None:
            hit = self._memo[id(s)] = self._facts(s)
        always, reads, defs = hit
        return always or bool(defs & self.needed), reads

    def _facts(self, s: ast.stmt) -> tuple[bool, set[str], set[str]]:
        """(always needed, names read, names whose need makes it needed) of a simple statement."""
        if is_self_assignment(s):
            return False, set(), set()  # ``x = x`` does nothing: never needed
        self.needed, saved = set(), self.needed
        try:
            always, reads = self._simple_now(s)
            if always:
                return True, reads, set()
            defs: set[str] = set()
            if isinstance(s, ast.Expr):
                name = _call_name(s.value)
                defs = {a.id for k, a in enumerate(s.value.args) if k in _OUT_ARGS.get(name, ()) and isinstance(a, ast.Name)}
            elif isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = s.targets if isinstance(s, ast.Assign) else [s.target]
                defs = {_root(t) for t in targets} - {None}
            return False, reads, defs
        finally:
            self.needed = saved

    def _simple_now(self, s: ast.stmt) -> tuple[bool, set[str]]:
        if isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = s.targets if isinstance(s, ast.Assign) else [s.target]
            reads = _names(s.value)
            if any(isinstance(t, ast.Tuple) for t in targets):
                return True, reads  # ``i, j = wp.tid()``
            live = has_effect(s.value)
            for t in targets:
                root = _root(t)
                if not isinstance(t, ast.Name):
                    reads |= _names(t) | ({root} if root else set())
                    live |= root is None or root in self.params or root in self.needed
                else:
                    live |= t.id in self.needed
                if isinstance(s, ast.AugAssign) and root:
                    reads.add(root)
            return live, reads
        if isinstance(s, ast.Expr):
            name = _call_name(s.value)
            if name in _OUT_ARGS:
                outs = {a.id for k, a in enumerate(s.value.args) if k in _OUT_ARGS[name] and isinstance(a, ast.Name)}
                return bool(outs & self.needed), _names(s.value)
            if isinstance(s.value, ast.Constant):
                return True, set()  # docstring
            return True, _names(s.value)  # effects (atomics, stores) and unknown calls are kept
        if isinstance(s, ast.Pass):
            return False, set()
        return True, _names(s)  # return, assert, ...

    def mark(self, body: list[ast.stmt], loop_live: bool) -> bool:
        """Add what the needed statements of ``body`` read; whether any statement is needed."""
        any_live = False
        for s in body:
            if isinstance(s, (ast.Break, ast.Continue)):
                any_live |= loop_live
            elif isinstance(s, ast.If):
                live = self.mark(s.body, loop_live) | self.mark(s.orelse, loop_live)
                if live:
                    self.needed |= _names(s.test)
                any_live |= live
            elif isinstance(s, (ast.For, ast.While)):
                live = self.mark(s.body, False)
                if live:
                    self.mark(s.body, True)
                    self.needed |= _names(s.iter if isinstance(s, ast.For) else s.test)
                any_live |= live
            else:
                live, reads = self._simple(s)
                if live:
                    self.needed |= reads
                any_live |= live
        return any_live

    def solve(self, body: list[ast.stmt]) -> None:
        while True:
            before = len(self.needed)
            self.mark(body, False)
            if len(self.needed) == before:
                return

    def sweep(self, body: list[ast.stmt], loop_live: bool) -> list[ast.stmt]:
        """``body`` without its dead statements (``solve`` first)."""
        out: list[ast.stmt] = []
        for s in body:
            if isinstance(s, (ast.Break, ast.Continue)):
                if loop_live:
                    out.append(s)
            elif isinstance(s, ast.If):
                b, e = self.sweep(s.body, loop_live), self.sweep(s.orelse, loop_live)
                if isinstance(s.test, ast.Constant) and not (b if s.test.value else e):
                    continue  # the branch a constant condition takes does nothing: so does the if
                if b:
                    out.append(ast.If(s.test, b, e))
                elif e:
                    out.append(ast.If(negate(s.test), e, []))
            elif isinstance(s, (ast.For, ast.While)):
                if self.mark(s.body, False):
                    b = self.sweep(s.body, True)
                    out.append(ast.For(s.target, s.iter, b, [], lineno=0) if isinstance(s, ast.For) else ast.While(s.test, b, []))
            elif self._simple(s)[0]:
                if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and s.targets[0].id not in self.needed:
                    s = ast.Expr(s.value)  # ``old = wp.atomic_add(...)`` with ``old`` unread
                out.append(s)
        return out


_INVERSE = {ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}


def negate(test: ast.expr) -> ast.expr:
    """The condition ``not test`` as an engineer writes it: ``c`` for ``not c``, ``a >= b`` for
    ``a < b`` (generated inputs are finite, so no NaN makes the two differ), else ``not test``."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return test.operand
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _INVERSE:
        return ast.Compare(test.left, [_INVERSE[type(test.ops[0])]()], test.comparators)
    return ast.UnaryOp(ast.Not(), test)


def live_names(body: list[ast.stmt], params: set[str]) -> set[str]:
    """Names whose value reaches an effect (store, atomic, return) in ``body``."""
    live = _Liveness(params)
    live.solve(body)
    return live.needed


def _without(body: list[ast.stmt], dead: set[int]) -> list[ast.stmt]:
    """``body`` with the statements in ``dead`` removed (new compound nodes; a dead store whose value
    has an effect, ``old = wp.atomic_add(...)``, keeps its call)."""
    out: list[ast.stmt] = []
    for s in body:
        if id(s) in dead:
            value = getattr(s, "value", None)
            if isinstance(s, (ast.Assign, ast.AugAssign)) and value is not None and has_effect(value):
                out.append(ast.Expr(value))
        elif isinstance(s, ast.If):
            out.append(ast.If(s.test, _without(s.body, dead), _without(s.orelse, dead)))
        elif isinstance(s, ast.For):
            out.append(ast.For(s.target, s.iter, _without(s.body, dead), [], lineno=0))
        elif isinstance(s, ast.While):
            out.append(ast.While(s.test, _without(s.body, dead), []))
        else:
            out.append(s)
    return out


def drop_dead_stores(body: list[ast.stmt], params: set[str]) -> list[ast.stmt]:
    """``body`` without dead stores (``liveness``: values overwritten on every path before a read),
    repeated until none is left (a removed store may have been the only reader of another)."""
    while True:
        dead = dead_stores(body, params)
        if not dead:
            return body
        body = _without(body, dead)


#: builtins that advance a ``wp.rand_init`` state passed to them: a loop calling one differs per iteration
_STATEFUL_PREFIXES = ("rand", "sample_", "poisson")


def _iterations_interact(loop: ast.For) -> bool:
    """Whether a ``for`` loop's iterations can differ: its body reads the loop index, reads a name
    the body assigns (``x = x * 0.5``, a value carried to the next iteration) or an element of an
    array the body writes (``out[i] = out[i] * 2.0``), draws random numbers, or leaves early
    (``break``/``continue``).  ``x += c`` and a repeated ``wp.atomic_add(acc, 0, v)`` alone do not
    count: they repeat one update, which the loop then does once."""
    body = ast.Module(loop.body, [])
    nodes = list(_walk(body))
    if any(isinstance(n, (ast.Break, ast.Continue, ast.Return)) for n in nodes):
        return True
    if any((_call_name(n) or "").startswith(_STATEFUL_PREFIXES) for n in nodes if isinstance(n, ast.Call)):
        return True
    assigned = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    index = {loop.target.id} if isinstance(loop.target, ast.Name) else set()
    if _names(body) & (assigned | index):
        return True
    # an array the body writes (``out[i] = ...``, ``wp.atomic_add(out, ...)``) and reads an element of
    written = {_root(t) for n in nodes if isinstance(n, (ast.Assign, ast.AugAssign))
               for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if not isinstance(t, ast.Name)}
    written |= {_root(n.args[0]) for n in nodes if isinstance(n, ast.Call) and n.args
                and (_call_name(n) or "").startswith(EFFECT_PREFIXES)}
    read = {_root(n) for n in nodes if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load)}
    return bool((written - {None}) & read)


def flatten_repeated_loops(body: list[ast.stmt]) -> list[ast.stmt]:
    """``body`` with every ``for`` loop whose iterations cannot differ (``_iterations_interact``)
    replaced by its body, written once: ``for l in range(4): wp.atomic_min(hist, 0, dt)`` repeats
    one update, which nobody writes as a loop."""
    out: list[ast.stmt] = []
    for s in body:
        if isinstance(s, ast.For):
            inner = flatten_repeated_loops(s.body)
            loop = ast.For(s.target, s.iter, inner, [], lineno=0)
            out += loop.body if not _iterations_interact(loop) else [loop]
        elif isinstance(s, ast.While):
            out.append(ast.While(s.test, flatten_repeated_loops(s.body), []))
        elif isinstance(s, ast.If):
            out.append(ast.If(s.test, flatten_repeated_loops(s.body), flatten_repeated_loops(s.orelse)))
        else:
            out.append(s)
    return out


def _count(body: list[ast.stmt]) -> int:
    """Statements in ``body``, nested ones included."""
    return sum(isinstance(n, ast.stmt) for s in body for n in _walk(s))


def prune_function(fn: ast.FunctionDef) -> ast.FunctionDef:
    """``fn`` without copies, decided conditions, repeated loops, dead stores and dead statements (a new node;
    ``fn`` is not changed)."""
    params = {a.arg for a in fn.args.args} | {"wp"} | array_views(fn)  # ``wp.adjoint[v] += g``; writes through views
    body, size = fn.body, None
    while size != (size := _count(body)):  # each pass can expose more for the others: repeat until none removes anything
        live = _Liveness(params)
        body = drop_dead_stores(flatten_repeated_loops(fold_decided(propagate_copies(reuse_loads(body, params), params))), params)
        live.solve(body)
        body = live.sweep(body, False)
    return ast.FunctionDef(fn.name, fn.args, body or [ast.Pass()], fn.decorator_list, fn.returns, lineno=0)


def _decorator(fn: ast.stmt) -> str | None:
    if isinstance(fn, ast.FunctionDef) and fn.decorator_list:
        d = fn.decorator_list[0]
        return d.attr if isinstance(d, ast.Attribute) else (d.id if isinstance(d, ast.Name) else None)
    return None


def _drop_args(defs: list[ast.stmt], helper: str, positions: set[int]) -> None:
    """Remove the arguments at ``positions`` from every call ``helper(...)`` and every
    ``wp.tile_map(helper, t0, t1)`` (its tile arguments) in ``defs`` (in place; a node the builder
    shares between two places, as in ``cw_mul(e, e)``, is edited once)."""
    seen: set[int] = set()
    for d in defs:
        for node in _walk(d):
            if not isinstance(node, ast.Call) or id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node.func, ast.Name) and node.func.id == helper:
                node.args = [a for k, a in enumerate(node.args) if k not in positions]
            elif _is_tile_map_of(node, helper):
                node.args = [node.args[0]] + [a for k, a in enumerate(node.args[1:]) if k not in positions]


def _is_tile_map_of(node: ast.Call, helper: str) -> bool:
    return (_call_name(node) == "tile_map" and bool(node.args) and isinstance(node.args[0], ast.Name)
            and node.args[0].id == helper)


def _only_called(defs: list[ast.stmt], helper: str) -> bool:
    """Whether ``helper`` is never passed as a value (``wp.tile_map(helper, t)``)."""
    called = {id(n.func) for d in defs for n in _walk(d) if isinstance(n, ast.Call)}
    return all(id(n) in called for d in defs for n in _walk(d) if isinstance(n, ast.Name) and n.id == helper)


def _only_called_or_mapped(defs: list[ast.stmt], helper: str) -> bool:
    """Whether every reference to ``helper`` is a call or ``wp.tile_map(helper, ...)``."""
    ok: set[int] = set()
    for d in defs:
        for n in _walk(d):
            if isinstance(n, ast.Call) and (isinstance(n.func, ast.Name) or _is_tile_map_of(n, helper)):
                ok.add(id(n.func) if isinstance(n.func, ast.Name) else id(n.args[0]))
    return all(id(n) in ok for d in defs for n in _walk(d) if isinstance(n, ast.Name) and n.id == helper)


def _used_names(defs: list[ast.stmt]) -> set[str]:
    return {n.id for d in defs for n in _walk(d) if isinstance(n, ast.Name)}


def prune(built: Built) -> Built:
    """``built`` with dead statements, unused parameters, uncalled helpers and unused structs removed."""
    defs = list(built.defs)  # function definitions are replaced, call arguments edited in place
    for k, d in enumerate(defs):
        if _decorator(d) != "func":
            continue
        fn = prune_function(d)
        used = _names(ast.Module(fn.body, []))
        drop = {i for i, a in enumerate(fn.args.args) if a.arg not in used}
        if drop == set(range(len(fn.args.args))) and not _only_called(defs[k + 1:], fn.name):
            drop.discard(0)  # keep one parameter: a function mapped over tiles needs one
        if drop and _only_called_or_mapped(defs[k + 1:], fn.name):
            fn.args = ast.arguments([], [a for i, a in enumerate(fn.args.args) if i not in drop], None, [], [], None, [])
            _drop_args(defs[k + 1:], fn.name, drop)
        defs[k] = fn
    kidx = next(k for k, d in enumerate(defs) if isinstance(d, ast.FunctionDef) and d.name == built.kernel_name)
    kfn = prune_function(defs[kidx])
    defs[kidx] = kfn
    # helpers reachable from the kernel (a helper calls only helpers defined before it)
    funcs = {d.name: d for d in defs if _decorator(d) == "func"}
    reach, stack = set(), [kfn]
    while stack:
        for n in _walk(stack.pop()):
            if isinstance(n, ast.Name) and n.id in funcs and n.id not in reach:  # calls and ``tile_map(f, t)``
                reach.add(n.id)
                stack.append(funcs[n.id])
    defs = [d for d in defs if _decorator(d) != "func" or d.name in reach]
    used = _names(ast.Module(kfn.body, []))
    keep = [a for a in kfn.args.args if a.arg in used]
    kfn.args = ast.arguments([], keep, None, [], [], None, [])
    kept = {a.arg for a in keep}
    args = tuple(a for a in built.args if a.name in kept)
    referenced = _used_names(defs)  # a class's own name is not a Name node: only uses count
    defs = [d for d in defs if not isinstance(d, ast.ClassDef) or d.name in referenced]
    return replace(built, defs=defs, args=args)

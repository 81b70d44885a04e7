"""What an integer expression in a kernel is, as a function of the thread: the race check's abstract values.

An :class:`Affine` value is ``sum(coef * tid[k]) + const + sum(coef * sym)`` where ``tid[k]``
is the k-th component of the thread index (``i, j = wp.tid()``) and each ``sym`` is an unknown
value that is the same in every thread (a scalar parameter, a loop variable with uniform bounds,
``a.shape[0]`` when the launch does not give it). ``None`` stands for anything else: a value that
differs between threads in a way we do not model (array data, ``i % 3``, ``wp.clamp(i, ...)``).

:func:`local_values` gives each local name of a function one such value, valid wherever the
name is used (flow-insensitive: a name assigned two different thread-dependent values is None).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from typing import Callable, Mapping

#: Calls whose result differs between threads even when their arguments do not.
THREAD_VARYING_CALLS = frozenset({"tid", "lane", "rand_init", "randi", "randf", "randn", "randu", "noise", "pnoise", "curlnoise",
                                  "sample_unit_sphere", "sample_unit_disk", "poisson", "block_dim"})
#: Calls that return their (single) argument's integer value unchanged.
PASSTHROUGH_CALLS = frozenset({"int", "int32", "int64", "uint32", "uint64"})


@dataclass(frozen=True)
class Affine:
    """``sum(c * tid[k] for k, c in tid) + const + sum(c * s for s, c in syms)``; ``stride > 0``: a grid-stride loop variable."""

    tid: tuple[tuple[int, int], ...] = ()
    const: int = 0
    syms: tuple[tuple[str, int], ...] = ()
    stride: int = 0
    varies: bool = False  # a symbol takes several values within one thread (a loop variable, a reassigned local)

    @property
    def uniform(self) -> bool:
        return not self.tid and not self.stride

    @property
    def known(self) -> bool:
        return not self.syms


def sym(text: str, varies: bool = False) -> Affine:
    """A value that is the same in every thread, named by ``text``; ``varies``: not constant within a thread."""
    return Affine(syms=((text, 1),), varies=varies)


def _merge(a: tuple, b: tuple, sign: int) -> tuple:
    out = dict(a)
    for k, c in b:
        out[k] = out.get(k, 0) + sign * c
    return tuple(sorted((k, c) for k, c in out.items() if c))


def add(a: Affine | None, b: Affine | None, sign: int = 1) -> Affine | None:
    if a is None or b is None or a.stride or b.stride:
        return None
    return Affine(_merge(a.tid, b.tid, sign), a.const + sign * b.const, _merge(a.syms, b.syms, sign), varies=a.varies or b.varies)


def scale(a: Affine | None, k: int) -> Affine | None:
    if a is None or a.stride:
        return None
    return Affine(tuple((t, c * k) for t, c in a.tid if c * k), a.const * k, tuple((s, c * k) for s, c in a.syms if c * k),
                  varies=a.varies and k != 0)


def join(values: list[Affine | None], name: str) -> Affine | None:
    """One value for a name assigned each of ``values``: equal ones stay, uniform ones become a symbol."""
    if any(v is None for v in values):
        return None
    if all(v == values[0] for v in values):
        return values[0]
    if all(v.uniform for v in values):
        return sym(f"var:{name}", varies=True)
    return None


def wp_name(func: ast.expr) -> str | None:
    """``"atomic_add"`` for ``wp.atomic_add``/``warp.atomic_add``, ``"int"`` for ``int``; None otherwise."""
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("wp", "warp"):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


class Evaluator:
    """Evaluates expressions of one function to :class:`Affine` values.

    ``env``: local names (see :func:`local_values`); ``known``: names with a known value for this
    launch (scalar parameters, ``a.shape[d]`` as ``"a.shape[d]"``); ``arrays``: array names (their
    elements are data, so reads are None); ``user_funcs``: helper names (their results are None).
    """

    def __init__(self, env: Mapping[str, Affine | None], known: Mapping[str, int], arrays: frozenset[str], user_funcs: frozenset[str],
                 lines: list[str] | None = None):
        self.env, self.known, self.arrays, self.user_funcs = env, known, arrays, user_funcs
        self.lines = lines  # the source's lines: symbol names are source slices (ast.unparse is 10x slower)

    def text(self, node: ast.expr) -> str:
        """The expression's source text (its name as a uniform symbol)."""
        end = getattr(node, "end_lineno", None)
        if self.lines is None or end is None or node.lineno != end:
            return ast.unparse(node)
        return self.lines[node.lineno - 1][node.col_offset:node.end_col_offset]

    def __call__(self, node: ast.expr) -> Affine | None:
        method: Callable | None = getattr(self, f"_{type(node).__name__}", None)
        return method(node) if method else None

    def _uniform_or_none(self, node: ast.expr, parts: list[ast.expr]) -> Affine | None:
        vals = [self(p) for p in parts]
        if all(v is not None and v.uniform for v in vals):
            return sym(self.text(node), varies=any(v.varies for v in vals))
        return None

    def _Constant(self, node: ast.Constant) -> Affine | None:
        if isinstance(node.value, bool) or isinstance(node.value, int):
            return Affine(const=int(node.value))
        return sym(repr(node.value))

    def _Name(self, node: ast.Name) -> Affine | None:
        if node.id in self.env:
            return self.env[node.id]
        if node.id in self.known:
            return Affine(const=int(self.known[node.id]))
        return sym(node.id)  # a parameter or a module constant: the same in every thread

    def _Attribute(self, node: ast.Attribute) -> Affine | None:
        base = self(node.value)
        return sym(self.text(node), base.varies) if base is not None and base.uniform else None

    def _Subscript(self, node: ast.Subscript) -> Affine | None:
        if isinstance(node.value, ast.Attribute) and node.value.attr == "shape":
            text = self.text(node)
            if text in self.known:
                return Affine(const=int(self.known[text]))
            return sym(text)
        if isinstance(node.value, ast.Name) and node.value.id in self.arrays:
            return None  # array data
        return self._uniform_or_none(node, [node.value, node.slice])

    def _BinOp(self, node: ast.BinOp) -> Affine | None:
        a, b = self(node.left), self(node.right)
        if isinstance(node.op, ast.Add):
            return add(a, b)
        if isinstance(node.op, ast.Sub):
            return add(a, b, -1)
        if isinstance(node.op, ast.Mult) and a is not None and b is not None:
            if b.uniform and b.known and not b.syms:
                return scale(a, b.const)
            if a.uniform and a.known and not a.syms:
                return scale(b, a.const)
        return self._uniform_or_none(node, [node.left, node.right])

    def _UnaryOp(self, node: ast.UnaryOp) -> Affine | None:
        if isinstance(node.op, ast.USub):
            return scale(self(node.operand), -1)
        if isinstance(node.op, ast.UAdd):
            return self(node.operand)
        return self._uniform_or_none(node, [node.operand])

    def _Call(self, node: ast.Call) -> Affine | None:
        name = wp_name(node.func)
        if name == "tid" and not node.args:
            return Affine(tid=((0, 1),))
        if name in PASSTHROUGH_CALLS and len(node.args) == 1 and not node.keywords:
            return self(node.args[0])
        if name is None or name in THREAD_VARYING_CALLS or name in self.user_funcs or name.startswith(("atomic_", "tile")):
            return None
        return self._uniform_or_none(node, list(node.args) + [k.value for k in node.keywords])

    def _IfExp(self, node: ast.IfExp) -> Affine | None:
        a, b = self(node.body), self(node.orelse)
        if a is not None and a == b:
            return a
        return self._uniform_or_none(node, [node.test, node.body, node.orelse])

    def _Compare(self, node: ast.Compare) -> Affine | None:
        return self._uniform_or_none(node, [node.left, *node.comparators])

    def _BoolOp(self, node: ast.BoolOp) -> Affine | None:
        return self._uniform_or_none(node, list(node.values))


def range_value(ev: Evaluator, call: ast.Call, target: str, line: int, launch_dims: tuple[int, ...] | None) -> Affine | None:
    """The value of the variable of ``for target in range(...)`` (all iterations together).

    Uniform bounds give a uniform symbol. ``range(tid + c, stop, step)`` with a known constant
    ``step`` at least the thread count of a 1-D launch is a grid-stride loop: thread t visits
    t + c, t + c + step, ...; no two threads visit the same value.
    """
    args = [ev(a) for a in call.args]
    if all(a is not None and a.uniform for a in args):
        return sym(f"loop:{target}@{line}", varies=True)
    if len(args) == 3 and args[0] is not None and args[1] is not None and args[1].uniform and args[2] is not None:
        start, step = args[0], args[2]
        if (start.tid == ((0, 1),) and start.known and step.uniform and step.known and launch_dims is not None
                and len(launch_dims) == 1 and step.const >= launch_dims[0] > 0):
            return replace(start, stride=step.const)
    return None


def _defs(nodes: list[ast.AST]) -> list[tuple[str, ast.AST, int]]:
    """Every (name, defining node, tuple position) among a function's nodes (``list(ast.walk(fn))``)."""
    out = []
    for node in nodes:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out.append((target.id, node, -1))
                elif isinstance(target, ast.Tuple):
                    out.extend((e.id, node, k) for k, e in enumerate(target.elts) if isinstance(e, ast.Name))
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and isinstance(node.target, ast.Name):
            out.append((node.target.id, node, -1))
        elif isinstance(node, ast.For):
            names = [node.target] if isinstance(node.target, ast.Name) else list(getattr(node.target, "elts", []))
            out.extend((n.id, node, -1) for n in names if isinstance(n, ast.Name))
    return out


def _def_value(ev: Evaluator, name: str, node: ast.AST, pos: int, launch_dims: tuple[int, ...] | None) -> Affine | None:
    if isinstance(node, ast.Assign):
        value = node.value
        if pos >= 0:
            if isinstance(value, ast.Call) and wp_name(value.func) == "tid" and not value.args:
                return Affine(tid=((pos, 1),))
            if isinstance(value, ast.Tuple) and pos < len(value.elts):
                return ev(value.elts[pos])
            return None
        return ev(value)
    if isinstance(node, ast.AnnAssign):
        return ev(node.value) if node.value is not None else None
    if isinstance(node, ast.AugAssign):
        return ev(ast.BinOp(ast.Name(name, ast.Load()), node.op, node.value))
    if isinstance(node, ast.For) and isinstance(node.iter, ast.Call) and wp_name(node.iter.func) == "range" and isinstance(node.target, ast.Name):
        return range_value(ev, node.iter, name, node.lineno, launch_dims)
    return None


_PENDING = object()


def local_values(nodes: list[ast.AST], bound: Mapping[str, Affine | None], known: Mapping[str, int], arrays: frozenset[str],
                 user_funcs: frozenset[str], launch_dims: tuple[int, ...] | None, lines: list[str] | None = None) -> dict[str, Affine | None]:
    """A value for every local name a function assigns (``nodes``: ``list(ast.walk(fn))``), plus ``bound``: parameters with caller-given values.

    Iterates to a fixed point: a name starts undefined, then takes the :func:`join` of the values
    of all its definitions; definitions that read a still-undefined name wait a round.
    """
    defs = _defs(nodes)
    names = {n for n, _, _ in defs} - set(bound)
    env: dict = dict(bound)
    env.update({n: _PENDING for n in names})
    for _ in range(12):
        view = {k: v for k, v in env.items() if v is not _PENDING}
        ev = Evaluator(_PendingEnv(view, names), known, arrays, user_funcs, lines)
        new: dict[str, list] = {n: [] for n in names}
        for name, node, pos in defs:
            if name not in names:
                continue
            try:
                new[name].append(_def_value(ev, name, node, pos, launch_dims))
            except _Undefined:
                continue
        changed = False
        for n in names:
            value = join(new[n], n) if new[n] else _PENDING
            if value != env[n]:
                env[n], changed = value, True
        if not changed:
            break
    else:
        for n in names:
            env[n] = None
    return {k: (None if v is _PENDING else v) for k, v in env.items()}


class _Undefined(Exception):
    pass


class _PendingEnv(dict):
    """Local values so far; looking up a local not yet defined raises (its definition waits a round)."""

    def __init__(self, values: dict, locals_: set[str]):
        super().__init__(values)
        self.locals = locals_

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self.locals

    def __getitem__(self, key: str):
        if not dict.__contains__(self, key):
            raise _Undefined(key)
        return dict.__getitem__(self, key)

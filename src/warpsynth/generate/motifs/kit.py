"""A small typed-``ast`` vocabulary for writing motifs that read like the Warp code they emit.

``X`` wraps an ``ast.expr`` and overloads Python's operators, so a motif writes
``vel[i] + dt * (f * inv_mass[i])`` and gets the ``ast.BinOp`` tree for it;
``wp.length(d)`` (``wp`` below is a namespace, not the warp module) builds the
``ast.Call`` of ``wp.length``.  Statements are plain functions returning
``ast.stmt``.  Rendering is ``ast.unparse``, so output is always valid Python
syntax and parenthesised by precedence.  Nothing here draws random numbers.
"""

from __future__ import annotations

import ast
from typing import Iterable, Sequence, Union

Like = Union["X", int, float, str, bool]


def lift(v: Like) -> "X":
    """``X`` for a value: an ``X`` as is, a ``str`` as a name, a tuple as a tuple, a number/bool as a constant."""
    if isinstance(v, X):
        return v
    if isinstance(v, str):
        return X(ast.Name(v, ast.Load()))
    if isinstance(v, tuple):
        return X(ast.Tuple([lift(i).node for i in v], ast.Load()))
    if isinstance(v, (bool, int, float)):
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0:
            return X(ast.UnaryOp(ast.USub(), ast.Constant(-v)))
        return X(ast.Constant(v))
    raise TypeError(f"cannot lift {v!r}")


class X:
    """An expression; operators build ``ast.BinOp``/``ast.UnaryOp``/``ast.Subscript``/``ast.Call`` nodes."""

    __slots__ = ("node",)

    def __init__(self, node: ast.expr):
        self.node = node

    def _bin(self, op: ast.operator, other: Like, reverse: bool = False) -> "X":
        o = lift(other)
        left, right = (o, self) if reverse else (self, o)
        return X(ast.BinOp(left.node, op, right.node))

    def __add__(self, o): return self._bin(ast.Add(), o)
    def __radd__(self, o): return self._bin(ast.Add(), o, True)
    def __sub__(self, o): return self._bin(ast.Sub(), o)
    def __rsub__(self, o): return self._bin(ast.Sub(), o, True)
    def __mul__(self, o): return self._bin(ast.Mult(), o)
    def __rmul__(self, o): return self._bin(ast.Mult(), o, True)
    def __truediv__(self, o): return self._bin(ast.Div(), o)
    def __rtruediv__(self, o): return self._bin(ast.Div(), o, True)
    def __floordiv__(self, o): return self._bin(ast.FloorDiv(), o)
    def __mod__(self, o): return self._bin(ast.Mod(), o)
    def __and__(self, o): return self._bin(ast.BitAnd(), o)
    def __rshift__(self, o): return self._bin(ast.RShift(), o)
    def __neg__(self): return X(ast.UnaryOp(ast.USub(), self.node))

    def __getitem__(self, index) -> "X":
        if isinstance(index, tuple):
            sl: ast.expr = ast.Tuple([lift(i).node for i in index], ast.Load())
        else:
            sl = lift(index).node
        return X(ast.Subscript(self.node, sl, ast.Load()))

    def __call__(self, *args: Like, **kw: Like) -> "X":
        return X(ast.Call(self.node, [lift(a).node for a in args], [ast.keyword(k, lift(v).node) for k, v in kw.items()]))

    def dot(self, name: str) -> "X":
        """Attribute access ``self.name`` (struct field, ``.shape``, vector component)."""
        return X(ast.Attribute(self.node, name, ast.Load()))

    def _cmp(self, op: ast.cmpop, other: Like) -> "X":
        return X(ast.Compare(self.node, [op], [lift(other).node]))

    def lt(self, o): return self._cmp(ast.Lt(), o)
    def le(self, o): return self._cmp(ast.LtE(), o)
    def gt(self, o): return self._cmp(ast.Gt(), o)
    def ge(self, o): return self._cmp(ast.GtE(), o)
    def eq(self, o): return self._cmp(ast.Eq(), o)
    def ne(self, o): return self._cmp(ast.NotEq(), o)

    def _bool(self, op: type, o: Like) -> "X":
        left = self.node.values if isinstance(self.node, ast.BoolOp) and isinstance(self.node.op, op) else [self.node]
        return X(ast.BoolOp(op(), list(left) + [lift(o).node]))

    def or_(self, o: Like) -> "X":
        """``self or o`` (chains flatten: ``a or b or c``)."""
        return self._bool(ast.Or, o)

    def and_(self, o: Like) -> "X":
        """``self and o`` (chains flatten)."""
        return self._bool(ast.And, o)

    def text(self) -> str:
        return ast.unparse(self.node)


class _Namespace:
    """``wp.name`` -> ``X`` of the attribute ``wp.name`` (call it to build the call)."""

    def __getattr__(self, name: str) -> X:
        return X(ast.Attribute(ast.Name("wp", ast.Load()), name, ast.Load()))


wp = _Namespace()


def name(n: str) -> X:
    return X(ast.Name(n, ast.Load()))


def ternary(cond: Like, a: Like, b: Like) -> X:
    return X(ast.IfExp(lift(cond).node, lift(a).node, lift(b).node))


def tup(*items: Like) -> X:
    return X(ast.Tuple([lift(i).node for i in items], ast.Load()))


# ---------------------------------------------------------------- statements
def _target(t: Like | Sequence[str]) -> ast.expr:
    if isinstance(t, (list, tuple)):
        return ast.Tuple([ast.Name(n, ast.Store()) for n in t], ast.Store())
    return lift(t).node


def assign(target: Like | Sequence[str], value: Like) -> ast.stmt:
    """``target = value``; a list/tuple of names unpacks (``i, j = wp.tid()``)."""
    return ast.Assign([_target(target)], lift(value).node, lineno=0)


_AUG = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div}


def aug(target: Like, op: str, value: Like) -> ast.stmt:
    """``target op= value`` with ``op`` one of ``+ - * /``."""
    return ast.AugAssign(lift(target).node, _AUG[op](), lift(value).node)


def expr(value: X) -> ast.stmt:
    return ast.Expr(value.node)


def if_(cond: Like, body: list[ast.stmt], orelse: list[ast.stmt] | None = None) -> ast.stmt:
    return ast.If(lift(cond).node, body, orelse or [])


def for_(var: str, args: Iterable[Like], body: list[ast.stmt]) -> ast.stmt:
    """``for var in range(*args):``"""
    rng = ast.Call(ast.Name("range", ast.Load()), [lift(a).node for a in args], [])
    return ast.For(ast.Name(var, ast.Store()), rng, body, [], lineno=0)


def while_(cond: Like, body: list[ast.stmt]) -> ast.stmt:
    return ast.While(lift(cond).node, body, [])


def ret(value: Like | None = None) -> ast.stmt:
    return ast.Return(None if value is None else lift(value).node)


def cont() -> ast.stmt:
    return ast.Continue()


def func(fname: str, params: Sequence[tuple[str, X]], body: list[ast.stmt], decorators: Sequence[X],
         returns: X | None = None) -> ast.FunctionDef:
    """``def fname(p: ann, ...) -> returns:`` with decorators (``wp.kernel``, ``wp.func`` ...)."""
    args = ast.arguments([], [ast.arg(p, a.node) for p, a in params], None, [], [], None, [])
    return ast.FunctionDef(fname, args, body, [d.node for d in decorators], None if returns is None else returns.node,
                           lineno=0)


def struct(sname: str, fields: Sequence[tuple[str, X]]) -> ast.ClassDef:
    """``@wp.struct class sname:`` with annotated fields."""
    body = [ast.AnnAssign(ast.Name(f, ast.Store()), a.node, None, simple=1) for f, a in fields]
    return ast.ClassDef(sname, [], [], body, [wp.struct.node])


class _Unparser(getattr(ast, "_Unparser", object)):
    """``ast.unparse`` with one fix: CPython (3.9-3.12) raises the precedence for every further
    operand of ``a or b or c``, so a fourth comparison gets parentheses (``... or (y == n - 1)``)."""

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        operator = self.boolops[node.op.__class__.__name__]
        precedence = self.boolop_precedence[operator]
        with self.require_parens(precedence, node):
            for k, value in enumerate(node.values):
                if k:
                    self.write(f" {operator} ")
                self.set_precedence(precedence.next(), value)
                self.traverse(value)


def render(stmts: list[ast.stmt]) -> str:
    """The module's source text (``ast.unparse``, with flat ``or``/``and`` chains)."""
    module = ast.fix_missing_locations(ast.Module(stmts, []))
    if _Unparser.__mro__[1] is object:  # no private unparser in this Python: plain ast.unparse
        return ast.unparse(module) + "\n"
    return _Unparser().visit(module) + "\n"

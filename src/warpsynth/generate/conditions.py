"""Conditions decided by the conditions around them: ``elif n == 0:`` then ``if n < 0:``.

A test ``x OP c`` (``x`` a name, ``c`` a number literal, ``OP`` a comparison) inside the branch
of a test on the same ``x`` may be always true or always false there; no engineer writes such a
branch.  ``decided_tests(body)`` finds them with interval reasoning over the reals (sound for
integers too: what no real satisfies, no integer does): each branch adds its test, or the test's
negation on the ``else`` side, as a constraint on ``x``, and so does an assignment ``x = c``
(``idx = int(2)`` then ``if idx != 1:``); any other statement that assigns ``x`` ends the
constraints on ``x`` after it, and a loop ends those on every name its body assigns.
An ``if`` whose two ways do the same (equal branches; ``if c: return e`` before the same
``return e``) decides nothing either.  ``fold_decided(body)`` writes each such ``if`` as the
branch it always takes (the ``else`` side for one that decides nothing), and drops what a
``return``, ``break`` or ``continue`` it exposes makes unreachable.  Generated
inputs are finite, so no NaN makes a comparison differ from its interval meaning; a test counts
as decided only if it is under every rounding the literals may get (exact, float32, float16:
``_ROUNDINGS``), and casts that change a literal (``int(2.7)``, ``wp.uint32(-1)``) give no fact,
so rounding and wrap-around cannot make the reasoning wrong.  Pure ``ast``.
"""

from __future__ import annotations

import ast
import math
import struct
from dataclasses import dataclass

from warpsynth.generate.liveness import assigned_names
from warpsynth.generate.quality import literal_number

_FLIP = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE, ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}
_NEGATE = {ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}

#: one constraint: (name, operator class, number)
Fact = tuple[str, type, float]


def _atom(test: ast.expr) -> Fact | None:
    """``(x, op, c)`` for ``x op c`` or ``c op x`` (as ``x flip(op) c``), else None."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _FLIP):
        return None
    left, right, op = test.left, test.comparators[0], type(test.ops[0])
    if isinstance(left, ast.Name) and _exact(right) is not None:
        return left.id, op, _exact(right)
    if isinstance(right, ast.Name) and _exact(left) is not None:
        return right.id, _FLIP[op], _exact(left)
    return None


#: the casts a literal keeps its value through (when it is a whole number in range): name -> (lo, hi)
_CAST_RANGE = {"float": None, "float16": None, "float32": None, "float64": None, "int": (-2**31, 2**31 - 1),
               "int8": (-128, 127), "int16": (-2**15, 2**15 - 1), "int32": (-2**31, 2**31 - 1),
               "int64": (-2**63, 2**63 - 1), "uint8": (0, 255), "uint16": (0, 2**16 - 1), "uint32": (0, 2**32 - 1),
               "uint64": (0, 2**64 - 1)}


def _exact(node: ast.expr) -> float | None:
    """The number a literal denotes, where every integer type it may be cast to holds it (``0.5``,
    ``-2``, ``wp.int64(3)``; not ``int(2.7)``, ``wp.uint32(-1)``, ``wp.int8(200)``), else None.
    Float rounding is handled where tests are decided (``_ROUNDINGS``)."""
    v = literal_number(node)
    if v is None:
        return None
    if isinstance(node, ast.Call):
        f = node.func
        cast = f.attr if isinstance(f, ast.Attribute) else (f.id if isinstance(f, ast.Name) else "")
        bounds = _CAST_RANGE.get(cast, (0, -1))
        if bounds is not None and not (float(v).is_integer() and bounds[0] <= v <= bounds[1]):
            return None
    return float(v)


def _rounded(fmt: str):
    def to(v: float) -> float:
        try:
            return struct.unpack(fmt, struct.pack(fmt, v))[0]
        except OverflowError:
            return math.copysign(math.inf, v)
    return to


#: the values a literal may take as the compared name's type: exact (integers, float64), float32,
#: float16. A test is decided only if it is decided under each: ``x = 1.00000001`` then ``x > 1.0``
#: is true in float64 and false in float32, so it is not decided.
_ROUNDINGS = (float, _rounded("f"), _rounded("e"))


def facts(test: ast.expr, holds: bool) -> list[Fact]:
    """Constraints known where ``test`` is ``holds`` (``a and b`` true: both; ``a or b`` false: neither)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return facts(test.operand, not holds)
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And if holds else ast.Or):
        return [f for v in test.values for f in facts(v, holds)]
    atom = _atom(test)
    if atom is None:
        return []
    name, op, c = atom
    return [(name, op if holds else _NEGATE[op], c)]


@dataclass
class _Range:
    lo: float = -math.inf
    lo_open: bool = True
    hi: float = math.inf
    hi_open: bool = True

    def add(self, op: type, c: float) -> None:
        if op in (ast.Gt, ast.GtE, ast.Eq) and (c > self.lo or (c == self.lo and op is ast.Gt)):
            self.lo, self.lo_open = c, op is ast.Gt
        if op in (ast.Lt, ast.LtE, ast.Eq) and (c < self.hi or (c == self.hi and op is ast.Lt)):
            self.hi, self.hi_open = c, op is ast.Lt


def satisfiable(constraints: list[tuple[type, float]]) -> bool:
    """Whether some real ``x`` meets every ``(op, c)`` (``x op c``)."""
    r, excluded = _Range(), set()
    for op, c in constraints:
        if op is ast.NotEq:
            excluded.add(c)
        else:
            r.add(op, c)
    if r.lo < r.hi:
        return True  # an interval of reals minus finitely many points
    return r.lo == r.hi and not r.lo_open and not r.hi_open and r.lo not in excluded


def decided(test: ast.expr, known: list[Fact]) -> bool | None:
    """``True``/``False`` if ``known`` decides ``test`` (a comparison, ``not``, ``and``/``or`` of them), else None."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        d = decided(test.operand, known)
        return None if d is None else not d
    if isinstance(test, ast.BoolOp):
        short = isinstance(test.op, ast.Or)  # the value that decides an ``or`` (True) or an ``and`` (False)
        parts, acc = [], list(known)
        for v in test.values:  # ``b`` in ``a and b`` runs where ``a`` held (in ``a or b``, where it failed)
            parts.append(decided(v, acc))
            acc += facts(v, not short)
        if short in parts:
            return short
        return (not short) if all(p is not None for p in parts) else None
    atom = _atom(test)
    if atom is None:
        return None
    name, op, c = atom
    have = [(o, v) for n, o, v in known if n == name]
    if not have:
        return None
    if all(not satisfiable([(o, r(v)) for o, v in have] + [(op, r(c))]) for r in _ROUNDINGS):
        return False
    if all(not satisfiable([(o, r(v)) for o, v in have] + [(_NEGATE[op], r(c))]) for r in _ROUNDINGS):
        return True
    return None


def _after(s: ast.stmt, known: list[Fact]) -> list[Fact]:
    """What holds after ``s``: nothing more about a name it assigns, and ``x == c`` after ``x = c``
    (``idx = int(2)`` then ``if idx != 1:``)."""
    changed = assigned_names([s])
    known = [f for f in known if f[0] not in changed]
    if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name):
        c = _exact(s.value)
        if c is not None:
            known.append((s.targets[0].id, ast.Eq, float(c)))
    return known


def _in_loop(loop: ast.For | ast.While, known: list[Fact]) -> list[Fact]:
    """What still holds inside a loop: nothing about a name its body (or index) assigns."""
    changed = assigned_names([loop])
    return [f for f in known if f[0] not in changed]


def _same_either_way(s: ast.If, rest: list[ast.stmt]) -> bool:
    """Whether both ways through ``s`` do the same: equal branches (``if c: B else: B``), or
    ``if c: return e`` right before the same ``return e``."""
    dump = lambda body: ast.dump(ast.Module(body, []))  # noqa: E731
    if s.body and dump(s.body) == dump(s.orelse):
        return True
    return (not s.orelse and len(s.body) == 1 and isinstance(s.body[0], ast.Return) and bool(rest)
            and ast.dump(rest[0]) == ast.dump(s.body[0]))


def fold_decided(body: list[ast.stmt], known: list[Fact] | None = None) -> list[ast.stmt]:
    """``body`` with every ``if`` whose test the enclosing tests decide written as the branch it
    takes (new compound nodes; the test of a kept ``if`` adds to what its branches know)."""
    known = list(known or [])
    out: list[ast.stmt] = []
    for k, s in enumerate(body):
        if isinstance(s, ast.If):
            d = decided(s.test, known)
            if d is None and _same_either_way(s, body[k + 1:]):
                d = False  # the test changes nothing: keep what runs when it fails
            if d is not None:
                out += fold_decided(s.body if d else s.orelse, known)
            else:
                out.append(ast.If(s.test, fold_decided(s.body, known + facts(s.test, True)),
                                  fold_decided(s.orelse, known + facts(s.test, False))))
        elif isinstance(s, (ast.For, ast.While)):
            inside = _in_loop(s, known)
            if isinstance(s, ast.For):
                out.append(ast.For(s.target, s.iter, fold_decided(s.body, inside), [], lineno=0))
            else:
                out.append(ast.While(s.test, fold_decided(s.body, inside), []))
        else:
            out.append(s)
        if out and isinstance(out[-1], (ast.Return, ast.Break, ast.Continue)):
            break  # a folded branch ending in ``return``: what follows is unreachable
        known = _after(s, known)
    return out


def decided_tests(fn: ast.FunctionDef) -> list[str]:
    """The tests in ``fn`` that enclosing tests decide or that decide nothing, unparsed (``"n < wp.int64(0)"``)."""
    found: list[str] = []

    def visit(body: list[ast.stmt], known: list[Fact]) -> None:
        for k, s in enumerate(body):
            if isinstance(s, ast.If):
                if decided(s.test, known) is not None or _same_either_way(s, body[k + 1:]):
                    found.append(ast.unparse(s.test))
                visit(s.body, known + facts(s.test, True))
                visit(s.orelse, known + facts(s.test, False))
            elif isinstance(s, (ast.For, ast.While)):
                visit(s.body, _in_loop(s, known))
            known = _after(s, known)

    visit(fn.body, [])
    return found

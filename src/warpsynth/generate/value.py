"""Typed expression values shared by the expression, statement and guard builders.

An :class:`Expr` is an ``ast.expr`` plus its Warp type (``types.WType``) and a
proven bound ``mag`` on the absolute value of each of its components.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Protocol

from warpsynth.generate import types as T
from warpsynth.generate.liveness import walk
from warpsynth.generate.quality import literal_number

#: largest |value| an expression of each dtype may reach before it is squashed
LIMIT = {
    "float16": 100.0, "float32": 1.0e4, "float64": 1.0e6, "int8": 100.0, "int16": 1.0e4, "int32": 1.0e6,
    "int64": 1.0e6, "uint8": 200.0, "uint16": 6.0e4, "uint32": 1.0e6, "uint64": 1.0e6, "bool": 1.0,
}


class LiteralMaker(Protocol):
    def lit(self, value: float, t: T.WType) -> "Expr": ...


def wp_attr(name: str) -> ast.expr:
    return ast.Attribute(value=ast.Name(id="wp", ctx=ast.Load()), attr=name, ctx=ast.Load())


def name_load(name: str) -> ast.expr:
    return ast.Name(id=name, ctx=ast.Load())


@dataclass
class Expr:
    node: ast.expr
    type: T.WType
    mag: float
    unit: bool = False  # quaternion/transform with unit rotation

    def plus_const(self, b: LiteralMaker, c: float) -> "Expr":
        """``self + c`` (folded when ``self`` is a literal)."""
        v = literal_value(self.node)
        if v is not None and self.type.is_scalar:
            return b.lit(v + c, self.type)
        return Expr(ast.BinOp(self.node, ast.Add(), b.lit(c, self.type).node), self.type, self.mag + c)


def has_var(node: ast.expr) -> bool:
    """Whether an expression reads any variable (other than the ``wp`` module and the ``float``/``int`` casts)."""
    return any(isinstance(n, ast.Name) and n.id not in ("wp", "float", "int") for n in walk(node))


#: the number a scalar literal denotes (``1.5``, ``-2``, ``wp.float64(0.5)``, ``int(3)``), else None
literal_value = literal_number


def round_lit(x: float) -> float:
    return float(f"{x:.3g}")



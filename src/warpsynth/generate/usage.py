"""Which Warp builtins a source text uses, read from its syntax tree.

Counts ``wp.<name>(...)`` calls and ``wp.<name>`` passed as a callable (``tile_map(wp.sin, t)``)
where ``<name>`` is in Warp's builtin registry, Python casts ``int(x)``/``float(x)``, and the
registry builtins Warp lowers Python operators to (``a + b`` -> ``add``, ``~a`` -> ``invert``,
``not c`` -> ``unot``...).  Type annotations and ``dtype=`` arguments are not uses.
"""

from __future__ import annotations

import ast

from warpsynth import _warp

_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.FloorDiv: "floordiv", ast.Mod: "mod",
           ast.BitAnd: "bit_and", ast.BitOr: "bit_or", ast.BitXor: "bit_xor", ast.LShift: "lshift", ast.RShift: "rshift"}
_UNARY = {ast.USub: "neg", ast.Invert: "invert", ast.Not: "unot"}


def _wp_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "wp":
        return node.attr
    return None


def builtins_used(source: "str | ast.AST") -> set[str]:
    """Registry builtins used by ``source`` (text or an already-built syntax tree)."""
    registry = _warp.builtin_functions()
    out: set[str] = set()
    tree = ast.parse(source) if isinstance(source, str) else source
    skip: set[int] = set()  # annotation subtrees (``wp.array(dtype=float)`` is a type, not a call)
    for node in ast.walk(tree):
        anns = []
        if isinstance(node, ast.arg) and node.annotation is not None:
            anns.append(node.annotation)
        elif isinstance(node, ast.FunctionDef) and node.returns is not None:
            anns.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            anns.append(node.annotation)
        for ann in anns:
            skip.update(id(n) for n in ast.walk(ann))
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Call):
            name = _wp_name(node.func)
            if name is None and isinstance(node.func, ast.Name) and node.func.id in ("int", "float", "range", "len"):
                name = node.func.id
            if name is not None and name in registry:
                out.add(name)
            for arg in node.args:  # callables passed to tile_map / tile_reduce
                n = _wp_name(arg)
                if n is not None and n in registry:
                    out.add(n)
        elif isinstance(node, (ast.BinOp, ast.AugAssign)):
            out.add(_BINOPS[type(node.op)])
        elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            if not (isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)):
                out.add(_UNARY[type(node.op)])
    return out

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


#: Fields never holding a use: annotations (``wp.array(dtype=float)`` is a type, not a call) and
#: expression contexts. Skipped while walking, so the tree is walked once.
_SKIP_FIELDS = {ast.arg: ("annotation",), ast.FunctionDef: ("returns",), ast.AnnAssign: ("annotation",)}


def _walk_uses(tree: ast.AST):
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        skip = _SKIP_FIELDS.get(type(node), ())
        for name in node._fields:
            if name == "ctx" or name in skip:
                continue
            value = getattr(node, name, None)
            if isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append(value)


def builtins_used(source: "str | ast.AST") -> set[str]:
    """Registry builtins used by ``source`` (text or an already-built syntax tree)."""
    registry = _warp.builtin_functions()
    out: set[str] = set()
    tree = ast.parse(source) if isinstance(source, str) else source
    for node in _walk_uses(tree):
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

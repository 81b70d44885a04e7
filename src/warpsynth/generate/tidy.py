"""Signs written the way an engineer writes them: ``x - -c`` is ``x + c``.

``tidy_signs(defs)`` rewrites, bottom-up, in new nodes:

* ``x - -y`` -> ``x + y`` and ``x + -y`` -> ``x - y``;
* ``-x + y`` -> ``y - x`` (unless both sides call something: the order of two calls stays);
* ``v -= -e`` -> ``v += e`` and ``v += -e`` -> ``v -= e``.

Each rewrite gives the same value bit for bit (IEEE 754 addition is commutative and ``x - y``
is ``x + (-y)``, section 5.4.1), so the forward and adjoint results do not change.  Pure ``ast``.
"""

from __future__ import annotations

import ast
import copy


def _neg(node: ast.expr) -> ast.expr | None:
    """``y`` for ``-y``, else None."""
    return node.operand if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) else None


def _calls(node: ast.expr) -> bool:
    """Whether ``node`` calls anything (a call may draw a random number or update an array: two such
    operands keep their order)."""
    return any(isinstance(n, ast.Call) for n in ast.walk(node))


class _Signs(ast.NodeTransformer):
    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        node = ast.BinOp(self.visit(node.left), node.op, self.visit(node.right))
        if isinstance(node.op, (ast.Add, ast.Sub)) and _neg(node.right) is not None:
            return ast.BinOp(node.left, ast.Sub() if isinstance(node.op, ast.Add) else ast.Add(), _neg(node.right))
        if isinstance(node.op, ast.Add) and _neg(node.left) is not None and not (_calls(node.left) and _calls(node.right)):
            return ast.BinOp(node.right, ast.Sub(), _neg(node.left))
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.stmt:
        value = self.visit(node.value)
        if isinstance(node.op, (ast.Add, ast.Sub)) and _neg(value) is not None:
            return ast.AugAssign(node.target, ast.Sub() if isinstance(node.op, ast.Add) else ast.Add(), _neg(value))
        return ast.AugAssign(node.target, node.op, value)


def tidy_signs(defs: list[ast.stmt]) -> list[ast.stmt]:
    """``defs`` (module-level definitions) with the sign rewrites above; ``defs`` is not changed."""
    return [_Signs().visit(copy.deepcopy(d)) for d in defs]

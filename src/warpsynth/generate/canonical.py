"""Canonical form of Python/Warp source for structural comparison and deduplication.

``canonical_form(source)`` alpha-renames every user identifier (kernel, helper,
struct, parameter, local and struct-field names) in order of first appearance
and abstracts every literal (numbers -> ``0``/``0.0``, strings -> ``'s'``), so two
programs that differ only in names and constants get the same text.  Names of
the ``wp`` module's members, Python builtins used in kernels (``range``,
``float``, ``int``...) and vector component/shape attributes are kept: they
are structure.
"""

from __future__ import annotations

import ast
import builtins

_KEEP_ATTRS = frozenset({"shape", "x", "y", "z", "w", "dtype", "ndim", "size"})
_BUILTIN_NAMES = frozenset(dir(builtins)) | {"wp", "warp"}


class _Canon(ast.NodeTransformer):
    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.attrs: dict[str, str] = {}

    def _name(self, name: str) -> str:
        if name in _BUILTIN_NAMES:
            return name
        if name not in self.names:
            self.names[name] = f"v{len(self.names)}"
        return self.names[name]

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self._name(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg = self._name(node.arg)
        self.generic_visit(node)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef):
        node.name = self._name(node.name)
        self.generic_visit(node)
        return node

    def visit_ClassDef(self, node: ast.ClassDef):
        node.name = self._name(node.name)
        self.generic_visit(node)
        return node

    def visit_Attribute(self, node: ast.Attribute):
        self.generic_visit(node)
        base = node.value
        if isinstance(base, ast.Name) and base.id in ("wp", "warp"):
            return node
        if node.attr not in _KEEP_ATTRS:
            if node.attr not in self.attrs:
                self.attrs[node.attr] = f"f{len(self.attrs)}"
            node.attr = self.attrs[node.attr]
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign):
        # struct field declarations: rename like attribute accesses
        if isinstance(node.target, ast.Name):
            attr = node.target.id
            if attr not in self.attrs:
                self.attrs[attr] = f"f{len(self.attrs)}"
            node.target.id = self.attrs[attr]
        node.annotation = self.visit(node.annotation)
        if node.value is not None:
            node.value = self.visit(node.value)
        return node

    def visit_keyword(self, node: ast.keyword):
        self.generic_visit(node)
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        v = node.value
        if isinstance(v, bool) or v is None:
            return node
        if isinstance(v, int):
            return ast.Constant(0)
        if isinstance(v, float):
            return ast.Constant(0.0)
        if isinstance(v, str):
            return ast.Constant("s")
        return node

    def visit_UnaryOp(self, node: ast.UnaryOp):
        # -1.5 and 1.5 are the same literal once abstracted
        self.generic_visit(node)
        if isinstance(node.op, (ast.USub, ast.UAdd)) and isinstance(node.operand, ast.Constant):
            return node.operand
        return node


def canonical_form(source: str) -> str:
    """Source text with identifiers alpha-renamed and literals abstracted (see module doc)."""
    tree = ast.parse(source)
    tree.body = [n for n in tree.body if not isinstance(n, (ast.Import, ast.ImportFrom))]
    # docstrings are not structure
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.body and isinstance(node.body[0], ast.Expr) \
                and isinstance(getattr(node.body[0], "value", None), ast.Constant) and isinstance(node.body[0].value.value, str):
            node.body = node.body[1:] or [ast.Pass()]
    return ast.unparse(_Canon().visit(tree))

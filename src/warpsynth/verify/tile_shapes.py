"""Shape and dtype of the tile an expression makes (enough for the race and MathDx checks).

Follows Warp 1.19's tile builtins: ``tile_load``/``tile_zeros``/``tile_ones``/``tile_full``/
``tile_arange`` take their shape from arguments; ``tile_map``, scans, ``tile_astype`` (dtype
from its argument), arithmetic and ``tile_broadcast`` keep or state it; ``tile_transpose``
reverses it; ``tile_matmul(a, b)`` is ``(a[0], b[1])``; reductions give shape ``(1,)``;
``tile_cholesky`` and ``tile_diag_add`` keep their first argument's shape and the triangular /
Cholesky solves give the right-hand side's.
"""

from __future__ import annotations

import ast

from warpsynth.verify.index_forms import wp_name

_KEEPS = frozenset({"tile_map", "tile_cholesky", "tile_diag_add", "tile_scan_inclusive", "tile_scan_exclusive", "tile_scan_max_inclusive", "tile_scan_min_inclusive",
                    "tile_scan_max_exclusive", "tile_scan_min_exclusive", "tile_sort"})
_SOLVES = frozenset({"tile_cholesky_solve", "tile_lower_solve", "tile_upper_solve"})
_REDUCTIONS = frozenset({"tile_sum", "tile_max", "tile_min", "tile_reduce", "tile_dot", "tile_argmax", "tile_argmin"})
_FROM_SHAPE = frozenset({"tile_zeros", "tile_ones", "tile_full", "tile_load", "tile_empty", "tile_broadcast", "tile_reshape"})

Tile = tuple[tuple[int, ...] | None, str]


def _dtype_text(node: ast.expr | None, default: str) -> str:
    if node is None:
        return default
    text = ast.unparse(node).removeprefix("wp.").removeprefix("warp.")
    return {"float": "float32", "int": "int32"}.get(text, text)


def const_shape(node: ast.expr | None) -> tuple[int, ...] | None:
    """A literal tile shape (``16`` or ``(8, 8)``) as a tuple; None when not literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return (node.value,)
    if isinstance(node, ast.Tuple) and all(isinstance(e, ast.Constant) and isinstance(e.value, int) for e in node.elts):
        return tuple(e.value for e in node.elts)
    return None


def tile_result(node: ast.expr, tiles: dict[str, Tile], array_dtypes: dict[str, str]) -> Tile | None:
    """(shape, dtype) of the tile ``node`` evaluates to; None when it is not a tile; shape None when unknown."""
    if isinstance(node, ast.Name):
        return tiles.get(node.id)
    if isinstance(node, ast.UnaryOp):
        return tile_result(node.operand, tiles, array_dtypes)
    if isinstance(node, ast.BinOp):
        return tile_result(node.left, tiles, array_dtypes) or tile_result(node.right, tiles, array_dtypes)
    if not isinstance(node, ast.Call):
        return None
    name = wp_name(node.func) or ""
    if not name.startswith("tile"):
        return None
    kw = {k.arg: k.value for k in node.keywords}
    args = [tile_result(a, tiles, array_dtypes) for a in node.args]
    first = next((a for a in args if a is not None), None)
    dtype = first[1] if first else "float32"
    if name in _FROM_SHAPE:
        if name == "tile_load" and node.args and isinstance(node.args[0], ast.Name):
            dtype = array_dtypes.get(node.args[0].id, dtype)
        at = 1 if name in ("tile_load", "tile_broadcast", "tile_reshape") else 0  # positional shape argument
        shape = kw.get("shape", node.args[at] if len(node.args) > at else None)
        return const_shape(shape), _dtype_text(kw.get("dtype"), dtype)
    if name == "tile_arange":
        n = node.args[-1] if node.args else None
        return (const_shape(n) if len(node.args) == 1 else None), _dtype_text(kw.get("dtype"), "int32")
    if name in _REDUCTIONS:
        return (1,), dtype
    if name == "tile_astype":
        return (first[0] if first else None), _dtype_text(kw.get("dtype"), dtype)
    if name == "tile_transpose" and first and first[0]:
        return tuple(reversed(first[0])), dtype
    if name == "tile_matmul" and len(args) >= 2 and args[0] and args[1] and args[0][0] and args[1][0]:
        return (args[0][0][0], args[1][0][-1]), dtype
    if name in _KEEPS and first:
        return first
    if name in _SOLVES and args and args[-1]:  # the solution has the right-hand side's shape
        return args[-1]
    return None, dtype

"""Builtin-call frequencies of real Warp code, and how far generated code is from them.

``call_counts(source)`` counts ``wp.<builtin>(...)`` calls (and builtins passed as
callables, ``wp.tile_map(wp.sin, t)``) inside ``@wp.kernel``/``@wp.func`` functions,
where ``<builtin>`` is in Warp's builtin registry.  ``corpus_counts(folder)`` sums
them over every ``*.py`` file of a folder, read by parsing (nothing is imported, so
files needing optional packages count too; a file that does not parse is skipped).
``js_divergence(p, q)`` is the Jensen-Shannon divergence, base 2 (0 = same
distribution, 1 = disjoint).  The default reference is the ``examples`` folder of
the installed ``warp`` package.
"""

from __future__ import annotations

import ast
import importlib.util
import math
from collections import Counter
from pathlib import Path

from warpsynth import _warp
from warpsynth.errors import WarpsynthError

_DECORATORS = ("kernel", "func", "func_native", "func_grad", "func_replay")


def _decorated(fn: ast.FunctionDef) -> bool:
    for d in fn.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if isinstance(target, ast.Attribute) and target.attr in _DECORATORS:
            return True
        if isinstance(target, ast.Name) and target.id in _DECORATORS:
            return True
    return False


def _wp_attr(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "wp":
        return node.attr
    return None


def call_counts(source: str | ast.AST) -> Counter:
    """``{builtin: calls}`` in the Warp functions of one module (text or tree)."""
    registry = _warp.builtin_functions()
    tree = ast.parse(source) if isinstance(source, str) else source
    out: Counter = Counter()
    for fn in ast.walk(tree):
        if not (isinstance(fn, ast.FunctionDef) and _decorated(fn)):
            continue
        for stmt in fn.body:
            for node in ast.walk(stmt):
                if not isinstance(node, ast.Call):
                    continue
                name = _wp_attr(node.func)
                if name in registry:
                    out[name] += 1
                for arg in node.args:  # callables passed to tile_map / tile_reduce
                    n = _wp_attr(arg)
                    if n in registry:
                        out[n] += 1
    return out


def default_reference() -> Path:
    """The ``examples`` folder of the installed ``warp`` package."""
    spec = importlib.util.find_spec("warp")
    if spec is None or not spec.submodule_search_locations:
        raise WarpsynthError("--reference: the warp package is not installed; name a folder of Warp code")
    return Path(list(spec.submodule_search_locations)[0]) / "examples"


def corpus_counts(folder: str | Path | None = None) -> tuple[Counter, int]:
    """(summed ``call_counts`` of every ``*.py`` under ``folder``, files read); default: Warp's examples."""
    root = Path(folder) if folder is not None else default_reference()
    if not root.is_dir():
        raise WarpsynthError(f"--reference {root}: not a folder")
    total: Counter = Counter()
    files = 0
    for path in sorted(root.rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError):
            continue
        total.update(call_counts(tree))
        files += 1
    if not total:
        raise WarpsynthError(f"--reference {root}: no Warp builtin calls found in @wp.kernel/@wp.func functions")
    return total, files


def js_divergence(p: Counter, q: Counter) -> float:
    """Jensen-Shannon divergence (base 2) of two count tables, in [0, 1]."""
    sp, sq = sum(p.values()), sum(q.values())
    if not sp or not sq:
        raise ValueError("js_divergence needs two non-empty count tables")
    js = 0.0
    for k in sorted(set(p) | set(q)):
        a, b = p.get(k, 0) / sp, q.get(k, 0) / sq
        m = 0.5 * (a + b)
        if a:
            js += 0.5 * a * math.log2(a / m)
        if b:
            js += 0.5 * b * math.log2(b / m)
    return max(0.0, min(1.0, js))

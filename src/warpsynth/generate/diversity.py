"""Diversity report over consecutive seeds (``warpsynth diversity -n N``).

Measures structural uniqueness (distinct ``canonical_form`` texts), distinct
Warp builtins emitted, distinct Warp types used, and category/feature
histograms, plus generation time and size statistics.
"""

from __future__ import annotations

import ast
import hashlib
import statistics
import time
from collections import Counter

from warpsynth.generate import types as T
from warpsynth.generate.canonical import canonical_form
from warpsynth.generate import catalog
from warpsynth.generate.config import GeneratorConfig
from warpsynth.generate.generator import kernel

_TYPE_NAMES = frozenset(t.type_name() for t in T.all_value_types()) | {"array", "array2d", "array3d", "array4d"}


def types_used(source: str) -> set[str]:
    """Warp type names a program mentions (annotations, constructors, dtype= arguments)."""
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "wp" and node.attr in _TYPE_NAMES:
            out.add(node.attr)
        elif isinstance(node, ast.Name) and node.id in ("float", "int"):
            out.add({"float": "float32", "int": "int32"}[node.id])
        elif isinstance(node, ast.ClassDef):
            out.add("struct")
    return out


def body_lines(source: str, kernel_name: str) -> int:
    """Statement lines of the kernel function (excluding its ``def`` and decorator)."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == kernel_name:
            return node.end_lineno - node.lineno
    return 0


def report(n: int, config: GeneratorConfig | None = None, start: int = 0) -> dict:
    """Generate seeds ``start..start+n-1`` and measure their diversity."""
    config = config or GeneratorConfig()
    canon: set[str] = set()
    builtins: Counter = Counter()
    types: Counter = Counter()
    cats: Counter = Counter()
    feats: Counter = Counter()
    lines = []
    t_gen = 0.0
    for seed in range(start, start + n):
        t0 = time.perf_counter()
        prog = kernel(seed, config)
        t_gen += time.perf_counter() - t0
        canon.add(hashlib.sha256(canonical_form(prog.source).encode()).hexdigest())
        builtins.update(prog.builtins)
        types.update(types_used(prog.source))
        cats[prog.category] += 1
        feats.update(prog.features)
        lines.append(body_lines(prog.source, prog.kernel_name))
    return {
        "n": n,
        "start": start,
        "config_hash": config.hash(),
        "structurally_unique": len(canon),
        "uniqueness_pct": 100.0 * len(canon) / max(n, 1),
        "distinct_builtins": len(builtins),
        "builtins": dict(sorted(builtins.items())),
        "distinct_types": len(types),
        "types": dict(sorted(types.items())),
        "categories": {c: cats.get(c, 0) for c in catalog.names()},
        "missing_categories": [c for c in catalog.names() if float(config.weights.get(c, 0)) > 0 and not cats.get(c)],
        "features": dict(sorted(feats.items())),
        "kernel_lines": {"min": min(lines), "median": statistics.median(lines), "max": max(lines)} if lines else {},
        "ms_per_kernel": 1000.0 * t_gen / max(n, 1),
    }


def format_report(r: dict) -> str:
    """Human-readable text of a ``report`` result."""
    out = [
        f"seeds {r['start']}..{r['start'] + r['n'] - 1} (config {r['config_hash']})",
        f"structural uniqueness: {r['structurally_unique']}/{r['n']} = {r['uniqueness_pct']:.2f}%",
        f"distinct Warp builtins emitted: {r['distinct_builtins']}",
        f"distinct Warp types: {r['distinct_types']} ({', '.join(r['types'])})",
        f"kernel body lines: min {r['kernel_lines'].get('min')}, median {r['kernel_lines'].get('median')}, max {r['kernel_lines'].get('max')}",
        f"generation: {r['ms_per_kernel']:.2f} ms/kernel",
        "categories:",
    ]
    out += [f"  {c:18} {k}" for c, k in r["categories"].items()]
    if r["missing_categories"]:
        out.append(f"MISSING categories: {', '.join(r['missing_categories'])}")
    out.append("features:")
    out += [f"  {f:22} {k}" for f, k in sorted(r["features"].items(), key=lambda kv: (-kv[1], kv[0]))]
    return "\n".join(out)

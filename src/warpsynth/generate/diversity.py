"""Diversity report over consecutive seeds (``warpsynth diversity -n N``).

Measures structural uniqueness (distinct ``canonical_form`` texts; the duplicates counted per
category, which is what bounds each category's weight), distinct
Warp builtins emitted, distinct Warp types used, category/feature histograms,
generation time and size statistics, the code-quality counts of ``quality``
(unused values/parameters, dead stores, conditions the enclosing ones decide, uncalled or identity helpers, trivial expressions,
guards per 10 lines) and the Jensen-Shannon divergence of builtin-call
frequencies against a reference corpus of real Warp code (``reference``).
"""

from __future__ import annotations

import ast
import hashlib
import statistics
import time
from collections import Counter

from pathlib import Path

from warpsynth.generate import catalog, quality, reference
from warpsynth.generate import types as T
from warpsynth.generate.canonical import canonical_form
from warpsynth.generate.conditions import decided_tests
from warpsynth.generate.config import GeneratorConfig
from warpsynth.generate.generator import kernel

_QUALITY = ("unused_values", "dead_stores", "unused_params", "uncalled_helpers", "identity_helpers", "trivial",
            "decided_conditions")

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


def report(n: int, config: GeneratorConfig | None = None, start: int = 0, reference_dir: str | Path | None = None) -> dict:
    """Generate seeds ``start..start+n-1`` and measure their diversity and quality.

    ``reference_dir``: folder of real Warp code for the builtin-call divergence (default: the
    installed ``warp`` package's examples).  Raises ``WarpsynthError`` for an unusable folder.
    """
    config = config or GeneratorConfig()
    canon: set[str] = set()
    builtins: Counter = Counter()
    types: Counter = Counter()
    cats: Counter = Counter()
    dupes: Counter = Counter()  # programs whose canonical form an earlier seed already had, by category
    feats: Counter = Counter()
    lines = []
    t_gen = 0.0
    calls: Counter = Counter()
    bad: dict[str, list] = {k: [0, 0, []] for k in _QUALITY}  # programs with any, total, first examples
    guards = code_lines = 0
    for seed in range(start, start + n):
        t0 = time.perf_counter()
        prog = kernel(seed, config)
        t_gen += time.perf_counter() - t0
        tree = ast.parse(prog.source)
        calls.update(reference.call_counts(tree))
        m = quality.measure(tree)
        for k in _QUALITY:
            found = getattr(m, k, None)
            if k == "decided_conditions":
                found = [t for fn in tree.body if isinstance(fn, ast.FunctionDef) for t in decided_tests(fn)]
            if found:
                bad[k][0] += 1
                bad[k][1] += len(found)
                if len(bad[k][2]) < 3:
                    bad[k][2].append(f"seed {seed}: {found[0]}")
        guards += m.guards
        code_lines += m.lines
        form = hashlib.sha256(canonical_form(prog.source).encode()).hexdigest()
        if form in canon:
            dupes[prog.category] += 1
        canon.add(form)
        builtins.update(prog.builtins)
        types.update(types_used(prog.source))
        cats[prog.category] += 1
        feats.update(prog.features)
        lines.append(body_lines(prog.source, prog.kernel_name))
    ref, ref_files = reference.corpus_counts(reference_dir)
    return {
        "n": n,
        "start": start,
        "config_hash": config.hash(),
        "quality": {k: {"programs": v[0], "count": v[1], "examples": v[2]} for k, v in bad.items()},
        "guards_per_10_lines": 10.0 * guards / max(code_lines, 1),
        "builtin_calls": sum(calls.values()),
        "reference": {"path": str(reference_dir or reference.default_reference()), "files": ref_files,
                      "calls": sum(ref.values()), "distinct": len(ref)},
        "builtin_js_divergence": reference.js_divergence(calls, ref) if calls else 1.0,
        "top_builtin_calls": [[k, round(100.0 * v / max(sum(calls.values()), 1), 2), round(100.0 * ref.get(k, 0) / sum(ref.values()), 2)]
                              for k, v in sorted(calls.items(), key=lambda kv: (-kv[1], kv[0]))[:12]],
        "structurally_unique": len(canon),
        "uniqueness_pct": 100.0 * len(canon) / max(n, 1),
        "distinct_builtins": len(builtins),
        "builtins": dict(sorted(builtins.items())),
        "distinct_types": len(types),
        "types": dict(sorted(types.items())),
        "categories": {c: cats.get(c, 0) for c in catalog.names()},
        "duplicates_by_category": {c: dupes[c] for c in catalog.names() if dupes.get(c)},
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
        *[f"{k.replace('_', ' ')}: {v['count']} in {v['programs']} programs" + (f" (e.g. {v['examples'][0]})" if v["examples"] else "")
          for k, v in r["quality"].items()],
        f"guards per 10 lines: {r['guards_per_10_lines']:.2f}",
        f"builtin-call JS divergence (base 2) vs {r['reference']['path']} ({r['reference']['files']} files, "
        f"{r['reference']['calls']} calls): {r['builtin_js_divergence']:.3f}",
        "most called builtins (% of calls here / in the reference): "
        + ", ".join(f"{k} {a}/{b}" for k, a, b in r["top_builtin_calls"]),
        "categories:",
    ]
    dupes = r.get("duplicates_by_category", {})
    out += [f"  {c:18} {k}" + (f"  ({dupes[c]} structural duplicates)" if dupes.get(c) else "") for c, k in r["categories"].items()]
    if r["missing_categories"]:
        out.append(f"MISSING categories: {', '.join(r['missing_categories'])}")
    out.append("features:")
    out += [f"  {f:22} {k}" for f, k in sorted(r["features"].items(), key=lambda kv: (-kv[1], kv[0]))]
    return "\n".join(out)

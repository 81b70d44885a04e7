#!/usr/bin/env python
"""Checks for the motif families (generate/motifs, issue 15); prints a summary.

1. diversity over seeds 0..N-1 of ``GeneratorConfig.motifs()``: structural uniqueness
   (``canonical_form``: identifiers alpha-renamed, literals abstracted), overall and per
   family; distinct Warp builtins; language features; race-freedom and dataflow audits.
2. codegen: the first C of those seeds through Warp codegen, CPU + CUDA, forward + backward.
3. run: K seeds per family compiled on the CPU in Warp debug mode (bounds assertions) and
   launched on their seeded inputs (host meshes/BVHs/hash grids/volumes built from the seed),
   float outputs finite; in a child process (an out-of-bounds access aborts it).

Usage: python scripts/check_motifs.py [--diversity 2000] [--codegen 500] [--run-per-family 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter


def diversity(n: int) -> dict:
    from warpsynth.generate import GeneratorConfig, kernel
    from warpsynth.generate.canonical import canonical_form
    from warpsynth.generate.motifs.audit import dataflow_problems, race_problems
    from warpsynth.verify.races import check_races

    cfg = GeneratorConfig.motifs()
    t0 = time.perf_counter()
    progs = [kernel(s, cfg) for s in range(n)]
    gen_ms = (time.perf_counter() - t0) * 1000 / n
    forms = [canonical_form(p.source) for p in progs]
    per_family: dict[str, list[str]] = {}
    for p, f in zip(progs, forms):
        per_family.setdefault(p.category, []).append(f)
    builtins = Counter(b for p in progs for b in p.builtins)
    lines = [len(p.source.splitlines()) for p in progs]
    return {
        "n": n, "unique": len(set(forms)), "gen_ms": gen_ms,
        "per_family": {c: (len(set(fs)), len(fs)) for c, fs in sorted(per_family.items())},
        "builtins": sorted(builtins), "features": Counter(f for p in progs for f in p.features),
        "race_problems": sum(1 for p in progs if race_problems(p)),
        "race_check": sum(1 for p in progs if check_races(p.source, p.kernel_name, p.launch_json())),
        "dataflow_problems": sum(1 for p in progs if dataflow_problems(p.source)),
        "lines": (min(lines), statistics.median(lines), max(lines)),
        "differentiable": sum(p.differentiable for p in progs),
    }


def codegen(n: int) -> dict:
    from warpsynth.generate import GeneratorConfig, kernel
    from warpsynth.verify.generated import codegen_error

    cfg = GeneratorConfig.motifs()
    failures = {s: e for s in range(n) if (e := codegen_error(kernel(s, cfg)))}
    return {"n": n, "failures": failures}


_RUN = """
import json, sys
from warpsynth.generate import GeneratorConfig, kernel
from warpsynth.generate.motifs import MOTIF_CATEGORIES
from warpsynth.verify.generated import run_errors
k = int(sys.argv[1])
progs = [kernel(s, GeneratorConfig.only(c)) for c in MOTIF_CATEGORIES for s in range(k)]
errs = run_errors(progs, debug=True, tag="check_motifs")
print("RESULT", json.dumps([[p.category, p.seed, e] for p, e in zip(progs, errs)]))
"""


def run(k: int) -> dict:
    env = dict(os.environ, WARP_CACHE_PATH=tempfile.mkdtemp(prefix="check-motifs-cache-"))
    proc = subprocess.run([sys.executable, "-c", _RUN, str(k)], capture_output=True, text=True, env=env, timeout=3600)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        return {"crashed": proc.stderr[-2000:]}
    rows = json.loads(lines[0][len("RESULT "):])
    return {"n": len(rows), "failures": [r for r in rows if r[2]]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--diversity", type=int, default=2000)
    ap.add_argument("--codegen", type=int, default=500)
    ap.add_argument("--run-per-family", type=int, default=5)
    a = ap.parse_args()
    t0 = time.time()
    d = diversity(a.diversity)
    print(f"== diversity over motif seeds 0..{d['n'] - 1} ({time.time() - t0:.0f} s)")
    print(f"structural uniqueness: {d['unique']}/{d['n']} = {100 * d['unique'] / d['n']:.2f}%")
    for c, (u, m) in d["per_family"].items():
        print(f"  {c:26s} {u}/{m} = {100 * u / m:.1f}%")
    print(f"distinct Warp builtins: {len(d['builtins'])}: {', '.join(d['builtins'])}")
    print(f"rejected by the race check (verify/races.py): {d['race_check']}")
    print(f"race-rule violations: {d['race_problems']}, dataflow problems (unused values/params, uncalled helpers): "
          f"{d['dataflow_problems']}")
    print(f"source lines: min {d['lines'][0]}, median {d['lines'][1]}, max {d['lines'][2]}; "
          f"differentiable: {d['differentiable']}; generation {d['gen_ms']:.2f} ms/kernel")
    keys = ["wp_static", "wp_constant", "generic", "kernel_overload", "func_overload", "func_grad", "struct_array",
            "struct", "nested_struct", "early_return", "array_subscript_annotation", "array_call_annotation",
            "batched_envs", "float64", "mesh", "bvh", "hashgrid", "volume", "tile", "triangular_solve", "atomic", "random"]
    print("features: " + ", ".join(f"{k} {d['features'].get(k, 0)}" for k in keys))
    if a.codegen:
        t1 = time.time()
        c = codegen(a.codegen)
        print(f"== codegen CPU + CUDA, forward + backward, seeds 0..{a.codegen - 1} ({time.time() - t1:.0f} s): "
              f"{c['n'] - len(c['failures'])}/{c['n']} pass")
        for s, e in list(c["failures"].items())[:10]:
            print(f"  seed {s}: {e}")
    if a.run_per_family:
        t2 = time.time()
        r = run(a.run_per_family)
        if "crashed" in r:
            print(f"== run: child process crashed:\n{r['crashed']}")
            return 1
        families = r["n"] // a.run_per_family
        print(f"== CPU debug compile + run, {a.run_per_family} seeds x {families} families ({time.time() - t2:.0f} s): "
              f"{r['n'] - len(r['failures'])}/{r['n']} pass, outputs finite")
        for f in r["failures"][:10]:
            print(f"  {f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

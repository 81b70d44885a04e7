#!/usr/bin/env python
"""Acceptance checks for the kernel generator (issues 3 and 15); prints a summary.

1. codegen: seeds 0..N-1 of the default config must all pass Warp codegen for
   CPU and CUDA, forward and backward (``warpsynth.extract``).
2. run: for every category, seeds 0..K-1 of a config generating only that
   category (20 x 25 = 500 by default) are compiled on the CPU in Warp debug
   mode (array bounds assertions on) and launched on their seeded inputs; every
   float output must be finite.  Each batch runs in its own process, so a
   bounds assertion (which aborts the process) is caught and the batch is
   re-run one program per process to name the culprit.
3. diversity and quality over seeds 0..D-1: structural uniqueness (>= 99%),
   distinct builtins (>= 220), every category present, and issue 15's code-quality
   targets: 0 unused values, dead stores, unused parameters, uncalled helpers, identity helpers
   and trivial expressions, builtin-call JS divergence against Warp's shipped
   examples <= 0.25 (``warpsynth.generate.quality`` / ``reference``).

Usage: python scripts/check_generator.py [--codegen 10000] [--run-per-category 25] [--diversity 10000] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor


def _codegen_chunk(seeds: list[int]) -> list[tuple[int, str | None, str]]:
    from warpsynth.generate import kernel
    from warpsynth.verify.generated import codegen_error

    out = []
    for s in seeds:
        prog = kernel(s)
        out.append((s, codegen_error(prog), prog.category))
    return out


def check_codegen(n: int, workers: int) -> dict:
    import multiprocessing as mp

    chunks = [list(range(i, min(i + 100, n))) for i in range(0, n, 100)]
    t0 = time.time()
    failures = []
    done = 0
    with mp.get_context("spawn").Pool(workers) as pool:
        for res in pool.imap_unordered(_codegen_chunk, chunks):
            for seed, err, cat in res:
                done += 1
                if err:
                    failures.append({"seed": seed, "category": cat, "error": err})
    return {"n": done, "passed": done - len(failures), "failures": sorted(failures, key=lambda f: f["seed"]),
            "seconds": time.time() - t0}


def _run_batch_subprocess(category: str, seeds: list[int]) -> list[dict]:
    """Run one batch in a fresh process; on a crash, re-run each program alone."""
    cmd = [sys.executable, __file__, "--run-batch", category, ",".join(map(str, seeds))]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode == 0 and lines:
        return json.loads(lines[-1][len("RESULT "):])
    if len(seeds) == 1:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return [{"seed": seeds[0], "category": category, "error": f"process died (rc={proc.returncode}): {' | '.join(tail)}"}]
    out = []
    for s in seeds:
        out += _run_batch_subprocess(category, [s])
    return out


def run_batch_main(category: str, seeds: list[int]) -> None:
    from warpsynth.generate import GeneratorConfig, kernel
    from warpsynth.verify.generated import run_errors

    cfg = GeneratorConfig.only(category)
    progs = [kernel(s, cfg) for s in seeds]
    errs = run_errors(progs, debug=True, tag=f"chk_{category}_{seeds[0]}_{len(seeds)}")
    print("RESULT " + json.dumps([{"seed": p.seed, "category": category, "error": e} for p, e in zip(progs, errs)]))


def check_run(per_category: int, workers: int, batch: int = 25) -> dict:
    from warpsynth.generate import CATEGORIES

    jobs = []
    for cat in CATEGORIES:
        seeds = list(range(per_category))
        for i in range(0, len(seeds), batch):
            jobs.append((cat, seeds[i:i + batch]))
    t0 = time.time()
    results = []
    with ThreadPoolExecutor(workers) as ex:
        for res in ex.map(lambda j: _run_batch_subprocess(*j), jobs):
            results += res
    failures = [r for r in results if r["error"]]
    return {"n": len(results), "passed": len(results) - len(failures), "failures": failures, "seconds": time.time() - t0}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--codegen", type=int, default=10000)
    ap.add_argument("--run-per-category", type=int, default=25)
    ap.add_argument("--diversity", type=int, default=10000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--run-batch", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run_batch:
        run_batch_main(args.run_batch[0], [int(s) for s in args.run_batch[1].split(",")])
        return 0
    # a private kernel cache: other processes clearing the shared one must not break compiles
    os.environ.setdefault("WARP_CACHE_PATH", os.path.join(tempfile.gettempdir(), "warpsynth-check-generator-cache"))
    ok = True
    summary = {}
    if args.diversity:
        from warpsynth.generate.diversity import format_report, report

        t0 = time.time()
        r = report(args.diversity)
        print(f"== diversity over {args.diversity} seeds ({time.time() - t0:.0f} s)")
        print(format_report(r))
        print("builtins emitted:", " ".join(r["builtins"]))
        targets = {
            "structural uniqueness >= 99%": (r["uniqueness_pct"] >= 99.0, f"{r['uniqueness_pct']:.2f}%"),
            "distinct builtins >= 220": (r["distinct_builtins"] >= 220, str(r["distinct_builtins"])),
            "every category present": (not r["missing_categories"], ", ".join(r["missing_categories"]) or "all"),
            "builtin-call JS divergence <= 0.25": (r["builtin_js_divergence"] <= 0.25, f"{r['builtin_js_divergence']:.3f}"),
        }
        for k, v in r["quality"].items():
            targets[f"{k.replace('_', ' ')} = 0"] = (v["count"] == 0, f"{v['count']} in {v['programs']} programs")
        for name, (passed, value) in targets.items():
            ok &= passed
            summary[name] = f"{value} -> {'PASS' if passed else 'FAIL'}"
        sys.stdout.flush()
    if args.codegen:
        r = check_codegen(args.codegen, args.workers)
        print(f"== codegen (CPU+CUDA, forward+backward) over seeds 0..{args.codegen - 1}: {r['passed']}/{r['n']} passed ({r['seconds']:.0f} s)")
        for f in r["failures"][:20]:
            print(f"  seed {f['seed']} [{f['category']}]: {f['error']}")
        ok &= r["passed"] == r["n"]
        summary["codegen"] = f"{r['passed']}/{r['n']} = {100.0 * r['passed'] / max(r['n'], 1):.2f}%"
        sys.stdout.flush()
    if args.run_per_category:
        r = check_run(args.run_per_category, args.workers)
        print(f"== CPU compile + debug run (bounds checks, finite outputs), {args.run_per_category} seeds x each category: "
              f"{r['passed']}/{r['n']} passed ({r['seconds']:.0f} s)")
        for f in r["failures"][:20]:
            print(f"  {f['category']} seed {f['seed']}: {f['error']}")
        ok &= r["passed"] == r["n"]
        summary["run"] = f"{r['passed']}/{r['n']} = {100.0 * r['passed'] / max(r['n'], 1):.2f}%"
    print("== summary")
    for k, v in summary.items():
        print(f"  {k}: {v}")
    print("ALL PASS" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

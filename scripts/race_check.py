"""Run the static race / block_dim check over consecutive generated kernels and report the count.

    .venv/bin/python scripts/race_check.py [-n 10000] [--start-seed 0]
    .venv/bin/python scripts/race_check.py --files .venv/lib/python3.11/site-packages/warp/examples

Generates seeds start..start+n-1 with the default generator config, runs
``warpsynth.verify.races.check_races`` on each (the check every verify level runs), and prints
how many are proven race-free, the first problems, and the time per check. ``--files DIR``
instead checks every ``@wp.kernel`` of the Python files under DIR as extracted kernels (parsed
only, no launch), and prints the count and the most common reasons.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter


def check_files(folder: str) -> int:
    """Race-check every @wp.kernel defined at the top level of the .py files under ``folder`` (no launch)."""
    import ast
    import glob
    import os
    import re

    from warpsynth.verify.races import check_races

    total, proven, reasons, example = 0, 0, Counter(), {}
    for path in sorted(glob.glob(os.path.join(folder, "**", "*.py"), recursive=True)):
        with open(path) as f:
            source = f.read()
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            decorators = [d.func if isinstance(d, ast.Call) else d for d in getattr(node, "decorator_list", [])]
            if not any(isinstance(d, ast.Attribute) and d.attr == "kernel" and ast.unparse(d.value) in ("wp", "warp") for d in decorators):
                continue
            total += 1
            problems = check_races(source, node.name, None)
            if not problems:
                proven += 1
                continue
            key = re.sub(r"'[^']*'|\[[^\]]*\]|line \d+", "_", problems[0].split(":", 1)[1])[:60]
            reasons[key] += 1
            example.setdefault(key, f"{os.path.relpath(path, folder)}:{node.name}: {problems[0]}")
    print(f"{folder}: {proven}/{total} kernels proven race-free (no launch given)")
    for key, count in reasons.most_common(15):
        print(f"  {count:3d} x {example[key][:200]}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=10_000)
    ap.add_argument("--start-seed", type=int, default=0)
    ap.add_argument("--files", help="check the kernels of the .py files under this folder instead")
    args = ap.parse_args(argv)
    if args.files:
        return check_files(args.files)
    from warpsynth.generate import GeneratorConfig, kernel
    from warpsynth.verify.races import check_races

    config = GeneratorConfig()
    rejected: list[tuple[int, str, str]] = []
    categories: Counter = Counter()
    check_s = 0.0
    for seed in range(args.start_seed, args.start_seed + args.n):
        program = kernel(seed, config)
        categories[program.category] += 1
        t0 = time.perf_counter()
        problems = check_races(program.source, program.kernel_name, program.launch_json())
        check_s += time.perf_counter() - t0
        if problems:
            rejected.append((seed, program.category, problems[0]))
    passed = args.n - len(rejected)
    print(f"seeds {args.start_seed}..{args.start_seed + args.n - 1}: {passed}/{args.n} proven race-free "
          f"({len(categories)} categories; check {check_s / args.n * 1000:.2f} ms per kernel)")
    for seed, category, problem in rejected[:20]:
        print(f"  seed {seed} {category}: {problem}")
    return 0 if not rejected else 1


if __name__ == "__main__":
    sys.exit(main())

"""GPU check: generate fresh kernels (or read a dataset's), run each on CUDA and on the CPU, and write the figures.

    .venv/bin/python scripts/gpu_check.py -n 1000 [--start-seed S] [--device cuda:0] [--max-seconds T] [--json gpu_check.json]
    .venv/bin/python scripts/gpu_check.py --dataset DIR [-n 200]

A thin caller of the library: every kernel goes through the static race check
(``warpsynth.verify.races.check_races``) and then ``warpsynth.verify.cuda.compare_on_device``,
the code of ``--verify cuda``: same seeded inputs on both devices, forward results and (for
differentiable kernels) adjoints compared with per-dtype tolerances, and per-thread kernels run
a second time on the device at block_dim 32 and compared with the first run; compile errors (e.g.
MathDx rejecting a ``tile_matmul``) count as errors. Prints counts per category and writes
the JSON report (device name and arch, counts, every problem).

Without a CUDA device it says so in one line and exits 2 (``--device cpu`` runs the same
path CPU against CPU, for testing).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict


def _programs(args):
    """(program, race problems) for fresh generated seeds or a dataset's rows."""
    from warpsynth.generate import GeneratorConfig, kernel
    from warpsynth.verify.races import check_races

    if args.dataset:
        from warpsynth.verify.rows import load_programs

        programs = load_programs(args.dataset, args.n)
    else:
        config = GeneratorConfig.only(args.category) if args.category else GeneratorConfig()
        programs = (kernel(seed, config) for seed in range(args.start_seed, args.start_seed + args.n))
    for p in programs:
        yield p, check_races(p.source, p.kernel_name, p.launch_json())


def run(args) -> dict:
    from warpsynth.verify.cuda import compare_on_device, device_identity

    name, arch = device_identity(args.device)
    counts: Counter = Counter()
    by_cat: dict = defaultdict(Counter)
    problems = []
    t0 = time.perf_counter()
    for k, (program, races) in enumerate(_programs(args)):
        if args.max_seconds and time.perf_counter() - t0 > args.max_seconds:
            break
        if races:
            status, detail = "race", races[0]
        else:
            cmp = compare_on_device(program, args.device)
            status, detail = cmp.status, cmp.detail
        counts[status] += 1
        by_cat[program.category][status] += 1
        if status != "match":
            problems.append({"seed": program.seed, "category": program.category, "status": status, "detail": detail})
        if (k + 1) % 100 == 0:
            print(f"{k + 1} kernels: {dict(counts)} ({time.perf_counter() - t0:.0f} s)", flush=True)
    return {"device": args.device, "device_name": name, "arch": arch, "checked": sum(counts.values()), "counts": dict(counts),
            "categories": {c: dict(v) for c, v in sorted(by_cat.items())}, "problems": problems,
            "seconds": round(time.perf_counter() - t0, 1), "start_seed": None if args.dataset else args.start_seed}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="CPU vs CUDA check of generated kernels (the --verify cuda code)")
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--start-seed", type=int, default=10_000_000, help="first generator seed (fresh: not the test seeds)")
    ap.add_argument("--dataset", help="check this dataset's rows instead of fresh kernels")
    ap.add_argument("--device", default="cuda:0")
    ap.add_argument("--category", help="generate only this category (default: the default mix)")
    ap.add_argument("--max-seconds", type=float, default=0.0, help="stop taking new kernels after this long (0: no limit)")
    ap.add_argument("--json", default="gpu_check.json")
    args = ap.parse_args(argv)

    import warp as wp

    from warpsynth import _warp

    _warp.init_quiet()
    if args.device != "cpu" and not wp.is_cuda_available():
        print("gpu_check: no CUDA device is available on this machine (this check runs every kernel on a GPU)")
        return 2
    report = run(args)
    print(f"{report['checked']} kernels, cpu vs {args.device} ({report['device_name']}, {report['arch']}): {report['counts']}")
    for cat, c in report["categories"].items():
        print(f"  {cat:20s} {c}")
    for p in report["problems"][:20]:
        print(f"  seed {p['seed']} {p['category']}: {p['status']} {p['detail']}")
    with open(args.json, "w") as f:
        json.dump(report, f, indent=1)
    return 0 if report["counts"].get("match", 0) == report["checked"] else 1


if __name__ == "__main__":
    sys.exit(main())

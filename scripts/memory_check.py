"""RSS stays flat while one process extracts many distinct kernels (issue 2's memory check).

    .venv/bin/python scripts/memory_check.py -n 20000

Every iteration loads a *different* kernel source (so Warp creates a new module),
extracts CPU+CUDA forward/backward, and releases it. Prints RSS every --every
iterations and the growth between the first and last checkpoint after warm-up.
"""

from __future__ import annotations

import argparse
import time

import psutil

from warpsynth.extract import extract, load_source

TEMPLATE = '''
import warp as wp


@wp.func
def helper_{i}(x: float, y: wp.vec3):
    return x * {a} + wp.length(y) * {b}


@wp.kernel
def kernel_{i}(a: wp.array(dtype=float), v: wp.array(dtype=wp.vec3), out: wp.array(dtype=float)):
    tid = wp.tid()
    s = float(0.0)
    for k in range({loops}):
        s += helper_{i}(a[tid] + float(k), v[tid])
    out[tid] = s
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20000)
    parser.add_argument("--every", type=int, default=2000)
    args = parser.parse_args()
    process = psutil.Process()
    checkpoints = []
    start = time.perf_counter()
    for i in range(args.n):
        source = TEMPLATE.format(i=i, a=1.0 + i * 1e-4, b=0.5 + (i % 97) * 0.01, loops=1 + i % 5)
        with load_source(source, tag=str(i)) as loaded:
            extract(loaded.kernels()[f"kernel_{i}"])
        if (i + 1) % args.every == 0:
            rss = process.memory_info().rss / 2**20
            checkpoints.append(rss)
            rate = (i + 1) / (time.perf_counter() - start)
            print(f"{i + 1:>7} extractions  RSS {rss:8.1f} MiB  {rate:6.1f} kernels/s", flush=True)
    if len(checkpoints) >= 2:
        print(f"RSS growth from checkpoint 1 to {len(checkpoints)}: {checkpoints[-1] - checkpoints[0]:+.1f} MiB")


if __name__ == "__main__":
    main()

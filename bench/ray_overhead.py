"""Ray's overhead: the same generate job through the local executor and through Ray.

    .venv/bin/python bench/ray_overhead.py -n 2000 --shards 8

Both runs use 2 CPUs (2 local worker processes; a local Ray instance with
num_cpus=2) and write to fresh temporary folders; it checks that both produce
the same bytes and prints wall times and the ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from warpsynth.pipeline import generate
from warpsynth.pipeline.executors.ray_cluster import RayExecutor, import_ray


def _bytes(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "data").iterdir())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ray = import_ray()
    with tempfile.TemporaryDirectory() as tmp:
        local, remote = Path(tmp) / "local", Path(tmp) / "ray"
        t0 = time.perf_counter()
        generate(args.n, local, seed=args.seed, shards=args.shards, workers=2, progress=False)
        local_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        init_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        generate(args.n, remote, seed=args.seed, shards=args.shards, executor=RayExecutor(), progress=False)
        ray_s = time.perf_counter() - t0
        ray.shutdown()
        same = _bytes(local) == _bytes(remote)
    print(f"samples {args.n}, shards {args.shards}, 2 CPUs")
    print(f"local executor : {local_s:7.1f} s  {args.n / local_s:6.1f} samples/s")
    print(f"ray executor   : {ray_s:7.1f} s  {args.n / ray_s:6.1f} samples/s  (+ {init_s:.1f} s ray.init)")
    print(f"ray / local    : {ray_s / local_s:.2f}x time; identical output: {same}")


if __name__ == "__main__":
    main()

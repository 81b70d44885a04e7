"""Differential check of Warp's two backends: run a sample of a dataset's kernels on CPU and CUDA.

    .venv/bin/python scripts/gpu_check.py DATASET [-n 200] [--seed 0] [--json out.json]

Picks ``n`` rows that passed at least the run level, rebuilds each program from the
row (``source``, ``kernel_name``, ``launch``, ``seed``), makes the same seeded inputs
on both devices with ``warpsynth.generate.launch``, launches, and compares every
array afterwards: integers exactly, floats within ``--rtol``/``--atol`` (scaled by the
array's magnitude; CUDA's math library, FMA contraction and atomic ordering differ
from the CPU's). Warp compiles the CUDA module itself for the local GPU.

Without a CUDA device it says so and exits with status 2 (tests never need a GPU;
``compare_backends(..., devices=("cpu", "cpu"))`` exercises the same path on CPU).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import sys
from typing import Any

import numpy as np


def _arg_spec(d: dict):
    from warpsynth.generate.program import ArgSpec

    d = dict(d)
    d["shape"] = tuple(d.get("shape") or ())
    d["fields"] = tuple(_arg_spec(f) for f in d.get("fields") or ())
    return ArgSpec(**d)


def program_from_row(row: dict):
    """The KernelProgram a dataset row was generated from (enough of it to launch)."""
    from warpsynth.generate.program import KernelProgram

    launch = json.loads(row["launch"])
    return KernelProgram(
        seed=int(row["seed"]),
        source=row["source"],
        kernel_name=row["kernel_name"],
        category=row.get("category") or "",
        features=tuple(row.get("features") or ()),
        args=tuple(_arg_spec(a) for a in launch["args"]),
        launch_dim=tuple(launch["dim"]),
        config_hash=row.get("config_hash") or "",
        tiled=bool(launch.get("tiled")),
        block_dim=launch.get("block_dim"),
        differentiable=bool(row.get("differentiable")),
    )


def load_rows(folder: str, min_level: str = "run") -> list[dict]:
    levels = ("codegen", "compile", "run", "grad")
    cols = ["source", "kernel_name", "launch", "seed", "category", "verify_level", "differentiable", "config_hash", "cpu_forward"]
    rows: list[dict] = []
    for path in sorted(glob.glob(os.path.join(folder, "data", "**", "*.parquet"), recursive=True)):
        import pyarrow.parquet as pq

        rows.extend(pq.read_table(path, columns=cols).to_pylist())
    for path in sorted(glob.glob(os.path.join(folder, "data", "**", "*.jsonl"), recursive=True)):
        with open(path) as f:
            rows.extend(json.loads(line) for line in f if line.strip())
    return [r for r in rows if levels.index(r.get("verify_level") or "codegen") >= levels.index(min_level)]


def _compare(name: str, a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> dict | None:
    """None when equal within tolerance; else a description of the worst difference."""
    if a.dtype.names:
        for field in a.dtype.names:
            d = _compare(f"{name}.{field}", a[field], b[field], rtol, atol)
            if d:
                return d
        return None
    if a.dtype.kind != "f":
        if np.array_equal(a, b):
            return None
        k = int(np.flatnonzero((a != b).reshape(-1))[0])
        return {"array": name, "index": k, "a": a.reshape(-1)[k].item(), "b": b.reshape(-1)[k].item()}
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    scale = max(1.0, float(np.nanmax(np.abs(a64), initial=0.0)))
    close = np.isclose(a64, b64, rtol=rtol, atol=atol * scale, equal_nan=True)
    if close.all():
        return None
    diff = np.where(close, 0.0, np.abs(a64 - b64))
    k = int(np.nanargmax(diff.reshape(-1)))
    return {"array": name, "index": k, "a": float(a64.reshape(-1)[k]), "b": float(b64.reshape(-1)[k]),
            "max_abs_diff": float(np.nanmax(diff)), "mismatched": int((~close).sum()), "of": int(close.size)}


def check_row(row: dict, devices: tuple[str, str], rtol: float, atol: float) -> dict:
    import warp as wp

    from warpsynth.extract import load_source
    from warpsynth.generate.launch import launch, make_inputs

    program = program_from_row(row)
    out: dict[str, Any] = {"seed": program.seed, "kernel": program.kernel_name, "category": program.category}
    try:
        with load_source(program.source, f"gpu{program.seed}") as loaded:
            kernel = loaded.kernels()[program.kernel_name]
            results = []
            for device in devices:
                values = make_inputs(program, program.seed, kernel, device=device)
                launch(program, kernel, values, device=device)
                results.append([np.array(v.numpy(), copy=True) if isinstance(v, wp.array) else None for v in values])
    except Exception as exc:
        out["status"] = "error"
        out["error"] = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        return out
    atomic = "wp::atomic_" in (row.get("cpu_forward") or "")
    for spec, a, b in zip(program.args, *results):
        if a is None:
            continue
        d = _compare(spec.name, a, b, rtol * (10 if atomic else 1), atol)
        if d:
            out.update(status="mismatch", detail=d)
            return out
    out["status"] = "match"
    return out


def compare_backends(rows: list[dict], devices: tuple[str, str] = ("cpu", "cuda:0"), n: int = 200, seed: int = 0,
                     rtol: float = 1e-4, atol: float = 1e-5) -> dict:
    picked = random.Random(seed).sample(rows, min(n, len(rows)))
    checks = [check_row(r, devices, rtol, atol) for r in picked]
    counts: dict[str, int] = {}
    for c in checks:
        counts[c["status"]] = counts.get(c["status"], 0) + 1
    by_cat: dict[str, dict[str, int]] = {}
    for c in checks:
        by_cat.setdefault(c["category"], {}).setdefault(c["status"], 0)
        by_cat[c["category"]][c["status"]] += 1
    return {"devices": list(devices), "checked": len(checks), "counts": counts, "categories": by_cat,
            "problems": [c for c in checks if c["status"] != "match"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="CPU vs CUDA differential check of a dataset's kernels")
    ap.add_argument("folder")
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rtol", type=float, default=1e-4)
    ap.add_argument("--atol", type=float, default=1e-5)
    ap.add_argument("--device", default="cuda:0")
    ap.add_argument("--json")
    args = ap.parse_args(argv)

    import warp as wp

    from warpsynth import _warp

    _warp.init_quiet()
    if not wp.is_cuda_available():
        print("gpu_check: no CUDA device available; nothing to compare (this check needs a GPU)")
        return 2
    rows = load_rows(args.folder)
    report = compare_backends(rows, ("cpu", args.device), args.n, args.seed, args.rtol, args.atol)
    report["gpu"] = wp.get_device(args.device).name
    print(f"{report['checked']} kernels on cpu vs {args.device} ({report['gpu']}): {report['counts']}")
    for cat, c in sorted(report["categories"].items()):
        print(f"  {cat:20s} {c}")
    for p in report["problems"][:20]:
        print(f"  seed {p['seed']} {p['category']}: {p['status']} {p.get('detail') or p.get('error')}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0 if report["counts"].get("error", 0) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

"""Rebuild launchable programs from dataset rows (``source``, ``kernel_name``, ``launch``, ``seed``)."""

from __future__ import annotations

import glob
import json
import os

from warpsynth.generate.program import ArgSpec, KernelProgram
from warpsynth.verify.api import LEVELS


def _arg_spec(d: dict) -> ArgSpec:
    d = dict(d)
    d["shape"] = tuple(d.get("shape") or ())
    d["fields"] = tuple(_arg_spec(f) for f in d.get("fields") or ())
    return ArgSpec(**d)


def program_from_row(row: dict) -> KernelProgram:
    """The KernelProgram a generated row came from (enough of it to make its inputs and launch it)."""
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


def load_programs(folder: str, n: int | None = None, min_level: str = "codegen") -> list[KernelProgram]:
    """Programs of the first ``n`` generated rows (Parquet or JSONL shards, in file order) at ``min_level`` or above."""
    cols = ["source", "kernel_name", "launch", "seed", "category", "features", "verify_level", "differentiable", "config_hash"]
    rows: list[dict] = []
    for path in sorted(glob.glob(os.path.join(folder, "data", "**", "*.parquet"), recursive=True)):
        import pyarrow.parquet as pq

        rows.extend(pq.read_table(path, columns=cols).to_pylist())
    for path in sorted(glob.glob(os.path.join(folder, "data", "**", "*.jsonl"), recursive=True)):
        with open(path) as f:
            rows.extend(json.loads(line) for line in f if line.strip())
    rows = [r for r in rows if r.get("launch") and LEVELS.index(r.get("verify_level") or "codegen") >= LEVELS.index(min_level)]
    return [program_from_row(r) for r in rows[:n]]

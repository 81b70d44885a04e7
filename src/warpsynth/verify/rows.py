"""Rebuild launchable programs from dataset rows (``source``, ``kernel_name``, ``launch``, ``seed``)."""

from __future__ import annotations

import json

from warpsynth.dataset.folder import all_files
from warpsynth.dataset.io import iter_batches
from warpsynth.dataset.levels import level_index
from warpsynth.generate.program import ArgSpec, KernelProgram


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
    least = level_index(min_level)
    programs: list[KernelProgram] = []
    for path in all_files(folder):  # WarpsynthError for a folder that is no dataset
        for batch in iter_batches(path, columns=cols):
            for row in batch.to_pylist():
                if n is not None and len(programs) >= n:
                    return programs
                if row.get("launch") and level_index(row.get("verify_level") or "codegen") >= least:
                    programs.append(program_from_row(row))
    return programs

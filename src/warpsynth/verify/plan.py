"""The one ordered list of verification stages, and ``verify_samples`` that runs a level's plan.

A level's plan is every stage of ``STAGES`` that lists it in ``levels``, in order. Stages
that serve a level and all later ones say so with ``stages.from_level``, so a new level is
a name appended to ``dataset.levels.LEVELS`` (it inherits those stages) plus its own stage here; a
check that applies at every level is one stage with ``levels = frozenset(LEVELS)``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import Any

from warpsynth import _warp
from warpsynth.verify.chunk import Chunk, SampleState, cpu_seconds
from warpsynth.verify.gpu_stages import CudaCompare, RaceCheck
from warpsynth.verify.launches import DebugLaunches
from warpsynth.dataset.levels import level_index
from warpsynth.verify.options import VerifyOptions, VerifyResult, default_pch_dir
from warpsynth.verify.stages import CodegenCheck, DebugBuild, KernelPtx, Stage, WarpBuild

STAGES: tuple[Stage, ...] = (
    CodegenCheck(), RaceCheck(), WarpBuild(), DebugBuild(), KernelPtx(), DebugLaunches(), CudaCompare(),
)


def plan(level: str, stages: tuple[Stage, ...] = STAGES) -> list[Stage]:
    """The stages that verify up to ``level``, in order; ValueError if one needs an artifact no
    earlier stage of the plan provides (or ``level`` is unknown)."""
    level_index(level)
    chosen = [s for s in stages if level in s.levels]
    provided: set[str] = set()
    for s in chosen:
        missing = set(s.needs) - provided
        if missing:
            raise ValueError(f"verify plan {level!r}: stage {s.name} needs {sorted(missing)}, which no earlier stage provides")
        provided |= set(s.provides)
    return chosen


def _run_stage(stage: Stage, chunk: Chunk) -> None:
    """Run one stage; charge its CPU time (this process + children) to levels, spread over the samples
    it started with, as ``cpu_<level>`` timing keys (split by the wall time of its timing keys)."""
    alive = chunk.alive()
    before = {k: sum(s.ms.get(k, 0.0) for s in chunk.samples) for k in stage.timing_levels}
    c0 = cpu_seconds()
    stage.run(chunk)
    cpu = cpu_seconds() - c0
    if stage.grants:
        for i in chunk.alive():
            chunk.passed(i, stage.grants)
    if not alive:
        return
    share: dict[str, float] = {}
    for key, level in stage.timing_levels.items():
        share[level] = share.get(level, 0.0) + sum(s.ms.get(key, 0.0) for s in chunk.samples) - before[key]
    total = sum(share.values())
    for level, wall in share.items():
        part = cpu * (wall / total if total > 0 else 1.0 / len(share))
        for i in alive:
            chunk.add_ms(i, f"cpu_{level}", part / len(alive))


def verify_samples(samples: list[tuple[Any, dict]], level: str = "codegen", options: VerifyOptions | None = None,
                   stages: tuple[Stage, ...] = STAGES) -> list[VerifyResult]:
    """Verify a chunk of ``(KernelProgram, row)`` samples up to ``level``; one result per sample, in order.

    ``level``: one of ``dataset.levels.LEVELS``; ``stages``: the ordered stage list to plan from (default
    ``STAGES``). Raises ValueError for an unknown level or an inconsistent plan. Compile errors,
    failed checks and crashed launches are per-sample rejects, never exceptions.
    """
    stages = plan(level, stages)
    opts = options or VerifyOptions()
    _warp.init_quiet()
    own_dir = opts.work_dir is None
    work_dir = tempfile.mkdtemp(prefix="warpsynth-verify-") if own_dir else opts.work_dir
    os.makedirs(work_dir, exist_ok=True)
    pch_dir = opts.pch_dir or default_pch_dir()
    os.makedirs(pch_dir, exist_ok=True)
    chunk = Chunk([SampleState(p, r) for p, r in samples], level, opts, work_dir, pch_dir)
    try:
        for stage in stages:
            _run_stage(stage, chunk)
    finally:
        if own_dir:
            shutil.rmtree(work_dir, ignore_errors=True)
    results = []
    for s in chunk.samples:
        cols = dict(s.columns)
        cols["verify_level"] = s.level
        cols["verify_ms"] = json.dumps(s.ms, sort_keys=True, separators=(",", ":"))
        results.append(VerifyResult(s.level, s.reject, dict(s.ms), cols))
    return results

"""The two stages that make a sample correct on a GPU, not only on the CPU (docs/verification.md).

``RaceCheck`` runs at every level, right after ``CodegenCheck``: the static proof of
``races.check_races`` that every array access is race-free and every tile kernel's side
effects are block_dim-independent (the CPU runs a launch's threads one after another, so no
CPU level can see either). ``CudaCompare`` is the ``cuda`` level: the same seeded inputs on
a CUDA device and on the CPU, forward results and adjoints compared (``cuda.compare_on_device``).
"""

from __future__ import annotations

import time

from warpsynth.verify.chunk import Chunk
from warpsynth.verify.cuda import compare_on_device
from warpsynth.dataset.levels import LEVELS
from warpsynth.verify.races import check_races
from warpsynth.verify.stages import Stage


class RaceCheck(Stage):
    """Every level: reject at stage "race" with the check's first one-line problem."""

    name = "race"
    levels = frozenset(LEVELS)
    timing_levels = {"race": "codegen"}

    def run(self, chunk: Chunk) -> None:
        for i in chunk.alive():
            row = chunk.samples[i].row
            t0 = time.perf_counter()
            problems = check_races(row["source"], row["kernel_name"], row.get("launch"))
            chunk.add_ms(i, "race", time.perf_counter() - t0)
            if problems:
                chunk.fail(i, "race", problems[0])


class CudaCompare(Stage):
    """cuda: same results on ``opts.cuda_device`` as on the CPU; records the device and its arch."""

    name = "cuda"
    levels = frozenset({"cuda"})
    grants = "cuda"
    needs = ("changed_outputs",)  # after the run checks (DebugLaunches) passed
    timing_levels = {"cuda": "cuda"}

    def run(self, chunk: Chunk) -> None:
        opts = chunk.opts
        for i in chunk.alive():
            program = chunk.samples[i].program
            t0 = time.perf_counter()
            cmp = compare_on_device(program, opts.cuda_device, seed=program.seed + opts.input_seed_offset, grad=opts.backward)
            chunk.add_ms(i, "cuda", time.perf_counter() - t0)
            if not cmp.ok:
                chunk.fail(i, "cuda", f"{cmp.status} on {cmp.device} ({cmp.arch}): {cmp.detail}")
                continue
            chunk.samples[i].columns.update(verified_cuda_device=cmp.device, verified_cuda_arch=cmp.arch)

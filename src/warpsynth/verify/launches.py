"""The stages that launch kernels: the run and grad levels (docs/verification.md)."""

from __future__ import annotations

import time

from warpsynth.verify import execute
from warpsynth.verify.chunk import Chunk
from warpsynth.verify.debug import DebugJob, DebugOutcome, run_debug_pass
from warpsynth.verify.options import ADJOINT_SHAPE_RESET, cpu_block_dim
from warpsynth.verify.stages import Stage, from_level


def _job(chunk: Chunk, i: int) -> DebugJob:
    s, opts = chunk.samples[i], chunk.opts
    backward = chunk.checks_gradient(i)
    return DebugJob(
        index=i, program=s.program, mangled_name=s.row["mangled_name"], obj_path=s.artifacts["cpu_debug_object"],
        block_dim=cpu_block_dim(s.row),
        seed=s.program.seed + opts.input_seed_offset, backward=backward, grad=backward,
        primal_grad=bool(ADJOINT_SHAPE_RESET.search(s.row.get("cpu_backward") or "")),
        atomic="wp::atomic_" in (s.row.get("cpu_forward") or ""), atomic_rtol=opts.atomic_rtol,
        atomic_atol=opts.atomic_atol, tolerances=opts.grad,
    )


def _set_grad_columns(chunk: Chunk, i: int, differentiable: bool, max_rel_err: float | None) -> None:
    chunk.samples[i].columns["differentiable"] = differentiable
    chunk.samples[i].columns["grad_max_rel_err"] = max_rel_err


class DebugLaunches(Stage):
    """run (and grad): every launch in a child process, from the debug-mode object.

    Per sample: ``execute.run_checks`` (two bounds-checked launches on fresh seeded inputs:
    out-of-bounds, NaN/Inf, bitwise determinism, I/O examples); for grad, the bounds-checked
    adjoint launch and ``execute.grad_check`` (tape vs finite differences). Kernels whose
    adjoint resets ``adj_x.shape`` (``ADJOINT_SHAPE_RESET``) take their adjoint through
    ``execute.PrimalGradTape``, so its bounds checks read the primal arrays' shapes. An abort
    (failed bounds assert) or a hang rejects the sample at the level of the phase it was in.
    """

    name = "debug_launches"
    levels = from_level("run")
    needs = ("cpu_debug_object",)
    provides = ("changed_outputs",)
    timing_levels = {"run_debug": "run", "run": "run", "grad": "grad"}

    def run(self, chunk: Chunk) -> None:
        if "cpu" not in chunk.opts.targets:
            for i in chunk.alive():
                chunk.fail(i, "run", "run/grad levels need the cpu target")
            return
        jobs = [_job(chunk, i) for i in chunk.alive()]
        if not jobs:
            return
        t0 = time.perf_counter()
        outcomes = run_debug_pass(jobs, chunk.work_dir, chunk.opts.debug_timeout_s)
        wall = time.perf_counter() - t0
        for job in jobs:
            self._record(chunk, job, outcomes.get(job.index, DebugOutcome()))
        phases = sum(chunk.samples[j.index].ms.get(k, 0.0) for j in jobs for k in ("run", "grad")) / 1000.0
        for job in jobs:  # the child's start-up and loads: whatever the phases did not account for
            chunk.add_ms(job.index, "run_debug", max(0.0, wall - phases) / len(jobs))

    def _record(self, chunk: Chunk, job: DebugJob, o: DebugOutcome) -> None:
        i = job.index
        phase, reason = o.failure or (None, None)
        if o.run:
            chunk.add_ms(i, "run", o.run.get("s", 0.0))
        if o.grad:
            chunk.add_ms(i, "grad", o.grad.get("s", 0.0))
        if phase in ("forward", "run") or o.run is None or o.run["reject"]:
            chunk.fail(i, "run", reason or (o.run or {}).get("reject") or "no run result from the debug child")
            return
        chunk.samples[i].columns["io_examples"] = execute.io_json(o.run["io_examples"])
        chunk.samples[i].artifacts["changed_outputs"] = o.run["changed"]
        chunk.passed(i, "run")
        if not chunk.reaches("grad"):
            return
        if not chunk.opts.backward:
            _set_grad_columns(chunk, i, False, None)  # backward code not generated
        elif not chunk.samples[i].program.differentiable:
            _set_grad_columns(chunk, i, False, None)  # the generator marked it non-differentiable
        elif phase in ("backward", "grad"):
            _set_grad_columns(chunk, i, True, None)  # never run adjoint code that reads out of bounds again
            chunk.fail(i, "grad", reason)
        elif o.grad is not None:
            _set_grad_columns(chunk, i, o.grad["differentiable"], o.grad["max_rel_err"])
            if o.grad["reject"]:
                chunk.fail(i, "grad", o.grad["reject"])
            elif o.grad["differentiable"] and o.grad["checked"] > 0:
                chunk.passed(i, "grad")

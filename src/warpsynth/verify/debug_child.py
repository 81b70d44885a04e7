"""The debug child's side (``python -m warpsynth.verify.debug_child``): launches from debug objects.

A long-lived process, one per verifying worker (``debug.run_debug_pass`` starts it and
restarts it after it dies). Each line on stdin names a jobs pickle and a progress file;
for each job the child notes its phases in the progress file (flushed before each
launch, see ``warpsynth.verify.debug``) and ends the batch with a ``done`` line.
"""

from __future__ import annotations

import itertools
import json
import os
import pickle
import sys
import time

from warpsynth.verify.debug import DebugJob

_serial = itertools.count()  # unique module names over the child's life


def _launch_job(job: DebugJob, kernel, note) -> None:
    """The launches of one job, each phase noted before it starts (see the module docstring)."""
    import warp as wp

    from warpsynth.generate.launch import launch, make_inputs
    from warpsynth.verify import execute

    t0 = time.perf_counter()
    # run_checks' launches are the bounds-checked ones: an out-of-bounds access aborts in phase "run"
    note(f"run {job.index}")
    run = execute.run_checks(job.program, kernel, job.seed, job.atomic, job.atomic_rtol, job.atomic_atol)
    note(f"res {job.index} " + json.dumps({"reject": run.reject, "io_examples": run.io_examples, "changed": run.changed,
                                           "s": time.perf_counter() - t0}))
    if run.reject:
        return
    t1 = time.perf_counter()
    if job.backward:
        values = make_inputs(job.program, job.seed, kernel)
        for v in values:
            if isinstance(v, wp.array) and v.numpy().dtype.kind == "f":
                v.requires_grad = True
        tape = execute.make_tape(job.primal_grad)
        with tape:
            launch(job.program, kernel, values, device="cpu")
        for v in values:
            if isinstance(v, wp.array) and v.grad is not None:
                v.grad.fill_(1.0)
        note(f"bwd {job.index}")
        tape.backward()
        if job.grad:
            note(f"grad {job.index}")
            g = execute.grad_check(job.program, kernel, job.seed, run.changed, job.tolerances or execute.GradTolerances(),
                                   primal_grad=job.primal_grad)
            note(f"gres {job.index} " + json.dumps({"differentiable": g.differentiable, "reject": g.reject,
                                                    "max_rel_err": g.max_rel_err, "checked": g.checked, "note": g.note,
                                                    "s": time.perf_counter() - t1}))


def run_batch(jobs_path: str, progress_path: str) -> None:
    """Run one batch of jobs, noting progress; ends with a ``done`` line."""
    from warpsynth import _warp
    from warpsynth.extract import load_source

    with open(jobs_path, "rb") as f:
        jobs: list[DebugJob] = pickle.load(f)
    objects: dict[str, _warp.SharedCpuObject] = {}  # per batch object: linked once, serves every job in it
    progress = open(progress_path, "a", buffering=1)

    def note(line: str) -> None:  # flushed: in the kernel before the next launch, so an abort keeps it
        progress.write(line + "\n")
        progress.flush()

    for job in jobs:
        note(f"begin {job.index}")
        try:
            with load_source(job.program.source, f"dbg{next(_serial)}") as loaded:
                kernel = loaded.kernels().get(job.program.kernel_name)
                if kernel is None:
                    raise RuntimeError(f"kernel {job.program.kernel_name!r} not defined by the source")
                launched = _warp.launch_mangled_name(kernel, job.block_dim)
                if launched != job.mangled_name:
                    raise RuntimeError(f"re-executed kernel is {launched}, row stores {job.mangled_name}")
                shared = objects.get(job.obj_path)
                if shared is None:
                    meta = job.obj_path + ".meta"
                    with open(meta, "w") as f:
                        json.dump({}, f)
                    shared = objects[job.obj_path] = _warp.SharedCpuObject(job.obj_path, meta)
                shared.load(kernel.module, job.block_dim)
                try:
                    _launch_job(job, kernel, note)
                finally:
                    shared.release(kernel.module)
        except Exception as exc:
            note(f"err {job.index} {type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
            continue
        note(f"ok {job.index}")
    for shared in objects.values():
        shared.close()
    note("done")
    progress.close()


def _die_with_parent() -> None:
    """Linux: have the kernel kill this child when its parent dies, even mid-launch (a hung kernel
    never reads stdin again, so stdin's EOF alone would not end it)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main() -> int:
    from warpsynth import _warp

    _die_with_parent()
    _warp.init_quiet()
    for line in sys.stdin:
        jobs_path, _, progress_path = line.rstrip("\n").partition("\t")
        if jobs_path:
            run_batch(jobs_path, progress_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

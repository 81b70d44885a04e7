"""The out-of-bounds pass: launch samples from a debug-mode object in a child process.

In debug mode Warp's array accessors ``assert`` their bounds; on the CPU a failed
assert prints ``Assertion failed: '<expr>'`` and aborts the process. The pass
therefore runs in a child (``python -m warpsynth.verify.debug JOBS PROGRESS``)
that writes ``begin i`` / ``ok i`` / ``err i reason`` lines to a progress file,
flushed before each launch. When the child dies, the sample it had begun is the
culprit; the parent rejects it and restarts the child on the samples after it.
"""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

#: extra time the child gets before its first progress line (importing Warp on a loaded machine)
STARTUP_GRACE_S = 120.0

_INDEX_MSG = re.compile(r"\b(\w+) index (-?\d+) out of bounds")
_ASSERT = re.compile(r"Assertion failed: '([^']*)'\s*\n\s*At '([^']*)'")


@dataclass
class DebugJob:
    index: int
    program: object  # KernelProgram
    mangled_name: str
    obj_path: str
    block_dim: int
    seed: int
    backward: bool


def _reason_from_stderr(stderr: str, returncode: int) -> str:
    m = _ASSERT.search(stderr)
    idx = _INDEX_MSG.search(stderr)
    if m and idx:  # vec/mat/quat component index checks print the index before assert(0)
        return f"{idx.group(1)} component index {idx.group(2)} out of bounds (debug mode): at {os.path.basename(m.group(2))}"
    if m:
        where = os.path.basename(m.group(2))
        expr = m.group(1)
        kind = "out-of-bounds array access" if "shape" in expr else "debug assertion failed"
        return f"{kind} (debug mode): assert '{expr}' at {where}"
    if returncode < 0:
        return f"process killed by signal {-returncode} during launch (debug mode)"
    tail = " ".join(stderr.strip().splitlines()[-1:])[:200]
    return f"launch process exited with status {returncode} (debug mode){': ' + tail if tail else ''}"


def _run_child(jobs_path: str, progress_path: str, err, timeout_s: float, env: dict) -> tuple[int, bool]:
    """Run the child; kill it when its progress file has not grown for ``timeout_s`` seconds.

    The clock restarts at every progress line, so a slow (shared, loaded) machine stretches
    the whole pass without a long chunk being mistaken for a hung launch.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "warpsynth.verify.debug", jobs_path, progress_path],
        stdout=err,  # Warp's debug checks printf details (e.g. the bad index) to stdout
        stderr=err,
        env=env,
    )
    last_size, last_change = -1, time.monotonic()
    while True:
        try:
            return proc.wait(timeout=0.2), False
        except subprocess.TimeoutExpired:
            pass
        size = os.path.getsize(progress_path) if os.path.exists(progress_path) else 0
        now = time.monotonic()
        if size != last_size:
            last_size, last_change = size, now
        elif now - last_change > timeout_s + (STARTUP_GRACE_S if last_size <= 0 else 0.0):
            proc.kill()
            proc.wait()
            return -9, True


def run_debug_pass(jobs: list[DebugJob], work_dir: str, timeout_s: float) -> dict[int, tuple[str, str]]:
    """Launch every job once in debug mode; return {index: (phase, one-line reason)} for failures.

    ``phase`` is "forward" or "backward" (the adjoint launch, for jobs with ``backward``).
    """
    failures: dict[int, tuple[str, str]] = {}
    pending = list(jobs)
    attempt = 0
    while pending:
        attempt += 1
        jobs_path = os.path.join(work_dir, f"debug_jobs_{os.getpid()}_{attempt}.pkl")
        progress_path = jobs_path[:-4] + ".progress"
        with open(jobs_path, "wb") as f:
            pickle.dump(pending, f)
        env = dict(os.environ)
        env.setdefault("PYTHONFAULTHANDLER", "0")
        with tempfile.TemporaryFile(mode="w+") as err:
            returncode, timed_out = _run_child(jobs_path, progress_path, err, timeout_s, env)
            err.seek(0)
            stderr = err.read()
        begun, phase, finished = None, "forward", set()
        if os.path.exists(progress_path):
            with open(progress_path) as f:
                for line in f:
                    parts = line.rstrip("\n").split(" ", 2)
                    if len(parts) < 2:
                        continue
                    tag, idx = parts[0], int(parts[1])
                    if tag == "begin":
                        begun, phase = idx, "forward"
                    elif tag == "bwd":
                        phase = "backward"
                    elif tag == "ok":
                        finished.add(idx)
                    elif tag == "err":
                        finished.add(idx)
                        failures[idx] = (phase, parts[2] if len(parts) > 2 else "launch failed (debug mode)")
        if returncode == 0 and not timed_out:
            missing = [j.index for j in pending if j.index not in finished]
            for idx in missing:  # the child exited cleanly without reaching them: a bug, not a sample failure
                failures[idx] = ("forward", "debug launch process ended before this sample")
            break
        if begun is None or begun in finished:
            # died outside a launch (start-up): fail the whole remainder with the reason
            reason = _reason_from_stderr(stderr, returncode)
            for j in pending:
                if j.index not in finished:
                    failures[j.index] = ("forward", f"debug pass could not run: {reason}")
            break
        reason = f"launch timed out after {timeout_s:.0f}s (debug mode)" if timed_out else _reason_from_stderr(stderr, returncode)
        if phase == "backward":
            reason = reason.replace("(debug mode)", "in the backward (adjoint) launch (debug mode)")
        failures[begun] = (phase, reason)
        order = [j.index for j in pending]
        pending = pending[order.index(begun) + 1 :]
        pending = [j for j in pending if j.index not in finished]
    return failures


def _worker(jobs_path: str, progress_path: str) -> int:
    import json

    import warp as wp

    from warpsynth import _warp
    from warpsynth.extract import load_source
    from warpsynth.generate.launch import launch, make_inputs

    _warp.init_quiet()
    with open(jobs_path, "rb") as f:
        jobs: list[DebugJob] = pickle.load(f)
    metas: dict[str, str] = {}
    progress = open(progress_path, "a", buffering=1)

    def note(line: str) -> None:
        progress.write(line + "\n")
        progress.flush()
        os.fsync(progress.fileno())

    for job in jobs:
        note(f"begin {job.index}")
        try:
            with load_source(job.program.source, f"dbg{job.index}") as loaded:
                kernel = loaded.kernels()[job.program.kernel_name]
                if _warp.launch_mangled_name(kernel, job.block_dim) != job.mangled_name:
                    raise RuntimeError(f"re-executed kernel is {_warp.launch_mangled_name(kernel, job.block_dim)}, stored {job.mangled_name}")
                meta = metas.get(job.obj_path)
                if meta is None:
                    meta = metas[job.obj_path] = job.obj_path + ".meta"
                    with open(meta, "w") as f:
                        json.dump({}, f)
                _warp.load_cpu_object(kernel.module, job.obj_path, meta, job.block_dim)
                values = make_inputs(job.program, job.seed, kernel)
                if job.backward:
                    for v in values:
                        if isinstance(v, wp.array) and v.numpy().dtype.kind == "f":
                            v.requires_grad = True
                    tape = wp.Tape()
                    with tape:
                        launch(job.program, kernel, values, device="cpu")
                    for v in values:
                        if isinstance(v, wp.array) and v.grad is not None:
                            v.grad.fill_(1.0)
                    note(f"bwd {job.index}")
                    tape.backward()
                else:
                    launch(job.program, kernel, values, device="cpu")
        except Exception as exc:
            note(f"err {job.index} {' '.join(str(exc).split())[:300]}")
            continue
        note(f"ok {job.index}")
    progress.close()
    return 0


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1], sys.argv[2]))

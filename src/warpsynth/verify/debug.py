"""Every launch of the run and grad levels, from a debug-mode object, in a child process.

In debug mode Warp's array accessors ``assert`` their bounds; on the CPU a failed
assert prints ``Assertion failed: '<expr>'`` and aborts the process. The launches
therefore run in a child process (``debug_child.py``, one long-lived child per
verifying process, restarted when it dies) that writes one line per phase to a progress
file, flushed before each launch: ``begin i`` (loading the sample), ``run i``
(``execute.run_checks``: its launches are the bounds-checked forward launches),
``res i JSON`` (its outcome), ``bwd i`` (the adjoint launch on all-ones output
gradients), ``grad i`` (``execute.grad_check``), ``gres i JSON``, ``ok i`` and
``err i reason``. When the child dies, the sample it had begun is the culprit, in the
phase it had reached; the parent records it and restarts the child on the samples
after it. The object is built once per sample (debug mode, see ``stages.DebugBuild``);
nothing is launched in the worker.
"""

from __future__ import annotations

import atexit
import json
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
    backward: bool  # launch the adjoint (bounds-checked) and, when ``grad``, check it against FD
    grad: bool = False  # execute.grad_check in this child
    primal_grad: bool = False  # take the adjoint with execute.PrimalGradTape (ADJOINT_SHAPE_RESET kernels)
    atomic: bool = False
    atomic_rtol: float = 1e-5
    atomic_atol: float = 1e-6
    tolerances: object = None  # execute.GradTolerances


@dataclass
class DebugOutcome:
    """What the child found for one job: failures by phase, run and grad outcomes (JSON dicts)."""

    failure: tuple[str, str] | None = None  # (phase: forward | run | backward | grad, reason)
    run: dict | None = None  # {"reject", "io_examples", "changed"}
    grad: dict | None = None  # {"differentiable", "reject", "max_rel_err", "checked", "note"}


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
    # forward-only objects make Warp's load report the adjoint symbol it looked up and did not need
    lines = [ln for ln in stderr.strip().splitlines() if not ln.startswith("Failed to lookup symbol")]
    tail = " ".join(lines[-1:])[:200]
    return f"launch process exited with status {returncode} (debug mode){': ' + tail if tail else ''}"


#: a child serves this many jobs, then a fresh one starts (bounds what long runs accumulate in it)
CHILD_MAX_JOBS = 2048
_POLL_S = 0.02


class _Child:
    """The long-lived debug child of this process (``python -m warpsynth.verify.debug_child``).

    Its stdout and stderr (Warp's assert messages and debug printfs) go to a log file;
    ``log_since(offset)`` returns what one batch wrote. Started on first use, replaced when
    it dies or is killed; it exits on its own when this process closes its stdin (or dies).
    """

    def __init__(self) -> None:
        env = dict(os.environ)
        env.setdefault("PYTHONFAULTHANDLER", "0")
        self.owner = os.getpid()
        self.jobs = 0
        self.batches = 0
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "warpsynth.verify.debug_child"], stdin=subprocess.PIPE,
                                     stdout=self.log, stderr=self.log, env=env, text=True)

    def submit(self, jobs_path: str, progress_path: str, n_jobs: int) -> int:
        """Start a batch; returns the log offset where its output begins."""
        self.log.seek(0, os.SEEK_END)
        offset = self.log.tell()
        self.proc.stdin.write(f"{jobs_path}\t{progress_path}\n")
        self.proc.stdin.flush()
        self.jobs += n_jobs
        return offset

    def log_since(self, offset: int) -> str:
        self.log.seek(offset)
        return self.log.read()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.log.close()


_child: _Child | None = None


def _get_child() -> _Child:
    global _child
    if _child is not None and (_child.owner != os.getpid() or _child.proc.poll() is not None or _child.jobs >= CHILD_MAX_JOBS):
        if _child.owner == os.getpid():
            _child.close()
        _child = None
    if _child is None:
        _child = _Child()
    return _child


def live_child_cpu_seconds() -> float:
    """CPU seconds (user + system) used so far by this process's live debug child; 0 when none.

    ``getrusage(RUSAGE_CHILDREN)`` counts a child only once it has been waited for, which a
    long-lived child is not; Linux ``/proc/<pid>/stat`` gives its running total.
    """
    if _child is None or _child.owner != os.getpid() or _child.proc.poll() is not None:
        return 0.0
    try:
        with open(f"/proc/{_child.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


@atexit.register
def _close_child() -> None:
    if _child is not None and _child.owner == os.getpid():
        _child.close()


def _done(progress_path: str) -> bool:
    try:
        with open(progress_path, "rb") as f:
            f.seek(max(0, os.path.getsize(progress_path) - 5))
            return f.read() == b"done\n"
    except OSError:
        return False


def _run_batch(jobs_path: str, progress_path: str, n_jobs: int, timeout_s: float) -> tuple[int, bool, str]:
    """Run one batch in the child; (0 | its exit status, timed out, its log output).

    The child is killed when the progress file has not grown for ``timeout_s`` seconds; the clock
    restarts at every progress line, so a slow (shared, loaded) machine stretches the whole pass
    without a long chunk being mistaken for a hung launch.
    """
    child = _get_child()
    grace = STARTUP_GRACE_S if child.batches == 0 else 0.0
    offset = child.submit(jobs_path, progress_path, n_jobs)
    last_size, last_change = -1, time.monotonic()
    while True:
        code = child.proc.poll()
        if _done(progress_path):
            child.batches += 1
            return 0, False, child.log_since(offset)
        if code is not None:
            return code if code != 0 else 1, False, child.log_since(offset)
        size = os.path.getsize(progress_path) if os.path.exists(progress_path) else 0
        now = time.monotonic()
        if size != last_size:
            last_size, last_change = size, now
        elif now - last_change > timeout_s + (grace if last_size <= 0 else 0.0):
            child.proc.kill()
            child.proc.wait()
            return -9, True, child.log_since(offset)
        time.sleep(_POLL_S)


_PHASE_OF_TAG = {"begin": "forward", "run": "run", "bwd": "backward", "grad": "grad"}


def _read_progress(path: str, outcomes: dict[int, DebugOutcome]) -> tuple[int | None, str, set[int]]:
    """Parse a progress file into ``outcomes``; return (last begun index, its phase, finished indices)."""
    begun, phase, finished = None, "forward", set()
    if not os.path.exists(path):
        return begun, phase, finished
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) < 2:
                continue
            tag, idx = parts[0], int(parts[1])
            outcome = outcomes.setdefault(idx, DebugOutcome())
            if tag == "begin":
                begun = idx
            if tag in _PHASE_OF_TAG:
                phase = _PHASE_OF_TAG[tag]
            elif tag == "res":
                outcome.run = json.loads(parts[2])
            elif tag == "gres":
                outcome.grad = json.loads(parts[2])
            elif tag == "ok":
                finished.add(idx)
            elif tag == "err":
                finished.add(idx)
                outcome.failure = (phase, parts[2] if len(parts) > 2 else "launch failed (debug mode)")
    return begun, phase, finished


def run_debug_pass(jobs: list[DebugJob], work_dir: str, timeout_s: float) -> dict[int, DebugOutcome]:
    """Run every job's launches in debug mode in a child; return {index: DebugOutcome}.

    A failure's phase is "forward" (the bounds-checked forward launch), "run" (the run
    checks' launches), "backward" (the adjoint launch) or "grad" (the gradient check's launches).
    """
    outcomes: dict[int, DebugOutcome] = {}
    pending = list(jobs)
    attempt = 0
    while pending:
        attempt += 1
        jobs_path = os.path.join(work_dir, f"debug_jobs_{os.getpid()}_{attempt}.pkl")
        progress_path = jobs_path[:-4] + ".progress"
        with open(jobs_path, "wb") as f:
            pickle.dump(pending, f)
        returncode, timed_out, stderr = _run_batch(jobs_path, progress_path, len(pending), timeout_s)
        begun, phase, finished = _read_progress(progress_path, outcomes)
        if returncode == 0 and not timed_out:
            for j in pending:  # the child exited cleanly without reaching them: a bug, not a sample failure
                if j.index not in finished:
                    outcomes.setdefault(j.index, DebugOutcome()).failure = ("forward", "debug launch process ended before this sample")
            break
        if begun is None or begun in finished:
            # died outside a launch (start-up): fail the whole remainder with the reason
            reason = _reason_from_stderr(stderr, returncode)
            for j in pending:
                if j.index not in finished:
                    outcomes.setdefault(j.index, DebugOutcome()).failure = ("forward", f"debug pass could not run: {reason}")
            break
        reason = f"launch timed out after {timeout_s:.0f}s (debug mode)" if timed_out else _reason_from_stderr(stderr, returncode)
        if phase in ("backward", "grad"):
            reason = reason.replace("(debug mode)", "in the backward (adjoint) launch (debug mode)" if phase == "backward" else "in the gradient check (debug mode)")
        outcomes.setdefault(begun, DebugOutcome()).failure = (phase, reason)
        order = [j.index for j in pending]
        pending = [j for j in pending[order.index(begun) + 1 :] if j.index not in finished]
    return outcomes

"""Batched compilation of stored sample code, with bisection of failing batches.

The CPU text is compiled to an object with Warp's bundled clang, the CUDA text
to PTX with Warp's bundled NVRTC, both through ``warpsynth._warp``. What is
compiled is the row's stored text, verbatim, under Warp's module preamble.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

from warpsynth import _warp
from warpsynth.verify.units import Batch, Unit, make_batches

_serial = itertools.count(1)  # unique source/object names across calls in one process
_LOCATED_ERROR = re.compile(r"\.(?:cpp|cu)(?::\d+:\d+|\(\d+\)):\s*(?:fatal )?error\b")
_ERROR_LINE = re.compile(r"(?:error|fatal error)\b[:(]?.*", re.IGNORECASE)


@contextlib.contextmanager
def captured_native_output() -> Iterator[list[str]]:
    """Capture what native code (clang, NVRTC) writes to fds 1 and 2; yields a 1-item list."""
    holder: list[str] = [""]
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        saved = [os.dup(1), os.dup(2)]
        try:
            for fd in (1, 2):
                os.dup2(tmp.fileno(), fd)
            yield holder
        finally:
            for fd, old in zip((1, 2), saved):
                os.dup2(old, fd)
                os.close(old)
            tmp.seek(0)
            holder[0] = tmp.read().decode("utf-8", "replace")


def first_error(log: str, fallback: str) -> str:
    """The first compiler error line of a log, without the temp-dir path; one line."""
    lines = log.splitlines()
    located = [ln for ln in lines if _LOCATED_ERROR.search(ln)]  # file:line diagnostics first
    for line in located + lines:
        if _ERROR_LINE.search(line) and "PCH generation failed" not in line:
            line = re.sub(r"^\S*[/\\]([^/\\\s]+:\d+:\d+:)", r"\1", line.strip())
            return " ".join(line.split())[:300]
    return fallback


def diagnostic_lines(log: str, src_name: str) -> set[int]:
    """Line numbers of ``src_name`` that compiler diagnostics (clang or NVRTC style) point at."""
    pattern = re.compile(re.escape(src_name) + r"(?::(\d+):\d+|\((\d+)\))")
    return {int(a or b) for a, b in pattern.findall(log)}


@dataclass
class CompiledBatch:
    indices: list[int]
    path: str  # object (CPU) or PTX (CUDA) file
    seconds: float


@dataclass
class CompileOutcome:
    """Per sample: the batch object it is in, or the one-line failure reason; plus timing."""

    artifact: dict[int, CompiledBatch] = field(default_factory=dict)
    failure: dict[int, str] = field(default_factory=dict)
    seconds: dict[int, float] = field(default_factory=dict)  # amortized compile time per sample
    compiles: int = 0


def compile_batches(
    units: list[Unit],
    preamble: Callable[[str], str],
    compile_file: Callable[[str, str], None],
    suffix: str,
    out_suffix: str,
    work_dir: str,
    max_batch: int,
    label: str,
) -> CompileOutcome:
    """Compile units in clash-free batches; bisect failing batches down to the failing units.

    ``compile_file(src_path, out_path)`` raises on a compile error. Each unit's time is its
    share of every compile it took part in (a bisected unit pays for the failed attempts).
    """
    outcome = CompileOutcome()
    for u in units:
        outcome.seconds[u.index] = 0.0

    def attempt(batch: Batch) -> tuple[bool, str, str, float, int, str]:
        stem = os.path.join(work_dir, f"{label.replace(' ', '_')}_{os.getpid()}_{next(_serial)}")
        src_path, out_path = stem + suffix, stem + out_suffix
        body = batch.body
        head = preamble(body)
        with open(src_path, "w") as f:
            f.write(head + body)
        t0 = time.perf_counter()
        ok, log = True, ""
        with captured_native_output() as captured:
            try:
                compile_file(src_path, out_path)
            except Exception as exc:  # compiler errors come back as plain Exceptions
                ok, log = False, str(exc)
        seconds = time.perf_counter() - t0
        log = captured[0] + "\n" + log
        outcome.compiles += 1
        share = seconds / len(batch.units)
        for u in batch.units:
            outcome.seconds[u.index] += share
        if ok and not os.path.exists(out_path):
            ok, log = False, f"compiler produced no output file\n{log}"
        return ok, out_path, log, seconds, head.count("\n"), os.path.basename(src_path)

    def run(batch_units: list[Unit]) -> None:
        for batch in make_batches(batch_units, max_batch):
            ok, out_path, log, seconds, head_lines, src_name = attempt(batch)
            if ok:
                compiled = CompiledBatch(batch.indices, out_path, seconds)
                for u in batch.units:
                    outcome.artifact[u.index] = compiled
            elif len(batch.units) == 1:
                outcome.failure[batch.units[0].index] = first_error(log, f"{label} compile failed")
            else:
                # Suspects: units owning the source lines the diagnostics point at. Compile the
                # others together and each suspect alone; without suspects, bisect.
                lines = {n - head_lines for n in diagnostic_lines(log, src_name) if n > head_lines}
                suspects = batch.owners_of_lines(lines)
                if suspects and len(suspects) < len(batch.units):
                    run([u for u in batch.units if u.index not in suspects])
                    for u in batch.units:
                        if u.index in suspects:
                            run([u])
                else:
                    half = len(batch.units) // 2
                    run(batch.units[:half])
                    run(batch.units[half:])

    run(units)
    return outcome


def cpu_compile_fn(mode: str, pch_dir: str | None, block_dim: int = 1, optimization_level: int | None = None):
    options = {
        "mode": mode,
        "fast_math": False,
        "fuse_fp": True,
        "block_dim": block_dim,
        "optimization_level": optimization_level,
    }

    def compile_file(src: str, out: str) -> None:
        _warp.compile_cpu_object(src, out, options, pch_dir=pch_dir)

    return compile_file


def cuda_compile_fn(arch: int, block_dim: int, optimization_level: int | None = None):
    """A ``compile_file(src, out)`` for PTX with Warp's release NVRTC flags; ``optimization_level``
    is Warp's module option of that name (None: Warp's default, NVRTC -O3)."""
    options = {
        "mode": "release",
        "fast_math": False,
        "fuse_fp": True,
        "lineinfo": False,
        "block_dim": block_dim,
        "optimization_level": optimization_level,
    }

    def compile_file(src: str, out: str) -> None:
        _warp.compile_ptx(src, out, arch, options)

    return compile_file

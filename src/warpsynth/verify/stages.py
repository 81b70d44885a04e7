"""Verification stages: one object per step, with the levels it serves and its declared data.

Like a datatrove pipeline step, a stage reads what earlier stages provided and adds
its own: ``needs`` / ``provides`` name per-sample artifacts (``SampleState.artifacts``),
checked when a plan is built (``plan.plan``). ``levels`` are the ``--verify`` levels
whose plan runs the stage; ``grants`` the level every sample still alive after it has
proved; ``timing_levels`` maps each timing key the stage records to the level whose
cost it is (``warpsynth report``). This module holds the build stages; launches are
in ``launches.py``; the one ordered list is ``plan.STAGES``.
"""

from __future__ import annotations

import time
from typing import Callable

from warpsynth import _warp
from warpsynth.verify import compiler
from warpsynth.verify.chunk import Chunk
from warpsynth.dataset.levels import LEVELS, level_index
from warpsynth.verify.options import cpu_block_dim, cpu_body, cuda_block_dim, cuda_body, has_ptx
from warpsynth.verify.units import make_unit


def from_level(level: str) -> frozenset[str]:
    """``level`` and every level after it in ``LEVELS``: a level appended later joins such stages."""
    return frozenset(LEVELS[level_index(level):])


class Stage:
    """One verification step. Subclasses set the class attributes and implement ``run(chunk)``,
    which rejects samples (``chunk.fail``), records timings (``chunk.add_ms``) and sets artifacts."""

    name: str = ""
    levels: frozenset[str] = frozenset()
    grants: str | None = None
    needs: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()
    timing_levels: dict[str, str] = {}

    def run(self, chunk: Chunk) -> None:  # pragma: no cover - every stage overrides it
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(levels={sorted(self.levels)})"


def compile_each(chunk: Chunk, indices: list[int], body_of: Callable[[int], str], key_of: Callable[[int], object],
                 compile_for_key: Callable[[object], tuple], timing_key: str, label: str) -> dict[int, compiler.CompiledBatch]:
    """Batch-compile the samples ``indices`` grouped by ``key_of`` (block_dim, ...); {index: batch}.

    ``compile_for_key(key)`` gives ``(compile_file, preamble, suffix, out_suffix)``. A sample whose
    code does not compile is rejected at ``compile`` with ``"<label>: <first error line>"``.
    """
    artifacts = {}
    by_key: dict[object, list[int]] = {}
    for i in indices:
        by_key.setdefault(key_of(i), []).append(i)
    for key, members in by_key.items():
        compile_file, preamble, suffix, out_suffix = compile_for_key(key)
        units = [make_unit(i, body_of(i)) for i in members]
        outcome = compiler.compile_batches(units, preamble, compile_file, suffix, out_suffix, chunk.work_dir, chunk.opts.max_batch, label)
        for i in members:
            chunk.add_ms(i, timing_key, outcome.seconds[i])
            if i in outcome.failure:
                chunk.fail(i, "compile", f"{label}: {outcome.failure[i]}")
            else:
                artifacts[i] = outcome.artifact[i]
    return artifacts


def cpu_objects(chunk: Chunk, indices: list[int], mode: str, backward_of: Callable[[int], bool], timing_key: str,
                optimization_level: int | None = None) -> dict:
    """CPU objects of the rows' stored text in Warp's ``mode`` ("release" | "debug"), batched;
    ``optimization_level`` is Warp's module option of that name (None: Warp's default, -O2)."""

    def for_key(block_dim):
        return (compiler.cpu_compile_fn(mode, chunk.pch_dir, block_dim, optimization_level),
                lambda body: _warp.module_preamble("cpu", block_dim, body), ".cpp", ".o")

    return compile_each(chunk, indices, lambda i: cpu_body(chunk.samples[i].row, backward_of(i)),
                        lambda i: cpu_block_dim(chunk.samples[i].row), for_key, timing_key, "cpu")


def ptx_files(chunk: Chunk, indices: list[int], backward_of: Callable[[int], bool], optimization_level: int | None = None) -> None:
    """PTX of the rows' stored CUDA text with Warp's release NVRTC flags, per arch; rows that
    already carry PTX for an arch were compiled by NVRTC from this same text during extraction.
    ``optimization_level``: Warp's module option of that name (None: Warp's default, -O3)."""
    for arch in list(chunk.opts.ptx_archs) or [chunk.opts.cuda_check_arch]:
        need = [i for i in indices if chunk.samples[i].reject is None and not has_ptx(chunk.samples[i].row, arch)]

        def for_key(block_dim, arch=arch):
            return (compiler.cuda_compile_fn(arch, block_dim, optimization_level),
                    lambda body: _warp.module_preamble("cuda", block_dim, body), ".cu", ".ptx")

        compile_each(chunk, need, lambda i: cuda_body(chunk.samples[i].row, backward_of(i)),
                     lambda i: cuda_block_dim(chunk.samples[i].row), for_key, "compile_cuda", f"cuda sm_{arch}")


class CodegenCheck(Stage):
    """codegen: the row carries Warp's code for every requested target."""

    name = "codegen"
    levels = frozenset(LEVELS)
    grants = "codegen"
    timing_levels = {"codegen_check": "codegen"}

    def run(self, chunk: Chunk) -> None:
        for i, s in enumerate(chunk.samples):
            t0 = time.perf_counter()
            for t in chunk.opts.targets:
                if not s.row.get(f"{t}_forward"):
                    chunk.fail(i, "codegen", f"no {t} code in row")
            chunk.add_ms(i, "codegen_check", time.perf_counter() - t0)


class WarpBuild(Stage):
    """compile: the whole stored text (forward + adjoint) compiled exactly as Warp's release load
    compiles a module: CPU object (Warp's clang flags, -O2) and PTX (Warp's NVRTC flags)."""

    name = "warp_build"
    levels = frozenset({"compile"})
    grants = "compile"
    provides = ("cpu_object",)
    timing_levels = {"compile_cpu": "compile", "compile_cuda": "compile"}

    def run(self, chunk: Chunk) -> None:
        if "cpu" in chunk.opts.targets:
            objects = cpu_objects(chunk, chunk.alive(), "release", lambda i: True, "compile_cpu")
            for i, batch in objects.items():
                chunk.samples[i].artifacts["cpu_object"] = batch.path
        if "cuda" in chunk.opts.targets:
            ptx_files(chunk, chunk.alive(), lambda i: True)


class DebugBuild(Stage):
    """run/grad: one CPU object per sample in Warp's debug mode (-O0, bounds-checked accessors),
    the object these levels launch; the adjoint is compiled only where it is launched
    (``Chunk.checks_gradient``)."""

    name = "debug_build"
    levels = from_level("run")
    provides = ("cpu_debug_object",)
    timing_levels = {"compile_debug": "run"}

    def run(self, chunk: Chunk) -> None:
        if "cpu" not in chunk.opts.targets:
            return  # DebugLaunches rejects them, after KernelPtx proved their CUDA code compiles
        objects = cpu_objects(chunk, chunk.alive(), "debug", chunk.checks_gradient, "compile_debug")
        for i, batch in objects.items():
            chunk.samples[i].artifacts["cpu_debug_object"] = batch.path


class KernelPtx(Stage):
    """run/grad: PTX of the forward kernel with Warp's NVRTC flags at ``optimization_level`` 0 (as
    ``wp.set_module_options({"optimization_level": 0})`` compiles; -O0 like the CPU debug build), the
    CUDA counterpart of what these levels launch (no level launches the CUDA adjoint; the whole CUDA
    text is compiled exactly as Warp's release load at ``compile``). Last build stage: the samples
    still alive passed compile."""

    name = "kernel_ptx"
    levels = from_level("run")
    grants = "compile"
    timing_levels = {"compile_cuda": "run"}

    def run(self, chunk: Chunk) -> None:
        if "cuda" in chunk.opts.targets:
            ptx_files(chunk, chunk.alive(), lambda i: False, optimization_level=0)

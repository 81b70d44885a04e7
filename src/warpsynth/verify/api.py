"""Verification levels: codegen < compile < run < grad < cuda.

Every level starts with the static race check (``races.check_races``): a kernel whose
results could differ on a GPU is rejected at stage "race" whatever the level.

``verify_samples`` takes a chunk of generated samples (program + dataset row, in
one worker process), proves each to the requested level and returns, per
sample, the highest level passed, the reject (stage, one-line reason) if any,
timings per stage and the verification columns of its row.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from warpsynth import _warp
from warpsynth.verify import compiler, execute
from warpsynth.verify.cuda import compare_on_device
from warpsynth.verify.races import check_races
from warpsynth.verify.debug import DebugJob, run_debug_pass
from warpsynth.verify.units import make_unit

LEVELS = ("codegen", "compile", "run", "grad", "cuda")

#: Warp 1.19 emits ``adj_a.shape = adj_N;`` in the adjoint of ``a.shape``: it zeroes the adjoint
#: array's shape (harmless in release, where adjoint writes use strides; gradients are right), after
#: which every debug-mode bounds check on ``adj_a`` fails. The debug pass skips the backward launch of
#: such kernels: its assert would be Warp's artifact, not an out-of-bounds access.
ADJOINT_SHAPE_RESET = re.compile(r"\badj_\w+\.shape = adj_\w+;")

#: PTX arch compiled at the compile level when the run asked for CUDA code but no PTX archs.
DEFAULT_PTX_ARCH = 75


@dataclass
class VerifyOptions:
    targets: tuple[str, ...] = ("cpu", "cuda")
    ptx_archs: tuple[int, ...] = ()
    backward: bool = True
    pch_dir: str | None = None
    work_dir: str | None = None  # scratch for batch sources/objects; a temp dir when None
    max_batch: int = 64
    cuda_check_arch: int = DEFAULT_PTX_ARCH  # used when targets has cuda but ptx_archs is empty
    atomic_rtol: float = 1e-5
    atomic_atol: float = 1e-6
    grad: execute.GradTolerances = field(default_factory=execute.GradTolerances)
    debug_pass: bool = True
    debug_timeout_s: float = 300.0
    input_seed_offset: int = 0
    cuda_device: str = "cuda:0"  # the cuda level's device ("cpu" in tests: CPU against CPU)


@dataclass
class VerifyResult:
    level_passed: str
    reject: tuple[str, str] | None
    timings_ms: dict[str, float]
    columns: dict

    @property
    def level(self) -> str:
        return self.level_passed


def default_pch_dir() -> str:
    return os.path.join(_warp.kernel_cache_dir(), "warpsynth_pch")


def warm_pch(pch_dir: str | None = None) -> str:
    """Build the CPU precompiled header once (before workers start); return its directory.

    Compiles an empty module with the preamble of the release and debug CPU builds,
    which makes clang write both PCH variants into ``pch_dir``.
    """
    _warp.init_quiet()
    pch_dir = pch_dir or default_pch_dir()
    os.makedirs(pch_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="warpsynth-pch-") as tmp:
        src = os.path.join(tmp, "warm.cpp")
        with open(src, "w") as f:
            f.write(_warp.module_preamble("cpu", 1, ""))
        for mode in ("release", "debug"):
            with compiler.captured_native_output():
                compiler.cpu_compile_fn(mode, pch_dir)(src, os.path.join(tmp, f"warm_{mode}.o"))
    return pch_dir


def _row_options(row: dict) -> dict:
    try:
        return json.loads(row.get("options") or "{}")
    except ValueError:
        return {}


def _has_ptx(row: dict, arch: int) -> bool:
    return any(p.get("arch") == f"sm_{arch}" and p.get("text") for p in row.get("ptx") or [])


def _cpu_body(row: dict) -> str:
    return "".join(row.get(k) or "" for k in ("structs", "cpu_helpers", "cpu_forward", "cpu_backward", "cpu_entry"))


def _cuda_body(row: dict) -> str:
    return "".join(row.get(k) or "" for k in ("structs", "cuda_helpers", "cuda_forward", "cuda_backward"))


class _State:
    def __init__(self, n: int):
        self.level = ["codegen"] * n
        self.reject: list[tuple[str, str] | None] = [None] * n
        self.ms: list[dict[str, float]] = [{} for _ in range(n)]
        self.columns: list[dict] = [{} for _ in range(n)]

    def alive(self) -> list[int]:
        return [i for i, r in enumerate(self.reject) if r is None]

    def fail(self, i: int, stage: str, reason: str) -> None:
        if self.reject[i] is None:
            self.reject[i] = (stage, " ".join(str(reason).split())[:300])

    def add_ms(self, i: int, stage: str, seconds: float) -> None:
        self.ms[i][stage] = round(self.ms[i].get(stage, 0.0) + seconds * 1000.0, 3)


def _compile_groups(state: _State, indices: list[int], bodies: dict[int, str], keys: dict[int, Any], compile_for_key, stage: str, label: str, opts: VerifyOptions, work_dir: str):
    """Compile per key group (mode/block_dim); returns {index: CompiledBatch}; records failures."""
    artifacts = {}
    by_key: dict[Any, list[int]] = {}
    for i in indices:
        by_key.setdefault(keys[i], []).append(i)
    for key, members in by_key.items():
        compile_file, preamble, suffix, out_suffix = compile_for_key(key)
        units = [make_unit(i, bodies[i]) for i in members]
        outcome = compiler.compile_batches(units, preamble, compile_file, suffix, out_suffix, work_dir, opts.max_batch, label)
        for i in members:
            state.add_ms(i, stage, outcome.seconds[i])
            if i in outcome.failure:
                state.fail(i, "compile", f"{label}: {outcome.failure[i]}")
            else:
                artifacts[i] = outcome.artifact[i]
    return artifacts


def verify_samples(samples: list[tuple[Any, dict]], level: str = "codegen", options: VerifyOptions | None = None) -> list[VerifyResult]:
    """Verify a chunk of (KernelProgram, row) samples up to ``level``; one result per sample, in order."""
    if level not in LEVELS:
        raise ValueError(f"unknown verify level {level!r}; choose from {LEVELS}")
    opts = options or VerifyOptions()
    target = LEVELS.index(level)
    n = len(samples)
    state = _State(n)
    _warp.init_quiet()
    own_dir = opts.work_dir is None
    work_dir = tempfile.mkdtemp(prefix="warpsynth-verify-") if own_dir else opts.work_dir
    os.makedirs(work_dir, exist_ok=True)
    pch_dir = opts.pch_dir or default_pch_dir()
    os.makedirs(pch_dir, exist_ok=True)
    try:
        # ---- codegen: the row carries Warp's code for every requested target
        for i, (program, row) in enumerate(samples):
            t0 = time.perf_counter()
            for t in opts.targets:
                if not row.get(f"{t}_forward"):
                    state.fail(i, "codegen", f"no {t} code in row")
            races = check_races(row["source"], row["kernel_name"], row.get("launch"))
            if races:
                state.fail(i, "race", races[0])
            state.add_ms(i, "codegen_check", time.perf_counter() - t0)
            if state.reject[i] is None:
                state.level[i] = "codegen"
        if target >= 1:
            _compile_stage(samples, state, opts, work_dir, pch_dir)
        if target >= 2:
            _run_stage(samples, state, opts, work_dir, pch_dir, with_grad=target >= 3)
        if target >= 4:
            _cuda_stage(samples, state, opts)
    finally:
        if own_dir:
            shutil.rmtree(work_dir, ignore_errors=True)
    results = []
    for i in range(n):
        cols = dict(state.columns[i])
        cols["verify_level"] = state.level[i]
        cols["verify_ms"] = json.dumps(state.ms[i], sort_keys=True, separators=(",", ":"))
        results.append(VerifyResult(state.level[i], state.reject[i], dict(state.ms[i]), cols))
    return results


def _compile_stage(samples, state: _State, opts: VerifyOptions, work_dir: str, pch_dir: str) -> None:
    alive = state.alive()
    state.cpu_objects = {}
    if "cpu" in opts.targets:
        keys = {}
        for i in alive:
            o = _row_options(samples[i][1])
            keys[i] = (o.get("mode", "release"), int((o.get("block_dim") or {}).get("cpu", 1)))

        def cpu_for_key(key):
            mode, block_dim = key
            return (
                compiler.cpu_compile_fn(mode, pch_dir, block_dim),
                lambda body, bd=block_dim: _warp.module_preamble("cpu", bd, body),
                ".cpp",
                ".o",
            )

        bodies = {i: _cpu_body(samples[i][1]) for i in alive}
        state.cpu_objects = _compile_groups(state, alive, bodies, keys, cpu_for_key, "compile_cpu", "cpu", opts, work_dir)
        state.cpu_keys = keys
    if "cuda" in opts.targets:
        archs = list(opts.ptx_archs) or [opts.cuda_check_arch]
        alive = state.alive()
        bodies = {i: _cuda_body(samples[i][1]) for i in alive}
        for arch in archs:
            # a row that already carries PTX for this arch was compiled by NVRTC from this same
            # text during extraction (one module per kernel): that is the proof, no need to redo it
            need = [i for i in alive if not _has_ptx(samples[i][1], arch)]
            keys = {i: int((_row_options(samples[i][1]).get("block_dim") or {}).get("cuda", 256)) for i in need}

            def cuda_for_key(block_dim, arch=arch):
                return (
                    compiler.cuda_compile_fn(arch, block_dim),
                    lambda body, bd=block_dim: _warp.module_preamble("cuda", bd, body),
                    ".cu",
                    ".ptx",
                )

            _compile_groups(state, need, bodies, keys, cuda_for_key, "compile_cuda", f"cuda sm_{arch}", opts, work_dir)
            alive = state.alive()
    for i in state.alive():
        state.level[i] = "compile"


def _run_stage(samples, state: _State, opts: VerifyOptions, work_dir: str, pch_dir: str, with_grad: bool) -> None:
    if "cpu" not in opts.targets:
        for i in state.alive():
            state.fail(i, "run", "run/grad levels need the cpu target")
        return
    alive = state.alive()
    backward_failures: dict[int, str] = {}
    # ---- debug pass (out-of-bounds) in a child process, from debug builds of the same batches
    if opts.debug_pass and alive:
        debug_objects: dict[int, str] = {}
        seen: dict[str, list[int]] = {}
        for i in alive:
            seen.setdefault(state.cpu_objects[i].path, []).append(i)
        for members in seen.values():
            block_dim = state.cpu_keys[members[0]][1]
            bodies = {i: _cpu_body(samples[i][1]) for i in members}
            keys = {i: ("debug", block_dim) for i in members}

            def dbg_for_key(key):
                return (
                    compiler.cpu_compile_fn("debug", pch_dir, key[1]),
                    lambda body, bd=key[1]: _warp.module_preamble("cpu", bd, body),
                    ".cpp",
                    ".o",
                )

            sub = _State(len(samples))
            arts = _compile_groups(sub, members, bodies, keys, dbg_for_key, "compile_debug", "cpu-debug", opts, work_dir)
            for i in members:
                state.add_ms(i, "compile_debug", sub.ms[i].get("compile_debug", 0.0) / 1000.0)
                if i in arts:
                    debug_objects[i] = arts[i].path
                else:
                    state.fail(i, "run", f"debug-mode compile failed: {sub.reject[i][1] if sub.reject[i] else '?'}")
        jobs = [
            DebugJob(
                index=i,
                program=samples[i][0],
                mangled_name=samples[i][1]["mangled_name"],
                obj_path=debug_objects[i],
                block_dim=state.cpu_keys[i][1],
                seed=samples[i][0].seed + opts.input_seed_offset,
                backward=with_grad and opts.backward and bool(samples[i][0].differentiable)
                and not ADJOINT_SHAPE_RESET.search(samples[i][1].get("cpu_backward") or ""),
            )
            for i in state.alive()
        ]
        t1 = time.perf_counter()
        failures = run_debug_pass(jobs, work_dir, opts.debug_timeout_s) if jobs else {}
        per = (time.perf_counter() - t1) / max(1, len(jobs))
        for job in jobs:
            state.add_ms(job.index, "run_debug", per)
            if job.index in failures:
                phase, reason = failures[job.index]
                if phase == "backward":
                    backward_failures[job.index] = reason  # forward is fine: the run level can still pass
                else:
                    state.fail(job.index, "run", reason)
    # ---- release runs (and gradients) in this process, from the compile-stage objects
    metas: dict[str, str] = {}
    from warpsynth.extract import load_source

    for i in state.alive():
        program, row = samples[i]
        seed = program.seed + opts.input_seed_offset
        obj = state.cpu_objects[i].path
        meta = metas.get(obj)
        if meta is None:
            meta = metas[obj] = obj + ".meta"
            with open(meta, "w") as f:
                json.dump({}, f)
        t0 = time.perf_counter()
        try:
            with load_source(program.source, f"verify{i}") as loaded:
                kernel = loaded.kernels().get(program.kernel_name)
                if kernel is None:
                    state.fail(i, "run", f"kernel {program.kernel_name!r} not defined by the source")
                    continue
                launched_name = _warp.launch_mangled_name(kernel, state.cpu_keys[i][1])
                if launched_name != row["mangled_name"]:
                    state.fail(i, "run", f"re-executed kernel is {launched_name}, row stores {row['mangled_name']}")
                    continue
                _warp.load_cpu_object(kernel.module, obj, meta, state.cpu_keys[i][1])
                atomic = "wp::atomic_" in (row.get("cpu_forward") or "")
                run = execute.run_checks(program, kernel, seed, atomic, opts.atomic_rtol, opts.atomic_atol)
                state.add_ms(i, "run", time.perf_counter() - t0)
                if run.reject:
                    state.fail(i, "run", run.reject)
                    continue
                state.columns[i]["io_examples"] = execute.io_json(run.io_examples)
                state.level[i] = "run"
                if not with_grad:
                    continue
                t1 = time.perf_counter()
                if not opts.backward:
                    grad = execute.GradOutcome(False, note="backward code not generated")
                elif i in backward_failures:
                    # never run adjoint code that reads out of bounds outside the debug child
                    grad = execute.GradOutcome(True, reject=backward_failures[i])
                else:
                    grad = execute.grad_check(program, kernel, seed, run.changed, opts.grad)
                state.add_ms(i, "grad", time.perf_counter() - t1)
                state.columns[i]["differentiable"] = grad.differentiable
                state.columns[i]["grad_max_rel_err"] = grad.max_rel_err
                if grad.reject:
                    state.fail(i, "grad", grad.reject)
                    continue
                if grad.differentiable and grad.checked > 0:
                    state.level[i] = "grad"
        except Exception as exc:
            stage = "grad" if state.level[i] == "run" and with_grad else "run"
            state.add_ms(i, stage, time.perf_counter() - t0)
            state.fail(i, stage, f"{type(exc).__name__}: {exc}")


def _cuda_stage(samples, state: _State, opts: VerifyOptions) -> None:
    """Same seeded inputs on ``opts.cuda_device`` and the CPU: forward results and adjoints must agree."""
    for i in state.alive():
        program, _ = samples[i]
        t0 = time.perf_counter()
        cmp = compare_on_device(program, opts.cuda_device, seed=program.seed + opts.input_seed_offset, grad=opts.backward)
        state.add_ms(i, "cuda", time.perf_counter() - t0)
        if not cmp.ok:
            state.fail(i, "cuda", f"{cmp.status} on {cmp.device} ({cmp.arch}): {cmp.detail}")
            continue
        state.columns[i]["verified_cuda_device"] = cmp.device
        state.columns[i]["verified_cuda_arch"] = cmp.arch
        state.level[i] = "cuda"

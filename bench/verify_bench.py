"""Verification throughput per level, and batched vs one-module-per-sample compile.

    .venv/bin/python bench/verify_bench.py -n 32 [--seed0 0] [--cuda] [--small] [--no-levels]
        [--scaling 1,2,4,8,16,32,64] [--json out.json]

Generates ``n`` samples with the real generator, extracts them (cpu + cuda), then:

* compile speed-up: the same CPU code compiled as one module (the verifier's batch)
  vs one module per sample, both through ``warpsynth.verify.compiler`` with a warm
  PCH; ``--cuda`` does the same for PTX (sm_75);
* ``--scaling``: batched vs single CPU time for the first k samples (where compile time goes);
* samples/s of ``verify_samples`` at each level (compile, run, grad), one chunk.

Importable: ``measure(n, seed0)`` returns the numbers as a dict (for bench/throughput.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

from warpsynth import _warp
from warpsynth.extract.row import row_from_ir
from warpsynth.extract import extract, load_source
from warpsynth.verify import VerifyOptions, verify_samples, warm_pch
from warpsynth.verify import compiler
from warpsynth.verify.options import cpu_body as _cpu_body, cuda_body as _cuda_body
from warpsynth.verify.units import make_batches, make_unit


def make_samples(n: int, seed0: int) -> list:
    from warpsynth.generate import kernel as generate

    samples = []
    seed = seed0
    while len(samples) < n:
        program = generate(seed)
        seed += 1
        with load_source(program.source, f"b{seed}") as loaded:
            ir = extract(loaded.kernels()[program.kernel_name], targets=("cpu", "cuda"))
        samples.append((program, row_from_ir(ir, source=program.source, origin="generated", seed=program.seed, category=program.category)))
    return samples


SMALL = """import warp as wp

@wp.kernel
def scale_{i}(x: wp.array(dtype=float), y: wp.array(dtype=float), a: float):
    i = wp.tid()
    y[i] = wp.sin(x[i]) * a + {c}
"""


def make_small_samples(n: int) -> list:
    """n distinct ~5-line kernels (the size the start-up cost dominates), for comparison."""
    from warpsynth.generate.program import ArgSpec, KernelProgram

    samples = []
    for i in range(n):
        src = SMALL.format(i=i, c=float(i) / 7.0)
        args = (
            ArgSpec(name="x", kind="array", dtype="float32", shape=(64,)),
            ArgSpec(name="y", kind="array", dtype="float32", shape=(64,), low=0.0, high=0.0, role="out"),
            ArgSpec(name="a", kind="scalar", dtype="float32", value=0.5),
        )
        program = KernelProgram(seed=i, source=src, kernel_name=f"scale_{i}", category="small", features=(), args=args,
                                launch_dim=(64,), config_hash="bench")
        with load_source(src, f"s{i}") as loaded:
            ir = extract(loaded.kernels()[program.kernel_name], targets=("cpu", "cuda"))
        samples.append((program, row_from_ir(ir, source=src, origin="bench", seed=i, category="small")))
    return samples


def compile_speedup(samples: list, pch_dir: str, cuda: bool) -> dict:
    out = {}
    targets = [("cpu", _cpu_body, compiler.cpu_compile_fn("release", pch_dir), ".cpp", ".o")]
    if cuda:
        targets.append(("cuda", _cuda_body, compiler.cuda_compile_fn(75, 256), ".cu", ".ptx"))
    for name, body_of, compile_file, suffix, out_suffix in targets:
        bd = 1 if name == "cpu" else 256
        units = [make_unit(i, body_of(row)) for i, (_, row) in enumerate(samples)]
        # warm both sides alike: clang's persistent PCH, NVRTC's in-process automatic PCH
        _compile_cpu_s([make_unit(0, "")], lambda b, bd=bd, t=name: _warp.module_preamble(t, bd, b), compile_file, suffix, out_suffix, name)
        timings = {}
        for label, max_batch in (("batched", len(units)), ("single", 1)):
            with tempfile.TemporaryDirectory(prefix="verify-bench-") as tmp:
                t0, c0 = time.perf_counter(), time.process_time()
                outcome = compiler.compile_batches(
                    units, lambda b, bd=bd, t=name: _warp.module_preamble(t, bd, b), compile_file, suffix, out_suffix, tmp, max_batch, name
                )
                timings[label] = time.perf_counter() - t0
                timings[f"{label}_cpu"] = time.process_time() - c0
                timings[f"{label}_compiles"] = outcome.compiles
                timings[f"{label}_failed"] = len(outcome.failure)
        out[name] = {
            "samples": len(units),
            "batched_s": round(timings["batched"], 2),
            "batched_compiles": timings["batched_compiles"],
            "single_s": round(timings["single"], 2),
            "single_compiles": timings["single_compiles"],
            "speedup": round(timings["single"] / timings["batched"], 2),
            # the compilers run in this process (libclang / NVRTC), so process CPU time is the
            # compile work itself, unaffected by other load on a shared machine
            "batched_failed": timings["batched_failed"],
            "single_failed": timings["single_failed"],
            "batched_cpu_s": round(timings["batched_cpu"], 2),
            "single_cpu_s": round(timings["single_cpu"], 2),
            "speedup_cpu_time": round(timings["single_cpu"] / timings["batched_cpu"], 2),
        }
    return out


def _compile_cpu_s(units: list, preamble, compile_file, suffix: str, out_suffix: str, name: str) -> tuple[float, int]:
    """Process CPU seconds to compile ``units`` as the verifier would (max_batch = len(units))."""
    with tempfile.TemporaryDirectory(prefix="verify-bench-") as tmp:
        c0 = time.process_time()
        outcome = compiler.compile_batches(units, preamble, compile_file, suffix, out_suffix, tmp, len(units), name)
        return time.process_time() - c0, outcome.compiles


def compile_scaling(samples: list, pch_dir: str, cuda: bool, sizes: list[int]) -> dict:
    """Batched vs single CPU time per sample for the first k samples, for each k in ``sizes``.

    Also the CPU target's batch of all samples at optimization level 0 (same flags otherwise):
    front-end plus a cheap back-end, i.e. what the optimizer and code generator do not cost.
    """
    out = {}
    targets = [("cpu", _cpu_body, compiler.cpu_compile_fn("release", pch_dir), ".cpp", ".o", 1)]
    if cuda:
        targets.append(("cuda", _cuda_body, compiler.cuda_compile_fn(75, 256), ".cu", ".ptx", 256))
    for name, body_of, compile_file, suffix, out_suffix, bd in targets:
        preamble = lambda b, bd=bd, t=name: _warp.module_preamble(t, bd, b)  # noqa: E731
        units = [make_unit(i, body_of(row)) for i, (_, row) in enumerate(samples)]
        _compile_cpu_s(units[:1], preamble, compile_file, suffix, out_suffix, name)  # warm (PCH)
        empty = _compile_cpu_s([make_unit(0, "")], preamble, compile_file, suffix, out_suffix, name)[0]
        single = [_compile_cpu_s([u], preamble, compile_file, suffix, out_suffix, name)[0] for u in units]
        rows = []
        for k in sizes:
            if k > len(units):
                break
            batched, compiles = _compile_cpu_s(units[:k], preamble, compile_file, suffix, out_suffix, name)
            rows.append({"k": k, "compiles": compiles, "batched_cpu_s": round(batched, 3), "single_cpu_s": round(sum(single[:k]), 3),
                         "speedup_cpu_time": round(sum(single[:k]) / batched, 2)})
        batches = make_batches(units, len(units))  # identical definitions across samples are emitted once
        out[name] = {"empty_module_cpu_s": round(empty, 3), "single_mean_cpu_s": round(sum(single) / len(single), 3), "sizes": rows,
                     "text_chars": sum(len(u.body) for u in units), "batched_text_chars": sum(len(b.body) for b in batches)}
        if name == "cpu":
            o0 = compiler.cpu_compile_fn("release", pch_dir, optimization_level=0)
            _compile_cpu_s([make_unit(0, "")], preamble, o0, suffix, out_suffix, name)  # warm the O0 PCH
            out[name]["all_batched_O0_cpu_s"] = round(_compile_cpu_s(units, preamble, o0, suffix, out_suffix, name)[0], 3)
    return out


def _cpu_with_children() -> float:
    """CPU seconds of this process, its exited children and its live debug child."""
    from warpsynth.verify.chunk import cpu_seconds

    return cpu_seconds()


def level_throughput(samples: list, pch_dir: str) -> dict:
    out = {}
    for level in ("codegen", "compile", "run", "grad"):
        t0, c0 = time.perf_counter(), _cpu_with_children()
        results = verify_samples(samples, level, VerifyOptions(pch_dir=pch_dir))
        seconds, cpu = time.perf_counter() - t0, _cpu_with_children() - c0
        out[level] = {
            "seconds": round(seconds, 2),
            "samples_per_s": round(len(samples) / seconds, 3),
            "cpu_s": round(cpu, 2),
            "samples_per_cpu_s": round(len(samples) / cpu, 3) if cpu > 0 else None,
            "passed": sum(r.reject is None for r in results),
            "levels": {lv: sum(r.level_passed == lv for r in results) for lv in ("codegen", "compile", "run", "grad")},
        }
    return out


def measure(n: int = 32, seed0: int = 0, cuda: bool = False, levels: bool = True, small: bool = False, scaling: list[int] | None = None) -> dict:
    _warp.init_quiet()
    pch_dir = warm_pch()
    t0 = time.perf_counter()
    samples = make_samples(n, seed0)
    result = {
        "n": n,
        "seed0": seed0,
        "cpu_count": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
        "generate_extract_s": round(time.perf_counter() - t0, 2),
        "compile_speedup": compile_speedup(samples, pch_dir, cuda),
    }
    if small:
        result["compile_speedup_small_kernels"] = compile_speedup(make_small_samples(n), pch_dir, cuda)
    if scaling:
        result["compile_scaling"] = compile_scaling(samples, pch_dir, cuda, scaling)
    if levels:
        result["levels"] = level_throughput(samples, pch_dir)
    result["loadavg_end"] = os.getloadavg()
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=32)
    ap.add_argument("--seed0", type=int, default=0)
    ap.add_argument("--cuda", action="store_true", help="also time batched vs single PTX compiles")
    ap.add_argument("--no-levels", action="store_true", help="only the compile speed-up")
    ap.add_argument("--small", action="store_true", help="also time n tiny hand-written kernels (start-up bound)")
    ap.add_argument("--scaling", help="comma-separated batch sizes: batched vs single CPU time for the first k samples")
    ap.add_argument("--json", help="write the numbers here")
    args = ap.parse_args(argv)
    sizes = [int(k) for k in args.scaling.split(",")] if args.scaling else None
    result = measure(args.n, args.seed0, args.cuda, not args.no_levels, args.small, sizes)
    for kind, target, r in [("generated", t, r) for t, r in result["compile_speedup"].items()] + [
        ("small", t, r) for t, r in result.get("compile_speedup_small_kernels", {}).items()
    ]:
        print(
            f"[{kind}] "
            f"{target}: {r['samples']} samples  batched {r['batched_s']} s wall / {r['batched_cpu_s']} s CPU "
            f"({r['batched_compiles']} compiles)  single {r['single_s']} s wall / {r['single_cpu_s']} s CPU "
            f"({r['single_compiles']} compiles)  speed-up {r['speedup']}x wall, {r['speedup_cpu_time']}x CPU time"
        )
    for target, sc in result.get("compile_scaling", {}).items():
        print(f"[scaling] {target}: empty module {sc['empty_module_cpu_s']} s CPU, one sample alone {sc['single_mean_cpu_s']} s CPU (mean)"
              + (f", all {args.n} batched at -O0 {sc['all_batched_O0_cpu_s']} s CPU" if "all_batched_O0_cpu_s" in sc else "")
              + f"; text {sc['text_chars']} chars, {sc['batched_text_chars']} after de-duplicating identical definitions")
        for r in sc["sizes"]:
            print(f"[scaling] {target}: k={r['k']:3d}  batched {r['batched_cpu_s']:.2f} s CPU ({r['compiles']} compiles, "
                  f"{r['batched_cpu_s'] / r['k']:.3f} s/sample)  single {r['single_cpu_s']:.2f} s CPU  speed-up {r['speedup_cpu_time']}x")
    for level, r in result.get("levels", {}).items():
        print(
            f"--verify {level:8s} {r['samples_per_s']:7.3f} samples/s wall, {r['samples_per_cpu_s']} samples/CPU-s  "
            f"({r['seconds']} s, {r['passed']} passed, levels {r['levels']})"
        )
    print(f"load average start {result['loadavg_start']}, end {result['loadavg_end']} on {result['cpu_count']} CPUs")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

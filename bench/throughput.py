"""Throughput of the generation pipeline against Warp's bare codegen floor.

    .venv/bin/python bench/throughput.py                      # single-process ratio + 1 vs 2 workers
    .venv/bin/python bench/throughput.py --profile            # + cProfile of the floor
    .venv/bin/python bench/throughput.py --rss-samples 50000  # + peak RSS per worker over a long run

1. Same programs, one process, interleaved in blocks so machine noise hits both alike:
   * floor:    exec source, one ModuleBuilder, ``codegen("cpu")`` + ``codegen("cuda")`` (Warp's own
               whole-module codegen; programs are generated beforehand, not timed)
   * pipeline: the task's real per-sample path (generate, exec, one build, per-kernel CPU+CUDA
               forward+backward text, slicing, dataset row) plus serializing the rows to Parquet,
               with the per-process set-up a task does (builtin overload cache on).
   Prints both rates, their ratio, and the ratio without the generator's own time.
2. Scaling: ``generate()`` with 1 and with 2 worker processes (wall time, incl. worker start-up).
3. Verification (``--verify-samples``, default 32): samples/s at each ``--verify`` level and the
   speed-up of batched over one-module-per-sample compile (``bench/verify_bench.py``).
4. Memory (``--rss-samples``): a 2-worker run; peak RSS per worker and RSS at start/end of its tasks.
This is a benchmark, not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

from warpsynth import _warp
from warpsynth.dataset.io import ShardWriter, write_rows
from warpsynth.extract import load_source
from warpsynth.pipeline import RunConfig, generate
from warpsynth.pipeline.config import DEFAULT_GENERATOR, sample_seed
from warpsynth.pipeline.programs import load_program_source
from warpsynth.pipeline.journal import Inflight
from warpsynth.pipeline.process import prepare_process
from warpsynth.pipeline.stages import SOURCE_TAG, SampleStages, Tally


def floor_one(program) -> None:
    with load_source(program.source, SOURCE_TAG) as loaded:
        kernel = loaded.kernels()[program.kernel_name]
        build = _warp.build_module(kernel.module, enable_backward=True)
        _warp.module_codegen(build, "cpu", _warp.target_options(build, "cpu"))
        _warp.module_codegen(build, "cuda", _warp.target_options(build, "cuda"))


def single_process(samples: int, seed: int, block: int = 10) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="warpsynth-bench-"))
    config = RunConfig(n=samples, seed=seed, shards=1, generator=DEFAULT_GENERATOR)
    tally = Tally(config.seed)
    sample_stages = SampleStages(config, tally)
    source = load_program_source(config.generator, {})
    journal = Inflight(tmp / "inflight")
    indices = list(range(samples))
    t0 = time.perf_counter()
    programs = {}
    for i in indices:
        try:
            programs[i] = source(sample_seed(seed, i))
        except Exception:
            pass
    gen_only_s = time.perf_counter() - t0
    indices = [i for i in indices if i in programs]

    def pipeline_one(i: int):
        journal.set("sample", i, i + 1)
        return sample_stages.build(i, source)

    # warm-up (imports, registries, first-call caches, the Parquet writer) for both paths
    warm = []
    for i in indices[:5]:
        _warp.disable_builtin_overload_cache()
        floor_one(programs[i])
        prepare_process()
        item = pipeline_one(i)
        if item is not None:
            warm.append(item[2])
    write_rows(warm, tmp / "warm.parquet")
    tally.seconds.clear()
    floor_s = pipe_s = 0.0
    rows = []
    for b in range(0, len(indices), block):
        chunk = indices[b : b + block]
        order = ("floor", "pipe") if (b // block) % 2 == 0 else ("pipe", "floor")
        for which in order:
            # the floor is bare Warp; the pipeline runs with what a task sets up (overload cache)
            if which == "floor":
                _warp.disable_builtin_overload_cache(clear=False)  # bare Warp; the cache stays warm for the pipeline
            else:
                prepare_process()
            t = time.perf_counter()
            if which == "floor":
                for i in chunk:
                    floor_one(programs[i])
                floor_s += time.perf_counter() - t
            else:
                for i in chunk:
                    item = pipeline_one(i)
                    if item is not None:
                        rows.append(item[2])
                pipe_s += time.perf_counter() - t
    t = time.perf_counter()
    with ShardWriter(tmp / "bench.parquet") as shard:  # as a task writes its shard: 128-row groups
        shard.write(rows)
        shard.commit()
    serialize_s = time.perf_counter() - t
    pipe_s += serialize_s
    journal.close()
    n = len(indices)
    stages = dict(tally.seconds) | {"serialize": serialize_s}
    return {
        "samples": n,
        "rows": len(rows),
        "rejected": len(tally.rejects),
        "floor_per_s": n / floor_s,
        "pipeline_per_s": n / pipe_s,
        "ratio": floor_s / pipe_s,
        "ratio_without_generator": floor_s / (pipe_s - stages.get("generate", 0.0)),
        "generator_ms": 1000 * gen_only_s / max(len(programs), 1),
        "floor_ms": 1000 * floor_s / n,
        "pipeline_ms": 1000 * pipe_s / n,
        "pipeline_stage_ms": {k: round(1000 * v / n, 2) for k, v in sorted(stages.items())},
        "parquet_bytes_per_row": (tmp / "bench.parquet").stat().st_size / max(len(rows), 1),
    }


def profile_floor(samples: int, seed: int, top: int = 25) -> str:
    source = load_program_source(DEFAULT_GENERATOR, {})
    programs = []
    for i in range(samples):
        try:
            programs.append(source(sample_seed(seed, i)))
        except Exception:
            pass
    _warp.disable_builtin_overload_cache()  # profile bare Warp
    for p in programs[:5]:
        floor_one(p)
    profiler = cProfile.Profile()
    profiler.enable()
    for p in programs:
        floor_one(p)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    groups = {
        "exec source + @wp.kernel (Adjoint: inspect + ast.parse)": ("source.py", "load_source"),
        "ModuleBuilder(...) adjoint build": ("context.py", "__init__", "ModuleBuilder"),
        "ModuleBuilder.codegen (cpu + cuda)": ("context.py", "codegen"),
        "  inside the build: builtin overload resolution (resolve_func)": ("codegen.py", "resolve_func"),
        "  inside resolve_func: func_match_args (inspect bind per candidate overload)": ("codegen.py", "func_match_args"),
    }
    out = io.StringIO()
    out.write(f"cProfile of the floor, {len(programs)} programs, {1000 * total / len(programs):.1f} ms/program under the profiler\n\n")
    out.write("| part | share of floor time |\n|---|---|\n")
    for label, key in groups.items():
        cum = 0.0
        for (file, line, func), entry in stats.stats.items():
            if file.endswith(key[0]) and func == key[1]:
                if len(key) > 2 and key[2] not in _owner(file, line):
                    continue
                cum += entry[3]
        out.write(f"| {label} | {100 * cum / total:.0f}% |\n")
    s = io.StringIO()
    pstats.Stats(profiler, stream=s).sort_stats("tottime").print_stats(top)
    out.write("\nTop functions by own time:\n\n```\n" + _trim(s.getvalue()) + "```\n")
    return out.getvalue()


def _owner(file: str, line: int) -> str:
    """Class that defines ``func`` at ``file:line`` (for telling __init__s apart)."""
    try:
        lines = Path(file).read_text().splitlines()[: line]
    except OSError:
        return ""
    for text in reversed(lines):
        if text.startswith("class "):
            return text
    return ""


def _trim(text: str) -> str:
    keep, started = [], False
    for line in text.splitlines():
        if "ncalls" in line:
            started = True
        if started and line.strip():
            keep.append(line.replace(str(Path(sys.prefix)), "<venv>").replace(os.path.expanduser("~"), "~"))
    return "\n".join(keep) + "\n"


def scaling(samples: int, seed: int) -> dict:
    out = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory(prefix="warpsynth-bench-") as tmp:
            summary = generate(samples, Path(tmp) / "ds", seed=seed, shards=4, workers=workers, progress=False)
            tasks = json.loads(summary.stats.read_text())["tasks"]
            cpu = sum(t["cpu_seconds"] for t in tasks)
            busy = sum(t["seconds"] for t in tasks)
            out[workers] = {
                "seconds": summary.seconds,
                "per_s": summary.samples_per_s,
                "peak_rss_mb": summary.peak_rss_mb,
                "per_cpu_s": samples / cpu,
                "cpu_share": cpu / busy,  # CPU a worker actually got while running a task (1.0 = a whole core)
            }
    out["speedup"] = out[2]["per_s"] / out[1]["per_s"]
    return out


def memory(samples: int, seed: int, out_dir: str | None) -> dict:
    """A 2-worker run; per worker (pid) its tasks in the order it ran them, with their RSS traces.

    Per worker: RSS after its first chunk, at the end of its first task (Warp, generator caches and
    the Parquet writer warmed up), at the end of its last task, the range of every RSS sample taken
    after its first task, the growth from the end of the first task to the end in MB per 1,000
    samples, and the peak (ru_maxrss).
    """
    root = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="warpsynth-bench-rss-"))
    summary = generate(samples, root / "ds", seed=seed, workers=2, progress=sys.stderr.isatty(), overwrite=True)
    stats = json.loads(summary.stats.read_text())
    by_pid: dict[int, list[dict]] = {}
    for task in stats["tasks"]:
        by_pid.setdefault(task["pid"], []).append(task)
    workers = []
    for pid, tasks in by_pid.items():
        tasks.sort(key=lambda t: t["started_at"])
        first, rest = tasks[0], tasks[1:]
        later = [mb for t in rest for _, mb in t["rss_trace_mb"]] + [t["rss_end_mb"] for t in rest]
        after_first = sum(t["samples"] for t in rest)
        workers.append({
            "tasks": len(tasks),
            "samples": sum(t["samples"] for t in tasks),
            "rss_first_mb": first["rss_trace_mb"][0][1] if first["rss_trace_mb"] else None,
            "rss_first_task_end_mb": first["rss_end_mb"],
            "rss_last_mb": tasks[-1]["rss_end_mb"],
            "rss_later_min_mb": min(later) if later else None,
            "rss_later_max_mb": max(later) if later else None,
            "growth_mb_per_1000": 1000 * (tasks[-1]["rss_end_mb"] - first["rss_end_mb"]) / after_first if after_first else None,
            "peak_rss_mb": max(t["peak_rss_mb"] for t in tasks),
            "task_end_rss_mb": [t["rss_end_mb"] for t in tasks],
        })
    return {"samples": samples, "seconds": summary.seconds, "per_s": summary.samples_per_s, "workers": workers, "output": str(root)}


def _print_memory(m: dict) -> None:
    print(f"\n## Memory, {m['samples']} samples, 2 workers ({m['seconds']:.0f} s, {m['per_s']:.1f} samples/s)\n")
    print("| worker | tasks | samples | RSS after first chunk (MB) | RSS after first task (MB) | RSS at end (MB) "
          "| RSS range after first task (MB) | growth after first task (MB / 1,000 samples) | peak RSS (MB) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for i, w in enumerate(m["workers"]):
        growth = "-" if w["growth_mb_per_1000"] is None else f"{w['growth_mb_per_1000']:+.2f}"
        print(f"| {i} | {w['tasks']} | {w['samples']} | {w['rss_first_mb']} | {w['rss_first_task_end_mb']} | {w['rss_last_mb']} | "
              f"{w['rss_later_min_mb']}-{w['rss_later_max_mb']} | {growth} | {w['peak_rss_mb']:.0f} |")
    for i, w in enumerate(m["workers"]):
        ends = w["task_end_rss_mb"]
        step = max(1, len(ends) // 10)
        print(f"\nworker {i}, RSS (MB) at the end of its task k: "
              + ", ".join(f"k={k + 1}: {ends[k]}" for k in sorted(set(range(0, len(ends), step)) | {len(ends) - 1})))


def verify_levels(samples: int, seed: int) -> dict:
    """Per-level verify rates and the batched-compile speed-up, from bench/verify_bench.py."""
    sys.path.insert(0, str(Path(__file__).parent))
    import verify_bench

    return verify_bench.measure(samples, seed, cuda=True, levels=True, small=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=300, help="programs for the single-process comparison")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scaling-samples", type=int, default=400, help="samples per 1- and 2-worker run (0: skip)")
    parser.add_argument("--verify-samples", type=int, default=32, help="samples for the per-level verify rates and compile speed-up (0: skip)")
    parser.add_argument("--rss-samples", type=int, default=0, help="samples for the memory run (e.g. 50000; 0: skip)")
    parser.add_argument("--rss-out", default=None, help="where the memory run writes its dataset (default: a temp dir)")
    parser.add_argument("--profile", action="store_true", help="cProfile the floor")
    args = parser.parse_args()
    _warp.init_quiet()
    print(f"warp {_warp.WARP_VERSION}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")

    r = single_process(args.samples, args.seed)
    print(f"\n## Single process, {r['samples']} programs (same programs through both paths)\n")
    print("| path | ms / program | programs / s |\n|---|---|---|")
    print(f"| floor (exec + ModuleBuilder + codegen cpu + cuda) | {r['floor_ms']:.1f} | {r['floor_per_s']:.1f} |")
    print(f"| pipeline (generate ... serialize) | {r['pipeline_ms']:.1f} | {r['pipeline_per_s']:.1f} |")
    print(f"\npipeline / floor rate ratio: {r['ratio']:.2f} (target >= 0.9)")
    print(f"ratio without the generator's own time: {r['ratio_without_generator']:.2f}")
    print(f"generator alone: {r['generator_ms']:.1f} ms / program")
    print(f"pipeline stages, ms / program: {r['pipeline_stage_ms']}")
    print(f"rows {r['rows']}, rejected {r['rejected']}, Parquet {r['parquet_bytes_per_row']:.0f} bytes / row")

    if args.scaling_samples:
        s = scaling(args.scaling_samples, args.seed)
        print(f"\n## Scaling, generate() with {args.scaling_samples} samples, 4 shards (wall time incl. worker start-up)\n")
        print("| workers | seconds | samples / s | samples / CPU-second | CPU share per worker | peak RSS per worker (MB) |")
        print("|---|---|---|---|---|---|")
        for w in (1, 2):
            print(
                f"| {w} | {s[w]['seconds']:.1f} | {s[w]['per_s']:.1f} | {s[w]['per_cpu_s']:.1f} | {s[w]['cpu_share']:.2f} | "
                f"{', '.join(f'{m:.0f}' for m in s[w]['peak_rss_mb'])} |"
            )
        print(f"\n2 workers / 1 worker: {s['speedup']:.2f}x (target >= 1.7x)")
        print("CPU share < 1 means other processes were using the cores: wall-clock scaling is then not meaningful;")
        print("samples / CPU-second shows whether a second worker makes each sample more expensive.")

    if args.verify_samples:
        v = verify_levels(args.verify_samples, args.seed)
        print(f"\n## Verification, {args.verify_samples} samples (bench/verify_bench.py)\n")
        print("| --verify | samples / s | samples / CPU-second | passed |\n|---|---|---|---|")
        print(f"| codegen | {r['pipeline_per_s']:.2f} (the pipeline rate above: codegen is the extraction itself) | | |")
        for level, r in v["levels"].items():
            if level == "codegen":
                continue
            print(f"| {level} | {r['samples_per_s']:.2f} | {r['samples_per_cpu_s']} | {r['passed']}/{args.verify_samples} |")
        print("\n| kernels | target | batched CPU-s | one module per sample CPU-s | speed-up (target >= 3x) |\n|---|---|---|---|---|")
        for kind, key in (("generated", "compile_speedup"), ("small (5-line)", "compile_speedup_small_kernels")):
            for target, r in v[key].items():
                print(f"| {r['samples']} {kind} | {target} | {r['batched_cpu_s']} | {r['single_cpu_s']} | {r['speedup_cpu_time']}x |")

    if args.rss_samples:
        _print_memory(memory(args.rss_samples, args.seed, args.rss_out))

    if args.profile:
        print("\n## Profile of the floor\n")
        print(profile_floor(min(args.samples, 150), args.seed))


if __name__ == "__main__":
    main()

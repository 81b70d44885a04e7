"""extract over a tree of files vs the bare Warp floor, and its peak memory.

    .venv/bin/python bench/extract_bench.py                 # Warp's examples folder + a synthetic tree
    .venv/bin/python bench/extract_bench.py --synthetic 20x50 --targets cpu --no-backward

Each measurement runs in a fresh Python process, so CPU times and peak RSS are its own:
* floor:   one process; each file imported in turn, and for each Warp module the import created,
           the kernels that file defines get one ``ModuleBuilder`` and Warp's whole-module
           ``codegen`` per target (no slicing, no rows, no output file); a module with MathDx
           tile ops gets its second, sm_90 build for CUDA as in extract;
* extract: ``warpsynth.extract.runner.extract_paths`` (one worker per file, forked
           from a fork server the run starts) with 1 and 2 workers, rows streamed to a Parquet
           file as the CLI does.
Start-up (import and initialise Warp; for extract also the Parquet writer, which imports
pyarrow and pandas) is reported apart as "setup"; wall, CPU and CPU per kernel are the rest.
Both extract the same kernels (the floor uses extract's own file-to-kernel attribution).
CPU seconds are the process's (after setup) plus its children's. Peak RSS: the parent's, and the largest
worker's. The synthetic tree (``FILESxKERNELS`` small kernels) shows how memory grows with
the number of kernels. This is a benchmark, not a test: numbers depend on the machine's load.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KERNEL = '''
@wp.kernel
def k{i}(x: wp.array(dtype=float), y: wp.array(dtype=float), s: float):
    t = wp.tid()
    y[t] = wp.sin(x[t]) * s + float({i})
'''


def synthetic_tree(root: Path, files: int, kernels: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for f in range(files):
        body = "import warp as wp\n" + "".join(KERNEL.format(i=f * kernels + i) for i in range(kernels))
        (root / f"file_{f:03d}.py").write_text(body)
    return root


def _setup(kind: str):
    """Start-up both pay (import Warp, initialise it) and extract's output writer (pyarrow, pandas)."""
    from warpsynth import _warp
    from warpsynth.extract.runner import extract_paths  # noqa: F401

    _warp.init_quiet()
    if kind == "extract":
        from warpsynth.dataset.io import ShardWriter

        return ShardWriter(Path(tempfile.mkdtemp()) / "rows.parquet")
    return None


def _floor(path: str, targets: list[str], backward: bool) -> dict:
    from warpsynth import _warp
    from warpsynth.extract.files import find_python_files, import_file
    from warpsynth.extract.worker import FileResult, Settings, _select

    files = find_python_files([path])
    scanned = frozenset(str(f) for f, _ in files)
    kernels = 0
    for file, root in files:
        with _warp.new_modules() as created:
            try:
                import_file(file)
            except (Exception, SystemExit):
                continue
        for module in created:
            own, _ = _select(module, file, scanned, Settings(), FileResult(shown=""))
            if not own:
                continue
            try:
                subset = [k for k, _ in own]
                build = _warp.build_module(module, kernels=subset, forward_only=not backward)
                for target in targets:
                    _warp.module_codegen(build, target, _warp.target_options(build, target))
                if "cuda" in targets and _warp.uses_mathdx(build):  # as extract: CUDA text at sm_90
                    arch_build = _warp.build_module(module, kernels=subset, forward_only=not backward, cuda_arch=90)
                    _warp.module_codegen(arch_build, "cuda", _warp.target_options(arch_build, "cuda"))
                kernels += len(build.kernels)
            except Exception:
                pass
    return {"kernels": kernels}


def _extract(path: str, targets: list[str], backward: bool, workers: int, writer) -> dict:
    from warpsynth.extract.runner import extract_paths

    with writer:
        report = extract_paths([path], targets, (), backward, workers=workers, cuda_arch=90, sink=writer.write)
        writer.commit()
    # the workers are the fork server's children: stop it so that it and they count in RUSAGE_CHILDREN
    import multiprocessing.forkserver

    multiprocessing.forkserver._forkserver._stop()
    return {"kernels": report.kernels_extracted, "failures": len(report.failures)}


def measure(kind: str, path: str, targets: list[str], backward: bool, workers: int = 1) -> dict:
    """Run one measurement in a fresh process; wall s, CPU s (self + children), peak RSS MiB."""
    args = json.dumps({"kind": kind, "path": path, "targets": targets, "backward": backward, "workers": workers})
    out = subprocess.run([sys.executable, __file__, "--child", args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _child(spec: dict) -> None:
    t_setup = time.perf_counter()
    writer = _setup(spec["kind"])
    t0, c0 = time.perf_counter(), _cpu(resource.RUSAGE_SELF)
    if spec["kind"] == "floor":
        result = _floor(spec["path"], spec["targets"], spec["backward"])
    else:
        result = _extract(spec["path"], spec["targets"], spec["backward"], spec["workers"], writer)
    result.update(
        setup_s=round(t0 - t_setup, 2),
        wall_s=round(time.perf_counter() - t0, 2),
        cpu_s=round(_cpu(resource.RUSAGE_SELF) - c0 + _cpu(resource.RUSAGE_CHILDREN), 2),
        rss_parent_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        rss_worker_mib=round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    )
    print(json.dumps(result))


def compare(label: str, path: str, targets: list[str], backward: bool) -> None:
    print(f"\n== {label}: targets {','.join(targets)}, backward {'on' if backward else 'off'}")
    floor = measure("floor", path, targets, backward)
    rows = [("floor, 1 process", floor)]
    for workers in (1, 2):
        rows.append((f"extract --workers {workers}", measure("extract", path, targets, backward, workers)))
    print(f"{'':22} {'kernels':>8} {'setup s':>8} {'wall s':>8} {'CPU s':>8} {'CPU ms/kernel':>14} {'RSS parent':>11} {'RSS worker':>11}")
    for name, r in rows:
        per = 1000 * r["cpu_s"] / max(1, r["kernels"])
        print(f"{name:22} {r['kernels']:>8} {r['setup_s']:>8} {r['wall_s']:>8} {r['cpu_s']:>8} {per:>14.1f} {r['rss_parent_mib']:>10}M {r['rss_worker_mib']:>10}M")
    print(f"extract --workers 2 wall / floor wall: {rows[2][1]['wall_s'] / floor['wall_s']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--examples", default=None, help="folder to extract (default: Warp's examples)")
    parser.add_argument("--synthetic", default="20x50,20x5", help="FILESxKERNELS trees, comma-separated ('' for none)")
    parser.add_argument("--targets", default="cpu,cuda")
    parser.add_argument("--no-backward", action="store_true")
    parser.add_argument("--skip-examples", action="store_true")
    args = parser.parse_args()
    if args.child:
        _child(json.loads(args.child))
        return
    targets, backward = args.targets.split(","), not args.no_backward
    if not args.skip_examples:
        import warp

        examples = args.examples or str(Path(warp.__file__).parent / "examples")
        compare(f"{examples}", examples, targets, backward)
    for spec in filter(None, args.synthetic.split(",")):
        files, kernels = map(int, spec.split("x"))
        tree = synthetic_tree(Path(tempfile.mkdtemp()) / f"tree_{spec}", files, kernels)
        compare(f"synthetic {files} files x {kernels} kernels", str(tree), ["cpu"], False)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()

"""Ask MathDx (cuBLASDx, bundled with Warp) which ``wp.tile_matmul`` GEMMs it builds, and record them.

    .venv/bin/python scripts/mathdx_sweep.py [--sizes 4,8,16] [--dtypes float32,float64]
        [--block-dims 16,32,64] [--archs 80,90] [-o src/warpsynth/generate/mathdx_table.py]

For every (M, N, K, dtype, block_dim, arch) it compiles a one-``tile_matmul`` kernel with
``wp.compile_aot_module(module, arch=arch)`` at that module ``block_dim``: Warp's codegen builds
the GEMM's LTO with libmathdx exactly as on a real launch (no GPU needed; the LTO symbol encodes
arch and block_dim, e.g. ``dot_4_4_4_90_16_...``). A compile that raises is a rejection. The
result is written as a Python module the generator imports (``generate/mathdx_table.py``).
Each sweep runs in a fresh, private kernel cache, so nothing cached decides the answer. The table
is rewritten after every compile and ``--resume`` keeps the keys an earlier sweep already measured
in the output file (a sweep on a loaded 2-core machine takes 40-170 s per compile).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time

_KERNEL = """import warp as wp

@wp.kernel
def gemm(a: wp.array2d(dtype=wp.{dt}), b: wp.array2d(dtype=wp.{dt}), c: wp.array2d(dtype=wp.{dt})):
    i, j = wp.tid()
    ta = wp.tile_load(a, shape=({m}, {k}), offset=(i * {m}, 0))
    tb = wp.tile_load(b, shape=({k}, {n}), offset=(0, j * {n}))
    wp.tile_store(c, wp.tile_matmul(ta, tb), offset=(i * {m}, j * {n}))
"""


def accepts(m: int, n: int, k: int, dtype: str, block_dim: int, arch: int) -> tuple[bool, str]:
    """(True, "") when MathDx builds the GEMM for ``arch`` at ``block_dim``; else (False, the error's first line)."""
    import warp as wp

    from warpsynth.extract import load_source

    source = _KERNEL.format(dt=dtype, m=m, n=n, k=k)
    with load_source(source, f"sweep{m}_{n}_{k}_{dtype}_{block_dim}_{arch}") as loaded:
        kernel = loaded.kernels()["gemm"]
        wp.set_module_options({"block_dim": block_dim}, module=kernel.module)
        with tempfile.TemporaryDirectory(prefix="mathdx-sweep-") as out:
            try:
                wp.compile_aot_module(kernel.module, arch=arch, module_dir=out, use_ptx=True)
            except Exception as exc:  # Warp raises RuntimeError with MathDx's message
                lines = [ln for ln in str(exc).splitlines() if "LTO" in ln] or str(exc).splitlines() or [type(exc).__name__]
                return False, lines[0].strip(";").strip()
    return True, ""


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def render_table(accepted: list[tuple], rejected: list[tuple], commands: list[str]) -> str:
    import warp as wp

    lines = [
        '"""GEMMs (``wp.tile_matmul``) that MathDx builds, as measured by ``scripts/mathdx_sweep.py``.',
        "",
        "Generated file: do not edit. Made with",
        "",
        *[f"    {c}" for c in commands],
        "",
        f"Warp {wp.config.version} (its bundled libmathdx), on a CPU-only machine (no GPU needed to build the LTO).",
        "Keys are (M, N, K, dtype, block_dim, arch) for C[M, N] = A[M, K] @ B[K, N].",
        '"""',
        "",
        "ACCEPTED: frozenset[tuple[int, int, int, str, int, int]] = frozenset({",
    ]
    lines += [f"    {key!r}," for key in sorted(accepted)]
    lines += ["})", "", "#: Each rejected key with MathDx's message.", "REJECTED: dict[tuple[int, int, int, str, int, int], str] = {"]
    lines += [f"    {key!r}: {msg!r}," for key, msg in sorted(rejected)]
    lines += ["}", "", f"COMMANDS: tuple[str, ...] = {tuple(commands)!r}", ""]
    return "\n".join(lines)


def _previous(path: str) -> tuple[list, list, list]:
    """(accepted, rejected, commands) of an existing table file, to resume a sweep."""
    import runpy

    if not os.path.exists(path):
        return [], [], []
    table = runpy.run_path(path)
    return list(table["ACCEPTED"]), list(table["REJECTED"].items()), list(table.get("COMMANDS", ()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="4,8,16", help="square GEMM sizes M=N=K")
    ap.add_argument("--dtypes", default="float32,float64")
    ap.add_argument("--block-dims", default="16,32,64")
    ap.add_argument("--archs", default="80,90")
    ap.add_argument("--resume", action="store_true", help="keep the keys already in the output table; measure the rest")
    ap.add_argument("-o", "--output", default=os.path.join("src", "warpsynth", "generate", "mathdx_table.py"))
    args = ap.parse_args(argv)
    import warp as wp

    wp.config.kernel_cache_dir = tempfile.mkdtemp(prefix="mathdx-sweep-cache-")
    from warpsynth import _warp

    _warp.init_quiet()
    accepted, rejected, commands = _previous(args.output) if args.resume else ([], [], [])
    done = set(accepted) | {k for k, _ in rejected}
    command = "python scripts/mathdx_sweep.py " + " ".join(
        f"--{k} {v}" for k, v in (("sizes", args.sizes), ("dtypes", args.dtypes), ("block-dims", args.block_dims), ("archs", args.archs)))
    commands = commands + [command + (" --resume" if args.resume else "")]
    for size, dtype, bd, arch in itertools.product(_ints(args.sizes), args.dtypes.split(","), _ints(args.block_dims), _ints(args.archs)):
        key = (size, size, size, dtype, bd, arch)
        if key in done:
            continue
        t1 = time.perf_counter()
        ok, msg = accepts(size, size, size, dtype, bd, arch)
        (accepted.append(key) if ok else rejected.append((key, msg)))
        print(f"{key}: {'ok' if ok else 'REJECTED ' + msg} ({time.perf_counter() - t1:.1f} s)", flush=True)
        with open(args.output, "w") as f:
            f.write(render_table(accepted, rejected, commands))
    print(f"{len(accepted)} accepted, {len(rejected)} rejected -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

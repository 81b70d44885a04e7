"""Command-line interface: each command parses options and calls one library function.

The contract every command follows (shared options, exit codes, the one-line error) is
written once in :mod:`warpsynth.cli_options`; progress bars come from :mod:`warpsynth.cli_progress`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from warpsynth import cli_options as O
from warpsynth.cli_progress import row_progress

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Verified Warp Python -> C++/CUDA/PTX datasets.")


@app.callback()
def _group(version: O.Version = None) -> None:
    """Verified Warp Python -> C++/CUDA/PTX datasets. Exit status: 0 ok, 1 partial failure, 2 usage/input error, 130 Ctrl-C."""


# ---- commands are registered below, one block each; keep each a few lines ----


@app.command("sample")
def sample_cmd(
    seed: Annotated[int, typer.Option("--seed", help="generator seed", show_default=False)],
    category: Annotated[Optional[str], typer.Option("--category", help="only this category (default: all, weighted)")] = None,
    meta: Annotated[bool, O.flag("--meta", "prefix metadata (features, builtins, launch) as comments")] = False,
) -> None:
    """Print one generated kernel program."""
    from warpsynth.generate.sample import sample_text

    typer.echo(sample_text(seed, category, meta), nl=False)


@app.command("diversity")
def diversity_cmd(
    n: Annotated[int, typer.Option("-n", help="number of consecutive seeds")] = 1000,
    start: Annotated[int, typer.Option("--start", help="first seed")] = 0,
    category: Annotated[Optional[str], typer.Option("--category", help="only this category")] = None,
    as_json: O.JsonOut = False,
    reference: Annotated[Optional[str], typer.Option("--reference", help="folder of real Warp code for the builtin-call divergence (default: the installed warp package's examples)")] = None,
) -> None:
    """Uniqueness, builtins/types, histograms, code-quality counts and builtin-call divergence of generated kernels."""
    from warpsynth.generate.sample import diversity_text

    typer.echo(diversity_text(n, category, start, as_json, reference))


@app.command("validate")
def validate_cmd(
    directory: O.DatasetDir,
    recodegen: Annotated[bool, O.flag("--recodegen", "re-run extraction and compare code byte for byte")] = False,
    sample: Annotated[Optional[int], typer.Option("--sample", help="with --recodegen: only N rows (deterministic choice)")] = None,
    no_progress: O.NoProgress = False,
) -> None:
    """Check the shards against the card and run markers, and schema, Python, code and ids of every row; exit 1 on any failure."""
    from warpsynth.curate.validate import validate

    with row_progress("validate", directory, O.progress_enabled(no_progress)) as advance:
        result = validate(directory, recodegen=recodegen, sample=sample, progress=advance)
    typer.echo(result.table())
    raise typer.Exit(O.EXIT_OK if result.ok else O.EXIT_PARTIAL)


@app.command("dedup")
def dedup_cmd(
    directory: O.DatasetDir,
    output: O.OutputDir,
    threshold: Annotated[float, typer.Option("--threshold", help="Jaccard threshold for near duplicates, in (0, 1]")] = 0.7,
    exact_only: Annotated[bool, O.flag("--exact-only", "canonical-form duplicates only (no MinHash)")] = False,
    overwrite: O.Overwrite = False,
    no_progress: O.NoProgress = False,
) -> None:
    """Drop exact (canonical form) and near (MinHash LSH) duplicates, one row kept per cluster."""
    from warpsynth.curate.dedup import dedup, format_summary

    with row_progress("dedup", directory, O.progress_enabled(no_progress)) as advance:
        summary = dedup(directory, output, threshold=threshold, near=not exact_only, overwrite=overwrite, progress=advance)
    typer.echo(format_summary(summary))


@app.command("split")
def split_cmd(
    directory: O.DatasetDir,
    output: O.OutputDir,
    val: Annotated[float, typer.Option("--val", help="validation fraction")] = 0.05,
    test: Annotated[float, typer.Option("--test", help="test fraction")] = 0.05,
    seed: Annotated[int, typer.Option("--seed", help="salt of the cluster order")] = 0,
    licenses: O.Licenses = None,
    overwrite: O.Overwrite = False,
    no_progress: O.NoProgress = False,
) -> None:
    """Split into train/validation/test by near-duplicate cluster (no cluster spans two splits)."""
    from warpsynth.curate.split import format_summary, split

    with row_progress("split", directory, O.progress_enabled(no_progress)) as advance:
        summary = split(directory, output, val=val, test=test, seed=seed, overwrite=overwrite, progress=advance, licenses=licenses)
    typer.echo(format_summary(summary))


@app.command("decontaminate")
def decontaminate_cmd(
    directory: O.DatasetDir,
    against: Annotated[List[Path], typer.Option("--against", help="evaluation files, folders or dataset folders (repeatable)", show_default=False)],
    output: O.OptionalOutputDir = None,
    ngram: Annotated[int, typer.Option("--ngram", help="shared n-gram length in tokens")] = 20,
    overwrite: O.Overwrite = False,
    no_progress: O.NoProgress = False,
) -> None:
    """Drop rows whose Python or generated code shares a long n-gram with an evaluation set."""
    from warpsynth.curate.decontaminate import decontaminate, format_report

    with row_progress("decontaminate", directory, O.progress_enabled(no_progress)) as advance:
        report = decontaminate(directory, list(against), out=output, ngram=ngram, overwrite=overwrite, progress=advance)
    typer.echo(format_report(report))


@app.command("report")
def report_cmd(
    directory: O.DatasetDir,
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="report folder (default: DIRECTORY/_report)")] = None,
    overwrite: O.Overwrite = False,
    no_progress: O.NoProgress = False,
) -> None:
    """Write a self-contained HTML report (embedded plots) and a Markdown summary."""
    from warpsynth.curate.report import report

    with row_progress("report", directory, O.progress_enabled(no_progress)) as advance:
        paths = report(directory, output, overwrite=overwrite, progress=advance)
    typer.echo(f"html: {paths['html']}\nmarkdown: {paths['markdown']}")


@app.command("export")
def export_cmd(
    directory: O.DatasetDir,
    task: Annotated[str, typer.Option("--task", help="python-to-cuda, python-to-cpp, forward-to-backward or cuda-to-python", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="output .jsonl file", show_default=False)],
    fmt: Annotated[str, typer.Option("--format", help="chat (messages) or completion (prompt/completion)")] = "chat",
    split: Annotated[Optional[List[str]], typer.Option("--split", help="only these splits (repeatable)")] = None,
    templates: Annotated[Optional[Path], typer.Option("--templates", help="JSON file overriding prompt templates")] = None,
    licenses: O.Licenses = None,
    overwrite: O.Overwrite = False,
    no_progress: O.NoProgress = False,
) -> None:
    """Write ready-to-train JSONL for one task (prompt templates: docs/curation.md)."""
    from warpsynth.curate.export import export

    with row_progress("export", directory, O.progress_enabled(no_progress)) as advance:
        r = export(directory, output, task=task, fmt=fmt, splits=split or None, templates=templates, licenses=licenses, overwrite=overwrite, progress=advance)
    typer.echo(f"{r['written']:,} examples -> {r['file']} ({r['skipped']:,} rows skipped: missing code for {task})")


@app.command("extract")
def extract_cmd(
    paths: O.Paths,
    output: Annotated[Path, typer.Option("-o", "--output", help="output file, .jsonl or .parquet", show_default=False)],
    targets: O.Targets = O.DEFAULT_TARGETS,
    ptx: O.Ptx = None,
    no_backward: Annotated[bool, O.flag("--no-backward", "drop adjoint code (never adds any)")] = False,
    cuda_arch: Annotated[Optional[str], typer.Option("--cuda-arch", help="arch of the CUDA text, e.g. sm_90 (default: highest --ptx arch, else sm_90)")] = None,
    include_warp: Annotated[bool, O.flag("--include-warp", "also extract Warp's own library kernels (origin warp-library)")] = False,
    workers: Annotated[Optional[int], typer.Option("--workers", help="files imported at once, each in its own process (default: CPU count)")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="seconds per file before its worker is killed")] = 300.0,
    overwrite: O.Overwrite = False,
    no_progress: O.NoProgress = False,
) -> None:
    """Extract the exact code Warp generates for every kernel in PATHs."""
    from warpsynth.extract import default_cuda_arch
    from warpsynth.extract.cli_report import run_extract
    from warpsynth.pipeline.config import parse_ptx, parse_targets

    target_list = parse_targets(targets)
    archs = list(parse_ptx(ptx, target_list))
    arch = parse_ptx(cuda_arch, target_list, option="--cuda-arch")[-1] if cuda_arch else default_cuda_arch(archs)
    raise typer.Exit(run_extract(paths, output, list(target_list), archs, not no_backward, cuda_arch=arch, include_warp=include_warp,
                                 workers=workers if workers is not None else (os.cpu_count() or 1), timeout=timeout, overwrite=overwrite,
                                 progress=O.progress_enabled(no_progress)))


@app.command("generate")
def generate_cmd(
    n: Annotated[int, typer.Option("-n", help="number of samples (one seed each)", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="dataset folder to create or resume", show_default=False)],
    seed: Annotated[int, typer.Option("--seed", help="run seed; sample i gets seed*2**32+i")] = 0,
    workers: Annotated[Optional[int], typer.Option("--workers", help="worker processes (default: CPU count; 0: in-process)")] = None,
    shards: Annotated[Optional[int], typer.Option("--shards", help="tasks = shard files (default: ~500 samples each, a multiple of 4)")] = None,
    targets: O.Targets = O.DEFAULT_TARGETS,
    ptx: O.Ptx = None,
    no_backward: O.NoBackward = False,
    category_weights: Annotated[Optional[str], typer.Option("--category-weights", help="NAME=WEIGHT,... over the generator's categories, e.g. tile=2,random=0.5 (list: warpsynth diversity)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="parquet or jsonl")] = "parquet",
    verify: Annotated[str, typer.Option("--verify", help="verification level: codegen, compile, run, grad or cuda (cuda needs a GPU; docs/verification.md)")] = "codegen",
    row_timings: Annotated[bool, O.flag("--row-timings", "store per-stage verify timings in each row (output is then not byte-identical run to run)")] = False,
    overwrite: Annotated[bool, O.flag("--overwrite", "replace a run with different settings in -o (only files a warpsynth run wrote)")] = False,
    no_progress: O.NoProgress = False,
    generator: Annotated[Optional[str], typer.Option("--generator", hidden=True, help="module:function (default: the pipeline's DEFAULT_GENERATOR)")] = None,
    executor: Annotated[str, typer.Option("--executor", help="local (worker processes) or ray")] = "local",
    ray_address: Annotated[Optional[str], typer.Option("--ray-address", help="Ray cluster address (default: local Ray)")] = None,
) -> None:
    """Generate N kernels into a Hugging Face-style dataset folder (resumable); exit 1 when no row was written."""
    from warpsynth.pipeline import config as C, generate
    from warpsynth.pipeline.executors import executor_by_name

    target_list = C.parse_targets(targets)
    summary = generate(
        n, output, seed=seed, shards=shards, targets=target_list, ptx=C.parse_ptx(ptx, target_list),
        backward=not no_backward, category_weights=dict(C.parse_weights(category_weights)), fmt=fmt, verify=verify,
        row_timings=row_timings, workers=workers, overwrite=overwrite, progress=O.progress_enabled(no_progress),
        generator=generator or C.DEFAULT_GENERATOR, executor=executor_by_name(executor, workers, ray_address),
    )
    summary.print()
    raise typer.Exit(summary.exit_status())


@app.command("poisson")
def poisson_cmd(
    res: Annotated[int, typer.Option("--res", help="cells per side of the unit square (>= 1)")] = 16,
    degree: Annotated[int, typer.Option("--degree", help="Lagrange polynomial degree, 1..3")] = 1,
    mesh: Annotated[str, typer.Option("--mesh", help="grid (quads) or tri (triangles)")] = "grid",
    solution: Annotated[str, typer.Option("--solution", help="manufactured solution: sin or poly2")] = "sin",
    tol: Annotated[float, typer.Option("--tol", help="CG relative tolerance")] = 1e-12,
    plot: Annotated[Optional[Path], typer.Option("--plot", help="PNG of the solution and its error")] = None,
    emit_kernels: Annotated[Optional[Path], typer.Option("--emit-kernels", help="write warp.fem's kernels as rows (.jsonl/.parquet)")] = None,
    as_json: O.JsonOut = False,
    overwrite: O.Overwrite = False,
) -> None:
    """Solve -Laplace(u) = f on the unit square with warp.fem (CPU, float64) and check it against u."""
    from warpsynth.fem.cli_report import run_poisson

    for path, option in ((plot, "--plot"), (emit_kernels, "--emit-kernels")):
        if path is not None:
            O.check_output_file(path, overwrite, option)
    raise typer.Exit(run_poisson(res, degree, mesh, solution, tol, plot, emit_kernels, as_json))


@app.command("poisson-study")
def poisson_study_cmd(
    res: Annotated[str, typer.Option("--res", help="comma-separated resolutions")] = "4,8,16,32",
    degree: Annotated[str, typer.Option("--degree", help="comma-separated degrees, 1..3")] = "1,2",
    mesh: Annotated[str, typer.Option("--mesh", help="grid or tri")] = "grid",
    solution: Annotated[str, typer.Option("--solution", help="sin or poly2")] = "sin",
    tol: Annotated[float, typer.Option("--tol", help="CG relative tolerance")] = 1e-12,
    plot: Annotated[Optional[Path], typer.Option("--plot", help="log-log PNG of L2 error vs h")] = None,
    as_json: O.JsonOut = False,
    overwrite: O.Overwrite = False,
) -> None:
    """Convergence study of the Poisson solver: errors per resolution and observed orders."""
    from warpsynth.fem.cli_report import parse_int_list, run_study

    if plot is not None:
        O.check_output_file(plot, overwrite, "--plot")
    resolutions, degrees = parse_int_list(res, "--res"), parse_int_list(degree, "--degree")
    raise typer.Exit(run_study(resolutions, degrees, mesh, solution, tol, plot, as_json))


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point (``warpsynth``); returns the exit status (0, 1, 2 or 130) instead of raising."""
    return O.run_app(app, argv)


if __name__ == "__main__":
    sys.exit(main())

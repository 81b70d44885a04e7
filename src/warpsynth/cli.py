"""Command-line interface: each command parses options and calls one library function."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Verified Warp Python -> C++/CUDA/PTX datasets.")


from warpsynth.errors import WarpsynthError


@app.callback()
def _group() -> None:
    """Verified Warp Python -> C++/CUDA/PTX datasets (keeps subcommands even with one registered)."""


# ---- commands are registered below, one block each; keep each a few lines ----


@app.command("sample")
def sample_cmd(
    seed: int = typer.Option(..., "--seed", help="generator seed"),
    category: Optional[str] = typer.Option(None, "--category", help="only this category (default: all, weighted)"),
    meta: bool = typer.Option(False, "--meta", help="prefix metadata (features, builtins, launch) as comments"),
) -> None:
    """Print one generated kernel program."""
    from warpsynth.generate.sample import sample_text

    typer.echo(sample_text(seed, category, meta), nl=False)


@app.command("diversity")
def diversity_cmd(
    n: int = typer.Option(1000, "-n", help="number of consecutive seeds"),
    start: int = typer.Option(0, "--start", help="first seed"),
    category: Optional[str] = typer.Option(None, "--category", help="only this category"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    reference: Optional[str] = typer.Option(None, "--reference", help="folder of real Warp code for the builtin-call divergence (default: the installed warp package's examples)"),
) -> None:
    """Uniqueness, builtins/types, histograms, code-quality counts and builtin-call divergence of generated kernels."""
    from warpsynth.generate.sample import diversity_text

    typer.echo(diversity_text(n, category, start, as_json, reference))


@app.command("validate")
def validate_cmd(
    directory: Path = typer.Argument(..., help="dataset folder"),
    recodegen: bool = typer.Option(False, "--recodegen", help="re-run extraction and compare code byte for byte"),
    sample: Optional[int] = typer.Option(None, "--sample", help="with --recodegen: only N rows (deterministic choice)"),
) -> None:
    """Check schema, Python, code columns and ids of every row; exit 1 on any failure."""
    from warpsynth.curate.validate import validate

    result = validate(directory, recodegen=recodegen, sample=sample)
    typer.echo(result.table())
    raise typer.Exit(0 if result.ok else 1)


@app.command("dedup")
def dedup_cmd(
    directory: Path = typer.Argument(..., help="dataset folder"),
    output: Path = typer.Option(..., "-o", "--output", help="new dataset folder"),
    threshold: float = typer.Option(0.7, "--threshold", help="Jaccard threshold for near duplicates"),
    exact_only: bool = typer.Option(False, "--exact-only", help="canonical-form duplicates only (no MinHash)"),
    force: bool = typer.Option(False, "--force", help="replace an existing output folder"),
) -> None:
    """Drop exact (canonical form) and near (MinHash LSH) duplicates, one row kept per cluster."""
    from warpsynth.curate.dedup import dedup, format_summary

    typer.echo(format_summary(dedup(directory, output, threshold=threshold, near=not exact_only, force=force)))


@app.command("split")
def split_cmd(
    directory: Path = typer.Argument(..., help="dataset folder"),
    output: Path = typer.Option(..., "-o", "--output", help="new dataset folder"),
    val: float = typer.Option(0.05, "--val", help="validation fraction"),
    test: float = typer.Option(0.05, "--test", help="test fraction"),
    seed: int = typer.Option(0, "--seed", help="salt of the cluster order"),
    force: bool = typer.Option(False, "--force", help="replace an existing output folder"),
) -> None:
    """Split into train/validation/test by near-duplicate cluster (no cluster spans two splits)."""
    from warpsynth.curate.split import split

    summary = split(directory, output, val=val, test=test, seed=seed, force=force)
    typer.echo("\n".join(f"{k:<11}{summary['rows'][k]:>10,} rows {summary['clusters'][k]:>10,} clusters" for k in summary["rows"]))


@app.command("decontaminate")
def decontaminate_cmd(
    directory: Path = typer.Argument(..., help="dataset folder"),
    against: List[Path] = typer.Option(..., "--against", help="evaluation files, folders or dataset folders (repeatable)"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="new dataset folder (default: rewrite DIRECTORY)"),
    ngram: int = typer.Option(20, "--ngram", help="shared n-gram length in tokens"),
    force: bool = typer.Option(False, "--force", help="replace an existing output folder"),
) -> None:
    """Drop rows whose Python or generated code shares a long n-gram with an evaluation set."""
    from warpsynth.curate.decontaminate import decontaminate, format_report

    typer.echo(format_report(decontaminate(directory, list(against), out=output, ngram=ngram, force=force)))


@app.command("report")
def report_cmd(
    directory: Path = typer.Argument(..., help="dataset folder"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="report folder (default: DIRECTORY/_report)"),
) -> None:
    """Write a self-contained HTML report (embedded plots) and a Markdown summary."""
    from warpsynth.curate.report import report

    paths = report(directory, output)
    typer.echo(f"html: {paths['html']}\nmarkdown: {paths['markdown']}")


@app.command("export")
def export_cmd(
    directory: Path = typer.Argument(..., help="dataset folder"),
    task: str = typer.Option(..., "--task", help="python-to-cuda, python-to-cpp, forward-to-backward or cuda-to-python"),
    fmt: str = typer.Option("chat", "--format", help="chat (messages) or completion (prompt/completion)"),
    output: Path = typer.Option(..., "-o", "--output", help="output .jsonl file"),
    split: Optional[List[str]] = typer.Option(None, "--split", help="only these splits (repeatable)"),
    templates: Optional[Path] = typer.Option(None, "--templates", help="JSON file overriding prompt templates"),
) -> None:
    """Write ready-to-train JSONL for one task (prompt templates: docs/curation.md)."""
    from warpsynth.curate.export import export

    r = export(directory, output, task=task, fmt=fmt, splits=split or None, templates=templates)
    typer.echo(f"{r['written']:,} examples -> {r['file']} ({r['skipped']:,} rows skipped: missing code for {task})")


def _csv(value: Optional[str]) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def _archs(value: Optional[str]) -> list[int]:
    """'sm_80,sm_90' or '80,90' -> [80, 90]."""
    try:
        return [int(v.lower().removeprefix("sm_")) for v in _csv(value)]
    except ValueError:
        raise WarpsynthError(f"--ptx: expected arch list like sm_80,sm_90, got {value!r}") from None


@app.command("extract")
def extract_cmd(
    paths: List[Path] = typer.Argument(..., help="Python files or folders to import"),
    output: Path = typer.Option(..., "-o", "--output", help="output file, .jsonl or .parquet"),
    targets: str = typer.Option("cpu,cuda", help="comma-separated targets"),
    ptx: Optional[str] = typer.Option(None, help="PTX archs, e.g. sm_80,sm_90"),
    no_backward: bool = typer.Option(False, "--no-backward", help="skip adjoint code"),
) -> None:
    """Extract the exact code Warp generates for every kernel in PATHs."""
    from warpsynth.extract.cli_report import run_extract

    raise typer.Exit(run_extract(paths, output, _csv(targets), _archs(ptx), not no_backward))


@app.command("generate")
def generate_cmd(
    n: int = typer.Option(..., "-n", help="number of samples (one seed each)"),
    output: Path = typer.Option(..., "-o", "--output", help="dataset folder to create or resume"),
    seed: int = typer.Option(0, "--seed", help="run seed; sample i gets seed*2**32+i"),
    workers: Optional[int] = typer.Option(None, "--workers", help="worker processes (default: CPU count; 0: in-process)"),
    shards: Optional[int] = typer.Option(None, "--shards", help="tasks = shard files (default: ~500 samples each, a multiple of 4)"),
    targets: str = typer.Option("cpu,cuda", "--targets", help="comma-separated: cpu,cuda"),
    ptx: Optional[str] = typer.Option(None, "--ptx", help="PTX archs, e.g. sm_80,sm_90"),
    no_backward: bool = typer.Option(False, "--no-backward", help="forward code only"),
    category_weights: Optional[str] = typer.Option(None, "--category-weights", help="e.g. elementwise=2,reduction=1"),
    fmt: str = typer.Option("parquet", "--format", help="parquet or jsonl"),
    verify: str = typer.Option("codegen", "--verify", help="codegen, compile, run or grad"),
    row_timings: bool = typer.Option(False, "--row-timings", help="store per-stage verify timings in each row (output is then not byte-identical run to run)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace a run with different settings in -o"),
    no_progress: bool = typer.Option(False, "--no-progress", help="no progress bar"),
    generator: str = typer.Option("warpsynth.pipeline.programs:warp_generator", "--generator", hidden=True),
    executor: str = typer.Option("local", "--executor", help="local (worker processes) or ray"),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Ray cluster address (default: local Ray)"),
) -> None:
    """Generate N kernels into a Hugging Face-style dataset folder (resumable)."""
    from warpsynth.pipeline import config as C, generate
    from warpsynth.pipeline.ray_executor import executor_by_name

    generate(
        n, output, seed=seed, shards=shards, targets=C.parse_targets(targets), ptx=C.parse_ptx(ptx),
        backward=not no_backward, category_weights=dict(C.parse_weights(category_weights)), fmt=fmt, verify=verify,
        row_timings=row_timings, workers=workers, overwrite=overwrite, progress=not no_progress, generator=generator,
        executor=executor_by_name(executor, workers, ray_address),
    ).print()


@app.command("poisson")
def poisson_cmd(
    res: int = typer.Option(16, "--res", help="cells per side of the unit square (>= 1)"),
    degree: int = typer.Option(1, "--degree", help="Lagrange polynomial degree, 1..3"),
    mesh: str = typer.Option("grid", "--mesh", help="grid (quads) or tri (triangles)"),
    solution: str = typer.Option("sin", "--solution", help="manufactured solution: sin or poly2"),
    tol: float = typer.Option(1e-12, "--tol", help="CG relative tolerance"),
    plot: Optional[Path] = typer.Option(None, "--plot", help="PNG of the solution and its error"),
    emit_kernels: Optional[Path] = typer.Option(None, "--emit-kernels", help="write warp.fem's kernels as rows (.jsonl/.parquet)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Solve -Laplace(u) = f on the unit square with warp.fem (CPU, float64) and check it against u."""
    from warpsynth.fem.cli_report import run_poisson

    raise typer.Exit(run_poisson(res, degree, mesh, solution, tol, plot, emit_kernels, as_json))


@app.command("poisson-study")
def poisson_study_cmd(
    res: str = typer.Option("4,8,16,32", "--res", help="comma-separated resolutions"),
    degree: str = typer.Option("1,2", "--degree", help="comma-separated degrees, 1..3"),
    mesh: str = typer.Option("grid", "--mesh", help="grid or tri"),
    solution: str = typer.Option("sin", "--solution", help="sin or poly2"),
    tol: float = typer.Option(1e-12, "--tol", help="CG relative tolerance"),
    plot: Optional[Path] = typer.Option(None, "--plot", help="log-log PNG of L2 error vs h"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Convergence study of the Poisson solver: errors per resolution and observed orders."""
    from warpsynth.fem.cli_report import parse_int_list, run_study

    resolutions, degrees = parse_int_list(res, "--res"), parse_int_list(degree, "--degree")
    raise typer.Exit(run_study(resolutions, degrees, mesh, solution, tol, plot, as_json))


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point (``warpsynth``); returns the exit status instead of raising."""
    try:
        status = app(args=argv, standalone_mode=False)  # click returns a command's typer.Exit code here
    except WarpsynthError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("aborted", err=True)
        return 130
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        raise
    return status if isinstance(status, int) else 0


if __name__ == "__main__":
    sys.exit(main())

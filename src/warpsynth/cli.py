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
    shards: Optional[int] = typer.Option(None, "--shards", help="tasks = shard files (default: ~1,000 samples each, at least 4)"),
    targets: str = typer.Option("cpu,cuda", "--targets", help="comma-separated: cpu,cuda"),
    ptx: Optional[str] = typer.Option(None, "--ptx", help="PTX archs, e.g. sm_80,sm_90"),
    no_backward: bool = typer.Option(False, "--no-backward", help="forward code only"),
    category_weights: Optional[str] = typer.Option(None, "--category-weights", help="e.g. elementwise=2,reduction=1"),
    fmt: str = typer.Option("parquet", "--format", help="parquet or jsonl"),
    verify: str = typer.Option("codegen", "--verify", help="codegen, compile, run or grad"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace a run with different settings in -o"),
    no_progress: bool = typer.Option(False, "--no-progress", help="no progress bar"),
    generator: str = typer.Option("warpsynth.pipeline.programs:warp_generator", "--generator", hidden=True),
) -> None:
    """Generate N kernels into a Hugging Face-style dataset folder (resumable)."""
    from warpsynth.pipeline import config as C, generate

    generate(
        n, output, seed=seed, shards=shards, targets=C.parse_targets(targets), ptx=C.parse_ptx(ptx),
        backward=not no_backward, category_weights=dict(C.parse_weights(category_weights)), fmt=fmt, verify=verify,
        workers=workers, overwrite=overwrite, progress=not no_progress, generator=generator,
    ).print()


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point (``warpsynth``); returns the exit status instead of raising."""
    try:
        app(args=argv, standalone_mode=False)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())

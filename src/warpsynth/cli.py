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

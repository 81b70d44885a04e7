"""Command-line interface: each command parses options and calls one library function."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Verified Warp Python -> C++/CUDA/PTX datasets.")


from warpsynth.errors import WarpsynthError


# ---- commands are registered below, one block each; keep each a few lines ----


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

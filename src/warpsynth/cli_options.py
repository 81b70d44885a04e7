"""The command-line contract, written once: shared option definitions and the error path.

Every command of ``warpsynth`` takes its common options from here (so ``--overwrite``,
``--no-progress``, ``--targets``... are spelled and documented the same everywhere), and
:func:`run_app` turns every way a command can end into an exit status:

==== =====================================================================================
0    success
1    partial failure (the command printed a summary), or a run that wrote no rows
2    usage or input error: one line ``error: <option or file>: <reason>`` on stderr
130  interrupted (Ctrl-C), one line on stderr
141  stdout was closed by its reader (``| head``): no message, as a process killed by SIGPIPE
==== =====================================================================================

Typer 0.29 vendors its own copy of click (``typer._click``); its usage errors derive from
the public ``typer.TyperException`` (with click's ``exit_code`` and ``format_message``), so
that is what is caught here -- not the separately installed ``click`` package's classes.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import Annotated, Callable, List, Optional

import typer

from warpsynth.dataset.io import check_output_file  # noqa: F401  (re-exported for the commands)
from warpsynth.dataset.schema import TARGETS
from warpsynth.errors import PartialFailure, WarpsynthError

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
#: 128 + SIGPIPE: what a shell reports for a writer whose reader went away.
EXIT_BROKEN_PIPE = 141


def flag(name: str, help: str) -> typer.models.OptionInfo:
    """A boolean ``--name`` flag shown without a ``<bool>`` type column in ``--help``."""
    return typer.Option(name, help=help, metavar="")


# ---- shared options (Annotated, reused by every command that has them) ----------------------
Overwrite = Annotated[bool, flag("--overwrite", "replace existing output (only files warpsynth wrote; anything else is refused)")]
NoProgress = Annotated[bool, flag("--no-progress", "no progress bar (it is also off when stderr is not a terminal)")]
NoBackward = Annotated[bool, flag("--no-backward", "forward code only (no adjoint)")]
Targets = Annotated[str, typer.Option("--targets", help=f"comma-separated code targets: {','.join(TARGETS)}")]
#: ``--targets`` when not given: every target.
DEFAULT_TARGETS = ",".join(TARGETS)
Ptx = Annotated[Optional[str], typer.Option("--ptx", help="PTX archs via Warp's bundled NVRTC, e.g. sm_80,sm_90 (needs the cuda target)")]
DatasetDir = Annotated[Path, typer.Argument(help="dataset folder (data/*.parquet|jsonl + README.md card)", show_default=False)]
OutputDir = Annotated[Path, typer.Option("-o", "--output", help="new dataset folder", show_default=False)]
OptionalOutputDir = Annotated[Optional[Path], typer.Option("-o", "--output", help="new dataset folder (default: rewrite DIRECTORY in place, with --overwrite)")]
Licenses = Annotated[Optional[str], typer.Option("--license", help="keep only rows with these SPDX licenses, e.g. MIT,Apache-2.0 (null counts as unknown)")]
JsonOut = Annotated[bool, flag("--json", "print JSON")]
Paths = Annotated[List[Path], typer.Argument(help="Python files or folders to import", show_default=False)]


def progress_enabled(no_progress: bool) -> bool:
    """Progress bars go to stderr, and only when it is a terminal and ``--no-progress`` is not given."""
    return not no_progress and sys.stderr.isatty()


# ---- the one error path --------------------------------------------------------------------
def _say(message: str) -> None:
    """One line on stderr (newlines in a message are folded, so it stays one line)."""
    print("error: " + " ".join(message.split()), file=sys.stderr)


def _usage_line(exc: typer.TyperException) -> str:
    """``<option>: <reason>`` for a usage error raised by typer's click."""
    from typer.core import TyperArgument

    param = getattr(exc, "param", None)
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    if param is not None:
        if isinstance(param, TyperArgument):
            name = (param.metavar or param.name or "").upper()
        else:
            name = "/".join(param.opts)
        message = message.split(": ", 1)[1] if message.startswith("Invalid value for") and ": " in message else message
        return f"{name}: {message}"
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "warpsynth"
    return f"{command}: {message} (see {command} --help)"


def _os_error_line(exc: OSError) -> str:
    where = exc.filename or "output"
    reason = "no space left on device" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    return f"{where}: {reason}"


def _stdout_closed() -> int:
    """The reader of stdout left (``warpsynth sample | head``). Point stdout at devnull so the
    interpreter's own flush at exit does not fail again (Python docs, "Note on SIGPIPE")."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


def run_app(app: Callable[..., object], argv: Optional[List[str]]) -> int:
    """Run the typer ``app`` on ``argv`` and map its outcome to the exit status (see module doc)."""
    try:
        status = app(args=argv, standalone_mode=False, prog_name="warpsynth")
    except PartialFailure as exc:
        _say(str(exc))
        return EXIT_PARTIAL
    except WarpsynthError as exc:
        _say(str(exc))
        return EXIT_USAGE
    except typer.Exit as exc:
        status = exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        status = EXIT_INTERRUPTED
    except typer.TyperException as exc:  # click usage errors (typer's vendored click)
        if type(exc).__name__ == "NoArgsIsHelpError":  # typer has printed the help already
            return EXIT_USAGE
        _say(_usage_line(exc))
        return getattr(exc, "exit_code", EXIT_USAGE)
    except BrokenPipeError:
        return _stdout_closed()
    except SystemExit as exc:  # typer (and rich) answer a closed stdout with sys.exit(1)
        if isinstance(exc.__context__, OSError) and exc.__context__.errno == errno.EPIPE:
            return _stdout_closed()
        raise
    except OSError as exc:  # full disk, permission denied... on a path the command writes or reads
        _say(_os_error_line(exc))
        return EXIT_PARTIAL if exc.errno == errno.ENOSPC else EXIT_USAGE
    status = status if isinstance(status, int) else EXIT_OK
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        return _stdout_closed()
    if status == EXIT_INTERRUPTED:  # typer turns Ctrl-C into Exit(130) without a word
        print("interrupted (Ctrl-C); output is left as it was or resumable: rerun the same command", file=sys.stderr)
    return status


def version_callback(value: bool) -> None:
    """``--version``: print ``warpsynth X.Y.Z (warp-lang A.B.C)`` and exit 0."""
    if value:
        from importlib.metadata import PackageNotFoundError, version

        from warpsynth._version import __version__

        try:
            warp = version("warp-lang")
        except PackageNotFoundError:  # pragma: no cover - warp-lang is a dependency
            warp = "not installed"
        print(f"warpsynth {__version__} (warp-lang {warp})")
        raise typer.Exit(EXIT_OK)


Version = Annotated[
    Optional[bool],
    typer.Option("--version", callback=version_callback, is_eager=True, help="print the version and exit", metavar=""),
]


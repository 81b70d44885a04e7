"""Console side of ``warpsynth extract``: progress, failure lines, the summary, the output file."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from warpsynth.dataset.io import ShardWriter, check_output_file, format_of
from warpsynth.errors import WarpsynthError
from warpsynth.extract.files import find_python_files
from warpsynth.extract.runner import DEFAULT_TIMEOUT_S, ExtractReport, extract_paths


def run_extract(
    paths: Sequence[Path],
    output: Path,
    targets: list[str],
    ptx_archs: list[int],
    backward: bool,
    *,
    cuda_arch: int | None = None,
    include_warp: bool = False,
    workers: int = 1,
    timeout: float = DEFAULT_TIMEOUT_S,
    overwrite: bool = False,
    progress: bool = True,
) -> int:
    """Extract to ``output``; returns the exit status: 0 when every imported kernel was extracted
    (files skipped for a missing optional package do not count), 1 otherwise or when nothing
    was found. The output appears (atomically) only when at least one row was extracted;
    an existing output is replaced only with ``overwrite``. Bad input raises WarpsynthError."""
    format_of(output)  # refuse an unknown extension before any work
    check_output_file(output, overwrite)
    console = Console(stderr=True)
    total = len(find_python_files(paths))  # also refuses missing paths before any work
    try:
        writer = ShardWriter(output)
    except OSError as exc:
        raise _disk_error(exc, output) from None
    with writer, _progress(console, total, progress) as bar:
        task = bar.add_task("extract", total=total, file="")
        report = extract_paths(
            paths, targets, ptx_archs, backward, cuda_arch=cuda_arch, include_warp=include_warp, workers=workers,
            timeout=timeout, sink=lambda rows: _write(writer, rows, output),
            on_failure=lambda f: bar.console.print(f.line(), markup=False, highlight=False, soft_wrap=True),
            on_file=lambda name, result: _file_done(bar, task, name, result),
        )
        if report.kernels_extracted:
            _commit(writer, output)
    summary = Console()  # the summary on stdout, as every command's; progress and failures stay on stderr
    summary.print(summary_table(report, output if report.kernels_extracted else None))
    if report.kernels_found == 0:
        summary.print(f"no kernels found in {', '.join(map(str, paths))}: nothing written", markup=False, highlight=False)
        return 1
    if report.kernels_extracted == 0:
        summary.print("no kernel could be extracted: nothing written", markup=False, highlight=False)
    return 0 if not report.failures and report.kernels_extracted else 1


def _file_done(bar: Progress, task, name: str, result) -> None:
    """Progress per file: its name while it runs; a line when it was skipped for a missing package."""
    if result is None:
        bar.update(task, file=name)
        return
    bar.advance(task)
    lines = [f"{name}: skipped (needs {result.skipped_for})"] if result.skipped_for is not None else []
    lines += [f"{name}::{k}: skipped (generic kernel without wp.overload: Warp builds it only when a launch instantiates it)"
              for k in result.generic_without_overloads]
    for line in lines:
        bar.console.print(line, markup=False, highlight=False, soft_wrap=True)


def _progress(console: Console, total: int, enabled: bool) -> Progress:
    return Progress(
        TextColumn("extract"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.fields[file]}"),
        console=console, transient=True, disable=not enabled or total < 2,
    )


def _disk_error(exc: OSError, output: Path) -> WarpsynthError:
    reason = "disk full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else (exc.strerror or type(exc).__name__)
    return WarpsynthError(f"{output}: {reason} while writing; no output written")


def _write(writer: ShardWriter, rows: list[dict], output: Path) -> None:
    try:
        writer.write(rows)
    except OSError as exc:
        raise _disk_error(exc, output) from None


def _commit(writer: ShardWriter, output: Path) -> None:
    try:
        writer.commit()
    except OSError as exc:
        raise _disk_error(exc, output) from None


def summary_table(report: ExtractReport, output: Path | None) -> Table:
    table = Table(title="warpsynth extract", show_header=False)
    table.add_row("files scanned", str(report.files_scanned))
    table.add_row("files imported", str(report.files_imported))
    for package, count in sorted(report.skipped_by_package().items()):
        table.add_row(f"skipped (needs {package})", str(count))
    table.add_row("kernels found", str(report.kernels_found))
    table.add_row("kernels extracted", str(report.kernels_extracted))
    for label, count in (("same kernel reached twice", report.duplicates), ("identical to another kernel of its module", report.identical),
                         ("generic kernels without overloads (skipped)", report.generic_without_overloads), ("Warp library kernels left out", report.library_left_out),
                         ("kernels of files outside the paths", report.outside)):
        if count:
            table.add_row(label, str(count))
    for reason, count in sorted(report.failures_by_reason().items()):
        table.add_row(f"failed: {reason}", str(count))
    table.add_row("output", str(output) if output is not None else "(none written)")
    return table


__all__ = ["run_extract", "summary_table"]

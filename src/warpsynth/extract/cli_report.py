"""Console side of ``warpsynth extract``: run the library call, print failures and a summary."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from warpsynth.dataset.io import format_of, write_rows
from warpsynth.extract.files import extract_paths


def run_extract(paths: list[Path], output: Path, targets: list[str], ptx_archs: list[int], backward: bool) -> int:
    """Returns the exit status: 0 when every imported kernel was extracted, 1 otherwise."""
    format_of(output)  # refuse an unknown extension before any work
    report = extract_paths(paths, targets, ptx_archs, backward, on_failure=lambda f: print(f.line(), file=sys.stderr))
    write_rows(report.rows, output)
    table = Table(title="warpsynth extract", show_header=False)
    table.add_row("files scanned", str(report.files_scanned))
    table.add_row("files imported", str(report.files_imported))
    table.add_row("kernels found", str(report.kernels_found))
    table.add_row("kernels extracted", str(report.kernels_extracted))
    for reason, count in sorted(report.failures_by_reason().items()):
        table.add_row(f"failed: {reason}", str(count))
    table.add_row("output", str(output))
    Console(stderr=True).print(table)
    return 0 if not report.failures else 1

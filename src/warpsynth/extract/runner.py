"""Run ``extract_file`` for many files in worker processes and stream the rows, in file order.

Each file gets a fresh process forked from a fork server that imported only Warp
and the worker code (``extract.preload``), never from the calling process or its
``__main__`` script, so the result does not depend on what the caller imported
(``warp.sparse``, say) and an import's global state, a hang or a crash stays with
its file: a hang is killed after ``timeout`` seconds and reported with
the file's name, a crash is reported as a failure of that file. Results are
handed on in the sorted order of the files, whatever order the workers finish
in, so the output is the same for any ``workers``. Only the rows of files that
finished ahead of an earlier, still running file are held in memory.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import multiprocessing.popen_forkserver
import multiprocessing.spawn
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Callable, Iterable, Sequence

from warpsynth import _warp
from warpsynth.errors import WarpsynthError
from warpsynth.extract.files import find_python_files
from warpsynth.extract.kernel import TARGETS
from warpsynth.extract.worker import Failure, FileResult, Settings, extract_file

#: Seconds one file (import + extraction) may take before its worker is killed.
DEFAULT_TIMEOUT_S = 300.0


@dataclass
class ExtractReport:
    """Counts of an ``extract_paths`` run; ``rows`` only when no ``sink`` was given."""

    rows: list[dict] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # file -> missing package
    files_scanned: int = 0
    files_imported: int = 0
    kernels_found: int = 0
    kernels_extracted: int = 0
    duplicates: int = 0
    identical: int = 0
    generic_without_overloads: int = 0
    outside: int = 0
    library_left_out: int = 0

    def failures_by_reason(self) -> Counter:
        return Counter(f"{f.stage}: {short_reason(f.reason)}" for f in self.failures)

    def skipped_by_package(self) -> Counter:
        return Counter(self.skipped.values())


def short_reason(reason: str) -> str:
    """Group reasons: 'No module named pxr' -> 'missing module pxr'; else the exception type."""
    if reason.startswith("ModuleNotFoundError: No module named "):
        name, _, hint = reason.split("named ", 1)[1].partition(" ")
        return "missing module " + name.strip("'\"").split(".")[0] + (" " + hint if hint else "")
    return reason.split(":", 1)[0]


def _child(conn, file: Path, display_root: Path, scanned: frozenset, settings: Settings, overload_cache: bool) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # an imported file's prints and Warp's native output
    os.dup2(devnull, 2)
    if overload_cache:  # as the pipeline's workers
        _warp.enable_builtin_overload_cache()  # same code, ~1/3 less build time (tests/test_pipeline_warp.py)
    try:
        result = extract_file(file, display_root, scanned, settings)
    except BaseException as exc:  # noqa: BLE001 - anything the import left uncaught
        result = FileResult(shown=file.relative_to(display_root).as_posix())
        result.failures.append(Failure(result.shown, None, "extract", f"{type(exc).__name__}: {exc}"))
    conn.send(result)
    conn.close()
    os._exit(0)  # no atexit handlers of the imported code


@dataclass
class _Running:
    index: int
    process: multiprocessing.Process
    conn: object
    started: float
    shown: str


def _finish(job: _Running, timeout: float) -> FileResult:
    """Collect a finished (or dead, or overdue) worker's result."""
    result, closed = None, False
    if job.conn.poll():
        try:
            result = job.conn.recv()
        except (EOFError, OSError):
            closed = True  # the worker died before sending
    if result is None and not closed and job.process.is_alive():
        job.process.kill()
        job.process.join()
        result = FileResult(shown=job.shown)
        result.failures.append(Failure(job.shown, None, "import", f"timed out after {timeout:g} s (worker killed)"))
        return result
    job.process.join()
    if result is None:
        result = FileResult(shown=job.shown)
        code = job.process.exitcode
        why = f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"
        result.failures.append(Failure(job.shown, None, "import", f"worker crashed ({why})"))
    job.conn.close()
    return result


_PREPARING = threading.Lock()
_PREPARATION_DATA = multiprocessing.spawn.get_preparation_data


def _preparation_data_without_main(name: str) -> dict:
    """What a spawned or fork-server child is told of its parent, less the ``__main__`` module."""
    data = _PREPARATION_DATA(name)
    data.pop("init_main_from_name", None)
    data.pop("init_main_from_path", None)
    return data


class _Popen(multiprocessing.popen_forkserver.Popen):
    """multiprocessing re-imports the caller's ``__main__`` script in every child (as
    ``__mp_main__``) before running the target: a script that imports ``warp.sparse`` at its top
    would put that module back into each worker and hide its kernels from the files. The workers
    need nothing of ``__main__`` (their target and arguments are warpsynth's), so it is left out."""

    def _launch(self, process_obj) -> None:
        with _PREPARING:
            multiprocessing.spawn.get_preparation_data = _preparation_data_without_main
            try:
                super()._launch(process_obj)
            finally:
                multiprocessing.spawn.get_preparation_data = _PREPARATION_DATA


class _Process(multiprocessing.context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj):
        return _Popen(process_obj)


def _worker_context() -> multiprocessing.context.BaseContext:
    """Workers fork from a fork server that imported only Warp and ``extract.preload`` (never the
    caller's ``__main__``, see ``_Popen``): what a file defines then never depends on what the
    calling process imported before (a pytest session or a notebook that already imported
    ``warp.sparse`` would otherwise hide its kernels from the file). Each worker gets the caller's
    current ``sys.path`` and working directory. The fork server is one per process and keeps the
    preload and the environment variables of its first start."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["warpsynth.extract.preload"])
    return context


def run_files(
    files: list[tuple[Path, Path]],
    settings: Settings,
    workers: int,
    timeout: float,
    on_result: Callable[[FileResult], None],
    on_start: Callable[[str], None] | None = None,
) -> None:
    """Extract every file in a worker process of its own, ``workers`` at a time; ``on_result``
    gets the results in the order of ``files``."""
    context = _worker_context()
    scanned = frozenset(str(f) for f, _ in files)
    # read here, not in the worker: the fork server keeps the environment of its first start
    overload_cache = os.environ.get("WARPSYNTH_NO_OVERLOAD_CACHE", "") in ("", "0")
    pending = list(enumerate(files))[::-1]
    running: dict[object, _Running] = {}
    done: dict[int, FileResult] = {}
    next_out = 0
    while pending or running:
        while pending and len(running) < workers:
            index, (file, root) = pending.pop()
            receive, send = context.Pipe(duplex=False)
            process = _Process(target=_child, args=(send, file, root, scanned, settings, overload_cache), daemon=True)
            process.start()
            send.close()
            shown = file.relative_to(root).as_posix()
            running[receive] = _Running(index, process, receive, time.monotonic(), shown)
            if on_start is not None:
                on_start(shown)
        ready = wait(list(running), timeout=0.5)
        now = time.monotonic()
        for conn, job in list(running.items()):
            if conn in ready or now - job.started > timeout:
                done[job.index] = _finish(job, timeout)
                del running[conn]
        while next_out in done:
            on_result(done.pop(next_out))
            next_out += 1


def extract_paths(
    paths: Sequence[str | Path],
    targets: Sequence[str] = TARGETS,
    ptx_archs: Iterable[int] = (),
    backward: bool = True,
    *,
    cuda_arch: int | None = None,
    include_warp: bool = False,
    workers: int = 1,
    timeout: float = DEFAULT_TIMEOUT_S,
    sink: Callable[[list[dict]], None] | None = None,
    on_failure: Callable[[Failure], None] | None = None,
    on_file: Callable[[str, FileResult | None], None] | None = None,
) -> ExtractReport:
    """Import each Python file under ``paths`` (each in its own process) and extract every kernel it defines.

    Rows go to ``sink`` file by file in sorted file order (or into ``report.rows`` when no
    sink is given); a row whose id was already written (the same kernel reached from two
    places) is dropped and counted in ``duplicates``. ``on_file(name, None)`` is called when
    a file starts, ``on_file(name, result)`` when its result is handed on.
    Raises WarpsynthError for a missing path, an unknown target or ``workers < 1``.
    """
    unknown = set(targets) - set(TARGETS)
    if unknown:
        raise WarpsynthError(f"--targets: unknown target(s) {sorted(unknown)}; choose from {', '.join(TARGETS)}")
    if workers < 1:
        raise WarpsynthError(f"--workers: must be at least 1, got {workers}")
    if not timeout > 0:
        raise WarpsynthError(f"--timeout: must be a positive number of seconds, got {timeout}")
    files = find_python_files(paths)
    settings = Settings(tuple(targets), tuple(int(a) for a in ptx_archs), backward, cuda_arch, include_warp)
    report = ExtractReport(files_scanned=len(files))
    seen_ids: set[str] = set()

    def on_result(result: FileResult) -> None:
        report.files_imported += result.imported
        report.kernels_found += result.kernels_found
        report.outside += result.outside
        report.library_left_out += result.library
        report.identical += result.identical
        report.generic_without_overloads += len(result.generic_without_overloads)
        if result.skipped_for is not None:
            report.skipped[result.shown] = result.skipped_for
        for failure in result.failures:
            report.failures.append(failure)
            if on_failure is not None:
                on_failure(failure)
        rows = [r for r in result.rows if r["id"] not in seen_ids]
        report.duplicates += len(result.rows) - len(rows)
        seen_ids.update(r["id"] for r in rows)
        report.kernels_extracted += len(rows)
        (sink or report.rows.extend)(rows)
        if on_file is not None:
            on_file(result.shown, result)

    run_files(files, settings, workers, timeout, on_result, on_start=None if on_file is None else (lambda name: on_file(name, None)))
    return report

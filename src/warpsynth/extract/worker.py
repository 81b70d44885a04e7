"""Extract the kernels one Python file defines (runs in a fresh worker process per file).

The file is imported for real under its dotted name; every Warp module created
while importing it is found (modules named after a Python module, explicit
``wp.Module("...")`` objects, ``module="unique"`` ones). Each kernel is attributed
to the file that defines it: a row comes only from the worker of that file, so a
file imported by several others still gives its kernels once. Kernels of Warp's
own library (``warp.fem``, ``warp.sparse``...) are left out unless asked for,
and kernels of files outside the given paths are counted, not extracted.
Options are those in force after the import (a file that sets
``wp.config.mode = "debug"`` gets debug code, as when Warp runs it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import warp as wp

from warpsynth import _warp
from warpsynth.dataset.schema import ORIGIN_EXTRACTED, ORIGIN_WARP_LIBRARY, TARGETS
from warpsynth.extract.row import row_from_ir
from warpsynth.extract.files import import_file, misspelled_module, missing_optional_package
from warpsynth.extract.kernel import extract_module_kernels
from warpsynth.extract.license import license_of_folder, warp_license
from warpsynth.errors import last_line_reason

WARP_DIR = Path(wp.__file__).resolve().parent
ORIGIN_USER = ORIGIN_EXTRACTED
ORIGIN_WARP = ORIGIN_WARP_LIBRARY


@dataclass(frozen=True)
class Settings:
    """What to extract (see ``warpsynth.extract.extract``)."""

    targets: tuple[str, ...] = TARGETS
    ptx_archs: tuple[int, ...] = ()
    backward: bool = True
    cuda_arch: int | None = None
    include_warp: bool = False


@dataclass
class Failure:
    file: str
    kernel: str | None
    stage: str
    reason: str

    def line(self) -> str:
        where = self.file if self.kernel is None else f"{self.file}::{self.kernel}"
        return f"{where}: {self.stage} failed: {self.reason}"


@dataclass
class FileResult:
    """What one file gave: rows (sorted by source_file, line, name), failures and counts."""

    shown: str
    rows: list[dict] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    imported: bool = False
    skipped_for: str | None = None  # an optional package that is not installed
    kernels_found: int = 0
    outside: int = 0  # kernels of files outside the given paths (not extracted)
    library: int = 0  # Warp library kernels left out
    identical: int = 0  # kernels identical to another of their module (Warp builds one of them)
    generic_without_overloads: list[str] = field(default_factory=list)  # nothing to extract: no wp.overload


def _kernel_file(kernel: Any) -> Path | None:
    name = getattr(kernel.adj, "filename", None)
    return Path(name).resolve() if name and not name.startswith("<") else None


def _select(module: Any, file: Path, scanned: frozenset, settings: Settings, result: FileResult) -> tuple[list, list]:
    """(own kernels, Warp library kernels) of ``module`` to extract; generic ones as overloads."""
    own, library = [], []
    for kernel in sorted(module._get_live_kernels(), key=lambda k: (_warp.kernel_definition_line(k) or 0, k.key)):
        where = _kernel_file(kernel)
        if where == file:
            bucket = own
        elif where is not None and str(where) in scanned:
            continue  # that file's own worker extracts it
        elif where is not None and where.is_relative_to(WARP_DIR):
            if not settings.include_warp:
                result.library += 1
                continue
            bucket = library
        else:
            result.outside += 1
            continue
        overloads = _warp.generic_kernel_overloads(kernel)
        if overloads == []:  # Warp builds nothing for it until a launch instantiates it
            result.generic_without_overloads.append(_warp.kernel_function_name(kernel))
            continue
        for concrete in overloads or [kernel]:
            result.kernels_found += 1
            bucket.append((concrete, kernel))
    return own, library


def _extract_each(module: Any, pairs: list, settings: Settings, result: FileResult) -> list:
    """(ir, generic-or-self kernel) pairs. Whole build first; on failure kernel by kernel."""
    args = (settings.targets, settings.ptx_archs, settings.backward)
    try:
        irs = extract_module_kernels(module, *args, cuda_arch=settings.cuda_arch, kernels=[k for k, _ in pairs])
        by_name = {p[0].get_mangled_name(): p for p in pairs}
        result.identical += len(pairs) - len(irs)
        return [(ir, by_name[ir.mangled_name][1]) for ir in irs]
    except Exception:
        pass
    out = []
    for kernel, parent in pairs:
        try:
            [ir] = extract_module_kernels(module, *args, only=kernel, cuda_arch=settings.cuda_arch)
            out.append((ir, parent))
        except Exception as exc:
            result.failures.append(Failure(result.shown, kernel.key, "codegen", last_line_reason(exc)))
    return out


def _row(ir: Any, parent: Any, origin: str, display_root: Path, texts: dict) -> dict:
    path = Path(ir.source_file).resolve()
    if path not in texts:
        texts[path] = path.read_text(encoding="utf-8", errors="replace")
    root = WARP_DIR.parent if origin == ORIGIN_WARP else display_root
    return row_from_ir(
        ir,
        source=texts[path],
        origin=origin,
        source_file=path.relative_to(root).as_posix(),
        code_roots=[display_root],
        source_line=_warp.kernel_definition_line(parent),
        license=warp_license() if origin == ORIGIN_WARP else license_of_folder(path.parent),
    )


def _import_reason(exc: BaseException) -> str:
    reason = last_line_reason(exc)
    if isinstance(exc, ModuleNotFoundError) and exc.name and (close := misspelled_module(exc.name.split(".")[0])):
        reason += f" (did you mean {close}?)"
    return reason


def extract_file(file: Path, display_root: Path, scanned: frozenset, settings: Settings) -> FileResult:
    """Import ``file`` and extract the kernels it defines (call in a fresh process: the import
    and the ``wp.config`` changes it makes stay there)."""
    result = FileResult(shown=file.relative_to(display_root).as_posix())
    _warp.init_quiet()
    _warp.fresh_process_function_names()
    with _warp.new_modules() as created:
        try:
            import_file(file)
        except (Exception, SystemExit) as exc:
            missing = missing_optional_package(exc, file)
            if missing is not None:
                result.skipped_for = missing
            else:
                result.failures.append(Failure(result.shown, None, "import", _import_reason(exc)))
            return result
    result.imported = True
    texts: dict = {}
    for module in created:
        own, library = _select(module, file, scanned, settings, result)
        for pairs, origin in ((own, ORIGIN_USER), (library, ORIGIN_WARP)):
            if pairs:
                for ir, parent in _extract_each(module, pairs, settings, result):
                    result.rows.append(_row(ir, parent, origin, display_root, texts))
    result.rows.sort(key=lambda r: (r["origin"] != ORIGIN_USER, r["source_file"], r["source_line"] or 0, r["kernel_name"], r["mangled_name"]))
    return result

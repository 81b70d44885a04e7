"""Extract every kernel that real Python files register with Warp at import.

Each file is imported for real (inside its package when it has one, so relative
imports work); kernels are found through the Warp modules the import created.
A file that fails to import, or a kernel whose codegen fails, is recorded with a
one-line reason and the scan goes on.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import io
import sys
import types
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import warp as wp

from warpsynth import _warp
from warpsynth.dataset.rows import row_from_ir
from warpsynth.errors import WarpsynthError
from warpsynth.extract.kernel import TARGETS, extract_module_kernels


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
class ExtractReport:
    rows: list[dict] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    files_scanned: int = 0
    files_imported: int = 0
    kernels_found: int = 0

    @property
    def kernels_extracted(self) -> int:
        return len(self.rows)

    def failures_by_reason(self) -> Counter:
        return Counter(f"{f.stage}: {short_reason(f.reason)}" for f in self.failures)


def short_reason(reason: str) -> str:
    """Group reasons: 'No module named pxr' -> 'missing module pxr'; else the exception type."""
    if reason.startswith("ModuleNotFoundError: No module named "):
        return "missing module " + reason.split("named ", 1)[1].strip("'\"").split(".")[0]
    return reason.split(":", 1)[0]


def one_line(exc: BaseException) -> str:
    """``Type: message`` on one line; Warp's codegen errors put the real reason on their last line."""
    lines = [line.strip().lstrip(";").strip() for line in str(exc).splitlines()]
    lines = [line for line in lines if line]
    detail = lines[-1] if lines else ""
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def find_python_files(paths: Sequence[str | Path]) -> list[tuple[Path, Path]]:
    """(file, display root) for every .py file under ``paths``, sorted, no hidden/cache folders."""
    found: list[tuple[Path, Path]] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise WarpsynthError(f"{raw}: no such file or directory")
        if path.is_file():
            if path.suffix != ".py":
                raise WarpsynthError(f"{raw}: not a Python file")
            found.append((path.resolve(), path.resolve().parent))
            continue
        root = path.resolve()
        for file in sorted(root.rglob("*.py")):
            rel = file.relative_to(root).parts
            if any(part.startswith(".") or part == "__pycache__" for part in rel):
                continue
            found.append((file, root.parent))
    return found


def _package_module_name(file: Path) -> tuple[str, Path] | None:
    """Dotted module name and sys.path entry if ``file`` lives inside a package."""
    parts = [] if file.name == "__init__.py" else [file.stem]
    folder = file.parent
    while (folder / "__init__.py").exists():
        parts.insert(0, folder.name)
        folder = folder.parent
    if len(parts) < 2 and not (file.parent / "__init__.py").exists():
        return None
    return ".".join(parts), folder


@contextlib.contextmanager
def preserved_warp_config():
    """Undo changes an imported file makes to ``wp.config`` (examples set enable_backward=False
    at import, which would otherwise change how every later file's kernels are built)."""
    saved = {
        name: value
        for name, value in vars(wp.config).items()
        if not name.startswith("_") and not isinstance(value, (types.ModuleType, types.FunctionType, type))
    }
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(wp.config, name, value)


def import_file(file: Path):
    """Import one file as a module (its package's dotted name if it has one)."""
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet), preserved_warp_config():
        package = _package_module_name(file)
        if package is not None:
            name, root = package
            if str(root) not in sys.path:
                sys.path.insert(0, str(root))
            return importlib.import_module(name)
        name = f"warpsynth_file_{file.stem}_{hashlib.sha256(str(file).encode()).hexdigest()[:8]}"
        spec = importlib.util.spec_from_file_location(name, file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        sys.path.insert(0, str(file.parent))
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        finally:
            sys.path.remove(str(file.parent))
        return module


def extract_paths(
    paths: Sequence[str | Path],
    targets: Sequence[str] = TARGETS,
    ptx_archs: Iterable[int] = (),
    backward: bool = True,
    on_failure: Callable[[Failure], None] | None = None,
) -> ExtractReport:
    """Import each Python file under ``paths`` and extract every kernel it registers with Warp."""
    _warp.init_quiet()
    report = ExtractReport()
    ptx_archs = list(ptx_archs)
    seen_modules = set(_warp.user_modules())

    def record(failure: Failure) -> None:
        report.failures.append(failure)
        if on_failure is not None:
            on_failure(failure)

    for file, display_root in find_python_files(paths):
        report.files_scanned += 1
        shown = str(file.relative_to(display_root))
        try:
            import_file(file)
        except (Exception, SystemExit) as exc:
            record(Failure(shown, None, "import", one_line(exc)))
            continue
        report.files_imported += 1
        source = file.read_text(encoding="utf-8", errors="replace")
        new_modules = [m for name, m in list(_warp.user_modules().items()) if name not in seen_modules]
        seen_modules.update(m.name for m in new_modules)
        for module in new_modules:
            kernels = _warp.module_kernels(module)
            report.kernels_found += len(kernels)
            for ir in _extract_each(module, kernels, targets, ptx_archs, backward, shown, record):
                same_file = ir.source_file and Path(ir.source_file).resolve() == file
                report.rows.append(
                    row_from_ir(
                        ir,
                        source=source if same_file else ir.python_source,
                        origin="extracted",
                        source_file=shown if same_file else _display(ir.source_file, display_root),
                    )
                )
    return report


def _display(path: str | None, root: Path) -> str | None:
    if not path:
        return path
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return Path(path).name


def _extract_each(module, kernels, targets, ptx_archs, backward, shown, record):
    """Whole-module build first (cheap); on failure, kernel by kernel to isolate the bad ones."""
    try:
        return extract_module_kernels(module, targets, ptx_archs, backward)
    except Exception:
        pass
    irs = []
    for kernel in kernels:
        try:
            irs.extend(extract_module_kernels(module, targets, ptx_archs, backward, only=kernel))
        except Exception as exc:
            record(Failure(shown, kernel.key, "codegen", one_line(exc)))
    return irs

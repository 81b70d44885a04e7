"""Find Python files and import each under its real dotted module name.

A file inside a package is imported as ``pkg.sub.mod`` with the folder above the
package's top on ``sys.path`` (namespace folders without ``__init__.py`` in between
are allowed, as Python allows them), so relative imports and ``_src/`` layouts work;
a loose script is imported under its own name with its folder on ``sys.path``, as
``python script.py`` would see it. ``sys.path`` is restored afterwards.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import importlib.util
import io
import pkgutil
import sys
from pathlib import Path
from typing import Any, Sequence

from warpsynth.errors import WarpsynthError

#: Folders without ``__init__.py`` allowed between a module and its package's top (namespace packages).
_MAX_NAMESPACE_GAP = 1


def find_python_files(paths: Sequence[str | Path]) -> list[tuple[Path, Path]]:
    """(file, display root) for every .py file under ``paths``, sorted, no hidden/cache folders.

    ``source_file`` of a row is the file relative to its display root: the parent of a
    folder given on the command line (``code/deform.py``), or a given file's folder.
    A file reached twice (overlapping paths) is listed once.
    """
    found: list[tuple[Path, Path]] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise WarpsynthError(f"{raw}: no such file or directory")
        if path.is_file():
            if path.suffix != ".py":
                raise WarpsynthError(f"{raw}: not a Python file")
            candidates = [(path.resolve(), path.resolve().parent)]
        else:
            root = path.resolve()
            candidates = [
                (file, root.parent)
                for file in sorted(root.rglob("*.py"))
                if not any(part.startswith(".") or part == "__pycache__" for part in file.relative_to(root).parts)
            ]
        for file, display_root in candidates:
            if file not in seen:
                seen.add(file)
                found.append((file, display_root))
    return found


def module_name_for(file: Path) -> tuple[str, Path]:
    """(dotted module name, sys.path entry) under which ``file`` is importable.

    The package top is the highest ancestor folder holding ``__init__.py``, looking up
    past at most ``_MAX_NAMESPACE_GAP`` consecutive folders without one.
    """
    file = file.resolve()
    parts = [] if file.name == "__init__.py" else [file.stem]
    top, gap, folder, chain = None, 0, file.parent, []
    while folder != folder.parent:
        chain.insert(0, folder.name)
        if (folder / "__init__.py").is_file():
            top, gap = (folder, list(chain)), 0
        else:
            gap += 1
            if gap > _MAX_NAMESPACE_GAP:
                break
        folder = folder.parent
    if top is None:
        return ".".join(parts) or file.parent.name, file.parent
    package, names = top
    return ".".join(names + parts), package.parent


def _shadows_another_module(name: str, root: Path) -> bool:
    """True when the top-level name is already taken (stdlib, installed, loaded) by something
    outside ``root``: importing it by that name would give the other module."""
    top = name.split(".")[0]
    if top in sys.builtin_module_names or top in getattr(sys, "stdlib_module_names", ()):
        return True
    loaded = sys.modules.get(top)
    if loaded is not None:
        origin = getattr(loaded, "__file__", None) or ""
        return not origin or not Path(origin).resolve().is_relative_to(root)
    return False


@contextlib.contextmanager
def _sys_path_first(entry: Path):
    saved = list(sys.path)
    sys.path.insert(0, str(entry))
    try:
        yield
    finally:
        sys.path[:] = saved


def import_file(file: Path) -> Any:
    """Import one file under its real dotted name (see the module docstring); stdout is discarded.

    A name that would resolve to another module (``math.py`` next to the stdlib's) is
    imported from the file under a private name instead.
    """
    file = file.resolve()
    name, root = module_name_for(file)
    with contextlib.redirect_stdout(io.StringIO()), _sys_path_first(root):
        if not _shadows_another_module(name, root):
            module = importlib.import_module(name)
            if Path(getattr(module, "__file__", "") or "").resolve() == file:
                return module
        private = f"warpsynth_file_{file.stem}"
        spec = importlib.util.spec_from_file_location(private, file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[private] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(private, None)
            raise
        return module


def missing_optional_package(exc: BaseException, file: Path) -> str | None:
    """The top-level package a failed import of ``file`` needs when it is simply not installed
    (``ModuleNotFoundError`` for a top-level name that nothing on ``sys.path``, with the
    file's import root first, provides); ``None`` for any other failure."""
    if not isinstance(exc, ModuleNotFoundError) or not exc.name:
        return None
    top = exc.name.split(".")[0]
    with _sys_path_first(module_name_for(file)[1]):
        try:
            if importlib.util.find_spec(top) is not None:
                return None
        except (ImportError, ValueError):
            return None
        return None if misspelled_module(top) else top


def misspelled_module(name: str) -> str | None:
    """An importable top-level module (stdlib, installed, or on ``sys.path``) whose name is
    within one or two letters of ``name`` (``nunpy`` -> ``numpy``; ties go to a shared first
    letter, then alphabetical order): the import then reads as
    a typo, not as an optional package the user has not installed. ``difflib`` ratio >= 0.8."""
    known = set(sys.stdlib_module_names) | {m.name for m in pkgutil.iter_modules()}
    known.discard(name)
    scored = [(difflib.SequenceMatcher(None, name, k).ratio(), k[:1] == name[:1], k) for k in known]
    best = max((t for t in scored if t[0] >= 0.8), default=None, key=lambda t: (t[0], t[1], [-ord(c) for c in t[2]]))
    return best[2] if best else None

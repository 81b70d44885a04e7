"""Warp's registry of loaded modules: watching modules appear, and releasing them.

Private Warp internals touched: ``warp._src.context.user_modules``, ``Module.__init__`` (wrapped
for a block to collect new modules) and ``Module._detach_references``. Measured on warp-lang
1.19.0 (tests/test_warp_internals.py, "module registry").
"""

from __future__ import annotations

import linecache
import sys
from contextlib import contextmanager
from typing import Any, Iterator

from warp._src import context as _context


def user_modules() -> dict:
    """Warp's live registry of loaded modules: module name -> ``Module`` (not a copy)."""
    return _context.user_modules


def release_module(module_name: str, filename: str | None = None) -> None:
    """Drop Warp's (and linecache's) references to a module so memory stays flat.

    Besides the registry, Warp lists a module among the ``dependents`` of every
    module it calls into (``warp.math`` and other Python-defined builtins), which
    would keep each released sample alive (~30 KB each): detach it too.
    """
    module = _context.user_modules.pop(module_name, None)
    if module is not None:
        detach_module_references(module)
    sys.modules.pop(module_name, None)
    if filename is not None:
        linecache.cache.pop(filename, None)


def detach_module_references(module: Any) -> None:
    """Remove ``module`` from the ``dependents`` sets of the modules it references.

    For hot reload, Warp records each module that calls another module's
    functions (including Python-defined builtins in ``warp.math`` and friends)
    in that module's ``dependents``. A released sample module stays reachable
    from there with all its kernels and ASTs (~30 KB per sample) unless detached.
    """
    module._detach_references()


@contextmanager
def new_modules() -> Iterator[list]:
    """Collect every ``wp.Module`` created inside the block (registered by ``__name__``,
    explicit ``wp.Module("...")`` objects and ``module="unique"`` ones alike)."""
    created: list = []
    original = _context.Module.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        created.append(self)

    _context.Module.__init__ = init
    try:
        yield created
    finally:
        _context.Module.__init__ = original

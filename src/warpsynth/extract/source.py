"""Turn Python source text into live Warp kernels, and release them afterwards.

Each load gets its own module ``__name__`` and fake filename: Warp groups
kernels into modules by ``__name__`` (a shared name makes one ever-growing
module), and ``inspect`` finds the source through ``linecache``.
"""

from __future__ import annotations

import hashlib
import linecache
import sys
import types
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import warp as wp

from warpsynth import _warp


@dataclass
class LoadedSource:
    module_name: str
    filename: str
    namespace: dict

    def kernels(self) -> dict[str, Any]:
        """Kernels defined by the source, by Python name, in definition order."""
        return {k: v for k, v in self.namespace.items() if isinstance(v, wp.Kernel)}


def _module_name(source: str, tag: str) -> str:
    """A name that depends on the source only: Warp writes it into line comments of the C++.

    ``tag`` only separates two *simultaneous* loads of the same source.
    """
    name = f"warpsynth_src_{hashlib.sha256(source.encode()).hexdigest()[:16]}"
    if name in sys.modules:
        name = f"{name}_{tag}"
        if name in sys.modules:
            raise RuntimeError(f"source already loaded under tag {tag!r}")
    return name


@contextmanager
def load_source(source: str, tag: str = "0") -> Iterator[LoadedSource]:
    """Exec ``source`` as a fresh module; drop Warp's and linecache's references on exit.

    The module name (and so the generated code) is a function of the source text.

    Inside the block, helper functions are numbered as in a fresh process, so the
    generated C++ depends on the source only (not on what was loaded before).
    """
    _warp.init_quiet()
    module_name = _module_name(source, tag)
    filename = f"<{module_name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    module = types.ModuleType(module_name)
    module.__file__ = filename
    sys.modules[module_name] = module
    namespace = module.__dict__
    with _warp.fresh_function_names():
        try:
            # dont_inherit: this file's ``from __future__ import annotations`` must not leak into the sample
            exec(compile(source, filename, "exec", dont_inherit=True), namespace)
            yield LoadedSource(module_name, filename, namespace)
        finally:
            namespace.clear()
            _warp.release_module(module_name, filename)

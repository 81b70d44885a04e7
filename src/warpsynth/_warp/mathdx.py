"""MathDx (LTO-dispatched) tile builtins, whose CUDA code depends on the arch and block_dim.

Private Warp internals touched: ``Function.lto_dispatch_func``/``user_overloads`` in
``warp._src.context.builtin_functions``, ``ModuleBuilder.ltoirs_decl`` and
``warp._src.context._APIC_LINK_INPUTS_MARKER``. Measured on warp-lang 1.19.0
(tests/test_warp_internals.py, "MathDx"; on an H200: docs/warp-internals.md).
"""

from __future__ import annotations

import re

from warp._src import context as _context

from warpsynth._warp.module_build import ModuleBuild


_MATHDX_NAMES: frozenset | None = None


def _mathdx_builtin_names() -> frozenset:
    """Builtins whose CUDA code depends on the arch and block_dim (an LTO dispatch: MathDx GEMM,
    FFT, Cholesky/solves): ``Function.lto_dispatch_func`` in Warp's registry."""
    global _MATHDX_NAMES
    if _MATHDX_NAMES is None:
        _MATHDX_NAMES = frozenset(
            name
            for name, func in _context.builtin_functions.items()
            if any(getattr(o, "lto_dispatch_func", None) is not None for o in [func, *(getattr(func, "user_overloads", {}) or {}).values()])
        )
    return _MATHDX_NAMES


def uses_mathdx(build: ModuleBuild) -> bool:
    """Whether any kernel or function of the build names an LTO-dispatched builtin (a textual
    test on their Python source: a false positive only costs an extra CUDA build)."""
    names = _mathdx_builtin_names()
    for obj in (*build.kernels, *build.builder.functions):
        source = obj.adj.source or ""
        if any(name in source for name in names):
            return True
    return False


#: a call of ``wp.tile(x)`` / ``wp.untile(t)`` (not ``tile_load(`` and the like)
_BLOCK_SHAPED = re.compile(r"(?<![\w.])(?:wp\.)?(?:tile|untile)\(|\bwp\.(?:tile|untile)\(")


def uses_block_shaped_tiles(build: ModuleBuild) -> bool:
    """Whether any kernel or function of the build calls ``wp.tile``/``wp.untile``, whose tile has one
    element per thread: its CUDA text names ``tile_shape_t<block_dim>`` (a textual test on the Python
    source, like ``uses_mathdx``)."""
    for obj in (*build.kernels, *build.builder.functions):
        if _BLOCK_SHAPED.search(obj.adj.source or ""):
            return True
    return False


def lto_declarations(build: ModuleBuild, used_text: str) -> str:
    """The LTO link marker and ``extern "C"`` declarations Warp puts before the structs of a
    CUDA module, restricted to the symbols ``used_text`` names (empty when none)."""
    decls = build.builder.ltoirs_decl
    used = [symbol for symbol in sorted(decls) if symbol in used_text]
    if not used:
        return ""
    text = f"#define {_context._APIC_LINK_INPUTS_MARKER} 1\n"
    return text + 'extern "C" {\n' + "".join(decls[symbol] + "\n" for symbol in used) + "}\n"

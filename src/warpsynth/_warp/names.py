"""Names Warp gives kernels and ``@wp.func``s: native names, mangled names, definition lines.

Private Warp internals touched: ``warp._src.context.function_key_counts`` (the process-global
``<key>_<n>`` counter behind ``@wp.func`` native names), ``warp._src.codegen.make_full_qualified_name``,
``Kernel.adj`` (``source``, ``fun_lineno``), ``Kernel.overloads``/``is_generic`` and
``Module.hashers``. Measured on warp-lang 1.19.0 (tests/test_warp_internals.py, "names").
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from warp._src import codegen as _codegen
from warp._src import context as _context


#: Warp's native-name counters right after ``import warp`` (its own ``@wp.func``s), see
#: ``fresh_process_function_names``.
_IMPORT_FUNCTION_KEY_COUNTS = dict(_context.function_key_counts)


@contextmanager
def fresh_function_names() -> Iterator[None]:
    """Number ``@wp.func`` native names from zero inside the block, as in a fresh process.

    Warp names a user function ``<key>_<n>`` with a process-global counter, so
    the same source would get different C++ depending on what the process
    loaded before. Names only need to be unique within one module, and the
    caller drops the module afterwards, so a private counter per sample is safe
    and makes the generated text a function of the source alone.
    """
    saved = dict(_context.function_key_counts)
    _context.function_key_counts.clear()
    try:
        yield
    finally:
        _context.function_key_counts.clear()
        _context.function_key_counts.update(saved)


def fresh_process_function_names() -> None:
    """Reset Warp's ``@wp.func`` native-name counters (``<key>_<n>``, process-global) to their
    state right after ``import warp``, so a file imported next gets the helper names it gets
    when run as ``python file.py`` in a fresh process (call in a worker process only)."""
    _context.function_key_counts.clear()
    _context.function_key_counts.update(_IMPORT_FUNCTION_KEY_COUNTS)


def kernel_function_name(kernel: Any) -> str:
    """The kernel's Python name: Warp's key, except that a key Warp derived from a nested
    function's qualified name (``make_picker__locals__picker``) becomes the function's own name
    (``picker``). An explicit key (``wp.Kernel(func, key=...)``, as warp.fem sets) is kept."""
    func = getattr(kernel, "func", None)
    if func is not None and kernel.key == _codegen.make_full_qualified_name(func):
        return func.__name__
    return kernel.key


def mangled_name(kernel: Any) -> str:
    """The kernel's C++ name, ``<key>_<hash8>`` (after its module was hashed, e.g. by ``build_module``)."""
    return kernel.get_mangled_name()


def kernel_python_source(kernel: Any) -> str:
    """The kernel's Python source as Warp parsed it (dedented function text)."""
    return kernel.adj.source


def generic_kernel_overloads(kernel: Any) -> list | None:
    """The overloads of a generic kernel (``None`` for a concrete kernel)."""
    return list(kernel.overloads.values()) if kernel.is_generic else None


def kernel_definition_line(kernel: Any) -> int | None:
    """Line of the kernel's decorator in its file (overloads: their generic kernel's line)."""
    line = getattr(kernel.adj, "fun_lineno", 0)
    if not line:
        code = getattr(getattr(kernel, "func", None), "__code__", None)
        line = code.co_firstlineno if code is not None else 0
    return line or None


def launch_mangled_name(kernel: Any, block_dim: int = 1) -> str:
    """The symbol name a launch at ``block_dim`` looks up for ``kernel`` (hashes the module if needed).

    A generic kernel (``typing.Any`` parameters) is hashed per ``wp.overload``: its first
    overload is taken, the one ``warpsynth.extract`` returns for it.
    """
    overloads = generic_kernel_overloads(kernel)
    if overloads is not None:
        if not overloads:
            raise ValueError(f"generic kernel {kernel.key!r} has no wp.overload to launch")
        kernel = overloads[0]
    module = kernel.module
    module.get_module_hash(block_dim)
    return kernel.get_mangled_name(kernel_hash=module.hashers[block_dim].kernel_hashes[kernel])

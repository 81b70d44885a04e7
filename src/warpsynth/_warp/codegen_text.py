"""The C++/CUDA text Warp emits per kernel: forward, backward, entry, helpers, structs, header.

Private Warp internals touched: ``warp._src.codegen`` (``codegen_kernel``, ``codegen_module``,
``codegen_struct``, the ``*_kernel_template_backward*`` templates, ``cpu_module_header``,
``cuda_module_header``, ``codegen_cast_macros``, ``Struct``, ``strip_reference``) and
``ModuleBuilder`` (``functions``, ``structs``, ``_codegen_functions``). Measured on warp-lang
1.19.0 (tests/test_warp_internals.py, "codegen text").
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Iterator

import warp as wp
from warp._src import codegen as _codegen

from warpsynth._warp.module_build import ModuleBuild, _without_kernel_backward


#: Module globals of ``warp._src.codegen`` holding the template that opens a kernel's backward block.
_BACKWARD_TEMPLATES = ("cpu_kernel_template_backward", "cuda_kernel_template_backward", "cuda_kernel_template_backward_grid_stride")


#: Marks where the backward block starts. NUL cannot occur in Python source, so it cannot come
#: from the kernel's own text (line comments), and it holds no ``{}`` for ``str.format``.
_SPLIT_MARK = "\x00warpsynth:backward\x00"


@contextmanager
def _marked_backward_templates() -> Iterator[None]:
    saved = {name: getattr(_codegen, name) for name in _BACKWARD_TEMPLATES}
    try:
        for name, template in saved.items():
            setattr(_codegen, name, _SPLIT_MARK + template)
        yield
    finally:
        for name, template in saved.items():
            setattr(_codegen, name, template)


def kernel_code(kernel: Any, target: str, options: dict, forward_only: bool = False) -> tuple[str, str, str]:
    """Return (forward, backward, entry) text of one kernel as Warp emits it into its module.

    Forward is the kernel function (on CPU with its argument struct); backward is
    the rest of the block, which Warp starts with its backward template; entry is
    the CPU task/dispatch/``extern "C"`` wrappers (empty for CUDA). Concatenated
    they are the kernel's block of the module source, byte for byte. ``options`` are
    the module's; Warp merges the kernel's own options over them (so a kernel's
    ``enable_backward`` wins), unless ``forward_only`` (see ``build_module``).

    One ``codegen_kernel`` call emits both halves: the backward template is
    prefixed with a marker for the call, and the text is cut at the marker.
    """
    with _without_kernel_backward([kernel], forward_only), _marked_backward_templates():
        full = _codegen.codegen_kernel(kernel, device=target, options=options)
        entry = _codegen.codegen_module(kernel, device=target, options=options)
    forward, *rest = full.split(_SPLIT_MARK)
    if len(rest) > 1:
        raise RuntimeError(f"Warp codegen layout changed: {len(rest)} backward blocks in one kernel")
    backward = rest[0] if rest else ""  # none when the effective options turn backward off
    return forward, backward, entry


#: An identifier followed by ``(`` in generated C++: a call (or a declaration).
_CALLED_NAME = re.compile(r"\b([A-Za-z_]\w*)\s*\(")


def called_functions(kernel: Any, build: ModuleBuild, kernel_text: str = "") -> list:
    """User functions a kernel calls, transitively, in the module's emission order.

    Seeds: the kernel's ``called_user_functions`` and every function of the build whose
    native name is called in ``kernel_text`` (the kernel's generated forward/backward):
    a ``wp.grad(f)(...)`` call reaches ``f`` without listing it as called.
    """
    seen: set = set()
    stack = list(kernel.adj.called_user_functions)
    if kernel_text:
        called = set(_CALLED_NAME.findall(kernel_text))
        called |= {name[4:] for name in called if name.startswith("adj_")}  # wp.grad(f) calls adj_f
        stack.extend(f for f in build.builder.functions if f.native_func in called)
    while stack:
        func = stack.pop()
        if func in seen:
            continue
        seen.add(func)
        stack.extend(getattr(func.adj, "called_user_functions", ()))
        for extra in (func.custom_grad_func, func.custom_replay_func):
            if extra is not None:
                stack.append(extra)
    return [func for func in build.builder.functions if func in seen]


def helper_code(functions: list, build: ModuleBuild, target: str) -> str:
    """Helper function text in the three-pass order of ``ModuleBuilder.codegen``."""
    builder = build.builder
    grad_functions = [f for f in functions if f.adj.uses_grad_call]
    plain = [f for f in functions if not f.adj.uses_grad_call]
    custom_grads = {f.custom_grad_func for f in plain if f.custom_grad_func is not None}
    ordered_reverse = [f for f in plain if f in custom_grads] + [f for f in plain if f not in custom_grads]
    return (
        builder._codegen_functions(plain, target, forward_only=True)
        + builder._codegen_functions(ordered_reverse, target, reverse_only=True)
        + builder._codegen_functions(grad_functions, target, forward_only=True)
    )


def _struct_types_of(var_type: Any, out: list) -> None:
    var_type = _codegen.strip_reference(var_type)
    if isinstance(var_type, _codegen.Struct):
        if var_type not in out:
            out.append(var_type)
            for var in var_type.vars.values():
                _struct_types_of(var.type, out)
    elif wp.types.is_array(var_type) or getattr(var_type, "dtype", None) is not None and hasattr(var_type, "ndim"):
        _struct_types_of(getattr(var_type, "dtype", None), out)


def used_structs(kernel: Any, functions: list, build: ModuleBuild) -> list:
    """Structs the kernel and its helpers touch, in the module's emission order."""
    found: list = []
    for adj in [kernel.adj] + [f.adj for f in functions]:
        for var in (*adj.args, *adj.variables):
            _struct_types_of(var.type, found)
    return [s for s in build.builder.structs if s in found]


def struct_code(structs: list, build: ModuleBuild) -> str:
    """Struct definitions as ``ModuleBuilder.codegen`` emits them (deduplicated by hash)."""
    if not structs:
        return ""
    tile_helpers = build.tile_helper_struct_hashes()
    seen, text = set(), ""
    for struct in structs:
        if struct.hash not in seen:
            text += _codegen.codegen_struct(struct, include_tile_helpers=struct.hash in tile_helpers)
            seen.add(struct.hash)
    return text


def module_preamble(target: str, block_dim: int, body: str) -> str:
    """The fixed header Warp puts before a module body (depends only on target, block_dim, bf16 use)."""
    type_defines = "" if "bfloat16" in body else "#define WP_NO_BFLOAT16\n"
    header = _codegen.cpu_module_header if target == "cpu" else _codegen.cuda_module_header
    return type_defines + header.format(block_dim=block_dim) + _codegen.codegen_cast_macros


def is_struct(value: Any) -> bool:
    """Whether a type annotation is a ``@wp.struct`` (Warp's ``codegen.Struct``)."""
    return isinstance(value, _codegen.Struct)


def struct_class_name(struct: Any) -> str:
    """The Python class name of a ``@wp.struct`` (its C++ name carries a hash)."""
    return struct.cls.__name__

"""Building a Warp module once (the expensive adjoint build) with the options Warp resolves.

Private Warp internals touched: ``warp._src.context.ModuleBuilder`` and ``ModuleHasher``,
``Module.resolve_options``, ``Module._get_live_kernels``, ``Module.has_unresolved_static_expressions``
and ``Kernel.options``. Measured on warp-lang 1.19.0 (tests/test_warp_internals.py, "module build").
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

import warp as wp
from warp._src import context as _context

from warpsynth._warp.names import kernel_definition_line


def resolved_options(module: Any, block_dim: int, enable_backward: bool | None = None) -> dict:
    """Module options exactly as Warp resolves them for a load with this block_dim.

    Module options (``wp.set_module_options``, ``wp.Module(...)``) over ``wp.config`` as it
    is now, as ``Module.load`` resolves them. ``enable_backward`` overrides the module's
    value when given (the generator's setting); ``None`` keeps it. Kernel options
    (``@wp.kernel(enable_backward=...)``) are merged later by Warp's own codegen.
    """
    options = module.resolve_options(wp.config, block_dim=block_dim)
    if enable_backward is not None:
        options["enable_backward"] = enable_backward
    options["output_arch"] = None
    return options


@dataclass
class ModuleBuild:
    """One adjoint build of a Warp module, reusable for CPU and CUDA codegen.

    ``forward_only``: built as if every kernel had ``enable_backward=False`` (kernel
    options included), with Warp's mangled names of the real options.
    ``cuda_arch``/``cuda_block_dim``: set on a build made for CUDA text of one arch (MathDx
    tile ops name arch- and block_dim-specific LTO symbols); ``None`` on the shared build.
    """

    module: Any
    options: dict
    builder: Any
    kernels: list = field(default_factory=list)
    forward_only: bool = False
    cuda_arch: int | None = None
    _tile_helper_hashes: set | None = None

    def tile_helper_struct_hashes(self) -> set:
        """Warp's ``_get_tile_helper_struct_hashes`` (walks every kernel): once per build."""
        if self._tile_helper_hashes is None:
            self._tile_helper_hashes = self.builder._get_tile_helper_struct_hashes()
        return self._tile_helper_hashes


def _resolve_static_expressions(module: Any, options: dict) -> None:
    """Resolve deferred ``wp.static`` expressions of every kernel before hashing.

    Warp's ``Module.get_module_hash`` resolves them with one ``ModuleBuilder`` whose hasher
    runs *before* the resolution: kernels from one factory (same key and source) then hash
    alike, only one of them is built, and which one depends on the process's WeakSet
    order. Building each kernel on its own resolves all of them, so each variant is
    hashed (mangled) from its own statics: the module Warp compiles when it builds every
    variant, the same in every run (tests/test_extract_cases.py, case 02).
    """
    if module.has_unresolved_static_expressions:
        options = options | {"output_arch": None}
        for kernel in sorted(module._get_live_kernels(), key=lambda k: (k.key, kernel_definition_line(k) or 0)):
            for concrete in kernel.overloads.values() if kernel.is_generic else [kernel]:
                _context.ModuleBuilder(module, options, hasher=_context.ModuleHasher([concrete], options))
        module.has_unresolved_static_expressions = False


@contextmanager
def _without_kernel_backward(kernels: list, active: bool) -> Iterator[None]:
    """Inside the block, kernels that ask for ``enable_backward=True`` are built forward-only."""
    saved = {}
    if active:
        for kernel in kernels:
            if kernel.options.get("enable_backward"):
                saved[kernel] = kernel.options
                kernel.options = kernel.options | {"enable_backward": False}
    try:
        yield
    finally:
        for kernel, options in saved.items():
            kernel.options = options


def build_module(
    module: Any,
    enable_backward: bool | None = None,
    kernels: list | None = None,
    forward_only: bool = False,
    cuda_arch: int | None = None,
    cuda_block_dim: bool = False,
) -> ModuleBuild:
    """Build a module once (the expensive step) with the options Warp resolves for it.

    The shared build is made at the CPU launch block_dim of 1 (a CPU ``wp.launch``
    compiles with ``block_dim=1``); per-kernel CUDA text does not depend on block_dim
    (only the module header does) except for MathDx tile ops, for which ``cuda_arch``
    makes a CUDA build at that arch and the module's CUDA block_dim, and for block-shaped
    tiles (``wp.tile``/``wp.untile``: one element per thread, ``tile_shape_t<block_dim>``),
    for which ``cuda_block_dim`` makes an arch-neutral CUDA build at the module's CUDA block_dim. ``kernels``
    restricts the build to some of the module's kernels (per-kernel text does not depend
    on the others), which isolates a kernel whose codegen fails from its neighbours.
    ``enable_backward`` overrides the module option (``None``: the module's own);
    ``forward_only`` also turns off backward asked for by a kernel's own options.
    Kernels are hashed (mangled names) with their real options, after static
    expressions are resolved, as Warp's load does.
    """
    cuda = cuda_arch is not None or cuda_block_dim
    block_dim = module.options["block_dim"] if cuda else 1
    options = resolved_options(module, block_dim=block_dim, enable_backward=False if forward_only else enable_backward)
    if cuda_arch is not None:
        options["output_arch"] = cuda_arch
    _resolve_static_expressions(module, options)
    hasher = _context.ModuleHasher(module._get_live_kernels() if kernels is None else kernels, options)
    unique = list(hasher.unique_kernels.values())
    with _without_kernel_backward(unique, forward_only):
        builder = _context.ModuleBuilder(module, options, hasher=hasher, target="cuda" if cuda else "cpu")
    return ModuleBuild(module=module, options=options, builder=builder, kernels=list(builder.kernels), forward_only=forward_only, cuda_arch=cuda_arch)


def target_options(build: ModuleBuild, target: str, cuda_block_dim: int | None = None) -> dict:
    """Options for emitting ``target`` text from a shared build."""
    if target == "cpu":
        return dict(build.options)
    block_dim = cuda_block_dim if cuda_block_dim is not None else build.module.options["block_dim"]
    return build.options | {"block_dim": block_dim}


def kernel_options(kernel: Any, build: ModuleBuild, target: str) -> dict:
    """The options Warp emits ``kernel`` with: module options, then the kernel's own (as
    ``codegen_kernel`` merges them); backward off throughout for a forward-only build."""
    options = target_options(build, target) | kernel.options
    if build.forward_only:
        options["enable_backward"] = False
    return options


def module_kernels(module: Any) -> list:
    """What Warp builds for a module: its kernels, generic ones as their overloads."""
    out = []
    for kernel in module._get_live_kernels():
        out.extend(kernel.overloads.values() if kernel.is_generic else [kernel])
    return out


def module_codegen(build: ModuleBuild, target: str, options: dict) -> str:
    """Warp's own whole-module codegen for ``target`` from a shared build (the benchmark floor).

    ``ModuleBuilder.codegen`` reads ``builder.options`` (block_dim for the CUDA
    header), so it is swapped for the call and restored.
    """
    builder = build.builder
    saved = builder.options
    builder.options = options
    try:
        return builder.codegen(target)
    finally:
        builder.options = saved

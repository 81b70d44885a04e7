"""Extract the exact code Warp generates for one kernel."""

from __future__ import annotations

import os
import tempfile
from typing import Any, Iterable, Sequence

import warp as wp

from warpsynth import _warp
from warpsynth.dataset.schema import TARGETS
from warpsynth.errors import WarpsynthError
from warpsynth.extract.ir import KernelArg, KernelIR, TargetCode

#: CUDA arch of the CUDA text when none is asked for and no PTX arch is given (Hopper, sm_90).
#: Only MathDx tile ops (tile_matmul, tile_fft, Cholesky/solves) make the text arch-dependent.
DEFAULT_CUDA_ARCH = 90


def type_name(warp_type: Any) -> str:
    """A stable, readable Warp type string (``array(ndim=2, dtype=vec3f)``, ``float32``, ``bool``).

    Structs are named by their class name, not by the per-sample module they live in; Warp's
    private module path is dropped (``warp._src.types.bool`` -> ``bool``, as Warp's own
    builtin signatures print it).
    """
    if _warp.is_struct(warp_type):
        return _warp.struct_class_name(warp_type)
    if wp.types.is_array(warp_type) and _warp.is_struct(warp_type.dtype):
        return f"{type(warp_type).__name__}(ndim={warp_type.ndim}, dtype={_warp.struct_class_name(warp_type.dtype)})"
    return wp.types.type_repr(warp_type).replace("warp._src.types.", "")


def default_cuda_arch(ptx_archs: Iterable[int]) -> int:
    """The arch CUDA text is generated for: the highest PTX arch asked for, else ``DEFAULT_CUDA_ARCH``."""
    archs = [int(a) for a in ptx_archs]
    return max(archs) if archs else DEFAULT_CUDA_ARCH


def extract(
    kernel: Any,
    targets: Sequence[str] = TARGETS,
    ptx_archs: Iterable[int] = (),
    backward: bool = True,
    cuda_arch: int | None = None,
) -> KernelIR:
    """Return Warp's generated code for ``kernel`` (a concrete ``wp.Kernel`` or an overload), per target.

    Options are the effective ones Warp compiles the kernel with (``wp.config``, module and
    kernel options merged as Warp merges them); ``backward=False`` only removes backward
    code (the kernel is emitted as with ``enable_backward=False``). ``cuda_arch`` (e.g. 90)
    makes the CUDA text that of ``wp.compile_aot_module(arch=cuda_arch)`` also for MathDx
    tile ops; ``None`` gives the arch-neutral text (identical for all other kernels).
    PTX is compiled through Warp's bundled NVRTC from a source holding only this kernel,
    its helpers and structs. Raises WarpsynthError for a generic kernel (use
    :func:`extract_overloads`).
    """
    overloads = _warp.generic_kernel_overloads(kernel)
    if overloads is not None:
        raise WarpsynthError(_generic_message(kernel, overloads))
    return extract_module_kernels(kernel.module, targets, ptx_archs, backward, only=kernel, cuda_arch=cuda_arch)[0]


def _generic_message(kernel: Any, overloads: list) -> str:
    if not overloads:
        return f"kernel {kernel.key!r} is generic and has no overloads: add wp.overload({kernel.key}, [...]) for its argument types"
    return f"kernel {kernel.key!r} is generic with {len(overloads)} overload(s): use warpsynth.extract.extract_overloads, or pass one overload"


def extract_overloads(kernel: Any, targets: Sequence[str] = TARGETS, ptx_archs: Iterable[int] = (), backward: bool = True, cuda_arch: int | None = None) -> list[KernelIR]:
    """Every overload of a generic kernel, one ``KernelIR`` each (a concrete kernel: a list of one).

    Raises WarpsynthError when a generic kernel has no overloads (Warp builds nothing for it).
    """
    overloads = _warp.generic_kernel_overloads(kernel)
    if overloads is None:
        return [extract(kernel, targets, ptx_archs, backward, cuda_arch)]
    if not overloads:
        raise WarpsynthError(_generic_message(kernel, overloads))
    return [extract_module_kernels(kernel.module, targets, ptx_archs, backward, only=o, cuda_arch=cuda_arch)[0] for o in overloads]


def extract_module_kernels(
    module: Any,
    targets: Sequence[str] = TARGETS,
    ptx_archs: Iterable[int] = (),
    backward: bool = True,
    only: Any | None = None,
    cuda_arch: int | None = None,
    kernels: list | None = None,
) -> list[KernelIR]:
    """Extract every kernel Warp builds for ``module`` (or only ``only``, or ``kernels``), one build for all.

    A generic kernel yields one ``KernelIR`` per overload. See :func:`extract` for the options.
    """
    _warp.init_quiet()
    unknown = set(targets) - set(TARGETS)
    if unknown:
        raise ValueError(f"unknown target(s) {sorted(unknown)}; choose from {TARGETS}")
    ptx_archs = [int(a) for a in ptx_archs]
    subset = [only] if only is not None else kernels
    build = _warp.build_module(module, kernels=subset, forward_only=not backward)
    irs = [_extract_built(k, build, [t for t in targets if t == "cpu"], cuda_arch) for k in build.kernels]
    if "cuda" in targets or ptx_archs:
        cuda_build, arch = build, cuda_arch
        if _warp.uses_block_shaped_tiles(build) and not (cuda_arch is not None and _warp.uses_mathdx(build)):
            # wp.tile(x) has one element per thread: the CUDA text is the module's CUDA block_dim's
            cuda_build = _warp.build_module(module, kernels=subset, forward_only=not backward, cuda_block_dim=True)
        elif cuda_arch is not None and _warp.uses_mathdx(build):
            # the adjoints are rebuilt for the arch: CPU text above was emitted first
            try:
                cuda_build = _warp.build_module(module, kernels=subset, forward_only=not backward, cuda_arch=cuda_arch)
            except Exception:
                # e.g. tile_fft at the module's block_dim when the code launches with another one:
                # arch-neutral CUDA text (options.cuda_arch null), from a fresh build
                cuda_build, arch = _warp.build_module(module, kernels=subset, forward_only=not backward), None
        for kernel, ir in zip(build.kernels, irs):
            _add_cuda(ir, kernel, cuda_build, build, "cuda" in targets, ptx_archs, arch)
    return irs


def _target_code(kernel: Any, build: _warp.ModuleBuild, target: str, struct_build: _warp.ModuleBuild) -> tuple[TargetCode, list, list]:
    """The kernel's code on ``target``, with the functions and structs it uses."""
    options = _warp.target_options(build, target)
    forward, backward, entry = _warp.kernel_code(kernel, target, options, forward_only=build.forward_only)
    functions = _warp.called_functions(kernel, build, forward + backward)
    structs = _warp.used_structs(kernel, functions, struct_build)
    helpers = _warp.helper_code(functions, build, target)
    declarations = _warp.lto_declarations(build, helpers + forward + backward) if target == "cuda" else ""
    code = TargetCode(
        forward=forward,
        backward=backward,
        entry=entry,
        helpers=helpers,
        structs=_warp.struct_code(structs, struct_build),
        block_dim=options["block_dim"],
        declarations=declarations,
    )
    return code, functions, structs


def _extract_built(kernel: Any, build: _warp.ModuleBuild, targets: Sequence[str], cuda_arch: int | None) -> KernelIR:
    codes, functions, structs = {}, [], []
    for target in targets:
        codes[target], functions, structs = _target_code(kernel, build, target, build)
    effective = _warp.kernel_options(kernel, build, "cpu")
    return KernelIR(
        kernel_name=_warp.kernel_function_name(kernel),
        mangled_name=_warp.mangled_name(kernel),
        python_source=_warp.kernel_python_source(kernel),
        args=[KernelArg(a.label, type_name(a.type)) for a in kernel.adj.args],
        targets=codes,
        source_file=getattr(kernel.adj, "filename", None),
        source_line=_warp.kernel_definition_line(kernel),
        helper_names=[f.key for f in functions],
        struct_names=[s.key for s in structs],
        options={
            "mode": effective["mode"],
            "enable_backward": bool(effective["enable_backward"]),
            "block_dim": {t: c.block_dim for t, c in codes.items()},
            "ptx_archs": [],
        },
        warp_version=_warp.WARP_VERSION,
    )


def _add_cuda(ir: KernelIR, kernel: Any, cuda_build: _warp.ModuleBuild, build: _warp.ModuleBuild, keep: bool, ptx_archs: list[int], cuda_arch: int | None) -> None:
    """Add the CUDA text (from ``cuda_build``: the arch build for MathDx kernels) and PTX to ``ir``."""
    cuda, functions, structs = _target_code(kernel, cuda_build, "cuda", build)
    if not ir.targets:  # CUDA only: names come from here
        ir.helper_names = [f.key for f in functions]
        ir.struct_names = [s.key for s in structs]
    if keep:
        ir.targets["cuda"] = cuda
        ir.options["block_dim"]["cuda"] = cuda.block_dim
        ir.options["cuda_arch"] = cuda_arch
    if ptx_archs:
        ir.ptx = compile_ptx(
            standalone_source(cuda, "cuda"),
            ptx_archs,
            _warp.target_options(cuda_build, "cuda"),
            program_name=f"wp_{_warp.mangled_name(kernel)}",
        )
        ir.options["ptx_archs"] = ptx_archs


def standalone_source(code: TargetCode, target: str) -> str:
    """A complete compilable module holding just this kernel (what Warp writes for a 1-kernel module)."""
    body = code.text
    return _warp.module_preamble(target, code.block_dim, body) + body


def compile_ptx(cuda_source: str, archs: Iterable[int], options: dict, program_name: str = "kernel") -> dict[str, str]:
    """PTX text per ``sm_XX`` for a CUDA module source.

    NVRTC mangles the program (file) name into internal symbols, so the name is
    part of the output: pass a deterministic one.
    """
    out = {}
    with tempfile.TemporaryDirectory(prefix="warpsynth-ptx-") as tmp:
        cu = os.path.join(tmp, f"{program_name}.cu")
        with open(cu, "w") as f:
            f.write(cuda_source)
        for arch in archs:
            ptx_path = os.path.join(tmp, f"kernel.sm{arch}.ptx")
            _warp.compile_ptx(cu, ptx_path, arch, options)
            with open(ptx_path) as f:
                out[f"sm_{arch}"] = f.read()
    return out

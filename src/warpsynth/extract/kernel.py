"""Extract the exact code Warp generates for one kernel."""

from __future__ import annotations

import os
import tempfile
from typing import Any, Iterable, Sequence

import warp as wp

from warpsynth import _warp
from warpsynth.extract.ir import KernelArg, KernelIR, TargetCode

TARGETS = ("cpu", "cuda")


def type_name(warp_type: Any) -> str:
    """A stable, readable Warp type string (``array(ndim=2, dtype=vec3f)``, ``float32``).

    Structs are named by their class name, not by the per-sample module they live in.
    """
    if _warp.is_struct(warp_type):
        return _warp.struct_class_name(warp_type)
    if wp.types.is_array(warp_type) and _warp.is_struct(warp_type.dtype):
        return f"{type(warp_type).__name__}(ndim={warp_type.ndim}, dtype={_warp.struct_class_name(warp_type.dtype)})"
    return wp.types.type_repr(warp_type)


def extract(
    kernel: Any,
    targets: Sequence[str] = TARGETS,
    ptx_archs: Iterable[int] = (),
    backward: bool = True,
) -> KernelIR:
    """Return Warp's generated code for ``kernel`` (a ``wp.Kernel``), per target.

    Builds the kernel's module once for all targets. PTX is compiled through
    Warp's bundled NVRTC from a source holding only this kernel, its helpers and
    structs, so it is per kernel even when the module holds many kernels.
    """
    return extract_module_kernels(kernel.module, targets, ptx_archs, backward, only=kernel)[0]


def extract_module_kernels(
    module: Any,
    targets: Sequence[str] = TARGETS,
    ptx_archs: Iterable[int] = (),
    backward: bool = True,
    only: Any | None = None,
) -> list[KernelIR]:
    """Extract every kernel Warp builds for ``module`` (or only ``only``), one build for all.

    A generic kernel yields one ``KernelIR`` per overload.
    """
    _warp.init_quiet()
    unknown = set(targets) - set(TARGETS)
    if unknown:
        raise ValueError(f"unknown target(s) {sorted(unknown)}; choose from {TARGETS}")
    ptx_archs = [int(a) for a in ptx_archs]
    build = _warp.build_module(module, enable_backward=backward, kernels=None if only is None else [only])
    return [_extract_built(k, build, targets, ptx_archs) for k in build.kernels]


def _target_code(kernel: Any, build: _warp.ModuleBuild, target: str, functions: list, struct_text: str) -> TargetCode:
    options = _warp.target_options(build, target)
    forward, backward, entry = _warp.kernel_code(kernel, target, options)
    return TargetCode(
        forward=forward,
        backward=backward,
        entry=entry,
        helpers=_warp.helper_code(functions, build, target),
        structs=struct_text,
        block_dim=options["block_dim"],
    )


def _extract_built(kernel: Any, build: _warp.ModuleBuild, targets: Sequence[str], ptx_archs: list[int]) -> KernelIR:
    functions = _warp.called_functions(kernel, build)
    structs = _warp.used_structs(kernel, functions, build)
    struct_text = _warp.struct_code(structs, build)
    codes = {target: _target_code(kernel, build, target, functions, struct_text) for target in targets}
    ptx = {}
    if ptx_archs:
        cuda = codes.get("cuda") or _target_code(kernel, build, "cuda", functions, struct_text)
        ptx = compile_ptx(
            standalone_source(cuda, "cuda"),
            ptx_archs,
            _warp.target_options(build, "cuda"),
            program_name=f"wp_{_warp.mangled_name(kernel)}",
        )
    options = build.options
    return KernelIR(
        kernel_name=kernel.key,
        mangled_name=_warp.mangled_name(kernel),
        python_source=_warp.kernel_python_source(kernel),
        args=[KernelArg(a.label, type_name(a.type)) for a in kernel.adj.args],
        targets=codes,
        ptx=ptx,
        source_file=getattr(kernel.adj, "filename", None),
        source_line=getattr(kernel.adj, "fun_lineno", None),
        helper_names=[f.key for f in functions],
        struct_names=[s.key for s in structs],
        options={
            "mode": options["mode"],
            "enable_backward": options["enable_backward"],
            "block_dim": {t: c.block_dim for t, c in codes.items()},
            "ptx_archs": ptx_archs,
        },
        warp_version=_warp.WARP_VERSION,
    )


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

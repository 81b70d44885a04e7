"""Compiling module text as Warp's own load does (CPU object with the bundled clang, PTX with
the bundled NVRTC), and making Warp launch a prebuilt CPU object.

Private Warp internals touched: ``warp._src.build`` (``build_cpu``, ``build_cuda``),
``warp._src.context`` (``_resolve_cpu_compiler_flags``, ``machine_architecture``,
``runtime.get_nvrtc_pch_dir``, ``ModuleExec``), ``Module.load(binary_path=...)``/``Module.unload``
and ``Module.execs``/``Module.hashers`` (``SharedCpuObject``).
Measured on warp-lang 1.19.0 (tests/test_warp_internals.py, "compile and load"; tests/test_verify.py).
"""

from __future__ import annotations

from typing import Any

import warp as wp
from warp._src import build as _build
from warp._src import context as _context

from warpsynth._warp.runtime import init_quiet


def compile_ptx(cu_path: str, ptx_path: str, arch: int, options: dict) -> None:
    """Compile a CUDA source file to PTX with Warp's bundled NVRTC (no GPU needed)."""
    init_quiet()
    opt = options.get("optimization_level")
    _build.build_cuda(
        cu_path,
        arch,
        ptx_path,
        pch_dir=_context.runtime.get_nvrtc_pch_dir(),
        config=options["mode"],
        optimization_level=3 if opt is None else opt,
        verify_fp=wp.config.verify_fp,
        fast_math=options["fast_math"],
        fuse_fp=options["fuse_fp"],
        lineinfo=options["lineinfo"],
        # as Warp's own load: NVRTC's automatic PCH (-pch); same PTX, ~0.2 s less per program
        use_precompiled_headers=wp.config.use_precompiled_headers,
    )


def cpu_compiler_flags(module_flags: str | None = None) -> str:
    """The CPU compiler flags Warp resolves for a module load (default: ``wp.config.cpu_compiler_flags``,
    ``-march=native`` plus raised LLVM inlining thresholds)."""
    init_quiet()
    return _context._resolve_cpu_compiler_flags(module_flags, wp.config.cpu_compiler_flags)


def _tiles_in_stack_memory() -> bool:
    enable = wp.config.enable_tiles_in_stack_memory  # resolved as ModuleOptions does
    return _context.machine_architecture() == "aarch64" if enable is None else bool(enable)


def compile_cpu_object(cpp_path: str, obj_path: str, options: dict, pch_dir: str | None = None) -> None:
    """Compile a CPU source file to an object with Warp's bundled clang, as Warp's own load does.

    Same flags as ``Module.load`` (``cpu_compiler_flags``: host CPU target and Warp's inlining
    thresholds); for Warp's own module source the object is byte-identical to Warp's.
    """
    init_quiet()
    opt = options.get("optimization_level")
    _build.build_cpu(
        obj_path,
        cpp_path,
        mode=options["mode"],
        fast_math=options["fast_math"],
        verify_fp=wp.config.verify_fp,
        fuse_fp=options["fuse_fp"],
        extra_flags=cpu_compiler_flags(options.get("cpu_compiler_flags")),
        optimization_level=2 if opt is None else opt,
        use_precompiled_headers=pch_dir is not None,
        pch_dir=pch_dir,
        block_dim=options["block_dim"],
        enable_tiles_in_stack_memory=_tiles_in_stack_memory(),
    )


def load_cpu_object(module: Any, obj_path: str, meta_path: str, block_dim: int = 1) -> Any:
    """Make ``module``'s CPU launches run the given compiled object, without Warp recompiling.

    The object must define ``<mangled>_cpu_forward``/``_cpu_backward`` for the module's
    kernels (it may hold other kernels too). Uses ``Module.load``'s prebuilt-binary path,
    so ``wp.launch`` and ``wp.Tape`` then call exactly this object. Returns Warp's ``ModuleExec``.
    """
    init_quiet()
    return module.load("cpu", block_dim=block_dim, binary_path=obj_path, meta_path=meta_path)


class SharedCpuObject:
    """One batch-compiled CPU object, linked once by Warp's LLVM JIT, serving the kernels of many modules.

    ``Module.load(binary_path=...)`` gives each module its own JIT handle, and the first symbol lookup
    in a handle links the whole object: a batch object of 32 samples was linked 32 times, ~12 ms
    each (measured, debug-mode objects). Here the first module loads it through ``Module.load``
    (that ``ModuleExec`` owns the handle: Warp's ``ModuleExec.__del__`` unloads it), and later
    modules get a ``ModuleExec`` on the same handle, with their own kernel hashes, so launches and
    ``wp.Tape`` look their symbols up in the already linked object. ``release(module)`` detaches a
    module without unloading the handle; ``close()`` unloads it.
    """

    def __init__(self, obj_path: str, meta_path: str) -> None:
        self.obj_path, self.meta_path = obj_path, meta_path
        self._owner: Any = None  # the ModuleExec that owns the JIT handle

    def load(self, module: Any, block_dim: int = 1) -> None:
        """Make ``module``'s CPU launches at ``block_dim`` run this object (see ``load_cpu_object``)."""
        if self._owner is None:
            self._owner = load_cpu_object(module, self.obj_path, self.meta_path, block_dim)
            return
        module_hash = module.get_module_hash(block_dim)
        module.execs[(None, block_dim)] = _context.ModuleExec(
            self._owner.handle, module_hash, self._owner.device, {}, block_dim,
            kernel_hashes=module.hashers[block_dim].kernel_hashes, binary_path=self.obj_path,
        )

    def release(self, module: Any) -> None:
        """Drop ``module``'s executables (as ``unload_module``) without unloading the shared object."""
        for exec_ in module.execs.values():
            if exec_ is not self._owner:
                exec_.handle = None  # not the owner: its __del__ must not unload the shared handle
        module.unload()

    def close(self) -> None:
        """Unload the object (when the owning ``ModuleExec`` is collected: at once in CPython)."""
        self._owner = None


def unload_module(module: Any) -> None:
    """Drop ``module``'s loaded executables now (Warp's ``Module.unload``), so their LLVM objects are
    unloaded at once rather than whenever the garbage collector breaks the module/kernel cycle.

    Needed where the same source is loaded again in one process: Warp names a CPU object
    ``wp_<module name>_<n>`` with ``n`` counted per Module object, and the module name comes from the
    source, so a still-loaded earlier object would answer the new one's symbol lookups.
    """
    module.unload()

"""The only package that touches Warp's private API (``warp._src``), one module per topic.

Warp exposes no public way to get generated C++/CUDA per kernel, so extraction drives
``ModuleBuilder`` and the per-kernel codegen functions directly. Keeping every private access
here means a Warp upgrade breaks this package, with its own tests
(``tests/test_warp_internals.py``, one section per module), not the whole code base.
Pinned to warp-lang 1.19.0.

=====================  ==================================================================
module                 topic
=====================  ==================================================================
``runtime``            Warp's version, quiet initialisation, kernel cache dir (public API)
``names``              native/mangled kernel and ``@wp.func`` names, definition lines
``module_build``       one adjoint build per module, with the options Warp resolves
``codegen_text``       per-kernel forward/backward/entry, helpers, structs, module header
``module_registry``    Warp's loaded modules: collecting new ones, releasing them
``compiler``           CPU object (clang) and PTX (NVRTC) as Warp's load compiles; loading
``builtin_registry``   builtins, their overloads and Warp's type matching
``overload_cache``     a memo over builtin overload resolution
``mathdx``             arch/block_dim-specific (LTO-dispatched) tile builtins
=====================  ==================================================================

The names below are re-exported so callers keep writing ``from warpsynth import _warp`` and
``_warp.kernel_code(...)``; private helpers stay in their module.
"""

from __future__ import annotations

from warpsynth._warp.builtin_registry import (
    UNCOMPILABLE_BUILTINS,
    builtin_accepts,
    builtin_functions,
    builtin_is_python_defined,
    is_differentiable_builtin,
    type_is_generic,
    type_matches_template,
)
from warpsynth._warp.codegen_text import (
    called_functions,
    helper_code,
    is_struct,
    kernel_code,
    module_preamble,
    struct_class_name,
    struct_code,
    used_structs,
)
from warpsynth._warp.compiler import (
    SharedCpuObject, compile_cpu_object, compile_ptx, cpu_compiler_flags, load_cpu_object, unload_module,
)
from warpsynth._warp.mathdx import lto_declarations, uses_block_shaped_tiles, uses_mathdx
from warpsynth._warp.module_build import (
    ModuleBuild,
    build_module,
    kernel_options,
    module_codegen,
    module_kernels,
    resolved_options,
    target_options,
)
from warpsynth._warp.module_registry import detach_module_references, new_modules, release_module, user_modules
from warpsynth._warp.names import (
    fresh_function_names,
    fresh_process_function_names,
    generic_kernel_overloads,
    kernel_definition_line,
    kernel_function_name,
    kernel_python_source,
    launch_mangled_name,
    mangled_name,
)
from warpsynth._warp.overload_cache import builtin_overload_cache_size, disable_builtin_overload_cache, enable_builtin_overload_cache
from warpsynth._warp.runtime import NO_DRIVER_WARNING, WARP_VERSION, init_quiet, kernel_cache_dir

__all__ = [
    "NO_DRIVER_WARNING", "UNCOMPILABLE_BUILTINS", "WARP_VERSION", "ModuleBuild",
    "build_module", "builtin_accepts", "builtin_functions", "builtin_is_python_defined", "builtin_overload_cache_size",
    "called_functions", "compile_cpu_object", "compile_ptx", "cpu_compiler_flags", "detach_module_references",
    "disable_builtin_overload_cache", "enable_builtin_overload_cache", "fresh_function_names",
    "fresh_process_function_names", "generic_kernel_overloads", "helper_code", "init_quiet", "is_differentiable_builtin",
    "is_struct", "kernel_cache_dir", "kernel_code", "kernel_definition_line", "kernel_function_name", "kernel_options",
    "kernel_python_source", "launch_mangled_name", "load_cpu_object", "SharedCpuObject", "lto_declarations", "mangled_name",
    "module_codegen", "module_kernels", "module_preamble", "new_modules", "release_module", "resolved_options",
    "struct_class_name", "struct_code", "target_options", "type_is_generic", "type_matches_template", "unload_module",
    "used_structs", "user_modules", "uses_block_shaped_tiles", "uses_mathdx",
]

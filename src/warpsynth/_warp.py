"""The only module that touches Warp's private API (``warp._src``).

Warp exposes no public way to get generated C++/CUDA per kernel, so extraction
drives ``ModuleBuilder`` and the per-kernel codegen functions directly. Keeping
every private access here means a Warp upgrade breaks one file with its own
tests (``tests/test_warp_internals.py``), not the whole code base.
Pinned to warp-lang 1.19.0.
"""

from __future__ import annotations

import linecache
import os
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

import warp as wp
from warp._src import build as _build
from warp._src import codegen as _codegen
from warp._src import context as _context

WARP_VERSION: str = wp.config.version

#: Builtins whose generated C++ does not compile (see shared warp notes).
UNCOMPILABLE_BUILTINS = frozenset({"transform_set_translation_copy", "transform_set_rotation_copy"})

_initialized = False
#: Warp's native-name counters right after ``import warp`` (its own ``@wp.func``s), see
#: ``fresh_process_function_names``.
_IMPORT_FUNCTION_KEY_COUNTS = dict(_context.function_key_counts)


#: Printed by Warp's native library (``init_cuda_driver`` in ``warp/native/cuda_util.cpp``, a plain
#: ``fprintf(stderr, ...)`` that no Warp setting turns off) on a machine without libcuda.
#: warpsynth needs no GPU (CUDA text and PTX come from the bundled NVRTC), so the line is dropped.
NO_DRIVER_WARNING = b"Warp CUDA warning: Could not find or load the NVIDIA CUDA driver"


@contextmanager
def _without_no_driver_warning() -> Iterator[None]:
    """Capture file descriptor 2 (native writes bypass ``sys.stderr``) and pass on every line
    except :data:`NO_DRIVER_WARNING`."""
    import tempfile

    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all (closed fd 2): nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            kept = [line for line in capture.read().splitlines(keepends=True) if not line.startswith(NO_DRIVER_WARNING)]
            if kept:
                os.write(2, b"".join(kept))


def init_quiet() -> None:
    """Initialise Warp once, without its banner or its no-CUDA-driver warning (our output must
    stay parseable, and no GPU is needed)."""
    global _initialized
    if not _initialized:
        if wp.config.log_level <= wp.LOG_INFO:
            wp.config.log_level = wp.LOG_WARNING  # Warp 1.19 logs banners/compile times at INFO
        with _without_no_driver_warning():
            wp.init()
        _initialized = True


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
) -> ModuleBuild:
    """Build a module once (the expensive step) with the options Warp resolves for it.

    The shared build is made at the CPU launch block_dim of 1 (a CPU ``wp.launch``
    compiles with ``block_dim=1``); per-kernel CUDA text does not depend on block_dim
    (only the module header does) except for MathDx tile ops, for which ``cuda_arch``
    makes a CUDA build at that arch and the module's CUDA block_dim. ``kernels``
    restricts the build to some of the module's kernels (per-kernel text does not depend
    on the others), which isolates a kernel whose codegen fails from its neighbours.
    ``enable_backward`` overrides the module option (``None``: the module's own);
    ``forward_only`` also turns off backward asked for by a kernel's own options.
    Kernels are hashed (mangled names) with their real options, after static
    expressions are resolved, as Warp's load does.
    """
    block_dim = 1 if cuda_arch is None else module.options["block_dim"]
    options = resolved_options(module, block_dim=block_dim, enable_backward=False if forward_only else enable_backward)
    if cuda_arch is not None:
        options["output_arch"] = cuda_arch
    _resolve_static_expressions(module, options)
    hasher = _context.ModuleHasher(module._get_live_kernels() if kernels is None else kernels, options)
    unique = list(hasher.unique_kernels.values())
    with _without_kernel_backward(unique, forward_only):
        builder = _context.ModuleBuilder(module, options, hasher=hasher, target="cpu" if cuda_arch is None else "cuda")
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
    return isinstance(value, _codegen.Struct)


def struct_class_name(struct: Any) -> str:
    return struct.cls.__name__


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
    return kernel.get_mangled_name()


def kernel_python_source(kernel: Any) -> str:
    """The kernel's Python source as Warp parsed it (dedented function text)."""
    return kernel.adj.source


def is_differentiable_builtin(name: str) -> bool:
    func = _context.builtin_functions.get(name)
    return bool(func is not None and func.is_differentiable)


def builtin_functions() -> dict:
    """Warp's builtin registry: name -> Function (with ``.overloads``)."""
    return _context.builtin_functions


def user_modules() -> dict:
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


def kernel_cache_dir() -> str:
    """Warp's kernel cache folder (``wp.config.kernel_cache_dir``, set when Warp initialises)."""
    init_quiet()
    return os.fspath(wp.config.kernel_cache_dir)


def module_kernels(module: Any) -> list:
    """What Warp builds for a module: its kernels, generic ones as their overloads."""
    out = []
    for kernel in module._get_live_kernels():
        out.extend(kernel.overloads.values() if kernel.is_generic else [kernel])
    return out


# ---- generator access (warpsynth.generate) ----


def type_is_generic(warp_type: Any) -> bool:
    """Whether a Warp type annotation is a template (Float, Scalar, vector(length=0), Any...)."""
    from warp._src import types as _types

    try:
        return bool(_types.type_is_generic(warp_type))
    except Exception:
        return True


def type_matches_template(arg_type: Any, template_type: Any) -> bool:
    """Warp's own check that a concrete type instantiates a (possibly generic) parameter type."""
    from warp._src import types as _types

    try:
        return bool(_types.type_matches_template(arg_type, template_type))
    except Exception:
        return False


# ---- verification access (warpsynth.verify) ----


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


def builtin_accepts(name: str, arg_types: list) -> bool:
    """Whether Warp's overload resolution finds ``name`` for these argument types.

    Matches each parameter against its template; constraints across arguments (same
    vector length...) are checked later by the overload's ``value_func``.
    """
    func = _context.builtin_functions.get(name)
    if func is None:
        return False
    try:
        return func.get_overload(list(arg_types), {}) is not None
    except Exception:
        return False


def builtin_is_python_defined(overload: Any) -> bool:
    """True for builtins Warp implements as Python ``@wp.func`` code (norm_l1, quat_from_euler, ...)."""
    return getattr(overload, "func", None) is not None


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


def detach_module_references(module: Any) -> None:
    """Remove ``module`` from the ``dependents`` sets of the modules it references.

    For hot reload, Warp records each module that calls another module's
    functions (including Python-defined builtins in ``warp.math`` and friends)
    in that module's ``dependents``. A released sample module stays reachable
    from there with all its kernels and ASTs (~30 KB per sample) unless detached.
    """
    module._detach_references()


#: (builtin, overload count, argument classes, keyword classes, min_outputs) -> chosen overload
_overload_cache: dict = {}
_OVERLOAD_CACHE_MAX = 50_000


def _global_warp_classes(types) -> bool:
    """True when every type is a value class of ``warp.types`` (scalars, vectors, matrices, quats...).

    Such classes are process-global and canonical (Warp's type factories cache
    them), so they are safe, non-leaking cache keys. Per-sample types (structs
    and their instance classes, array annotations, references, tiles, user
    classes) are not.
    """
    return all(isinstance(t, type) and getattr(t, "__module__", None) == _WARP_TYPES_MODULE for t in types)


_WARP_TYPES_MODULE = wp.float32.__module__


def enable_builtin_overload_cache() -> None:
    """Memoise Warp's builtin overload resolution in this process (idempotent).

    ``Adjoint.resolve_func`` matches a builtin call against the builtin's
    overloads one by one (an ``inspect.Signature.bind`` per candidate), about a
    third of the adjoint build. For builtins its result depends only on the
    builtin, its overload list and the argument types, so when every argument
    type is a global Warp class the chosen overload is cached. Anything else
    (user functions, structs, arrays, references, tiles, failures) goes through
    Warp unchanged. Tested to give byte-identical code (tests/test_pipeline_warp.py).
    """
    adjoint = _codegen.Adjoint
    if getattr(adjoint.resolve_func, "_warpsynth_original", None) is not None:
        return
    original = adjoint.resolve_func

    def resolve_func(adj, func, arg_types, kwarg_types, min_outputs):
        if func.is_builtin() and _global_warp_classes(arg_types) and _global_warp_classes(kwarg_types.values()):
            key = (func, len(func.overloads), tuple(arg_types), tuple(kwarg_types.items()), min_outputs)
            found = _overload_cache.get(key)
            if found is None:
                found = original(adj, func, arg_types, kwarg_types, min_outputs)
                if len(_overload_cache) >= _OVERLOAD_CACHE_MAX:
                    _overload_cache.clear()
                _overload_cache[key] = found
            return found
        return original(adj, func, arg_types, kwarg_types, min_outputs)

    resolve_func._warpsynth_original = original
    adjoint.resolve_func = resolve_func


def disable_builtin_overload_cache(clear: bool = True) -> None:
    """Restore Warp's own ``Adjoint.resolve_func``; empty the cache unless ``clear`` is False
    (a benchmark alternating bare Warp with the pipeline keeps the pipeline's cache warm, as a
    worker's stays over its life)."""
    original = getattr(_codegen.Adjoint.resolve_func, "_warpsynth_original", None)
    if original is not None:
        _codegen.Adjoint.resolve_func = original
    if clear:
        _overload_cache.clear()


def builtin_overload_cache_size() -> int:
    return len(_overload_cache)


# ---- extraction of real code (warpsynth.extract) ----


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


_MATHDX_NAMES: frozenset | None = None


def uses_mathdx(build: ModuleBuild) -> bool:
    """Whether any kernel or function of the build names an LTO-dispatched builtin (a textual
    test on their Python source: a false positive only costs an extra CUDA build)."""
    names = _mathdx_builtin_names()
    for obj in (*build.kernels, *build.builder.functions):
        source = obj.adj.source or ""
        if any(name in source for name in names):
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


"""The private-API package on its own, one section per module of ``warpsynth._warp``: if a Warp
upgrade moves something, these fail first. The overload cache has its own file
(tests/test_pipeline_warp.py), the generator's registry access too (tests/test_generate_warp_access.py)."""

from __future__ import annotations

import re
from pathlib import Path

import warp as wp

from kernels_fixture import STRUCT_HELPERS, TWO_KERNELS
from warpsynth import _warp
from warpsynth.extract import load_source


# ---- runtime (warpsynth._warp.runtime) ----


def test_warp_version_is_the_pinned_one():
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    pinned = re.search(r'"warp-lang==([^"]+)"', pyproject).group(1)
    assert _warp.WARP_VERSION == wp.config.version == pinned


# ---- names (warpsynth._warp.names) ----


def test_fresh_function_names_restores_the_global_counter():
    from warp._src import context

    key = "test_fresh_function_names_restores_the_global_counter__locals__sentinel"
    context.function_key_counts[key] = 7
    with _warp.fresh_function_names():
        assert key not in context.function_key_counts

        @wp.func
        def sentinel(x: float):
            return x

        assert sentinel.native_func == key + "_0"
    assert context.function_key_counts[key] == 7
    del context.function_key_counts[key]


def test_fresh_process_function_names_resets_to_import_state():
    from warp._src import context

    key = "warpsynth_internals_sentinel_key"
    saved = dict(context.function_key_counts)
    context.function_key_counts[key] = 3
    try:
        _warp.fresh_process_function_names()
        assert key not in context.function_key_counts
        assert context.function_key_counts == _warp.names._IMPORT_FUNCTION_KEY_COUNTS
    finally:
        context.function_key_counts.clear()
        context.function_key_counts.update(saved)


def test_launch_mangled_name_of_a_generic_kernel_is_its_overloads():
    src = (
        "import warp as wp\nfrom typing import Any\n\n"
        "@wp.kernel\ndef scale_any(x: wp.array(dtype=Any), s: Any):\n    i = wp.tid()\n    x[i] = x[i] * s\n"
        "wp.overload(scale_any, {'x': wp.array(dtype=wp.float64), 's': wp.float64})\n"
    )
    with load_source(src, tag="int_generic") as loaded:
        generic = loaded.kernels()["scale_any"]
        assert generic.is_generic
        overload = next(iter(generic.overloads.values()))
        assert _warp.launch_mangled_name(generic) == _warp.launch_mangled_name(overload)
        assert _warp.launch_mangled_name(generic).startswith("scale_any_")


# ---- module_build (warpsynth._warp.module_build) ----


def test_build_is_cpu_launch_options():
    with load_source(TWO_KERNELS, tag="int1") as loaded:
        build = _warp.build_module(loaded.kernels()["first"].module)
        assert build.options["block_dim"] == 1 and build.options["output_arch"] is None
        assert {k.key for k in build.kernels} == {"first", "second"}
        assert _warp.target_options(build, "cuda")["block_dim"] == 256
        subset = _warp.build_module(loaded.kernels()["first"].module, kernels=[loaded.kernels()["second"]])
        assert [k.key for k in subset.kernels] == ["second"]


FACTORY_AND_OPTIONS = """
import warp as wp

wp.set_module_options({"enable_backward": False})

@wp.func
def one() -> float:
    return 1.0

@wp.func
def two() -> float:
    return 2.0

FUNCS = [one, two]

def make(ids):
    chosen = [FUNCS[i] for i in ids]

    @wp.kernel(enable_backward=True)
    def pick(a: wp.array(dtype=float)):
        for j in range(wp.static(len(chosen))):
            a[j] = wp.static(chosen[j])()  # resolved only when the kernel is built
    return pick

pick_one = make([0])
pick_two = make([1])

@wp.func
def cube(v: float):
    return v * v * v

@wp.kernel
def plain(a: wp.array(dtype=float)):
    a[0] = wp.grad(cube)(a[0])
"""


def test_static_variants_are_resolved_before_hashing_and_options_merge_like_warp():
    with load_source(FACTORY_AND_OPTIONS, tag="int5") as loaded:
        ns = loaded.namespace
        module = ns["pick_one"].module
        assert module.has_unresolved_static_expressions
        build = _warp.build_module(module)
        assert not module.has_unresolved_static_expressions
        assert len(build.kernels) == 3  # both factory variants kept
        assert ns["pick_one"].get_mangled_name() != ns["pick_two"].get_mangled_name()
        assert build.options["enable_backward"] is False  # the module's own option
        assert _warp.kernel_options(ns["pick_one"], build, "cpu")["enable_backward"] is True
        assert _warp.kernel_options(loaded.kernels()["plain"], build, "cpu")["enable_backward"] is False
        options = _warp.target_options(build, "cpu")
        _, backward, _ = _warp.kernel_code(ns["pick_one"], "cpu", options)
        assert "_cpu_kernel_backward" in backward  # the kernel's own option wins
        _, backward, entry = _warp.kernel_code(ns["pick_one"], "cpu", options, forward_only=True)
        assert backward == "" and "backward" not in entry
        assert ns["pick_one"].options["enable_backward"] is True  # restored
        # wp.grad(cube) is not in called_user_functions; the generated call names it
        plain = loaded.kernels()["plain"]
        forward, _, _ = _warp.kernel_code(plain, "cpu", options)
        assert [f.key for f in _warp.called_functions(plain, build, forward)] == ["cube"]
        assert _warp.kernel_function_name(ns["pick_one"]) == "pick" and ns["pick_one"].key.endswith("__locals__pick")


# ---- codegen_text (warpsynth._warp.codegen_text) ----


def test_kernel_code_split_concatenates_to_warps_kernel_block():
    from warp._src import codegen

    templates = {name: getattr(codegen, name) for name in _warp.codegen_text._BACKWARD_TEMPLATES}
    with load_source(STRUCT_HELPERS, tag="int2") as loaded:
        kernel = loaded.kernels()["deform"]
        build = _warp.build_module(kernel.module)
        for target in ("cpu", "cuda"):
            options = _warp.target_options(build, target)
            forward, backward, entry = _warp.kernel_code(kernel, target, options)
            assert forward + backward + entry in build.builder.codegen(target)
            # forward is exactly what Warp emits for the kernel with backward off
            assert forward == codegen.codegen_kernel(kernel, device=target, options=options | {"enable_backward": False})
            assert "_kernel_backward" in backward and "_kernel_backward" not in forward
            assert "\x00" not in forward + backward + entry
    assert {name: getattr(codegen, name) for name in templates} == templates  # restored


GRID_STRIDE_AND_NO_BACKWARD = """
import warp as wp

@wp.kernel(grid_stride=True)
def strided(a: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = wp.sin(a[i])

@wp.kernel(enable_backward=False)
def forward_only(a: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = a[i] * 2.0
"""


def test_kernel_code_split_on_grid_stride_and_per_kernel_backward_off():
    from warp._src import codegen

    with load_source(GRID_STRIDE_AND_NO_BACKWARD, tag="int2b") as loaded:
        kernels = loaded.kernels()
        build = _warp.build_module(kernels["strided"].module)
        for target in ("cpu", "cuda"):
            options = _warp.target_options(build, target)
            module_text = build.builder.codegen(target)
            for name in ("strided", "forward_only"):
                forward, backward, entry = _warp.kernel_code(kernels[name], target, options)
                assert forward + backward + entry in module_text
                off = options | {"enable_backward": False}
                assert forward == codegen.codegen_kernel(kernels[name], device=target, options=off)
                assert (backward == "") == (name == "forward_only")


def test_called_functions_are_transitive_in_module_order():
    with load_source(STRUCT_HELPERS, tag="int3") as loaded:
        kernel = loaded.kernels()["deform"]
        build = _warp.build_module(kernel.module)
        funcs = _warp.called_functions(kernel, build)
        assert [f.key for f in funcs] == ["square", "shaped"]
        structs = _warp.used_structs(kernel, funcs, build)
        assert [_warp.struct_class_name(s) for s in structs] == ["Params"]
        assert _warp.is_struct(structs[0])


def test_module_preamble_matches_warp_header():
    cpu = _warp.module_preamble("cpu", 1, "body")
    cuda = _warp.module_preamble("cuda", 256, "wp::bfloat16 x;")
    assert cpu.startswith("#define WP_NO_BFLOAT16\n") and "#define WP_TILE_BLOCK_DIM 1" in cpu
    assert not cuda.startswith("#define WP_NO_BFLOAT16") and "#define WP_TILE_BLOCK_DIM 256" in cuda


# ---- module_registry (warpsynth._warp.module_registry) ----


CALLS_WARP_MATH = TWO_KERNELS + """

@wp.kernel
def third(a: wp.array(dtype=wp.vec3)):
    i = wp.tid()
    a[i] = wp.vec3(wp.norm_l2(a[i]))  # a Python-defined builtin living in the warp.math module
"""


def test_release_module_drops_warp_and_linecache_state():
    import linecache

    with load_source(CALLS_WARP_MATH, tag="int4") as loaded:
        name, filename = loaded.module_name, loaded.filename
        module = _warp.user_modules()[name]
        assert name in _warp.user_modules() and filename in linecache.cache
        library = set(module.references)
        assert library and all(module in m.dependents for m in library)
    assert name not in _warp.user_modules() and filename not in linecache.cache
    assert not module.references
    assert all(module not in m.dependents for m in library)


def test_new_modules_sees_explicit_modules():
    with _warp.new_modules() as created:
        explicit = wp.Module("warpsynth_internals_explicit")
    assert created == [explicit]


# ---- compiler (warpsynth._warp.compiler) ----


def test_unload_module_drops_the_loaded_executable_at_once():
    src = "import warp as wp\n\n@wp.kernel\ndef twice(x: wp.array(dtype=float)):\n    i = wp.tid()\n    x[i] = x[i] * 2.0\n"
    with load_source(src, tag="unload") as loaded:
        kernel = loaded.kernels()["twice"]
        x = wp.array([1.0, 2.0], dtype=float, device="cpu")
        wp.launch(kernel, dim=2, inputs=[x], device="cpu")
        assert x.numpy().tolist() == [2.0, 4.0] and kernel.module.execs
        _warp.unload_module(kernel.module)
        assert not kernel.module.execs


# ---- builtin_registry (warpsynth._warp.builtin_registry) ----


def test_builtin_registry_and_uncompilable_list():
    registry = _warp.builtin_functions()
    assert len(registry) > 300
    assert _warp.UNCOMPILABLE_BUILTINS <= set(registry)
    assert _warp.is_differentiable_builtin("sin") and not _warp.is_differentiable_builtin("floor")


# ---- mathdx (warpsynth._warp.mathdx) ----


def test_mathdx_detection():
    with load_source(TWO_KERNELS, tag="int6") as loaded:
        build = _warp.build_module(loaded.kernels()["first"].module)
        assert not _warp.uses_mathdx(build)
        assert _warp.lto_declarations(build, "anything") == ""
    assert {"tile_matmul", "tile_fft", "tile_cholesky"} <= _warp.mathdx._mathdx_builtin_names()


BLOCK_SUM = """
import warp as wp

@wp.kernel
def total(x: wp.array(dtype=float), out: wp.array(dtype=float)):
    i = wp.tid()
    v = x[i]
    wp.tile_atomic_add(out, wp.tile_sum(wp.tile(v)))
"""


def test_block_shaped_tiles_get_a_cuda_build_at_the_module_block_dim():
    """``wp.tile(v)`` is ``tile_shape_t<block_dim>``: 1 in the CPU build, the module's CUDA block_dim (256) in a
    ``cuda_block_dim`` build; a kernel without it is not flagged."""
    with load_source(BLOCK_SUM, tag="int_bs") as loaded:
        module = loaded.kernels()["total"].module
        build = _warp.build_module(module)
        assert _warp.uses_block_shaped_tiles(build)
        cuda = _warp.build_module(module, cuda_block_dim=True)
        assert cuda.options["block_dim"] == 256 and build.options["block_dim"] == 1
    with load_source(TWO_KERNELS, tag="int_bs2") as loaded:
        assert not _warp.uses_block_shaped_tiles(_warp.build_module(loaded.kernels()["first"].module))

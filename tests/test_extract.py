"""Extraction is exact: CPU text equals Warp's kernel cache, CUDA text equals AOT output."""

from __future__ import annotations

import glob
import os

import numpy as np
import pytest
import warp as wp

from kernels_fixture import STRUCT_HELPERS, TWO_KERNELS
from warpsynth import _warp, extract
from warpsynth.extract import compile_ptx, load_source, standalone_source


@pytest.fixture
def deform():
    with load_source(STRUCT_HELPERS, tag="deform") as loaded:
        yield loaded


def launch_deform(loaded, device="cpu"):
    n = 3
    wp.launch(
        loaded.kernels()["deform"],
        dim=n,
        inputs=[
            wp.array(np.arange(n, dtype=np.float32), device=device),
            wp.zeros(n, dtype=wp.vec3, device=device),
            wp.zeros(n, dtype=wp.mat33, device=device),
            loaded.namespace["Params"](),
        ],
        device=device,
    )


def test_cpu_text_is_byte_identical_to_kernel_cache(deform, tmp_path, monkeypatch):
    monkeypatch.setattr(wp.config, "kernel_cache_dir", str(tmp_path))
    ir = extract(deform.kernels()["deform"])
    launch_deform(deform)
    [cpp] = glob.glob(str(tmp_path / "**" / "*.cpp"), recursive=True)
    cached = open(cpp).read()
    cpu = ir.targets["cpu"]
    assert standalone_source(cpu, "cpu") == cached
    for piece in (cpu.forward, cpu.backward, cpu.entry, cpu.helpers, cpu.structs):
        assert piece and piece in cached
    assert cpu.block_dim == 1


def test_cuda_text_equals_aot_output_and_ptx(deform, tmp_path):
    kernel = deform.kernels()["deform"]
    ir = extract(kernel, ptx_archs=[90])
    paths = wp.compile_aot_module(kernel.module, arch=[90], use_ptx=True, module_dir=str(tmp_path))
    [cu] = glob.glob(str(tmp_path / "*.cu"))
    aot = open(cu).read()
    assert standalone_source(ir.targets["cuda"], "cuda") == aot
    ptx = ir.ptx["sm_90"]
    assert ".target sm_90" in ptx
    assert f".entry {ir.mangled_name}_cuda_kernel_forward" in ptx
    assert f".entry {ir.mangled_name}_cuda_kernel_backward" in ptx
    # NVRTC mangles the program name into internal symbols: same name, same PTX as Warp's AOT.
    program = os.path.basename(cu)[: -len(".cu")]
    same = compile_ptx(aot, [90], _warp.target_options(_warp.build_module(kernel.module), "cuda"), program_name=program)
    assert same["sm_90"] == open(str(paths[0])).read()


def test_forward_and_backward_are_separate(deform):
    ir = extract(deform.kernels()["deform"])
    for target in ("cpu", "cuda"):
        code = ir.targets[target]
        assert f"{ir.mangled_name}_{target}_kernel_forward(" in code.forward
        assert "_kernel_backward" not in code.forward
        assert f"{ir.mangled_name}_{target}_kernel_backward(" in code.backward
        assert "_kernel_forward(" not in code.backward
    assert ir.targets["cuda"].entry == ""
    assert 'extern "C"' in ir.targets["cpu"].entry


def test_helpers_are_transitive_and_structs_included(deform):
    ir = extract(deform.kernels()["deform"])
    assert ir.helper_names == ["square", "shaped"]
    assert ir.struct_names == ["Params"]
    cpu = ir.targets["cpu"]
    assert "square_0(" in cpu.helpers and "shaped_0(" in cpu.helpers
    assert "adj_square_0(" in cpu.helpers
    assert "struct Params_" in cpu.structs
    assert ir.targets["cuda"].structs == cpu.structs


def test_vector_matrix_and_struct_argument_types(deform):
    ir = extract(deform.kernels()["deform"])
    assert [(a.name, a.type) for a in ir.args] == [
        ("x", "array(ndim=1, dtype=float32)"),
        ("y", "array(ndim=1, dtype=vec3f)"),
        ("m", "array(ndim=1, dtype=mat33f)"),
        ("p", "Params"),
    ]


def test_metadata(deform):
    ir = extract(deform.kernels()["deform"])
    assert ir.kernel_name == "deform"
    assert ir.mangled_name.startswith("deform_")
    assert ir.warp_version == wp.config.version == "1.19.0"
    assert ir.python_source.startswith("@wp.kernel\ndef deform(")
    assert ir.source_line == STRUCT_HELPERS.splitlines().index("@wp.kernel") + 1
    assert ir.options == {"mode": "release", "enable_backward": True, "block_dim": {"cpu": 1, "cuda": 256}, "ptx_archs": [], "cuda_arch": None}


def test_one_kernel_of_a_module_carries_nothing_of_the_others():
    with load_source(TWO_KERNELS, tag="two") as loaded:
        first = extract(loaded.kernels()["first"])
        second = extract(loaded.kernels()["second"], targets=("cuda",))
    assert first.helper_names == ["used_by_first"]
    assert "used_by_second" not in first.targets["cpu"].text
    assert "second_" not in first.targets["cpu"].text
    assert list(second.targets) == ["cuda"]
    assert [a.type for a in second.args] == ["array(ndim=2, dtype=quatf)", "array(ndim=1, dtype=transformf)", "float32"]
    assert "wp::launch_bounds_t<2>" in second.targets["cuda"].forward


def test_no_backward_gives_empty_backward(deform):
    ir = extract(deform.kernels()["deform"], backward=False)
    assert ir.targets["cpu"].backward == "" and ir.targets["cuda"].backward == ""
    assert ir.options["enable_backward"] is False
    full = extract(deform.kernels()["deform"])
    assert ir.targets["cpu"].forward == full.targets["cpu"].forward


def test_same_source_same_text_whatever_was_loaded_before():
    """Warp numbers helper functions with a process-global counter; load_source must hide it."""
    texts = []
    for tag in ("a", "b", "c"):
        with load_source(STRUCT_HELPERS, tag=tag) as loaded:
            texts.append(extract(loaded.kernels()["deform"]).targets["cpu"].text)
    assert texts[0] == texts[1] == texts[2]
    assert "square_0(" in texts[0]


def test_unknown_target_is_refused(deform):
    with pytest.raises(ValueError, match="unknown target"):
        extract(deform.kernels()["deform"], targets=("metal",))


def test_nested_loads_of_one_source_get_distinct_modules():
    with load_source(TWO_KERNELS, tag="outer") as outer, load_source(TWO_KERNELS, tag="inner") as inner:
        assert outer.module_name != inner.module_name
        assert inner.module_name.endswith("_inner")


def test_load_source_releases_warp_state():
    before = set(_warp.user_modules())
    with load_source(TWO_KERNELS, tag="release") as loaded:
        extract(loaded.kernels()["first"])
        name = loaded.module_name
        assert name in _warp.user_modules()
    assert name not in _warp.user_modules()
    assert set(_warp.user_modules()) == before


GENERIC_AND_OPTIONS = """
from typing import Any
import warp as wp

wp.set_module_options({"enable_backward": False})

@wp.kernel
def scale(values: wp.array(dtype=Any), factor: Any, flag: bool):
    tid = wp.tid()
    if flag:
        values[tid] = factor * values[tid]

scale_f = wp.overload(scale, [wp.array(dtype=wp.float32), wp.float32, bool])
scale_d = wp.overload(scale, [wp.array(dtype=wp.float64), wp.float64, bool])

@wp.kernel
def lonely(values: wp.array(dtype=Any)):
    values[0] = values[0]

@wp.kernel(enable_backward=True)
def wants_grad(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    y[0] = wp.sin(x[0])
"""


def test_generic_kernels_give_every_overload_or_a_clear_error():
    from warpsynth.errors import WarpsynthError
    from warpsynth.extract import extract_overloads

    with load_source(GENERIC_AND_OPTIONS, tag="generic") as loaded:
        kernels = loaded.kernels()
        irs = extract_overloads(kernels["scale"])
        assert [[a.type for a in ir.args] for ir in irs] == [
            ["array(ndim=1, dtype=float32)", "float32", "bool"], ["array(ndim=1, dtype=float64)", "float64", "bool"]]
        assert len({ir.mangled_name for ir in irs}) == 2
        assert all(ir.source_line == GENERIC_AND_OPTIONS.splitlines().index("@wp.kernel") + 1 for ir in irs)
        with pytest.raises(WarpsynthError, match="generic with 2 overload"):
            extract(kernels["scale"])
        with pytest.raises(WarpsynthError, match="'lonely' is generic and has no overloads"):
            extract(kernels["lonely"])
        assert extract(loaded.namespace["scale_d"]).mangled_name == irs[1].mangled_name


def test_options_are_the_effective_ones_and_no_backward_only_removes():
    with load_source(GENERIC_AND_OPTIONS, tag="opts") as loaded:
        kernel = loaded.kernels()["wants_grad"]
        full = extract(kernel)
        assert full.options["enable_backward"] is True and full.targets["cpu"].backward  # the kernel asks
        inherited = extract(loaded.namespace["scale_f"])
        assert inherited.options["enable_backward"] is False and inherited.targets["cpu"].backward == ""
        trimmed = extract(kernel, backward=False)
        assert trimmed.options["enable_backward"] is False
        assert trimmed.mangled_name == full.mangled_name  # Warp's name of the real kernel
        for target in ("cpu", "cuda"):
            assert trimmed.targets[target].backward == ""
            assert trimmed.targets[target].forward == full.targets[target].forward
            assert "_backward" not in trimmed.targets[target].forward + trimmed.targets[target].entry


TILE_FFT_AT_DEFAULT_BLOCK_DIM = """
import warp as wp

@wp.kernel
def fft_tiled(x: wp.array2d(dtype=wp.vec2d), y: wp.array2d(dtype=wp.vec2d)):
    i, j, _ = wp.tid()
    a = wp.tile_load(x, shape=(1, 32))
    wp.tile_fft(a)
    wp.tile_store(y, a)
"""


def test_mathdx_kernel_that_warp_cannot_build_at_the_module_block_dim_gets_arch_neutral_cuda():
    # Warp refuses tile_fft of 32 points at block_dim 256 for sm_90 (the code launches it with 16)
    with load_source(TILE_FFT_AT_DEFAULT_BLOCK_DIM, tag="fft") as loaded:
        kernel = loaded.kernels()["fft_tiled"]
        ir = extract(kernel, cuda_arch=90)
        neutral = extract(kernel)
    assert ir.options["cuda_arch"] is None and ir.targets["cuda"].text == neutral.targets["cuda"].text
    assert ir.targets["cpu"].text == neutral.targets["cpu"].text

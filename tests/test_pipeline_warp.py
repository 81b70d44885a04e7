"""Pipeline helpers in _warp: the builtin overload cache must not change a single byte."""

from __future__ import annotations

import pytest

from warpsynth import _warp, generate as gen
from warpsynth.extract import extract, load_source


def _programs(per_category: int = 5):
    out = []
    for c, category in enumerate(gen.CATEGORIES):
        config = gen.GeneratorConfig.only(category)
        for i in range(per_category):
            out.append(gen.kernel(1000 * c + i, config))
    return out


def _texts(programs) -> list:
    texts = []
    for program in programs:
        with load_source(program.source, "cachetest") as loaded:
            try:
                ir = extract(loaded.kernels()[program.kernel_name])
            except Exception as exc:  # the same failure must happen with and without the cache
                texts.append(("error", type(exc).__name__, str(exc)))
                continue
            texts.append({t: c.text for t, c in ir.targets.items()})
    return texts


@pytest.fixture
def no_cache():
    _warp.disable_builtin_overload_cache()
    yield
    _warp.disable_builtin_overload_cache()


def test_overload_cache_gives_byte_identical_code_for_every_category(no_cache):
    programs = _programs()
    plain = _texts(programs)
    _warp.enable_builtin_overload_cache()
    first = _texts(programs)  # fills the cache
    again = _texts(programs)  # served from it
    assert _warp.builtin_overload_cache_size() > 50
    assert first == plain
    assert again == plain


def test_overload_cache_enable_is_idempotent_and_disable_restores(no_cache):
    codegen = _warp.overload_cache._codegen  # Warp's private codegen module, as _warp holds it

    original = codegen.Adjoint.resolve_func
    _warp.enable_builtin_overload_cache()
    patched = codegen.Adjoint.resolve_func
    _warp.enable_builtin_overload_cache()
    assert codegen.Adjoint.resolve_func is patched is not original
    _warp.disable_builtin_overload_cache()
    assert codegen.Adjoint.resolve_func is original and _warp.builtin_overload_cache_size() == 0


def test_overload_cache_can_be_paused_with_its_entries(no_cache):
    programs = _programs()[:3]
    _warp.enable_builtin_overload_cache()
    cached = _texts(programs)
    size = _warp.builtin_overload_cache_size()
    _warp.disable_builtin_overload_cache(clear=False)  # bare Warp, entries kept
    assert _texts(programs) == cached and _warp.builtin_overload_cache_size() == size > 0
    _warp.enable_builtin_overload_cache()
    assert _texts(programs) == cached and _warp.builtin_overload_cache_size() == size


def test_only_global_warp_classes_are_cache_keys():
    import warp as wp

    assert _warp.overload_cache._global_warp_classes([wp.float32, wp.vec3, wp.mat33d, wp.types.vector(length=5, dtype=float)])
    assert not _warp.overload_cache._global_warp_classes([wp.float32, wp.array(dtype=float)])  # annotation instance
    assert not _warp.overload_cache._global_warp_classes([type("UserVec", (), {})])  # a class from user code
    assert not _warp.overload_cache._global_warp_classes([None])

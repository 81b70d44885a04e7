"""The private-Warp helpers the generator added to ``warpsynth._warp``."""

import warp as wp

from warpsynth import _warp


def _templates():
    """Generic parameter types taken from the registry (Warp's Float / vector(3, Scalar))."""
    funcs = _warp.builtin_functions()
    float_t = funcs["sin"].overloads[-1].input_types["x"]
    vec3_t = funcs["cross"].overloads[-1].input_types["a"]
    return float_t, vec3_t


def test_type_is_generic():
    _warp.init_quiet()
    float_t, vec3_t = _templates()
    assert not _warp.type_is_generic(wp.vec3)
    assert not _warp.type_is_generic(wp.float32)
    assert _warp.type_is_generic(float_t)
    assert _warp.type_is_generic(vec3_t)


def test_type_matches_template():
    float_t, vec3_t = _templates()
    assert _warp.type_matches_template(wp.vec3, vec3_t)
    assert _warp.type_matches_template(wp.vec3d, vec3_t)
    assert not _warp.type_matches_template(wp.vec2, vec3_t)
    assert _warp.type_matches_template(wp.float64, float_t)
    assert not _warp.type_matches_template(wp.int32, float_t)


def test_builtin_accepts_uses_overload_resolution():
    assert _warp.builtin_accepts("abs", [wp.vec3])
    assert _warp.builtin_accepts("dot", [wp.vec3, wp.vec3])
    assert not _warp.builtin_accepts("abs", [wp.transform])
    assert not _warp.builtin_accepts("dot", [wp.vec3, wp.float32])
    assert not _warp.builtin_accepts("no_such_builtin", [wp.float32])


def test_builtin_is_python_defined():
    funcs = _warp.builtin_functions()
    assert _warp.builtin_is_python_defined(funcs["norm_l1"])
    sin = funcs["sin"]
    assert not any(_warp.builtin_is_python_defined(o) for o in sin.overloads)

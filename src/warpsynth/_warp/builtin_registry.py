"""Warp's builtin registry and its type matching, as the generator reads them.

Private Warp internals touched: ``warp._src.context.builtin_functions`` (name -> ``Function``,
with ``overloads``, ``is_differentiable``, ``get_overload``) and ``warp._src.types``
(``type_is_generic``, ``type_matches_template``). Measured on warp-lang 1.19.0
(tests/test_warp_internals.py, "builtin registry"; tests/test_generate_warp_access.py).
"""

from __future__ import annotations

from typing import Any

from warp._src import context as _context


#: Builtins whose generated C++ does not compile (see shared warp notes).
UNCOMPILABLE_BUILTINS = frozenset({"transform_set_translation_copy", "transform_set_rotation_copy"})


def builtin_functions() -> dict:
    """Warp's builtin registry: name -> Function (with ``.overloads``)."""
    return _context.builtin_functions


def is_differentiable_builtin(name: str) -> bool:
    """Whether Warp differentiates builtin ``name`` (``Function.is_differentiable``; False for an unknown name).
    Non-differentiable builtins (floor, sign, ...) silently give zero gradients."""
    func = _context.builtin_functions.get(name)
    return bool(func is not None and func.is_differentiable)


def builtin_is_python_defined(overload: Any) -> bool:
    """True for builtins Warp implements as Python ``@wp.func`` code (norm_l1, quat_from_euler, ...)."""
    return getattr(overload, "func", None) is not None


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

"""Signatures the expression builder may call, read from Warp's own builtin registry.

``signatures()`` scans ``builtin_functions`` once per process and keeps every
overload whose parameter and return types the generator's type system models
(scalars, vectors, matrices, quaternions, transforms, spatial types).  Generic
overloads are instantiated per scalar family and resolved with Warp's own
template matching and ``value_func``, so a new Warp builtin over these types
becomes callable without code changes here; only its *domain* may need a guard
(see ``guards.py``).  Builtins that need special argument forms (random state,
arrays, output parameters, type arguments, callables) are emitted by recipes in
``stmt.py``/``categories.py`` instead and are excluded from the scan.
"""

from __future__ import annotations

import itertools
import typing
from dataclasses import dataclass
from functools import lru_cache

from warpsynth import _warp
from warpsynth.generate import types as T

#: registry groups whose builtins need resources the generator does not model
_SKIP_GROUPS = frozenset({"Tile Primitives", "Volumes", "Textures", "Code Generation", "Random", "Geometry"})

#: builtins emitted only by recipes (special argument forms) or never emitted
_RECIPE_ONLY = frozenset(
    {
        # operators: emitted as Python operators by the expression builder
        "add", "sub", "mul", "div", "mod", "floordiv", "neg", "pos", "bit_and", "bit_or", "bit_xor",
        "lshift", "rshift", "invert", "unot",
        # structural / memory / debugging: never an expression
        "print", "printf", "breakpoint", "expect_eq", "expect_neq", "expect_near", "load", "store",
        "address", "array", "view", "array_store", "copy", "assign_copy", "assign_inplace", "extract",
        "index", "indexref", "len", "range", "reversed", "slice", "tuple", "tid", "block_dim",
        "iter_next", "lower_bound", "zeros", "cast", "static",
        # deprecated alias of ``where``
        "select",
        # type-argument constructors and variadic constructors: recipes
        "identity", "quat_identity", "transform_identity", "vector", "matrix", "quaternion",
        "transformation", "spatial_vector", "matrix_from_cols", "matrix_from_rows",
        # output-parameter builtins: recipes
        "svd2", "svd3", "qr3", "eig3", "quat_to_axis_angle",
    }
)


#: pure-math builtins of otherwise skipped groups
_ALLOW = frozenset({"closest_point_edge_edge", "intersect_tri_tri"})


def _excluded(name: str, func) -> bool:
    return (
        name in _warp.UNCOMPILABLE_BUILTINS
        or name in _RECIPE_ONLY
        or (func.group in _SKIP_GROUPS and name not in _ALLOW)
        or name.startswith(("atomic_", "dense_", "tile"))
        or name.endswith("_inplace")
    )


@dataclass(frozen=True)
class Signature:
    """One callable overload: ``name(params...) -> ret`` over modeled types."""

    name: str
    params: tuple[str, ...]
    args: tuple[T.WType, ...]
    ret: T.WType
    differentiable: bool


#: scalar families a generic overload is instantiated for
_FAMILIES = ("float32", "float64", "float16", "int32", "int64", "uint32", "int8", "uint8", "int16", "uint16", "uint64")


def _candidates(template, family: str) -> list[T.WType]:
    out = []
    for t in T.all_value_types():
        if t.dtype != family and not (t.is_int and t.dtype == "int32"):
            continue
        if template is typing.Any and not (t.kind == "vec" and t.float_based):
            continue  # ``Any`` parameters (norm_l2, ...) are written for float vectors
        if _warp.type_matches_template(t.warp, template):
            out.append(t)
    return out


def _return_type(overload, arg_types: dict) -> T.WType | None:
    vt = overload.value_type
    if vt is not None and not _warp.type_is_generic(vt):
        return T.from_warp(vt)
    if overload.value_func is None:
        return None
    try:
        rt = overload.value_func(arg_types, {k: None for k in arg_types})
    except Exception:  # Warp rejects this instantiation: not a valid signature
        return None
    if rt is None or isinstance(rt, (list, tuple)):
        return None
    try:
        return T.from_warp(rt)
    except Exception:
        return None


def _instantiate(name: str, overload) -> list[Signature]:
    params = list(overload.input_types.items())
    if not params or overload.variadic:
        return []
    diff = bool(overload.is_differentiable)
    concrete = [None if _warp.type_is_generic(t) else T.from_warp(t) for _, t in params]
    if all(c is not None for c in concrete):
        ret = _return_type(overload, {n: t for n, t in params})
        if ret is None:
            return []
        return [Signature(name, tuple(n for n, _ in params), tuple(concrete), ret, diff)]
    if any(c is None and not _warp.type_is_generic(t) for c, (_, t) in zip(concrete, params)):
        return []  # a concrete parameter type we do not model
    out: dict[tuple, Signature] = {}
    # Python-defined builtins (norm_l1, quat_from_euler...) hard-code float32 internals
    families = ("float32",) if _warp.builtin_is_python_defined(overload) else _FAMILIES
    for family in families:
        per_param = [[c] if c is not None else _candidates(t, family) for c, (_, t) in zip(concrete, params)]
        if any(not p for p in per_param):
            continue
        for combo in itertools.islice(itertools.product(*per_param), 64):
            if not all(_warp.type_matches_template(c.warp, t) for c, (_, t) in zip(combo, params)):
                continue
            ret = _return_type(overload, {n: c.warp for c, (n, _) in zip(combo, params)})
            if ret is None or not _warp.builtin_accepts(name, [c.warp for c in combo]):
                continue
            out.setdefault(combo, Signature(name, tuple(n for n, _ in params), combo, ret, diff))
    return list(out.values())


@lru_cache(maxsize=1)
def signatures() -> tuple[Signature, ...]:
    """All callable signatures, deterministic order (by name, then overload order)."""
    _warp.init_quiet()
    out: list[Signature] = []
    seen: set = set()
    for name in sorted(_warp.builtin_functions()):
        func = _warp.builtin_functions()[name]
        if _excluded(name, func):
            continue
        for overload in getattr(func, "overloads", None) or [func]:
            for sig in _instantiate(name, overload):
                key = (sig.name, sig.args)
                if key not in seen:
                    seen.add(key)
                    out.append(sig)
    return tuple(out)


@lru_cache(maxsize=1)
def by_return() -> dict[T.WType, tuple[Signature, ...]]:
    """Signatures grouped by return type (values keep the deterministic order)."""
    groups: dict[T.WType, list[Signature]] = {}
    for sig in signatures():
        groups.setdefault(sig.ret, []).append(sig)
    return {k: tuple(v) for k, v in groups.items()}


def names() -> list[str]:
    return sorted({s.name for s in signatures()})


@lru_cache(maxsize=1)
def by_name() -> dict[str, tuple[Signature, ...]]:
    groups: dict[str, list[Signature]] = {}
    for sig in signatures():
        groups.setdefault(sig.name, []).append(sig)
    return {k: tuple(v) for k, v in groups.items()}


@lru_cache(maxsize=None)
def group_of(name: str) -> str:
    func = _warp.builtin_functions().get(name)
    return func.group if func is not None else ""

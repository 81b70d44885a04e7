"""A memo over Warp's builtin overload resolution (same code, about a third less build time).

Private Warp internals touched: ``warp._src.codegen.Adjoint.resolve_func`` (replaced while the
cache is on) and ``Function.is_builtin``/``overloads``. Measured on warp-lang 1.19.0:
byte-identical code with and without the cache (tests/test_pipeline_warp.py).
"""

from __future__ import annotations

import warp as wp
from warp._src import codegen as _codegen


#: (builtin, overload count, argument classes, keyword classes, min_outputs) -> chosen overload
_overload_cache: dict = {}
_OVERLOAD_CACHE_MAX = 50_000
_WARP_TYPES_MODULE = wp.float32.__module__


def _global_warp_classes(types) -> bool:
    """True when every type is a value class of ``warp.types`` (scalars, vectors, matrices, quats...).

    Such classes are process-global and canonical (Warp's type factories cache
    them), so they are safe, non-leaking cache keys. Per-sample types (structs
    and their instance classes, array annotations, references, tiles, user
    classes) are not.
    """
    return all(isinstance(t, type) and getattr(t, "__module__", None) == _WARP_TYPES_MODULE for t in types)


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
    """Entries now in the overload cache (at most ``_OVERLOAD_CACHE_MAX``; emptied when full)."""
    return len(_overload_cache)

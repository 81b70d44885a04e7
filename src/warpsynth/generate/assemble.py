"""Turn a build's syntax tree into a :class:`KernelProgram`: render the module, fill in metadata.

``program(built, job)`` renders ``import warp as wp`` plus ``built.defs`` with
``ast.unparse``, lists the Warp builtins the source uses (``usage.builtins_used``)
and decides whether a finite-difference gradient check makes sense for it.
"""

from __future__ import annotations

import ast

from warpsynth import _warp
from warpsynth.generate.catalog import Built, Job
from warpsynth.generate.liveness import carried_out_of_dynamic_loops
from warpsynth.generate.program import KernelProgram
from warpsynth.generate.usage import builtins_used

#: non-differentiable builtins that only touch indices, constants or control structure
_STRUCTURAL = frozenset(
    {"tid", "range", "extract", "assign_inplace", "int", "int8", "int16", "int32", "int64", "uint8", "uint16",
     "uint32", "uint64", "bit_and", "bit_or", "bit_xor", "lshift", "rshift", "invert", "unot", "identity",
     "quat_identity", "transform_identity", "floordiv", "bit_count", "argmin", "argmax", "nonzero", "len",
     "isfinite", "isnan", "isinf", "block_dim"}
)

#: Features whose kernels get no gradient check. ``component_write`` (``v.y = ...``, ``v[1] = ...``):
#: Warp 1.19's adjoint of an in-place vector component write still credits the overwritten
#: component (tests/test_warp_known_bugs.py), so the stored backward code is not a true gradient.
#: ``dynamic_loop_carry`` (a local assigned in a dynamic loop and read after it): Warp 1.19's adjoint
#: sees it at its value before the loop (``liveness.carried_out_of_dynamic_loops``).
NOT_GRAD_CHECKABLE = frozenset({"atomic", "random", "integer", "component_write", "dynamic_loop_carry"})


def module_tree(defs: list[ast.stmt]) -> ast.Module:
    """The module: ``import warp as wp`` followed by ``defs``."""
    return ast.Module([ast.Import([ast.alias("warp", "wp")])] + list(defs), [])


def render(defs: list[ast.stmt]) -> str:
    """Source text of ``module_tree(defs)`` (``ast.unparse``, newline-terminated)."""
    return ast.unparse(module_tree(defs)) + "\n"


def program(built: Built, job: Job) -> KernelProgram:
    """The program for ``built``: source, builtins, features and the differentiability flag."""
    tree = module_tree(built.defs)
    source = ast.unparse(tree) + "\n"
    builtins = tuple(sorted(builtins_used(tree)))
    nondiff = [b for b in builtins if not _warp.is_differentiable_builtin(b) and b not in _STRUCTURAL]
    features = set(built.features) | job.features | {job.category}
    if any(carried_out_of_dynamic_loops(d) for d in built.defs if isinstance(d, ast.FunctionDef)):
        features.add("dynamic_loop_carry")
    differentiable = (built.differentiable and not nondiff and not (NOT_GRAD_CHECKABLE & features)
                      and job.category != "integer")
    return KernelProgram(
        seed=job.seed,
        source=source,
        kernel_name=built.kernel_name,
        category=job.category,
        features=tuple(sorted(features)),
        args=tuple(built.args),
        launch_dim=tuple(built.launch_dim),
        config_hash=job.config_hash,
        builtins=builtins,
        tiled=built.tiled,
        block_dim=built.block_dim,
        differentiable=differentiable,
        extra={"nondifferentiable_builtins": nondiff} if nondiff else {},
    )

"""Turn a build's syntax tree into a :class:`KernelProgram`: render the module, fill in metadata.

``program(built, job)`` renders ``import warp as wp`` plus ``built.defs`` with
``ast.unparse``, lists the Warp builtins the source uses (``usage.builtins_used``)
and decides whether a finite-difference gradient check makes sense for it.
"""

from __future__ import annotations

import ast

from warpsynth import _warp
from warpsynth.generate.catalog import Built, Job
from warpsynth.generate.liveness import carried_out_of_dynamic_loops, is_dynamic_loop
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


def control_features(tree: ast.Module) -> dict[str, bool]:
    """Whether each control-flow feature the builders record is still in the rendered program: pruning
    removes loops, branches and helper calls the builder had made, and a row's ``features`` must
    describe its code."""
    nodes = list(ast.walk(tree))
    loops = [n for n in nodes if isinstance(n, (ast.For, ast.While))]
    ifs = [n for n in nodes if isinstance(n, ast.If)]
    helpers = {f.name for f in tree.body if isinstance(f, ast.FunctionDef)
               and any(ast.unparse(d).startswith("wp.func") for d in f.decorator_list)}
    elif_ = any(len(i.orelse) == 1 and isinstance(i.orelse[0], ast.If) for i in ifs)
    return {
        "nested_loop": any(isinstance(m, (ast.For, ast.While)) for lp in loops for s in lp.body for m in ast.walk(s)),
        "static_loop": any(isinstance(lp, ast.For) and not is_dynamic_loop(lp) for lp in loops),
        "dynamic_loop": any(isinstance(lp, ast.For) and is_dynamic_loop(lp) for lp in loops),
        "while_loop": any(isinstance(lp, ast.While) for lp in loops),
        "if": bool(ifs), "if_else": any(i.orelse for i in ifs), "elif": elif_, "multi_branch": elif_,
        "break": any(isinstance(n, ast.Break) for n in nodes), "continue": any(isinstance(n, ast.Continue) for n in nodes),
        "early_return": any(isinstance(m, ast.Return) for i in ifs for s in i.body + i.orelse for m in ast.walk(s)),
        "func_call": any(isinstance(n, ast.Name) and n.id in helpers and isinstance(n.ctx, ast.Load) for n in nodes),
        "ternary": any(isinstance(n, ast.IfExp) or (isinstance(n, ast.Call) and ast.unparse(n.func) == "wp.where")
                       for n in nodes),
    }


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
    present = control_features(tree)
    features = {f for f in set(built.features) | job.features if present.get(f, True)} | {job.category}
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

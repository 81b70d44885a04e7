"""Category recipes: what each category asks of the kernel builder.

A :class:`Plan` fixes the type pool, which builtin groups and statement kinds
are favoured, the launch dimensionality and the optional ingredients (stencil
reads, atomics, random state, structs, helpers, scalar parameters, gathers).
``combined`` merges the plans of two or three other categories.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from warpsynth.generate import types as T
from warpsynth.generate.policy import Policy



@dataclass
class Plan:
    category: str
    types: list[T.WType]
    groups: dict[str, float] = field(default_factory=dict)
    stmts: dict[str, float] = field(default_factory=dict)  # statement weights (policy ``w_stmt`` + changes)
    expr: dict[str, float] = field(default_factory=dict)
    ndims: tuple[int, ...] = (1, 1, 1, 2, 3)
    stencil: bool = False
    atomics: bool = False
    random: bool = False
    struct: bool = False
    helpers: tuple[int, int] = (0, 1)
    scalar_params: tuple[int, int] = (0, 2)
    gather: bool = False
    table: bool = False
    reduction: bool = False
    extra_features: set[str] = field(default_factory=set)
    parts: list[str] = field(default_factory=list)


def _pick(rng: random.Random, options: list, k: int) -> list:
    k = min(k, len(options))
    return rng.sample(options, k)


def plan(category: str, rng: random.Random, policy: Policy) -> Plan:
    """The recipe of ``category``; statement weights start from ``policy.w_stmt``."""
    f, i = T.FLOAT, T.INT
    base = policy.table("w_stmt")
    c = category
    if c == "arithmetic":
        p = Plan(c, [f, i], expr={"op": 4.0, "call": 0.5})
    elif c == "vector":
        p = Plan(c, [f, i, T.vec(3)] + _pick(rng, [T.vec(2), T.vec(4), T.vec(3, "float64")], rng.randint(0, 2)),
                 groups={"Vector Math": 5.0}, stmts=dict(base, comp=1.5))
    elif c == "matrix":
        p = Plan(c, [f, i, T.vec(3), T.mat(3)] + _pick(rng, [T.mat(2), T.vec(2), T.mat(4), T.vec(4), T.mat(3, "float64"), T.vec(3, "float64")], rng.randint(0, 2)),
                 groups={"Vector Math": 5.0}, stmts=dict(base, decomp=0.6))
    elif c == "control_flow":
        p = Plan(c, [f, i] + _pick(rng, [T.vec(3), T.vec(2)], 1),
                 stmts=dict(base, ifs=3.0, forl=1.5, whilel=1.0, brk=0.8, cont=0.6))
    elif c == "math":
        p = Plan(c, [f, i] + _pick(rng, [T.scalar("float64"), T.vec(3)], rng.randint(0, 1)),
                 groups={"Scalar Math": 6.0}, expr={"call": 4.0})
    elif c == "atomic":
        p = Plan(c, [f, i], atomics=True, stmts=dict(base, atomic=3.0))
    elif c == "nested_loop":
        p = Plan(c, [f, i] + _pick(rng, [T.vec(3), T.vec(2)], 1),
                 stmts=dict(base, forl=3.5, whilel=0.6, brk=0.4, cont=0.4), table=True, ndims=(1, 1, 2))
    elif c == "multi_conditional":
        p = Plan(c, [f, i] + _pick(rng, [T.vec(3), T.scalar("int64")], 1), stmts=dict(base, ifs=4.0))
        p.extra_features.add("multi_branch")
    elif c == "scalar_param":
        p = Plan(c, [f, i] + _pick(rng, [T.vec(3), T.scalar("float64")], rng.randint(0, 1)), scalar_params=(2, 5))
    elif c == "quaternion":
        p = Plan(c, [f, T.vec(3), T.quat()] + _pick(rng, [T.transform(), T.mat(3), T.quat("float64"), T.vec(3, "float64")], rng.randint(1, 2)),
                 groups={"Quaternion Math": 5.0, "Transformations": 4.0})
    elif c == "spatial":
        p = Plan(c, [f, T.vec(3), T.svec()] + _pick(rng, [T.smat(), T.transform(), T.mat(3)], rng.randint(1, 2)),
                 groups={"Spatial Math": 6.0, "Transformations": 1.5})
    elif c == "struct":
        p = Plan(c, [f, i] + _pick(rng, [T.vec(3), T.vec(2), T.mat(2)], rng.randint(1, 2)), struct=True, helpers=(0, 2))
    elif c == "func_call":
        p = Plan(c, [f, i] + _pick(rng, [T.vec(3), T.vec(2), T.scalar("float64")], rng.randint(0, 1)), helpers=(1, 3), expr={"helper": 3.0})
    elif c == "random":
        p = Plan(c, [f, i] + _pick(rng, [T.vec(3), T.vec(2), T.scalar("uint32")], rng.randint(1, 2)), random=True, expr={"random": 3.0})
    elif c == "stencil":
        p = Plan(c, [f, i] + _pick(rng, [T.vec(3), T.vec(2)], rng.randint(0, 1)), stencil=True, ndims=(1, 2, 2, 3))
    elif c == "reduction":
        p = Plan(c, [f, i] + _pick(rng, [T.vec(3), T.scalar("float64")], rng.randint(0, 1)), reduction=True, atomics=True,
                 table=True, stmts=dict(base, forl=2.0, atomic=1.5), ndims=(1, 2))
    elif c == "integer":
        ints = [T.scalar(d) for d in ("int64", "uint32", "int8", "uint8", "int16", "uint16", "uint64")]
        p = Plan(c, [i] + _pick(rng, ints, rng.randint(1, 3)) + _pick(rng, [f, T.vec(3, "int32")], 1), gather=True,
                 expr={"op": 3.0})
    elif c == "mixed_precision":
        p = Plan(c, [f] + _pick(rng, [T.scalar("float16"), T.scalar("float64")], rng.randint(1, 2))
                 + _pick(rng, [T.vec(3, "float16"), T.vec(3, "float64"), T.mat(3, "float64"), T.vec(3)], rng.randint(0, 2)) + [i],
                 expr={"conv": 2.0, "call": 2.0})
    elif c == "combined":
        others = [x for x in ("arithmetic", "vector", "matrix", "control_flow", "math", "atomic", "nested_loop",
                               "multi_conditional", "scalar_param", "quaternion", "spatial", "struct", "func_call",
                               "random", "stencil", "reduction", "integer", "mixed_precision")]
        parts = sorted(rng.sample(others, rng.randint(2, 3)))
        plans = [plan(x, rng, policy) for x in parts]
        p = merge(plans)
        p.category = "combined"
        p.parts = parts
    else:
        raise ValueError(f"unknown category {category!r}")
    if not p.parts:
        p.parts = [c]
    if not p.stmts:
        p.stmts = dict(base)
    return p


def merge(plans: list[Plan]) -> Plan:
    types: list[T.WType] = []
    for q in plans:
        for t in q.types:
            if t not in types:
                types.append(t)
    out = Plan("combined", types)
    for q in plans:
        for k, v in q.groups.items():
            out.groups[k] = max(out.groups.get(k, 1.0), v)
        for k, v in q.stmts.items():
            out.stmts[k] = max(out.stmts.get(k, 0.0), v)
        for k, v in q.expr.items():
            out.expr[k] = max(out.expr.get(k, 0.0), v)
        out.stencil |= q.stencil
        out.atomics |= q.atomics
        out.random |= q.random
        out.struct |= q.struct
        out.gather |= q.gather
        out.table |= q.table
        out.reduction |= q.reduction
        out.extra_features |= q.extra_features
        out.helpers = (max(out.helpers[0], q.helpers[0]), max(out.helpers[1], q.helpers[1]))
        out.scalar_params = (max(out.scalar_params[0], q.scalar_params[0]), max(out.scalar_params[1], q.scalar_params[1]))
        if q.ndims != Plan("x", []).ndims:
            out.ndims = q.ndims
    return out

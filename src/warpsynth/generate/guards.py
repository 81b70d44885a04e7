"""Domain guards and magnitude rules for registry builtins.

Every generated expression carries ``mag``: a proven upper bound on the absolute
value of each of its components on the sample's own inputs.  A guard rewrites
arguments so that the call is inside the builtin's domain (``sqrt(abs(x) + 0.1)``,
``acos(clamp(x, -0.9, 0.9))``, ``inverse(M + k*I)`` with ``k`` above the
off-diagonal bound, unit quaternions for quaternion inverses...), and a
magnitude rule bounds the result.  Builtins without a rule get a conservative
default bound; builtins listed in ``REJECT`` are never called through the
registry because no cheap guard makes them safe.
"""

from __future__ import annotations

import ast
import math
import random
from typing import Protocol

from warpsynth.generate import types as T
from warpsynth.generate.policy import Policy
from warpsynth.generate.value import Expr, literal_value


class GuardBuilder(Protocol):
    """What a guard needs from the expression builder (``expr.ExprBuilder`` implements it)."""

    def call(self, name: str, args: list[Expr], mag: float | None = None, ret: T.WType | None = None) -> Expr: ...
    def clamp(self, e: Expr, lo: float, hi: float) -> Expr: ...
    def positive(self, e: Expr) -> Expr: ...
    def diag_dominant(self, m: Expr) -> Expr: ...
    def unit(self, e: Expr) -> Expr: ...
    def lit(self, value: float, t: T.WType) -> Expr: ...
    def scalar_type(self, name: str) -> T.WType: ...

    rng: random.Random
    pol: "Policy"

#: registry builtins the expression builder must not call (no cheap domain guard)
REJECT = frozenset(
    {
        "quat_from_matrix",  # needs a rotation matrix; emitted by a recipe from quat_to_matrix instead
        "quat_to_euler",  # asin/atan2 of unnormalised input: emitted by a recipe on unit quaternions
        "quat_to_rpy",
        "transform_from_matrix",  # needs a rigid 4x4 matrix: emitted by a recipe
        "isinf",
        "isnan",
        "isfinite",  # fine, but bool-valued calls are emitted by the condition builder
        "bool",
        # geometric predicates: on the builder's arbitrary (often degenerate: p2 = q2, coplanar) edges and
        # triangles the result jumps with a 1-ulp difference; both differed between the CPU and an H200
        "closest_point_edge_edge",
        "intersect_tri_tri",
    }
)

#: builtins whose result is bounded by a constant regardless of inputs
BOUNDED = {
    "sin": 1.0, "cos": 1.0, "tanh": 1.0, "erf": 1.0, "erfc": 2.0, "atan": 1.6, "atan2": 3.2,
    "acos": 3.2, "asin": 1.6, "sign": 1.0, "step": 1.0, "smoothstep": 1.0, "normalize": 1.0,
    "frac": 1.0, "nonzero": 1.0, "erfinv": 1.2, "erfcinv": 1.2, "quat_from_axis_angle": 1.0,
    "quat_rpy": 1.0, "quat_from_euler": 1.0, "quat_slerp": 1.0, "quat_inverse": 1.0, "quat_twist": 1.0,
    "quat_twist_angle": 6.3, "quat_twist_angle_signed": 6.3, "quat_to_matrix": 1.0, "tan": 2.6,
    "argmax": 4.0, "argmin": 4.0, "bit_count": 64.0, "transform_get_rotation": 1.0, "inverse": 1.0,
    "inverse_approx": 1.0, "smooth_normalize": 1.0, "intersect_tri_tri": 1.0,
}

#: builtins whose quaternion/transform arguments must have unit rotation
NEEDS_UNIT = frozenset(
    {
        "quat_inverse", "quat_slerp", "quat_twist", "quat_twist_angle", "quat_twist_angle_signed",
        "quat_rotate", "quat_rotate_inv", "transform_inverse", "transform_point", "transform_vector",
        "transform_multiply", "transform_twist", "transform_wrench", "transform_to_matrix",
        "transform_get_rotation", "quat_to_matrix",
    }
)

#: builtins that return a unit rotation when given unit rotations
UNIT_RESULT = frozenset(
    {
        "quat_from_axis_angle", "quat_rpy", "quat_from_euler", "quat_slerp", "quat_inverse", "quat_twist",
        "transform_inverse", "transform_multiply", "transform_get_rotation", "normalize",
    }
)


def _default_mag(args: list[Expr]) -> float:
    m = 1.0
    n = 1
    for a in args:
        m *= a.mag + 1.0
        n = max(n, a.type.ncomp)
    return m * n


def result_mag(name: str, args: list[Expr]) -> float:
    """Upper bound on |component| of ``name(args)`` (args already guarded)."""
    if name in BOUNDED:
        return BOUNDED[name]
    m = [a.mag for a in args]
    if name in ("abs", "min", "max", "clamp", "ceil", "floor", "round", "rint", "trunc", "copysign", "transpose",
                "get_diag", "diag", "spatial_top", "spatial_bottom", "transform_get_translation", "where"):
        return max(m) + 1.0
    if name in ("float16", "float32", "float64", "float", "int", "int8", "int16", "int32", "int64", "uint8",
                "uint16", "uint32", "uint64"):
        return m[0] + 1.0
    if name == "closest_point_edge_edge":
        return 4.0 * max(m) + 2.0
    if name == "sqrt":
        return math.sqrt(m[0] + 0.2)
    if name == "cbrt":
        return (m[0] + 1.0) ** (1.0 / 3.0)
    if name in ("log", "log2", "log10"):  # argument >= 1e-3 (guard): |log2(1e-3)| < 10
        return max(10.0, math.log2(m[0] + 1.0))
    if name in ("exp", "cosh", "sinh"):
        return math.exp(min(m[0], 60.0)) + 1.0
    if name == "pow":
        return max((m[0] + 0.2) ** 2.0, 100.0)
    if name in ("degrees",):
        return m[0] * 57.3 + 1.0
    if name == "radians":
        return m[0] * 0.02 + 1.0
    if name == "lerp":
        return max(m[0], m[1]) * (1.0 + 2.0 * m[2]) + 1.0
    if name in ("dot", "length", "length_sq", "norm_l1", "norm_l2", "norm_huber", "norm_pseudo_huber",
                "spatial_dot", "ddot", "trace"):
        n = max(a.type.ncomp for a in args)
        return n * (max(m) + 1.0) ** 2
    if name in ("cross", "outer", "cw_mul", "skew", "quat_rotate", "quat_rotate_inv", "spatial_cross",
                "spatial_cross_dual", "div_approx", "cw_div"):
        return 8.0 * (max(m) + 1.0) ** 2
    return _default_mag(args)


def _abs_plus(b: GuardBuilder, e: Expr, c: float) -> Expr:
    v = literal_value(e.node)
    if v is not None and e.type.is_scalar:  # a literal: its absolute value plus c
        return b.lit(abs(v) + c, e.type)
    return b.call("abs", [e]).plus_const(b, c)


def _at_least(b: GuardBuilder, e: Expr, eps: float) -> Expr:
    """``wp.max(x, eps)``: the idiom in front of ``sqrt``/``log``/``pow`` (a literal is made positive)."""
    v = literal_value(e.node)
    if v is not None and e.type.is_scalar:
        return b.lit(max(abs(v), eps), e.type)
    return b.call("max", [e, b.lit(eps, e.type)], mag=max(e.mag, eps))


#: the bounds a registry ``wp.clamp`` call gets (float, int)
_CLAMP_BOUNDS = ((0.0, 1.0), (-1.0, 1.0), (0.0, 10.0), (-10.0, 10.0))
_INT_CLAMP_BOUNDS = ((0, 15), (-8, 8), (0, 100))


#: Largest argument bound of ``sin``/``cos`` left as it is (about ten periods). The rounding error
#: of an argument grows with it (|x| * eps), and sin/cos pass it on at full size: at |x| ~ 3e4 a
#: float32 ``wp.sin`` differed between the CPU and an H200 in the 4th digit (scripts/gpu_check.py).
PERIODIC_ARG_BOUND = 64.0


def periodic_arg(b: GuardBuilder, e: Expr) -> Expr:
    """``e`` as the argument of ``sin``/``cos``: scaled down by a power of ten if its bound exceeds ``PERIODIC_ARG_BOUND``."""
    if e.type.is_float and e.mag > PERIODIC_ARG_BOUND:
        return _scaled(b, e, PERIODIC_ARG_BOUND / 10)
    return e


def _scaled(b: GuardBuilder, e: Expr, bound: float) -> Expr:
    """``e * 10**-k``, the smallest such power of ten that brings ``e``'s bound under ``bound``."""
    k = 10.0 ** -math.ceil(math.log10(e.mag / bound))
    return Expr(ast.BinOp(e.node, ast.Mult(), b.lit(k, e.type).node), e.type, e.mag * k * 1.001)


def _gaussian_ok(e: Expr) -> bool:
    """A float scalar variable (``r``, ``p.radius``): ``-r * r`` reads it twice without repeating a computation."""
    return e.type.is_scalar and e.type.is_float and isinstance(e.node, (ast.Name, ast.Attribute)) \
        and not (isinstance(e.node, ast.Attribute) and isinstance(e.node.value, ast.Name) and e.node.value.id == "wp")


def _is_call(node, name: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name


def guard(b: GuardBuilder, name: str, args: list[Expr]) -> list[Expr] | None:
    """Rewrite ``args`` into the domain of ``name``; None rejects this call."""
    if name in REJECT:
        return None
    if name == "clamp":  # literal bounds as engineers write them (a drawn ``lo`` could exceed ``hi``); no clamp of a clamp
        x = args[0]
        if not x.type.is_scalar or _is_call(x.node, "clamp"):
            return None
        lo, hi = b.rng.choice(_CLAMP_BOUNDS if x.type.is_float else _INT_CLAMP_BOUNDS)
        return [x, b.lit(lo if x.type.is_signed else max(lo, 0), x.type), b.lit(hi, x.type)]
    if name == "sqrt":
        return [_at_least(b, args[0], 0.0)] if args[0].type.is_float else None
    if name in ("log", "log2", "log10"):
        return [_at_least(b, args[0], 1.0e-3)] if args[0].type.is_float else None
    if name in ("acos", "asin", "erfinv"):  # no guard where the bound already proves |x| <= 0.9
        return [b.clamp(args[0], -0.9, 0.9) if args[0].mag > 0.9 else args[0]]
    if name == "erfcinv":
        return [b.clamp(args[0], 0.1, 1.9)]
    if name == "exp" and args[0].mag > 4.0 and _gaussian_ok(args[0]) and b.rng.random() < b.pol.p_exp_gaussian:
        # ``wp.exp(-r * r)``: a Gaussian falloff, at most 1 (the argument is <= 0, so its bound for exp is 0)
        x = args[0].node
        return [Expr(ast.BinOp(ast.UnaryOp(ast.USub(), x), ast.Mult(), x), args[0].type, 0.0)]
    if name in ("exp", "cosh", "sinh"):
        return [b.clamp(args[0], -4.0, 4.0) if args[0].mag > 4.0 else args[0]]
    if name == "tan":
        return [b.clamp(args[0], -1.2, 1.2) if args[0].mag > 1.2 else args[0]]
    if name in ("sin", "cos"):
        return [periodic_arg(b, args[0])]
    if name == "pow":
        return [_at_least(b, args[0], 0.1), b.clamp(args[1], -2.0, 2.0) if args[1].mag > 2.0 else args[1]]
    if name in ("div_approx", "cw_div"):
        if not args[1].type.is_scalar and args[1].type.kind != "vec":
            return None
        return [args[0], b.positive(args[1])]
    if name in ("inverse", "inverse_approx"):
        return [b.diag_dominant(args[0])]
    if name in ("smoothstep",):  # literal edges, as written in real code: smoothstep(0.0, 1.0, x)
        t = args[0].type
        return [b.lit(round(b.rng.uniform(-1.0, 0.0), 1), t), b.lit(round(b.rng.uniform(0.5, 1.5), 1), t), args[2]]
    if name in ("lerp",):  # the bound rule covers any t; clamp only a large one
        t = args[2]
        return [args[0], args[1], b.clamp(t, 0.0, 1.0) if t.type.is_scalar and t.mag > 2.0 else t]
    if name == "closest_point_edge_edge":
        return args[:4] + [_abs_plus(b, args[4], 1.0e-4) if args[4].mag > 0.5 else b.lit(1.0e-5, args[4].type)]
    if name in ("norm_huber", "norm_pseudo_huber", "smooth_normalize"):
        return [args[0], _abs_plus(b, args[1], 0.1)]
    if name in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "int") and args[0].type.is_float:
        t = b.scalar_type(name)
        lo = 0.0 if not t.is_signed else -min(2.0 ** (t.bits - 1) - 1, 1e6)
        hi = min(2.0 ** (t.bits - (1 if t.is_signed else 0)) - 1, 1e6)
        return [b.clamp(args[0], lo, hi)] if (args[0].mag > hi or lo == 0.0) else args
    if name in ("uint8", "uint16", "uint32", "uint64") and args[0].type.is_signed and args[0].type.is_int:
        return [b.call("abs", [args[0]])]
    if name == "quat_from_euler":  # (angles, i, j, k): axis indices must be 0..2 (else out-of-bounds)
        return [args[0]] + [b.clamp(a, 0, 2) if a.type.is_int else a for a in args[1:]]
    if name in NEEDS_UNIT or name.startswith(("quat_", "transform_")):
        return [b.unit(a) if a.type.kind in ("quat", "transform") else a for a in args]
    return args

"""Property tests: the generator's type system agrees with Warp's."""

from __future__ import annotations

import ast
import random

import warp as wp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warpsynth.extract import extract, load_source
from warpsynth.generate import types as T
from warpsynth.generate.expr import Expr, ExprBuilder
from warpsynth.generate.registry import signatures
from warpsynth.generate.scope import Ctx, Scope, Var

VALUE_TYPES = [t for t in T.all_value_types() if t.kind != "bool"]


def _annotation_text(t: T.WType) -> str:
    return ast.unparse(t.annotation())


def test_types_round_trip_through_warp():
    for t in T.all_value_types():
        assert T.from_warp(t.warp) == t
        annotated = eval(_annotation_text(t), {"wp": wp, "float": wp.float32, "int": wp.int32})
        assert wp.types.types_equal(annotated, t.warp)


def test_registry_signatures_are_modeled_types():
    sigs = signatures()
    assert len(sigs) > 500
    for s in sigs:
        assert all(isinstance(a, T.WType) for a in s.args)
        assert s.ret in T.all_value_types()


def _expr_program(seed: int, target: T.WType, depth: int, pool: list[T.WType]) -> str:
    ctx = Ctx(random.Random(seed), "property", types=pool, group_weights={})
    scope = Scope()
    scope.ctx = ctx
    params = []
    for k, t in enumerate(pool):
        name = f"p{k}"
        scope.add(Var(name, t, 2.0, mutable=False))
        params.append(f"{name}: {_annotation_text(t)}")
    e: Expr = ExprBuilder(ctx).gen(target, depth, scope)
    assert e.type == target
    ann = _annotation_text(target)
    return (
        "import warp as wp\n\n"
        f"@wp.func\ndef expect(x: {ann}) -> {ann}:\n    return x\n\n"
        f"@wp.kernel\ndef k({', '.join(params)}):\n    y = expect({ast.unparse(e.node)})\n"
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31 - 1),
    target=st.sampled_from(VALUE_TYPES),
    depth=st.integers(0, 3),
    extra=st.lists(st.sampled_from(VALUE_TYPES), max_size=2),
)
def test_every_generated_expression_typechecks_in_warp(seed, target, depth, extra):
    """An expression built for type T compiles in Warp and has exactly type T (checked by a typed @wp.func)."""
    pool = [T.FLOAT, T.INT, target] + [t for t in extra if t not in (T.FLOAT, T.INT, target)]
    pool = list(dict.fromkeys(pool))
    src = _expr_program(seed, target, depth, pool)
    with load_source(src, f"prop{seed}") as loaded:
        ir = extract(loaded.namespace["k"])
    assert ir.targets["cpu"].forward and ir.targets["cuda"].backward


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), target=st.sampled_from(VALUE_TYPES), depth=st.integers(0, 4))
def test_magnitude_bound_respects_dtype_limit(seed, target, depth):
    """Squashing keeps every expression's proven bound under its dtype's limit."""
    from warpsynth.generate.expr import LIMIT

    ctx = Ctx(random.Random(seed), "property", types=[T.FLOAT, T.INT, target], group_weights={})
    scope = Scope()
    scope.ctx = ctx
    scope.add(Var("p0", target, 5.0, mutable=False))
    e = ExprBuilder(ctx).gen(target, depth, scope)
    if target.kind != "transform":
        assert e.mag <= LIMIT[target.dtype] * 1.01


@given(mag=st.floats(min_value=0.5, max_value=1.0e6), name=st.sampled_from(["sin", "cos"]),
       dtype=st.sampled_from(["float16", "float32", "float64"]))
@settings(max_examples=40, deadline=None)
def test_sin_and_cos_never_take_a_large_argument(mag, name, dtype):
    """Every sin/cos the builder emits (a squash's too) gets an argument bounded by PERIODIC_ARG_BOUND:
    rounding of a large argument (|x| * eps) passes through at full size and differed CPU vs GPU."""
    from warpsynth.generate.guards import PERIODIC_ARG_BOUND

    t = T.scalar(dtype)
    ctx = Ctx(random.Random(0), "property", types=[t], group_weights={})
    x = Expr(ast.Name("x", ast.Load()), t, mag)
    e = ExprBuilder(ctx).call(name, [x])
    arg = e.node.args[0]
    if mag <= PERIODIC_ARG_BOUND:
        assert ast.unparse(arg) == "x"
    else:
        assert isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mult)
        k = float(eval(ast.unparse(arg.right), {"wp": wp}))
        assert mag * k <= PERIODIC_ARG_BOUND

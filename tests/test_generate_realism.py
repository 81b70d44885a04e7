"""Classic generator realism (issue 15): no trivial expressions, index and guard idioms an engineer writes.

Each scan test builds a few hundred consecutive seeds and checks the syntax trees, so a builder
change that brings a kind back fails here.
"""

from __future__ import annotations

import ast
from functools import lru_cache

import pytest

from warpsynth.generate import kernel
from warpsynth.generate.dataflow import negate
from warpsynth.generate.quality import measure, trivial_reason

SEEDS = range(300)


@lru_cache(maxsize=None)
def _sources() -> tuple[str, ...]:
    return tuple(kernel(s).source for s in SEEDS)


def _reason(text: str) -> str | None:
    return trivial_reason(ast.parse(text, mode="eval").body)


@pytest.mark.parametrize("text, reason", [
    ("x - x", "self-cancelling operator"),
    ("k ^ k", "self-cancelling operator"),
    ("wp.min(x, x)", "same arguments"),
    ("wp.cross(v, v)", "same arguments"),
    ("a if c > 0.0 else a", "equal branches"),
    ("x if True else y", "constant condition"),
    ("wp.abs(0.5) + 0.1", "constant expression"),
    ("wp.sin(0.5)", "constant expression"),
    ("2 * 3", "constant expression"),
    ("wp.abs(2 * 3)", "constant expression"),
    ("wp.vec2(1.5, 0.5)[1]", "constant expression"),
    ("wp.transpose(wp.identity(n=3, dtype=float) * 2.0)", "constant expression"),
    ("not (True and True)", "constant expression"),
    ("0 << k", "zero operand"),
    ("x * 0", "zero operand"),
    ("k % 1", "modulo one"),
    ("x + 0", "neutral operand"),
    ("x * 1.0", "neutral operand"),
    ("0 + k", "neutral operand"),
    ("not not c", "double negation"),
    ("--x", "double negation"),
    ("f(a) >= f(a)", "comparison with itself"),
    ("wp.abs(wp.abs(x))", "idempotent call nested"),
])
def test_trivial_reason_catches_each_kind(text, reason):
    assert _reason(text) == reason


@pytest.mark.parametrize("text", [
    "x * 2.0", "wp.vec3(1.0, 0.0, 0.0)", "-1.5", "wp.identity(n=3, dtype=float) * 2.0", "2.0 * wp.pi",
    "wp.tile_arange(8, dtype=float) * 0.125", "t * 2 + 0", "k % n", "not c", "wp.min(x, y)",
])
def test_trivial_reason_accepts_what_engineers_write(text):
    assert _reason(text) is None


def test_generated_programs_have_no_trivial_expressions():
    bad = {s: m.trivial for s, src in zip(SEEDS, _sources()) if (m := measure(src)).trivial}
    assert bad == {}


def test_negate_writes_the_inverse_condition():
    def neg(text: str) -> str:
        return ast.unparse(negate(ast.parse(text, mode="eval").body))

    assert neg("not wp.isnan(x)") == "wp.isnan(x)"
    assert neg("a < b") == "a >= b" and neg("k == 2") == "k != 2"
    assert neg("a and b") == "not (a and b)"

"""Sign rewrites (``generate.tidy``): engineers' spelling, same values bit for bit."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from warpsynth.generate import kernel
from warpsynth.generate.tidy import tidy_signs


@pytest.mark.parametrize("before, after", [
    ("y = t - -1.02", "y = t + 1.02"),
    ("y = w + -0.767", "y = w - 0.767"),
    ("y = -a + b", "y = b - a"),
    ("u -= -f(u)", "u += f(u)"),
    ("u += -(a * b)", "u -= a * b"),
    ("y = a - -(b + -c)", "y = a + (b - c)"),  # inner first
    ("y = a * -b", "y = a * -b"),  # a product keeps its sign
])
def test_rewrites(before: str, after: str) -> None:
    tree = ast.parse(before)
    assert ast.unparse(ast.Module(tidy_signs(tree.body), [])) == after
    assert ast.unparse(tree) == ast.unparse(ast.parse(before))  # the input is not changed


def test_same_values_bit_for_bit() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(1000).astype(np.float32), rng.standard_normal(1000).astype(np.float32)
    assert np.array_equal(a - -b, a + b) and np.array_equal(-a + b, b - a) and np.array_equal(a + -b, a - b)


def test_generated_programs_have_no_double_signs() -> None:
    for seed in range(200):
        for n in ast.walk(ast.parse(kernel(seed).source)):
            if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Sub)):
                assert not (isinstance(n.right, ast.UnaryOp) and isinstance(n.right.op, ast.USub)), (seed, ast.unparse(n))
            if isinstance(n, ast.AugAssign) and isinstance(n.op, (ast.Add, ast.Sub)):
                assert not (isinstance(n.value, ast.UnaryOp) and isinstance(n.value.op, ast.USub)), (seed, ast.unparse(n))

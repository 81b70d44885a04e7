"""Warp bugs the generator works around. When one of these fails, Warp fixed the bug: drop the workaround."""

from __future__ import annotations

import numpy as np
import warp as wp

from warpsynth.extract import load_source
from warpsynth.generate import kernel as generate_kernel
from warpsynth.generate.assemble import NOT_GRAD_CHECKABLE

COMPONENT_WRITE = '''
import warp as wp


@wp.kernel
def k(b: wp.array(dtype=wp.vec3), out: wp.array(dtype=float)):
    i = wp.tid()
    f = b[i]
    f.y = 2.0 - f[0]
    f[1] = f[1] * f[2]
    out[i] = f[0] * 3.0 + f[1] * 5.0 + f[2]
'''


def test_warp_adjoint_of_in_place_component_write_is_wrong():
    # out = 3 b0 + 5 (2 - b0) b2 + b2  =>  d out / d b = (3 - 5 b2, 0, 5 (2 - b0) + 1) = (-2.5, 0, 9.5)
    with load_source(COMPONENT_WRITE, tag="bug") as loaded:
        b = wp.array([wp.vec3(0.3, 0.7, 1.1)], dtype=wp.vec3, requires_grad=True, device="cpu")
        out = wp.zeros(1, dtype=float, requires_grad=True, device="cpu")
        tape = wp.Tape()
        with tape:
            wp.launch(loaded.kernels()["k"], dim=1, inputs=[b, out], device="cpu")
        tape.backward(grads={out: wp.ones(1, dtype=float, device="cpu")})
        adjoint = b.grad.numpy()[0].copy()
    assert not np.allclose(adjoint, [-2.5, 0.0, 9.5], atol=1e-4), "Warp fixed it: allow component_write in grad checks"
    np.testing.assert_allclose(adjoint, [-7.5, 10.5, 9.5], atol=1e-4)


def test_generated_component_writes_are_not_marked_differentiable():
    found = 0
    for seed in range(400):
        program = generate_kernel(seed)
        if "component_write" in program.features:
            found += 1
            assert not program.differentiable
    assert found > 0 and "component_write" in NOT_GRAD_CHECKABLE


DYNAMIC_LOOP_SUM = '''
import warp as wp


@wp.kernel
def k(x: wp.array2d(dtype=wp.vec3d), total: wp.array(dtype=wp.float64)):
    i = wp.tid()
    s = wp.vec3d()
    for j in range(RANGE):
        s += x[i, j]
    wp.atomic_add(total, 0, wp.length_sq(s))
'''


def _dynamic_loop_adjoint(bound: str) -> float:
    """d total / d x[0, 0, 0] for x[i, j] = (i + 1, j, 1) / 4 over a 2 x 4 array (8 rows summed per thread)."""
    with load_source(DYNAMIC_LOOP_SUM.replace("RANGE", bound), tag=f"bug_dyn_{len(bound)}") as loaded:
        vals = np.array([[[(i + 1) / 4, j / 4, 0.25] for j in range(4)] for i in range(2)])
        x = wp.array(vals, dtype=wp.vec3d, requires_grad=True, device="cpu")
        total = wp.zeros(1, dtype=wp.float64, requires_grad=True, device="cpu")
        tape = wp.Tape()
        with tape:
            wp.launch(loaded.kernels()["k"], dim=2, inputs=[x, total], device="cpu")
        tape.backward(grads={total: wp.ones(1, dtype=wp.float64, device="cpu")})
        return float(x.grad.numpy()[0, 0, 0])


def test_warp_adjoint_through_a_dynamic_loop_sum_is_wrong():
    # s_0 = sum_j x[0, j] = (1, 1.5, 1); d |s_0|^2 / d x[0, 0, 0] = 2 * s_0.x = 2.0
    assert abs(_dynamic_loop_adjoint("4") - 2.0) < 1e-12  # a constant range is unrolled: right
    wrong = _dynamic_loop_adjoint("x.shape[1]")
    assert abs(wrong - 2.0) > 0.1, "Warp fixed it: kernels that sum into a local in a dynamic loop can be grad-checked"


def test_values_carried_out_of_dynamic_loops_are_not_grad_checked():
    import ast

    from warpsynth.generate.liveness import carried_out_of_dynamic_loops

    fn = ast.parse(DYNAMIC_LOOP_SUM.replace("RANGE", "x.shape[1]")).body[1]
    assert carried_out_of_dynamic_loops(fn) == ["s"]
    assert carried_out_of_dynamic_loops(ast.parse(DYNAMIC_LOOP_SUM.replace("RANGE", "4")).body[1]) == []
    flagged = 0
    for seed in range(300):
        p = generate_kernel(seed)
        tree = ast.parse(p.source)
        if any(carried_out_of_dynamic_loops(f) for f in tree.body if isinstance(f, ast.FunctionDef)):
            flagged += 1
            assert not p.differentiable, seed
    assert flagged > 0

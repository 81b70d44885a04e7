"""Poisson solver on warp.fem (issue 7): exactness, convergence orders, plots, CLI, emitted kernels.

Kernels compile once per (mesh, degree) and process: the solves are session-scoped
fixtures, and every later solve/CLI call reuses the compiled modules (and Warp's
on-disk kernel cache across runs). Resolutions are kept small.
"""

from __future__ import annotations

import glob
import json
import math
import os

import numpy as np
import pytest

from warpsynth.cli import main
from warpsynth.errors import WarpsynthError
from warpsynth.fem import convergence_study, observed_orders, solve_poisson
from warpsynth.fem.poisson import DEFAULT_TOL, SOLUTIONS, validate

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="session")
def study_p1():
    return convergence_study((4, 8, 16), degree=1, mesh="grid", solution="sin")


@pytest.fixture(scope="session")
def study_p2():
    return convergence_study((4, 8, 16), degree=2, mesh="grid", solution="sin")


@pytest.fixture(scope="session")
def poly_grid_p2():
    return solve_poisson(3, degree=2, mesh="grid", solution="poly2")


@pytest.fixture(scope="session")
def poly_tri_p2():
    return solve_poisson(2, degree=2, mesh="tri", solution="poly2")


# ---- exactness: degree 2 reproduces a quadratic up to the solver tolerance ----


@pytest.mark.parametrize("fixture", ["poly_grid_p2", "poly_tri_p2"])
def test_quadratic_is_exact_to_solver_tolerance(fixture, request):
    r = request.getfixturevalue(fixture)
    assert r.converged and r.cg_residual <= r.cg_atol
    assert r.cg_iterations > 1  # a real iterative solve (interior unknowns exist)
    assert r.cg_tol == DEFAULT_TOL and 0 < r.cg_atol < 1e-9  # tol * |b|, reported
    assert r.true_relative_residual <= 10 * DEFAULT_TOL
    # discretisation error is zero for a quadratic, so what remains is the solve's
    assert r.max_nodal_error < 1e-10
    assert r.l2_error < 1e-10
    # the boundary values really are the (non-zero) exact solution
    on_boundary = np.isclose(r.node_positions, 0.0).any(axis=1) | np.isclose(r.node_positions, 1.0).any(axis=1)
    assert on_boundary.any() and (~on_boundary).any()
    assert np.abs(r.exact_values[on_boundary]).max() > 0.5
    np.testing.assert_allclose(r.values[on_boundary], r.exact_values[on_boundary], atol=1e-12)


def test_loose_tolerance_is_reported_and_leaves_larger_error(poly_grid_p2):
    loose = solve_poisson(3, degree=2, mesh="grid", solution="poly2", tol=1e-3)
    assert loose.converged and loose.cg_tol == 1e-3
    assert loose.cg_iterations < poly_grid_p2.cg_iterations
    assert loose.max_nodal_error > 100 * poly_grid_p2.max_nodal_error


def test_iteration_cap_is_reported_as_not_converged(poly_grid_p2):
    capped = solve_poisson(3, degree=2, mesh="grid", solution="poly2", max_iters=2)
    assert capped.cg_iterations == 2 and not capped.converged
    assert capped.cg_residual > capped.cg_atol and capped.max_nodal_error > 1e-6


def test_degree1_does_not_reproduce_the_quadratic():
    r = solve_poisson(4, degree=1, mesh="grid", solution="poly2")
    assert r.converged
    assert r.l2_error > 1e-4  # a Q1 field cannot represent y^2


# ---- convergence orders ----


def test_degree1_converges_at_order_2(study_p1):
    assert [r.res for r in study_p1.results] == [4, 8, 16]
    errors = [r.l2_error for r in study_p1.results]
    assert errors[0] > errors[1] > errors[2] > 0
    for order in study_p1.l2_orders:
        assert abs(order - 2.0) < 0.15, study_p1.l2_orders


def test_degree2_converges_at_order_3(study_p2):
    for order in study_p2.l2_orders:
        assert abs(order - 3.0) < 0.15, study_p2.l2_orders


def test_degree2_beats_degree1_at_equal_resolution(study_p1, study_p2):
    for r1, r2 in zip(study_p1.results, study_p2.results):
        assert r2.l2_error < r1.l2_error / 5


def test_observed_orders_formula():
    hs = [1 / 4, 1 / 8, 1 / 16]
    assert observed_orders(hs, [3 * h**2 for h in hs]) == pytest.approx([2.0, 2.0])
    assert observed_orders(hs, [h**3.5 for h in hs]) == pytest.approx([3.5, 3.5])
    assert math.isnan(observed_orders([0.5, 0.25], [1.0, 0.0])[0])


def test_numpy_twins_match_the_definitions():
    x, y = np.array([0.0, 0.3, 1.0]), np.array([0.5, 0.7, 1.0])
    np.testing.assert_allclose(SOLUTIONS["sin"].exact(x, y), np.sin(np.pi * x) * np.sin(np.pi * y))
    # poly2: -Laplace = -(2 - 3) = 1, checked by finite differences of the NumPy twin
    u = SOLUTIONS["poly2"].exact
    h = 1e-3
    lap = (u(x + h, y) + u(x - h, y) + u(x, y + h) + u(x, y - h) - 4 * u(x, y)) / h**2
    np.testing.assert_allclose(-lap, 1.0, atol=1e-6)


# ---- bad input ----


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(res=0), "resolution"),
        (dict(res=-3), "resolution"),
        (dict(res=2.5), "resolution"),
        (dict(degree=0), "degree"),
        (dict(degree=4), "degree"),
        (dict(mesh="hex"), "unknown mesh"),
        (dict(solution="cos"), "unknown solution"),
        (dict(tol=0.0), "tolerance"),
    ],
)
def test_bad_input_is_a_clear_error(kwargs, message):
    args = dict(res=4, degree=1, mesh="grid", solution="sin") | kwargs
    with pytest.raises(WarpsynthError, match=message):
        solve_poisson(**args)


def test_study_needs_two_distinct_resolutions():
    with pytest.raises(WarpsynthError, match="two resolutions"):
        convergence_study((8,), degree=1)
    with pytest.raises(WarpsynthError, match="distinct"):
        convergence_study((8, 8), degree=1)
    with pytest.raises(WarpsynthError, match="resolution"):
        convergence_study((0, 4), degree=1)
    validate(1, 3, "tri", "poly2")  # edges of the valid range are accepted


@pytest.mark.parametrize(
    "argv, message",
    [
        (["poisson", "--res", "0"], "resolution must be an integer >= 1"),
        (["poisson", "--mesh", "quad"], "unknown mesh 'quad'"),
        (["poisson", "--degree", "7"], "degree must be an integer in 1..3"),
        (["poisson", "--plot", "out.jpg"], "PNG"),
        (["poisson", "--emit-kernels", "out.csv"], "unknown output format"),
        (["poisson-study", "--res", "4,x"], "comma-separated integers"),
        (["poisson-study", "--degree", "1,9"], "degree"),
    ],
)
def test_cli_bad_input_one_line_error(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1


# ---- CLI, plots, emitted kernels ----


def test_cli_poisson_json(poly_grid_p2, capsys):
    assert main(["poisson", "--res", "3", "--degree", "2", "--solution", "poly2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["converged"] is True and out["n_dofs"] == poly_grid_p2.n_dofs
    assert out["cg_iterations"] == poly_grid_p2.cg_iterations and out["max_nodal_error"] < 1e-10


def test_cli_study_table_and_plot(study_p1, tmp_path, capsys):
    png = tmp_path / "conv.png"
    assert main(["poisson-study", "--res", "4,8", "--degree", "1", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| 1 |")]
    assert len(rows) == 2
    order = float(rows[1].split("|")[6])
    assert order == pytest.approx(study_p1.l2_orders[0], abs=1e-3)
    assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size < 300_000


def test_plots_write_pngs(study_p1, study_p2, poly_tri_p2, tmp_path):
    from warpsynth.fem.plots import plot_convergence, plot_solution

    sol = plot_solution(study_p1.results[-1], tmp_path / "sol.png")
    tri = plot_solution(poly_tri_p2, tmp_path / "tri.png")
    conv = plot_convergence([study_p1, study_p2], tmp_path / "conv.png")
    for path in (sol, tri, conv):
        data = path.read_bytes()
        assert data[:8] == PNG_MAGIC and 5_000 < len(data) < 300_000
    with pytest.raises(WarpsynthError, match="PNG"):
        plot_solution(poly_tri_p2, tmp_path / "x.pdf")


def test_emit_kernels_rows_match_what_warp_compiled(study_p1, tmp_path, capsys):
    import warp as wp

    from warpsynth.dataset.io import read_rows

    out = tmp_path / "fem.jsonl"
    png = tmp_path / "sol.png"
    argv = ["poisson", "--res", "4", "--degree", "1", "--plot", str(png), "--emit-kernels", str(out)]
    assert main(argv) == 0
    assert "converged" in capsys.readouterr().out
    assert png.read_bytes()[:8] == PNG_MAGIC
    rows = read_rows(out)
    names = {r["kernel_name"].rsplit("_", 1)[0] for r in rows}
    integrands = {"poisson_stiffness_form", "poisson_source_form", "dirichlet_projector_form", "dirichlet_value_form", "squared_error_form"}
    assert integrands <= names
    assert "fill_element_node_indices" in names  # warp.fem's own generated kernels join too
    for row in rows:
        assert row["origin"] == "fem" and row["category"] in ("fem-integrand", "fem-internal")
        assert row["cpu_forward"] and row["cuda_forward"] and row["mangled_name"] in row["cpu_forward"]
        assert not row["source_file"].startswith("/")
    assert len({r["id"] for r in rows}) == len(rows)
    stiffness = next(r for r in rows if r["kernel_name"].startswith("poisson_stiffness_form"))
    assert stiffness["category"] == "fem-integrand" and "def poisson_stiffness_form" in stiffness["source"]
    assert "integrand_func" in stiffness["kernel_source"]  # the warp.fem template the integrand was inlined into
    # CPU text is byte-for-byte what Warp compiled for a kernel of this solve (kernel cache source)
    cache = os.fspath(wp.config.kernel_cache_dir)
    compiled = [
        open(path, encoding="utf-8").read()
        for path in glob.glob(os.path.join(cache, "wp_warpsynth.fem.poisson.poisson_stiffness_form_*", "*.cpp"))
    ]
    assert compiled, "the solve should have left its module source in the kernel cache"
    grid_p1 = [r for r in rows if r["kernel_name"].startswith("poisson_stiffness_form")]
    assert any(r["cpu_forward"] + r["cpu_backward"] + r["cpu_entry"] in text for r in grid_p1 for text in compiled)

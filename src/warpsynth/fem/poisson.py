"""Poisson solver on ``warp.fem``, verified against manufactured (analytic) solutions.

Solves ``-Laplace(u) = f`` on the unit square with Dirichlet conditions ``u = u_exact``
on the boundary, in float64 on the CPU, with Lagrange elements of degree 1-3 on a
regular quad grid (``Grid2D``) or a triangulated grid (``Trimesh2D``). The linear
system is solved with Warp's diagonally preconditioned conjugate gradient
(``warp.optim.linear.cg``).

Each manufactured solution is a ``@wp.func`` pair (u, f = -Laplace u), selected by an
integer so that every solution shares one set of compiled integrand kernels per
(mesh, degree); a NumPy twin of u gives the exact nodal values independently.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

import numpy as np
import warp as wp
import warp.fem as fem
from warp.optim.linear import aslinearoperator, cg, preconditioner
from warp.sparse import bsr_mv

from warpsynth import _warp
from warpsynth.errors import WarpsynthError

MESHES = ("grid", "tri")
MIN_DEGREE, MAX_DEGREE = 1, 3
DEFAULT_TOL = 1.0e-12

# ---------------------------------------------------------------------------
# Manufactured solutions
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Solution:
    """A manufactured solution: its Warp-side id, formula, and NumPy evaluation."""

    name: str
    kind: int
    formula: str
    exact: Callable[[np.ndarray, np.ndarray], np.ndarray]


def _np_sin(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.sin(np.pi * x) * np.sin(np.pi * y)


def _np_poly2(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return 0.5 + 0.25 * x - y + x * x + 0.5 * x * y - 1.5 * y * y


SOLUTIONS: dict[str, Solution] = {
    "sin": Solution("sin", 0, "u = sin(pi x) sin(pi y), f = 2 pi^2 sin(pi x) sin(pi y)", _np_sin),
    "poly2": Solution("poly2", 1, "u = 1/2 + x/4 - y + x^2 + xy/2 - 3y^2/2, f = 1", _np_poly2),
}


@wp.func
def exact_u(kind: int, x: wp.vec2d) -> wp.float64:
    if kind == 0:
        return wp.sin(wp.float64(wp.pi) * x[0]) * wp.sin(wp.float64(wp.pi) * x[1])
    return (
        wp.float64(0.5)
        + wp.float64(0.25) * x[0]
        - x[1]
        + x[0] * x[0]
        + wp.float64(0.5) * x[0] * x[1]
        - wp.float64(1.5) * x[1] * x[1]
    )


@wp.func
def source_f(kind: int, x: wp.vec2d) -> wp.float64:
    """f = -Laplace(exact_u)."""
    if kind == 0:
        pi = wp.float64(wp.pi)
        return wp.float64(2.0) * pi * pi * wp.sin(pi * x[0]) * wp.sin(pi * x[1])
    return wp.float64(1.0)  # -(2 - 3)


# ---------------------------------------------------------------------------
# Integrands (warp.fem turns each into a kernel per field/domain combination)
# ---------------------------------------------------------------------------


@fem.integrand
def poisson_stiffness_form(s: fem.Sample, u: fem.Field, v: fem.Field):
    """a(u, v) = integral of grad u . grad v."""
    return wp.dot(fem.grad(u, s), fem.grad(v, s))


@fem.integrand
def poisson_source_form(s: fem.Sample, domain: fem.Domain, v: fem.Field, kind: int):
    """l(v) = integral of f v."""
    return source_f(kind, domain(s)) * v(s)


@fem.integrand
def dirichlet_projector_form(s: fem.Sample, u: fem.Field, v: fem.Field):
    """Boundary mass (nodal assembly): marks the Dirichlet nodes."""
    return u(s) * v(s)


@fem.integrand
def dirichlet_value_form(s: fem.Sample, domain: fem.Domain, v: fem.Field, kind: int):
    """Boundary values (nodal assembly), normalised by the projector to u_exact at each node."""
    return exact_u(kind, domain(s)) * v(s)


@fem.integrand
def squared_error_form(s: fem.Sample, domain: fem.Domain, u: fem.Field, kind: int):
    """(u_h - u_exact)^2, integrated for the L2 error."""
    d = u(s) - exact_u(kind, domain(s))
    return d * d


# ---------------------------------------------------------------------------
# Solver
# ---------------------------------------------------------------------------


@dataclass
class PoissonResult:
    """One solve: the discrete solution at its nodes, errors, and solver report."""

    res: int
    degree: int
    mesh: str
    solution: str
    h: float
    n_dofs: int
    l2_error: float
    max_nodal_error: float
    cg_tol: float
    cg_iterations: int
    cg_residual: float  # CG's recursively updated residual norm at exit
    cg_atol: float  # absolute tolerance CG compared against: tol * ||b|| (initial residual, x0 = 0)
    true_relative_residual: float  # ||b - A x|| / ||b||, recomputed after the solve
    converged: bool
    seconds: float
    node_positions: np.ndarray = field(repr=False)  # (n, 2)
    values: np.ndarray = field(repr=False)  # u_h at nodes
    exact_values: np.ndarray = field(repr=False)  # u_exact at nodes

    def summary(self) -> dict:
        """The scalar fields (JSON-friendly)."""
        d = asdict(self)
        for key in ("node_positions", "values", "exact_values"):
            d.pop(key)
        return d


def validate(res: int, degree: int, mesh: str, solution: str = "sin") -> None:
    """Raise WarpsynthError with a one-line reason for out-of-range input."""
    if isinstance(res, bool) or not isinstance(res, (int, np.integer)) or res < 1:
        raise WarpsynthError(f"poisson: resolution must be an integer >= 1, got {res!r}")
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or not MIN_DEGREE <= degree <= MAX_DEGREE:
        raise WarpsynthError(f"poisson: degree must be an integer in {MIN_DEGREE}..{MAX_DEGREE}, got {degree!r}")
    if mesh not in MESHES:
        raise WarpsynthError(f"poisson: unknown mesh {mesh!r}; choose from {', '.join(MESHES)}")
    if solution not in SOLUTIONS:
        raise WarpsynthError(f"poisson: unknown solution {solution!r}; choose from {', '.join(SOLUTIONS)}")


def make_geometry(res: int, mesh: str):
    """Unit-square geometry in float64: ``res`` x ``res`` quads, or each quad split in two triangles."""
    if mesh == "grid":
        return fem.Grid2D(res=wp.vec2i(res), scalar_type=wp.float64)
    xs = np.linspace(0.0, 1.0, res + 1)
    positions = np.stack(np.meshgrid(xs, xs, indexing="ij"), axis=-1).reshape(-1, 2)
    tris = fem.utils.grid_to_tris(res, res)
    return fem.Trimesh2D(
        tri_vertex_indices=wp.array(tris, dtype=int, device="cpu"),
        positions=wp.array(positions, dtype=wp.vec2d, device="cpu"),
    )


_KERNEL_OPTIONS = {"enable_backward": False}


def _assemble(geo, space, cells, quadrature, kind: int):
    """The stiffness matrix and load vector on ``space``, Dirichlet rows projected out
    (``fem.project_linear_system``): a float64 BSR matrix and array of ``n_dofs`` values."""
    test = fem.make_test(space=space, domain=cells)
    trial = fem.make_trial(space=space, domain=cells)
    opts = _KERNEL_OPTIONS
    matrix = fem.integrate(poisson_stiffness_form, fields={"u": trial, "v": test}, kernel_options=opts)
    rhs = fem.integrate(
        poisson_source_form, quadrature=quadrature, fields={"v": test}, values={"kind": kind}, kernel_options=opts
    )

    boundary = fem.BoundarySides(geo)
    bd_test = fem.make_test(space=space, domain=boundary)
    bd_trial = fem.make_trial(space=space, domain=boundary)
    bd_matrix = fem.integrate(
        dirichlet_projector_form, fields={"u": bd_trial, "v": bd_test}, assembly="nodal", kernel_options=opts
    )
    bd_values = fem.integrate(
        dirichlet_value_form, fields={"v": bd_test}, values={"kind": kind}, assembly="nodal", kernel_options=opts
    )
    fem.project_linear_system(matrix, rhs, bd_matrix, bd_values)
    return matrix, rhs


def _solve_cg(matrix, rhs, tol: float, max_iters: int | None):
    """Diagonally preconditioned CG from x0 = 0 until ``||r|| <= tol ||b||``.

    Returns ``(x, iterations, residual, atol, true_relative_residual)``: the last two are
    CG's own stopping threshold and ``||b - A x|| / ||b||`` recomputed from ``x``.
    """
    x = wp.zeros_like(rhs)
    n = rhs.shape[0]
    # One "batch" spanning all unknowns: on CPU, Warp then reduces dot products with a plain
    # one-thread kernel instead of its 512-wide tiled reduction, which is ~5-40x slower on CPU
    # (measured: res=32 degree 3 tri, 271 iterations: 23.6 s -> 5.3 s); same iterates.
    operator = aslinearoperator(matrix, batch_offsets=wp.array([0, n], dtype=int), max_batch_length=n)
    iters, residual, atol = cg(
        operator,
        rhs,
        x,
        tol=tol,
        atol=0.0,  # purely relative criterion: ||r|| <= tol * ||b|| (x0 = 0)
        maxiter=max_iters if max_iters is not None else 10 * n,
        M=preconditioner(matrix, "diag"),
        check_every=1,
        use_cuda_graph=False,
    )
    ax = wp.zeros_like(rhs)
    bsr_mv(matrix, x, ax)
    b_np = rhs.numpy().copy()
    b_norm = float(np.linalg.norm(b_np))
    true_rel = float(np.linalg.norm(b_np - ax.numpy())) / b_norm if b_norm > 0 else 0.0
    return x, iters, residual, atol, true_rel


def _l2_error(space, x, quadrature, kind: int) -> float:
    """``||u_h - u_exact||_L2`` of the discrete solution with dof values ``x``."""
    u_h = space.make_field()
    u_h.dof_values = x
    sq = fem.integrate(
        squared_error_form, quadrature=quadrature, fields={"u": u_h}, values={"kind": kind}, kernel_options=_KERNEL_OPTIONS
    )
    return math.sqrt(max(float(sq), 0.0))


def solve_poisson(
    res: int = 16,
    degree: int = 1,
    mesh: str = "grid",
    solution: str = "sin",
    tol: float = DEFAULT_TOL,
    max_iters: int | None = None,
) -> PoissonResult:
    """Solve -Laplace(u) = f on the unit square (Dirichlet u = u_exact) and measure the error.

    ``tol`` is CG's relative tolerance on the residual (``||r|| <= tol ||b||``);
    ``max_iters`` defaults to 10x the number of unknowns.
    """
    validate(res, degree, mesh, solution)
    if not tol > 0.0:
        raise WarpsynthError(f"poisson: solver tolerance must be > 0, got {tol!r}")
    with wp.ScopedLogLevel(wp.LOG_WARNING):
        _warp.init_quiet()
    sol = SOLUTIONS[solution]
    start = time.perf_counter()
    with wp.ScopedDevice("cpu"), wp.ScopedLogLevel(wp.LOG_WARNING):
        geo = make_geometry(int(res), mesh)
        space = fem.make_polynomial_space(geo, degree=int(degree), dtype=wp.float64)
        cells = fem.Cells(geometry=geo)
        # f is not a polynomial: integrate it (and the error) with order 2p+2, not the default order p
        quadrature = fem.RegularQuadrature(domain=cells, order=2 * int(degree) + 2)
        matrix, rhs = _assemble(geo, space, cells, quadrature, sol.kind)
        x, iters, residual, atol, true_rel = _solve_cg(matrix, rhs, tol, max_iters)
        l2 = _l2_error(space, x, quadrature, sol.kind)
        nodes = space.node_positions().numpy().copy()
        values = x.numpy().copy()
    exact = sol.exact(nodes[:, 0], nodes[:, 1])
    return PoissonResult(
        res=int(res),
        degree=int(degree),
        mesh=mesh,
        solution=solution,
        h=1.0 / res,
        n_dofs=int(values.shape[0]),
        l2_error=l2,
        max_nodal_error=float(np.max(np.abs(values - exact))),
        cg_tol=float(tol),
        cg_iterations=int(iters),
        cg_residual=float(residual),
        cg_atol=float(atol),
        true_relative_residual=true_rel,
        converged=bool(float(residual) <= float(atol)),
        seconds=time.perf_counter() - start,
        node_positions=nodes,
        values=values,
        exact_values=exact,
    )


# ---------------------------------------------------------------------------
# Convergence study
# ---------------------------------------------------------------------------


@dataclass
class ConvergenceStudy:
    degree: int
    mesh: str
    solution: str
    results: list[PoissonResult]
    l2_orders: list[float]  # observed order between consecutive resolutions
    max_orders: list[float]

    @property
    def final_l2_order(self) -> float:
        return self.l2_orders[-1]

    def table(self) -> list[dict]:
        rows = []
        for i, r in enumerate(self.results):
            rows.append(
                {
                    "res": r.res,
                    "h": r.h,
                    "dofs": r.n_dofs,
                    "l2_error": r.l2_error,
                    "l2_order": self.l2_orders[i - 1] if i else None,
                    "max_nodal_error": r.max_nodal_error,
                    "max_order": self.max_orders[i - 1] if i else None,
                    "cg_iterations": r.cg_iterations,
                }
            )
        return rows


def observed_orders(hs: Sequence[float], errors: Sequence[float]) -> list[float]:
    """log(e_i / e_{i+1}) / log(h_i / h_{i+1}) for consecutive pairs (nan if an error is 0)."""
    orders = []
    for (h0, e0), (h1, e1) in zip(zip(hs, errors), zip(hs[1:], errors[1:])):
        if e0 > 0 and e1 > 0:
            orders.append(math.log(e0 / e1) / math.log(h0 / h1))
        else:
            orders.append(float("nan"))
    return orders


def convergence_study(
    resolutions: Sequence[int] = (4, 8, 16, 32),
    degree: int = 1,
    mesh: str = "grid",
    solution: str = "sin",
    tol: float = DEFAULT_TOL,
) -> ConvergenceStudy:
    """Solve at each resolution and report the observed orders of the L2 and max nodal errors."""
    resolutions = list(resolutions)
    if len(resolutions) < 2:
        raise WarpsynthError("poisson study: need at least two resolutions to measure an order")
    for r in resolutions:
        validate(r, degree, mesh, solution)
    if len(set(resolutions)) != len(resolutions):
        raise WarpsynthError(f"poisson study: resolutions must be distinct, got {resolutions}")
    resolutions.sort()
    results = [solve_poisson(r, degree, mesh, solution, tol=tol) for r in resolutions]
    hs = [r.h for r in results]
    return ConvergenceStudy(
        degree=int(degree),
        mesh=mesh,
        solution=solution,
        results=results,
        l2_orders=observed_orders(hs, [r.l2_error for r in results]),
        max_orders=observed_orders(hs, [r.max_nodal_error for r in results]),
    )

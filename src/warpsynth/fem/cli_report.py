"""Console side of ``warpsynth poisson`` / ``warpsynth poisson-study``: run, print, plot, emit."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Optional, Sequence

from warpsynth.errors import WarpsynthError
from warpsynth.fem.poisson import convergence_study, solve_poisson, validate


def _fmt(value: Optional[float], spec: str) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def parse_int_list(text: str, what: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise WarpsynthError(f"{what}: expected comma-separated integers like 4,8,16, got {text!r}") from None
    if not values:
        raise WarpsynthError(f"{what}: empty list")
    return values


def run_poisson(
    res: int,
    degree: int,
    mesh: str,
    solution: str,
    tol: float,
    plot: Optional[Path],
    emit_kernels: Optional[Path],
    json_out: bool,
) -> int:
    """Solve once; print the report. Exit status 0 when CG reached its tolerance, else 1."""
    validate(res, degree, mesh, solution)
    if plot is not None and Path(plot).suffix.lower() != ".png":
        raise WarpsynthError(f"--plot {plot}: plots are written as PNG; use a .png file name")
    if emit_kernels is not None:
        from warpsynth.dataset.io import format_of

        format_of(emit_kernels)  # refuse an unknown extension before solving
    result = solve_poisson(res, degree, mesh, solution, tol=tol)
    summary = result.summary()
    if plot is not None:
        from warpsynth.fem.plots import plot_solution

        summary["plot"] = str(plot_solution(result, plot))
    if emit_kernels is not None:
        from warpsynth.fem.kernels import emit_fem_kernels

        summary["emitted_kernels"] = emit_fem_kernels(emit_kernels)
        summary["emit_path"] = str(emit_kernels)
    if json_out:
        print(json.dumps(summary))
    else:
        print(f"poisson: -Laplace u = f on [0,1]^2, u = {solution}, {mesh} res={res}, degree {degree}, float64, cpu")
        print(f"  dofs                 {result.n_dofs}")
        print(f"  L2 error             {result.l2_error:.6e}")
        print(f"  max nodal error      {result.max_nodal_error:.6e}")
        print(
            f"  CG (diag precond.)   {result.cg_iterations} iterations, |r| = {result.cg_residual:.3e} "
            f"<= {result.cg_atol:.3e} (tol {result.cg_tol:g} * |b|): {'converged' if result.converged else 'NOT converged'}"
        )
        print(f"  |b - A x| / |b|      {result.true_relative_residual:.3e}")
        print(f"  time                 {result.seconds:.2f} s")
        if plot is not None:
            print(f"  plot                 {summary['plot']}")
        if emit_kernels is not None:
            print(f"  warp.fem kernels     {summary['emitted_kernels']} rows -> {emit_kernels}")
    return 0 if result.converged else 1


def run_study(
    resolutions: Sequence[int],
    degrees: Sequence[int],
    mesh: str,
    solution: str,
    tol: float,
    plot: Optional[Path],
    json_out: bool,
) -> int:
    """Convergence study per degree; exit status 0 when every solve converged."""
    for degree in degrees:
        validate(1, degree, mesh, solution)
    if plot is not None and Path(plot).suffix.lower() != ".png":
        raise WarpsynthError(f"--plot {plot}: plots are written as PNG; use a .png file name")
    studies = [convergence_study(resolutions, d, mesh, solution, tol=tol) for d in degrees]
    if plot is not None:
        from warpsynth.fem.plots import plot_convergence

        plot_convergence(studies, plot)
    if json_out:
        print(json.dumps([{"degree": s.degree, "mesh": s.mesh, "solution": s.solution, "rows": s.table()} for s in studies]))
    else:
        print(f"poisson convergence: u = {solution}, {mesh} mesh, float64, CG tol {tol:g}")
        print("| degree | res | h | dofs | L2 error | L2 order | max nodal error | max order | CG it |")
        print("|---|---|---|---|---|---|---|---|---|")
        for s in studies:
            for row in s.table():
                print(
                    f"| {s.degree} | {row['res']} | {row['h']:.4g} | {row['dofs']} | {row['l2_error']:.3e} | "
                    f"{_fmt(row['l2_order'], '.3f')} | {row['max_nodal_error']:.3e} | {_fmt(row['max_order'], '.3f')} | "
                    f"{row['cg_iterations']} |"
                )
        if plot is not None:
            print(f"plot: {plot}")
    return 0 if all(r.converged for s in studies for r in s.results) else 1

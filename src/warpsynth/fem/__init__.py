"""Finite-element solvers on ``warp.fem``, verified against analytic solutions."""

from warpsynth.fem.poisson import (
    MESHES,
    SOLUTIONS,
    ConvergenceStudy,
    PoissonResult,
    convergence_study,
    observed_orders,
    solve_poisson,
)

__all__ = ["MESHES", "SOLUTIONS", "ConvergenceStudy", "PoissonResult", "convergence_study", "observed_orders", "solve_poisson"]

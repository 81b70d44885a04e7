"""Finite-element solvers on ``warp.fem``, verified against analytic solutions.

``poisson`` (the solver, manufactured solutions, convergence studies), ``kernels`` (dataset rows
for the kernels ``warp.fem`` generates), ``plots`` (PNG plots), ``cli_report`` (the console side
of ``warpsynth poisson`` / ``poisson-study``).
"""

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

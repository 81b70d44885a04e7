"""PNG plots for Poisson solves and convergence studies (matplotlib, no GUI backend)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.tri import Triangulation

from warpsynth.errors import WarpsynthError
from warpsynth.fem.poisson import ConvergenceStudy, PoissonResult


def _png_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise WarpsynthError(f"{path}: plots are written as PNG; use a .png file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _save(fig: Figure, path: Path, dpi: int) -> None:
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=dpi)


def plot_solution(result: PoissonResult, path: str | os.PathLike, dpi: int = 90) -> Path:
    """Two panels, interpolated between the FE nodes: u_h, and the nodal error u_h - u_exact."""
    path = _png_path(path)
    xy = result.node_positions
    tri = Triangulation(xy[:, 0], xy[:, 1])  # Delaunay of the nodes, for display only
    error = result.values - result.exact_values
    fig = Figure(figsize=(9.0, 3.9), layout="constrained")
    ax_u, ax_e = fig.subplots(1, 2)
    for ax, data, title, cmap in (
        (ax_u, result.values, "solution $u_h$", "viridis"),
        (ax_e, error, f"nodal error $u_h - u$ (max {result.max_nodal_error:.2e})", "RdBu_r"),
    ):
        if cmap == "RdBu_r":
            lim = float(np.max(np.abs(data))) or 1.0
            mappable = ax.tripcolor(tri, data, shading="gouraud", cmap=cmap, vmin=-lim, vmax=lim)
        else:
            mappable = ax.tripcolor(tri, data, shading="gouraud", cmap=cmap)
        fig.colorbar(mappable, ax=ax, shrink=0.9)
        ax.set_title(title, fontsize=10)
        ax.set_aspect("equal")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
    fig.suptitle(
        f"Poisson, {result.solution}, {result.mesh} res={result.res}, degree {result.degree}: "
        f"L2 error {result.l2_error:.3e}, CG {result.cg_iterations} it",
        fontsize=10,
    )
    _save(fig, path, dpi)
    return path


def plot_convergence(studies: Sequence[ConvergenceStudy], path: str | os.PathLike, dpi: int = 90) -> Path:
    """Log-log L2 error against h, one line per study, with h^(p+1) reference slopes."""
    if not studies:
        raise WarpsynthError("plot_convergence: no study to plot")
    path = _png_path(path)
    fig = Figure(figsize=(5.6, 4.4), layout="constrained")
    ax = fig.subplots()
    for study in studies:
        hs = np.array([r.h for r in study.results])
        errs = np.array([r.l2_error for r in study.results])
        (line,) = ax.loglog(hs, errs, "o-", label=f"{study.mesh}, degree {study.degree} (order {study.final_l2_order:.2f})")
        p = study.degree + 1
        # reference slope, drawn at half the measured error so it does not hide the data
        ref = 0.5 * errs[-1] * (hs / hs[-1]) ** p
        ax.loglog(hs, ref, ":", color=line.get_color(), alpha=0.8, label=f"slope {p} reference")
    ax.set_xlabel("h = 1 / res")
    ax.set_ylabel("L2 error")
    ax.set_title(f"-Laplace u = f, u = {studies[0].solution} (float64)", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, path, dpi)
    return path

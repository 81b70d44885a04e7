"""Dataset rows for the kernels ``warp.fem`` generates while solving.

``fem.integrate`` turns each integrand into a kernel in its own Warp module
(``<integrand module>.<integrand>_<hash>``), and warp.fem builds helper kernels
on the fly for the geometry/space at hand (modules ``warp._src.fem.*.dyn.*``:
node-index fills, linear/bilinear dispatch, node positions). Those are real,
heavily specialised FEM kernels, so they are extracted like any other kernel.
The fixed library kernels of ``warp.sparse`` / ``warp.optim`` are not included.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import warp as wp

from warpsynth import _warp
from warpsynth.dataset.io import format_of, write_rows
from warpsynth.dataset.schema import ORIGIN_FEM, TARGETS
from warpsynth.extract.row import row_from_ir
from warpsynth.extract import extract_module_kernels

ORIGIN = ORIGIN_FEM
_POISSON_MODULE = "warpsynth.fem.poisson"
_FEM_DYNAMIC_PREFIX = "warp._src.fem."  # a module *name* prefix: warp.fem's on-the-fly kernels


def is_integrand_module(name: str, integrand_module: str = _POISSON_MODULE) -> bool:
    return name.startswith(integrand_module + ".")


def is_fem_dynamic_module(name: str) -> bool:
    return name.startswith(_FEM_DYNAMIC_PREFIX) and ".dyn." in name


def fem_generated_modules(integrand_module: str = _POISSON_MODULE) -> list[Any]:
    """Warp modules that warp.fem generated in this process for ``integrand_module``'s integrands.

    In a fresh process that ran one solve these are exactly that solve's kernels;
    after several solves (other degrees/meshes) it is their union.
    """
    return [
        module
        for name, module in sorted(_warp.user_modules().items())
        if is_integrand_module(name, integrand_module) or is_fem_dynamic_module(name)
    ]


#: The folder holding the ``warpsynth`` package: the integrands' paths in code are written from it.
_WARPSYNTH_ROOT = Path(__file__).resolve().parent.parent.parent


def _site_relative(path: str | None) -> str | None:
    """``.../site-packages/warp/_src/fem/x.py`` -> ``warp/_src/fem/x.py`` (no machine paths in rows)."""
    if not path:
        return path
    parts = Path(path).parts
    for anchor in ("warp", "warpsynth"):
        if anchor in parts:
            i = len(parts) - 1 - parts[::-1].index(anchor)
            return "/".join(parts[i:])
    return Path(path).name


def fem_kernel_rows(
    targets: Sequence[str] = TARGETS,
    ptx_archs: Sequence[int] = (),
    integrand_module: str = _POISSON_MODULE,
) -> list[dict]:
    """One dataset row per warp.fem-generated kernel (see ``fem_generated_modules``).

    Code is extracted with each module's own ``enable_backward`` (warp.fem and
    the Poisson solve compile these with backward off), so rows hold what ran.
    For integrand kernels ``source`` is the file that defines the integrands
    (what a user writes); for warp.fem's own dynamic kernels it is the kernel's
    Python text (a template inside warp.fem, specialised by closure).
    """
    import importlib

    user_source_path = getattr(importlib.import_module(integrand_module), "__file__", None)
    user_source = Path(user_source_path).read_text(encoding="utf-8") if user_source_path else None
    rows: list[dict] = []
    for module in fem_generated_modules(integrand_module):
        backward = bool(wp.get_module_options(module).get("enable_backward", True))
        integrand = is_integrand_module(module.name, integrand_module)
        for ir in extract_module_kernels(module, targets, ptx_archs, backward):
            rows.append(
                row_from_ir(
                    ir,
                    source=user_source if integrand and user_source else ir.python_source,
                    origin=ORIGIN,
                    source_file=_site_relative(user_source_path if integrand else ir.source_file),
                    code_roots=[_WARPSYNTH_ROOT],
                    category="fem-integrand" if integrand else "fem-internal",
                )
            )
    return rows


def emit_fem_kernels(path: str | os.PathLike, targets: Sequence[str] = TARGETS, ptx_archs: Sequence[int] = ()) -> int:
    """Write the rows of ``fem_kernel_rows`` to ``path`` (.jsonl or .parquet); returns the row count."""
    format_of(path)  # refuse an unknown extension before extracting
    rows = fem_kernel_rows(targets, ptx_archs)
    write_rows(rows, path)
    return len(rows)

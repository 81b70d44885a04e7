"""Options and per-sample results of ``verify_samples`` (docs/verification.md, "API")."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field

from warpsynth import _warp
from warpsynth.verify import execute

#: PTX arch compiled when the run asked for CUDA code but no PTX archs.
DEFAULT_PTX_ARCH = 75

#: Warp 1.19 emits ``adj_a.shape = adj_N;`` in the adjoint of ``a.shape``: it zeroes the adjoint
#: array's shape (harmless in release, where adjoint writes use strides; gradients are right), after
#: which every debug-mode bounds check on ``adj_a`` fails. Such kernels launch their adjoint with
#: null adjoint arrays (``execute.PrimalGradTape``): Warp's accessors then use the primal's ``.grad``.
ADJOINT_SHAPE_RESET = re.compile(r"\badj_\w+\.shape = adj_\w+;")


@dataclass
class VerifyOptions:
    targets: tuple[str, ...] = ("cpu", "cuda")
    ptx_archs: tuple[int, ...] = ()
    backward: bool = True
    pch_dir: str | None = None
    work_dir: str | None = None  # scratch for batch sources/objects; a temp dir when None
    max_batch: int = 64
    cuda_check_arch: int = DEFAULT_PTX_ARCH  # used when targets has cuda but ptx_archs is empty
    atomic_rtol: float = 1e-5
    atomic_atol: float = 1e-6
    grad: execute.GradTolerances = field(default_factory=execute.GradTolerances)
    debug_timeout_s: float = 300.0
    input_seed_offset: int = 0
    cuda_device: str = "cuda:0"  # the cuda level's device ("cpu" in tests: CPU against CPU)


@dataclass
class VerifyResult:
    level_passed: str
    reject: tuple[str, str] | None
    timings_ms: dict[str, float]
    columns: dict

    @property
    def level(self) -> str:
        return self.level_passed


def default_pch_dir() -> str:
    return os.path.join(_warp.kernel_cache_dir(), "warpsynth_pch")


def row_options(row: dict) -> dict:
    """The row's ``options`` JSON (block_dim per target, mode, ...); {} when absent or invalid."""
    try:
        return json.loads(row.get("options") or "{}")
    except ValueError:
        return {}


def cpu_block_dim(row: dict) -> int:
    return int((row_options(row).get("block_dim") or {}).get("cpu", 1))


def cuda_block_dim(row: dict) -> int:
    return int((row_options(row).get("block_dim") or {}).get("cuda", 256))


def has_ptx(row: dict, arch: int) -> bool:
    return any(p.get("arch") == f"sm_{arch}" and p.get("text") for p in row.get("ptx") or [])


def cpu_body(row: dict, backward: bool = True) -> str:
    """The row's CPU module body (structs, helpers, kernels, entry points), as Warp concatenates it.

    ``backward=False``: without the adjoint kernel and its entry point (``forward_entry``).
    """
    if not backward:
        return "".join(row.get(k) or "" for k in ("structs", "cpu_helpers", "cpu_forward")) + forward_entry(row)
    return "".join(row.get(k) or "" for k in ("structs", "cpu_helpers", "cpu_forward", "cpu_backward", "cpu_entry"))


def cuda_body(row: dict, backward: bool = True) -> str:
    keys = ("structs", "cuda_helpers", "cuda_forward", "cuda_backward") if backward else ("structs", "cuda_helpers", "cuda_forward")
    return "".join(row.get(k) or "" for k in keys)


def forward_entry(row: dict) -> str:
    """``cpu_entry`` up to the adjoint's task template (Warp emits the forward entry points first)."""
    entry = row.get("cpu_entry") or ""
    marker = f"{row.get('mangled_name', '')}_cpu_backward_tasks"
    at = entry.find(marker)
    if at < 0:
        return entry
    cut = entry.rfind("template <", 0, at)
    return entry[: cut if cut >= 0 else at]

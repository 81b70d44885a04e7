"""Verification levels: codegen < compile < run < grad < cuda (docs/verification.md).

Every level starts with the static race check (``gpu_stages.RaceCheck``): a kernel whose
results could differ on a GPU is rejected at stage "race" whatever the level.

``verify_samples`` takes a chunk of generated samples (program + dataset row, in
one worker process), proves each to the requested level and returns, per
sample, the highest level passed, the reject (stage, one-line reason) if any,
timings per stage and the verification columns of its row. The stages of each
level are listed once, in ``warpsynth.verify.plan.STAGES``.
"""

from __future__ import annotations

import os
import tempfile

from warpsynth import _warp
from warpsynth.verify import compiler
from warpsynth.dataset.levels import LEVELS
from warpsynth.verify.options import ADJOINT_SHAPE_RESET, DEFAULT_PTX_ARCH, VerifyOptions, VerifyResult, default_pch_dir
from warpsynth.verify.plan import STAGES, plan, verify_samples

__all__ = ["ADJOINT_SHAPE_RESET", "DEFAULT_PTX_ARCH", "LEVELS", "STAGES", "VerifyOptions", "VerifyResult",
           "default_pch_dir", "plan", "verify_samples", "warm_pch"]


def warm_pch(pch_dir: str | None = None) -> str:
    """Build the CPU precompiled header once (before workers start); return its directory.

    Compiles an empty module with the preamble of each CPU build the levels use (release at
    Warp's default -O2 for ``compile``, debug for ``run`` and ``grad``), which makes clang write
    each PCH variant into ``pch_dir``.
    """
    _warp.init_quiet()
    pch_dir = pch_dir or default_pch_dir()
    os.makedirs(pch_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="warpsynth-pch-") as tmp:
        src = os.path.join(tmp, "warm.cpp")
        with open(src, "w") as f:
            f.write(_warp.module_preamble("cpu", 1, ""))
        for mode, opt in (("release", None), ("debug", None)):
            with compiler.captured_native_output():
                compiler.cpu_compile_fn(mode, pch_dir, 1, opt)(src, os.path.join(tmp, f"warm_{mode}_{opt}.o"))
    return pch_dir

"""Extraction: the exact code Warp generates for a kernel.

- ``kernel``: one kernel (or every overload of a generic one) -> ``ir.KernelIR``, Warp's code per
  target; ``source``: Python text -> live kernels (generated programs); ``row``: IR -> dataset row.
- ``runner``: many files -> rows, each file in a worker process (``worker``: one file's import and
  extraction; ``preload``: what the workers' fork server loads once; ``files``: finding and
  importing files under their real names; ``license``: the SPDX id of a file's project).
- ``cli_report``: the console side of ``warpsynth extract``.
"""

from warpsynth.extract.ir import KernelArg, KernelIR, TargetCode
from warpsynth.extract.kernel import (
    DEFAULT_CUDA_ARCH,
    compile_ptx,
    default_cuda_arch,
    extract,
    extract_module_kernels,
    extract_overloads,
    standalone_source,
)
from warpsynth.extract.runner import ExtractReport, extract_paths
from warpsynth.extract.source import LoadedSource, load_source

__all__ = [
    "DEFAULT_CUDA_ARCH",
    "KernelArg",
    "KernelIR",
    "TargetCode",
    "ExtractReport",
    "compile_ptx",
    "default_cuda_arch",
    "extract",
    "extract_module_kernels",
    "extract_overloads",
    "extract_paths",
    "load_source",
    "LoadedSource",
    "standalone_source",
]

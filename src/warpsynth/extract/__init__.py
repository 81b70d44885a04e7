"""Extraction: the exact code Warp generates for a kernel."""

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

"""Extraction: the exact code Warp generates for a kernel."""

from warpsynth.extract.ir import KernelArg, KernelIR, TargetCode
from warpsynth.extract.kernel import compile_ptx, extract, extract_module_kernels, standalone_source
from warpsynth.extract.source import LoadedSource, load_source

__all__ = [
    "KernelArg",
    "KernelIR",
    "TargetCode",
    "compile_ptx",
    "extract",
    "extract_module_kernels",
    "load_source",
    "LoadedSource",
    "standalone_source",
]

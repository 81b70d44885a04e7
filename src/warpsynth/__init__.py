"""warpsynth: verified Python -> C++/CUDA/PTX datasets from NVIDIA Warp kernels."""

from warpsynth._version import __version__
from warpsynth.extract import KernelIR, extract

__all__ = ["__version__", "extract", "KernelIR"]

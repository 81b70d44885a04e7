"""Kernel generator: typed, compositional, valid-by-construction Warp kernels.

``kernel(seed, config)`` returns a :class:`KernelProgram` (source, launch,
argument specs, features).  See ``docs/generator.md``.
"""

from warpsynth.generate.config import CATEGORIES, GeneratorConfig
from warpsynth.generate.kernel import kernel
from warpsynth.generate.program import ArgSpec, KernelProgram

__all__ = ["CATEGORIES", "GeneratorConfig", "kernel", "KernelProgram", "ArgSpec"]

"""Kernel generator: typed, compositional, valid-by-construction Warp kernels.

``kernel(seed, config)`` returns a :class:`KernelProgram` (source, launch,
argument specs, features).  See ``docs/generator.md``.
"""

from warpsynth.generate import catalog
from warpsynth.generate.config import GeneratorConfig
from warpsynth.generate.generator import kernel
from warpsynth.generate.program import ArgSpec, KernelProgram


def __getattr__(name: str):
    # ``CATEGORIES``: the registry's names, read when first asked for (the registry loads its
    # providers lazily, so importing this package does not import every motif)
    if name == "CATEGORIES":
        return catalog.names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CATEGORIES", "GeneratorConfig", "kernel", "KernelProgram", "ArgSpec"]

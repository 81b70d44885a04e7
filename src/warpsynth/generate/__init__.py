"""Kernel generator: typed, compositional, valid-by-construction Warp kernels.

``kernel(seed, config)`` returns a :class:`KernelProgram` (source, launch,
argument specs, features).  See ``docs/generator.md``.

- Entry and choices: ``generator`` (``kernel``), ``config`` (weights, knobs), ``policy`` (every
  probability), ``catalog`` (the one registry of categories and motifs; ``classic`` registers the
  classic categories, ``motifs`` the motif families), ``categories`` (the classic recipes).
- Building: ``thread_kernel`` and ``tile`` (classic kernels) over ``stmt``, ``expr``, ``guards``,
  ``scope``, ``value``, ``types`` and ``registry`` (Warp's builtin signatures); ``gpu_rules``
  (what keeps a kernel GPU-correct), ``mathdx_table`` (GEMMs MathDx builds), ``hosts`` (meshes,
  BVHs, grids, volumes for query kernels).
- After building: ``dataflow`` (dead-code removal) with ``copies`` (copy propagation),
  ``conditions`` (tests the enclosing tests decide) and ``liveness`` (flow-sensitive dead
  stores); ``tidy`` (signs as engineers write them), ``assemble`` (render and metadata),
  ``program`` (``KernelProgram``, ``ArgSpec``), ``launch`` (seeded inputs and launch).
- Measuring: ``quality`` (unused values, trivial expressions, guards), ``reference`` (builtin
  calls of real Warp code, JS divergence), ``diversity`` (the report), ``usage`` (builtins a
  source uses), ``canonical`` (structural form), ``sample`` (``warpsynth sample``/``diversity`` text).
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

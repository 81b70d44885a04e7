"""Registers the 20 classic categories in the generator's registry (``catalog``).

Each category is a ``Plan`` recipe (``categories.py``) built by
``kernel.ThreadKernelBuilder``, except ``tile`` (``tile.build_tile``).  Weights:
1 each, ``combined`` 2 (it mixes two or three others).
"""

from __future__ import annotations

from functools import partial

from warpsynth.generate.catalog import Built, Entry, Job, register
from warpsynth.generate.categories import plan
from warpsynth.generate.thread_kernel import ThreadKernelBuilder
from warpsynth.generate.tile import build_tile

#: the classic categories (the first ten are those earlier tools offer)
CLASSIC: tuple[str, ...] = (
    "arithmetic", "vector", "matrix", "control_flow", "math", "atomic", "nested_loop", "multi_conditional",
    "combined", "scalar_param", "quaternion", "spatial", "struct", "func_call", "random", "stencil",
    "reduction", "tile", "integer", "mixed_precision",
)


def build_thread(category: str, job: Job) -> Built:
    """Build a per-thread kernel of ``category``."""
    return ThreadKernelBuilder(job, plan(category, job.rng, job.policy)).build()


for _name in CLASSIC:
    register(Entry(_name, 2.0 if _name == "combined" else 1.0,
                   build_tile if _name == "tile" else partial(build_thread, _name), family="classic"))

"""Registers the 20 classic categories in the generator's registry (``catalog``).

Each category is a ``Plan`` recipe (``categories.py``) built by
``thread_kernel.ThreadKernelBuilder``, except ``tile`` (``tile.build_tile``).  Weights:
1 each, ``combined`` 2 (it mixes two or three others), ``tile`` 2 (``_WEIGHTS``).
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


#: entry weights other than 1: ``combined`` mixes two or three others; tile builtins are 175 of the 722
#: builtin calls in Warp's shipped examples (``reference.corpus_counts``; ``tile_load`` alone 54), so ``tile`` weighs 2
#: (3 gave 23-31 structural duplicates of it in 10,000 seeds, which with the tiled motifs' brought
#: uniqueness to 98.95%; 2.5 with the tiled family at 1.4: 99.00-99.27%; 2 with it at 1.2: 99.24%,
#: builtin-call JS divergence 0.242; 2.5 with it at 1.0: 99.33% but 0.246)
_WEIGHTS = {"combined": 2.0, "tile": 2.0}

for _name in CLASSIC:
    register(Entry(_name, _WEIGHTS.get(_name, 1.0),
                   build_tile if _name == "tile" else partial(build_thread, _name), family="classic"))

"""Computational motifs from real Warp code, one module per family.

``FAMILIES`` maps a family to its ``build(builder) -> KernelProgram``; ``build(seed, rng,
family, config_hash)`` makes one program. Each family is one entry ``motif_<family>`` of the
generator's registry (``catalog``), registered below; its probabilities are the
``motifs`` part of the generator's ``Policy``.
"""

from __future__ import annotations

import random
from typing import Callable

from warpsynth.generate.motifs import (kinematics, linalg, monte_carlo, neighbors, particles, queries, reduction, springs,
                                       stencil, tiled, volume)
from warpsynth.generate import catalog
from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.policy import DEFAULT_POLICY, MotifPolicy
from warpsynth.generate.program import KernelProgram

FAMILIES: dict[str, Callable[[MotifBuilder], KernelProgram]] = {
    "particles": particles.build,
    "springs": springs.build,
    "neighbors": neighbors.build,
    "geometry_queries": queries.build,
    "volume": volume.build,
    "stencil": stencil.build,
    "reduction": reduction.build,
    "kinematics": kinematics.build,
    "monte_carlo": monte_carlo.build,
    "linalg": linalg.build,
    "tiled": tiled.build,
}


def build(seed: int, rng: random.Random, family: str, config_hash: str, policy: MotifPolicy = DEFAULT_POLICY) -> KernelProgram:
    """One program of motif ``family`` drawn from ``rng``."""
    return FAMILIES[family](MotifBuilder(seed, rng, policy, family, config_hash))


#: the registry entries of the motif families (``motif_<family>``)
MOTIF_CATEGORIES: tuple[str, ...] = tuple(f"motif_{name}" for name in FAMILIES)
#: default weight of each motif family in ``GeneratorConfig.weights`` (the 20 classic categories weigh 21
#: together). 0.3 keeps structural uniqueness over 10,000 seeds >= 99% (99.19%; at 0.5: 98.65%, at 1.0:
#: 96.83%): the motif families have fewer distinct shapes than the classic generator (docs/generator.md).
MOTIF_WEIGHT = 0.3


def _entry_build(family: str) -> Callable[[catalog.Job], KernelProgram]:
    def build_entry(job: catalog.Job) -> KernelProgram:
        return build(job.seed, job.rng, family, job.config_hash, job.policy.motifs)

    return build_entry


for _family in FAMILIES:
    catalog.register(catalog.Entry(f"motif_{_family}", MOTIF_WEIGHT, _entry_build(_family), family="motif"))

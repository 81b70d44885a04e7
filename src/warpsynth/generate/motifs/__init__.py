"""Computational motifs from real Warp code, one module per family.

``FAMILIES`` maps a family to its ``build(builder) -> KernelProgram``; ``build(seed, rng,
family, config_hash)`` makes one program. Each family is one entry ``motif_<family>`` of the
generator's registry (``catalog``), registered below; its probabilities are the
``motifs`` part of the generator's ``Policy``.

Families: ``particles``, ``springs``, ``neighbors``, ``queries`` (mesh and BVH), ``volume``,
``stencil``, ``reduction``, ``kinematics``, ``monte_carlo``, ``linalg``, ``tiled``. Shared:
``builder`` (a motif's names, parameters, module-level definitions), ``kit`` (the typed-``ast``
vocabulary), ``common`` (particle state, thread ids, constants), ``audit`` (static audits used by
the tests and ``scripts/check_motifs.py``).
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
#: default weight of a motif family in ``GeneratorConfig.weights`` (the 20 classic categories weigh 22
#: together), and the families weighted apart from it. Set by measurement over 10,000 seeds
#: (docs/generator.md, "Results"): structural uniqueness must stay >= 99%, and duplicates come from
#: the families with the fewest distinct shapes, so the two with the most (particles, whose
#: post-steps are picked and ordered per program, and the tile kernels, which also bring the
#: tile builtins real code calls most) weigh more.
MOTIF_WEIGHT = 0.4
MOTIF_WEIGHTS: dict[str, float] = {"particles": 2.0, "tiled": 1.2}


def _entry_build(family: str) -> Callable[[catalog.Job], KernelProgram]:
    def build_entry(job: catalog.Job) -> KernelProgram:
        return build(job.seed, job.rng, family, job.config_hash, job.policy.motifs)

    return build_entry


for _family in FAMILIES:
    catalog.register(catalog.Entry(f"motif_{_family}", MOTIF_WEIGHTS.get(_family, MOTIF_WEIGHT), _entry_build(_family),
                                   family="motif"))

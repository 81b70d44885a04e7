"""Computational motifs from real Warp code, one module per family.

``FAMILIES`` maps a family (a generator category) to its ``build(builder) ->
KernelProgram``; ``build(seed, rng, family, config_hash)`` makes one program.
"""

from __future__ import annotations

import random
from typing import Callable

from warpsynth.generate.motifs import (kinematics, linalg, monte_carlo, neighbors, particles, queries, reduction, springs,
                                       stencil, volume)
from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.motifs.policy import DEFAULT_POLICY, MotifPolicy
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
}


def build(seed: int, rng: random.Random, family: str, config_hash: str, policy: MotifPolicy = DEFAULT_POLICY) -> KernelProgram:
    """One program of motif ``family`` drawn from ``rng``."""
    return FAMILIES[family](MotifBuilder(seed, rng, policy, family, config_hash))

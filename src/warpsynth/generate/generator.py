"""``kernel(seed, config)``: the generator's entry point.

Picks a registry entry (``catalog``) by the config's weights with a
``random.Random`` seeded from the seed and the config hash (string seeding is
SHA-512 based, so identical across processes), builds it, removes dead code
(``dataflow.prune``) and renders the program (``assemble.program``).  Dict and set
iteration never decides anything, so the same seed gives the same bytes.
"""

from __future__ import annotations

import random

from warpsynth.generate import catalog, dataflow
from warpsynth.generate.assemble import program
from warpsynth.generate.config import GeneratorConfig
from warpsynth.generate.program import KernelProgram


def kernel(seed: int, config: GeneratorConfig | None = None) -> KernelProgram:
    """Generate one kernel program; the same (seed, config) always gives the same bytes."""
    config = config or GeneratorConfig()
    chash = config.hash()
    rng = random.Random(f"warpsynth-generate:{int(seed)}:{chash}")
    names = [n for n in catalog.names() if float(config.weights.get(n, 0.0)) > 0]
    name = rng.choices(names, [float(config.weights[n]) for n in names])[0]
    job = catalog.Job(int(seed), rng, config, config.policy, chash, name)
    built = catalog.get(name).build(job)
    if built.prune:
        built = dataflow.prune(built)
    return program(built, job)

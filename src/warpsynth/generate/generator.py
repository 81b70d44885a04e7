"""``kernel(seed, config)``: the generator's entry point.

Picks a registry entry (``catalog``) by the config's weights with a
``random.Random`` seeded from the seed and the config hash (string seeding is
SHA-512 based, so identical across processes), builds it, removes dead code
(``dataflow.prune``; a kernel left with fewer than ``policy.min_kernel_statements``
statements, or with a trivial expression (``quality.has_trivial``), is built again, up to
``policy.build_retries`` builds, keeping the best), writes signs as engineers do
(``tidy``: ``x - -c`` is ``x + c``) and renders the
program (``assemble.program``).  Dict and set
iteration never decides anything, so the same seed gives the same bytes.
"""

from __future__ import annotations

import ast
import random
from dataclasses import replace

from warpsynth.generate import catalog, dataflow, quality
from warpsynth.generate.assemble import program
from warpsynth.generate.config import GeneratorConfig
from warpsynth.generate.program import KernelProgram
from warpsynth.generate.tidy import tidy_signs


def kernel(seed: int, config: GeneratorConfig | None = None) -> KernelProgram:
    """Generate one kernel program; the same (seed, config) always gives the same bytes."""
    config = config or GeneratorConfig()
    chash = config.hash()
    rng = random.Random(f"warpsynth-generate:{int(seed)}:{chash}")
    names = [n for n in catalog.names() if float(config.weights.get(n, 0.0)) > 0]
    name = rng.choices(names, [float(config.weights[n]) for n in names])[0]
    entry = catalog.get(name)
    best = None
    for _ in range(config.policy.build_retries):
        job = catalog.Job(int(seed), rng, config, config.policy, chash, name)
        built = entry.build(job)
        if isinstance(built, KernelProgram):  # a motif family renders its own program (motifs.builder)
            return built
        if built.prune:
            built = dataflow.prune(built)
        built = replace(built, defs=tidy_signs(built.defs))
        # A trivial expression can still appear from composition (a sunk local, a symmetrised matrix,
        # a pruned branch) after the expression builder's own check: such a build is not taken.
        clean = not quality.has_trivial(built.defs)
        size = _statements(built)
        if best is None or (clean, size) > best[0]:
            best = ((clean, size), built, job)
        if clean and size >= config.policy.min_kernel_statements:
            break  # else build again (the rng has moved on, so this is deterministic too)
    return program(best[1], best[2])


def _statements(built: catalog.Built) -> int:
    """Statements in the kernel function (nested ones included)."""
    fn = next(d for d in built.defs if isinstance(d, ast.FunctionDef) and d.name == built.kernel_name)
    return sum(isinstance(n, ast.stmt) for n in ast.walk(fn)) - 1

"""Text for ``warpsynth sample`` and ``warpsynth diversity`` (the CLI only parses options)."""

from __future__ import annotations

import json

from warpsynth.errors import WarpsynthError
from warpsynth.generate import catalog
from warpsynth.generate.config import GeneratorConfig
from warpsynth.generate.generator import kernel


def config_for(category: str | None) -> GeneratorConfig:
    if category is None:
        return GeneratorConfig()
    if category not in catalog.names():
        raise WarpsynthError(f"--category: unknown category {category!r}: choose from {', '.join(catalog.names())}")
    return GeneratorConfig.only(category)


def _check_seed(option: str, seed: int) -> None:
    if seed < 0:
        raise WarpsynthError(f"{option}: must be >= 0 (a generate run's sample i has seed SEED*2**32+i), got {seed}")


def sample_text(seed: int, category: str | None = None, meta: bool = False) -> str:
    """The program for ``seed`` (optionally only ``category``), with its metadata as comments if ``meta``.

    Raises WarpsynthError for a negative seed (generate's samples have seeds >= 0) or an unknown category.
    """
    _check_seed("--seed", seed)
    prog = kernel(seed, config_for(category))
    if not meta:
        return prog.source
    head = {
        "seed": prog.seed, "kernel": prog.kernel_name, "category": prog.category, "features": list(prog.features),
        "builtins": list(prog.builtins), "differentiable": prog.differentiable, "config_hash": prog.config_hash,
    }
    lines = [f"# {k}: {json.dumps(v)}" for k, v in head.items()]
    lines.append(f"# launch: {prog.launch_json()}")
    return "\n".join(lines) + "\n" + prog.source


def diversity_text(n: int, category: str | None = None, start: int = 0, as_json: bool = False,
                   reference: str | None = None) -> str:
    from warpsynth.generate.diversity import format_report, report

    if n < 1:
        raise WarpsynthError(f"-n: must be at least 1, got {n}")
    _check_seed("--start", start)
    r = report(n, config_for(category), start=start, reference_dir=reference)
    return json.dumps(r, indent=1, sort_keys=True) if as_json else format_report(r)

"""Program sources: where a run's kernel programs come from.

A run names its source as ``"module:factory"`` (part of the run config, so of
its hash). ``factory(category_weights)`` returns a :class:`ProgramSource`; the
default wraps the real generator (``warpsynth.generate``). Tests name a small
hand-written source instead, so the engine is tested independently of the generator.
"""

from __future__ import annotations

import importlib
import json
from typing import Callable, Protocol

from warpsynth.errors import WarpsynthError
from warpsynth.generate.program import KernelProgram


class ProgramSource(Protocol):
    """Makes the kernel program for a seed; deterministic in (seed, config)."""

    def __call__(self, seed: int) -> KernelProgram: ...

    def config_dict(self) -> dict:
        """The generator config (JSON-able), recorded in the card and run config."""
        ...


class GeneratorSource:
    """The real generator: ``warpsynth.generate.kernel(seed, config)``."""

    def __init__(self, category_weights: dict[str, float]):
        from warpsynth import generate

        self._kernel: Callable = generate.kernel
        if category_weights:
            unknown = sorted(set(category_weights) - set(generate.CATEGORIES))
            if unknown:
                raise WarpsynthError(
                    f"--category-weights: unknown category {unknown[0]!r} (known: {', '.join(generate.CATEGORIES)})"
                )
            try:
                self.config = generate.GeneratorConfig(weights={k: float(v) for k, v in category_weights.items()})
            except ValueError as exc:
                raise WarpsynthError(f"--category-weights: {exc}") from None
        else:
            self.config = generate.GeneratorConfig()

    def __call__(self, seed: int) -> KernelProgram:
        return self._kernel(seed, self.config)

    def config_dict(self) -> dict:
        return json.loads(self.config.to_json())


def warp_generator(category_weights: dict[str, float]) -> ProgramSource:
    return GeneratorSource(category_weights)


def load_program_source(spec: str, category_weights: dict[str, float]) -> ProgramSource:
    """Resolve ``"module:factory"`` and build the source."""
    module_name, sep, attr = spec.partition(":")
    if not sep:
        raise WarpsynthError(f"program source {spec!r} is not 'module:factory'")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise WarpsynthError(f"program source {spec!r} cannot be loaded ({exc})") from None
    return factory(dict(category_weights))

"""The one registry of what the generator builds: categories and motifs.

Every kind of kernel the generator can produce is an :class:`Entry`: a name, a
default weight (relative probability in ``GeneratorConfig.weights``), a family
(for reports) and a build function.  ``kernel(seed, config)``
(``warpsynth.generate.generator``) picks an entry by weight with the program's
``random.Random`` and calls ``entry.build(job)``; the build returns a
:class:`Built` (the module's definitions as a Python syntax tree plus the launch
spec), and the generator prunes dead code, renders and fills in the metadata.

Adding a kind touches one file: a module that calls :func:`register` at import.
Providers are found by :func:`entries`: ``warpsynth.generate.classic`` (the 20
original categories) and every submodule of the package
``warpsynth.generate.motifs`` if it exists (imported in sorted name order; a
module there registers its motifs at import).  Entries are listed sorted by
name, so the registry's order never depends on import order.

Build contract (checked by the generator and the tests):

* ``build(job)`` returns a :class:`Built` (pruned and rendered by the generator) or, for the
  motif families that render themselves (``motifs.builder.MotifBuilder.finish``), a finished
  ``KernelProgram``;
* ``build(job)`` draws every random choice from ``job.rng`` (a ``random.Random``),
  reads its probabilities from ``job.policy`` and is deterministic in ``job``;
* ``Built.defs`` are the module statements after ``import warp as wp``:
  ``@wp.struct`` classes, ``@wp.func`` helpers, module constants and the
  ``@wp.kernel`` named ``Built.kernel_name``; ``Built.args`` lists the kernel's
  parameters in order (``ArgSpec``: how to make valid inputs);
* the kernel must be valid on the inputs ``ArgSpec`` describes: indices in
  bounds, no NaN/Inf, bounded loops.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from warpsynth.generate.policy import Policy
from warpsynth.generate.program import ArgSpec

if TYPE_CHECKING:  # pragma: no cover
    from warpsynth.generate.config import GeneratorConfig

#: modules that register entries at import (motif modules are found under ``_MOTIF_PACKAGE``)
_PROVIDERS = ("warpsynth.generate.classic",)
_MOTIF_PACKAGE = "warpsynth.generate.motifs"


@dataclass
class Job:
    """What a build function gets: the seed, the program's rng, the config and the policy.

    ``names`` hands out fresh identifiers (``fresh("pos")`` -> ``pos``, ``pos1``...);
    ``features`` collects feature tags for the row's metadata.
    """

    seed: int
    rng: random.Random
    config: "GeneratorConfig"
    policy: Policy
    config_hash: str
    category: str
    features: set[str] = field(default_factory=set)
    counter: dict[str, int] = field(default_factory=dict)

    def fresh(self, stem: str) -> str:
        n = self.counter.get(stem, 0)
        self.counter[stem] = n + 1
        return stem if n == 0 else f"{stem}{n}"

    def feature(self, name: str) -> None:
        self.features.add(name)


@dataclass
class Built:
    """A build's result: module definitions (syntax tree) and the launch spec.

    ``launch_dim``: the ``dim`` of ``wp.launch`` (or the tile grid with ``tiled``).
    ``differentiable=False`` marks a kernel whose gradient check makes no sense
    (the generator also infers this from the builtins used and ``features``).
    ``prune=False`` opts out of the dead-code pass (``warpsynth.generate.dataflow``).
    """

    defs: list[ast.stmt]
    kernel_name: str
    args: tuple[ArgSpec, ...]
    launch_dim: tuple[int, ...]
    features: set[str] = field(default_factory=set)
    tiled: bool = False
    block_dim: int | None = None
    differentiable: bool = True
    prune: bool = True


@dataclass(frozen=True)
class Entry:
    """One kind of kernel: ``build(job) -> Built``; ``weight`` is its default relative probability."""

    name: str
    weight: float
    build: Callable[[Job], "Built | KernelProgram"]
    family: str = "classic"
    description: str = ""


_REGISTRY: dict[str, Entry] = {}
_LOADED = False


def register(entry: Entry) -> Entry:
    """Add ``entry`` (called by provider modules at import); a name may be registered once."""
    old = _REGISTRY.get(entry.name)
    if old is not None and old.build is not entry.build:
        raise ValueError(f"generator entry {entry.name!r} is registered twice")
    if not entry.weight >= 0:
        raise ValueError(f"generator entry {entry.name!r}: weight must be >= 0, got {entry.weight}")
    _REGISTRY[entry.name] = entry
    return entry


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    for mod in _PROVIDERS:
        importlib.import_module(mod)
    try:
        pkg = importlib.import_module(_MOTIF_PACKAGE)
    except ModuleNotFoundError as exc:
        if exc.name != _MOTIF_PACKAGE:
            raise
        return
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{_MOTIF_PACKAGE}.{info.name}")


def entries() -> tuple[Entry, ...]:
    """Every registered entry, sorted by name."""
    _load()
    return tuple(_REGISTRY[k] for k in sorted(_REGISTRY))


def names() -> tuple[str, ...]:
    """Names of every registered entry, sorted."""
    return tuple(e.name for e in entries())


def get(name: str) -> Entry:
    """The entry called ``name``; ``KeyError`` if there is none."""
    _load()
    return _REGISTRY[name]


def default_weights() -> dict[str, float]:
    """``{name: weight}`` of every entry (the default ``GeneratorConfig.weights``)."""
    return {e.name: float(e.weight) for e in entries()}

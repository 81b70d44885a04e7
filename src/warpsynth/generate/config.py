"""Generator configuration: category weights and size knobs, hashable and serialisable."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields

from warpsynth.generate.motifs import FAMILIES

#: the categories of the random expression/statement generator (the first ten are those earlier tools offer)
RANDOM_CATEGORIES: tuple[str, ...] = (
    "arithmetic", "vector", "matrix", "control_flow", "math", "atomic", "nested_loop", "multi_conditional",
    "combined", "scalar_param", "quaternion", "spatial", "struct", "func_call", "random", "stencil",
    "reduction", "tile", "integer", "mixed_precision",
)
#: motif families (``generate/motifs``, one registry entry each); opt-in: weight 0 unless given
MOTIF_CATEGORIES: tuple[str, ...] = tuple(f"motif_{name}" for name in FAMILIES)
#: every category the generator offers
CATEGORIES: tuple[str, ...] = RANDOM_CATEGORIES + MOTIF_CATEGORIES


def _default_weights() -> dict[str, float]:
    w = {c: 1.0 for c in RANDOM_CATEGORIES}
    w["combined"] = 2.0
    return w


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate.

    ``weights``: relative probability of each primary category (missing = 0).
    ``min_statements``/``max_statements``: statement budget of the kernel body
    (control-flow bodies count against it); the budget is drawn from a skewed
    distribution so most kernels are short and a few are long.
    ``max_expr_depth``: deepest expression tree.  ``max_helpers``: most
    ``@wp.func`` helpers per kernel.
    """

    weights: dict = field(default_factory=_default_weights)
    min_statements: int = 1
    max_statements: int = 40
    max_expr_depth: int = 3
    max_helpers: int = 3

    def __post_init__(self):
        unknown = sorted(set(self.weights) - set(CATEGORIES))
        if unknown:
            raise ValueError(f"unknown categories {unknown}; choose from {CATEGORIES}")
        if not any(float(v) > 0 for v in self.weights.values()):
            raise ValueError("at least one category needs a positive weight")
        if not 1 <= self.min_statements <= self.max_statements:
            raise ValueError("need 1 <= min_statements <= max_statements")
        if self.max_expr_depth < 1 or self.max_helpers < 0:
            raise ValueError("max_expr_depth must be >= 1 and max_helpers >= 0")

    def to_json(self) -> str:
        d = {f.name: getattr(self, f.name) for f in fields(self)}  # asdict's deep copy cost ~0.1 ms/program
        d["weights"] = {k: float(v) for k, v in sorted(self.weights.items())}
        return json.dumps(d, sort_keys=True, separators=(",", ":"))

    def hash(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    @classmethod
    def motifs(cls, **kw) -> "GeneratorConfig":
        """A config that generates every motif family with equal weight (and nothing else)."""
        return cls(weights={c: 1.0 for c in MOTIF_CATEGORIES}, **kw)

    @classmethod
    def only(cls, category: str, **kw) -> "GeneratorConfig":
        """A config that generates only ``category``."""
        if category not in CATEGORIES:
            raise ValueError(f"unknown category {category!r}; choose from {', '.join(CATEGORIES)}")
        return cls(weights={category: 1.0}, **kw)

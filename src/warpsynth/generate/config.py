"""Generator configuration: entry weights, size knobs and the policy; hashable and serialisable.

The entries (categories and motifs) are those of the registry ``catalog``; their
names are validated against it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields

from warpsynth.generate import catalog
from warpsynth.generate.policy import Policy


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate.

    ``weights``: relative probability of each registry entry (category or motif; missing = 0;
    default: each entry's own weight).
    ``min_statements``/``max_statements``: statement budget of the kernel body
    (control-flow bodies count against it); the budget is drawn from a skewed
    distribution so most kernels are short and a few are long.
    ``max_expr_depth``: deepest expression tree.  ``max_helpers``: most
    ``@wp.func`` helpers per kernel.
    """

    weights: dict = field(default_factory=catalog.default_weights)
    min_statements: int = 1
    max_statements: int = 40
    max_expr_depth: int = 3
    max_helpers: int = 3
    policy: Policy = field(default_factory=Policy)

    def __post_init__(self):
        known = catalog.names()
        unknown = sorted(set(self.weights) - set(known))
        if unknown:
            raise ValueError(f"unknown category {unknown[0]!r}; choose from {', '.join(known)}")
        if not any(float(v) > 0 for v in self.weights.values()):
            raise ValueError("at least one category needs a positive weight")
        if not 1 <= self.min_statements <= self.max_statements:
            raise ValueError("need 1 <= min_statements <= max_statements")
        if self.max_expr_depth < 1 or self.max_helpers < 0:
            raise ValueError("max_expr_depth must be >= 1 and max_helpers >= 0")

    def to_json(self) -> str:
        d = {f.name: getattr(self, f.name) for f in fields(self)}  # asdict's deep copy cost ~0.1 ms/program
        d["weights"] = {k: float(v) for k, v in sorted(self.weights.items())}
        d["policy"] = self.policy.to_dict()
        return json.dumps(d, sort_keys=True, separators=(",", ":"))

    def hash(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    @classmethod
    def motifs(cls, **kw) -> "GeneratorConfig":
        """A config that generates every motif family with equal weight (and nothing else)."""
        return cls(weights={e.name: 1.0 for e in catalog.entries() if e.family == "motif"}, **kw)

    @classmethod
    def only(cls, category: str, **kw) -> "GeneratorConfig":
        """A config that generates only ``category`` (a registry entry name)."""
        if category not in catalog.names():
            raise ValueError(f"unknown category {category!r}; choose from {', '.join(catalog.names())}")
        return cls(weights={category: 1.0}, **kw)

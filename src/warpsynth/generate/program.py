"""The generator's output: one kernel program plus everything needed to launch it.

This is the contract between the generator and its consumers (the pipeline,
verification, curation); keep it small and serialisable.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class ArgSpec:
    """One kernel argument and how to make a valid input for it.

    ``kind`` is "array", "scalar" or "struct". Arrays have a ``shape``; inputs are
    drawn uniformly from [low, high] (integers inclusive), which the generator
    chooses so that every index, divisor and math-domain in the kernel is valid.
    Scalars are passed as ``value``. Structs list their ``fields``.
    Kind "value" is a vector/matrix parameter or struct field (``dtype`` e.g. "vec3"),
    drawn per component from [low, high] like array elements.
    ``pairs``: an integer array of index pairs (rows of an ``(m, 2)`` array, or elements
    ``2k, 2k + 1`` of a flat one) whose two ends always differ, as spring and edge lists do.
    """

    name: str
    kind: str
    dtype: str
    shape: tuple[int, ...] = ()
    low: float = -1.0
    high: float = 1.0
    value: float | int | None = None
    role: str = "in"
    fields: tuple["ArgSpec", ...] = ()
    pairs: bool = False


@dataclass(frozen=True)
class KernelProgram:
    """A generated Warp kernel: its source, how to launch it, and what it exercises."""

    seed: int
    source: str
    kernel_name: str
    category: str
    features: tuple[str, ...]
    args: tuple[ArgSpec, ...]
    launch_dim: tuple[int, ...]
    config_hash: str
    builtins: tuple[str, ...] = ()
    tiled: bool = False
    block_dim: int | None = None
    differentiable: bool = True
    extra: dict = field(default_factory=dict)

    def launch_json(self) -> str:
        """Launch description as canonical JSON (stored in dataset rows)."""
        return json.dumps(
            {
                "dim": list(self.launch_dim),
                "tiled": self.tiled,
                "block_dim": self.block_dim,
                "args": [asdict(a) for a in self.args],
            },
            sort_keys=True,
            separators=(",", ":"),
        )

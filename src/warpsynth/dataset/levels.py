"""The verification levels, in order: the one list every other module reads (the vocabulary of
the rows' ``verify_level`` column, so it lives with the row schema).

Kept free of heavy imports (no Warp) so the CLI and the pipeline's config can
validate ``--verify`` without loading the verifier. Which stages make up each
level is declared by the stages themselves (``warpsynth.verify.plan.STAGES``).
"""

from __future__ import annotations

#: codegen < compile < run < grad < cuda; a sample's ``verify_level`` is the highest it passed.
LEVELS: tuple[str, ...] = ("codegen", "compile", "run", "grad", "cuda")


def level_index(level: str) -> int:
    """Position of ``level`` in ``LEVELS``; ValueError naming the choices for an unknown one."""
    if level not in LEVELS:
        raise ValueError(f"unknown verify level {level!r}; choose from {LEVELS}")
    return LEVELS.index(level)

"""The state one chunk of samples carries through the verification stages.

Each sample has its level passed so far, its reject, its timings, the row
columns verification adds, and named artifacts: what one stage provides and a
later stage needs (``Stage.needs`` / ``Stage.provides``), e.g. ``"cpu_debug_object"``.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass, field
from typing import Any

from warpsynth.dataset.levels import LEVELS, level_index
from warpsynth.verify.options import VerifyOptions


@dataclass
class SampleState:
    program: Any  # warpsynth.generate.KernelProgram
    row: dict
    level: str = "codegen"
    reject: tuple[str, str] | None = None
    ms: dict[str, float] = field(default_factory=dict)
    columns: dict = field(default_factory=dict)
    artifacts: dict[str, Any] = field(default_factory=dict)


@dataclass
class Chunk:
    """Samples verified together (one batch compile per build), towards ``target`` level."""

    samples: list[SampleState]
    target: str
    opts: VerifyOptions
    work_dir: str
    pch_dir: str

    def alive(self) -> list[int]:
        return [i for i, s in enumerate(self.samples) if s.reject is None]

    def fail(self, i: int, stage: str, reason: str) -> None:
        """Reject sample ``i`` at ``stage`` (a level name or "codegen"/"compile"...); first reject wins."""
        s = self.samples[i]
        if s.reject is None:
            s.reject = (stage, " ".join(str(reason).split())[:300])

    def passed(self, i: int, level: str) -> None:
        """Sample ``i`` (still alive) proved ``level``; levels only go up."""
        s = self.samples[i]
        if s.reject is None and level_index(level) > level_index(s.level):
            s.level = level

    def add_ms(self, i: int, key: str, seconds: float) -> None:
        ms = self.samples[i].ms
        ms[key] = round(ms.get(key, 0.0) + seconds * 1000.0, 3)

    def checks_gradient(self, i: int) -> bool:
        """Whether the gradient of sample ``i`` is checked: target grad (or later), backward code, differentiable."""
        return self.reaches("grad") and self.opts.backward and bool(self.samples[i].program.differentiable)

    def reaches(self, level: str) -> bool:
        """Whether this chunk's target level is ``level`` or a later one."""
        return level_index(self.target) >= level_index(level)


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process, its exited children and its live debug child."""
    from warpsynth.verify.debug import live_child_cpu_seconds

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime + live_child_cpu_seconds()


__all__ = ["LEVELS", "Chunk", "SampleState", "cpu_seconds"]

"""The per-sample stages of a task: generate, race check, load + extract, row; then verify.

A sample that fails a stage becomes a reject (``Tally.reject``: index, seed, stage, one-line
reason, category), never an exception, and the task goes on. An *item* is
``(index, program, row)``: a sample that passed every stage so far.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from warpsynth.dataset.folder import GENERATED_LICENSE
from warpsynth.dataset.schema import ORIGIN_GENERATED
from warpsynth.errors import reject_reason
from warpsynth.extract import extract_overloads as _extract_overloads
from warpsynth.extract import load_source as _load_source
from warpsynth.extract.row import row_from_ir
from warpsynth.pipeline.config import RunConfig, sample_seed
from warpsynth.pipeline.journal import Crashes, Inflight
from warpsynth.pipeline.verifying import race_reject, verify_chunk

#: Module tag for generated sources: constant, so equal sources give equal code (and ids).
SOURCE_TAG = "gen"

Item = tuple  # (index, program, row)


@dataclass
class Tally:
    """What one task attempt has counted: its rejects (dicts, as in ``rejects.jsonl``), the
    seconds spent per stage, the verify stages' milliseconds, and the rows per category."""

    run_seed: int
    rejects: list[dict] = field(default_factory=list)
    seconds: Counter = field(default_factory=Counter)
    verify_ms: Counter = field(default_factory=Counter)
    categories: Counter = field(default_factory=Counter)

    def reject(self, index: int, stage: str, reason: str, category: str | None) -> None:
        """Record sample ``index``'s reject with its generator category (None: generation failed)."""
        self.rejects.append({"index": index, "seed": sample_seed(self.run_seed, index), "stage": stage,
                             "reason": reason, "category": category})


class SampleStages:
    """The stages of one task attempt, counting into ``tally``.

    ``load_source``/``extract_overloads`` default to ``warpsynth.extract``'s; tests pass
    instrumented ones.
    """

    def __init__(self, config: RunConfig, tally: Tally, load_source: Callable = _load_source,
                 extract_overloads: Callable = _extract_overloads):
        self.config = config
        self.tally = tally
        self.load_source = load_source
        self.extract_overloads = extract_overloads

    def build(self, index: int, source: Callable[[int], Any]) -> Item | None:
        """Generate, race-check, load, extract and make the row of sample ``index``; None if rejected."""
        program = self._generate(index, source)
        if program is None:
            return None
        ir = self._extract(index, program)
        if ir is None:
            return None
        t0 = time.perf_counter()
        try:
            row = row_from_ir(
                ir, source=program.source, origin=ORIGIN_GENERATED, source_file=None, license=GENERATED_LICENSE,
                category=program.category, features=list(program.features), builtins=list(program.builtins),
                launch=program.launch_json(), seed=sample_seed(self.config.seed, index),
                config_hash=program.config_hash, differentiable=program.differentiable,
            )
        except Exception as exc:
            self.tally.reject(index, "row", reject_reason(exc), program.category)
            return None
        self.tally.seconds["row"] += time.perf_counter() - t0
        return index, program, row

    def _generate(self, index: int, source: Callable[[int], Any]):
        """The program of sample ``index``, proven race-free (GPU correctness, at every level)."""
        t0 = time.perf_counter()
        try:
            program = source(sample_seed(self.config.seed, index))
        except Exception as exc:
            self.tally.reject(index, "generate", reject_reason(exc), None)
            return None
        t1 = time.perf_counter()
        self.tally.seconds["generate"] += t1 - t0
        race = race_reject(program)
        self.tally.seconds["race"] += time.perf_counter() - t1
        if race is not None:
            self.tally.reject(index, "race", race, program.category)
            return None
        return program

    def _extract(self, index: int, program):
        """Exec the program's source and extract its kernel's code (KernelIR); None if rejected."""
        t1 = time.perf_counter()
        stage = "load"
        try:
            with self.load_source(program.source, SOURCE_TAG) as loaded:
                kernel = loaded.kernels().get(program.kernel_name)
                if kernel is None:
                    raise LookupError(f"source defines no kernel named {program.kernel_name!r}")
                t2 = time.perf_counter()
                self.tally.seconds["load"] += t2 - t1
                stage = "extract"
                # a generated generic kernel (typing.Any) carries one wp.overload: its code
                config = self.config
                [ir] = self.extract_overloads(kernel, config.targets, config.ptx_archs, config.backward)
                self.tally.seconds["extract"] += time.perf_counter() - t2
        except Exception as exc:
            self.tally.reject(index, stage, reject_reason(exc), program.category)
            return None
        return ir

    def verify(self, items: list[Item], crashes: Crashes, inflight: Inflight) -> list[Item]:
        """Verify a chunk's items as one batch; a batch that crashed a worker before is bisected,
        down to the sample, which is rejected after ``CRASH_LIMIT`` crashes. Returns the passing
        items, sorted by index, with their verification columns filled."""
        t0 = time.perf_counter()
        kept = []
        for group in crashes.split(items):
            crashed = crashes.rejected(group[0][0]) if len(group) == 1 else None
            if crashed is not None:
                self.tally.reject(group[0][0], "crash", crashed, group[0][1].category)
                continue
            inflight.set("verify", group[0][0], group[-1][0] + 1, [index for index, _, _ in group])
            for index, program, row, reject, ms in verify_chunk(group, self.config):
                self.tally.verify_ms.update(ms)
                if reject is not None:
                    self.tally.reject(index, *reject, program.category)
                else:
                    kept.append((index, program, row))
        self.tally.seconds["verify"] += time.perf_counter() - t0
        kept.sort(key=lambda it: it[0])
        return kept

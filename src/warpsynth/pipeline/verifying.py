"""The integration point with ``warpsynth.verify`` (levels beyond codegen).

The pipeline owns this adapter; ``warpsynth.verify`` owns verification itself.
Imported lazily: a codegen-only run never loads it.

Rows must be byte-identical across runs, so the per-sample verification timings
(``verify_ms``) are stored in rows only when the run asks for them
(``row_timings``); they are always summed into the task's stats in ``_run/``,
like every other timing.
"""

from __future__ import annotations

from typing import Iterator

from warpsynth.errors import WarpsynthError, reject_reason
from warpsynth.pipeline.config import RunConfig

#: Row columns the pipeline keeps out of data files (non-deterministic timings).
TIMING_COLUMNS = ("verify_ms",)


def require_verify(level: str) -> None:
    """Fail fast (before any task runs) when a verify level is asked for but unavailable."""
    if level == "codegen":
        return
    try:
        from warpsynth.verify import verify_samples  # noqa: F401
    except ImportError as exc:
        raise WarpsynthError(f"--verify {level}: warpsynth.verify is not available ({exc})") from None
    if level == "cuda":
        import warp as wp

        from warpsynth import _warp

        _warp.init_quiet()
        if not wp.is_cuda_available():
            raise WarpsynthError("--verify cuda: no CUDA device is available on this machine (this level runs every sample on a GPU)")


def race_reject(program) -> str | None:
    """The static race check of a generated program (every level, codegen too): its first problem, or None."""
    from warpsynth.verify.races import check_races

    problems = check_races(program.source, program.kernel_name, program.launch_json())
    return problems[0] if problems else None


def prepare(config: RunConfig) -> None:
    """Once per run, before workers start: build the CPU precompiled header compiles reuse."""
    if config.verify != "codegen" and "cpu" in config.targets:
        from warpsynth.verify import warm_pch

        warm_pch()


def verify_chunk(items: list, config: RunConfig) -> Iterator[tuple]:
    """Verify ``[(index, program, row)]`` as one batch; yield ``(index, program, row, reject, ms)``.

    ``reject`` is ``(stage, reason)`` or None; ``ms`` the per-stage timings. A
    passing row gets the verification columns (its id does not change: ids hash
    content, not verification).
    """
    from warpsynth.verify import VerifyOptions, verify_samples
    from warpsynth.verify.plan import STAGES

    options = VerifyOptions(targets=config.targets, ptx_archs=config.ptx_archs, backward=config.backward)
    stages = tuple(s for s in STAGES if s.name != "race")  # the task ran the race check before extraction
    try:
        results = verify_samples([(program, row) for _, program, row in items], config.verify, options, stages=stages)
    except Exception as exc:  # an unexpected failure of the whole batch: reject each sample, go on
        for index, program, row in items:
            yield index, program, row, ("verify", reject_reason(exc)), {}
        return
    for (index, program, row), result in zip(items, results, strict=True):
        timings = dict(result.timings_ms or {})
        if result.reject is not None:
            stage, reason = result.reject
            yield index, program, row, (str(stage), " ".join(str(reason).split())[:300]), timings
            continue
        columns = {k: v for k, v in (result.columns or {}).items() if config.row_timings or k not in TIMING_COLUMNS}
        unknown = set(columns) - set(row)
        if unknown:
            raise KeyError(f"verify returned unknown row columns {sorted(unknown)}")
        row.update(columns)
        row["verify_level"] = result.level_passed
        yield index, program, row, None, timings

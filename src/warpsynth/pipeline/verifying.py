"""The integration point with ``warpsynth.verify`` (levels beyond codegen).

The pipeline owns this adapter; ``warpsynth.verify`` owns verification itself.
Imported lazily: a codegen-only run never loads it.
"""

from __future__ import annotations

from typing import Iterator

from warpsynth.errors import WarpsynthError
from warpsynth.pipeline.config import RunConfig
from warpsynth.pipeline.task import one_line


def require_verify(level: str) -> None:
    """Fail fast (before any task runs) when a verify level is asked for but unavailable."""
    if level == "codegen":
        return
    try:
        from warpsynth.verify import verify_samples  # noqa: F401
    except ImportError as exc:
        raise WarpsynthError(f"--verify {level}: warpsynth.verify is not available ({exc})") from None


def verify_chunk(items: list, config: RunConfig) -> Iterator[tuple]:
    """Verify ``[(index, program, row)]`` as one batch; yield ``(index, program, row, reject)``.

    ``reject`` is ``(stage, reason)`` or None; a passing row gets the verify
    columns filled in (its id does not change: ids hash content, not verification).
    """
    from warpsynth.verify import verify_samples

    try:
        results = verify_samples([(program, row) for _, program, row in items], config.verify, None)
    except Exception as exc:  # a bug or an unexpected failure of the whole batch: reject each sample
        for index, program, row in items:
            yield index, program, row, ("verify", one_line(exc))
        return
    for (index, program, row), result in zip(items, results, strict=True):
        reject = getattr(result, "reject", None)
        if reject is not None:
            stage, reason = reject
            yield index, program, row, (str(stage), str(reason).splitlines()[0][:300] if reason else "")
            continue
        row.update(getattr(result, "columns", None) or {})
        row["verify_level"] = getattr(result, "level", config.verify)
        yield index, program, row, None

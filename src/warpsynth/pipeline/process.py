"""Per-process set-up of a worker before its first sample, and its memory readings."""

from __future__ import annotations

import os
import resource

from warpsynth import _warp

#: Set to 1 to run Warp's own builtin overload resolution (no cache) -- for debugging only;
#: the cache gives byte-identical output (tests/test_pipeline_warp.py).
NO_OVERLOAD_CACHE_ENV = "WARPSYNTH_NO_OVERLOAD_CACHE"


def prepare_process() -> None:
    """Per-process set-up before a task's samples: Warp initialised, builtin overload cache on."""
    _warp.init_quiet()
    if os.environ.get(NO_OVERLOAD_CACHE_ENV, "") in ("", "0"):
        _warp.enable_builtin_overload_cache()


def rss_mb() -> float:
    """This process's resident set size now, in MiB (psutil)."""
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except Exception:  # pragma: no cover - psutil is a dependency
        return 0.0


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB (``getrusage``; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

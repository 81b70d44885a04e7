"""A worker's memory must not grow with the samples it has processed.

The per-sample path (``SampleStages.build``: generate, exec, build, extract, row) runs with the real
generator; every Warp object of a sample (kernels, their module and adjoints) must be gone after
the sample, Warp's and Python's registries must not grow, and the process-wide caches must stay
within their bounds. A regression such as a module left in Warp's ``user_modules``, in a library
module's ``dependents`` (a ~30 KB/sample leak fixed earlier) or in ``linecache`` fails here.
"""

from __future__ import annotations

import contextlib
import gc
import linecache
import sys
import tracemalloc
import weakref

import pytest

from warpsynth import _warp
from warpsynth.extract import load_source
from warpsynth.generate import scope
from warpsynth.pipeline import RunConfig
from warpsynth.pipeline.config import DEFAULT_GENERATOR
from warpsynth.pipeline.programs import load_program_source
from warpsynth.pipeline.process import prepare_process
from warpsynth.pipeline.stages import SampleStages, Tally

WARM_UP = 40
SAMPLES = 40
#: Python memory the per-sample path may keep per sample after warm-up, outside the bounded caches
#: (measured: ~2-3 KB/sample of first-use state early in a process; the old leaks were 30-84 KB/sample).
MAX_GROWTH_PER_SAMPLE = 12_000
#: Allocation sites of the bounded process-wide caches (generator signatures, builtin overloads).
CACHE_SITES = [tracemalloc.Filter(False, "*/warpsynth/generate/scope.py"), tracemalloc.Filter(False, "*/warpsynth/_warp/*.py")]


@pytest.fixture(autouse=True)
def _restore_warp_resolution():
    yield
    _warp.disable_builtin_overload_cache()


def _registries() -> dict[str, int]:
    modules = _warp.user_modules()
    return {
        "warp user_modules": len(modules),
        "warp dependents": sum(len(getattr(m, "dependents", ())) for m in modules.values()),
        "warp function_key_counts": len(_warp.names._context.function_key_counts),
        "sys.modules": len(sys.modules),
        "linecache": len(linecache.cache),
    }


def _run_samples(tmp_path, start: int, count: int, refs: list | None = None) -> int:
    """Run samples [start, start+count) through the task's per-sample path; returns rows made."""
    config = RunConfig(n=start + count, seed=0, shards=1, generator=DEFAULT_GENERATOR)
    source = load_program_source(config.generator, {})

    @contextlib.contextmanager
    def tracked(text, tag):
        with load_source(text, tag) as loaded:
            if refs is not None:
                for kernel in loaded.kernels().values():
                    refs.extend([weakref.ref(kernel), weakref.ref(kernel.module), weakref.ref(kernel.adj)])
            yield loaded

    stages = SampleStages(config, Tally(config.seed), load_source=tracked)
    made = 0
    for index in range(start, start + count):
        made += stages.build(index, source) is not None
    return made


def _leaks(tmp_path) -> tuple[list[str], dict, dict, int]:
    """(alive Warp objects of finished samples, registries before, after, rows) over SAMPLES samples."""
    prepare_process()
    _run_samples(tmp_path, 0, WARM_UP)
    gc.collect()
    before = _registries()
    refs: list = []
    made = _run_samples(tmp_path, WARM_UP, SAMPLES, refs)
    gc.collect()
    alive = [type(r()).__name__ for r in refs if r() is not None]
    return alive, before, _registries(), made


def test_no_warp_state_of_a_sample_outlives_it(tmp_path):
    alive, before, after, made = _leaks(tmp_path)
    assert made >= SAMPLES * 0.8
    assert alive == []
    assert after == before
    assert 0 < _warp.builtin_overload_cache_size() <= _warp.overload_cache._OVERLOAD_CACHE_MAX
    assert len(scope._SIG_CACHE) <= scope._SIG_CACHE_MAX and len(scope._GROUP_CACHE) <= scope._SIG_CACHE_MAX


def test_the_check_catches_a_module_that_is_not_released(tmp_path, monkeypatch):
    """Without detaching released modules from Warp's ``dependents`` (the old leak), the test above fails."""
    monkeypatch.setattr(_warp.module_registry, "detach_module_references", lambda module: None)
    alive, before, after, _ = _leaks(tmp_path)
    assert "Module" in alive and "Kernel" in alive
    assert after["warp dependents"] > before["warp dependents"]


def test_python_memory_of_the_per_sample_path_stays_flat(tmp_path):
    """tracemalloc over SAMPLES samples after warm-up, outside the bounded caches: a few KB per sample
    of Warp's first-use state at most, not a sample's worth (source, row, module: ~60-100 KB)."""
    prepare_process()
    _run_samples(tmp_path, 0, WARM_UP)
    gc.collect()
    tracemalloc.start(1)
    try:
        first = tracemalloc.take_snapshot().filter_traces(CACHE_SITES)
        _run_samples(tmp_path, WARM_UP, SAMPLES)
        gc.collect()
        last = tracemalloc.take_snapshot().filter_traces(CACHE_SITES)
    finally:
        tracemalloc.stop()
    growth = sum(stat.size_diff for stat in last.compare_to(first, "filename"))
    top = last.compare_to(first, "lineno")[:5]
    assert growth / SAMPLES < MAX_GROWTH_PER_SAMPLE, "\n".join(map(str, top))

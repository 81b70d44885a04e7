"""Warp in this process: its version, and initialising it quietly.

Touches only Warp's public API (``wp.init``, ``wp.config``); it lives in this package because the
private-API modules call :func:`init_quiet` before they touch Warp, and a module beside
``_warp`` in the lowest layer could not be imported from here. Measured on warp-lang 1.19.0.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Iterator

import warp as wp


WARP_VERSION: str = wp.config.version

_initialized = False


#: Printed by Warp's native library (``init_cuda_driver`` in ``warp/native/cuda_util.cpp``, a plain
#: ``fprintf(stderr, ...)`` that no Warp setting turns off) on a machine without libcuda.
#: warpsynth needs no GPU (CUDA text and PTX come from the bundled NVRTC), so the line is dropped.
NO_DRIVER_WARNING = b"Warp CUDA warning: Could not find or load the NVIDIA CUDA driver"


@contextmanager
def _without_no_driver_warning() -> Iterator[None]:
    """Capture file descriptor 2 (native writes bypass ``sys.stderr``) and pass on every line
    except :data:`NO_DRIVER_WARNING`."""
    import tempfile

    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all (closed fd 2): nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            kept = [line for line in capture.read().splitlines(keepends=True) if not line.startswith(NO_DRIVER_WARNING)]
            if kept:
                os.write(2, b"".join(kept))


def init_quiet() -> None:
    """Initialise Warp once, without its banner or its no-CUDA-driver warning (our output must
    stay parseable, and no GPU is needed)."""
    global _initialized
    if not _initialized:
        if wp.config.log_level <= wp.LOG_INFO:
            wp.config.log_level = wp.LOG_WARNING  # Warp 1.19 logs banners/compile times at INFO
        with _without_no_driver_warning():
            wp.init()
        _initialized = True


def kernel_cache_dir() -> str:
    """Warp's kernel cache folder (``wp.config.kernel_cache_dir``, set when Warp initialises)."""
    init_quiet()
    return os.fspath(wp.config.kernel_cache_dir)

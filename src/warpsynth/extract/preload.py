"""Imported once by the extract workers' fork server (``runner.run_files``): Warp and the worker
code loaded and Warp initialised there, so each file's worker is forked from that clean, known
state, never from the calling process (which may have imported Warp library modules, changed
``wp.config`` or loaded kernels of its own)."""

from warpsynth import _warp
from warpsynth.extract import worker  # noqa: F401  (loaded for the forked workers)

_warp.init_quiet()

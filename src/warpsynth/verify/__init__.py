"""Verification levels for generated samples: codegen < compile < run < grad < cuda (docs/verification.md).

``warpsynth.dataset.levels`` (the level names) imports nothing heavy; the rest of the API
loads Warp and is imported on first use.

- ``api``: ``verify_samples`` and its ``options``; ``plan``: the one ordered list of stages;
  ``stages`` (codegen, compile), ``launches`` (run, grad), ``gpu_stages`` (race check, cuda): the
  stage objects, over a ``chunk`` of samples.
- ``compiler``: batched compiles with bisection (``units``: splitting and batching module text);
  ``debug`` and ``debug_child``: launches from debug-mode objects in a child process; ``execute``:
  the run and gradient checks of one sample; ``cuda``: the CPU-vs-GPU comparison.
- ``races``: the static race proof (``accesses``: every array access; ``index_forms``: index
  expressions as functions of the thread; ``tile_shapes``: tile shapes and dtypes).
- ``generated``: validity checks of generated programs; ``rows``: programs back from dataset rows;
  ``report``: pass rates of a generated folder.
"""

from warpsynth.dataset.levels import LEVELS

__all__ = ["LEVELS", "VerifyOptions", "VerifyResult", "verify_samples", "warm_pch"]


def __getattr__(name: str):
    if name in ("VerifyOptions", "VerifyResult", "verify_samples", "warm_pch"):
        from warpsynth.verify import api

        return getattr(api, name)
    raise AttributeError(f"module 'warpsynth.verify' has no attribute {name!r}")

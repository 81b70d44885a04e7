"""Verification levels for generated samples: codegen < compile < run < grad < cuda (docs/verification.md).

``warpsynth.dataset.levels`` (the level names) imports nothing heavy; the rest of the API
loads Warp and is imported on first use.
"""

from warpsynth.dataset.levels import LEVELS

__all__ = ["LEVELS", "VerifyOptions", "VerifyResult", "verify_samples", "warm_pch"]


def __getattr__(name: str):
    if name in ("VerifyOptions", "VerifyResult", "verify_samples", "warm_pch"):
        from warpsynth.verify import api

        return getattr(api, name)
    raise AttributeError(f"module 'warpsynth.verify' has no attribute {name!r}")

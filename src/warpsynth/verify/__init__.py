"""Verification levels for generated samples: codegen < compile < run < grad < cuda (docs/verification.md)."""

from warpsynth.verify.api import LEVELS, VerifyOptions, VerifyResult, verify_samples, warm_pch

__all__ = ["LEVELS", "VerifyOptions", "VerifyResult", "verify_samples", "warm_pch"]

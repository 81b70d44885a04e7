"""Keep only rows whose license is on an allow-list (``export --license``, ``split --license``).

Rows carry an SPDX id in ``license`` (extract looks it up from the project's metadata or
LICENSE file; ``unknown`` when it cannot tell); rows without the column's value count as
``unknown``. Matching is exact and case-insensitive on SPDX ids (``MIT``, ``Apache-2.0``).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pyarrow as pa

from warpsynth.errors import WarpsynthError

UNKNOWN = "unknown"


def parse_allow_list(value: str | Iterable[str] | None) -> frozenset[str] | None:
    """``"MIT,Apache-2.0"`` (or a list) -> lower-cased ids; ``None``/empty -> ``None`` (keep all)."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    allow = frozenset(i.strip().lower() for i in items if i and i.strip())
    if not allow:
        raise WarpsynthError("--license: give SPDX ids, e.g. MIT,Apache-2.0")
    return allow


def license_allowed(license: str | None, allow: frozenset[str] | None) -> bool:
    """Whether a row with ``license`` passes ``allow`` (``None``: everything passes)."""
    return allow is None or (license or UNKNOWN).lower() in allow


def license_mask(batch: pa.RecordBatch, allow: frozenset[str] | None) -> np.ndarray:
    """Boolean mask over ``batch``'s rows that pass ``allow``."""
    values = batch.column("license").to_pylist() if "license" in batch.schema.names else [None] * batch.num_rows
    return np.array([license_allowed(v, allow) for v in values], dtype=bool)

"""--row-timings: per-stage verification timings in each row, only when asked for."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from test_pipeline_programs import SPEC
from warpsynth import _warp
from warpsynth.errors import WarpsynthError
from warpsynth.pipeline import generate


@pytest.fixture(autouse=True)
def _restore_warp_resolution():
    yield
    _warp.disable_builtin_overload_cache()


def test_row_timings_fill_verify_ms_per_stage(tmp_path):
    out = tmp_path / "ds"
    generate(6, out, shards=1, workers=0, progress=False, generator=SPEC, verify="compile", targets=("cpu",), row_timings=True)
    rows = pq.read_table(sorted((out / "data").glob("*.parquet"))).to_pylist()
    assert rows
    for row in rows:
        ms = json.loads(row["verify_ms"])
        assert ms["compile_cpu"] > 0 and all(v >= 0 for v in ms.values())
    config = json.loads((out / "_run" / "config.json").read_text())
    assert config["config"]["row_timings"] is True


def test_row_timings_need_a_verify_level(tmp_path):
    with pytest.raises(WarpsynthError, match="--row-timings"):
        generate(2, tmp_path / "ds", workers=0, progress=False, generator=SPEC, row_timings=True)

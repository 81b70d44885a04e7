"""Byte pin over a small generate run (issue 17: refactors must not change output).

The digest covers every file a run writes except the timing files (`_run/stats.json`, `_run/lock`)
and, in each completion marker, only the fields that are data (not seconds or RSS). A commit that
changes the pinned bytes on purpose (a generator change, a new row column) updates `PINNED` and says
so in its message; a refactor must leave it alone.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from warpsynth.cli import main

# generate -n 16 --shards 2 --verify run --seed 7 (Warp 1.19.0)
PINNED = "e95780eec9f4a0ce29cb4ef091b7a6a8acf2985f476f2c5c0d7e79d0c195e31b"

_MARKER_DATA = ("categories", "config_hash", "index", "rejected", "rejects_by_stage", "rows", "samples", "shard", "shard_bytes", "shard_sha256")


def run_digest(out: Path) -> str:
    """SHA-256 over the deterministic files of a finished generate run in `out`."""
    digest = hashlib.sha256()
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        if rel in ("_run/stats.json", "_run/lock"):
            continue
        data = path.read_bytes()
        if rel.startswith("_run/tasks/") and rel.endswith(".done.json"):
            marker = json.loads(data)
            data = json.dumps({k: marker[k] for k in _MARKER_DATA}, sort_keys=True).encode()
        digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def test_small_generate_run_is_byte_pinned(tmp_path):
    out = tmp_path / "run"
    code = main(["generate", "-n", "16", "--shards", "2", "--workers", "0", "--seed", "7",
                 "--verify", "run", "--no-progress", "-o", str(out)])
    assert code == 0
    assert run_digest(out) == PINNED

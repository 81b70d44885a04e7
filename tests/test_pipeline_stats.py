"""Task stats (the completion marker) and the counts that add up; the crash journal's bookkeeping."""

from __future__ import annotations

import json

from test_pipeline_programs import SPEC
from warpsynth import _warp
from warpsynth.pipeline import generate
from warpsynth.pipeline.journal import Inflight, append_crash, read_crashes
from warpsynth.pipeline.stats import Counts, TaskStats

#: The completion marker's keys (tests/test_output_pin.py hashes the data ones; bench/ and curate/ read the rest).
MARKER_KEYS = {
    "categories", "config_hash", "cpu_seconds", "crashes_before", "finished_at", "index", "peak_rss_mb", "pid",
    "rejected", "rejects_by_stage", "rows", "rss_end_mb", "rss_start_mb", "rss_trace_mb", "samples", "samples_per_s",
    "seconds", "shard", "shard_bytes", "shard_sha256", "stage_seconds", "started_at", "verify_seconds_by_stage",
}


def test_counts_add_up_over_tasks():
    a = Counts(10, 8, 2, {"generate": 2}, {"vector": 5, "atomic": 3})
    b = Counts(5, 4, 1, {"extract": 1}, {"vector": 4})
    total = a + b
    assert total == Counts(15, 12, 3, {"extract": 1, "generate": 2}, {"atomic": 3, "vector": 9})
    assert list(total.categories) == ["atomic", "vector"]  # sorted, as the card lists them
    assert Counts.total([]) == Counts()
    markers = [dict(a.to_dict(), index=0, pid=1), dict(b.to_dict(), index=1, pid=2)]
    assert Counts.total(markers) == total
    assert list(total.to_dict()) == ["samples", "rows", "rejected", "rejects_by_stage", "categories"]


def test_a_real_marker_is_a_task_stats_and_adds_up_to_the_run(tmp_path):
    try:
        summary = generate(12, tmp_path / "ds", shards=2, workers=0, progress=False, generator=SPEC)
    finally:
        _warp.disable_builtin_overload_cache()
    texts = [p.read_text() for p in sorted((tmp_path / "ds" / "_run" / "tasks").glob("*.done.json"))]
    markers = [json.loads(t) for t in texts]
    assert [set(m) for m in markers] == [MARKER_KEYS, MARKER_KEYS]
    assert [TaskStats(**m).to_json() for m in markers] == texts  # the file is exactly TaskStats.to_json()
    total = Counts.total(markers)
    assert (total.samples, total.rows, total.rejected) == (12, summary.rows, summary.rejected)
    assert total.rejects_by_stage == summary.rejects_by_stage and total.categories == summary.categories
    stats = json.loads((tmp_path / "ds" / "_run" / "stats.json").read_text())
    assert stats["totals"] == total.to_dict()


def test_crash_journal_pins_bisects_and_rejects(tmp_path):
    journal, inflight_path = tmp_path / "0.crashes.jsonl", tmp_path / "0.inflight"
    assert read_crashes(journal).total == 0
    assert append_crash(journal, inflight_path, "worker killed by SIGKILL") is False  # no record: unpinned
    record = Inflight(inflight_path)
    record.set("verify", 4, 12)
    assert append_crash(journal, inflight_path, "worker killed by SIGSEGV") is True
    record.set("sample", 7, 8)
    append_crash(journal, inflight_path, "worker killed by SIGSEGV")
    record.set("write", 0, 0)
    assert append_crash(journal, inflight_path, "worker killed by SIGSEGV") is False
    record.close()
    crashes = read_crashes(journal)
    assert (crashes.total, crashes.unpinned, crashes.batch_ranges, dict(crashes.per_sample)) == (4, 2, {(4, 12)}, {7: 1})
    assert crashes.rejected(7) is None
    append_crash(journal, inflight_path, "again")  # the record still says "write 0 0"
    inflight_path.write_text("sample 7 8")
    append_crash(journal, inflight_path, "again")
    assert read_crashes(journal).rejected(7) == "worker crashed 2 times on this sample"
    items = [(i, None, None) for i in (4, 5, 8, 11)]
    assert [[i for i, _, _ in g] for g in crashes.split(items)] == [[4, 5], [8, 11]]
    assert crashes.split(items[:2]) == [items[:2]]  # (4, 6) never crashed: one batch

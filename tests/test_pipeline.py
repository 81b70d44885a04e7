"""The generation pipeline: layout, loading, determinism, resume, kill -9, crashes, refusal, formats.

Runs use a tiny hand-written program source (tests/test_pipeline_programs.py) so the
engine is tested on its own; ``test_pipeline_generator.py`` runs the real generator.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from test_pipeline_programs import SLEEP_ENV, SPEC
from warpsynth import _warp
from warpsynth.cli import main as cli_main
from warpsynth.dataset.folder import read_card, split_files
from warpsynth.dataset.schema import SCHEMA
from warpsynth.errors import WarpsynthError
from warpsynth.pipeline import RunConfig, generate
from warpsynth.pipeline.config import check_folder, parse_ptx, parse_weights, sample_seed
from warpsynth.pipeline.faults import TEST_SEGFAULT_ENV
from warpsynth.pipeline.task import ShardTask

TESTS_DIR = Path(__file__).parent
REPO = TESTS_DIR.parent



@pytest.fixture(autouse=True)
def _restore_warp_resolution():
    """In-process runs (workers=0) turn on the builtin overload cache; leave Warp as other tests expect it."""
    yield
    _warp.disable_builtin_overload_cache()

def run(out, n=60, shards=3, workers=0, **kw):
    kw.setdefault("generator", SPEC)
    return generate(n, out, shards=shards, workers=workers, progress=False, **kw)


def dataset_bytes(root: Path) -> dict[str, bytes]:
    """Every file of the dataset proper (data + card) plus the merged rejects."""
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "data").iterdir())}
    files["README.md"] = (root / "README.md").read_bytes()
    files["_run/rejects.jsonl"] = (root / "_run" / "rejects.jsonl").read_bytes()
    return files


def rows_of(root: Path) -> list[dict]:
    return pq.read_table(sorted((root / "data").glob("*.parquet"))).to_pylist()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted in-process run (n=60, 3 shards): the bytes other runs must equal."""
    root = tmp_path_factory.mktemp("ref") / "ds"
    summary = run(root)
    return root, summary


def test_layout_rows_card_and_rejects(reference):
    root, summary = reference
    assert sorted(p.name for p in (root / "data").iterdir()) == [f"train-0000{i}-of-00003.parquet" for i in range(3)]
    assert split_files(root) == {"train": sorted((root / "data").iterdir())}
    table = pq.read_table(sorted((root / "data").iterdir()))
    assert table.schema.equals(SCHEMA, check_metadata=False)
    rows = table.to_pylist()
    assert len(rows) == summary.rows == 60 - summary.rejected
    # rows are in sample order, with their seeds, and ids are content hashes
    assert [r["seed"] for r in rows] == sorted(r["seed"] for r in rows)
    assert len({r["id"] for r in rows}) == len(rows)
    assert {r["warp_version"] for r in rows} == {_warp.WARP_VERSION}
    assert all(r["cpu_forward"] and r["cuda_forward"] and r["cpu_backward"] and r["cuda_backward"] for r in rows)
    assert all(r["source_file"] is None and r["kernel_name"] in r["source"] for r in rows)
    assert {r["category"] for r in rows} == {"elementwise", "helper", "reduce"}
    assert all(r["config_hash"] and r["launch"] and r["verify_level"] == "codegen" for r in rows)
    # rejects: generator failures (index % 23 == 5) and unbuildable kernels (index % 19 == 7)
    rejects = [json.loads(line) for line in (root / "_run" / "rejects.jsonl").read_text().splitlines()]
    assert [(r["index"], r["stage"]) for r in rejects] == sorted(
        [(i, "generate") for i in range(60) if i % 23 == 5] + [(i, "extract") for i in range(60) if i % 19 == 7 and i % 23 != 5]
    )
    assert all(r["seed"] == sample_seed(0, r["index"]) and "\n" not in r["reason"] and r["reason"] for r in rejects)
    assert summary.rejects_by_stage == {"extract": 3, "generate": 3}
    # card: HF configs, Warp version, counts; no timings
    card = read_card(root)
    assert card["configs"][0]["data_files"] == [{"split": "train", "path": ["data/train-*.parquet"]}]
    assert card["warpsynth"]["warp_version"] == _warp.WARP_VERSION
    assert card["warpsynth"]["num_rows"] == len(rows)
    assert card["license"] and card["size_categories"] == ["n<1K"]
    assert card["warpsynth"]["generator_config"]["run"]["n"] == 60
    # run folder: config, one marker per task, stats with timings and memory
    config = json.loads((root / "_run" / "config.json").read_text())
    assert config["hash"] == summary.config.hash
    stats = json.loads((root / "_run" / "stats.json").read_text())
    assert len(stats["tasks"]) == 3 and stats["totals"]["rows"] == len(rows)
    assert all(t["peak_rss_mb"] > 0 and t["stage_seconds"]["extract"] > 0 for t in stats["tasks"])


def test_shared_columns_are_dictionary_encoded(reference):
    root, _ = reference
    path = next((root / "data").iterdir())
    group = pq.ParquetFile(path).metadata.row_group(0)
    chunks = {group.column(i).path_in_schema: group.column(i) for i in range(group.num_columns)}
    table = pq.read_table(path)
    assert table.num_rows >= 15
    for column in ("warp_version", "warpsynth_version", "origin", "config_hash", "verify_level", "options"):
        values = set(table.column(column).to_pylist())
        assert len(values) == 1, column
        chunk = chunks[column]
        assert any("DICTIONARY" in e for e in chunk.encodings), (column, chunk.encodings)
        # one dictionary entry + min/max statistics + a few bits per row, not the value per row
        assert chunk.total_compressed_size < 3 * len(next(iter(values))) + 150, (column, chunk.total_compressed_size)


def test_load_dataset_with_hf_datasets(reference, tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    root, summary = reference
    ds = datasets.load_dataset(str(root), split="train", cache_dir=str(tmp_path / "hf"))
    assert ds.num_rows == summary.rows
    assert ds[0]["id"] == rows_of(root)[0]["id"]
    assert set(ds.column_names) == set(SCHEMA.names)


def test_worker_processes_match_in_process_bytes(reference, tmp_path):
    """Two worker processes (spawned) produce the same bytes as the in-process run."""
    root, _ = reference
    summary = run(tmp_path / "ds", workers=2)
    assert summary.workers == 2 and summary.tasks_run == 3
    assert dataset_bytes(tmp_path / "ds") == dataset_bytes(root)
    assert len(summary.peak_rss_mb) == 2


def test_resume_skips_completed_tasks(reference, tmp_path):
    root, _ = reference
    out = tmp_path / "ds"
    first = run(out)
    # drop one task's marker: only that task runs again
    marker = ShardTask(str(out), first.config, 1).marker
    marker.unlink()
    mtimes = {p: p.stat().st_mtime_ns for p in (out / "data").iterdir()}
    again = run(out)
    assert again.mode == "resume" and again.tasks_run == 1
    changed = [p.name for p, t in mtimes.items() if p.stat().st_mtime_ns != t]
    assert changed == ["train-00001-of-00003.parquet"]
    assert run(out).tasks_run == 0
    assert dataset_bytes(out) == dataset_bytes(root)


def test_changed_settings_are_refused_unless_overwrite(tmp_path, capsys):
    out = tmp_path / "ds"
    run(out, n=12, shards=2)
    with pytest.raises(WarpsynthError, match=r"different settings \(seed: 0 -> 1\).*--overwrite"):
        run(out, n=12, shards=2, seed=1)
    # the CLI prints it as one line and exits 2
    code = cli_main(["generate", "-n", "12", "-o", str(out), "--shards", "2", "--seed", "1", "--generator", SPEC, "--no-progress", "--workers", "0"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "--overwrite" in err[0]
    summary = run(out, n=12, shards=2, seed=1, overwrite=True)
    assert summary.mode == "overwrite" and {r["seed"] >> 32 for r in rows_of(out)} == {1}
    # a non-empty folder that is not a run is refused too
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(WarpsynthError, match="not a warpsynth run folder"):
        run(other, n=4, shards=1)


def test_jsonl_format_loads_and_matches_parquet(reference, tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    root, summary = reference
    out = tmp_path / "ds"
    run(out, fmt="jsonl")
    assert sorted(p.name for p in (out / "data").iterdir()) == [f"train-0000{i}-of-00003.jsonl" for i in range(3)]
    assert read_card(out)["configs"][0]["data_files"][0]["path"] == ["data/train-*.jsonl"]
    lines = [json.loads(line) for p in sorted((out / "data").iterdir()) for line in p.read_text().splitlines()]
    assert [r["id"] for r in lines] == [r["id"] for r in rows_of(root)]
    assert list(lines[0]) == SCHEMA.names
    ds = datasets.load_dataset(str(out), split="train", cache_dir=str(tmp_path / "hf"))
    assert ds.num_rows == summary.rows


def test_segfaulting_worker_is_retried_and_twice_crashing_sample_rejected(reference, tmp_path, monkeypatch):
    """Sample 4 kills its worker once (retried, kept); sample 25 every time (rejected as 'crash')."""
    root, _ = reference
    monkeypatch.setenv(TEST_SEGFAULT_ENV, "4:once,25")
    out = tmp_path / "ds"
    summary = run(out, workers=2)
    ref_rows = rows_of(root)
    rows = rows_of(out)
    assert [r for r in ref_rows if r["seed"] != 25] == rows
    rejects = [json.loads(line) for line in (out / "_run" / "rejects.jsonl").read_text().splitlines()]
    crash = [r for r in rejects if r["stage"] == "crash"]
    assert [(r["index"], r["seed"]) for r in crash] == [(25, 25)]
    assert "2 times" in crash[0]["reason"]
    assert summary.rejects_by_stage["crash"] == 1
    crashes0 = [json.loads(x) for x in (out / "_run/tasks/00000.crashes.jsonl").read_text().splitlines()]
    crashes1 = [json.loads(x) for x in (out / "_run/tasks/00001.crashes.jsonl").read_text().splitlines()]
    assert [(c["start"], c["reason"]) for c in crashes0] == [(4, "worker killed by SIGSEGV")]
    assert [c["start"] for c in crashes1] == [25, 25]
    assert not (out / "_run/tasks/00002.crashes.jsonl").exists()
    # the crashed attempts' partly streamed shards were removed by their retries
    assert not list(out.rglob("*.tmp"))


def test_task_streams_its_rows_and_chunk_size_does_not_change_bytes(tmp_path, monkeypatch):
    """A task hands each chunk's rows to its shard's temp file (row groups of a fixed size), holds
    no more than a chunk, and the shard appears only at the end; chunk size changes no byte."""
    from warpsynth.dataset import io

    monkeypatch.setattr(io, "SHARD_ROW_GROUP_ROWS", 5)
    config = RunConfig(n=40, shards=1, generator=SPEC)
    shards = {}
    for chunk in (3, 8):
        task = ShardTask(str(tmp_path / f"chunk{chunk}"), config, 0, chunk_size=chunk)
        seen = []

        def progress(done, rejected, task=task, seen=seen):
            (tmp,) = task.shard.parent.glob(f".{task.shard.name}.*.tmp")
            seen.append((tmp.stat().st_size, task.shard.exists()))

        result = task.run(progress)
        assert result.status == "done" and result.rows == 40 - result.rejected
        sizes = [size for size, _ in seen]
        assert not any(exists for _, exists in seen)
        assert sizes == sorted(sizes) and 0 < sizes[len(sizes) // 2] < sizes[-1]  # the file grows as the task runs
        assert not list(task.shard.parent.glob("*.tmp"))
        meta = pq.ParquetFile(task.shard).metadata
        assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [5] * (result.rows // 5) + (
            [result.rows % 5] if result.rows % 5 else [])
        shards[chunk] = task.shard.read_bytes()
    assert shards[3] == shards[8]


def _markers(root: Path) -> int:
    return len(list((root / "_run" / "tasks").glob("*.done.json"))) if (root / "_run" / "tasks").exists() else 0


def test_kill_9_mid_run_then_rerun_is_byte_identical(tmp_path):
    """SIGKILL the CLI mid-run twice (first the parent alone: its workers must die with it; then the
    whole process group); the rerun skips finished tasks and equals an uninterrupted run byte for byte."""
    import psutil

    n, shards = 96, 8
    ref = tmp_path / "ref"
    run(ref, n=n, shards=shards)
    out = tmp_path / "ds"
    cmd = [sys.executable, "-m", "warpsynth.cli", "generate", "-n", str(n), "-o", str(out), "--shards", str(shards),
           "--workers", "2", "--generator", SPEC, "--no-progress"]
    env = os.environ | {"PYTHONPATH": str(TESTS_DIR), SLEEP_ENV: "0.03"}
    seen = []
    for kill_after in (1, 4):
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while _markers(out) < kill_after and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        if kill_after == 1:
            workers = psutil.Process(proc.pid).children(recursive=True)
            assert workers, "expected worker processes"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            _, alive = psutil.wait_procs(workers, timeout=10)
            assert not alive, f"orphaned workers: {alive}"
        else:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        seen.append(_markers(out))
    assert seen[0] < shards and seen[1] < shards, f"the run finished before it was killed: {seen}"
    assert not (out / "README.md").exists()
    done = subprocess.run(cmd, env=env | {SLEEP_ENV: ""}, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    invocation = json.loads((out / "_run" / "stats.json").read_text())["invocation"]
    assert invocation["mode"] == "resume" and invocation["tasks_run"] == shards - seen[1]  # completed tasks skipped
    assert dataset_bytes(out) == dataset_bytes(ref)
    assert not [p for p in out.rglob("*.tmp")]
    # the last lines say where the output, card and report are
    tail = done.stdout.strip().splitlines()[-3:]
    assert tail[0].startswith("output:") and tail[1].startswith("card:") and tail[2].startswith("report:")


# -- config units -----------------------------------------------------------------------------------


def test_task_ranges_partition_the_samples():
    for n, k in [(10, 3), (7, 7), (1000, 4), (5, 1)]:
        config = RunConfig(n=n, shards=k, generator=SPEC)
        ranges = [config.task_range(i) for i in range(k)]
        assert [i for r in ranges for i in r] == list(range(n))
        assert max(map(len, ranges)) - min(map(len, ranges)) <= 1


def test_config_hash_ignores_nothing_that_changes_output_and_validates():
    base = RunConfig(n=10, generator=SPEC)
    assert base.shards == 4 and base.hash == RunConfig(n=10, generator=SPEC, targets=("cuda", "cpu")).hash
    for change in ({"seed": 1}, {"shards": 2}, {"targets": ("cpu",)}, {"ptx_archs": (80,)}, {"backward": False},
                   {"fmt": "jsonl"}, {"category_weights": (("helper", 2.0),)}, {"verify": "compile"}):
        assert RunConfig(**({"n": 10, "generator": SPEC} | change)).hash != base.hash, change
    assert RunConfig.from_dict(base.to_dict()) == base
    for bad in ({"n": 0}, {"shards": 11}, {"targets": ("gpu",)}, {"fmt": "csv"}, {"verify": "x"}, {"seed": -1},
                {"category_weights": (("a", -1.0),)}):
        with pytest.raises(WarpsynthError):
            RunConfig(**({"n": 10} | bad))
    assert parse_ptx("sm_80, sm_90") == (80, 90)
    assert parse_weights("a=2,b=0.5") == (("a", 2.0), ("b", 0.5))
    with pytest.raises(WarpsynthError):
        parse_weights("a")


def test_check_folder_modes(tmp_path):
    config = RunConfig(n=4, shards=1, generator=SPEC)
    assert check_folder(tmp_path / "missing", config, False) == "new"
    assert check_folder(tmp_path, config, False) == "new"  # empty
    (tmp_path / "x").write_text("")
    assert check_folder(tmp_path, config, True) == "overwrite"


def test_verify_level_is_applied_and_a_crash_inside_a_verify_batch_is_isolated(tmp_path, monkeypatch):
    """--verify compile: rows carry the level; a verify batch that segfaults is bisected on retry down
    to the guilty sample, which is rejected after its second crash, while its batch-mates pass."""
    monkeypatch.setenv(TEST_SEGFAULT_ENV, "2:verify")
    out = tmp_path / "ds"
    summary = run(out, n=10, shards=1, workers=1, verify="compile", targets=("cpu",))
    rows = rows_of(out)
    assert rows and {r["verify_level"] for r in rows} == {"compile"}
    assert all(r["verify_ms"] is None for r in rows)  # timings stay out of data files
    crashes = [json.loads(x) for x in (out / "_run/tasks/00000.crashes.jsonl").read_text().splitlines()]
    # items 0..9 minus rejects 5 (generate) and 7 (extract): [0,1,2,3,4,6,8,9] -> [0,1,2,3] -> [2,3] -> [2]
    assert [(c["stage"], c["start"], c["end"]) for c in crashes] == [
        ("verify", 0, 10), ("verify", 0, 4), ("verify", 2, 4), ("verify", 2, 3), ("verify", 2, 3)]
    assert summary.rejects_by_stage.get("crash") == 1
    assert sorted(r["seed"] for r in rows) == [i for i in range(10) if i not in (2, 5, 7)]
    stats = json.loads((out / "_run" / "stats.json").read_text())
    assert stats["tasks"][0]["verify_seconds_by_stage"]["compile_cpu"] > 0


def test_crashes_outside_any_sample_fail_the_task_after_bounded_retries(tmp_path, monkeypatch):
    """A worker that dies before any sample (nothing to blame) is retried twice, then the task fails;
    the run says so in one line, and the next invocation (without the fault) completes it."""
    out = tmp_path / "ds"
    monkeypatch.setenv(TEST_SEGFAULT_ENV, "setup")
    with pytest.raises(WarpsynthError, match=r"1 of 1 task\(s\) failed \(task 0: worker killed by SIGSEGV 3 times outside any sample\).*rerun"):
        run(out, n=6, shards=1, workers=1)
    crashes = [json.loads(x) for x in (out / "_run/tasks/00000.crashes.jsonl").read_text().splitlines()]
    assert [(c["stage"], c["start"], c["end"]) for c in crashes] == [("setup", 0, 0)] * 3
    assert not (out / "README.md").exists()
    monkeypatch.delenv(TEST_SEGFAULT_ENV)
    summary = run(out, n=6, shards=1, workers=1)
    assert summary.tasks_run == 1 and summary.rows == 6 - summary.rejected

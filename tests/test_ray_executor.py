"""The Ray executor runs the unchanged shard tasks on a real local Ray instance."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from warpsynth.errors import WarpsynthError
from warpsynth.pipeline import generate
from warpsynth.pipeline.executors import executor_by_name
from warpsynth.pipeline.executors.ray_cluster import RayExecutor, import_ray

ray = pytest.importorskip("ray")

N, SHARDS, SEED = 12, 3, 11


@pytest.fixture(scope="module")
def ray_instance():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "ds"
    generate(N, out, seed=SEED, shards=SHARDS, workers=2, progress=False)
    return out


def dataset_bytes(root: Path) -> dict[str, bytes]:
    files = sorted((root / "data").iterdir()) + [root / "README.md"]
    return {p.name: p.read_bytes() for p in files}


def test_ray_output_is_byte_identical_to_local(ray_instance, local_run, tmp_path):
    out = tmp_path / "ds"
    summary = generate(N, out, seed=SEED, shards=SHARDS, executor=RayExecutor(), progress=False)
    assert summary.tasks_run == SHARDS
    assert dataset_bytes(out) == dataset_bytes(local_run)


def test_ray_resume_skips_completed_shards(ray_instance, local_run, tmp_path):
    out = tmp_path / "ds"
    generate(N, out, seed=SEED, shards=SHARDS, workers=0, progress=False)
    (out / "data" / "train-00001-of-00003.parquet").unlink()
    summary = generate(N, out, seed=SEED, shards=SHARDS, executor=RayExecutor(), progress=False)
    assert summary.tasks_run == 1
    assert dataset_bytes(out) == dataset_bytes(local_run)


def test_ray_worker_segfault_is_retried(ray_instance, local_run, tmp_path, monkeypatch):
    # sample 5 (task 1) segfaults its worker once; the task is rerun and the data is unchanged
    monkeypatch.setenv("WARPSYNTH_TEST_SEGFAULT", "5:once")
    out = tmp_path / "ds"
    summary = generate(N, out, seed=SEED, shards=SHARDS, executor=RayExecutor(), progress=False)
    assert summary.rows == N
    assert dataset_bytes(out) == dataset_bytes(local_run)
    assert (out / "_run" / "tasks").is_dir()


def test_ray_sample_that_always_crashes_is_rejected_and_run_finishes(ray_instance, tmp_path, monkeypatch):
    monkeypatch.setenv("WARPSYNTH_TEST_SEGFAULT", "5")
    out = tmp_path / "ds"
    summary = generate(N, out, seed=SEED, shards=SHARDS, executor=RayExecutor(), progress=False)
    assert summary.rows == N - 1
    assert summary.rejects_by_stage.get("crash") == 1


def test_ray_crash_outside_any_sample_follows_the_local_retry_rule(ray_instance, tmp_path, monkeypatch):
    """The shared RetryPolicy: a crash no sample can be blamed for is retried twice, then the task fails
    with the same message shape as under LocalExecutor (tests/test_pipeline.py)."""
    monkeypatch.setenv("WARPSYNTH_TEST_SEGFAULT", "setup")
    with pytest.raises(WarpsynthError, match=r"1 of 1 task\(s\) failed \(task 0: ray worker died \(\w+\) 3 times outside any sample\)"):
        generate(4, tmp_path / "ds", seed=SEED, shards=1, executor=RayExecutor(), progress=False)
    crashes = (tmp_path / "ds" / "_run" / "tasks" / "00000.crashes.jsonl").read_text().splitlines()
    assert len(crashes) == 3


def test_without_ray_the_flag_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(WarpsynthError, match=r"pip install 'warpsynth\[ray\]'"):
        import_ray()
    with pytest.raises(WarpsynthError, match="pip install"):
        executor_by_name("ray")
    with pytest.raises(WarpsynthError, match="unknown executor"):
        executor_by_name("slurm")


def test_local_executor_never_imports_ray(tmp_path):
    code = (
        "import sys; from warpsynth.pipeline import generate; "
        f"generate(4, {str(tmp_path / 'ds')!r}, shards=2, workers=1, progress=False); "
        "print('ray' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "False"

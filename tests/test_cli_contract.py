"""The command-line contract (docs: README "Exit status"; code: warpsynth.cli_options).

Every command against its bad inputs: the exit status, one line ``error: <option or file>:
<reason>`` on stderr, no traceback, and every file that existed before unchanged. Most rows run
in-process through ``main(argv)``; a few run the real console script, as a user would.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from test_curate_support import base_rows, leftovers, write_dataset
from test_pipeline_programs import SPEC
from warpsynth import _warp
from warpsynth.cli import main
from warpsynth.errors import WarpsynthError
from warpsynth.pipeline import generate

SRC = Path(__file__).resolve().parent.parent / "src"
TESTS = Path(__file__).resolve().parent


class _RejectAll:
    """A program source whose every sample fails: a run that writes no rows."""

    def config_dict(self) -> dict:
        return {"source": "rejects everything"}

    def __call__(self, seed: int):
        raise ValueError(f"no program for seed {seed}")


def reject_all(category_weights: dict) -> _RejectAll:
    return _RejectAll()


@pytest.fixture(autouse=True)
def _restore_warp_resolution():
    yield
    _warp.disable_builtin_overload_cache()


def _run(root: Path, seed: int = 0) -> Path:
    generate(8, root, shards=2, seed=seed, workers=0, progress=False, generator=SPEC)
    return root


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """ds/ (hand-written rows), gen/ (a 2-shard generated run), files that must never change."""
    root = tmp_path_factory.mktemp("contract")
    write_dataset(root / "ds", base_rows(), shards=2)
    shutil.copytree(root / "ds", root / "dsnotes")  # a dataset folder the user added a file to
    (root / "dsnotes" / "notes.txt").write_text("my notes")
    _run(root / "gen")
    (root / "mine" / "data").mkdir(parents=True)  # a user's folder: README + data, not warpsynth's
    (root / "mine" / "README.md").write_text("# my project\n")
    (root / "mine" / "data" / "mydata.csv").write_text("a,b\n1,2\n")
    (root / "taken").mkdir()
    (root / "taken" / "notes.txt").write_text("keep")
    (root / "existing.jsonl").write_text('{"keep": true}\n')
    (root / "existing.parquet").write_bytes(b"not really parquet, but the user's")
    (root / "_report_existing").mkdir()
    (root / "_report_existing" / "report.md").write_text("old report\n")
    return root


@pytest.fixture
def ws(template, tmp_path) -> Path:
    shutil.copytree(template, tmp_path / "ws")
    return tmp_path / "ws"


def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under ``root``: content hash (files) and mode."""
    out = {}
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        mode = stat.S_IMODE(path.stat().st_mode)
        out[key] = f"{mode:o} " + (hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir")
    return out


def _argv(args: list[str], ws: Path) -> list[str]:
    return [a.format(ws=ws) for a in args]


def assert_one_line(err: str, needle: str) -> None:
    lines = err.strip().splitlines()
    assert "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert needle in lines[0], err


# (id, argv, exit status, text the one error line must contain)
IN_PROCESS = [
    ("missing-required", ["generate"], 2, "-n: Missing option"),
    ("not-an-int", ["generate", "-n", "abc", "-o", "{ws}/new"], 2, "-n: "),
    ("misspelled-option", ["generate", "-n", "2", "-o", "{ws}/new", "--worker", "2"], 2, "No such option: --worker"),
    ("unknown-command", ["nosuchcmd"], 2, "No such command 'nosuchcmd'"),
    ("n-zero", ["generate", "-n", "0", "-o", "{ws}/new"], 2, "-n: must be at least 1"),
    ("workers-negative", ["generate", "-n", "2", "-o", "{ws}/new", "--workers", "-1"], 2, "--workers: must be >= 0"),
    ("shards-zero", ["generate", "-n", "2", "-o", "{ws}/new", "--shards", "0"], 2, "--shards: must be between 1"),
    ("duplicate-weights", ["generate", "-n", "2", "-o", "{ws}/new", "--category-weights", "tile=1,tile=2"], 2, "'tile' is given twice"),
    ("help-example-category", ["generate", "-n", "2", "-o", "{ws}/new", "--category-weights", "elementwise=2"], 2, "unknown category 'elementwise'"),
    ("ptx-without-cuda", ["generate", "-n", "2", "-o", "{ws}/new", "--targets", "cpu", "--ptx", "sm_90"], 2, "--ptx: it applies to the CUDA code"),
    ("ptx-unsupported", ["generate", "-n", "2", "-o", "{ws}/new", "--ptx", "sm_1"], 2, "--ptx: sm_1 is not an arch"),
    ("verify-unknown", ["generate", "-n", "2", "-o", "{ws}/new", "--verify", "perfect"], 2, "--verify: must be one of codegen"),
    ("overwrite-foreign", ["generate", "-n", "2", "-o", "{ws}/mine", "--overwrite"], 2, "holds README.md, which warpsynth did not write"),
    ("ray-unreachable", ["generate", "-n", "2", "-o", "{ws}/new", "--executor", "ray", "--ray-address", "127.0.0.1:9"], 2, "--ray-address 127.0.0.1:9: unreachable"),
    ("sample-negative-seed", ["sample", "--seed", "-4"], 2, "--seed: must be >= 0"),
    ("sample-unknown-category", ["sample", "--seed", "1", "--category", "nope"], 2, "--category: unknown category 'nope'"),
    ("diversity-negative-start", ["diversity", "-n", "2", "--start", "-1"], 2, "--start: must be >= 0"),
    ("validate-missing", ["validate", "{ws}/nothing"], 2, "no such dataset folder"),
    ("sample-without-recodegen", ["validate", "{ws}/ds", "--sample", "5"], 2, "--sample: only applies with --recodegen"),
    ("sample-negative", ["validate", "{ws}/ds", "--recodegen", "--sample", "-3"], 2, "--sample: must be at least 1"),
    ("threshold-above-1", ["dedup", "{ws}/ds", "-o", "{ws}/out", "--threshold", "1.5"], 2, "--threshold: must be in (0, 1]"),
    ("dedup-existing", ["dedup", "{ws}/ds", "-o", "{ws}/taken"], 2, "pass --overwrite"),
    ("dedup-overwrite-foreign", ["dedup", "{ws}/ds", "-o", "{ws}/taken", "--overwrite"], 2, "holds notes.txt, which warpsynth did not write"),
    ("split-fractions", ["split", "{ws}/ds", "-o", "{ws}/out", "--val", "2"], 2, "must be fractions"),
    ("decontaminate-inplace-foreign", ["decontaminate", "{ws}/dsnotes", "--against", "{ws}/existing.jsonl", "--overwrite"], 2, "holds notes.txt, which warpsynth did not write"),
    ("decontaminate-inplace", ["decontaminate", "{ws}/ds", "--against", "{ws}/existing.jsonl"], 2, "is the input folder; pass --overwrite"),
    ("dedup-inplace", ["dedup", "{ws}/ds", "-o", "{ws}/ds"], 2, "is the input folder; pass --overwrite"),
    ("split-inplace", ["split", "{ws}/ds", "-o", "{ws}/ds"], 2, "is the input folder; pass --overwrite"),
    ("report-existing", ["report", "{ws}/ds", "-o", "{ws}/_report_existing"], 2, "report.md exists; pass --overwrite"),
    ("export-existing", ["export", "{ws}/ds", "--task", "python-to-cuda", "-o", "{ws}/existing.jsonl"], 2, "existing.jsonl exists; pass --overwrite"),
    ("export-task", ["export", "{ws}/ds", "--task", "nope", "-o", "{ws}/new.jsonl"], 2, "--task 'nope'"),
    ("extract-existing", ["extract", "{ws}/nothing.py", "-o", "{ws}/existing.parquet"], 2, "existing.parquet exists; pass --overwrite"),
    ("poisson-existing", ["poisson", "--emit-kernels", "{ws}/existing.jsonl"], 2, "--emit-kernels: "),
    ("sample-missing-seed", ["sample"], 2, "--seed: Missing option"),
]


@pytest.mark.parametrize("args, status, needle", [r[1:] for r in IN_PROCESS], ids=[r[0] for r in IN_PROCESS])
def test_bad_input_in_process(args, status, needle, ws, capsys):
    before = snapshot(ws)
    assert main(_argv(args, ws)) == status
    assert_one_line(capsys.readouterr().err, needle)
    assert snapshot(ws) == before


# Through the real console script (entry point, typer's own click, Warp's native stderr).
CONSOLE = [
    ("version", ["--version"], 0, None),
    ("no-args", [], 2, None),
    ("unknown-command", ["nosuchcmd"], 2, "No such command"),
    ("not-an-int", ["generate", "-n", "abc", "-o", "{ws}/new"], 2, "-n: "),
    ("ptx-unsupported", ["generate", "-n", "2", "-o", "{ws}/new", "--ptx", "sm_1"], 2, "--ptx: sm_1 is not an arch"),
    ("threshold", ["dedup", "{ws}/ds", "-o", "{ws}/out", "--threshold", "1.5"], 2, "--threshold"),
    ("export-existing", ["export", "{ws}/ds", "--task", "python-to-cuda", "-o", "{ws}/existing.jsonl"], 2, "pass --overwrite"),
]


def console_script() -> str:
    path = Path(sys.executable).parent / "warpsynth"
    if not path.exists():
        pytest.skip("no warpsynth console script beside this Python")
    return str(path)


@pytest.mark.parametrize("args, status, needle", [r[1:] for r in CONSOLE], ids=[r[0] for r in CONSOLE])
def test_bad_input_console_script(args, status, needle, ws):
    before = snapshot(ws)
    env = dict(os.environ, PYTHONPATH=str(SRC))
    proc = subprocess.run([console_script(), *_argv(args, ws)], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == status, proc.stderr
    assert "Traceback" not in proc.stderr and "Warp CUDA warning" not in proc.stderr
    if needle is not None:
        assert_one_line(proc.stderr, needle)
    if args == ["--version"]:
        assert proc.stdout.startswith("warpsynth ") and "warp-lang 1.19.0" in proc.stdout
    if args == []:
        assert "Usage: warpsynth" in proc.stdout
    assert snapshot(ws) == before


@pytest.mark.parametrize("argv", [["sample", "--seed", "3"], ["generate", "-n", "2", "--workers", "0", "-o", "{ws}/piped"]])
def test_stdout_closed_by_its_reader_exits_141_quietly(argv, ws):
    """``warpsynth ... | head``: the reader is gone before the command prints; exit 141 (as for
    SIGPIPE), nothing on stderr, and what the command writes to files is complete."""
    env = dict(os.environ, PYTHONPATH=str(SRC))
    proc = subprocess.Popen([console_script(), *_argv(argv, ws)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert err == ""
    if argv[0] == "generate":
        assert main(["validate", str(ws / "piped"), "--no-progress"]) == 0


def test_library_errors_name_the_option_first():
    """Every WarpsynthError text that starts with an option reads ``--option: reason`` or
    ``--option VALUE: reason`` (the one-line contract), not ``--option must be ...``."""
    import re
    from pathlib import Path

    import warpsynth

    src = Path(warpsynth.__file__).parent
    pattern = re.compile(r'WarpsynthError\(f?"(--?[a-z][a-z/-]*)([^"]*)"')
    bad = []
    for path in src.rglob("*.py"):
        for option, rest in pattern.findall(path.read_text()):
            if not re.match(r"(:| \S+?:| [a-z]+ needs)", rest):
                bad.append(f"{path.name}: {option}{rest[:40]}")
    assert bad == []


def test_flags_show_no_type_in_help(capsys):
    assert main(["generate", "--help"]) == 0
    out = capsys.readouterr().out
    for flag in ("--no-backward", "--overwrite", "--no-progress", "--row-timings"):
        line = next(line for line in out.splitlines() if flag in line)
        assert "<bool>" not in line, line
    assert "elementwise=" not in out  # the old help example named a category that does not exist


def test_every_writing_command_spells_overwrite_the_same(capsys):
    for command in ("generate", "extract", "dedup", "split", "decontaminate", "export", "report", "poisson", "poisson-study"):
        assert main([command, "--help"]) == 0
        out = capsys.readouterr().out
        assert "--overwrite" in out and "--force" not in out, command


def test_ctrl_c_exits_130_with_one_line(ws, monkeypatch, capsys):
    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr("warpsynth.curate.validate.validate", interrupted)
    assert main(["validate", str(ws / "ds")]) == 130
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "interrupted" in err and "Traceback" not in err


def test_run_writing_no_rows_exits_1(tmp_path, capsys):
    code = main(["generate", "-n", "3", "-o", str(tmp_path / "empty"), "--workers", "0", "--no-progress", "--generator", "test_cli_contract:reject_all"])
    assert code == 1
    assert "no rows written" in capsys.readouterr().out


def test_overwrite_deletes_only_what_a_run_wrote(ws, capsys):
    gen = ws / "gen"
    (gen / "_report").mkdir()
    (gen / "_report" / "report.md").write_text("stale report of the old run\n")
    assert main(["generate", "-n", "6", "-o", str(gen), "--shards", "3", "--workers", "0", "--no-progress", "--generator", SPEC, "--overwrite"]) == 0
    assert not (gen / "_report").exists()  # a stale report of the replaced run goes too
    assert sorted(p.name for p in (gen / "data").iterdir()) == [f"train-0000{i}-of-00003.parquet" for i in range(3)]
    # a foreign file anywhere in the folder: refused, nothing deleted
    (gen / "data" / "mydata.csv").write_text("a,b\n")
    before = snapshot(ws)
    assert main(["generate", "-n", "4", "-o", str(gen), "--workers", "0", "--no-progress", "--generator", SPEC, "--overwrite"]) == 2
    assert_one_line(capsys.readouterr().err, "holds data/mydata.csv, which warpsynth did not write")
    assert snapshot(ws) == before


def test_validate_checks_shards_against_card_markers_and_count(ws, tmp_path, capsys):
    gen = ws / "gen"
    assert main(["validate", str(gen), "--no-progress"]) == 0
    other = _run(tmp_path / "other", seed=1)
    shutil.copy(other / "data" / "train-00001-of-00002.parquet", gen / "data" / "train-00001-of-00002.parquet")
    assert main(["validate", str(gen), "--no-progress"]) == 1
    assert "not the file task 1 wrote" in capsys.readouterr().out
    (gen / "data" / "train-00001-of-00002.parquet").unlink()
    assert main(["validate", str(gen), "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "1 of 2 shard(s) missing" in out and "the card says 6 rows, the shards hold 4" in out  # samples 5, 7 are rejected


def test_validate_finds_stray_files_and_an_edited_card(ws, tmp_path, capsys):
    gen = tmp_path / "gen"
    shutil.copytree(ws / "gen", gen)
    stray = gen / "data" / "extra.parquet"
    shutil.copy(gen / "data" / "train-00000-of-00002.parquet", stray)
    assert main(["validate", str(gen), "--no-progress"]) == 1
    assert "data/extra.parquet: not a shard" in capsys.readouterr().out
    stray.unlink()
    card = gen / "README.md"
    card.write_text(card.read_text().replace("- n<1K", "- 10K<n<100K"))
    assert main(["validate", str(gen), "--no-progress"]) == 1
    assert "size_categories ['10K<n<100K'] does not fit 6 rows" in capsys.readouterr().out


def test_resume_redoes_a_garbage_or_foreign_shard(ws, tmp_path):
    gen = ws / "gen"
    shard = gen / "data" / "train-00000-of-00002.parquet"
    good = shard.read_bytes()
    shard.write_bytes(b"garbage")
    summary = generate(8, gen, shards=2, workers=0, progress=False, generator=SPEC)
    assert summary.tasks_run == 1 and shard.read_bytes() == good
    other = _run(tmp_path / "other", seed=1)
    shutil.copy(other / "data" / "train-00000-of-00002.parquet", shard)
    assert generate(8, gen, shards=2, workers=0, progress=False, generator=SPEC).tasks_run == 1
    assert shard.read_bytes() == good


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/full/disk")


def test_full_disk_in_dedup_leaves_the_old_output(ws, monkeypatch, capsys):
    assert main(["dedup", str(ws / "ds"), "-o", str(ws / "out"), "--exact-only"]) == 0
    capsys.readouterr()
    before = snapshot(ws)
    monkeypatch.setattr("warpsynth.dataset.writer.DatasetWriter.write", _enospc)
    assert main(["dedup", str(ws / "ds"), "-o", str(ws / "out"), "--exact-only", "--overwrite"]) == 1
    assert_one_line(capsys.readouterr().err, "no space left on device")
    assert snapshot(ws) == before and leftovers(ws) == []


def test_full_disk_in_export_and_report(ws, monkeypatch, capsys):
    before = snapshot(ws)
    monkeypatch.setattr("warpsynth.dataset.io.jsonl_line", _enospc)
    assert main(["export", str(ws / "ds"), "--task", "python-to-cuda", "-o", str(ws / "existing.jsonl"), "--overwrite"]) == 1
    assert_one_line(capsys.readouterr().err, "no space left on device")
    monkeypatch.setattr("warpsynth.curate.report.write_text_atomic", _enospc)
    assert main(["report", str(ws / "ds"), "-o", str(ws / "_report_existing"), "--overwrite"]) == 1
    assert_one_line(capsys.readouterr().err, "no space left on device")
    assert snapshot(ws) == before


def test_curated_folder_mode_and_killed_runs_leftovers(ws):
    stale = ws / ".out.warpsynth-999999999-abcd.tmp"  # a killed dedup's work folder (no such pid)
    stale.mkdir()
    (stale / "part.parquet").write_bytes(b"x")
    foreign = ws / ".out.someone-else.tmp"
    foreign.mkdir()
    assert main(["dedup", str(ws / "ds"), "-o", str(ws / "out"), "--exact-only"]) == 0
    assert not stale.exists() and foreign.exists()
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE((ws / "out").stat().st_mode) == 0o777 & ~mask == stat.S_IMODE((ws / "gen").stat().st_mode)


def test_export_fences_name_the_code_language(ws):
    import json

    out = ws / "f2b.jsonl"
    assert main(["export", str(ws / "ds"), "--task", "forward-to-backward", "-o", str(out)]) == 0
    record = json.loads(out.read_text().splitlines()[0])
    user, assistant = record["messages"][-2]["content"], record["messages"][-1]["content"]
    assert "```cuda\n" in user and assistant.startswith("```cuda\n") and "```cpp" not in user + assistant


def test_progress_callbacks_cover_every_row(ws):
    from warpsynth.curate.export import export
    from warpsynth.curate.report import report
    from warpsynth.curate.validate import validate

    rows = len(base_rows())
    for call in (
        lambda p: validate(ws / "ds", progress=p),
        lambda p: report(ws / "ds", ws / "rep", progress=p),
        lambda p: export(ws / "ds", ws / "p.jsonl", task="python-to-cuda", progress=p),
    ):
        seen = []
        call(seen.append)
        assert sum(seen) == rows


def test_progress_is_off_when_stderr_is_not_a_terminal():
    from warpsynth.cli_options import progress_enabled

    assert progress_enabled(False) is sys.stderr.isatty()
    assert progress_enabled(True) is False


def test_library_errors_are_warpsynth_errors(ws):
    from warpsynth.curate.dedup import dedup

    with pytest.raises(WarpsynthError, match="--threshold"):
        dedup(ws / "ds", ws / "out", threshold=0)


def test_failed_tasks_are_a_partial_failure_exit_1(tmp_path, monkeypatch, capsys):
    from warpsynth.pipeline.task import ShardTask

    real_run = ShardTask.run

    def run(self, progress=None):
        if self.index == 1:
            raise RuntimeError("disk vanished")
        return real_run(self, progress)

    monkeypatch.setattr(ShardTask, "run", run)
    argv = ["generate", "-n", "4", "-o", str(tmp_path / "run"), "--shards", "2", "--workers", "0", "--no-progress", "--generator", SPEC]
    assert main(argv) == 1
    assert_one_line(capsys.readouterr().err, "1 of 2 task(s) failed (task 1: RuntimeError: disk vanished)")
    assert (tmp_path / "run" / "data" / "train-00000-of-00002.parquet").exists()  # the done task is kept

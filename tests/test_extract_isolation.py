"""extract over real files: one worker process per file (isolation, timeout, crashes), real
module names, sys.path restored, the output file's life cycle."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from warpsynth.cli import main
from warpsynth.dataset import read_rows
from warpsynth.extract.files import import_file, module_name_for
from warpsynth.extract.runner import extract_paths

KERNEL = '''
import warp as wp

@wp.kernel
def {name}(x: wp.array(dtype=float)):
    i = wp.tid()
    x[i] = x[i] + 1.0
'''


def test_a_hanging_import_is_killed_and_named(tmp_path):
    (tmp_path / "hangs.py").write_text("import time\ntime.sleep(60)\n")
    (tmp_path / "fine.py").write_text(KERNEL.format(name="fine"))
    report = extract_paths([tmp_path], workers=2, timeout=3, targets=("cpu",))
    [failure] = report.failures
    assert failure.line().startswith(f"{tmp_path.name}/hangs.py: import failed: timed out after 3 s")
    assert [r["kernel_name"] for r in report.rows] == ["fine"]


def test_a_crashing_import_is_contained(tmp_path):
    (tmp_path / "crash.py").write_text("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    (tmp_path / "zfine.py").write_text(KERNEL.format(name="zfine"))
    report = extract_paths([tmp_path], targets=("cpu",))
    [failure] = report.failures
    assert "crash.py: import failed: worker crashed (signal 11)" in failure.line()
    assert [r["kernel_name"] for r in report.rows] == ["zfine"]


def test_import_time_global_state_does_not_leak_between_files(tmp_path):
    (tmp_path / "registry.py").write_text("FLAGS = set()\ndef define(name):\n    assert name not in FLAGS, 'flag defined twice'\n    FLAGS.add(name)\n")
    for name in ("a_uses", "b_uses"):
        (tmp_path / f"{name}.py").write_text("import registry\nregistry.define('verbose')\n" + KERNEL.format(name=name))
    report = extract_paths([tmp_path], targets=("cpu",))
    assert report.failures == []
    assert [r["kernel_name"] for r in report.rows] == ["a_uses", "b_uses"]


def test_sibling_scripts_importing_each_other_give_each_kernel_once(tmp_path):
    (tmp_path / "lib.py").write_text(KERNEL.format(name="shared"))
    (tmp_path / "main.py").write_text("from lib import shared\n" + KERNEL.format(name="own"))
    report = extract_paths([tmp_path], workers=2, targets=("cpu",))
    assert sorted((r["source_file"], r["kernel_name"]) for r in report.rows) == [
        (f"{tmp_path.name}/lib.py", "shared"), (f"{tmp_path.name}/main.py", "own")]


def test_real_dotted_names_and_no_stdlib_shadowing(tmp_path):
    core = tmp_path / "top" / "_src" / "core"
    core.mkdir(parents=True)
    (tmp_path / "top" / "__init__.py").write_text("")
    (core / "__init__.py").write_text("")
    (core / "k.py").write_text("")
    assert module_name_for(core / "k.py") == ("top._src.core.k", tmp_path)
    (tmp_path / "loose").mkdir()
    math_py = tmp_path / "loose" / "math.py"
    math_py.write_text("VALUE = 42\n")
    before = list(sys.path)
    module = import_file(math_py)
    assert module.VALUE == 42 and module.__name__ != "math"
    import math

    assert math.pi > 3 and sys.path == before


def test_kernels_in_explicit_and_unique_modules_are_found(tmp_path):
    (tmp_path / "mods.py").write_text(
        "import warp as wp\nm = wp.Module('explicit_mod_test')\n\n"
        "@wp.kernel(module=m)\ndef in_explicit(x: wp.array(dtype=float)):\n    x[0] = 1.0\n\n"
        "@wp.kernel(module='unique')\ndef in_unique(x: wp.array(dtype=float)):\n    x[0] = 2.0\n"
    )
    report = extract_paths([tmp_path / "mods.py"], targets=("cpu",))
    assert sorted(r["kernel_name"] for r in report.rows) == ["in_explicit", "in_unique"]


def test_generic_kernel_without_overloads_is_reported_as_skipped(tmp_path, capsys):
    (tmp_path / "gen.py").write_text("from typing import Any\nimport warp as wp\n\n@wp.kernel\ndef g(x: wp.array(dtype=Any)):\n    x[0] = x[0]\n"
                                     + KERNEL.format(name="concrete"))
    report = extract_paths([tmp_path / "gen.py"], targets=("cpu",))
    assert report.failures == [] and report.generic_without_overloads == 1 and report.kernels_extracted == 1
    assert main(["extract", str(tmp_path / "gen.py"), "-o", str(tmp_path / "o.jsonl"), "--targets", "cpu"]) == 0
    assert "gen.py::g: skipped (generic kernel without wp.overload" in capsys.readouterr().err


def test_output_is_not_replaced_without_overwrite_nor_when_nothing_is_extracted(tmp_path, capsys):
    (tmp_path / "k.py").write_text(KERNEL.format(name="k"))
    (tmp_path / "empty.py").write_text("x = 1\n")
    out = tmp_path / "rows.jsonl"
    out.write_text("precious\n")
    assert main(["extract", str(tmp_path / "k.py"), "-o", str(out)]) == 2
    assert "rows.jsonl exists; pass --overwrite to replace it" in capsys.readouterr().err
    assert main(["extract", str(tmp_path / "empty.py"), "-o", str(out), "--overwrite"]) == 1
    assert "no kernels found" in capsys.readouterr().out
    assert out.read_text() == "precious\n"
    assert main(["extract", str(tmp_path / "k.py"), "-o", str(out), "--overwrite", "--targets", "cpu"]) == 0
    assert [r["kernel_name"] for r in read_rows(out)] == ["k"]
    assert not list(tmp_path.glob(".rows.jsonl.*"))  # no temp file left


def test_same_output_whatever_the_number_of_workers(tmp_path):
    for name in ("a", "b", "c", "d"):
        (tmp_path / f"{name}.py").write_text(KERNEL.format(name=name))
    one = extract_paths([tmp_path], workers=1, targets=("cpu",)).rows
    three = extract_paths([tmp_path], workers=3, targets=("cpu",)).rows
    assert one == three and [r["kernel_name"] for r in one] == ["a", "b", "c", "d"]


@pytest.mark.parametrize("bad, message", [(["--workers", "0"], "--workers: must be at least 1"), (["--cuda-arch", "smx"], "--cuda-arch: expected"),
                                          (["--timeout", "0"], "--timeout: must be a positive")])
def test_bad_options_are_one_line_errors(bad, message, tmp_path, capsys):
    (tmp_path / "k.py").write_text(KERNEL.format(name="k"))
    assert main(["extract", str(tmp_path / "k.py"), "-o", str(tmp_path / "o.jsonl"), *bad]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_full_disk_gives_one_line_and_no_partial_output(tmp_path, capsys, monkeypatch):
    import errno

    from warpsynth.dataset import io

    (tmp_path / "k.py").write_text(KERNEL.format(name="k"))
    out = tmp_path / "out" / "rows.parquet"

    def full(self, rows):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(io.ShardWriter, "_flush", full)
    assert main(["extract", str(tmp_path / "k.py"), "-o", str(out), "--targets", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "rows.parquet: disk full while writing; no output written" in err and "Traceback" not in err
    assert not out.exists() and not list(out.parent.glob(".rows.parquet.*"))


def test_progress_names_each_file(tmp_path):
    from warpsynth.extract.runner import extract_paths as run

    for name in ("a", "b"):
        (tmp_path / f"{name}.py").write_text(KERNEL.format(name=name))
    seen = []
    run([tmp_path], targets=("cpu",), on_file=lambda name, result: seen.append((name, result is None)))
    assert seen == [(f"{tmp_path.name}/a.py", True), (f"{tmp_path.name}/a.py", False), (f"{tmp_path.name}/b.py", True), (f"{tmp_path.name}/b.py", False)]


def test_identical_factory_kernels_are_counted_not_dropped_silently(tmp_path):
    (tmp_path / "twins.py").write_text(
        "import warp as wp\n\ndef make():\n    @wp.kernel\n    def twin(x: wp.array(dtype=float)):\n        x[0] = 1.0\n    return twin\n\na = make()\nb = make()\n"
    )
    report = extract_paths([tmp_path / "twins.py"], targets=("cpu",))
    assert report.kernels_found == 2 and report.kernels_extracted == 1 and report.identical == 1


def test_what_the_calling_process_imported_does_not_change_the_result():
    """Workers fork from a clean fork server, not from the caller: a caller that already imported
    ``warp.sparse`` (here, this test process) must not hide that module's kernels from a file using it."""
    import warp.sparse  # noqa: F401  (what an earlier test or a notebook may have done)

    case = Path(__file__).parent / "data" / "extract_cases" / "library_import"
    default = extract_paths([case], workers=1)
    assert [r["kernel_name"] for r in default.rows] == ["mine"] and default.library_left_out > 0
    included = extract_paths([case], workers=1, include_warp=True)
    assert {r["origin"] for r in included.rows} == {"extracted", "warp-library"}


def test_the_calling_scripts_own_imports_do_not_reach_the_workers(tmp_path):
    """multiprocessing re-imports a caller's ``__main__`` script in each child: a script that imports
    ``warp.sparse`` at its top must not put it into the workers (they are told nothing of ``__main__``)."""
    case = Path(__file__).parent / "data" / "extract_cases" / "library_import"
    script = tmp_path / "caller.py"
    script.write_text(
        "import sys\nimport warp.sparse  # noqa: F401\nfrom warpsynth.extract.runner import extract_paths\n"
        "if __name__ == '__main__':\n"
        "    report = extract_paths([sys.argv[1]], targets=('cpu',))\n"
        "    print('left_out', report.library_left_out, [r['kernel_name'] for r in report.rows])\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, str(script), str(case)], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    left_out = out.stdout.strip().splitlines()[-1].split()
    assert left_out[0] == "left_out" and int(left_out[1]) > 0, out.stdout

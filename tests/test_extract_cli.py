"""`warpsynth extract PATH... -o OUT`: real files, bad inputs, the shipped Warp examples."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import warp

from kernels_fixture import STRUCT_HELPERS, TWO_KERNELS
from warpsynth.cli import main
from warpsynth.dataset import read_rows
from warpsynth.extract.runner import extract_paths

BROKEN_CODEGEN = '''
import warp as wp


@wp.kernel
def fine(a: wp.array(dtype=float)):
    a[wp.tid()] = 1.0


@wp.kernel
def broken(a: wp.array(dtype=float)):
    a[wp.tid()] = wp.no_such_builtin(1.0)
'''


@pytest.fixture
def code_dir(tmp_path):
    root = tmp_path / "code"
    (root / "pkg").mkdir(parents=True)
    (root / "deform.py").write_text(STRUCT_HELPERS)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "two.py").write_text(TWO_KERNELS)
    (root / "pkg" / "uses_relative.py").write_text("from .two import first\n")
    (root / "syntax_error.py").write_text("def oops(:\n")
    (root / "needs_dep.py").write_text("import a_module_that_is_not_installed\n")
    (root / "typo.py").write_text("import nunpy\n")
    (root / "broken_codegen.py").write_text(BROKEN_CODEGEN)
    return root


def test_extract_folder_reports_failures_and_keeps_going(code_dir, tmp_path, capsys):
    out = tmp_path / "rows.jsonl"
    status = main(["extract", str(code_dir), "-o", str(out)])
    captured = capsys.readouterr()
    err = captured.err
    assert status == 1  # some failures
    rows = read_rows(out)
    assert sorted(r["kernel_name"] for r in rows) == ["deform", "fine", "first", "second"]
    assert "code/syntax_error.py: import failed: SyntaxError" in err
    assert "needs_dep.py: import failed" not in err  # a missing optional package is a skip, not a failure
    assert "skipped (needs a_module_that_is_not_installed)" in err
    # a name one letter from an installed module is a typo: a failure, not a skip
    assert "code/typo.py: import failed: ModuleNotFoundError: No module named 'nunpy' (did you mean numpy?)" in err
    assert "skipped (needs nunpy)" not in err
    assert "missing module nunpy" in " ".join(captured.out.split())  # the summary table row
    assert "code/broken_codegen.py::broken: codegen failed:" in err
    assert "no_such_builtin" in err
    assert "Traceback" not in err
    for row in rows:
        assert row["origin"] == "extracted" and row["cpu_forward"] and row["cuda_forward"]
        assert row["warp_version"] == "1.19.0"
    deform = next(r for r in rows if r["kernel_name"] == "deform")
    assert deform["source"] == STRUCT_HELPERS and deform["source_file"] == "code/deform.py"


def test_extract_parquet_with_ptx_and_summary(code_dir, tmp_path, capsys):
    out = tmp_path / "rows.parquet"
    assert main(["extract", str(code_dir / "deform.py"), "-o", str(out), "--ptx", "sm_75", "--targets", "cuda"]) == 0
    [row] = read_rows(out)
    assert row["cpu_forward"] is None and row["cuda_forward"]
    assert [p["arch"] for p in row["ptx"]] == ["sm_75"] and ".target sm_75" in row["ptx"][0]["text"]
    out = capsys.readouterr().out  # the summary is on stdout, as generate's
    assert "kernels extracted" in out and "files scanned" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["extract", "/no/such/place", "-o", "x.jsonl"], "error: /no/such/place: no such file or directory"),
        (["extract", "{code}/deform.py", "-o", "{tmp}/rows.csv"], "unknown output format"),
        (["extract", "{code}/deform.py", "-o", "{tmp}/r.jsonl", "--ptx", "sm_xx"], "--ptx: expected arch list"),
    ],
)
def test_bad_input_is_one_line_error(argv, message, code_dir, tmp_path, capsys):
    argv = [a.format(code=code_dir, tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not list(tmp_path.glob("r*.*"))


def test_cli_subprocess_has_no_traceback(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("raise RuntimeError('needs a GPU')\n")
    proc = subprocess.run(
        [sys.executable, "-m", "warpsynth.cli", "extract", str(bad), "-o", str(tmp_path / "o.jsonl")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert "bad.py: import failed: RuntimeError: needs a GPU" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_imported_file_cannot_change_warp_config_for_the_next(tmp_path):
    (tmp_path / "a_sets_config.py").write_text("import warp as wp\nwp.config.enable_backward = False\n")
    (tmp_path / "b_kernel.py").write_text(TWO_KERNELS)
    before = warp.config.enable_backward
    report = extract_paths([tmp_path])
    assert warp.config.enable_backward == before
    assert all(row["cpu_backward"] for row in report.rows)


@pytest.mark.slow
def test_shipped_warp_examples_extract_at_least_90_percent():
    examples = Path(warp.__file__).parent / "examples"
    report = extract_paths([examples], workers=2)
    assert report.files_imported >= 50
    rate = report.kernels_extracted / report.kernels_found
    assert rate >= 0.9, report.failures_by_reason()

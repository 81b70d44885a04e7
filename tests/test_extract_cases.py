"""Every case of tests/data/extract_cases (real-world patterns extract got wrong) gives, byte for
byte, what Warp itself compiles: the kernel-cache ``.cpp`` after a real CPU load and the ``.cu`` of
``wp.compile_aot_module(arch=[90])``, produced in a fresh process by tests/extract_truth.py."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from warpsynth import _warp
from warpsynth.curate.validate import validate
from warpsynth.dataset.io import write_rows
from warpsynth.dataset.rows import relative_code_paths
from warpsynth.extract.row import WARP_ROOT
from warpsynth.extract.runner import extract_paths

CASES = Path(__file__).parent / "data" / "extract_cases"
TRUTH = Path(__file__).parent / "extract_truth.py"
#: case -> (path given to extract, import specs ROOT:MODULE for the truth process)
SPECS = {
    "01": ("01_generic_overloads.py", [":01_generic_overloads"]),
    "02": ("02_static_closure_factory.py", [":02_static_closure_factory"]),
    "03": ("03_module_backward_off.py", [":03_module_backward_off"]),
    "05": ("05_wp_grad_custom_grad.py", [":05_wp_grad_custom_grad"]),
    "09": ("09_tile_rowsum.py", [":09_tile_rowsum"]),  # MathDx tile_matmul: ~60 s, LTO linking in the AOT
    "15": ("15_debug_mode_config.py", [":15_debug_mode_config"]),
    "16": ("16_block_sum_tile.py", [":16_block_sum_tile"]),
    "bwpkg": ("module_backward_off_pkg", ["module_backward_off_pkg:bwpkg.nobw"]),
    "namespace": ("namespace_pkg", ["namespace_pkg:top", "namespace_pkg:top._src.core.k3"]),
    "library": ("library_import", ["library_import:uses_sparse"]),
}


def warp_truth(cases: Path, tmp: Path, specs: list[str]) -> dict:
    out = tmp / "truth.json"
    args = [f"{cases / root}:{name}" for root, name in (s.split(":") for s in specs)]
    lto = Path(_warp.kernel_cache_dir()) / "lto"
    lto.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, str(TRUTH), str(tmp / "cache"), str(lto), str(out), *args], check=True, timeout=600)
    return json.loads(out.read_text())


_FUNCTION_START = re.compile(r"^(?=// \S[^\n]*:\d+$)", re.MULTILINE)


def _chunks(text: str) -> list[str]:
    """Helper functions one by one (each starts with Warp's ``// path:line`` comment), blank lines
    between them dropped."""
    return [c.strip("\n") for c in _FUNCTION_START.split(text) if c.strip("\n")]


def _declarations(rows: list[dict]) -> str:
    """The module's LTO declaration block from its rows' (Warp: every symbol, sorted)."""
    lines = sorted({line for r in rows for line in (r["cuda_declarations"] or "").splitlines()[2:-1]})
    return "#define WP_LTO_LINK_INPUTS 1\nextern \"C\" {\n" + "".join(f"{line}\n" for line in lines) + "}\n" if lines else ""


def check_module_text(rows: list[dict], text: str, target: str) -> None:
    """``text`` (Warp's module source) is exactly the rows' pieces: kernel blocks in Warp's order at the
    end, the header, declarations and structs first, and the helper functions of all rows between."""
    entry = "cpu_entry" if target == "cpu" else None
    order = sorted(rows, key=lambda r: text.index(f"{r['mangled_name']}_{target}_kernel_forward"))
    kernels = "".join(r[f"{target}_forward"] + r[f"{target}_backward"] + (r[entry] if entry else "") for r in order)
    assert text.endswith(kernels)
    head = text[: len(text) - len(kernels)]
    block_dim = json.loads(rows[0]["options"])["block_dim"][target]
    decls = _declarations(rows) if target == "cuda" else ""
    prefix = _warp.module_preamble(target, block_dim, text) + decls + rows[0]["structs"]
    if len(rows) == 1 or len({r[f"{target}_helpers"] for r in rows}) == 1:
        assert head == prefix + (rows[0][f"{target}_helpers"] or "")
        return
    head_chunks = _chunks(head)
    assert head.startswith(_warp.module_preamble(target, block_dim, text))
    helper_chunks = head_chunks[1:] if _FUNCTION_START.search(head) else []
    union = set()
    for row in rows:
        mine = _chunks(row[f"{target}_helpers"] or "")
        assert [c for c in helper_chunks if c in mine] == mine  # same text, in Warp's order
        union.update(mine)
        assert row["structs"] in head_chunks[0]
    assert set(helper_chunks) == union


SLOW = {"09"}  # MathDx: a cold LTO cache costs ~40 s; extracted in its own (slow) test


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Rows of all cases but the slow ones from one run with 2 workers."""
    tmp = tmp_path_factory.mktemp("cases")
    work = tmp / "extract_cases"
    shutil.copytree(CASES, work)
    report = extract_paths([work / path for case, (path, _) in SPECS.items() if case not in SLOW], workers=2, cuda_arch=90)
    return work, report


def _rows_of(report, path: str) -> list[dict]:
    return [r for r in report.rows if r["source_file"].startswith(Path(path).name)]


@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.slow) if c in SLOW else c for c in sorted(SPECS)])
def test_case_is_byte_identical_to_warp(case, extracted, tmp_path):
    work, report = extracted
    path, specs = SPECS[case]
    if case in SLOW:
        report = extract_paths([work / path], cuda_arch=90)
    truth = warp_truth(work, tmp_path, specs)
    rows = _rows_of(report, path)
    assert truth and rows
    covered = set()
    for name, entry in truth.items():
        mine = [r for r in rows if f"{r['mangled_name']}_cpu_kernel_forward" in entry["cpp"]]
        assert mine, f"no rows for Warp module {name}"
        covered.update(r["id"] for r in mine)
        # Warp's text with its absolute helper paths written from the extraction root (the rows' rule)
        roots = [str(work.resolve()), WARP_ROOT]
        check_module_text(mine, relative_code_paths(entry["cpp"], roots), "cpu")
        check_module_text(mine, relative_code_paths(entry.get("cu") or entry["cu_codegen"], roots), "cuda")
    assert covered == {r["id"] for r in rows}  # no row that Warp does not build
    if case == "09":
        tile = next(r for r in rows if r["kernel_name"] == "small_matmul")
        assert json.loads(tile["options"])["block_dim"] == {"cpu": 1, "cuda": 64} and json.loads(tile["options"])["cuda_arch"] == 90
        assert "dot_8_8_8_90_64_" in tile["cuda_forward"] and "dot_8_8_8_90_64_" in tile["cuda_declarations"]


def test_validate_accepts_every_row_extract_writes(extracted, tmp_path):
    _, report = extracted
    root = tmp_path / "ds"
    write_rows(report.rows, root / "data" / "train-00000-of-00001.parquet")
    result = validate(root)
    assert result.ok, result.table()
    assert result.rows == len(report.rows) == report.kernels_extracted


def test_same_tree_at_another_path_gives_the_same_ids(extracted, tmp_path):
    work, report = extracted
    other = tmp_path / "somewhere" / "else" / "extract_cases"
    shutil.copytree(CASES, other)
    again = extract_paths([other / p for c, (p, _) in SPECS.items() if c not in SLOW], workers=1, cuda_arch=90)
    first = {(r["source_file"], r["mangled_name"]): r["id"] for r in report.rows}
    second = {(r["source_file"], r["mangled_name"]): r["id"] for r in again.rows}
    assert second and all(first[k] == v for k, v in second.items())
    # and the same code: Warp's absolute helper paths are written from the extraction root
    helpers = [r["cpu_helpers"] for r in again.rows if r["cpu_helpers"]]
    assert helpers and not any(str(other) in h or str(work) in h for h in helpers)
    assert any("\n// 05_wp_grad_custom_grad.py:" in h for h in helpers)
    code = lambda rows: {(r["source_file"], r["mangled_name"]): (r["cpu_helpers"], r["cuda_helpers"], r["cpu_forward"]) for r in rows}
    assert code(again.rows) == {k: v for k, v in code(report.rows).items() if k in code(again.rows)}


def test_rows_carry_effective_options_provenance_and_origin(extracted):
    _, report = extracted
    by_name = {(Path(r["source_file"]).name, r["kernel_name"]): r for r in report.rows}
    opts = {k: json.loads(r["options"]) for k, r in by_name.items()}
    assert opts[("03_module_backward_off.py", "square_grad_on")]["enable_backward"] is True
    assert opts[("03_module_backward_off.py", "square_inherit")]["enable_backward"] is False
    assert by_name[("03_module_backward_off.py", "square_inherit")]["cpu_backward"] == ""
    assert opts[("nobw.py", "fwd_only")]["enable_backward"] is False
    assert opts[("15_debug_mode_config.py", "add_one")]["mode"] == "debug"
    # every row once, sources relative to the given path, the whole defining file as source
    assert sorted(r["source_file"] for r in report.rows if "namespace_pkg" in r["source_file"]) == [
        "namespace_pkg/top/_src/core/k.py", "namespace_pkg/top/_src/core/k2.py", "namespace_pkg/top/_src/core/k3.py"]
    assert [r["kernel_name"] for r in report.rows if "library_import" in r["source_file"]] == ["mine"]
    for row in report.rows:
        assert row["source"] == (CASES / row["source_file"]).read_text()
        assert row["source"].splitlines()[row["source_line"] - 1].lstrip().startswith("@wp.")
        assert row["origin"] == "extracted"
    overloads = [r for r in report.rows if r["kernel_name"] == "mul_by"]
    assert len(overloads) == 3 and {r["source_line"] for r in overloads} == {11}
    assert report.library_left_out > 0 and report.failures == []


def test_warp_library_kernels_only_on_request(tmp_path):
    report = extract_paths([CASES / "library_import"], include_warp=True, targets=("cpu",))
    origins = {r["origin"] for r in report.rows}
    assert origins == {"extracted", "warp-library"}
    lib = [r for r in report.rows if r["origin"] == "warp-library"]
    assert all(r["source_file"].startswith("warp/") and r["license"] == "Apache-2.0" for r in lib)


def test_relative_code_paths_rewrites_only_warps_path_comments():
    text = ("\n// /home/me/proj/code/a.py:12\nstatic int f() {}\n"
            "    // x = a / b:3                                 <L 4>\n"
            '#line 7 "/home/me/proj/code/a.py"\n'
            f"// {WARP_ROOT}/warp/_src/fem/x.py:9\n// /elsewhere/lib/b.py:5\n// <warpsynth_src_ab>:3\n")
    out = relative_code_paths(text, ["/home/me/proj", WARP_ROOT])
    assert out == ("\n// code/a.py:12\nstatic int f() {}\n"
                   "    // x = a / b:3                                 <L 4>\n"
                   '#line 7 "code/a.py"\n'
                   "// warp/_src/fem/x.py:9\n// b.py:5\n// <warpsynth_src_ab>:3\n")

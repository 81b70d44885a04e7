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


_FUNCTION_START = re.compile(r"^(?=// /)", re.MULTILINE)


def _chunks(text: str) -> list[str]:
    """Helper functions one by one (each starts with Warp's ``// /path:line`` comment), blank lines
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
    helper_chunks = head_chunks[1:] if head.count("// /") else []
    union = set()
    for row in rows:
        mine = _chunks(row[f"{target}_helpers"] or "")
        assert [c for c in helper_chunks if c in mine] == mine  # same text, in Warp's order
        union.update(mine)
        assert row["structs"] in head_chunks[0]
    assert set(helper_chunks) == union


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Rows of all cases from one run with 2 workers."""
    tmp = tmp_path_factory.mktemp("cases")
    work = tmp / "extract_cases"
    shutil.copytree(CASES, work)
    report = extract_paths([work / path for path, _ in SPECS.values()], workers=2, cuda_arch=90)
    return work, report


def _rows_of(report, path: str) -> list[dict]:
    return [r for r in report.rows if r["source_file"].startswith(Path(path).name)]


@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.slow) if c == "09" else c for c in sorted(SPECS)])
def test_case_is_byte_identical_to_warp(case, extracted, tmp_path):
    work, report = extracted
    path, specs = SPECS[case]
    truth = warp_truth(work, tmp_path, specs)
    rows = _rows_of(report, path)
    assert truth and rows
    covered = set()
    for name, entry in truth.items():
        mine = [r for r in rows if f"{r['mangled_name']}_cpu_kernel_forward" in entry["cpp"]]
        assert mine, f"no rows for Warp module {name}"
        covered.update(r["id"] for r in mine)
        check_module_text(mine, entry["cpp"], "cpu")
        check_module_text(mine, entry.get("cu") or entry["cu_codegen"], "cuda")
    assert covered == {r["id"] for r in rows}  # no row that Warp does not build

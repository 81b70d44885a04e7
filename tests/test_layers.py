"""The layer contract (pyproject.toml, [tool.importlinter]) holds, and it would catch a back-import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = str(Path(sys.executable).with_name("lint-imports"))


def lint(src: Path, config: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([LINT, "--config", str(config), "--no-cache"], cwd=config.parent, env=env,
                          capture_output=True, text=True, timeout=300)


def test_every_layer_imports_only_downwards():
    result = lint(ROOT / "src", ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_a_back_import_breaks_the_contract(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "warpsynth", src / "warpsynth", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    io = src / "warpsynth" / "dataset" / "io.py"
    io.write_text(io.read_text() + "\nfrom warpsynth.pipeline import config as _back_arrow  # noqa: E402,F401\n")
    result = lint(src, tmp_path / "pyproject.toml")
    assert result.returncode == 1
    assert "warpsynth.dataset is not allowed to import warpsynth.pipeline" in result.stdout

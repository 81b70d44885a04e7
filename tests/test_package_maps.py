"""Every module is named in its package's docstring (the map a newcomer reads first), and every
package in README's layout table (issue 17: the layout section matches the tree)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "warpsynth"
README = Path(__file__).resolve().parents[1] / "README.md"
PACKAGES = sorted(p.parent for p in SRC.rglob("__init__.py") if p.parent != SRC)


def _modules(package: Path) -> list[str]:
    files = [p.stem for p in package.glob("*.py") if p.name != "__init__.py"]
    return files + [p.name for p in package.iterdir() if (p / "__init__.py").is_file()]


@pytest.mark.parametrize("package", PACKAGES, ids=[p.relative_to(SRC).as_posix() for p in PACKAGES])
def test_package_docstring_names_every_module(package):
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text())) or ""
    missing = [m for m in _modules(package) if not re.search(rf"\b{re.escape(m)}\b", doc)]
    assert missing == [], f"{package.relative_to(SRC)}/__init__.py docstring does not name {missing}"


def test_readme_layout_names_every_top_level_module_and_package():
    text = README.read_text()
    layout = text[text.index("## Development"):]
    entries = [p.name + "/" if p.is_dir() else p.name for p in SRC.iterdir()
               if not p.name.startswith("__") and (p.suffix == ".py" or (p / "__init__.py").is_file())]
    missing = [e for e in entries if f"`{e}" not in layout]
    assert missing == []

"""Licenses: SPDX ids from a project's metadata or LICENSE file, and the --license allow-list
of export and split."""

from __future__ import annotations

import json

import pytest

from test_curate_support import base_rows, run_cli, write_dataset
from warpsynth.curate.export import export
from warpsynth.curate.licenses import parse_allow_list
from warpsynth.curate.split import split
from warpsynth.errors import WarpsynthError
from warpsynth.extract.license import UNKNOWN, license_of_folder, spdx_from_text

MIT = "MIT License\n\nCopyright (c) 2024 Someone\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\nof this software"


@pytest.mark.parametrize(
    "files, expected",
    [
        ({"pyproject.toml": '[project]\nname = "p"\nlicense = "BSD-3-Clause"\n'}, "BSD-3-Clause"),
        ({"pyproject.toml": '[project]\nname = "p"\nlicense = {text = "Apache 2.0"}\n'}, "Apache-2.0"),
        ({"pyproject.toml": '[project]\nname = "p"\nlicense = {file = "LICENSE"}\n', "LICENSE": MIT}, "MIT"),
        ({"setup.cfg": "[metadata]\nname = p\nlicense = MPL-2.0\n"}, "MPL-2.0"),
        ({"LICENSE.txt": "GNU GENERAL PUBLIC LICENSE\n   Version 3, 29 June 2007\n"}, "GPL-3.0"),
        ({"pyproject.toml": '[project]\nname = "p"\n', "LICENSE": "All rights reserved."}, UNKNOWN),
        ({"setup.py": ""}, UNKNOWN),
    ],
)
def test_license_of_a_project(tmp_path, files, expected):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    assert license_of_folder(tmp_path / "src" / "pkg") == expected


def test_license_texts():
    assert spdx_from_text(MIT) == "MIT"
    assert spdx_from_text("Apache License\n                           Version 2.0, January 2004") == "Apache-2.0"
    assert spdx_from_text("proprietary") == UNKNOWN


@pytest.fixture(scope="module")
def licensed(tmp_path_factory):
    rows = base_rows()[:6]
    for i, row in enumerate(rows):
        row["license"] = ["MIT", "GPL-3.0", None][i % 3]
    return write_dataset(tmp_path_factory.mktemp("lic") / "ds", rows), rows


def test_export_keeps_only_allowed_licenses(licensed, tmp_path):
    root, rows = licensed
    out = tmp_path / "t.jsonl"
    result = export(root, out, task="python-to-cpp", licenses="mit,unknown")
    kept = {json.loads(line)["id"] for line in out.read_text().splitlines()}
    assert kept == {r["id"] for r in rows if r["license"] in ("MIT", None)}
    assert result["dropped_by_license"] == 2
    code, stdout, _ = run_cli(["export", str(root), "--task", "python-to-cpp", "-o", str(tmp_path / "c.jsonl"), "--license", "GPL-3.0"])
    assert code == 0 and "2 examples" in stdout


def test_split_keeps_only_allowed_licenses(licensed, tmp_path):
    root, rows = licensed
    summary = split(root, tmp_path / "out", val=0.2, test=0.2, licenses=["MIT"])
    assert sum(summary["rows"].values()) == 2 and summary["dropped_by_license"] == 4
    code, _, _ = run_cli(["split", str(root), "-o", str(tmp_path / "out2"), "--license", "mit"])
    assert code == 0
    code, _, err = run_cli(["split", str(root), "-o", str(tmp_path / "out3"), "--license", "NOPE-1.0"])
    assert code == 2 and "nothing written" in err and not (tmp_path / "out3").exists()


def test_generated_rows_carry_the_cards_license(tmp_path):
    from warpsynth.dataset.folder import GENERATED_LICENSE
    from warpsynth.dataset.io import read_rows
    from warpsynth.pipeline import generate

    generate(4, tmp_path / "ds", workers=0, progress=False)
    rows = [r for f in sorted((tmp_path / "ds" / "data").iterdir()) for r in read_rows(f)]
    assert rows and {r["license"] for r in rows} == {GENERATED_LICENSE}
    assert "license: apache-2.0" in (tmp_path / "ds" / "README.md").read_text()


def test_empty_allow_list_is_an_error():
    with pytest.raises(WarpsynthError, match="--license"):
        parse_allow_list(" , ")

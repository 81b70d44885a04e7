"""warpsynth report: self-contained HTML (embedded PNG plots) + Markdown; renders in Chromium when present."""

from __future__ import annotations

import base64
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from test_curate_support import all_rows, run_cli, truncate, write_dataset
from warpsynth.curate.report import report
from warpsynth.dataset import folder
from warpsynth.errors import WarpsynthError


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.images, self.h2, self.text, self._in_h2 = [], [], [], [], False
        self.external = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "img":
            self.images.append(a.get("src", ""))
        if tag in ("script", "link") or (tag == "img" and not a.get("src", "").startswith("data:")):
            self.external.append(tag)
        self._in_h2 = tag == "h2"

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if self._in_h2:
            self.h2.append(data)
        self.text.append(data)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("report") / "ds", all_rows(), shards=2)


@pytest.fixture(scope="module")
def rendered(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("rendered")
    return out, report(dataset, out)


def test_html_and_markdown(tmp_path, dataset, rendered):
    out, paths = rendered
    html_text = (out / "report.html").read_text()
    p = _Collect()
    p.feed(html_text)
    assert p.external == []  # self-contained
    for title in ("Overview", "Categories and features", "Source and code lengths", "Python : generated code size", "Builtin and type coverage", "Verification", "Run throughput"):
        assert title in p.h2
    assert len(p.images) == paths["images"] >= 6
    for src in p.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    text = " ".join(p.text)
    assert "16" in text and "elementwise" in text and "No run statistics" in text
    md = (out / "report.md").read_text()
    assert md.startswith("# warpsynth dataset report") and "| rows | 16 |" in md and "| elementwise | 4 | 25.0% |" in md
    assert "| python | tokens |" in md
    # deterministic: same input, same bytes
    report(dataset, tmp_path / "r2")
    assert (tmp_path / "r2" / "report.html").read_bytes() == html_text.encode()


def test_renders_in_chromium(tmp_path, rendered):
    out, _ = rendered
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("no Chromium: the HTML was checked with html.parser in test_html_and_markdown")
    shot = tmp_path / "shot.png"
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--screenshot={shot}", "--window-size=1280,2000", f"file://{out / 'report.html'}"],
        check=True, capture_output=True, timeout=120,
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000  # a blank page compresses to a few KB


def test_cli_default_location_and_bad_inputs(tmp_path, dataset):
    root = tmp_path / "ds"
    shutil.copytree(dataset, root)
    code, out, _ = run_cli(["report", str(root)])
    assert code == 0 and (root / "_report" / "report.html").exists() and (root / "_report" / "report.md").exists()
    with pytest.raises(WarpsynthError, match="no such dataset folder"):
        report(tmp_path / "missing", tmp_path / "r")
    truncate(folder.shard_path(root, "train", 0, 2))
    with pytest.raises(WarpsynthError, match="train-00000-of-00002.parquet"):
        report(root, tmp_path / "r3")
    assert not (tmp_path / "r3").exists()

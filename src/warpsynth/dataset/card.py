"""The card of a folder that curation rewrote: its ``configs`` updated and the curation step
and its Markdown section appended (written with ``folder.write_card``)."""

from __future__ import annotations

import os
from pathlib import Path

from warpsynth.dataset import folder
from warpsynth.dataset.io import iter_batches


def card_body(root: str | os.PathLike) -> str:
    """The card's Markdown after its front matter ('' when there is no card)."""
    path = Path(root) / folder.CARD_FILE
    if not path.exists():
        return ""
    text = path.read_text(encoding="utf-8")
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        text = text[end + 5 :] if end >= 0 else ""
    return text.strip("\n")


_CURATION_HEADING = "## Curation"


def update_card(source: Path, dest: Path, *, splits: dict[str, list[str]], num_rows: int, step: dict | None, section: str) -> None:
    """Write ``dest``'s card from ``source``'s: new ``configs``, the curation step appended."""
    meta = folder.read_card(source)
    ws = dict(meta.get("warpsynth") or {})
    warp_version = ws.pop("warp_version", None) or _first_warp_version(dest)
    ws.pop("num_rows", None)
    generator_config = ws.pop("generator_config", None)
    steps = list(ws.pop("curation", None) or [])
    if step is not None:
        steps.append(step)
    if steps:
        ws["curation"] = steps
    body = card_body(source)
    cut = body.find(_CURATION_HEADING)
    if cut >= 0:
        body = body[:cut].rstrip()
    if not body:
        body = f"# {meta.get('pretty_name', 'warpsynth Warp kernels')}\n\nWarp Python kernels paired with the C++/CUDA code Warp generates."
    previous = card_body(source)
    sections = previous[previous.find(_CURATION_HEADING) + len(_CURATION_HEADING) :].strip("\n") if _CURATION_HEADING in previous else ""
    if section:
        sections = (sections + "\n\n" + section.strip()).strip()
    text = body + ("\n\n" + _CURATION_HEADING + "\n\n" + sections if sections else "")
    folder.write_card(
        dest,
        splits=splits,
        num_rows=num_rows,
        warp_version=warp_version or "unknown",
        summary_markdown=text,
        generator_config=generator_config,
        pretty_name=meta.get("pretty_name", "warpsynth Warp kernels"),
        extra=ws or None,
    )


def _first_warp_version(root: Path) -> str | None:
    for path in sorted((root / folder.DATA_DIR).glob("*.parquet")):
        for batch in iter_batches(path, columns=["warp_version"]):
            for value in batch.column(0).to_pylist():
                if value:
                    return value
    return None

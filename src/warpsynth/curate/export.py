"""``warpsynth export DIR --task T --format chat|completion -o FILE``: training JSONL.

``chat`` lines are ``{"id", "messages": [{"role", "content"}...]}`` (the
OpenAI / Hugging Face chat shape: system when the template has one, user,
assistant); ``completion`` lines are ``{"id", "prompt", "completion"}`` where
the prompt is the system and user texts joined by a blank line. Rows that lack
what a task needs (no CUDA code for python-to-cuda, no backward for
forward-to-backward...) are skipped and counted. The file is written atomically.
"""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path
from typing import Callable, Iterator

from warpsynth.curate.licenses import license_allowed, parse_allow_list
from warpsynth.curate.templates import TASKS, load_templates
from warpsynth.curate.text import python_text
from warpsynth.dataset.io import check_output_file, write_jsonl
from warpsynth.dataset.shards import check_dataset, iter_rows
from warpsynth.errors import WarpsynthError

FORMATS = ("chat", "completion")
NEEDS = {
    "python-to-cuda": ("cuda",),
    "python-to-cpp": ("cpp",),
    "forward-to-backward": ("forward", "backward"),
    "cuda-to-python": ("cuda",),
}


def fields(row: dict) -> dict[str, str]:
    """Template fields of one row (see ``templates``)."""

    def code(*cols: str) -> str:
        return "".join(row.get(c) or "" for c in cols).strip("\n")

    cuda_fwd, cuda_bwd = code("cuda_forward"), code("cuda_backward")
    cpu_fwd, cpu_bwd = code("cpu_forward"), code("cpu_backward")
    use_cuda = bool(cuda_fwd and cuda_bwd)
    return {
        "python": python_text(row).strip("\n"),
        "kernel_name": row.get("kernel_name") or "",
        "cuda": code("structs", "cuda_helpers", "cuda_forward") if cuda_fwd else "",
        "cpp": code("structs", "cpu_helpers", "cpu_forward") if cpu_fwd else "",
        "cuda_forward": cuda_fwd,
        "cuda_backward": cuda_bwd,
        "cpu_forward": cpu_fwd,
        "cpu_backward": cpu_bwd,
        "forward": cuda_fwd if use_cuda else cpu_fwd,
        "backward": cuda_bwd if use_cuda else cpu_bwd,
        "lang": "CUDA" if use_cuda else "C++",
        "fence": "cuda" if use_cuda else "cpp",
    }


def render(row: dict, task: str, fmt: str, templates: dict) -> dict | None:
    """One JSONL record for ``row``, or None when the row lacks what ``task`` needs."""
    f = fields(row)
    if not f["python"] or any(not f[k] for k in NEEDS[task]):
        return None
    t = templates[task]
    system = t.get("system", "").format(**f)
    user = t["user"].format(**f)
    assistant = t["assistant"].format(**f)
    if fmt == "chat":
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": user},
            {"role": "assistant", "content": assistant},
        ]
        return {"id": row["id"], "messages": messages}
    prompt = f"{system}\n\n{user}" if system else user
    return {"id": row["id"], "prompt": prompt + "\n\n", "completion": assistant}


def export(
    root: str | Path,
    out: str | Path,
    *,
    task: str,
    fmt: str = "chat",
    splits: list[str] | None = None,
    templates: str | Path | None = None,
    licenses: str | list[str] | None = None,
    overwrite: bool = False,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Write ``task`` examples of ``root`` (optionally only some splits) to JSONL ``out``; returns counts.

    An existing ``out`` is replaced only with ``overwrite`` (WarpsynthError otherwise), and
    only once the new file is complete. ``progress(rows)`` is called per batch read.
    ``licenses``: an SPDX allow-list (``"MIT,Apache-2.0"``); other rows are left out and
    counted in ``dropped_by_license``.
    """
    allow = parse_allow_list(licenses)
    if task not in TASKS:
        raise WarpsynthError(f"--task {task!r}: choose from {', '.join(TASKS)}")
    if fmt not in FORMATS:
        raise WarpsynthError(f"--format {fmt!r}: choose from {', '.join(FORMATS)}")
    out = Path(out)
    if out.suffix not in (".jsonl", ".json"):
        raise WarpsynthError(f"{out}: export writes JSON lines, name it *.jsonl")
    check_output_file(out, overwrite)
    tmpl = load_templates(templates)
    shards = check_dataset(root)
    if splits:
        missing = [s for s in splits if s not in {sh.split for sh in shards}]
        if missing:
            raise WarpsynthError(f"{root}: no split {missing[0]!r} (has {', '.join(sorted({sh.split for sh in shards}))})")
        shards = [sh for sh in shards if sh.split in splits]
    counts: Counter = Counter()

    def records() -> Iterator[dict]:
        for shard, batch in iter_rows(root, None, shards):
            if progress:
                progress(batch.num_rows)
            for row in batch.to_pylist():
                if not license_allowed(row.get("license"), allow):
                    counts["license"] += 1
                    continue
                rec = render(row, task, fmt, tmpl)
                if rec is None:
                    counts["skipped"] += 1
                    continue
                counts["written"] += 1
                counts[f"split:{shard.split}"] += 1
                yield rec

    records_list = records()
    first = next(records_list, None)
    if first is None:  # nothing to write: leave an existing file as it is
        raise WarpsynthError(f"{root}: no row has what task {task} needs ({counts['skipped']} rows skipped, {counts['license']} by license); nothing written")
    write_jsonl(itertools.chain([first], records_list), out)
    return {"task": task, "format": fmt, "file": str(out), "written": counts["written"], "skipped": counts["skipped"], "dropped_by_license": counts["license"], "splits": {k[6:]: v for k, v in counts.items() if k.startswith("split:")}}

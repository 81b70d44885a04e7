"""Pass rates per verification level and per category for a generated dataset folder.

    python -m warpsynth.verify.report DATASET [--json out.json]

Reads the rows (``data/**/*.parquet|jsonl``: ``verify_level``, ``differentiable``,
``category``) and the rejects (``_run/rejects.jsonl``: ``seed``, ``stage``,
``reason``, ``category``). A row at level L passed every level up to L; a reject at stage S
passed the levels before S and failed S. The grad level applies to differentiable
kernels only (rows with ``differentiable`` true, and grad rejects). A reject's
category is the one the pipeline recorded with it (``?`` when generation itself failed).
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import sys

from warpsynth.dataset.levels import LEVELS, level_index
from warpsynth.dataset.run_layout import REJECTS_FILE, TASK_REJECTS, TASKS_DIR, run_dir

#: reject stage -> index of the level it failed (stages before verification fail codegen)
_STAGE_LEVEL = {"extract": 0, "generate": 0, "race": 0} | {level: level_index(level) for level in LEVELS}


def _rows(folder: str) -> list[dict]:
    cols = ["verify_level", "differentiable", "category", "seed", "grad_max_rel_err"]
    rows: list[dict] = []
    for path in sorted(glob.glob(os.path.join(folder, "data", "**", "*.parquet"), recursive=True)):
        import pyarrow.parquet as pq

        rows.extend(pq.read_table(path, columns=cols).to_pylist())
    for path in sorted(glob.glob(os.path.join(folder, "data", "**", "*.jsonl"), recursive=True)):
        with open(path) as f:
            rows.extend({c: json.loads(line).get(c) for c in cols} for line in f if line.strip())
    return rows


def _rejects(folder: str) -> list[dict]:
    path = os.path.join(run_dir(folder), REJECTS_FILE)
    # a run still in progress has only its finished tasks' reject files
    paths = [path] if os.path.exists(path) else sorted((run_dir(folder) / TASKS_DIR).glob("*" + TASK_REJECTS))
    out = []
    for p in paths:
        with open(p) as f:
            out.extend(json.loads(line) for line in f if line.strip())
    return out


def summarize(folder: str) -> dict:
    rows, rejects = _rows(folder), _rejects(folder)
    for r in rejects:  # the pipeline records each reject's category when it is made
        r["category"] = r.get("category") or "?"
    # outcomes: (category, highest level passed index or -1, failed level index or None, grad applies)
    outcomes = []
    unchecked = 0
    for row in rows:
        level = LEVELS.index(row["verify_level"] or "codegen")
        # grad applies where a gradient was compared (or failed); a differentiable kernel whose
        # finite differences found no smooth point is counted apart, not as a pass or a fail
        checked = level == 3 or (bool(row["differentiable"]) and row.get("grad_max_rel_err") is not None)
        if bool(row["differentiable"]) and not checked:
            unchecked += 1
        outcomes.append((row["category"] or "?", level, None, checked))
    for r in rejects:
        failed = _STAGE_LEVEL.get(r.get("stage"), 1)
        outcomes.append((r.get("category", "?"), failed - 1, failed, failed == 3))

    def table(items) -> dict:
        out = {}
        for li, level in enumerate(LEVELS):
            applies = [o for o in items if (li != 3 or o[3]) and (o[1] >= li or o[2] == li)]
            passed = sum(1 for o in applies if o[1] >= li)
            out[level] = {"applies": len(applies), "passed": passed, "rate": round(passed / len(applies), 4) if applies else None}
        fine = sum(1 for o in items if o[2] is None)
        out["all_applicable"] = {"samples": len(items), "passed": fine, "rate": round(fine / len(items), 4) if items else None}
        return out

    by_cat = collections.defaultdict(list)
    for o in outcomes:
        by_cat[o[0]].append(o)
    reasons = collections.Counter(f"{r.get('stage')}: {' '.join(str(r.get('reason', '')).split())[:90]}" for r in rejects)
    errs = [row["grad_max_rel_err"] for row in rows if row.get("grad_max_rel_err") is not None]
    return {
        "folder": folder,
        "samples": len(outcomes),
        "rows": len(rows),
        "rejects": len(rejects),
        "levels": table(outcomes),
        "categories": {c: table(v) for c, v in sorted(by_cat.items())},
        "top_reject_reasons": reasons.most_common(15),
        "differentiable_without_smooth_fd_point": unchecked,
        "grad_max_rel_err": {"rows": len(errs), "max": max(errs) if errs else None,
                             "median": sorted(errs)[len(errs) // 2] if errs else None},
    }


def _fmt(t: dict) -> str:
    def cell(level):
        e = t[level]
        return "-" if not e["applies"] else f"{e['passed']}/{e['applies']} ({100 * e['rate']:.1f}%)"

    a = t["all_applicable"]
    return " | ".join([cell(lv) for lv in LEVELS] + [f"{a['passed']}/{a['samples']} ({100 * a['rate']:.1f}%)" if a["samples"] else "-"])


def render(summary: dict) -> str:
    lines = [
        f"{summary['samples']} samples: {summary['rows']} rows, {summary['rejects']} rejects",
        "",
        "| category | codegen | compile | run | grad | cuda | every applicable level |",
        "|---|---|---|---|---|---|---|",
        f"| **all** | {_fmt(summary['levels'])} |",
    ]
    for cat, t in summary["categories"].items():
        lines.append(f"| {cat} | {_fmt(t)} |")
    lines += [
        "",
        "grad applies to differentiable kernels only; a cell is passed/applies. Differentiable rows whose "
        f"finite differences found no smooth point (not counted under grad): {summary['differentiable_without_smooth_fd_point']}",
        "",
    ]
    g = summary["grad_max_rel_err"]
    if g["rows"]:
        lines.append(f"grad_max_rel_err over {g['rows']} rows: median {g['median']:.3g}, max {g['max']:.3g}")
    if summary["top_reject_reasons"]:
        lines += ["", "top reject reasons:"]
        lines += [f"  {n:5d}  {reason}" for reason, n in summary["top_reject_reasons"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="verification pass rates of a dataset folder")
    ap.add_argument("folder")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    summary = summarize(args.folder)
    print(render(summary))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

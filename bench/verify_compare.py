"""Old path (commit 6744e99) vs this tree: verify rates per level and the decisions, same samples.

    .venv/bin/python bench/verify_compare.py -n 32 [--seed0 0] [--levels run,grad] [--chunk 64]
        [--old-commit 6744e99] [--old-src DIR] [--keep DIR]
    .venv/bin/python bench/verify_compare.py --decisions OLD.jsonl NEW.jsonl

The second form compares two ``bench/verify_decisions.py`` outputs (e.g. 2,000 samples
verified in the background by each path) on the seeds both contain.

Generates ``n`` samples with this tree's generator (cpu + cuda rows), pickles them, exports
``src/`` of the old commit with ``git archive`` (or takes ``--old-src``), then runs
``bench/verify_decisions.py`` on the same pickle once per (path, level) in a subprocess
with that path's ``src`` first on ``PYTHONPATH``, one after the other (the new path without
the race check stage, as the pipeline runs it: its task checks races before extraction). Prints per level:
samples per CPU-second (the verifying process plus its debug child) and per wall second
for both paths, the ratio, and how many samples got a different level passed, a
different reject stage, or different ``io_examples``.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def export_src(commit: str, dest: Path) -> Path:
    """``src/`` of ``commit`` (this repository) extracted under ``dest``; returns ``dest/src``."""
    data = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "src"], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest / "src"


def run_path(src: Path, samples: Path, out: Path, level: str, chunk: int, extra: tuple[str, ...] = ()) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "bench" / "verify_decisions.py"), str(samples), str(out), "--level", level,
                    "--chunk", str(chunk), "--warm", *extra], check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lines = [json.loads(x) for x in out.read_text().splitlines() if x.strip()]
    cpu, wall = sum(x["cpu_s"] for x in lines), sum(x["wall_s"] for x in lines)
    return {"samples": len(lines), "cpu_s": cpu, "wall_s": wall, "process_wall_s": time.perf_counter() - t0,
            "by_seed": {x["seed"]: x for x in lines}}


def compare(old: dict, new: dict) -> dict:
    """Counts of samples whose level passed / reject stage / io_examples differ, with examples."""
    diff = {"level": [], "reject_stage": [], "io_examples": [], "grad_max_rel_err": []}
    for seed, a in old.items():
        b = new.get(seed)
        if b is None:
            continue
        if a["level"] != b["level"]:
            diff["level"].append((seed, a["level"], b["level"], a["reject"], b["reject"]))
        if (a["reject"] or [None])[0] != (b["reject"] or [None])[0]:
            diff["reject_stage"].append((seed, a["reject"], b["reject"]))
        if a["io_examples"] != b["io_examples"]:
            diff["io_examples"].append(seed)
        if a["grad_max_rel_err"] != b["grad_max_rel_err"]:
            diff["grad_max_rel_err"].append((seed, a["grad_max_rel_err"], b["grad_max_rel_err"]))
    return diff


def _load(path: str) -> dict:
    with open(path) as f:
        return {x["seed"]: x for x in map(json.loads, filter(str.strip, f))}


def print_decisions(old_path: str, new_path: str) -> int:
    old, new = _load(old_path), _load(new_path)
    common = sorted(set(old) & set(new))
    d = compare({k: old[k] for k in common}, new)
    levels = {}
    for k in common:
        levels[new[k]["level"]] = levels.get(new[k]["level"], 0) + 1
    print(f"{len(common)} samples in both files; levels passed (new): {dict(sorted(levels.items()))}")
    print(f"rejects: old {sum(old[k]['reject'] is not None for k in common)}, new {sum(new[k]['reject'] is not None for k in common)}")
    print(f"level differs: {len(d['level'])}; reject stage differs: {len(d['reject_stage'])}; io_examples differ: {len(d['io_examples'])}; "
          f"grad_max_rel_err differs: {len(d['grad_max_rel_err'])} {d['grad_max_rel_err'][:5]}")
    for row in d["level"] + d["reject_stage"]:
        print("   ", row)
    for k in common:
        if old[k]["reject"] or new[k]["reject"]:
            print(f"    seed {k}: old {old[k]['reject']} | new {new[k]['reject']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=32)
    ap.add_argument("--seed0", type=int, default=0)
    ap.add_argument("--levels", default="run,grad")
    ap.add_argument("--chunk", type=int, default=64)
    ap.add_argument("--old-commit", default="6744e99")
    ap.add_argument("--old-src", help="use this src/ directory as the old path instead of exporting --old-commit")
    ap.add_argument("--keep", help="write samples and decision files here (default: a temp dir)")
    ap.add_argument("--decisions", nargs=2, metavar=("OLD", "NEW"), help="only compare two decision files")
    args = ap.parse_args(argv)
    if args.decisions:
        return print_decisions(*args.decisions)
    sys.path.insert(0, str(ROOT / "bench"))
    from verify_bench import make_samples

    work = Path(args.keep or tempfile.mkdtemp(prefix="verify-compare-"))
    work.mkdir(parents=True, exist_ok=True)
    old_src = Path(args.old_src) if args.old_src else export_src(args.old_commit, work / "old")
    samples = work / "samples.pkl"
    with open(samples, "wb") as f:
        pickle.dump(make_samples(args.n, args.seed0), f)
    print(f"{args.n} samples from seed {args.seed0}; old path {args.old_src or args.old_commit}; load average {os.getloadavg()}")
    print("| --verify | old: samples/CPU-s | new: samples/CPU-s | speed-up (CPU) | old: samples/s wall | new: samples/s wall | "
          "level differs | reject stage differs | io_examples differ |\n|---|---|---|---|---|---|---|---|---|")
    for level in args.levels.split(","):
        r = {}
        for name, src in (("old", old_src), ("new", ROOT / "src")):
            out = work / f"{name}_{level}.jsonl"
            out.unlink(missing_ok=True)
            # the new path runs the stages as the pipeline does: the task checks races before extraction
            r[name] = run_path(src, samples, out, level, args.chunk, () if name == "old" else ("--no-race-check",))
        d = compare(r["old"]["by_seed"], r["new"]["by_seed"])
        n = r["old"]["samples"]
        print(f"| {level} | {n / r['old']['cpu_s']:.2f} | {n / r['new']['cpu_s']:.2f} | **{r['old']['cpu_s'] / r['new']['cpu_s']:.2f}x** | "
              f"{n / r['old']['wall_s']:.2f} | {n / r['new']['wall_s']:.2f} | {len(d['level'])} | {len(d['reject_stage'])} | {len(d['io_examples'])} |",
              flush=True)
        for row in d["level"][:5]:
            print(f"    level differs: seed {row[0]}: old {row[1]} {row[3]}, new {row[2]} {row[4]}")
    print(f"load average at the end {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

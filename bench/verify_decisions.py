"""Verify pickled samples chunk by chunk and write one JSON line of decisions per sample.

    python bench/verify_decisions.py SAMPLES.pkl OUT.jsonl --level grad [--chunk 64] [--no-race-check]

Runs ``warpsynth.verify.verify_samples`` from whatever ``warpsynth`` is first on
``PYTHONPATH``: ``bench/verify_compare.py`` runs it once with the tree at commit
6744e99 (the old path, exported with ``git archive``) and once with this tree, on the
same samples, and compares the lines. Resumable: samples already in OUT are skipped.
Each line: seed, level passed, reject (stage, reason), io_examples, grad_max_rel_err,
differentiable, and the chunk's CPU seconds (this process plus its debug child) per sample.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import sys
import time


def live_children_cpu() -> float:
    """CPU seconds so far of this process's live children (a long-lived debug child is never
    waited for, so ``RUSAGE_CHILDREN`` would miss it), from Linux ``/proc/<pid>/stat``."""
    total, me = 0.0, os.getpid()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def cpu_seconds() -> float:
    """CPU seconds of this process, its exited children and its live children (the debug child)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime + live_children_cpu()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("samples")
    ap.add_argument("out")
    ap.add_argument("--level", default="grad")
    ap.add_argument("--chunk", type=int, default=64)
    ap.add_argument("--warm", action="store_true", help="verify the first sample once, untimed, first (PCHs, imports)")
    ap.add_argument("--no-race-check", action="store_true",
                    help="leave out the static race check stage, as the pipeline does (its task checks races before "
                         "extraction; commit 6744e99 had no race check)")
    args = ap.parse_args(argv)
    from warpsynth.verify import VerifyOptions, verify_samples, warm_pch

    kw = {}
    if args.no_race_check:
        from warpsynth.verify.plan import STAGES

        kw["stages"] = tuple(s for s in STAGES if s.name != "race")

    with open(args.samples, "rb") as f:
        samples = pickle.load(f)
    done = set()
    if os.path.exists(args.out):
        with open(args.out) as f:
            done = {json.loads(line)["seed"] for line in f if line.strip()}
    todo = [s for s in samples if s[0].seed not in done]
    warm_pch()
    if args.warm and todo:
        verify_samples(todo[:1], args.level, VerifyOptions(), **kw)
    with open(args.out, "a") as out:
        for start in range(0, len(todo), args.chunk):
            chunk = todo[start : start + args.chunk]
            c0, t0 = cpu_seconds(), time.perf_counter()
            results = verify_samples(chunk, args.level, VerifyOptions(), **kw)
            cpu, wall = cpu_seconds() - c0, time.perf_counter() - t0
            for (program, _), r in zip(chunk, results):
                cols = r.columns or {}
                out.write(json.dumps({
                    "seed": program.seed, "level": r.level_passed, "reject": list(r.reject) if r.reject else None,
                    "io_examples": cols.get("io_examples"), "grad_max_rel_err": cols.get("grad_max_rel_err"),
                    "differentiable": cols.get("differentiable"), "cpu_s": cpu / len(chunk), "wall_s": wall / len(chunk),
                }, sort_keys=True) + "\n")
            out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

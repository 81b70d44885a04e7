"""Time ``warpsynth dedup`` on a large synthetic-but-realistic dataset folder.

Rows are built from kernels of warpsynth's own generator:

- distinct rows: a generated kernel with 1-4 top-level statements spliced in
  from other generated kernels (new structure, so not duplicates of each other);
- planted exact duplicates: an earlier row with every identifier renamed and
  every numeric literal changed (same canonical form);
- planted near duplicates: an exact-duplicate variant plus one extra statement.

Code columns carry the real CUDA/C++ forward code Warp generated for a pool of
the base kernels (payload for the copy pass; dedup reads only the Python).

    .venv/bin/python bench/dedup_bench.py --rows 100000 [--workers N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import ast
import builtins
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

BUILTIN_NAMES = set(dir(builtins)) | {"wp", "warp"}


def _kernel_def(tree: ast.Module) -> ast.FunctionDef:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and any("kernel" in ast.unparse(d) for d in node.decorator_list):
            return node
    raise ValueError("no kernel")


class _Rename(ast.NodeTransformer):
    def __init__(self, suffix: str, rng: random.Random):
        self.suffix, self.rng = suffix, rng

    def _n(self, name: str) -> str:
        return name if name in BUILTIN_NAMES else f"{name}{self.suffix}"

    def visit_Name(self, node):
        node.id = self._n(node.id)
        return node

    def visit_arg(self, node):
        node.arg = self._n(node.arg)
        self.generic_visit(node)
        return node

    def visit_FunctionDef(self, node):
        node.name = self._n(node.name)
        self.generic_visit(node)
        return node

    def visit_ClassDef(self, node):
        node.name = self._n(node.name)  # struct fields keep their names (attribute accesses do too)
        return node

    def visit_Constant(self, node):
        if isinstance(node.value, float):
            return ast.Constant(round(node.value * self.rng.uniform(0.5, 2.0) + 0.25, 3))
        if isinstance(node.value, int) and not isinstance(node.value, bool) and node.value > 1:
            return ast.Constant(node.value + self.rng.randint(1, 3))
        return node


def build_rows(n: int, bases: int, seed: int) -> list[dict]:
    from warpsynth.dataset.rows import content_id, row_from_ir
    from warpsynth.extract import extract, load_source
    from warpsynth.generate import GeneratorConfig, kernel

    rng = random.Random(seed)
    config = GeneratorConfig()
    programs = []
    s = 0
    while len(programs) < bases:
        try:
            p = kernel(s, config)
            _kernel_def(ast.parse(p.source))
            programs.append(p)
        except Exception:
            pass
        s += 1
    templates = []  # real extracted rows for the code columns
    for p in programs[:150]:
        try:
            with load_source(p.source, "gen") as loaded:
                ir = extract(loaded.kernels()[p.kernel_name], ("cpu", "cuda"), (), True)
            templates.append(row_from_ir(ir, source=p.source, origin="generated", category=p.category, features=list(p.features), builtins=list(p.builtins)))
        except Exception:
            continue
    bodies = [_kernel_def(ast.parse(p.source)).body for p in programs]
    rows: list[dict] = []
    planted = {"exact": 0, "near": 0}
    for i in range(n):
        r = rng.random()
        if rows and r < 0.10:
            kind = "exact"
        elif rows and r < 0.15:
            kind = "near"
        else:
            kind = "distinct"
        if kind == "distinct":
            # half of one kernel's statements mixed with half of another's: new structure
            tree = ast.parse(programs[rng.randrange(len(programs))].source)
            kdef = _kernel_def(tree)
            own = kdef.body[1:]
            kept = [st for st in own if rng.random() < 0.6] or own[:1]
            other = [st for st in rng.choice(bodies)[1:] if rng.random() < 0.5]
            for st in other:
                kept.insert(rng.randint(0, len(kept)), st)
            kdef.body = kdef.body[:1] + (kept or [ast.Pass()])
            kdef.name = f"{kdef.name}_{i}"
        else:
            planted[kind] += 1
            tree = ast.parse(rows[rng.randrange(len(rows))]["source"])
            tree = _Rename(f"_{i}", rng).visit(tree)
            kdef = _kernel_def(tree)
            if kind == "near":
                kdef.body.insert(len(kdef.body), rng.choice(rng.choice(bodies)))
        source = ast.unparse(ast.fix_missing_locations(tree)) + "\n"
        t = templates[i % len(templates)]
        row = dict(t, source=source, kernel_name=kdef.name, kernel_source=ast.unparse(kdef) + "\n", seed=i)
        row["id"] = content_id(row)
        rows.append(row)
    return rows, planted


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--bases", type=int, default=3000)
    ap.add_argument("--shards", type=int, default=10)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", type=Path, default=None, help="keep the input dataset here")
    args = ap.parse_args(argv)

    from warpsynth.curate.dedup import dedup, format_summary
    from warpsynth.dataset import folder
    from warpsynth.dataset.io import write_rows

    tmp = Path(tempfile.mkdtemp(prefix="dedup-bench-"))
    try:
        t0 = time.perf_counter()
        rows, planted = build_rows(args.rows, args.bases, args.seed)
        root = args.keep or tmp / "in"
        per = -(-len(rows) // args.shards)
        names = []
        for k in range(args.shards):
            path = folder.shard_path(root, "train", k, args.shards)
            write_rows(rows[k * per : (k + 1) * per], path)
            names.append(path.relative_to(root).as_posix())
        folder.write_card(root, splits={"train": names}, num_rows=len(rows), warp_version="1.19.0", summary_markdown="# dedup bench input")
        del rows
        build_s = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in (root / "data").iterdir())
        print(f"built {args.rows:,} rows ({size / 1e6:,.0f} MB parquet, {args.shards} shards) in {build_s:.0f} s; planted {planted}", flush=True)
        t1 = time.perf_counter()
        summary = dedup(root, tmp / "out", workers=args.workers)
        wall = time.perf_counter() - t1
        print(format_summary(summary))
        print(json.dumps({"rows": args.rows, "dedup_wall_s": round(wall, 1), "seconds": summary["seconds"], "planted": planted,
                          "exact_found": summary["exact_duplicate_rows"], "near_found": summary["near_duplicate_rows"],
                          "cpus": os.cpu_count(), "workers": summary["params"]["workers"]}))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

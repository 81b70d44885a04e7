"""``warpsynth validate DIR``: check every row of a dataset folder, shard by shard.

Checks (each counted separately in the summary):

- ``readable``: the shard opens and every batch decodes (a truncated or corrupt
  shard is reported by file name; the other shards are still checked);
- ``schema``: the shard's columns and types are exactly ``SCHEMA``;
- ``required``: identity and provenance fields are non-null, ``options`` (and
  ``launch``/``io_examples`` when set) are valid JSON;
- ``python``: ``source`` parses and defines a ``@wp.kernel`` function named ``kernel_name``;
- ``code``: the code columns of every target the run asked for are non-empty
  (backward only when the row was built with ``enable_backward``; helpers and
  structs when the row names any; PTX for each requested arch);
- ``id``: ``id`` equals the content hash (``content_id``) and is unique in the dataset;
- ``recodegen`` (optional): extraction re-run on the row's source reproduces
  every code column byte for byte (catches Warp version drift).
"""

from __future__ import annotations

import ast
import hashlib
import heapq
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from warpsynth.curate.layout import layout_problems
from warpsynth.dataset import folder
from warpsynth.dataset.run_layout import CONFIG_FILE, run_dir
from warpsynth.dataset.io import iter_batches, read_json
from warpsynth.dataset.rows import content_id
from warpsynth.dataset.schema import ORIGIN_EXTRACTED, ORIGIN_WARP_LIBRARY, TARGET_COLUMNS
from warpsynth.dataset.shards import check_schema, dataset_shards, shard_schema
from warpsynth.errors import WarpsynthError

CHECKS = ("layout", "readable", "schema", "required", "python", "code", "id", "recodegen")
REQUIRED = ("id", "kernel_name", "mangled_name", "origin", "source", "kernel_source", "options", "warp_version", "warpsynth_version", "verify_level")
#: Columns compared byte for byte by ``--recodegen``.
CODE_COLUMNS = ("cpu_forward", "cpu_backward", "cpu_entry", "cpu_helpers", "cuda_forward", "cuda_backward", "cuda_helpers", "structs", "mangled_name", "kernel_source")
MAX_EXAMPLES = 5

_TAG = re.compile(r"<warpsynth_src_(.+?)_[0-9a-f]{16}>")
_DEFAULT_TAG = "gen"  # the pipeline's module tag for generated sources


@dataclass
class CheckResult:
    checked: int = 0
    failed: int = 0
    skipped: int = 0
    examples: list[str] = field(default_factory=list)

    def fail(self, where: str) -> None:
        self.failed += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(where)


@dataclass
class ValidationReport:
    root: str
    files: int = 0
    rows: int = 0
    targets: list[str] = field(default_factory=list)
    checks: dict[str, CheckResult] = field(default_factory=lambda: {c: CheckResult() for c in CHECKS})
    bad_files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.bad_files and all(c.failed == 0 for c in self.checks.values())

    def table(self) -> str:
        lines = [f"validate {self.root}: {self.rows:,} rows in {self.files} shard(s); targets {', '.join(self.targets) or '(from rows)'}", ""]
        lines.append(f"{'check':<10} {'checked':>9} {'failed':>7} {'skipped':>8}  first failures")
        for name in CHECKS:
            c = self.checks[name]
            if name == "recodegen" and c.checked == 0 and c.skipped == 0:
                continue
            lines.append(f"{name:<10} {c.checked:>9,} {c.failed:>7,} {c.skipped:>8,}  {'; '.join(c.examples)}")
        lines += ["", "OK" if self.ok else "FAILED"]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "root": self.root,
            "files": self.files,
            "rows": self.rows,
            "ok": self.ok,
            "bad_files": self.bad_files,
            "checks": {k: vars(v) for k, v in self.checks.items()},
        }


def requested_targets(root: Path) -> list[str] | None:
    """Targets the generating run asked for (run config, else card), or None when unknown."""
    config = read_json(run_dir(root) / CONFIG_FILE)
    if isinstance(config, dict):
        run = config.get("config") if isinstance(config.get("config"), dict) else config
        if run.get("targets"):
            return [t for t in run["targets"] if t in TARGET_COLUMNS]
    try:
        meta = folder.read_card(root)
    except WarpsynthError:
        return None
    gen = (meta.get("warpsynth") or {}).get("generator_config") or {}
    for cfg in (gen, gen.get("run") if isinstance(gen, dict) else None):
        if isinstance(cfg, dict) and cfg.get("targets"):
            return [t for t in cfg["targets"] if t in TARGET_COLUMNS]
    return None


class _PythonCheck:
    """Kernel names defined by a source, cached (many rows can share one source file)."""

    def __init__(self):
        self._cache: dict[bytes, set[str] | str] = {}

    def kernels(self, source: str) -> set[str] | str:
        key = hashlib.sha1(source.encode("utf-8", "surrogatepass")).digest()
        hit = self._cache.get(key)
        if hit is None:
            if len(self._cache) > 4096:
                self._cache.clear()
            hit = self._cache[key] = _kernel_defs(source)
        return hit


def _kernel_defs(source: str) -> set[str] | str:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return f"does not parse (line {exc.lineno}: {exc.msg})"
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(_is_kernel_decorator(d) for d in node.decorator_list):
            names.add(node.name)
    return names


def _is_kernel_decorator(node: ast.expr) -> bool:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr == "kernel"
    return isinstance(node, ast.Name) and node.id == "kernel"


def _code_problem(row: dict, targets: list[str] | None) -> str | None:
    try:
        options = json.loads(row["options"] or "{}")
    except ValueError:
        return None  # reported by "required"
    wanted = targets if targets is not None else sorted((options.get("block_dim") or {}).keys())
    if not wanted:
        return "no targets (options.block_dim is empty)"
    backward = bool(options.get("enable_backward", True))
    for target in wanted:
        for col in TARGET_COLUMNS[target]:
            if col.endswith("_backward") and not backward:
                continue
            if col.endswith("_helpers") and not row.get("helper_names"):
                continue
            if not row.get(col):
                return f"{col} is empty"
    if row.get("struct_names") and not row.get("structs"):
        return "structs is empty but struct_names is not"
    ptx = {p["arch"]: p["text"] for p in row.get("ptx") or []}
    for arch in options.get("ptx_archs") or []:
        if not ptx.get(f"sm_{arch}"):
            return f"ptx for sm_{arch} is missing"
    return None


def _required_problem(row: dict) -> str | None:
    for name in REQUIRED:
        if row.get(name) in (None, ""):
            return f"{name} is empty"
    for name in ("options", "launch", "io_examples"):
        if row.get(name) is not None:
            try:
                json.loads(row[name])
            except ValueError:
                return f"{name} is not valid JSON"
    return None


def recodegen_row(row: dict) -> list[str]:
    """Re-extract ``row`` from its source; the code columns that differ (empty list: identical).

    Raises WarpsynthError when the row cannot be re-extracted (no such kernel, load error).
    """
    from warpsynth.extract.row import row_from_ir
    from warpsynth.extract import extract_overloads, load_source

    options = json.loads(row["options"] or "{}")
    targets = sorted((options.get("block_dim") or {}).keys())
    tag = _DEFAULT_TAG
    for col in ("cpu_helpers", "cuda_helpers"):
        m = _TAG.search(row.get(col) or "")
        if m:
            tag = m.group(1)
            break
    try:
        with load_source(row["source"], tag) as loaded:
            kernels = [k for k in loaded.kernels().values() if k.key == row["kernel_name"]]
            if not kernels:
                raise WarpsynthError(f"source defines no kernel {row['kernel_name']!r}")
            irs = extract_overloads(kernels[0], targets=targets, ptx_archs=options.get("ptx_archs") or (),
                                    backward=bool(options.get("enable_backward", True)))
            # a generic kernel's rows are its overloads: the one with this row's mangled name
            ir = next((i for i in irs if i.mangled_name == row.get("mangled_name")), irs[0])
    except WarpsynthError:
        raise
    except Exception as exc:
        raise WarpsynthError(f"re-extraction failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    fresh = row_from_ir(ir, source=row["source"], origin=row["origin"])
    diffs = [c for c in CODE_COLUMNS if (fresh.get(c) or "") != (row.get(c) or "")]
    if {p["arch"]: p["text"] for p in fresh["ptx"]} != {p["arch"]: p["text"] for p in row.get("ptx") or []}:
        diffs.append("ptx")
    if fresh["warp_version"] != row.get("warp_version"):
        diffs.append("warp_version")
    return diffs


def _self_contained(row: dict) -> bool:
    """Rows whose source is a standalone program (generated); file-extracted rows (and Warp
    library rows, origin ``warp-library``) need their file and its imports."""
    return row.get("origin") not in (ORIGIN_EXTRACTED, ORIGIN_WARP_LIBRARY)


def validate(
    root: str | Path,
    *,
    recodegen: bool = False,
    sample: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ValidationReport:
    """Validate ``root``: the folder as a whole (shards vs ``-of-K`` names, card and run markers,
    :mod:`warpsynth.curate.layout`), then every row of every shard. A missing folder or a bad
    ``sample`` raises WarpsynthError; everything else is reported. ``progress(rows)`` per batch.
    """
    if sample is not None and not recodegen:
        raise WarpsynthError("--sample: only applies with --recodegen (it picks the rows to re-extract)")
    if sample is not None and sample < 1:
        raise WarpsynthError(f"--sample: must be at least 1, got {sample}")
    root = Path(root)
    shards = dataset_shards(root)
    targets = requested_targets(root)
    report = ValidationReport(root=str(root), files=len(shards), targets=targets or [])
    checks = report.checks
    seen_ids: dict[str, str] = {}
    pycheck = _PythonCheck()
    heap: list[tuple[bytes, str, dict]] = []
    checks["layout"].checked = 1
    for problem in layout_problems(root, shards):
        checks["layout"].fail(problem)

    def do_recodegen(row: dict, where: str) -> None:
        c = checks["recodegen"]
        if not _self_contained(row):
            c.skipped += 1
            return
        c.checked += 1
        try:
            diffs = recodegen_row(row)
        except WarpsynthError as exc:
            c.fail(f"{where}: {exc}")
            return
        if diffs:
            c.fail(f"{where}: differs in {', '.join(diffs)}")

    for shard in shards:
        name = shard.path.name
        try:
            schema = shard_schema(shard.path)
            checks["schema"].checked += 1
            if shard.path.suffix == ".parquet":
                try:
                    check_schema(shard.path, schema)
                except WarpsynthError as exc:
                    checks["schema"].fail(str(exc).replace(str(shard.path), name))
                    report.bad_files.append(name)
                    continue
            offset = 0
            for batch in iter_batches(shard.path):
                for i, row in enumerate(batch.to_pylist()):
                    where = f"{name}#{offset + i}"
                    report.rows += 1
                    complete = _check_row(row, where, targets, checks, seen_ids, pycheck)
                    if recodegen and complete:
                        if sample is None:
                            do_recodegen(row, where)
                        elif row.get("id"):
                            key = hashlib.sha256(row["id"].encode()).digest()
                            item = (_neg(key), where, row)
                            if len(heap) < sample:
                                heapq.heappush(heap, item)
                            elif item > heap[0]:
                                heapq.heapreplace(heap, item)
                offset += batch.num_rows
                if progress:
                    progress(batch.num_rows)
            checks["readable"].checked += 1
        except WarpsynthError as exc:
            checks["readable"].checked += 1
            checks["readable"].fail(str(exc).replace(str(shard.path), name))
            report.bad_files.append(name)
    for _, where, row in sorted(heap, key=lambda t: t[1]):
        do_recodegen(row, where)
    return report


def _neg(key: bytes) -> bytes:
    """Order so the heap keeps the ``sample`` rows with the smallest hash of their id."""
    return bytes(255 - b for b in key)


def _check_row(row: dict, where: str, targets, checks, seen_ids: dict, pycheck: _PythonCheck) -> bool:
    """Run the per-row checks; True when the row has its required fields (so it can be re-extracted)."""
    c = checks["required"]
    c.checked += 1
    required_problem = _required_problem(row)
    if required_problem:
        c.fail(f"{where}: {required_problem}")
    c = checks["python"]
    c.checked += 1
    source, kname = row.get("source") or "", row.get("kernel_name") or ""
    defined = pycheck.kernels(source)
    if isinstance(defined, str):
        c.fail(f"{where}: source {defined}")
    elif kname not in defined:
        c.fail(f"{where}: source defines no @wp.kernel {kname!r}")
    c = checks["code"]
    c.checked += 1
    problem = _code_problem(row, targets)
    if problem:
        c.fail(f"{where}: {problem}")
    c = checks["id"]
    c.checked += 1
    rid = row.get("id")
    if rid != content_id(row):
        c.fail(f"{where}: id {rid} is not the content hash {content_id(row)}")
    elif rid in seen_ids:
        c.fail(f"{where}: id {rid} repeats {seen_ids[rid]}")
    else:
        seen_ids[rid] = where
    return required_problem is None

"""``warpsynth report DIR``: a self-contained HTML report and a Markdown summary.

One streaming pass collects compact per-row numbers (lengths, ratios) and
counters (categories, features, builtins, types, verification); token counts
(``curate.tokenize``) are taken on a deterministic sample of rows (all rows up
to ``token_sample``), since tokenizing every generated function of a
million-row dataset costs more than the rest of the report. Run metadata
(``_run/``: config, stats, rejects) and curation reports (``_curate/``) are
read when present and skipped when not. Plots are matplotlib PNGs embedded as
base64, so the HTML file is all there is to share.
"""

from __future__ import annotations

import base64
from array import array
import hashlib
import html
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from warpsynth.curate.text import python_text
from warpsynth.curate.tokenize import count_tokens
from warpsynth.dataset import folder
from warpsynth.dataset.folder import curate_dir
from warpsynth.dataset.run_layout import CONFIG_FILE, REJECTS_FILE, STATS_FILE, run_dir
from warpsynth.dataset.io import check_output_file, read_json, write_text_atomic
from warpsynth.dataset.levels import LEVELS
from warpsynth.dataset.shards import check_dataset, iter_rows, shard_num_rows
from warpsynth.errors import WarpsynthError

TOKEN_SAMPLE = 20_000
COLUMNS = [
    "id", "kernel_name", "origin", "source", "kernel_source", "args", "category", "features", "builtins",
    "cpu_forward", "cpu_backward", "cpu_entry", "cpu_helpers", "cuda_forward", "cuda_backward", "cuda_helpers", "structs",
    "ptx", "warp_version", "verify_level", "differentiable", "grad_max_rel_err", "helper_names", "struct_names",
]
#: Length series: name -> how to get the text and its language.
SERIES = {
    "python": "python",
    "cuda forward": "cpp",
    "cuda backward": "cpp",
    "cpu forward": "cpp",
    "cpu backward": "cpp",
}
SCALARS = ("bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float16", "bfloat16", "float32", "float64")
_TYPE_RE = re.compile(
    r"\b(vec[234][a-z0-9]*|mat[234][234][a-z0-9]*|quat[a-z0-9]*|transform[fdh]?|spatial_(?:vector|matrix)[fdh]?|"
    r"int8|uint8|int16|uint16|int32|uint32|int64|uint64|float16|bfloat16|float32|float64|bool|"
    r"array[1-4]?d?|indexedarray|fabricarray|mesh|volume|bvh|hash_grid|tile)\b"
)
_WP_TYPE_RE = re.compile(r"\bwp\.(vec[234][a-z0-9]*|mat[234][234][a-z0-9]*|quat[a-z0-9]*|transform[fdh]?|spatial_(?:vector|matrix)[fdh]?|int8|uint8|int16|uint16|int32|uint32|int64|uint64|float16|bfloat16|float32|float64)\b")
_WP_CALL_RE = re.compile(r"\bwp\.([a-z_][a-z0-9_]*)\s*\(")
_ALIASES = {"float": "float32", "int": "int32"}


def _norm_type(name: str) -> str:
    aliases = {"vec2": "vec2f", "vec3": "vec3f", "vec4": "vec4f", "mat22": "mat22f", "mat33": "mat33f", "mat44": "mat44f", "quat": "quatf", "transform": "transformf", "spatial_vector": "spatial_vectorf", "spatial_matrix": "spatial_matrixf"}
    return aliases.get(name, name)


@dataclass
class Stats:
    rows: int = 0
    splits: Counter = field(default_factory=Counter)
    origins: Counter = field(default_factory=Counter)
    categories: Counter = field(default_factory=Counter)
    features: Counter = field(default_factory=Counter)
    builtins: Counter = field(default_factory=Counter)
    builtins_from_source: int = 0
    types: Counter = field(default_factory=Counter)
    verify: Counter = field(default_factory=Counter)
    differentiable: Counter = field(default_factory=Counter)
    warp_versions: Counter = field(default_factory=Counter)
    # compact per-row numbers (array, not list: 8 bytes a value for million-row datasets)
    grad_err: array = field(default_factory=lambda: array("d"))
    chars: dict = field(default_factory=lambda: {k: array("q") for k in SERIES})
    tokens: dict = field(default_factory=lambda: {k: array("q") for k in SERIES})
    ratio_cuda: array = field(default_factory=lambda: array("d"))
    ratio_cpu: array = field(default_factory=lambda: array("d"))
    ptx_chars: array = field(default_factory=lambda: array("q"))
    helpers: array = field(default_factory=lambda: array("q"))
    token_rows: int = 0


def _texts(row: dict) -> dict[str, str]:
    return {
        "python": python_text(row),
        "cuda forward": row.get("cuda_forward") or "",
        "cuda backward": row.get("cuda_backward") or "",
        "cpu forward": row.get("cpu_forward") or "",
        "cpu backward": row.get("cpu_backward") or "",
    }


def _in_token_sample(rid: str, rows: int, sample: int) -> bool:
    """All rows while fewer than ``sample``; otherwise a fixed hash-based fraction."""
    if rows < sample:
        return True
    return int.from_bytes(hashlib.sha256((rid or "").encode()).digest()[:4], "big") % 1000 < 1000 * sample // max(rows, 1)


def collect(root: Path, token_sample: int = TOKEN_SAMPLE, progress: Callable[[int], None] | None = None) -> Stats:
    shards = check_dataset(root)
    total = sum(shard_num_rows(s.path) for s in shards)
    st = Stats()
    for shard, batch in iter_rows(root, COLUMNS, shards):
        if progress:
            progress(batch.num_rows)
        for row in batch.to_pylist():
            st.rows += 1
            st.splits[shard.split] += 1
            st.origins[row.get("origin") or "(none)"] += 1
            st.categories[row.get("category") or "(none)"] += 1
            st.features.update(row.get("features") or [])
            st.warp_versions[row.get("warp_version") or "(none)"] += 1
            texts = _texts(row)
            builtins = row.get("builtins") or []
            if not builtins:
                builtins = sorted(set(_WP_CALL_RE.findall(texts["python"])))
                st.builtins_from_source += 1
            st.builtins.update(set(builtins))
            types = {_norm_type(_ALIASES.get(t, t)) for a in row.get("args") or [] for t in _TYPE_RE.findall(a.get("type") or "")}
            types |= {_norm_type(t) for t in _WP_TYPE_RE.findall(texts["python"])}
            st.types.update(types)
            st.verify[row.get("verify_level") or "(none)"] += 1
            d = row.get("differentiable")
            st.differentiable["yes" if d else ("no" if d is not None else "unknown")] += 1
            if row.get("grad_max_rel_err") is not None:
                st.grad_err.append(row["grad_max_rel_err"])
            for k, text in texts.items():
                st.chars[k].append(len(text))
            if _in_token_sample(row.get("id"), total, token_sample):
                st.token_rows += 1
                for k, text in texts.items():
                    st.tokens[k].append(count_tokens(text, SERIES[k]))
            py = max(1, len(texts["python"]))
            cuda = sum(len(row.get(c) or "") for c in ("structs", "cuda_helpers", "cuda_forward", "cuda_backward"))
            cpu = sum(len(row.get(c) or "") for c in ("structs", "cpu_helpers", "cpu_forward", "cpu_backward", "cpu_entry"))
            if cuda:
                st.ratio_cuda.append(cuda / py)
            if cpu:
                st.ratio_cpu.append(cpu / py)
            ptx = sum(len(p.get("text") or "") for p in row.get("ptx") or [])
            if ptx:
                st.ptx_chars.append(ptx)
            st.helpers.append(len(row.get("helper_names") or []))
    return st


# ---------------------------------------------------------------- plots


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 100, "font.size": 9, "axes.spines.top": False, "axes.spines.right": False, "svg.hashsalt": "warpsynth"})
    return plt


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    _plt().close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _bar(counter: Counter, title: str, top: int = 30, color: str = "#4477aa") -> str | None:
    if not counter:
        return None
    plt = _plt()
    items = sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))[:top]
    fig, ax = plt.subplots(figsize=(7, 0.22 * len(items) + 0.9))
    labels = [str(k) for k, _ in items][::-1]
    ax.barh(labels, [v for _, v in items][::-1], color=color)
    ax.set_title(title)
    ax.set_xlabel("rows")
    return _png(fig)


def _hists(series: dict[str, list], title: str, xlabel: str) -> str | None:
    series = {k: v for k, v in series.items() if v and max(v) > 0}
    if not series:
        return None
    plt = _plt()
    fig, axes = plt.subplots(1, len(series), figsize=(2.6 * len(series) + 0.6, 3.0), squeeze=False)
    for ax, (name, values) in zip(axes[0], series.items()):
        v = np.asarray(values, dtype=float)
        v = v[v > 0]
        if len(v):
            # log-spaced histogram drawn on a linear axis of log10 values (matplotlib's log axes are slow to lay out)
            lv = np.log10(v)
            ax.hist(lv, bins=30, color="#66aa55")
            lo, hi = int(np.floor(lv.min())), int(np.ceil(lv.max()))
            ticks = list(range(lo, max(hi, lo + 1) + 1))
            ax.set_xticks(ticks, [f"{10 ** t:,}" if t < 4 else f"1e{t}" for t in ticks])
            ax.set_title(f"{name}\nmedian {np.median(v):,.0f}")
        else:
            ax.set_title(name)
        ax.set_xlabel(xlabel + " (log scale)")
    axes[0][0].set_ylabel("rows")
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    return _png(fig)


def _ratio_plot(cuda: list, cpu: list) -> str | None:
    if not cuda and not cpu:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 2.6))
    hi = max([max(cuda, default=1), max(cpu, default=1)])
    bins = np.linspace(0, hi * 1.02, 40)
    if cuda:
        ax.hist(cuda, bins=bins, alpha=0.6, label=f"CUDA (median {np.median(cuda):.1f}x)", color="#cc6677")
    if cpu:
        ax.hist(cpu, bins=bins, alpha=0.6, label=f"C++ (median {np.median(cpu):.1f}x)", color="#4477aa")
    ax.set_xlabel("generated characters per Python character")
    ax.set_ylabel("rows")
    ax.set_title("Generated code size / Python size")
    ax.legend()
    return _png(fig)


# ---------------------------------------------------------------- tables and sections


def _pct(a: float, b: float) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def _dist(values: list) -> list:
    if not values:
        return ["-"] * 5
    v = np.asarray(values, dtype=float)
    return [f"{np.percentile(v, q):,.0f}" for q in (5, 50, 90, 99)] + [f"{v.max():,.0f}"]


def _warp_builtins() -> set[str] | None:
    try:
        from warpsynth import _warp

        return set(_warp.builtin_functions())
    except Exception:
        return None


@dataclass
class Section:
    title: str
    tables: list = field(default_factory=list)  # (header, rows)
    images: list = field(default_factory=list)  # (alt, base64)
    notes: list = field(default_factory=list)


def _overview_section(root: Path, st: Stats, meta: dict) -> Section:
    """Rows, splits, size on disk, origins, Warp versions, category and feature counts."""
    s = Section("Overview")
    size = sum(p.stat().st_size for p in (root / folder.DATA_DIR).glob("*") if p.is_file())
    s.tables.append(
        (
            ("", ""),
            [
                ("rows", f"{st.rows:,}"),
                ("splits", ", ".join(f"{k} {v:,}" for k, v in st.splits.items())),
                ("data size on disk", f"{size / 1e6:,.1f} MB"),
                ("origin", ", ".join(f"{k} {v:,}" for k, v in st.origins.most_common())),
                ("Warp version", ", ".join(f"{k} ({v:,} rows)" for k, v in st.warp_versions.most_common())),
                ("categories", f"{len([c for c in st.categories if c != '(none)'])}"),
                ("distinct features", f"{len(st.features)}"),
                ("dataset name", meta.get("pretty_name", "-")),
            ],
        )
    )
    return s


def _categories_section(st: Stats) -> Section:
    """Rows per category and per feature."""
    s = Section("Categories and features")
    s.tables.append((("category", "rows", "share"), [(k, f"{v:,}", _pct(v, st.rows)) for k, v in sorted(st.categories.items(), key=lambda kv: (-kv[1], kv[0]))]))
    for alt, img in (("categories", _bar(st.categories, "Rows per category")), ("features", _bar(st.features, "Rows per feature (top 30)", color="#228833"))):
        if img:
            s.images.append((alt, img))
    return s


def _lengths_section(st: Stats) -> Section:
    """Characters and tokens per text column."""
    s = Section("Source and code lengths")
    header = ("text", "unit", "p5", "median", "p90", "p99", "max")
    rows = []
    for k in SERIES:
        rows.append((k, "characters", *_dist(st.chars[k])))
        rows.append((k, "tokens", *_dist(st.tokens[k])))
    if st.ptx_chars:
        rows.append(("ptx (all archs)", "characters", *_dist(st.ptx_chars)))
    s.tables.append((header, rows))
    s.notes.append(f"Tokens by warpsynth's code tokenizer (identifiers, numbers, strings, operators; comments dropped), counted on {st.token_rows:,} of {st.rows:,} rows.")
    for alt, img in (("chars", _hists(st.chars, "Characters per row", "characters")), ("tokens", _hists(st.tokens, "Tokens per row", "tokens"))):
        if img:
            s.images.append((alt, img))
    return s


def _ratio_section(st: Stats) -> Section:
    """Generated code size over Python size, per target."""
    s = Section("Python : generated code size")
    s.tables.append(
        (
            ("target", "p5", "median", "p90", "p99", "max"),
            [(name, *[f"{float(x.replace(',', '')):.1f}x" if x != "-" else "-" for x in _ratio_dist(v)]) for name, v in (("CUDA (structs + helpers + forward + backward)", st.ratio_cuda), ("C++ (structs + helpers + forward + backward + entry)", st.ratio_cpu))],
        )
    )
    img = _ratio_plot(st.ratio_cuda, st.ratio_cpu)
    if img:
        s.images.append(("ratio", img))
    return s


def _coverage_section(st: Stats) -> Section:
    """Which Warp builtins and types the rows use."""
    s = Section("Builtin and type coverage")
    known = _warp_builtins()
    used = set(st.builtins)
    if known:
        covered = used & known
        s.notes.append(f"{len(covered)} of {len(known)} Warp builtins (operators included) appear in at least one row ({_pct(len(covered), len(known))})" + (f"; {len(used - known)} other recorded names ({', '.join(sorted(used - known)[:8])})" if used - known else "") + ".")
    if st.builtins_from_source:
        s.notes.append(f"{st.builtins_from_source:,} rows had no recorded builtins; their `wp.name(...)` calls were counted from the Python source.")
    scalars_seen = [t for t in SCALARS if t in st.types]
    s.notes.append(f"Scalar types used: {len(scalars_seen)} of {len(SCALARS)} ({', '.join(scalars_seen) or 'none'}); missing: {', '.join(t for t in SCALARS if t not in st.types) or 'none'}.")
    types = sorted(st.types.items(), key=lambda kv: (-kv[1], kv[0]))
    s.tables.append((("type", "rows"), [(k, f"{v:,}") for k, v in types[:15]] + ([(f"{len(types) - 15} more types", "")] if len(types) > 15 else [])))
    builtins = sorted(st.builtins.items(), key=lambda kv: (-kv[1], kv[0]))
    s.tables.append((("builtin", "rows"), [(k, f"{v:,}") for k, v in builtins[:15]] + ([(f"{len(builtins) - 15} more builtins", "")] if len(builtins) > 15 else [])))
    for alt, img in (("builtins", _bar(st.builtins, "Rows per builtin (top 40)", top=40, color="#aa3377")), ("types", _bar(st.types, "Rows per type (top 30)", color="#ccbb44"))):
        if img:
            s.images.append((alt, img))
    return s


def _verification_section(st: Stats, stats: dict, rejects: list) -> Section:
    """Verify levels reached, generation pass rate, reject stages and reasons, gradient errors."""
    s = Section("Verification")
    vrows = [(k, f"{v:,}", _pct(v, st.rows)) for k, v in sorted(st.verify.items(), key=lambda kv: (-kv[1], kv[0]))]
    s.tables.append((("verify level", "rows", "share"), vrows))
    s.tables.append((("differentiable", "rows", "share"), [(k, f"{v:,}", _pct(v, st.rows)) for k, v in sorted(st.differentiable.items())]))
    totals = stats.get("totals") if isinstance(stats, dict) else None
    if isinstance(totals, dict) and totals.get("samples"):
        samples = totals["samples"]
        s.notes.append(f"Generation: {totals.get('rows', 0):,} of {samples:,} samples passed every stage ({_pct(totals.get('rows', 0), samples)}); {totals.get('rejected', 0):,} rejected.")
    if rejects:
        by_stage = Counter(r.get("stage", "?") for r in rejects)
        by_reason = Counter((r.get("stage", "?"), (r.get("reason") or "").split(":")[0]) for r in rejects)
        s.tables.append((("reject stage", "samples"), [(k, f"{v:,}") for k, v in by_stage.most_common()]))
        s.tables.append((("stage", "reason (exception type)", "samples"), [(a, b, f"{v:,}") for (a, b), v in by_reason.most_common(15)]))
    if st.grad_err:
        g = np.asarray(st.grad_err)
        s.notes.append(f"Gradient check max relative error over {len(g):,} rows: median {np.median(g):.2e}, p99 {np.percentile(g, 99):.2e}, max {g.max():.2e}.")
    return s


def _curation_section(root: Path) -> Section | None:
    """What dedup/split/decontaminate did (from ``_curate/``); None when no curation ran."""
    cur = curate_dir(root)
    dd, sp, dc = read_json(cur / "dedup.json"), read_json(cur / "split.json"), read_json(cur / "decontaminate.json")
    if not (dd or sp or dc):
        return None
    s = Section("Curation")
    if isinstance(dd, dict):
        s.tables.append(
            (
                ("deduplication", ""),
                [
                    ("rows in", f"{dd['rows_in']:,}"),
                    ("rows kept", f"{dd['rows_kept']:,}"),
                    ("exact duplicates dropped", f"{dd['exact_duplicate_rows']:,}"),
                    ("near duplicates dropped", f"{dd['near_duplicate_rows']:,}"),
                    ("clusters", f"{dd['clusters']:,}"),
                    ("cluster sizes (size: count)", ", ".join(f"{k}: {v}" for k, v in dd["cluster_sizes"].items())),
                ],
            )
        )
    if isinstance(sp, dict):
        order = [k for k in folder.SPLITS if k in sp["rows"]] + sorted(k for k in sp["rows"] if k not in folder.SPLITS)
        s.tables.append((("split", "rows", "clusters", "share"), [(k, f"{sp['rows'][k]:,}", f"{sp['clusters'][k]:,}", f"{100 * sp['fractions'][k]:.1f}%") for k in order]))
    if isinstance(dc, dict):
        s.notes.append(f"Decontamination against {', '.join(Path(p).name for p in dc['against'])}: {dc['rows_dropped']:,} of {dc['rows_in']:,} rows dropped ({dc['ngram_tokens']}-token n-grams).")
    return s


def _throughput_section(stats: dict, run_config: dict) -> Section:
    """Wall time, throughput, CPU time per stage and verify level, run config (from ``_run/``)."""
    s = Section("Run throughput")
    totals = stats.get("totals") if isinstance(stats, dict) else None
    inv = stats.get("invocation") if isinstance(stats, dict) else None
    if isinstance(inv, dict) and inv.get("seconds"):
        secs = float(inv["seconds"])
        n = inv.get("samples_run") or (totals or {}).get("samples") or 0
        s.tables.append(
            (
                ("", ""),
                [
                    ("wall time (last invocation)", f"{secs:,.1f} s"),
                    ("samples run", f"{n:,}"),
                    ("throughput", f"{n / secs:,.1f} samples/s, {((totals or {}).get('rows', 0)) / secs:,.1f} rows/s" if secs else "-"),
                    ("workers", str(inv.get("workers", "-"))),
                ],
            )
        )
        stage = stats.get("stage_seconds_all_tasks") or {}
        if stage:
            tot = sum(stage.values()) or 1
            s.tables.append((("stage", "CPU seconds (all workers)", "share"), [(k, f"{v:,.2f}", _pct(v, tot)) for k, v in sorted(stage.items(), key=lambda kv: -kv[1])]))
        cost = verify_cost_rows(stats)
        if cost:
            s.tables.append((("verify level", "CPU seconds (all workers)", "samples / CPU-second"), cost))
            s.notes.append("Verification cost per level: the CPU time (worker plus its debug child) of the stages of each "
                           "level; samples / CPU-second divides the samples a task verified by it.")
        cfg = run_config.get("config") if isinstance(run_config.get("config"), dict) else run_config
        if cfg:
            s.notes.append("Run config: " + ", ".join(f"{k}={cfg[k]}" for k in ("n", "seed", "targets", "backward", "ptx_archs", "verify") if k in cfg))
    else:
        s.notes.append("No run statistics (`_run/stats.json`): this dataset was not made by `warpsynth generate`, or its run metadata was removed.")
    return s


def build_sections(root: Path, st: Stats) -> list[Section]:
    """The report's sections, in order, from the collected ``st`` and the folder's card and ``_run/``."""
    meta = {}
    try:
        meta = folder.read_card(root)
    except Exception:
        pass
    run_config = read_json(run_dir(root) / CONFIG_FILE) or {}
    stats = read_json(run_dir(root) / STATS_FILE) or {}
    rejects = _read_rejects(run_dir(root) / REJECTS_FILE)
    sections = [_overview_section(root, st, meta), _categories_section(st), _lengths_section(st), _ratio_section(st),
                _coverage_section(st), _verification_section(st, stats, rejects)]
    curation = _curation_section(root)
    if curation is not None:
        sections.append(curation)
    sections.append(_throughput_section(stats, run_config))
    return sections


def verify_cost_rows(stats: dict) -> list[tuple[str, str, str]]:
    """Rows (level, CPU-s, samples / CPU-s) from the ``cpu_<level>`` keys of each task's
    ``verify_seconds_by_stage`` in ``_run/stats.json``, in level order; [] for a codegen-only run."""
    cpu: dict[str, float] = {}
    samples = 0
    for task in stats.get("tasks") or []:
        by_stage = task.get("verify_seconds_by_stage") or {}
        if any(k.startswith("cpu_") for k in by_stage):
            samples += int(task.get("samples") or 0)
        for key, value in by_stage.items():
            if key.startswith("cpu_"):
                cpu[key[4:]] = cpu.get(key[4:], 0.0) + float(value)
    # codegen's own cost is the extraction (the stage table); its verify stage only checks the row
    rows = [(lv, f"{cpu[lv]:,.2f}", f"{samples / cpu[lv]:,.2f}" if cpu[lv] > 0 else "-") for lv in LEVELS[1:] if lv in cpu]
    total = sum(cpu.values())
    if rows:
        rows.append(("all levels", f"{total:,.2f}", f"{samples / total:,.2f}" if total > 0 else "-"))
    return rows


def _ratio_dist(values: list) -> list:
    if not values:
        return ["-"] * 5
    v = np.asarray(values, dtype=float)
    return [f"{np.percentile(v, q):.3f}" for q in (5, 50, 90, 99)] + [f"{v.max():.3f}"]


def _read_rejects(path: Path) -> list[dict]:
    out = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    value = json.loads(line)
                except ValueError:
                    continue
                if isinstance(value, dict):
                    out.append(value)
    except OSError:
        pass
    return out


# ---------------------------------------------------------------- rendering

#: Figures shown full width (the others two per row).
WIDE = {"chars", "tokens"}

_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; line-height: 1.4; }
h1 { border-bottom: 2px solid #4477aa; padding-bottom: .2em; }
h2 { margin-top: 1.8em; color: #334; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .8em 0; font-size: 90%; }
th, td { border: 1px solid #ccc; padding: 3px 9px; text-align: left; }
th { background: #eef2f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; display: block; }
.figs { display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: flex-start; margin: .8em 0; }
.figs img { max-width: calc(50% - 12px); }
.figs img.wide { max-width: 100%; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 1em 0; }
.card { border: 1px solid #d5dce6; border-radius: 6px; padding: 8px 16px; background: #f7f9fc; min-width: 130px; }
.card b { display: block; font-size: 150%; color: #4477aa; }
.tables { display: flex; flex-wrap: wrap; gap: 0 28px; align-items: flex-start; }
p.note { color: #444; }
.muted { color: #777; font-size: 85%; }
"""


def _is_num(cell: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d,.]+(%|x| s| MB)?", str(cell)))


def render_html(title: str, sections: list[Section], footer: str, cards: list[tuple[str, str]] = ()) -> str:
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{html.escape(title)}</title>", f"<style>{_CSS}</style></head><body>", f"<h1>{html.escape(title)}</h1>"]
    parts.append("<nav><p>" + " · ".join(f'<a href="#s{i}">{html.escape(s.title)}</a>' for i, s in enumerate(sections)) + "</p></nav>")
    if cards:
        parts.append('<div class="cards">' + "".join(f'<div class="card"><b>{html.escape(v)}</b>{html.escape(k)}</div>' for k, v in cards) + "</div>")
    for i, s in enumerate(sections):
        parts.append(f'<section id="s{i}"><h2>{html.escape(s.title)}</h2>')
        for note in s.notes:
            parts.append(f'<p class="note">{html.escape(note)}</p>')
        parts.append('<div class="tables">')
        for header, rows in s.tables:
            head = "<thead><tr>" + "".join(f"<th>{html.escape(str(h))}</th>" for h in header) + "</tr></thead>" if any(header) else ""
            parts.append(f"<table>{head}<tbody>")
            for row in rows:
                parts.append("<tr>" + "".join(f'<td class="num">{html.escape(str(c))}</td>' if _is_num(c) else f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>")
            parts.append("</tbody></table>")
        parts.append("</div>")
        if s.images:
            parts.append('<div class="figs">')
            for alt, img in s.images:
                wide = ' class="wide"' if alt in WIDE else ""
                parts.append(f'<img{wide} alt="{html.escape(alt)}" src="data:image/png;base64,{img}">')
            parts.append("</div>")
        parts.append("</section>")
    parts.append(f'<p class="muted">{html.escape(footer)}</p></body></html>')
    return "\n".join(parts) + "\n"


def key_figures(st: Stats) -> list[tuple[str, str]]:
    cards = [("rows", f"{st.rows:,}"), ("categories", str(len([c for c in st.categories if c != "(none)"]))), ("builtins used", str(len(st.builtins)))]
    if st.chars["python"]:
        cards.append(("median Python chars", f"{np.median(st.chars['python']):,.0f}"))
    if st.ratio_cuda:
        cards.append(("median CUDA/Python size", f"{np.median(st.ratio_cuda):.1f}x"))
    cards.append((", ".join(st.splits), str(len(st.splits)) + (" split" if len(st.splits) == 1 else " splits")))
    return cards


def render_markdown(title: str, sections: list[Section], footer: str) -> str:
    out = [f"# {title}", ""]
    for s in sections:
        out += [f"## {s.title}", ""]
        for note in s.notes:
            out += [note, ""]
        for header, rows in s.tables:
            out.append("| " + " | ".join(str(h) or " " for h in header) + " |")
            out.append("|" + "---|" * len(header))
            out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
            out.append("")
    out += [f"_{footer}_", ""]
    return "\n".join(out)


def report(
    root: str | Path,
    out: str | Path | None = None,
    *,
    token_sample: int = TOKEN_SAMPLE,
    overwrite: bool = False,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Write ``report.html`` and ``report.md`` into ``out`` (default ``DIR/_report``); returns their paths.

    Existing report files are replaced only with ``overwrite`` (WarpsynthError otherwise, before
    any work). ``progress(rows)`` is called per batch read.
    """
    root = Path(root)
    out = Path(out) if out is not None else root / folder.REPORT_DIR
    for name in ("report.html", "report.md"):
        check_output_file(out / name, overwrite)
    if out.exists() and not out.is_dir():
        raise WarpsynthError(f"-o: {out} exists and is not a folder")
    st = collect(root, token_sample, progress)
    sections = build_sections(root, st)
    title = f"warpsynth dataset report: {root.resolve().name}"
    footer = f"{st.rows:,} rows; generated by warpsynth report."
    html_text = render_html(title, sections, footer, key_figures(st))
    md_text = render_markdown(title, sections, footer)
    write_text_atomic(out / "report.md", md_text)
    write_text_atomic(out / "report.html", html_text)
    return {"html": str(out / "report.html"), "markdown": str(out / "report.md"), "rows": st.rows, "images": sum(len(s.images) for s in sections)}

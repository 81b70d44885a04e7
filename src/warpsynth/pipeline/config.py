"""Run configuration: what a run produces, its hash, and the refusal to mix runs in one folder.

Only settings that change the output are part of :class:`RunConfig` (and so of
its hash). How the run is executed (worker count, chunk size, progress bar) is
not: the same config gives byte-identical files with 1 or 16 workers.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from warpsynth import _warp
from warpsynth._version import __version__
from warpsynth.dataset.io import FORMATS
from warpsynth.dataset.schema import SCHEMA_VERSION, TARGETS
from warpsynth.errors import WarpsynthError
from warpsynth.dataset.levels import LEVELS
from warpsynth.dataset.run_layout import CONFIG_FILE, run_dir

VERIFY_LEVELS = LEVELS  # the one list, in warpsynth.dataset.levels
DEFAULT_GENERATOR = "warpsynth.pipeline.programs:warp_generator"
SPLIT = "train"
#: Sample seeds are ``seed * SEED_STRIDE + index``: readable, and disjoint across run seeds.
SEED_STRIDE = 2**32
MAX_RUN_SEED = 2**31 - 1


#: Samples per shard the default shard count aims at (a task is the unit of loss on a crash,
#: and its rows are buffered in the worker until the shard is written).
SHARD_TARGET = 500


def default_shards(n: int) -> int:
    """About SHARD_TARGET samples per shard, rounded up to a multiple of 4 (so 1, 2 or 4 workers
    finish together instead of one worker running the last task alone); at most n."""
    return max(1, min(n, 4 * math.ceil(math.ceil(n / SHARD_TARGET) / 4)))


def sample_seed(run_seed: int, index: int) -> int:
    return run_seed * SEED_STRIDE + index


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines a run's output files."""

    n: int
    seed: int = 0
    shards: int = 0
    targets: tuple[str, ...] = TARGETS
    ptx_archs: tuple[int, ...] = ()
    backward: bool = True
    category_weights: tuple[tuple[str, float], ...] = ()
    fmt: str = "parquet"
    verify: str = "codegen"
    #: Fill each row's ``verify_ms`` (per-stage timings). Off by default: timings differ between
    #: runs, so data files are then no longer byte-identical for the same command and seed.
    row_timings: bool = False
    generator: str = DEFAULT_GENERATOR
    warp_version: str = field(default=_warp.WARP_VERSION)
    warpsynth_version: str = field(default=__version__)
    schema_version: str = field(default=SCHEMA_VERSION)

    def __post_init__(self) -> None:
        if self.n < 1:
            raise WarpsynthError(f"-n: must be at least 1 (got {self.n})")
        if not 0 <= self.seed <= MAX_RUN_SEED:
            raise WarpsynthError(f"--seed: must be in [0, {MAX_RUN_SEED}] (got {self.seed})")
        if self.n >= SEED_STRIDE:
            raise WarpsynthError(f"-n: must be below {SEED_STRIDE}")
        if self.shards == 0:
            object.__setattr__(self, "shards", default_shards(self.n))
        if not 1 <= self.shards <= self.n:
            raise WarpsynthError(f"--shards: must be between 1 and -n ({self.n}); got {self.shards}")
        if not self.targets:
            raise WarpsynthError("--targets: name at least one of cpu, cuda")
        bad = [t for t in self.targets if t not in TARGETS]
        if bad:
            raise WarpsynthError(f"--targets: unknown target {bad[0]!r} (choose from cpu, cuda)")
        object.__setattr__(self, "targets", tuple(t for t in TARGETS if t in self.targets))
        object.__setattr__(self, "ptx_archs", tuple(sorted(set(int(a) for a in self.ptx_archs))))
        check_ptx_archs(self.ptx_archs, self.targets)
        weights = dict(self.category_weights)
        for name, weight in weights.items():
            if not (isinstance(weight, (int, float)) and math.isfinite(weight) and weight >= 0):
                raise WarpsynthError(f"--category-weights: weight of {name!r} must be a number >= 0")
        if weights and not any(w > 0 for w in weights.values()):
            raise WarpsynthError("--category-weights: at least one weight must be > 0")
        object.__setattr__(self, "category_weights", tuple(sorted((k, float(v)) for k, v in weights.items())))
        if self.fmt not in FORMATS:
            raise WarpsynthError(f"--format: must be one of {', '.join(FORMATS)} (got {self.fmt!r})")
        if self.verify not in VERIFY_LEVELS:
            raise WarpsynthError(f"--verify: must be one of {', '.join(VERIFY_LEVELS)} (got {self.verify!r})")
        if self.row_timings and self.verify == "codegen":
            raise WarpsynthError("--row-timings: records verification timings: it needs --verify compile, run or grad")

    # -- derived -------------------------------------------------------------------------------
    def task_range(self, index: int) -> range:
        """Sample indices of task ``index``: contiguous, sizes differing by at most one."""
        return range(index * self.n // self.shards, (index + 1) * self.n // self.shards)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["targets"] = list(self.targets)
        d["ptx_archs"] = list(self.ptx_archs)
        d["category_weights"] = dict(self.category_weights)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=2) + "\n"

    @property
    def hash(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        d = dict(d)
        d["targets"] = tuple(d["targets"])
        d["ptx_archs"] = tuple(d["ptx_archs"])
        d["category_weights"] = tuple(sorted(d["category_weights"].items()))
        return cls(**d)


def parse_ptx(spec: str | None, targets: tuple[str, ...] | list[str] | None = None, option: str = "--ptx") -> tuple[int, ...]:
    """``"sm_80,sm_90"`` (or ``"80,90"``) -> ``(80, 90)``; each arch must be one Warp's bundled
    NVRTC compiles for (:func:`check_ptx_archs`), and ``targets``, when given, must include cuda.
    ``option`` names the option in errors (``--ptx``, ``--cuda-arch``)."""
    if not spec:
        return ()
    archs = []
    for part in spec.split(","):
        part = part.strip().lower()
        digits = part[3:] if part.startswith("sm_") else part
        if not digits.isdigit():
            raise WarpsynthError(f"{option}: expected arch list like sm_80,sm_90, got {spec!r}")
        archs.append(int(digits))
    check_ptx_archs(archs, targets, option)
    return tuple(archs)


def check_ptx_archs(archs, targets=None, option: str = "--ptx") -> None:
    """Raise WarpsynthError unless every arch is in ``wp.get_cuda_supported_archs()`` (the bundled
    NVRTC's list, e.g. 75..121 in Warp 1.19) and, when ``targets`` is given, it includes cuda."""
    if not archs:
        return
    if targets is not None and "cuda" not in targets:
        raise WarpsynthError(f"{option}: it applies to the CUDA code; add cuda to --targets (got {','.join(targets)})")
    import warp as wp

    _warp.init_quiet()
    supported = sorted(wp.get_cuda_supported_archs())
    bad = [a for a in archs if a not in supported]
    if bad:
        raise WarpsynthError(f"{option}: sm_{bad[0]} is not an arch Warp's NVRTC supports (choose from {', '.join(f'sm_{a}' for a in supported)})")


def parse_targets(spec: str) -> tuple[str, ...]:
    return tuple(t.strip().lower() for t in spec.split(",") if t.strip())


def parse_weights(spec: str | None) -> tuple[tuple[str, float], ...]:
    """``"tile=2,reduction=1"`` -> sorted (name, weight) pairs; a name given twice is an error."""
    if not spec:
        return ()
    out = {}
    for part in spec.split(","):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise WarpsynthError(f"--category-weights: {part!r} is not NAME=WEIGHT")
        if name.strip() in out:
            raise WarpsynthError(f"--category-weights: {name.strip()!r} is given twice")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise WarpsynthError(f"--category-weights: weight {value!r} of {name.strip()!r} is not a number") from None
    return tuple(sorted(out.items()))


def stored_config(root: str | os.PathLike) -> dict | None:
    path = run_dir(root) / CONFIG_FILE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def check_folder(root: str | os.PathLike, config: RunConfig, overwrite: bool) -> str:
    """Decide what to do with ``root``: "new", "resume" or "overwrite"; refuse a mismatch.

    A folder holding a run with the same config is resumed (completed tasks are
    skipped). A different config, or a non-empty folder that is not a run, is
    refused unless ``overwrite``.
    """
    root = Path(root)
    if not root.exists():
        return "new"
    if not root.is_dir():
        raise WarpsynthError(f"{root}: exists and is not a folder")
    if not any(root.iterdir()):
        return "new"
    stored = stored_config(root)
    if stored is not None and stored.get("hash") == config.hash:
        return "resume"
    if overwrite:
        return "overwrite"
    if stored is None:
        raise WarpsynthError(f"{root}: not empty and not a warpsynth run folder; choose another -o or pass --overwrite")
    old = stored.get("config", {})
    new = config.to_dict()
    changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    detail = ", ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in changed[:4]) or "config hash differs"
    raise WarpsynthError(f"{root}: holds a run with different settings ({detail}); use another -o or pass --overwrite")

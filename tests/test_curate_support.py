"""Shared fixtures for the curation tests: small real dataset folders built from
hand-written kernels (load_source + extract + row_from_ir), with planted duplicates."""

from __future__ import annotations

import shutil
from pathlib import Path

from warpsynth.dataset import folder
from warpsynth.dataset.io import write_rows
from warpsynth.extract.row import row_from_ir
from warpsynth.extract import extract, load_source

HEADER = "import warp as wp\n\n"

KERNELS = {
    "saxpy": """
@wp.kernel
def saxpy(a: wp.array(dtype=float), b: wp.array(dtype=float), alpha: float, out: wp.array(dtype=float)):
    tid = wp.tid()
    out[tid] = alpha * a[tid] + b[tid]
""",
    "vec_length": """
@wp.kernel
def vec_length(points: wp.array(dtype=wp.vec3), lengths: wp.array(dtype=float)):
    i = wp.tid()
    p = points[i]
    lengths[i] = wp.sqrt(wp.dot(p, p))
""",
    "clamp_values": """
@wp.kernel
def clamp_values(x: wp.array(dtype=float), lo: float, hi: float):
    i = wp.tid()
    v = x[i]
    if v < lo:
        v = lo
    elif v > hi:
        v = hi
    x[i] = v
""",
    "sum_reduce": """
@wp.kernel
def sum_reduce(values: wp.array(dtype=float), total: wp.array(dtype=float)):
    i = wp.tid()
    wp.atomic_add(total, 0, values[i] * values[i])
""",
    "laplace2d": """
@wp.kernel
def laplace2d(u: wp.array2d(dtype=float), out: wp.array2d(dtype=float)):
    i, j = wp.tid()
    n = u.shape[0]
    m = u.shape[1]
    if i > 0 and j > 0 and i < n - 1 and j < m - 1:
        out[i, j] = u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1] - 4.0 * u[i, j]
""",
    "poly_helper": """
@wp.func
def horner(x: float, c0: float, c1: float, c2: float):
    return c0 + x * (c1 + x * c2)


@wp.kernel
def poly_helper(xs: wp.array(dtype=float), ys: wp.array(dtype=float)):
    i = wp.tid()
    ys[i] = horner(xs[i], 1.0, -0.5, 0.25)
""",
    "cross_normal": """
@wp.kernel
def cross_normal(a: wp.array(dtype=wp.vec3), b: wp.array(dtype=wp.vec3), n: wp.array(dtype=wp.vec3)):
    tid = wp.tid()
    c = wp.cross(a[tid], b[tid])
    n[tid] = wp.normalize(c)
""",
    "rotate_quat": """
@wp.kernel
def rotate_quat(q: wp.array(dtype=wp.quat), v: wp.array(dtype=wp.vec3), out: wp.array(dtype=wp.vec3)):
    tid = wp.tid()
    out[tid] = wp.quat_rotate(q[tid], v[tid])
""",
    "loop_pow": """
@wp.kernel
def loop_pow(x: wp.array(dtype=float), k: int, y: wp.array(dtype=float)):
    i = wp.tid()
    acc = float(1.0)
    for step in range(k):
        acc = acc * x[i]
    y[i] = acc
""",
    "mat_apply": """
@wp.kernel
def mat_apply(m: wp.array(dtype=wp.mat33), v: wp.array(dtype=wp.vec3), out: wp.array(dtype=wp.vec3)):
    tid = wp.tid()
    out[tid] = m[tid] * v[tid] + wp.vec3(1.0, 0.0, 0.0)
""",
    "random_fill": """
@wp.kernel
def random_fill(seed: int, out: wp.array(dtype=float)):
    tid = wp.tid()
    state = wp.rand_init(seed, tid)
    out[tid] = wp.randf(state) * 2.0 - 1.0
""",
    "smooth_step": """
@wp.kernel
def smooth_step(x: wp.array(dtype=float), edge0: float, edge1: float, y: wp.array(dtype=float)):
    i = wp.tid()
    t = wp.clamp((x[i] - edge0) / (edge1 - edge0), 0.0, 1.0)
    y[i] = t * t * (3.0 - 2.0 * t)
""",
}

# Planted duplicates: base name -> (dup name, source). "exact" ones differ from
# their base only by identifier names and literal values; "near" ones are
# renamed and also have an extra statement.
EXACT_DUPS = {
    "saxpy": ("scaled_add", """
@wp.kernel
def scaled_add(xs: wp.array(dtype=float), ys: wp.array(dtype=float), s: float, res: wp.array(dtype=float)):
    k = wp.tid()
    res[k] = s * xs[k] + ys[k]
"""),
    "smooth_step": ("hermite_ramp", """
@wp.kernel
def hermite_ramp(u: wp.array(dtype=float), a0: float, a1: float, w: wp.array(dtype=float)):
    j = wp.tid()
    s = wp.clamp((u[j] - a0) / (a1 - a0), 0.0, 1.0)
    w[j] = s * s * (3.5 - 2.5 * s)
"""),
}
NEAR_DUPS = {
    "laplace2d": ("stencil5", """
@wp.kernel
def stencil5(f: wp.array2d(dtype=float), g: wp.array2d(dtype=float)):
    r, c = wp.tid()
    rows = f.shape[0]
    cols = f.shape[1]
    if r > 0 and c > 0 and r < rows - 1 and c < cols - 1:
        g[r, c] = f[r - 1, c] + f[r + 1, c] + f[r, c - 1] + f[r, c + 1] - 4.0 * f[r, c]
        g[r, c] = g[r, c] * 0.5
"""),
    "loop_pow": ("repeat_mul", """
@wp.kernel
def repeat_mul(src: wp.array(dtype=float), count: int, dst: wp.array(dtype=float)):
    t = wp.tid()
    prod = float(1.0)
    for it in range(count):
        prod = prod * src[t]
    dst[t] = prod
    src[t] = prod
"""),
}

CATEGORIES = {"saxpy": "elementwise", "vec_length": "vector", "clamp_values": "control_flow", "sum_reduce": "atomics",
              "laplace2d": "stencil", "poly_helper": "functions", "cross_normal": "vector", "rotate_quat": "quaternion",
              "loop_pow": "control_flow", "mat_apply": "matrix", "random_fill": "random", "smooth_step": "elementwise"}
BUILTINS = {"vec_length": ["sqrt", "dot"], "sum_reduce": ["atomic_add"], "cross_normal": ["cross", "normalize"],
            "rotate_quat": ["quat_rotate"], "random_fill": ["rand_init", "randf"], "smooth_step": ["clamp"]}


def make_row(name: str, body: str, *, seed: int = 0, backward: bool = True, **extra) -> dict:
    source = HEADER + body.lstrip("\n")
    with load_source(source, "curate") as loaded:
        kernel = next(k for k in loaded.kernels().values() if k.key == name)
        ir = extract(kernel, targets=("cpu", "cuda"), backward=backward)
    base = name
    for b, (dup, _) in list(EXACT_DUPS.items()) + list(NEAR_DUPS.items()):
        if dup == name:
            base = b
    fields = dict(
        category=CATEGORIES.get(base, "misc"),
        features=["loop"] if "for " in body else [],
        builtins=BUILTINS.get(base, []),
        seed=seed,
        verify_level="run" if seed % 3 else "grad",
        differentiable=True,
        grad_max_rel_err=1e-4 * (1 + seed % 5),
    )
    fields.update(extra)
    return row_from_ir(ir, source=source, origin="generated", **fields)


def base_rows() -> list[dict]:
    return [make_row(name, body, seed=i) for i, (name, body) in enumerate(KERNELS.items())]


def dup_rows() -> list[dict]:
    out = []
    for i, (base, (name, body)) in enumerate(list(EXACT_DUPS.items()) + list(NEAR_DUPS.items())):
        out.append(make_row(name, body, seed=100 + i))
    return out


def write_dataset(root: Path, rows: list[dict], split: str = "train", shards: int = 1) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    per = -(-len(rows) // shards)
    names = []
    for i in range(shards):
        path = folder.shard_path(root, split, i, shards)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_rows(rows[i * per : (i + 1) * per], path)
        names.append(path.relative_to(root).as_posix())
    folder.write_card(root, splits={split: names}, num_rows=len(rows), warp_version="1.19.0",
                      summary_markdown="# test dataset\n\nHand-written kernels.",
                      generator_config={"targets": ["cpu", "cuda"], "backward": True})
    return root


def copy_dataset(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def all_rows() -> list[dict]:
    return base_rows() + dup_rows()


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """Run the CLI in-process; (exit status, stdout, stderr)."""
    import contextlib
    import io

    from warpsynth.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def leftovers(parent: Path) -> list[str]:
    """Temporary files/folders a failed command might have left in ``parent``."""
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(".") and (p.name.endswith(".tmp") or p.name.endswith(".old")))


def truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])

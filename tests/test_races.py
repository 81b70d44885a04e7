"""Static race / block_dim check: racy kernels of each kind are rejected with the right reason; real patterns pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from warpsynth.errors import WarpsynthError
from warpsynth.generate import GeneratorConfig, kernel
from warpsynth.generate.gpu_rules import atomic_ops_for_array, ops_commute, tile_matmul_ok
from warpsynth.verify.races import LaunchSpec, check_races, witness
from warpsynth.verify.index_forms import Affine

CASES = Path(__file__).parent / "data" / "gpu_cases"
HEAD = "import warp as wp\n"


def check(src: str, dim=(64,), tiled=False, block_dim=None, shapes=None, scalars=None, name="k") -> list[str]:
    return check_races(HEAD + src.lstrip("\n"), name, LaunchSpec(tuple(dim), tiled, block_dim, shapes or {}, scalars or {}))


# ---------------------------------------------------------------- the shared GPU cases (H200 mismatches)
@pytest.mark.parametrize("case, reason", [
    ("mixed_atomic_max_add", "'bins' is updated by several threads with wp.atomic_max (line 14), wp.atomic_add (line 22), which do not commute"),
    ("mixed_atomic_min_add", "which do not commute"),
    ("tile_atomic_per_thread", "every thread of the block executes the wp.atomic_add on 'total'"),
    ("tile_matmul_lto_sm90", "wp.tile_matmul 4x4x4 float32 at block_dim 16 is not a GEMM MathDx"),
])
def test_shared_gpu_cases_are_rejected(case, reason):
    meta = json.loads((CASES / "launches.json").read_text())[case]
    problems = check_races((CASES / f"{case}.py").read_text(), meta["kernel_name"], json.dumps(meta["launch"]))
    assert any(reason in p for p in problems), problems


def test_mixed_min_add_case_also_flags_the_used_atomic_result():
    meta = json.loads((CASES / "launches.json").read_text())["mixed_atomic_min_add"]
    problems = check_races((CASES / "mixed_atomic_min_add.py").read_text(), meta["kernel_name"], meta["launch"])
    assert any(p.startswith("line 19: uses the value wp.atomic_min returns on 'accum'") for p in problems), problems


def test_tile_case_flags_block_dim_as_a_value():
    meta = json.loads((CASES / "launches.json").read_text())["tile_atomic_per_thread"]
    problems = check_races((CASES / "tile_atomic_per_thread.py").read_text(), meta["kernel_name"], meta["launch"])
    assert any(p.startswith("line 8: uses wp.block_dim() as a value") for p in problems), problems


# ---------------------------------------------------------------- hand-written racy kernels, one per kind
RACY = {
    "mixed atomics": ('''
@wp.kernel
def k(x: wp.array(dtype=float), acc: wp.array(dtype=float)):
    i = wp.tid()
    wp.atomic_add(acc, i % 4, x[i])
    wp.atomic_min(acc, 0, x[i])
''', "line 5: 'acc' is updated by several threads with wp.atomic_add (line 5), wp.atomic_min (line 6), which do not commute"),
    "non-atomic shared read-modify-write": ('''
@wp.kernel
def k(x: wp.array(dtype=float), acc: wp.array(dtype=float)):
    i = wp.tid()
    acc[0] = acc[0] + x[i]
''', "line 5: reads 'acc' at [0], not a location only this thread owns"),
    "read of another thread's location": ('''
@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float), z: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = x[i]
    z[i] = y[i + 1]
''', "line 6: reads 'y' at [tid0 + 1] while line 5 writes it at [tid0]: another thread's location"),
    "per-thread atomic of a tile reduction": ('''
@wp.kernel
def k(x: wp.array(dtype=float), total: wp.array(dtype=float)):
    i = wp.tid()
    t = wp.tile_load(x, shape=16, offset=i * 16)
    s = wp.tile_sum(t)
    wp.atomic_add(total, 0, s[0])
''', "line 7: every thread of the block executes the wp.atomic_add on 'total', so the result scales with block_dim"),
    "racy write in a helper": ('''
@wp.func
def put(a: wp.array(dtype=float), k: int, v: float):
    a[k] = v

@wp.kernel
def k(x: wp.array(dtype=float), out: wp.array(dtype=float)):
    i = wp.tid()
    put(out, i % 4, x[i])
''', "line 4: in helper 'put' writes 'out' at [?], not a location only this thread owns"),
    "used atomic result": ('''
@wp.kernel
def k(x: wp.array(dtype=float), counter: wp.array(dtype=int), out: wp.array(dtype=float)):
    i = wp.tid()
    slot = wp.atomic_add(counter, 0, 1)
    out[i] = float(slot)
''', "line 5: uses the value wp.atomic_add returns on 'counter'"),
    "order-dependent atomic": ('''
@wp.kernel
def k(x: wp.array(dtype=float), last: wp.array(dtype=float)):
    i = wp.tid()
    wp.atomic_exch(last, 0, x[i])
''', "wp.atomic_exch (line 5), which does not commute"),
    "plain write mixed with atomics": ('''
@wp.kernel
def k(x: wp.array(dtype=float), acc: wp.array(dtype=float)):
    i = wp.tid()
    wp.atomic_add(acc, 0, x[i])
    acc[i] = 0.0
''', "line 6: writes 'acc' non-atomically while other threads update it atomically (line 5)"),
    "read of an atomically updated array": ('''
@wp.kernel
def k(x: wp.array(dtype=float), acc: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    wp.atomic_add(acc, 0, x[i])
    y[i] = acc[0]
''', "line 6: reads 'acc', which other threads update atomically in the same launch (line 5)"),
    "write that ignores a launch dimension": ('''
@wp.kernel
def k(x: wp.array2d(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = x[i, 0]
''', "line 5: writes 'y' at [tid0], not a location only this thread owns"),
    "block_dim as a value": ('''
@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = x[i] / float(wp.block_dim())
''', "line 5: uses wp.block_dim() as a value"),
    "overlapping tile stores": ('''
@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    t = wp.tile_load(x, shape=16, offset=i * 16)
    wp.tile_store(y, t, offset=i * 8)
''', "line 6: writes 'y' at [8*tid0], not a location only this thread owns"),
    "augmented multiply of a shared slot": ('''
@wp.kernel
def k(x: wp.array(dtype=float), acc: wp.array(dtype=float)):
    i = wp.tid()
    acc[i % 2] *= x[i]
''', "line 5: reads 'acc' at [?], not a location only this thread owns"),
}


@pytest.mark.parametrize("kind", sorted(RACY))
def test_racy_kernel_is_rejected_with_its_reason(kind):
    src, reason = RACY[kind]
    tiled = "tile_" in src
    dim = (4,) if tiled else ((8, 8) if "array2d" in src else (64,))
    problems = check(src, dim=dim, tiled=tiled, block_dim=32 if tiled else None)
    assert any(reason in p for p in problems), problems


# ---------------------------------------------------------------- correct real-style kernels
GOOD = {
    "histogram": ('''
@wp.kernel
def k(x: wp.array(dtype=float), hist: wp.array(dtype=int)):
    i = wp.tid()
    b = wp.clamp(int(x[i] * 8.0), 0, 7)
    wp.atomic_add(hist, b, 1)
''', {}),
    "grid-stride loop": ('''
@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float), n: int, stride: int):
    tid = wp.tid()
    for idx in range(tid, n, stride):
        y[idx] = x[idx] * 2.0 + y[idx]
''', {"scalars": {"n": 1000, "stride": 64}}),
    "2-D stencil read, owned write": ('''
@wp.kernel
def k(a: wp.array2d(dtype=float), out: wp.array2d(dtype=float)):
    i, j = wp.tid()
    n = a[wp.max(i - 1, 0), j] + a[wp.min(i + 1, a.shape[0] - 1), j]
    out[i, j] = n + a[j, i]
''', {"dim": (8, 8)}),
    "flattened index": ('''
@wp.kernel
def k(a: wp.array2d(dtype=float), out: wp.array(dtype=float)):
    i, j = wp.tid()
    out[i * out_w + j] = a[i, j]
''', {"dim": (4, 8), "scalars": {"out_w": 8}}),
    "owned write in a helper": ('''
@wp.func
def put(a: wp.array(dtype=float), k: int, v: float):
    a[k] = v * 2.0

@wp.kernel
def k(x: wp.array(dtype=float), out: wp.array(dtype=float)):
    i = wp.tid()
    put(out, i, x[i])
''', {}),
    "in-place update and component write": ('''
@wp.kernel
def k(v: wp.array(dtype=wp.vec3), y: wp.array(dtype=float), w: wp.array(dtype=float)):
    i = wp.tid()
    p = v[i]
    p[0] = 1.0
    v[i] = p * 2.0
    y[i] = y[i] * 0.5
    w[i] += y[i]
    v[i].y = 3.0
''', {}),
    "one commuting atomic kind per array": ('''
@wp.kernel
def k(x: wp.array(dtype=float), acc: wp.array(dtype=float), lo: wp.array(dtype=float)):
    i = wp.tid()
    wp.atomic_add(acc, 0, x[i])
    wp.atomic_sub(acc, i % 3, x[i] * 0.5)
    acc[1] += x[i]
    wp.atomic_min(lo, 0, x[i])
    if x[i] > 0.0:
        wp.atomic_min(lo, 1, x[i])
''', {}),
    "tiles: load, map, store, tile_atomic_add": ('''
@wp.kernel
def k(x: wp.array2d(dtype=float), out: wp.array2d(dtype=float), total: wp.array(dtype=float)):
    i, j = wp.tid()
    t = wp.tile_load(x, shape=(8, 8), offset=(i * 8, j * 8))
    u = wp.tile_map(wp.sin, t) * 2.0
    wp.tile_store(out, wp.tile_transpose(u), offset=(i * 8, j * 8))
    wp.tile_atomic_add(total, wp.tile_sum(u))
''', {"dim": (2, 2), "tiled": True, "block_dim": 32}),
    "tiles: scalar side effect on one lane": ('''
@wp.kernel
def k(x: wp.array(dtype=float), sums: wp.array(dtype=float), maxes: wp.array(dtype=float)):
    i, lane = wp.tid()
    t = wp.tile_load(x, shape=64, offset=i * 64)
    s = wp.tile_sum(t)[0]
    if lane == 0:
        sums[i] = s
        wp.atomic_max(maxes, 0, s)
    for k2 in range(lane, 64, wp.block_dim()):
        s += 0.0
''', {"dim": (4,), "tiled": True, "block_dim": 32}),
    "tile_matmul in a shape MathDx builds": ('''
@wp.kernel
def k(a: wp.array2d(dtype=float), c: wp.array2d(dtype=float)):
    i, j = wp.tid()
    t = wp.tile_load(a, shape=(4, 4), offset=(i * 4, j * 4))
    wp.tile_store(c, wp.tile_matmul(t, t), offset=(i * 4, j * 4))
''', {"dim": (2, 2), "tiled": True, "block_dim": 32}),
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_correct_kernel_is_accepted(name):
    src, launch = GOOD[name]
    assert check(src, **launch) == []


def test_unknown_launch_of_an_extracted_kernel():
    src = HEAD + "@wp.kernel\ndef k(x: wp.array(dtype=float), y: wp.array(dtype=float)):\n    i = wp.tid()\n    y[i] = x[i]\n"
    assert check_races(src, "k", None) == []
    assert check_races(src.replace("y[i] = x[i]", "y[0] = x[i]"), "k", None) != []


def test_bad_source_or_kernel_name_is_a_one_line_error():
    with pytest.raises(WarpsynthError, match="no @wp.kernel named 'nope'"):
        check_races(HEAD + "x = 1\n", "nope")
    with pytest.raises(WarpsynthError, match="does not parse"):
        check_races("def (:\n", "k")


def test_witness_needs_a_mixed_radix():
    i, j = Affine(tid=((0, 1),)), Affine(tid=((1, 1),))
    assert witness((i, j), (1, 1), (4, 8)) is not None
    flat_ok = Affine(tid=((0, 8), (1, 1)))
    flat_bad = Affine(tid=((0, 4), (1, 1)))  # rows overlap when j >= 4
    assert witness((flat_ok,), (1,), (4, 8)) is not None
    assert witness((flat_bad,), (1,), (4, 8)) is None
    assert witness((Affine(tid=((0, 8),)),), (16,), (4,)) is None  # 16-wide tiles every 8: overlap


# ---------------------------------------------------------------- rules shared with the generator
def test_commuting_groups():
    assert ops_commute({"add", "sub"}) and ops_commute({"min"}) and ops_commute({"xor"})
    assert not ops_commute({"add", "max"}) and not ops_commute({"min", "max"}) and not ops_commute({"exch"})


def test_atomic_ops_for_array_always_commute():
    import random

    rng = random.Random(0)
    for _ in range(200):
        assert ops_commute(set(atomic_ops_for_array(rng, rng.random() < 0.5)))


def test_tile_matmul_table_matches_the_measured_failures():
    # the H200 run: 4x4x4, 8x8x8 and 16x16x16 at block_dim 16 failed for sm_90
    for n in (4, 8, 16):
        assert not tile_matmul_ok(n, n, n, "float32", 16)
    assert tile_matmul_ok(4, 4, 4, "float32", 32)


def test_generated_kernels_are_race_free():
    config = GeneratorConfig()
    failures = {}
    for seed in range(300):
        p = kernel(seed, config)
        problems = check_races(p.source, p.kernel_name, p.launch_json())
        if problems:
            failures[seed] = problems[0]
    assert failures == {}


def test_pipeline_rejects_a_racy_program_before_codegen():
    from warpsynth.generate.program import KernelProgram
    from warpsynth.pipeline.verifying import race_reject

    src, _ = RACY["mixed atomics"]
    racy = KernelProgram(seed=1, source=HEAD + src.lstrip("\n"), kernel_name="k", category="t", features=(), args=(),
                         launch_dim=(64,), config_hash="t")
    assert "do not commute" in race_reject(racy)
    assert race_reject(kernel(3, GeneratorConfig())) is None


def test_positional_tile_arguments():
    src = '''
@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    t = wp.tile_load(x, 16, i * 16)
    wp.tile_store(y, t + wp.tile_zeros(16, dtype=float), i * 16)
'''
    assert check(src, dim=(4,), tiled=True, block_dim=32) == []
    assert check(src.replace("i * 16)\n", "i * 8)\n"), dim=(4,), tiled=True, block_dim=32) != []


def test_aliases_views_and_array_helpers():
    alias = '''
@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    z = y
    z[0] = x[i]
'''
    assert any("writes 'y' at [0]" in p for p in check(alias))
    view = '''
@wp.kernel
def k(x: wp.array2d(dtype=float), y: wp.array2d(dtype=float)):
    i, j = wp.tid()
    row = y[0]
    row[j] = x[i, j]
'''
    assert any("a view of an array" in p for p in check(view, dim=(8, 8)))
    helper_view = '''
@wp.func
def put(a: wp.array(dtype=float), v: float):
    a[0] = v

@wp.kernel
def k(x: wp.array2d(dtype=float), y: wp.array2d(dtype=float)):
    i, j = wp.tid()
    put(y[i], x[i, j])
'''
    assert any("passes y[i] to helper 'put' as an array" in p for p in check(helper_view, dim=(8, 8)))


def test_a_loop_variable_added_to_the_thread_index_is_not_owned():
    src = '''
@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    for j in range(4):
        y[i + j] = x[i]
'''
    assert any("writes 'y' at [tid0 + loop:j@5], not a location only this thread owns" in p for p in check(src))
    assert check(src.replace("y[i + j]", "y[i]")) == []


def test_unmodelled_writes_and_untiled_tile_ops_are_rejected():
    struct_atomic = '''
@wp.struct
class S:
    acc: wp.array(dtype=float)

@wp.kernel
def k(s: S, x: wp.array(dtype=float)):
    i = wp.tid()
    wp.atomic_add(s.acc, 0, x[i])
'''
    assert any("wp.atomic_add on s.acc: the check cannot tell which array it writes" in p for p in check(struct_atomic))
    untiled = '''
@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    t = wp.tile_load(x, shape=16, offset=i * 16)
    wp.tile_store(y, t, offset=i * 16)
'''
    assert any("tile operations in a launch that is not tiled" in p for p in check(untiled, dim=(4,)))
    assert check(untiled, dim=(4,), tiled=True, block_dim=32) == []


def test_module_integer_constants_are_read_as_their_values():
    """Tile code declares its extents as module constants (``TILE_M = wp.constant(8)``); the check
    reads them as Warp's codegen does, so shapes, offsets and the MathDx GEMM key are known."""
    gemm = """
TILE_M = wp.constant(8)
TILE_N = 8
TILE_K = wp.constant(8)

@wp.kernel
def k(A: wp.array2d(dtype=float), B: wp.array2d(dtype=float), C: wp.array2d(dtype=float)):
    i, j = wp.tid()
    acc = wp.tile_zeros(shape=(TILE_M, TILE_N), dtype=float)
    for kk in range(int(A.shape[1] / TILE_K)):
        a = wp.tile_load(A, shape=(TILE_M, TILE_K), offset=(i * TILE_M, kk * TILE_K))
        b = wp.tile_load(B, shape=(TILE_K, TILE_N), offset=(kk * TILE_K, j * TILE_N))
        wp.tile_matmul(a, b, acc)
    wp.tile_store(C, acc, offset=(i * TILE_M, j * TILE_N))
"""
    shapes = {"A": (16, 16), "B": (16, 16), "C": (16, 16)}
    assert check(gemm, dim=(2, 2), tiled=True, block_dim=32, shapes=shapes) == []
    assert any("4x4x4" not in p and "MathDx" in p for p in check(gemm, dim=(2, 2), tiled=True, block_dim=16, shapes=shapes))
    # a constant store offset is still shared by every thread; a name the kernel assigns is not a constant
    racy = """
ROW = wp.constant(3)

@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[ROW] = x[i]
"""
    assert any("'y'" in p for p in check(racy))
    shadowed = """
S = 4

@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    S = i
    y[S] = x[i]
"""
    assert check(shadowed) == []


BLOCK_SUM = '''
@wp.kernel
def k(e: wp.array(dtype=float), total: wp.array(dtype=float)):
    i = wp.tid()
    v = e[i] * e[i]
    s = wp.tile_sum(wp.tile(v))
    wp.tile_atomic_add(total, s)
'''


@pytest.mark.parametrize("src", [
    BLOCK_SUM,
    BLOCK_SUM.replace("    s = wp.tile_sum(wp.tile(v))\n    wp.tile_atomic_add(total, s)", "    wp.tile_atomic_add(total, wp.tile_sum(wp.tile(v)))"),
])
def test_a_block_sum_in_a_plain_launch_is_accepted(src):
    """``wp.tile_atomic_add(total, wp.tile_sum(wp.tile(v)))`` (example_fdtd_3d.py): the same total at any block_dim."""
    assert check(src, dim=(256,)) == []


@pytest.mark.parametrize("change, reason", [
    (("    v = e[i] * e[i]\n", "    if e[i] < 0.0:\n        return\n    v = e[i] * e[i]\n"), "tile operations in a launch that is not tiled"),
    (("    wp.tile_atomic_add(total, s)\n", "    wp.tile_atomic_add(total, s)\n    total[i] = s[0]\n"), "tile operations in a launch that is not tiled"),
    (("wp.tile_sum(wp.tile(v))", "wp.tile_max(wp.tile(v))"), "tile operations in a launch that is not tiled"),
    (("    wp.tile_atomic_add(total, s)\n", "    wp.tile_store(total, s)\n"), "tile operations in a launch that is not tiled"),
    (("    s = wp.tile_sum(wp.tile(v))\n    wp.tile_atomic_add(total, s)\n",
      "    if v > 0.0:\n        s = wp.tile_sum(wp.tile(v))\n        wp.tile_atomic_add(total, s)\n"), "tile operations in a launch that is not tiled"),
    (("s = wp.tile_sum(wp.tile(v))", "s = wp.tile_sum(wp.tile(v) * wp.untile(wp.tile(v)))"), "one element per thread"),
])
def test_other_per_thread_tiles_are_rejected(change, reason):
    """An early return (threads missing from the block's tile), another use of the block's sum, another
    reduction or a store of it: each depends on block_dim, so the check still flags it."""
    src = BLOCK_SUM.replace(*change)
    assert src != BLOCK_SUM
    assert any(reason in p for p in check(src, dim=(256,))), check(src, dim=(256,))


HISTOGRAM = '''
@wp.kernel
def k(x: wp.array(dtype=float), counts: wp.array(dtype=int)):
    i = wp.tid()
    b = int((x[i] + 1.0) * 4.0)
    h = wp.tile_zeros(shape=8, dtype=int, storage="shared")
    wp.tile_scatter_add(h, b, 1, b >= 0 and b < 8)
    wp.tile_atomic_add(counts, h)
'''


def test_a_privatized_histogram_in_a_plain_launch_is_accepted():
    """Per-block bins filled with tile_scatter_add, added once per block: the same counts at any block_dim."""
    assert check(HISTOGRAM, dim=(256,)) == []


@pytest.mark.parametrize("change", [
    ("1, b >= 0 and b < 8)", "1, b >= 0 and b < 8, False)"),  # non-atomic scatter: colliding updates are lost
    ("    wp.tile_atomic_add(counts, h)\n", "    wp.tile_atomic_add(counts, h)\n    counts[i] = h[0]\n"),  # h read per thread
    ("    b = int", "    if x[i] > 2.0:\n        return\n    b = int"),  # threads missing from the scatter
    ("    wp.tile_atomic_add(counts, h)\n", "    wp.tile_store(counts, h)\n"),  # every block overwrites the bins
])
def test_other_histograms_are_rejected(change):
    src = HISTOGRAM.replace(*change)
    assert src != HISTOGRAM and check(src, dim=(256,)) != []

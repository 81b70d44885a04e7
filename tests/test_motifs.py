"""Motif families (generate/motifs): valid Warp, race-free and dataflow-clean by construction,
deterministic, diverse, with the language features real Warp code uses; host objects for
queries built from the seed."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import subprocess
import sys
import textwrap
from collections import Counter

import numpy as np
import pytest

from warpsynth.errors import WarpsynthError
from warpsynth.generate import GeneratorConfig, kernel
from warpsynth.generate.canonical import canonical_form
from warpsynth.verify.generated import codegen_error
from warpsynth.generate.motifs import MOTIF_CATEGORIES, MOTIF_WEIGHT, MOTIF_WEIGHTS
from warpsynth.generate.launch import make_inputs
from warpsynth.generate.motifs import FAMILIES
from warpsynth.generate.motifs.audit import dataflow_problems, race_problems
from warpsynth.generate.program import ArgSpec
from warpsynth.verify.races import check_races

def _programs(category: str, seeds) -> list:
    cfg = GeneratorConfig.only(category)
    return [kernel(s, cfg) for s in seeds]


def _kernel_def(tree: ast.Module, name: str) -> ast.FunctionDef:
    return [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name][0]


def test_registry_one_category_per_family():
    assert MOTIF_CATEGORIES == tuple(f"motif_{f}" for f in FAMILIES)
    assert len(FAMILIES) == 11
    weights = GeneratorConfig().weights  # every family is in the default mix
    assert all(weights[f"motif_{f}"] == MOTIF_WEIGHTS.get(f, MOTIF_WEIGHT) for f in FAMILIES)


@pytest.mark.parametrize("category", MOTIF_CATEGORIES)
def test_family_passes_codegen_cpu_cuda_forward_backward(category):
    for p in _programs(category, range(20)):
        assert p.category == category and category in p.features and "motif" in p.features
        assert p.source.startswith("import warp as wp\n")
        kdef = _kernel_def(ast.parse(p.source), p.kernel_name)
        assert [a.arg for a in kdef.args.args] == [a.name for a in p.args]
        assert codegen_error(p) is None, (p.seed, p.source)


@pytest.mark.parametrize("category", MOTIF_CATEGORIES)
def test_family_is_race_free_and_dataflow_clean(category):
    for p in _programs(category, range(40)):
        assert race_problems(p) == [], (p.seed, p.source)
        assert check_races(p.source, p.kernel_name, p.launch_json()) == [], (p.seed, p.source)
        assert dataflow_problems(p.source) == [], (p.seed, p.source)


def test_checks_catch_races_and_dead_values():
    racy = kernel(0, GeneratorConfig.only("motif_stencil"))
    src = racy.source.replace("wp.tid()", "wp.tid()\n    dead = 1.0", 1)
    assert any("dead" in e for e in dataflow_problems(src))
    out = racy.args[-1].name
    shifted = racy.source.replace(f"    {out}[", f"    {out}[1 + ")
    assert shifted != racy.source
    assert any("own element" in e for e in race_problems(racy.__class__(**{**racy.__dict__, "source": shifted})))


def _digest(n: int) -> str:
    h = hashlib.sha256()
    for c in MOTIF_CATEGORIES:
        for p in _programs(c, range(n)):
            h.update(p.source.encode()); h.update(p.launch_json().encode()); h.update(repr(p.features).encode())
    return h.hexdigest()


def test_same_seed_same_bytes_in_another_process():
    code = "from test_motifs import _digest; print('DIGEST', _digest(6))"
    env = dict(os.environ, PYTHONHASHSEED="12345", PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300,
                          cwd=os.path.dirname(__file__))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"DIGEST {_digest(6)}" in proc.stdout


def test_structurally_unique_and_uses_the_language_real_code_uses():
    cfg = GeneratorConfig.motifs()
    progs = [kernel(s, cfg) for s in range(800)]
    forms = Counter(canonical_form(p.source) for p in progs)
    # measured 794/800 (99.25%) here (docs/generator.md has the 10,000-seed figure); this guards
    # against losing the variation there is
    assert len(forms) >= 0.97 * len(progs)
    features = set().union(*(p.features for p in progs))
    wanted = {"wp_static", "generic", "kernel_overload", "func_overload", "func_grad", "struct_array", "nested_struct",
              "wp_constant", "early_return", "array_subscript_annotation", "array_call_annotation", "mesh", "bvh",
              "hashgrid", "volume", "tile", "atomic", "random", "float64", "triangular_solve"}
    assert wanted <= features, wanted - features
    builtins = set().union(*(p.builtins for p in progs))
    assert {"hash_grid_query", "mesh_query_ray", "bvh_query_aabb", "volume_sample_f", "tile_cholesky", "rand_init",
            "quat_from_axis_angle", "transform_point", "static", "tile_matmul", "tile_fft", "tile_ifft", "tile_sort",
            "tile_broadcast", "hash_grid_point_id", "mesh_query_aabb", "mesh_get_point",
            "mesh_query_point_sign_normal", "quat_to_axis_angle", "transform_inverse", "tile_cholesky_inplace",
            "volume_index_to_world", "volume_world_to_index_dir", "tile", "cos", "sin"} <= builtins, sorted(builtins)
    # the host mesh is an open height field: a winding-number or ray-vote sign means nothing there
    assert "mesh_query_point_sign_winding_number" not in builtins


def _host_program(kind: str, **match):
    """The first program (over the query families, seeds 0..59) with a host argument of ``kind``."""
    for c in ("motif_neighbors", "motif_geometry_queries", "motif_volume"):
        for p in _programs(c, range(60)):
            if any(a.kind == kind and all(getattr(a, k) == v for k, v in match.items()) for a in p.args):
                return p
    raise AssertionError(f"no program with a {kind} argument")


@pytest.mark.parametrize("kind", ["mesh", "bvh", "hashgrid", "volume"])
def test_host_objects_build_on_cpu_deterministically(kind):
    p = _host_program(kind, fields=()) if kind in ("mesh", "volume") else _host_program(kind)
    index = next(i for i, a in enumerate(p.args) if a.kind == kind)
    a, b = make_inputs(p, 5), make_inputs(p, 5)
    assert len(a.hosts) == 1 and a[index] == a.hosts[0].id != 0
    ha, hb = a.hosts[0], b.hosts[0]
    if kind == "mesh":
        assert np.array_equal(ha.points.numpy(), hb.points.numpy()) and ha.indices.shape[0] > 0
    elif kind == "bvh":
        assert np.array_equal(ha.lowers.numpy(), hb.lowers.numpy())
        assert (ha.uppers.numpy() > ha.lowers.numpy()).all()
    elif kind == "volume":
        assert np.array_equal(ha.array().numpy(), hb.array().numpy())
    else:
        assert ha.reserved
    other = make_inputs(p, 6)
    if kind in ("mesh", "bvh"):
        field = "points" if kind == "mesh" else "lowers"
        assert not np.array_equal(getattr(other.hosts[0], field).numpy(), getattr(ha, field).numpy())


def test_hash_grid_without_its_points_is_a_clear_error():
    p = _host_program("hashgrid")
    args = tuple(ArgSpec(a.name, a.kind, a.dtype, a.shape, a.low, a.high, a.value, a.role, (ArgSpec("nope", "ref", ""),))
                 if a.kind == "hashgrid" else a for a in p.args)
    with pytest.raises(WarpsynthError, match="array 'nope' it is built over is not an argument"):
        make_inputs(p.__class__(**{**p.__dict__, "args": args}), 0)


def test_struct_arrays_and_nested_struct_inputs():
    cfg = GeneratorConfig.only("motif_particles")
    progs = [kernel(s, cfg) for s in range(80)]
    aos = next(p for p in progs if "struct_array" in p.features)
    nested = next(p for p in progs if "nested_struct" in p.features)
    from warpsynth.extract import load_source

    for p in (aos, nested):
        with load_source(p.source, f"t{p.seed}") as loaded:
            k = loaded.kernels()[p.kernel_name]
            x, y = make_inputs(p, 3, k), make_inputs(p, 3, k)
            for spec, u, v in zip(p.args, x, y):
                if spec.kind == "array" and spec.fields:
                    assert u.numpy().dtype.names and np.array_equal(u.numpy(), v.numpy())
                if spec.kind == "struct":
                    inner = [f for f in spec.fields if f.kind == "struct"]
                    for f in inner:
                        sub = getattr(u, f.name)
                        assert [float(getattr(sub, g.name)) for g in f.fields] == pytest.approx([g.value for g in f.fields])


def test_run_in_debug_mode_every_family_finite():
    """Compile on the CPU with bounds assertions and run 2 seeds per family on their seeded inputs.

    Runs in a subprocess: an out-of-bounds access aborts the process.
    """
    code = textwrap.dedent(
        """
        import json
        from warpsynth.generate import GeneratorConfig, kernel
        from warpsynth.generate.motifs import MOTIF_CATEGORIES
        from warpsynth.verify.generated import run_errors
        progs = [kernel(s, GeneratorConfig.only(c)) for c in MOTIF_CATEGORIES for s in (1, 2)]
        print("RESULT", json.dumps(run_errors(progs, debug=True, tag="pytest_motifs")))
        """
    )
    env = dict(os.environ)
    env.setdefault("WARP_CACHE_PATH", os.path.join(os.environ.get("TMPDIR", "/tmp"), "warpsynth-test-motifs-cache"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    errors = json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")][0][len("RESULT "):])
    assert errors == [None] * (2 * len(MOTIF_CATEGORIES))


@pytest.mark.slow
def test_pipeline_verifies_motifs_up_to_grad(tmp_path):
    """The dataset pipeline with ``--verify grad``: clang compile of the stored text, CPU runs twice,
    finite outputs, io_examples, and the Tape adjoint vs finite differences (incl. custom func_grad)."""
    from warpsynth.dataset.io import read_rows
    from warpsynth.pipeline import generate

    weights = {c: 1.0 for c in ("motif_springs", "motif_particles", "motif_kinematics", "motif_stencil")}
    summary = generate(6, tmp_path / "ds", seed=3, category_weights=weights, verify="grad", workers=0, progress=False)
    rows = [r for f in sorted((tmp_path / "ds" / "data").iterdir()) for r in read_rows(f)]
    rejects = (tmp_path / "ds" / "_run" / "rejects.jsonl").read_text()
    assert len(rows) == 6, rejects
    assert all(r["verify_level"] in ("run", "grad") and r["io_examples"] for r in rows)
    assert any(r["verify_level"] == "grad" for r in rows)
    del summary


def test_render_flattens_boolean_chains_without_changing_the_tree():
    from warpsynth.generate.motifs.kit import assign, if_, name, render, ret

    i, j, n = name("i"), name("j"), name("n")
    cond = i.eq(0).or_(j.eq(0)).or_(i.eq(n - 1)).or_(j.eq(n - 1).and_(i.gt(1).or_(j.lt(2))))
    stmts = [if_(cond, [ret()]), assign("x", (i + j) * (i - j) - -i)]
    text = render(stmts)
    assert "if i == 0 or j == 0 or i == n - 1 or j == n - 1 and (i > 1 or j < 2):" in text
    reference = ast.parse(ast.unparse(ast.fix_missing_locations(ast.Module(stmts, []))))
    assert ast.dump(ast.parse(text)) == ast.dump(reference)


def test_custom_func_grad_matches_finite_differences():
    """A spring kernel whose ``safe_norm`` has a custom ``@wp.func_grad``: the Tape adjoint through it
    agrees with central finite differences (``warpsynth.verify`` run + grad levels)."""
    from warpsynth.extract import load_source
    from warpsynth.verify import execute

    p = next(q for q in _programs("motif_springs", range(300)) if "func_grad" in q.features and q.differentiable)
    with load_source(p.source, f"fg{p.seed}") as loaded:
        k = loaded.kernels()[p.kernel_name]
        run = execute.run_checks(p, k, p.seed, True, 1e-5, 1e-6)
        assert run.reject is None, run.reject
        grad = execute.grad_check(p, k, p.seed, run.changed, execute.GradTolerances())
    assert grad.differentiable and grad.reject is None and grad.checked > 0, (grad, p.source)


def test_spring_endpoints_are_distinct_pairs():
    """A spring from a particle to itself has a zero length, whose sqrt has an infinite adjoint: the
    inputs of every index-pair array (``ArgSpec.pairs``) never repeat an end."""
    import numpy as np

    from warpsynth.extract import load_source
    from warpsynth.generate.launch import make_inputs

    checked = 0
    for seed in range(30):
        program = kernel(seed, GeneratorConfig.only("motif_springs"))
        with load_source(program.source, f"pairs{seed}") as loaded:
            inputs = make_inputs(program, seed, loaded.kernels()[program.kernel_name])
        for spec, value in zip(program.args, inputs):
            if spec.pairs:
                ends = np.asarray(value.numpy()).reshape(-1, 2)
                assert (ends[:, 0] != ends[:, 1]).all() and ends.min() >= spec.low and ends.max() <= spec.high
                checked += 1
    assert checked >= 20


def test_new_builtins_compile_and_run_in_debug_mode():
    """One program per builtin added with the tiled family and the new query/kinematics variants,
    compiled on the CPU with bounds assertions and run on its seeded inputs (finite outputs).
    ``wp.tile`` is the per-thread block sum of the reduction family."""
    code = textwrap.dedent(
        """
        import json
        from warpsynth.generate import GeneratorConfig, kernel
        from warpsynth.verify.generated import run_errors
        wanted = {"tile_fft": "motif_tiled", "tile_sort": "motif_tiled", "tile_matmul": "motif_tiled",
                  "tile_cholesky_inplace": "motif_linalg", "tile": "motif_reduction",
                  "mesh_query_aabb": "motif_geometry_queries", "mesh_query_ray_anyhit": "motif_geometry_queries",
                  "hash_grid_point_id": "motif_neighbors", "quat_to_axis_angle": "motif_kinematics",
                  "volume_index_to_world": "motif_volume"}
        progs = []
        for builtin, category in wanted.items():
            cfg = GeneratorConfig.only(category)
            progs.append(next(p for p in (kernel(s, cfg) for s in range(400)) if builtin in p.builtins))
        print("RESULT", json.dumps(run_errors(progs, debug=True, tag="pytest_motifs_new")))
        """
    )
    env = dict(os.environ)
    env.setdefault("WARP_CACHE_PATH", os.path.join(os.environ.get("TMPDIR", "/tmp"), "warpsynth-test-motifs-cache"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    errors = json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")][0][len("RESULT "):])
    assert errors == [None] * 10


def test_diversity_report_counts_duplicates_by_category():
    """``report`` attributes each structural duplicate to the category of the later program: the
    counts add up to the non-unique programs, and they are what the motif weights are set by."""
    from warpsynth.generate.diversity import format_report, report

    r = report(60, GeneratorConfig.only("motif_tiled"))
    dupes = r["duplicates_by_category"]
    assert sum(dupes.values()) == r["n"] - r["structurally_unique"]
    assert set(dupes) <= {"motif_tiled"}
    if dupes:
        assert "structural duplicates" in format_report(r)


def _run_cpu(program):
    """Launch ``program`` on the CPU; (values by argument name, the wp.Mesh behind its mesh argument)."""
    import gc

    import warp as wp

    from warpsynth.extract import load_source
    from warpsynth.generate.launch import launch

    with load_source(program.source, f"sem{program.seed}") as loaded:
        k = loaded.namespace[program.kernel_name]
        values = make_inputs(program, program.seed, k)
        launch(program, k, values)
    named = {a.name: v for a, v in zip(program.args, values)}
    mesh_id = next(int(named[a.name]) for a in program.args if a.kind == "mesh")
    mesh = next(o for o in gc.get_objects() if isinstance(o, wp.Mesh) and o.id == mesh_id)
    return named, mesh


def test_mesh_box_queries_compute_what_their_names_say():
    """Nearest vertex within the radius and faces with their centroid in the box, against numpy brute force.

    ``wp.mesh_get_point(mesh, i)`` takes a face-vertex slot (``face * 3 + k``), not a vertex id; reading
    ``mesh_get_point(mesh, mesh_get_index(mesh, face * 3 + k))`` returned unrelated points (and other ones on a GPU).
    """
    config = GeneratorConfig.only("motif_geometry_queries")
    checked = Counter()
    for seed in range(400):
        p = kernel(seed, config)
        if "wp.mesh_query_aabb(" not in p.source or checked[p.kernel_name] >= 1:
            continue
        named, mesh = _run_cpu(p)
        points, tris = mesh.points.numpy(), mesh.indices.numpy().reshape(-1, 3)
        specs = {a.name: a for a in p.args}
        x = next(named[a.name].numpy() for a in p.args if a.kind == "array" and a.dtype == "vec3")
        half = next(float(named[a.name]) for a in p.args if a.kind == "scalar" and a.dtype == "float32")
        flags = next((named[a.name].numpy() for a in p.args if a.kind == "array" and a.dtype == "int32" and a.role == "in"),
                     np.ones(len(x), dtype=np.int32))
        outs = [a.name for a in p.args if a.role == "out" and a.dtype == "int32"]
        got = named[outs[0]].numpy()
        for i in np.flatnonzero(flags & 1):
            if "centroid" in p.source or "/ 3.0" in p.source:
                c = points[tris].mean(axis=1)
                want = int(np.all(np.abs(c - x[i]) <= half * (1 + 1e-6), axis=1).sum())
            else:
                d = ((points - x[i]) ** 2).sum(axis=1)
                want = int(np.argmin(d)) if d.min() < half * half else -1
            assert got[i] == want, (seed, i, specs[outs[0]])
        checked[p.kernel_name] += 1
    assert sum(checked.values()) >= 3, checked


def _launch_named(program) -> dict:
    from warpsynth.extract import load_source
    from warpsynth.generate.launch import launch

    with load_source(program.source, f"named{program.seed}") as loaded:
        k = loaded.namespace[program.kernel_name]
        values = make_inputs(program, program.seed, k)
        launch(program, k, values)
    return {a.name: v for a, v in zip(program.args, values)}


def test_principal_axes_and_sorted_keys_mean_what_their_names_say():
    """``wp.eig3`` returns eigenvalues unordered: the axis is the largest eigenvalue's eigenvector (the
    smallest's for a normal), as numpy's eigh says; a descending sort stores the keys, not their negations."""
    seen = Counter()
    for seed in range(400):
        p = kernel(seed, GeneratorConfig.only("motif_linalg"))
        if "wp.eig3" not in p.source or seen["eig3"] >= 3:
            continue
        v = _launch_named(p)
        cov = next(v[a.name].numpy() for a in p.args if a.role == "out" and a.dtype == "mat33")
        name = next(a.name for a in p.args if a.role == "out" and a.dtype == "vec3" and a.name in ("principal_axis", "normal", "major_axis"))
        _, vecs = np.linalg.eigh(cov.astype(np.float64))
        want = vecs[:, :, 0] if name == "normal" else vecs[:, :, 2]
        got = v[name].numpy()
        assert np.allclose(np.abs(np.sum(want * got, axis=1)), 1.0, atol=1e-3), (seed, name)
        seen["eig3"] += 1
    for seed in range(400):
        p = kernel(seed, GeneratorConfig.only("motif_tiled"))
        if "wp.tile_sort" not in p.source or "sorted_keys" not in p.source and "keys_out" not in p.source:
            continue
        v = _launch_named(p)
        out = next(v[a.name].numpy() for a in p.args if a.name in ("sorted_keys", "keys_out"))
        keys = next(v[a.name].numpy() for a in p.args if a.name in ("keys", "distances", "scores"))
        assert sorted(out.tolist()) == sorted(keys.tolist()), seed  # the keys themselves, in some order
        seen["sort"] += 1
    assert seen["eig3"] >= 2 and seen["sort"] >= 3, seen


def test_every_overload_of_a_helper_is_called():
    """An ``@wp.func`` overload nothing calls is dead code: overloaded helpers have a call site per definition."""
    dead = []
    for category in ("motif_kinematics", "motif_springs", "motif_particles", "motif_linalg"):
        for p in _programs(category, range(300)):
            tree = ast.parse(p.source)
            defs = Counter(f.name for f in tree.body if isinstance(f, ast.FunctionDef))
            calls = Counter(n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name))
            dead += [(category, p.seed, f) for f, k in defs.items() if k > 1 and calls[f] < k]
    assert dead == []


def test_the_five_kernels_in_the_docs_are_what_sample_prints():
    """docs/generator.md shows five generated kernels "unedited": each block is today's `warpsynth sample` output."""
    from pathlib import Path

    from warpsynth.generate.sample import sample_text

    doc = (Path(__file__).resolve().parents[1] / "docs" / "generator.md").read_text()
    section = doc[doc.index("### Five generated kernels (unedited)"):doc.index("## Known limits")]
    shown = re.findall(r"`warpsynth sample --seed (\d+) --category (\w+)`\)\n\n```python\n(.*?)\n```", section, re.S)
    assert len(shown) == 5 and len({c for _, c, _ in shown}) == 5
    for seed, category, code in shown:
        assert sample_text(int(seed), category, False).rstrip("\n") == code, (seed, category)


def test_block_histograms_count_like_numpy():
    """The privatized histogram (tile_scatter_add into shared bins, one tile_atomic_add per block) counts
    every value in range once, as numpy's histogram does."""
    checked = 0
    for seed in range(200):
        p = kernel(seed, GeneratorConfig.only("motif_reduction"))
        if "wp.tile_scatter_add" not in p.source or "dtype=int" not in p.source.split("wp.tile_zeros")[1].split(")")[0]:
            continue
        v = _launch_named(p)
        spec = {a.name: a for a in p.args}
        x = next(v[a.name].numpy() for a in p.args if a.kind == "array" and a.role == "in")
        lo = next(float(v[a.name]) for a in p.args if a.name in ("lo", "range_min", "x_min"))
        width = next(float(v[a.name]) for a in p.args if a.name in ("bin_width", "width"))
        out = next(a.name for a in p.args if a.role == "out")
        nb = spec[out].shape[0]
        b = ((x - np.float32(lo)) / np.float32(width)).astype(np.int32)
        want = np.bincount(b[(b >= 0) & (b < nb)], minlength=nb)
        assert np.array_equal(v[out].numpy(), want), seed
        checked += 1
        if checked == 3:
            break
    assert checked == 3


def test_bounds_guards_use_an_array_the_threads_index():
    """``if i >= counts.shape[0]: return`` before a kernel that never reads ``counts[i]`` is only right
    while the two arrays happen to have the same length (a fresh-user trial found such a guard)."""
    from warpsynth.generate.motifs.builder import _indexed_by

    checked = 0
    for seed in range(300):
        p = kernel(seed, GeneratorConfig.motifs())
        fn = next(f for f in ast.parse(p.source).body if isinstance(f, ast.FunctionDef) and f.name == p.kernel_name)
        first = fn.body[0]
        if not (isinstance(first, ast.Assign) and ast.unparse(first.value) == "wp.tid()") or len(fn.body) < 2:
            continue
        guard = fn.body[1]
        if not isinstance(guard, ast.If):
            continue
        ids = [first.targets[0].id] if isinstance(first.targets[0], ast.Name) else [e.id for e in first.targets[0].elts]
        used = {n.value.id for n in ast.walk(guard.test) if isinstance(n, ast.Attribute) and n.attr == "shape"
                and isinstance(n.value, ast.Name)}
        used |= {n.args[0].id for n in ast.walk(guard.test) if isinstance(n, ast.Call) and ast.unparse(n.func) == "len"}
        if used and set(ids) <= {n.id for n in ast.walk(guard.test) if isinstance(n, ast.Name)}:
            checked += 1
            assert used <= _indexed_by(fn.body, ids), (seed, ast.unparse(guard.test))
    assert checked > 20


def test_volume_border_checks_each_index_against_its_own_axis():
    import re

    seen = 0
    for seed in range(120):
        src = kernel(seed, GeneratorConfig.only("motif_volume")).source
        for idx, axis in re.findall(r"\b([ijk]) == \w+\.shape\[(\d)\] - 1", src):
            seen += 1
            assert "ijk".index(idx) == int(axis), (seed, idx, axis)
    assert seen > 10

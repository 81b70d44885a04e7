"""Verification levels: a good sample passes each level; injected bugs are rejected at the right level."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import warp as wp

from warpsynth import _warp
from warpsynth.extract.row import row_from_ir
from warpsynth.extract import extract, load_source
from warpsynth.generate.program import ArgSpec, KernelProgram
from warpsynth.verify import VerifyOptions, verify_samples, warm_pch
from warpsynth.verify.compiler import captured_native_output, cpu_compile_fn
from warpsynth.verify.units import make_batches, make_unit, split_definitions

HEAD = "import warp as wp\n"


def program(seed, src, args, dim=(16,), differentiable=True):
    return KernelProgram(
        seed=seed,
        source=HEAD + src,
        kernel_name="k",
        category="test",
        features=(),
        args=tuple(args),
        launch_dim=dim,
        config_hash="test",
        differentiable=differentiable,
    )


def arr(name, dtype="float32", shape=(16,), low=-1.0, high=1.0, role="in"):
    return ArgSpec(name=name, kind="array", dtype=dtype, shape=shape, low=low, high=high, role=role)


def out(name, dtype="float32", shape=(16,)):
    return arr(name, dtype, shape, 0.0, 0.0, "out")


def sample(p):
    with load_source(p.source, f"t{p.seed}") as loaded:
        ir = extract(loaded.kernels()[p.kernel_name], targets=("cpu", "cuda"))
    return p, row_from_ir(ir, source=p.source, origin="test", seed=p.seed, category=p.category)


GOOD = program(1, '''
@wp.func
def helper(v: float):
    return wp.sin(v) * 2.0

@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float), a: float):
    i = wp.tid()
    y[i] = helper(x[i]) + a * x[i] * x[i]
''', [arr("x"), out("y"), ArgSpec(name="a", kind="scalar", dtype="float32", value=0.5)])

# C++ that does not compile: a hand-written native snippet using an undeclared name
BAD_CPP = program(2, '''
@wp.func_native("return a + this_is_not_declared;")
def bad(a: float) -> float: ...

@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = bad(x[i])
''', [arr("x"), out("y")])

NAN = program(3, '''
@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = wp.sqrt(x[i] - 2.0)
''', [arr("x"), out("y")])

OOB = program(4, '''
@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i + 1] = x[i]
''', [arr("x"), out("y")])

WRONG_GRAD = program(5, '''
@wp.func
def sq(v: float):
    return v * v

@wp.func_grad(sq)
def adj_sq(v: float, adj_ret: float):
    wp.adjoint[v] += 3.0 * v * adj_ret

@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = sq(x[i])
''', [arr("x"), out("y")])

ATOMIC64 = program(6, '''
@wp.kernel
def k(x: wp.array(dtype=wp.float64), total: wp.array(dtype=wp.float64)):
    i = wp.tid()
    wp.atomic_add(total, 0, wp.exp(x[i]))
''', [arr("x", "float64"), out("total", "float64", (1,))])

INTEGER = program(7, '''
@wp.kernel
def k(x: wp.array(dtype=int), y: wp.array(dtype=int)):
    i = wp.tid()
    y[i] = x[i] * 3 + 1
''', [arr("x", "int32", low=0, high=9), out("y", "int32")], differentiable=False)

NONDETERMINISTIC = program(8, '''
@wp.func_native("static int counter = 0; counter += 1; return a + counter * 1.0f;")
def count(a: float) -> float: ...

@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = count(x[i])
''', [arr("x"), out("y")], differentiable=False)

VEC = program(9, '''
@wp.kernel
def k(x: wp.array(dtype=wp.vec3), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = wp.length(x[i]) * 2.0 + wp.dot(x[i], x[i])
''', [arr("x", "vec3"), out("y")])

VEC_INDEX = program(11, '''
@wp.kernel
def k(x: wp.array(dtype=wp.vec3), n: int, y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = x[i][n]
''', [arr("x", "vec3"), ArgSpec(name="n", kind="scalar", dtype="int32", value=3), out("y")], differentiable=False)

# Reading ``x.shape`` makes Warp's adjoint zero ``adj_x.shape``; its debug bounds checks on adj_x then
# fail although the release gradient is right. Must pass grad, not be rejected as out-of-bounds.
SHAPE_ADJOINT = program(12, '''
@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    a = x[wp.clamp(i + 1, 0, x.shape[0] - 1)]
    y[i] = x[wp.clamp(i, 0, x.shape[0] - 1)] * 2.0 + a * a
''', [arr("x"), out("y")])

# The same ``x.shape`` adjoint plus a wrong custom gradient: its adjoint, launched from the debug build
# through ``execute.PrimalGradTape``, is really compared with finite differences (rejected at grad).
SHAPE_WRONG_GRAD = program(13, '''
@wp.func
def sq(v: float):
    return v * v

@wp.func_grad(sq)
def adj_sq(v: float, adj_ret: float):
    wp.adjoint[v] += 3.0 * v * adj_ret

@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = sq(x[wp.clamp(i, 0, x.shape[0] - 1)])
''', [arr("x"), out("y")])

ALL = {
    "good": GOOD,
    "oob": OOB,  # before others: the debug child aborts on it and must restart for the rest
    "bad_cpp": BAD_CPP,
    "nan": NAN,
    "wrong_grad": WRONG_GRAD,
    "atomic64": ATOMIC64,
    "integer": INTEGER,
    "nondeterministic": NONDETERMINISTIC,
    "vec": VEC,
    "vec_index": VEC_INDEX,
    "shape_adjoint": SHAPE_ADJOINT,
    "shape_wrong_grad": SHAPE_WRONG_GRAD,
}


@pytest.fixture(scope="module")
def pch_dir():
    return warm_pch()


@pytest.fixture(scope="module")
def graded(pch_dir):
    samples = [sample(p) for p in ALL.values()]
    results = verify_samples(samples, "grad", VerifyOptions(pch_dir=pch_dir, ptx_archs=(75,)))
    return dict(zip(ALL, results))


def test_good_sample_passes_grad_with_columns(graded):
    r = graded["good"]
    assert r.reject is None
    assert r.level_passed == "grad" and r.columns["verify_level"] == "grad"
    assert r.columns["differentiable"] is True
    assert 0.0 <= r.columns["grad_max_rel_err"] < 2e-2
    ms = json.loads(r.columns["verify_ms"])
    assert {"compile_debug", "compile_cuda", "run_debug", "run", "grad", "cpu_run", "cpu_grad"} <= set(ms)
    io = json.loads(r.columns["io_examples"])
    x, y = io["args"][0], io["args"][1]
    assert len(x["in"]) == 8 and "out" in y and len(y["out"]) == 8
    expected = [2.0 * np.sin(np.float32(v)) + 0.5 * v * v for v in x["in"]]
    np.testing.assert_allclose(y["out"], expected, rtol=1e-5, atol=1e-6)
    assert io["args"][2] == {"name": "a", "kind": "scalar", "dtype": "float32", "value": 0.5}


def test_cpp_that_does_not_compile_is_rejected_at_compile(graded):
    r = graded["bad_cpp"]
    assert r.level_passed == "codegen"
    stage, reason = r.reject
    assert stage == "compile"
    assert "this_is_not_declared" in reason and "error" in reason and "\n" not in reason


def test_bad_cpp_does_not_sink_its_batch(graded):
    # the failing sample was isolated: every other sample got past compile
    assert all(r.level_passed != "codegen" for name, r in graded.items() if name != "bad_cpp")


def test_nan_is_rejected_at_run(graded):
    r = graded["nan"]
    assert r.level_passed == "compile"
    assert r.reject[0] == "run" and "non-finite value nan in 'y'" in r.reject[1]


def test_out_of_bounds_is_rejected_at_run_in_debug_mode(graded):
    r = graded["oob"]
    assert r.level_passed == "compile"
    assert r.reject[0] == "run"
    assert "out-of-bounds array access (debug mode)" in r.reject[1] and "arr.shape[0]" in r.reject[1]


def test_vector_component_index_out_of_range_is_rejected_at_run(graded):
    r = graded["vec_index"]
    assert r.reject == ("run", "vec component index 3 out of bounds (debug mode): at vec.h:546")


def test_array_shape_in_differentiable_kernel_is_not_a_false_out_of_bounds(graded):
    r = graded["shape_adjoint"]
    assert r.reject is None and r.level_passed == "grad" and r.columns["grad_max_rel_err"] < 2e-2


def test_wrong_gradient_of_a_shape_resetting_adjoint_is_rejected_at_grad(graded):
    r = graded["shape_wrong_grad"]
    assert r.level_passed == "run" and r.reject[0] == "grad"
    assert r.reject[1].startswith("gradient mismatch d(loss)/dx[") and r.columns["grad_max_rel_err"] > 0.2
    assert "compile_cpu" not in r.timings_ms  # one (debug) build serves run and grad: no release rebuild


def test_primal_grad_tape_passes_null_adjoints_and_gives_warps_gradient():
    """Warp's adjoint accessors fall back to ``buf.grad`` when the adjoint array is null (array.h)."""
    from warpsynth.verify.execute import PrimalGradTape

    with load_source(SHAPE_ADJOINT.source, "primal_grad_tape") as loaded:
        kernel = loaded.kernels()["k"]
        grads = []
        for tape_type in (wp.Tape, PrimalGradTape):
            x = wp.array(np.linspace(-1.0, 1.0, 16, dtype=np.float32), requires_grad=True, device="cpu")
            y = wp.zeros(16, dtype=float, requires_grad=True, device="cpu")
            tape = tape_type()
            with tape:
                wp.launch(kernel, dim=16, inputs=[x, y], device="cpu")
            y.grad.fill_(1.0)
            tape.backward()
            grads.append(x.grad.numpy().copy())
            if tape_type is PrimalGradTape:
                assert tape.get_adjoint(x) is None and x in tape.gradients
                tape.zero()
                assert not x.grad.numpy().any()
        np.testing.assert_array_equal(grads[0], grads[1])
        assert grads[1].any()


def test_wrong_custom_gradient_is_rejected_at_grad(graded):
    r = graded["wrong_grad"]
    assert r.level_passed == "run"
    stage, reason = r.reject
    assert stage == "grad" and reason.startswith("gradient mismatch d(loss)/dx[")
    assert r.columns["grad_max_rel_err"] > 0.2  # 3x vs 2x: rel err 1/3


def test_nondeterminism_is_rejected_at_run(graded):
    r = graded["nondeterministic"]
    assert r.reject[0] == "run" and r.reject[1].startswith("nondeterministic: 'y' differs")


def test_atomic_float64_kernel_passes_grad_tightly(graded):
    r = graded["atomic64"]
    assert r.reject is None and r.level_passed == "grad"
    assert r.columns["grad_max_rel_err"] < 1e-5  # float64 finite differences


def test_non_differentiable_kernel_is_marked_not_failed(graded):
    r = graded["integer"]
    assert r.reject is None and r.level_passed == "run"
    assert r.columns["differentiable"] is False and r.columns["grad_max_rel_err"] is None
    io = json.loads(r.columns["io_examples"])
    x, y = io["args"]
    assert y["out"] == [3 * v + 1 for v in x["in"]]


def test_vector_kernel_passes_grad(graded):
    r = graded["vec"]
    assert r.reject is None and r.level_passed == "grad"
    io = json.loads(r.columns["io_examples"])
    assert len(io["args"][0]["in"]) == 8 and len(io["args"][0]["in"][0]) == 3


HANG = program(10, '''
@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    v = x[i]
    while v > -10.0:
        v = v + 0.0
    y[i] = v
''', [arr("x"), out("y")], differentiable=False)


def test_hung_launch_times_out_and_the_rest_still_run(pch_dir):
    samples = [sample(HANG), sample(GOOD)]
    opts = VerifyOptions(pch_dir=pch_dir, targets=("cpu",), debug_timeout_s=8.0)
    hung, good = verify_samples(samples, "run", opts)
    assert hung.reject == ("run", "launch timed out after 8s (debug mode)")
    assert good.reject is None and good.level_passed == "run"


def test_lower_levels_stop_where_asked(pch_dir):
    samples = [sample(GOOD), sample(NAN)]
    compiled = verify_samples(samples, "compile", VerifyOptions(pch_dir=pch_dir, targets=("cpu",)))
    assert [r.level_passed for r in compiled] == ["compile", "compile"]
    assert all(r.reject is None and "io_examples" not in r.columns for r in compiled)
    codegen = verify_samples(samples, "codegen", VerifyOptions(pch_dir=pch_dir))
    assert [r.level_passed for r in codegen] == ["codegen", "codegen"]
    assert all("compile_cpu" not in r.timings_ms for r in codegen)


def test_split_definitions_covers_the_body_and_names_each_definition():
    _, row = sample(GOOD)
    body = "".join(row[k] for k in ("structs", "cpu_helpers", "cpu_forward", "cpu_backward", "cpu_entry"))
    defs = split_definitions(body)
    assert "".join(d.text for d in defs) == body
    names = [d.name for d in defs]
    assert len(names) == len(set(names))
    mangled = row["mangled_name"]
    assert any(n.startswith(f"func:{mangled}_cpu_kernel_forward(") for n in names)
    assert f"extern:{mangled}_cpu_forward" in names
    assert any(n.startswith("func:helper_0(") for n in names) and any(n.startswith("func:adj_helper_0(") for n in names)


def test_split_definitions_skips_braces_in_comments_and_literals():
    from warpsynth.verify.units import SplitError

    text = ('#define WP_X 1\n// a } in a comment\nstatic char f() { return \'}\'; /* { */ }\n'
            'static const char* g() { return "{;}"; };\nint h;\n')
    defs = split_definitions(text)
    assert "".join(d.text for d in defs) == text
    assert [d.name for d in defs] == ["pp:#define WP_X 1", "func:f()", "func:g()", "decl:int h;"]
    assert defs[1].norm == "static char f() { return \'}\'; }"  # comments gone, literals kept
    for bad in ('int x = "open\n;', "static void f() {", "}"):
        with pytest.raises(SplitError):
            split_definitions(bad)


def test_batches_dedupe_identical_definitions_and_namespace_clashing_helpers():
    struct = "struct S_1\n{\n    float a;\n};\n"
    f_a = "static float helper_0(float x)\n{\n    return x;\n}\n"
    f_b = "static float helper_0(float x)\n{\n    return 2.0f * x; // differs\n}\n"
    k = lambda n: f"static void kern_{n}()\n{{\n}}\n"  # noqa: E731
    f_c = f_b.replace("float x", "float renamed").replace("* x", "* renamed")  # same signature, other names
    units = [make_unit(0, struct + f_a + k(0)), make_unit(1, struct + f_a + k(1)), make_unit(2, struct + f_b + k(2)),
             make_unit(3, f_c + k(3))]
    batches = make_batches(units, max_size=64)
    assert [b.indices for b in batches] == [[0, 1, 2, 3]]  # clashing helpers: one namespace per unit
    body = batches[0].body
    assert body.count("struct S_1") == 1 and body.count("helper_0(") == 3
    assert "namespace wsu_2 {" in body and "namespace wsu_3 {" in body and "wsu_0" not in body
    assert body.index("namespace wsu_2 {") < body.index("return 2.0f * x") < body.index("kern_2") < body.index("namespace wsu_3 {")
    assert batches[0].owners_of_lines({2}) == {0, 1, 2}  # the shared struct
    assert batches[0].owners_of_lines({body.count("\n") - 1}) == {3}  # unit 3's namespace, last
    # a shared definition that calls a clashing helper moves into the namespace with it
    g = "static float g_0(float x)\n{\n    return helper_0(x) + 1.0f;\n}\n"
    calls = make_batches([make_unit(0, f_a + g + k(0)), make_unit(1, f_b + g + k(1))], 64)
    inner = calls[0].body.split("namespace wsu_1 {")[1]
    assert len(calls) == 1 and "g_0(" in inner and calls[0].body.count("g_0(") == 2
    # a clash on a struct, or on an extern "C" entry point, still needs another batch
    other_struct = struct.replace("float a", "double a")
    assert len(make_batches([make_unit(0, struct + k(0)), make_unit(1, other_struct + k(1))], 64)) == 2
    entry = 'extern "C" {\nvoid kern_entry()\n{\n}\n}\n'
    assert len(make_batches([make_unit(0, f_a + entry), make_unit(1, f_b + entry)], 64)) == 2
    # comment-only differences are not clashes
    same = make_batches([make_unit(0, f_a), make_unit(1, f_a.replace("{", "{ // note", 1))], 64)
    assert len(same) == 1 and "namespace" not in same[0].body
    # overloads on other parameter types (each struct's own ``add`` operator) are not clashes
    overload = make_batches([make_unit(0, f_a), make_unit(1, f_b.replace("float x", "double x"))], 64)
    assert len(overload) == 1 and "namespace" not in overload[0].body


# GOOD's kernel with another body for the helper of the same name (both are ``helper_0`` in C++)
OTHER_HELPER = program(14, GOOD.source[len(HEAD):].replace("wp.sin(v) * 2.0", "wp.cos(v) * 3.0"), GOOD.args)


def test_samples_with_clashing_helpers_share_one_compile_and_keep_their_own_helper(pch_dir):
    samples = [sample(GOOD), sample(OTHER_HELPER)]
    assert samples[0][1]["cpu_helpers"] != samples[1][1]["cpu_helpers"] and "helper_0" in samples[1][1]["cpu_helpers"]
    results = verify_samples(samples, "run", VerifyOptions(pch_dir=pch_dir, ptx_archs=(75,)))
    for r, fn, c in zip(results, (np.sin, np.cos), (2.0, 3.0)):
        assert r.reject is None and r.level_passed == "run"
        x, y = json.loads(r.columns["io_examples"])["args"][:2]
        expected = [c * fn(np.float32(v)) + 0.5 * v * v for v in x["in"]]
        np.testing.assert_allclose(y["out"], expected, rtol=1e-5, atol=1e-6)
    # one batch per build: the two samples' shares of one compile are equal
    assert results[0].timings_ms["compile_debug"] == results[1].timings_ms["compile_debug"]
    assert results[0].timings_ms["compile_cuda"] == results[1].timings_ms["compile_cuda"]


def test_batched_object_runs_through_warp_launch(tmp_path, pch_dir):
    """_warp.load_cpu_object + launch_mangled_name: Warp launches a prebuilt object, no recompile."""
    src = HEAD + '''
@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = x[i] * 3.0
'''
    with load_source(src, "lo") as loaded:
        kernel = loaded.kernels()["k"]
        ir = extract(kernel, targets=("cpu",))
        body = ir.targets["cpu"].text.replace("wp::mul(var_0, var_1)", "wp::mul(var_0, var_1)")
        cpp, obj, meta = tmp_path / "m.cpp", tmp_path / "m.o", tmp_path / "m.meta"
        cpp.write_text(_warp.module_preamble("cpu", 1, body) + body)
        with captured_native_output():
            cpu_compile_fn("release", pch_dir)(str(cpp), str(obj))
        meta.write_text("{}")
        assert _warp.launch_mangled_name(kernel, 1) == ir.mangled_name
        _warp.load_cpu_object(kernel.module, str(obj), str(meta), 1)
        x = wp.array(np.arange(4, dtype=np.float32), device="cpu")
        y = wp.zeros(4, dtype=float, device="cpu")
        wp.launch(kernel, dim=4, inputs=[x, y], device="cpu")
        np.testing.assert_array_equal(y.numpy(), [0.0, 3.0, 6.0, 9.0])


def test_one_batch_object_linked_once_serves_several_modules(tmp_path, pch_dir):
    """_warp.SharedCpuObject: the modules of two sources launch (forward and adjoint) from one JIT
    handle; releasing one module leaves the object loaded for the other."""
    srcs = {f: HEAD + f'''
@wp.kernel
def {f}(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = x[i] * x[i] * {c}
''' for f, c in (("k_two", "2.0"), ("k_three", "3.0"))}
    with load_source(srcs["k_two"], "sh2") as two, load_source(srcs["k_three"], "sh3") as three:
        kernels = [two.kernels()["k_two"], three.kernels()["k_three"]]
        body = "".join(extract(k, targets=("cpu",)).targets["cpu"].text for k in kernels)
        cpp, obj, meta = tmp_path / "m.cpp", tmp_path / "m.o", tmp_path / "m.meta"
        cpp.write_text(_warp.module_preamble("cpu", 1, body) + body)
        with captured_native_output():
            cpu_compile_fn("debug", pch_dir)(str(cpp), str(obj))
        meta.write_text("{}")
        shared = _warp.SharedCpuObject(str(obj), str(meta))
        for k in kernels:
            shared.load(k.module, 1)
        handles = {e.handle for k in kernels for e in k.module.execs.values()}
        assert len(handles) == 1
        for k, c in zip(kernels, (2.0, 3.0)):
            x = wp.array(np.arange(4, dtype=np.float32), device="cpu", requires_grad=True)
            y = wp.zeros(4, dtype=float, device="cpu", requires_grad=True)
            tape = wp.Tape()
            with tape:
                wp.launch(k, dim=4, inputs=[x, y], device="cpu")
            y.grad.fill_(1.0)
            tape.backward()
            np.testing.assert_array_equal(y.numpy(), c * np.arange(4) ** 2)
            np.testing.assert_array_equal(x.grad.numpy(), 2 * c * np.arange(4))
            shared.release(k.module)  # the first release must not unload the object the second uses
            assert not k.module.execs
        shared.close()


def test_ptx_already_in_the_row_is_not_compiled_again(pch_dir):
    p, row = sample(GOOD)
    row = dict(row, ptx=[{"arch": "sm_75", "text": "// ptx from extraction"}])
    bad_p, bad_row = sample(BAD_CPP)
    opts = VerifyOptions(pch_dir=pch_dir, targets=("cuda",), ptx_archs=(75,))
    good, bad = verify_samples([(p, row), (bad_p, bad_row)], "compile", opts)
    assert good.reject is None and good.level_passed == "compile" and "compile_cuda" not in good.timings_ms
    assert bad.reject[0] == "compile" and bad.reject[1].startswith("cuda sm_75:") and "this_is_not_declared" in bad.reject[1]


def test_cpu_object_is_byte_identical_to_warps_own(tmp_path, pch_dir):
    """The verifier compiles CPU code as Warp's load does (cpu_compiler_flags: -march=native and
    Warp's inlining thresholds): for Warp's own module source the object matches Warp's byte for byte."""
    import glob
    import shutil

    src = HEAD + '''
@wp.kernel
def k(x: wp.array(dtype=float), y: wp.array(dtype=float), a: float):
    i = wp.tid()
    y[i] = x[i] * a + wp.sin(x[i]) * x[i]
'''
    saved = wp.config.kernel_cache_dir
    wp.config.kernel_cache_dir = str(tmp_path / "cache")
    try:
        with load_source(src, "objid") as loaded:
            kernel = loaded.kernels()["k"]
            x = wp.zeros(4, dtype=float, device="cpu")
            wp.launch(kernel, dim=4, inputs=[x, wp.zeros(4, dtype=float, device="cpu"), 2.0], device="cpu")
    finally:
        wp.config.kernel_cache_dir = saved
    (cached_cpp,) = glob.glob(str(tmp_path / "cache" / "**" / "*.cpp"), recursive=True)
    (cached_obj,) = glob.glob(str(tmp_path / "cache" / "**" / "*.o"), recursive=True)
    (tmp_path / "mine").mkdir()
    cpp = tmp_path / "mine" / os.path.basename(cached_cpp)  # same name: the object records it
    shutil.copy(cached_cpp, cpp)
    with captured_native_output():
        cpu_compile_fn("release", pch_dir)(str(cpp), str(tmp_path / "mine.o"))
    assert (tmp_path / "mine.o").read_bytes() == open(cached_obj, "rb").read()


def test_ptx_compile_uses_warps_precompiled_header_setting(tmp_path, monkeypatch):
    """PTX is compiled as Warp's load compiles it: NVRTC's automatic PCH when Warp uses PCHs
    (a single-sample baseline without it would be ~0.2 s per program slower than Warp)."""
    seen = {}
    real = _warp.compiler._build.build_cuda

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(_warp.compiler._build, "build_cuda", spy)
    cu = tmp_path / "m.cu"
    cu.write_text(_warp.module_preamble("cuda", 256, ""))
    opts = {"mode": "release", "fast_math": False, "fuse_fp": True, "lineinfo": False, "optimization_level": None}
    with captured_native_output():
        _warp.compile_ptx(str(cu), str(tmp_path / "m.ptx"), 75, opts)
    assert seen["use_precompiled_headers"] is wp.config.use_precompiled_headers is True
    assert ".target sm_75" in (tmp_path / "m.ptx").read_text()

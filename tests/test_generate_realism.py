"""Classic generator realism (issue 15): no trivial expressions, index and guard idioms an engineer writes.

Each scan test builds a few hundred consecutive seeds and checks the syntax trees, so a builder
change that brings a kind back fails here.
"""

from __future__ import annotations

import ast
from functools import lru_cache

import pytest

from warpsynth.generate import GeneratorConfig, kernel
from warpsynth.generate.dataflow import negate
from warpsynth.generate.quality import literal_number, measure, trivial_reason

SEEDS = range(300)


@lru_cache(maxsize=None)
def _programs() -> tuple:
    return tuple(kernel(s) for s in SEEDS)


def _sources() -> tuple[str, ...]:
    return tuple(p.source for p in _programs())


def _reason(text: str) -> str | None:
    return trivial_reason(ast.parse(text, mode="eval").body)


@pytest.mark.parametrize("text, reason", [
    ("x - x", "self-cancelling operator"),
    ("k ^ k", "self-cancelling operator"),
    ("wp.min(x, x)", "same arguments"),
    ("wp.cross(v, v)", "same arguments"),
    ("a if c > 0.0 else a", "equal branches"),
    ("x if True else y", "constant condition"),
    ("wp.abs(0.5) + 0.1", "constant expression"),
    ("wp.sin(0.5)", "constant expression"),
    ("2 * 3", "constant expression"),
    ("wp.abs(2 * 3)", "constant expression"),
    ("wp.vec2(1.5, 0.5)[1]", "constant expression"),
    ("wp.transpose(wp.identity(n=3, dtype=float) * 2.0)", "constant expression"),
    ("not (True and True)", "constant expression"),
    ("0 << k", "zero operand"),
    ("x * 0", "zero operand"),
    ("k % 1", "modulo one"),
    ("x + 0", "neutral operand"),
    ("x * 1.0", "neutral operand"),
    ("0 + k", "neutral operand"),
    ("not not c", "double negation"),
    ("--x", "double negation"),
    ("f(a) >= f(a)", "comparison with itself"),
    ("wp.abs(wp.abs(x))", "idempotent call nested"),
    ("wp.transform_inverse(wp.transform_inverse(X))", "inverse of an inverse"),
    ("wp.cross(delta / scale, -delta)", "parallel arguments"),
    ("wp.cross(dt * sigma, wp.normalize(sigma))", "parallel arguments"),
])
def test_trivial_reason_catches_each_kind(text, reason):
    assert _reason(text) == reason


@pytest.mark.parametrize("text", [
    "x * 2.0", "wp.vec3(1.0, 0.0, 0.0)", "-1.5", "wp.identity(n=3, dtype=float) * 2.0", "2.0 * wp.pi",
    "wp.tile_arange(8, dtype=float) * 0.125", "t * 2 + 0", "k % n", "not c", "wp.min(x, y)",
    "wp.cross(a * s, b * s)", "wp.cross(r, f)",
])
def test_trivial_reason_accepts_what_engineers_write(text):
    assert _reason(text) is None


def test_a_self_cancelling_update_is_trivial():
    src = "import warp as wp\n\n@wp.kernel\ndef k(a: wp.array(dtype=float)):\n    i = wp.tid()\n    z = a[i]\n    z += -z\n    a[i] = z\n"
    assert measure(src).trivial == ["self-cancelling update: z += -z"]
    assert measure(src.replace("z += -z", "z -= z")).trivial == ["self-cancelling update: z -= z"]
    assert measure(src.replace("z += -z", "z -= -z")).trivial == []


def test_generated_programs_have_no_trivial_expressions():
    bad = {s: m.trivial for s, src in zip(SEEDS, _sources()) if (m := measure(src)).trivial}
    assert bad == {}


def test_negate_writes_the_inverse_condition():
    def neg(text: str) -> str:
        return ast.unparse(negate(ast.parse(text, mode="eval").body))

    assert neg("not wp.isnan(x)") == "wp.isnan(x)"
    assert neg("a < b") == "a >= b" and neg("k == 2") == "k != 2"
    assert neg("a and b") == "not (a and b)"


_CAST_DTYPE = {"float": "float32", "float32": "float32", "int": "int32", "int32": "int32", "float64": "float64",
               "float16": "float16", "int64": "int64", "int8": "int8", "int16": "int16", "uint8": "uint8",
               "uint16": "uint16", "uint32": "uint32", "uint64": "uint64"}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "wp":
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def _calls(tree: ast.AST, name: str):
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _name(n.func) == name]


def _scan(check, classic_only: bool = False) -> dict[int, list[str]]:
    """seed -> offending lines, over ``SEEDS`` (``check(tree)`` yields offending nodes); ``classic_only``
    skips the motif families (hand-written idioms with their own parameters)."""
    out = {}
    for s, prog in zip(SEEDS, _programs()):
        if classic_only and prog.category.startswith("motif_"):
            continue
        bad = [ast.unparse(n) for n in check(ast.parse(prog.source))]
        if bad:
            out[s] = bad
    return out


def test_no_cast_of_a_parameter_to_its_own_type():
    def check(tree):
        for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
            dtypes = {a.arg: _CAST_DTYPE.get(_name(a.annotation) or "") for a in fn.args.args}
            for c in ast.walk(fn):
                if isinstance(c, ast.Call) and len(c.args) == 1 and isinstance(c.args[0], ast.Name):
                    cast = _CAST_DTYPE.get(_name(c.func) or "")
                    if cast is not None and dtypes.get(c.args[0].id) == cast:
                        yield c

    assert _scan(check) == {}


def test_no_cast_of_a_cast():
    """``int(float(k))`` is a round trip nobody writes (``wp.float64(x)`` of a literal is a literal, not a cast)."""
    def check(tree):
        for c in ast.walk(tree):
            if isinstance(c, ast.Call) and _name(c.func) in _CAST_DTYPE and len(c.args) == 1:
                inner = c.args[0]
                if isinstance(inner, ast.Call) and _name(inner.func) in _CAST_DTYPE and literal_number(inner) is None:
                    yield c

    assert _scan(check, classic_only=True) == {}


def test_no_clamp_of_a_clamp_and_no_component_of_a_constructor():
    ctors = ("vec", "mat", "vector", "matrix", "quaternion", "diag")

    def is_ctor(n):
        return isinstance(n, ast.Call) and (_name(n.func) or "").startswith(ctors)

    def check(tree):
        for c in _calls(tree, "clamp"):
            if c.args and isinstance(c.args[0], ast.Call) and _name(c.args[0].func) == "clamp":
                yield c
        for n in ast.walk(tree):
            if isinstance(n, ast.Subscript) and (is_ctor(n.value) or (
                    isinstance(n.value, ast.BinOp) and (is_ctor(n.value.left) or is_ctor(n.value.right)))):
                yield n

    assert _scan(check) == {}


def test_array_indices_use_shapes_not_literal_moduli():
    """``hist[k % hist.shape[0]]`` and ``total[0]``, never ``hist[k % 8]`` or ``total[k % 1]``."""
    def check(tree):
        for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
            arrays = {a.arg for a in fn.args.args if "array" in ast.unparse(a.annotation or ast.Constant(""))}
            for n in ast.walk(fn):
                if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id in arrays:
                    for m in ast.walk(n.slice):
                        if isinstance(m, ast.BinOp) and isinstance(m.op, ast.Mod) and isinstance(m.right, ast.Constant):
                            yield n

    assert _scan(check) == {}


def test_thread_ids_index_their_own_launch_axis():
    """``a[i, j]``, never ``a[j, j]`` or ``a[k, j, k]`` for an array of the launch shape."""
    def check(tree):
        kern = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and _name(n.decorator_list[0]) == "kernel")
        tid = next((n for n in kern.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
                    and _name(n.value.func) == "tid"), None)
        if tid is None or not isinstance(tid.targets[0], ast.Tuple):
            return
        axes = {e.id: d for d, e in enumerate(tid.targets[0].elts) if isinstance(e, ast.Name)}
        for n in ast.walk(kern):
            if isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Tuple) and len(n.slice.elts) >= len(axes):
                names = [e.id if isinstance(e, ast.Name) else None for e in n.slice.elts]
                if any(nm in axes and axes[nm] != d and names.count(nm) > 1 for d, nm in enumerate(names)):
                    yield n

    assert _scan(check) == {}


def test_guards_use_engineers_idioms():
    """Int divisors are ``wp.max(k, 1)`` or a size (not ``wp.abs(k) + 1``), a signed left shift shifts the
    low bits (not ``wp.abs(k) << s``), and every ``wp.clamp`` has literal or shape bounds (never two
    computed values, whose order nobody checked)."""
    def bound_ok(n):
        return literal_number(n) is not None or ".shape[" in ast.unparse(n)

    def check(tree):
        for n in ast.walk(tree):
            if isinstance(n, ast.BinOp) and isinstance(n.left, ast.Call) and _name(n.left.func) == "abs":
                if isinstance(n.op, ast.LShift) or (isinstance(n.op, ast.Add) and isinstance(n.right, ast.Constant)
                                                    and type(n.right.value) is int):
                    yield n
            if isinstance(n, ast.Call) and _name(n.func) == "clamp" and len(n.args) == 3:
                if not (bound_ok(n.args[1]) and bound_ok(n.args[2])):
                    yield n

    assert _scan(check, classic_only=True) == {}


def test_literal_moduli_are_powers_of_two():
    """``k % 8``, ``k & 255`` bins as engineers write them; never ``k % 7`` or ``% 97`` deep in an expression."""
    def check(tree):
        for n in ast.walk(tree):
            if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Mod, ast.FloorDiv)):
                v = literal_number(n.right)
                if v is not None and (v < 2 or int(v) & (int(v) - 1)):
                    yield n

    assert _scan(check, classic_only=True) == {}


def test_tile_scales_and_fills_are_never_neutral():
    """``t * 1.0``, ``t * -1.0``, ``t * 0.0`` and ``t + tile_full(value=0.0)`` are not scales or
    offsets (seed 428 once wrote ``tk = tile * 1.0``)."""
    from warpsynth.generate import GeneratorConfig

    cfg = GeneratorConfig.only("tile")
    for seed in [*range(200), 428]:
        tree = ast.parse(kernel(seed, cfg).source)
        for node in ast.walk(tree):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
                value = literal_number(node.right)
                assert value is None or abs(value) not in (0.0, 1.0), (seed, ast.unparse(node))
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "wp.tile_full":
                assert all(literal_number(k.value) != 0.0 for k in node.keywords if k.arg == "value"), seed


def test_no_condition_is_a_constant():
    """No ``if True``/``if not True``: a fallback condition with nothing to read gives no early
    return, and the pruner drops an ``if`` whose taken branch does nothing (seed 3138 once wrote
    ``if not True: return -b1``)."""
    for seed in [*range(300), 3138]:
        tree = ast.parse(kernel(seed).source)
        for node in ast.walk(tree):
            if isinstance(node, (ast.If, ast.While, ast.IfExp)):
                test = node.test.operand if isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not) else node.test
                assert not isinstance(test, ast.Constant), (seed, ast.unparse(node.test))


def _loop_read_and_written(fn: ast.FunctionDef) -> list[str]:
    """Names a loop body both reads and updates, of variables defined before the loop (not its counters)."""
    bad = []
    for loop in (n for n in ast.walk(fn) if isinstance(n, (ast.For, ast.While))):
        before = {t.id for t in ast.walk(fn) if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store) and t.lineno < loop.lineno}
        counters = {loop.target.id} if isinstance(loop, ast.For) else {n.id for n in ast.walk(loop.test) if isinstance(n, ast.Name)}
        body = ast.Module(body=loop.body, type_ignores=[])
        written = {n.id for n in ast.walk(body) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        stored_into = {id(n.value) for n in ast.walk(body) if isinstance(n, (ast.Subscript, ast.Attribute))
                       and isinstance(n.ctx, ast.Store)}  # ``col[2] = e`` writes col, it does not read it
        read = {n.id for n in ast.walk(body) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in stored_into}
        bad += sorted((written & read & before) - counters)
    return bad


def test_no_loop_reads_a_value_it_grows():
    """A loop's body either accumulates into an outer value or reads it, never both (magnitude bounds rely on it:
    ``force -= wp.matrix_from_rows(force, force, force) * force`` nine times overflowed to inf). Nested loops too."""
    bad = {}
    for seed in range(600):
        for cat in ("spatial", "nested_loop", "control_flow", "vector"):
            p = kernel(seed, GeneratorConfig.only(cat))
            fn = next(n for n in ast.parse(p.source).body if isinstance(n, ast.FunctionDef) and n.name == p.kernel_name)
            if found := _loop_read_and_written(fn):
                bad[(cat, seed)] = found
    assert bad == {}

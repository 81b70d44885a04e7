"""Flow-sensitive dead stores (``generate.liveness``) and their removal by ``dataflow.prune_function``."""

from __future__ import annotations

import ast
import textwrap

import pytest

from warpsynth.generate.dataflow import prune_function
from warpsynth.generate.liveness import dead_store_lines
from warpsynth.generate.quality import measure


def _fn(body: str, params: str = "a: wp.array(dtype=float), n: int, out: wp.array(dtype=float)") -> ast.FunctionDef:
    src = f"@wp.kernel\ndef k({params}):\n" + textwrap.indent(textwrap.dedent(body), "    ")
    return ast.parse(src).body[0]


@pytest.mark.parametrize("body, dead", [
    # overwritten in the same block
    ("i = wp.tid()\nR = a[i]\nR = a[0] * 2.0\nout[i] = R\n", ["R = a[i]"]),
    # an update overwritten before any read
    ("i = wp.tid()\nk = a[i]\nk -= 1.0\nk = a[0]\nout[i] = k\n", ["k = a[i]", "k -= 1.0"]),
    # overwritten on both branches of an if
    ("i = wp.tid()\nx = 0.0\nif n > 0:\n    x = a[i]\nelse:\n    x = a[0]\nout[i] = x\n", ["x = 0.0"]),
    # in a loop: the update is overwritten later in the same iteration, and nothing reads it after the loop
    ("i = wp.tid()\nr = a[i]\nfor j in range(n):\n    r += a[j]\n    r = wp.sin(a[j])\nout[i] = r\n", ["r += a[j]"]),
    # a component write to a local that is never read again
    ("i = wp.tid()\nv = wp.vec3(a[i])\nout[i] = v[0]\nv[1] = 2.0\n", ["v[1] = 2.0"]),
])
def test_dead_stores_found(body: str, dead: list[str]) -> None:
    assert dead_store_lines(_fn(body)) == dead


@pytest.mark.parametrize("body", [
    # only one branch overwrites: the first value reaches the read on the other path
    "i = wp.tid()\nx = a[i]\nif n > 0:\n    x = a[0]\nout[i] = x\n",
    # a loop-carried value: the next iteration reads it
    "i = wp.tid()\ns = a[i]\nfor j in range(n):\n    out[j] = s\n    s = a[j]\n",
    # the value leaves the loop through break; the loop may also run zero times
    "i = wp.tid()\nx = a[i]\nfor j in range(n):\n    x = a[j]\n    if x > 0.0:\n        break\n    x = 0.0\nout[i] = x\n",
    # continue goes back to the head, where the next iteration reads x
    "i = wp.tid()\nx = a[i]\nj = int(0)\nwhile j < n:\n    j += 1\n    out[j] = x\n    x = a[j]\n    if x > 0.0:\n        continue\n    x = 1.0\n",
    # a component write keeps the rest of the vector alive
    "i = wp.tid()\nv = wp.vec3(a[i])\nv[1] = 2.0\nout[i] = wp.length(v)\n",
    # writes through parameters and wp.adjoint are effects
    "i = wp.tid()\na[i] = 1.0\na[i] = 2.0\n",
    # a value read in a while loop's test on the next iteration
    "i = wp.tid()\nx = a[i]\nwhile x < 1.0:\n    x = a[0] + 2.0\n    out[i] = 1.0\n",
])
def test_live_stores_kept(body: str) -> None:
    assert dead_store_lines(_fn(body)) == []


def test_func_grad_adjoint_is_an_effect() -> None:
    src = "@wp.func_grad(f)\ndef adj_f(v: wp.vec3, adj_ret: float):\n    n = wp.length(v)\n    wp.adjoint[v] += v / n * adj_ret\n"
    assert measure("import warp as wp\n" + src).dead_stores == []


def test_prune_removes_dead_stores_and_what_only_they_read() -> None:
    fn = _fn("i = wp.tid()\nt = a[i] * 3.0\nR = t\nif n > 0:\n    R = a[0]\nelse:\n    R = a[1]\n"
             "old = wp.atomic_add(out, 0, 1.0)\nold = a[2]\nout[i] = R + old\n")
    text = ast.unparse(prune_function(fn))
    assert "t =" not in text and "R = t" not in text  # the dead store, then the value only it read
    assert "wp.atomic_add(out, 0, 1.0)" in text and "old = wp.atomic_add" not in text  # the effect stays
    assert measure("import warp as wp\n" + text).dead_stores == []


@pytest.mark.parametrize("loop, flattened", [
    ("for l in range(4):\n    wp.atomic_min(out, 0, a[i])\n", True),  # one update repeated
    ("for l in range(n):\n    s += a[i]\n", True),  # an invariant added n times
    ("for l in range(n):\n    s += a[l]\n", False),  # reads the index
    ("for l in range(n):\n    s = s * 0.5 + a[i]\n", False),  # carries a value
    ("for l in range(n):\n    s += wp.randf(state)\n", False),  # draws a new number each time
    ("for l in range(n):\n    if a[i] > 0.0:\n        break\n    s += a[i]\n", False),  # leaves early
])
def test_loops_whose_iterations_cannot_differ_are_written_once(loop: str, flattened: bool) -> None:
    fn = _fn("i = wp.tid()\nstate = wp.rand_init(n, i)\ns = a[i]\n" + loop + "out[i] = s\n")
    text = ast.unparse(prune_function(fn))
    assert ("for l in" not in text) == flattened, text


def test_helper_calls_read_a_variable() -> None:
    from warpsynth.generate import kernel
    from warpsynth.generate.quality import trivial_reason

    assert trivial_reason(ast.parse("update(1.89)", mode="eval").body) == "constant expression"
    assert trivial_reason(ast.parse("update(x, 1.89)", mode="eval").body) is None
    assert trivial_reason(ast.parse("range(3)", mode="eval").body) is None
    calls = 0
    for seed in range(300):
        tree = ast.parse(kernel(seed).source)
        helpers = {f.name for f in tree.body if isinstance(f, ast.FunctionDef) and ast.unparse(f.decorator_list[0]) == "wp.func"}
        for n in ast.walk(tree):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in helpers:
                calls += 1
                assert trivial_reason(n) is None, (seed, ast.unparse(n))
    assert calls > 30


@pytest.mark.parametrize("body, decided", [
    ("if n == 0:\n    out[0] = 1.0\nelif n > 3:\n    if n < 0:\n        out[1] = 2.0\n", ["n < 0"]),  # n > 3 there
    ("if not n <= -2:\n    out[0] = 1.0\nelif n >= -1:\n    out[1] = 2.0\n", ["n >= -1"]),  # n <= -2 there
    ("if n > 2 and n < 5:\n    if n != 7:\n        out[0] = 1.0\n", ["n != 7"]),  # always true
    ("if n >= wp.int64(3):\n    if 2 >= n:\n        out[0] = 1.0\n", ["2 >= n"]),  # literal on the left
    ("if a[0] > 2.0:\n    out[0] = 1.0\nelse:\n    out[0] = 1.0\n", ["a[0] > 2.0"]),  # equal branches decide nothing
])
def test_conditions_decided_by_enclosing_ones(body: str, decided: list[str]) -> None:
    from warpsynth.generate.conditions import decided_tests

    fn = _fn("i = wp.tid()\n" + body)
    assert decided_tests(fn) == decided
    folded = prune_function(fn)
    assert decided_tests(folded) == []
    assert ast.unparse(folded).count("if ") + ast.unparse(folded).count("elif ") < body.count("if ")


@pytest.mark.parametrize("body", [
    "if n > 3:\n    n = n - 5\n    if n < 0:\n        out[0] = 1.0\n",  # n changed in between
    "if n > 3:\n    for j in range(4):\n        if n < 0:\n            out[0] = 1.0\n        n -= 2\n",  # changed in the loop
    "if n > 3:\n    if n < 5:\n        out[0] = 1.0\n",  # undecided
    "if n > 3 or n < -3:\n    if n < 0:\n        out[0] = 1.0\n",  # an ``or`` tells nothing inside
])
def test_undecided_conditions_kept(body: str) -> None:
    from warpsynth.generate.conditions import decided_tests

    assert decided_tests(_fn("i = wp.tid()\n" + body)) == []


def test_condition_decided_by_an_assignment() -> None:
    from warpsynth.generate.conditions import decided_tests

    fn = _fn("i = wp.tid()\nidx = int(2)\nif not idx != 1:\n    out[i] = 1.0\nidx = n\nif idx > 1:\n    out[i] = 2.0\n")
    assert decided_tests(fn) == ["not idx != 1"]  # the second test follows ``idx = n``: undecided
    assert "out[i] = 1.0" not in ast.unparse(prune_function(fn))


@pytest.mark.parametrize("body, want", [
    # two copies of one value: the ternary's arms are then one value (trivial), and the copies go
    ("i = wp.tid()\nw = a[i]\ntmp = w\nr = w\nout[i] = wp.sin(tmp) + r\n", "out[i] = wp.sin(w) + w"),
    # a copy of a parameter nothing assigns, read in a loop
    ("i = wp.tid()\nm = n\nfor j in range(m):\n    out[j] = 1.0\n", "for j in range(n):"),
    # a chain
    ("i = wp.tid()\nw = a[i]\nb = w\nc = b\nout[i] = c\n", "out[i] = w"),
])
def test_copies_propagated(body: str, want: str) -> None:
    text = ast.unparse(prune_function(_fn(body)))
    assert want in text, text
    assert not any(isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Name)
                   for n in ast.walk(ast.parse(text))), text


@pytest.mark.parametrize("body", [
    "i = wp.tid()\nw = a[i]\nr = w\nw = w * 2.0\nout[i] = r + w\n",  # w changes after the copy
    "i = wp.tid()\nw = a[i]\nr = w\nr += 1.0\nout[i] = r + w\n",  # r changes
    "i = wp.tid()\nv = wp.vec3(a[i])\nu = v\nu[0] = 2.0\nout[i] = u[0] + v[0]\n",  # written in part
    "i = wp.tid()\nw = a[i]\nfor j in range(n):\n    r = w\n    w = a[j]\n    out[j] = r\n",  # w changes in the loop
])
def test_copies_kept(body: str) -> None:
    from warpsynth.generate.copies import propagate_copies

    fn = _fn(body)
    assert propagate_copies(fn.body, {"a", "n", "out"}) is fn.body


def test_folding_a_return_drops_what_follows() -> None:
    src = ("@wp.func\ndef f(t: float, n: int) -> float:\n    k = t * 2.0\n    if n > 3:\n        if n > 1:\n"
           "            return t\n    return k\n")
    text = ast.unparse(prune_function(ast.parse(src).body[0]))
    assert "return k" in text and "k = t * 2.0" in text  # the outer test still decides nothing alone
    src2 = "@wp.func\ndef f(t: float, n: int) -> float:\n    n = 5\n    k = t * 2.0\n    if n > 3:\n        return t\n    return k\n"
    text2 = ast.unparse(prune_function(ast.parse(src2).body[0]))
    assert "return k" not in text2 and "k =" not in text2, text2


def test_reread_of_a_loaded_element_reads_the_local() -> None:
    from warpsynth.generate.copies import reuse_loads

    fn = _fn("i = wp.tid()\ng = a[i]\nh = a[i] * 2.0\nif g > 0.0:\n    h += a[i]\nout[i] = h + g\n")
    text = ast.unparse(ast.Module(reuse_loads(fn.body, {"a", "n", "out"}), []))
    assert text.count("a[i]") == 1 and "h = g * 2.0" in text and "h += g" in text, text


@pytest.mark.parametrize("body", [
    "i = wp.tid()\ng = a[i]\ng *= 2.0\nout[i] = g + a[i]\n",  # the local changes
    "i = wp.tid()\ng = a[i]\na[i] = 3.0\nout[i] = g + a[i]\n",  # the array is written
    "i = wp.tid()\ng = a[i]\nwp.atomic_add(a, i, 1.0)\nout[i] = g + a[i]\n",  # updated atomically
    "i = wp.tid()\ng = a[i]\ni = n\nout[i] = g + a[i]\n",  # the index changes
])
def test_reread_kept(body: str) -> None:
    from warpsynth.generate.copies import reuse_loads

    fn = _fn(body)
    text = ast.unparse(ast.Module(reuse_loads(fn.body, {"a", "n", "out"}), []))
    assert "out[i] = g + a[i]" in text, text


# Cases from an adversarial review of these passes (each was transformed wrongly before its fix).

def test_loop_reading_what_it_writes_is_kept() -> None:
    fn = _fn("i = wp.tid()\nfor l in range(n):\n    out[i] = out[i] * 2.0\n")
    assert "for l in range(n)" in ast.unparse(prune_function(fn))


@pytest.mark.parametrize("body, params", [
    ("i = wp.tid()\no = out\no[i] = a[i]\n", "a: wp.array(dtype=float), out: wp.array(dtype=float)"),
    ("i = wp.tid()\nrow = grid[i]\nrow[1] = a[i]\n", "a: wp.array(dtype=float), grid: wp.array2d(dtype=float)"),
])
def test_writes_through_array_views_are_effects(body: str, params: str) -> None:
    fn = _fn(body, params)
    assert "= a[i]" in ast.unparse(prune_function(fn)) and dead_store_lines(fn) == []


@pytest.mark.parametrize("body", [
    "x = int(2.7)\nif x == 2:\n    out[0] = 1.0\n",  # the cast truncates
    "x = wp.uint32(-1)\nif x > wp.uint32(0):\n    out[0] = 1.0\n",  # the cast wraps
    "x = wp.int8(200)\nif x > 0:\n    out[0] = 1.0\n",
    "x = 1.00000001\nif x > 1.0:\n    out[0] = 1.0\n",  # float32 rounds it to 1.0
    "x = 16777217.0\nif x == 16777216.0:\n    out[0] = 1.0\n",
    "if t >= 1.00000002:\n    if t <= 1.00000001:\n        out[0] = 1.0\n",  # both round to 1.0
])
def test_literals_that_types_do_not_hold_exactly_decide_nothing(body: str) -> None:
    from warpsynth.generate.conditions import decided_tests

    fn = _fn("i = wp.tid()\nt = a[i]\n" + body)
    assert decided_tests(fn) == [], ast.unparse(fn)


def test_two_calls_keep_their_order() -> None:
    from warpsynth.generate.tidy import tidy_signs

    tree = ast.parse("y = -wp.randf(state) + wp.randf(state)")
    assert ast.unparse(ast.Module(tidy_signs(tree.body), [])) == "y = -wp.randf(state) + wp.randf(state)"


def test_func_grad_body_survives_pruning() -> None:
    src = "@wp.func_grad(f)\ndef adj_f(v: wp.vec3, adj_ret: float):\n    n = wp.length(v)\n    wp.adjoint[v] += v / n * adj_ret\n"
    text = ast.unparse(prune_function(ast.parse(src).body[0]))
    assert "wp.adjoint[v] += v / n * adj_ret" in text and "n = wp.length(v)" in text


def test_features_describe_the_code_left_after_pruning() -> None:
    """A loop, branch or helper call the builder made and pruning removed is not a feature of the row
    (the category itself stays a feature: ``nested_loop`` is also a category name)."""
    from warpsynth.generate import kernel
    from warpsynth.generate.assemble import control_features

    checked = 0
    for seed in range(300):
        p = kernel(seed)
        if p.category.startswith("motif_"):
            continue
        present = control_features(ast.parse(p.source))
        stale = [f for f in p.features if present.get(f) is False and f != p.category]
        assert not stale, (seed, stale)
        checked += sum(f in present for f in p.features)
    assert checked > 100
    src = "import warp as wp\n@wp.kernel\ndef k(a: wp.array(dtype=float)):\n    i = wp.tid()\n    for j in range(4):\n        for l in range(a.shape[0]):\n            a[i] = a[l]\n"
    got = control_features(ast.parse(src))
    assert got["nested_loop"] and got["static_loop"] and got["dynamic_loop"] and not got["while_loop"] and not got["if"]


def test_a_conjunction_its_own_parts_decide() -> None:
    from warpsynth.generate.conditions import decided
    from warpsynth.generate.quality import trivial_reason

    never = ast.parse("alpha <= -1.27 and alpha > 0.278", mode="eval").body
    always = ast.parse("step < -2 or step > -5", mode="eval").body
    open_ = ast.parse("step < -2 and step > -5", mode="eval").body
    assert decided(never, []) is False and decided(always, []) is True and decided(open_, []) is None
    assert trivial_reason(ast.parse("not wp.isnan(a) and not wp.isnan(a)", mode="eval").body) == "repeated operand"
    fn = _fn("i = wp.tid()\nt = a[i]\nif t <= -1.27 and t > 0.278:\n    out[i] = 1.0\n")
    assert "out[i] = 1.0" not in ast.unparse(prune_function(fn))

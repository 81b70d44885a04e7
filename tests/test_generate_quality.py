"""Generator quality (issue 15): dataflow pruning, trivial expressions, policy, registry, reference divergence."""

from __future__ import annotations

import ast
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from warpsynth.errors import WarpsynthError
from warpsynth.generate import GeneratorConfig, catalog, kernel
from warpsynth.generate.catalog import Built, Entry
from warpsynth.generate.dataflow import prune
from warpsynth.generate.policy import Policy
from warpsynth.generate.program import ArgSpec
from warpsynth.generate.quality import measure, trivial_reason
from warpsynth.generate.reference import call_counts, corpus_counts, js_divergence

DATA = Path(__file__).parent / "data" / "reference_kernels"

DEAD = textwrap.dedent(
    """
    import warp as wp

    @wp.func
    def unused_helper(x: float) -> float:
        return x * 2.0

    @wp.func
    def scale(x: float, y: float) -> float:
        t = y * 3.0
        return x * 0.5

    @wp.kernel
    def k(a: wp.array(dtype=float), b: wp.array(dtype=float), s: float, acc: wp.array(dtype=float), out: wp.array(dtype=float)):
        i = wp.tid()
        dead = a[i] * s
        live = a[i] + 1.0
        it = int(0)
        while it < 3:
            it += 1
            dead += 1.0
        for j in range(4):
            if live > 2.0:
                break
            live += scale(live, dead)
        old = wp.atomic_add(acc, 0, live)
        out[i] = live
    """
)


def _built(source: str, kname: str, names: list[str]) -> Built:
    tree = ast.parse(source)
    args = tuple(ArgSpec(n, "array", "float32", (4,)) for n in names)
    return Built(tree.body[1:], kname, args, (4,))


def test_prune_removes_dead_code_params_and_helpers_and_keeps_effects():
    built = prune(_built(DEAD, "k", ["a", "b", "s", "acc", "out"]))
    src = ast.unparse(ast.Module([ast.Import([ast.alias("warp", "wp")])] + built.defs, []))
    assert "unused_helper" not in src and "dead" not in src and "while" not in src
    assert "def scale(x: float) -> float" in src and "scale(live)" in src  # unread parameter y dropped at the call too
    assert "break" in src and "for j in range(4)" in src
    assert "wp.atomic_add(acc, 0, live)" in src and "old =" not in src  # the effect stays, the unread result goes
    assert [a.name for a in built.args] == ["a", "acc", "out"]
    m = measure(src)
    assert m.unused_values == m.unused_params == m.uncalled_helpers == []


def test_measure_finds_each_defect():
    src = textwrap.dedent(
        """
        import warp as wp

        @wp.func
        def ident(x: float) -> float:
            return x

        @wp.kernel
        def k(a: wp.array(dtype=float), unused: float):
            i = wp.tid()
            x = a[i]
            y = x - x
            z = wp.min(x, x)
            w = 1.0 if x > 0.0 else 1.0
            c = wp.sin(0.5)
            g = wp.sqrt(wp.abs(x) + 0.1) + wp.acos(wp.clamp(x, -0.9, 0.9))
            a[i] = y + z + w + c
        """
    )
    m = measure(src)
    assert m.unused_values == ["k.g"]
    assert m.unused_params == ["k.unused"]
    assert m.uncalled_helpers == ["ident"] and m.identity_helpers == ["ident"]
    reasons = sorted(t.split(":")[0] for t in m.trivial)
    assert reasons == ["constant expression", "equal branches", "same arguments", "self-cancelling operator"]
    assert m.guards == 2
    assert trivial_reason(ast.parse("wp.vec3(1.0, 0.0, 0.0)", mode="eval").body) is None
    alias = "import warp as wp\n@wp.func\ndef f(v: float) -> float:\n    y = v\n    return y\n"
    assert measure(alias).identity_helpers == ["f"]
    assert trivial_reason(ast.parse("x * 2.0", mode="eval").body) is None


def test_generated_programs_have_no_dead_values_params_helpers():
    for s in range(40):
        m = measure(kernel(s).source)
        assert (m.unused_values, m.unused_params, m.uncalled_helpers, m.identity_helpers) == ([], [], [], []), s
        assert m.dead_stores == [], s


def test_policy_is_in_the_config_hash_and_checked():
    base = GeneratorConfig()
    other = GeneratorConfig(policy=Policy(p_if_has_else=0.2))
    assert base.hash() != other.hash()
    assert '"p_if_has_else":0.2' in other.to_json()
    with pytest.raises(ValueError, match="p_loop_static"):
        Policy(p_loop_static=1.5)


def test_registry_entry_is_generated_through_one_registration():
    def build(job):
        name = job.fresh("scale_values")
        src = f"@wp.kernel\ndef {name}(x: wp.array(dtype=float), s: float):\n    i = wp.tid()\n    x[i] = x[i] * s\n"
        return Built(ast.parse(src).body, name, (ArgSpec("x", "array", "float32", (8,)), ArgSpec("s", "scalar", "float32", value=2.0)), (8,))

    entry = catalog.register(Entry("test_scale_motif", 1.0, build, family="test"))
    try:
        assert "test_scale_motif" in catalog.names() and "test_scale_motif" in GeneratorConfig().weights
        prog = kernel(3, GeneratorConfig.only("test_scale_motif"))
        assert prog.category == "test_scale_motif" and prog.kernel_name == "scale_values"
        assert "x[i] = x[i] * s" in prog.source and prog.builtins == ("mul", "tid")
        with pytest.raises(ValueError, match="registered twice"):
            catalog.register(Entry("test_scale_motif", 1.0, lambda job: None))
    finally:
        catalog._REGISTRY.pop(entry.name)


def test_reference_counts_and_js_divergence():
    counts = call_counts((DATA / "small.py").read_text())
    assert counts == Counter({"tid": 1, "atomic_add": 1, "normalize": 1, "length": 1})  # host wp.launch not counted
    total, files = corpus_counts(DATA)
    assert (total, files) == (counts, 1)
    assert js_divergence(counts, counts) == 0.0
    assert js_divergence(Counter(a=1), Counter(b=3)) == pytest.approx(1.0)
    assert 0.0 < js_divergence(Counter(a=1, b=1), Counter(a=1)) < 1.0
    with pytest.raises(WarpsynthError, match="not a folder"):
        corpus_counts(DATA / "missing")


def test_diversity_cli_reports_quality_and_divergence(capsys):
    from warpsynth.cli import main

    code = main(["diversity", "-n", "5", "--reference", str(DATA)])
    out = capsys.readouterr().out
    assert code in (0, None)
    assert "unused values: 0 in 0 programs" in out and "builtin-call JS divergence" in out and "guards per 10 lines" in out
    assert main(["diversity", "-n", "2", "--reference", str(DATA / "missing")]) == 2


def test_prune_drops_an_unread_parameter_of_a_function_mapped_over_tiles():
    src = textwrap.dedent(
        """
        import warp as wp

        @wp.func
        def relax(x: float, y: float) -> float:
            return wp.sin(x)

        @wp.kernel
        def k(a: wp.array(dtype=float), out: wp.array(dtype=float)):
            i = wp.tid()
            t = wp.tile_load(a, shape=8, offset=i * 8)
            u = wp.tile_map(relax, t, t)
            wp.tile_store(out, u, offset=i * 8)
        """
    )
    built = prune(_built(src, "k", ["a", "out"]))
    text = ast.unparse(ast.Module(built.defs, []))
    assert "def relax(x: float) -> float" in text and "wp.tile_map(relax, t)" in text


def test_prune_edits_a_call_shared_by_two_places_once():
    """The builder reuses nodes (``wp.cw_mul(e, e)``); dropping an argument must happen once per call
    (seeds 505, 2805 and 6136 of the default config failed codegen with ``smooth()``)."""
    src = textwrap.dedent(
        """
        import warp as wp

        @wp.func
        def smooth(unused: float, v: float) -> float:
            return wp.atan(v)

        @wp.kernel
        def k(a: wp.array(dtype=wp.vec3), out: wp.array(dtype=wp.vec3)):
            i = wp.tid()
            out[i] = wp.cw_mul(a[i], a[i])
        """
    )
    built = _built(src, "k", ["a", "out"])
    kfn = built.defs[-1]
    shared = ast.parse("wp.vec3(smooth(2.0, a[i][0]))", mode="eval").body
    kfn.body[-1].value.args = [shared, shared]  # one node in two places
    text = ast.unparse(ast.Module(prune(built).defs, []))
    assert text.count("smooth(a[i][0])") == 2 and "smooth()" not in text


def test_self_assignments_are_pruned_and_counted():
    """``x = x`` does nothing: the dataflow pass drops it, and the measure counts one as trivial."""
    import re

    for seed in range(300):
        assert not re.search(r"^\s*(\w+) = \1\s*$", kernel(seed).source, re.M), seed
    m = measure("import warp as wp\n\n@wp.kernel\ndef k(a: wp.array(dtype=float)):\n    t = a[0]\n    t = t\n    a[0] = t\n")
    assert m.trivial == ["self-assignment: t = t"]

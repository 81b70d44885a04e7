"""Verification as stage objects: one ordered list, declared artifacts, plug-in stages; cost rows."""

from __future__ import annotations

import pytest

from warpsynth.curate.report import verify_cost_rows
from warpsynth.pipeline.config import VERIFY_LEVELS
from warpsynth.verify import LEVELS
from warpsynth.verify.chunk import Chunk
from warpsynth.verify.options import cpu_body, forward_entry
from warpsynth.verify.plan import STAGES, plan, verify_samples
from warpsynth.verify.stages import CodegenCheck, Stage

from test_verify import GOOD, NAN, sample


def names(level: str) -> list[str]:
    return [type(s).__name__ for s in plan(level)]


def test_one_list_of_levels():
    assert VERIFY_LEVELS is LEVELS and LEVELS == ("codegen", "compile", "run", "grad", "cuda")


def test_each_level_plans_its_own_stages():
    assert names("codegen") == ["CodegenCheck", "RaceCheck"]  # the race check runs at every level
    assert names("compile") == ["CodegenCheck", "RaceCheck", "WarpBuild"]  # exactly as Warp compiles, whole text
    assert names("run") == ["CodegenCheck", "RaceCheck", "DebugBuild", "KernelPtx", "DebugLaunches"]
    assert names("grad") == ["CodegenCheck", "RaceCheck", "DebugBuild", "KernelPtx", "DebugLaunches"]
    assert names("cuda") == names("grad") + ["CudaCompare"]
    with pytest.raises(ValueError, match="unknown verify level 'fast'"):
        plan("fast")


def test_a_stage_needing_an_artifact_nobody_provides_is_refused():
    class NeedsObject(Stage):
        name = "needs_object"
        levels = frozenset(LEVELS)
        needs = ("cpu_debug_object",)

    with pytest.raises(ValueError, match=r"stage needs_object needs \['cpu_debug_object'\]"):
        plan("codegen", STAGES + (NeedsObject(),))
    assert type(plan("run", STAGES + (NeedsObject(),))[-1]).__name__ == "NeedsObject"  # run provides it


class RejectSeed(Stage):
    """A check that runs at every level (like a static race check): one new stage."""

    name = "reject_seed"
    levels = frozenset(LEVELS)
    timing_levels = {"reject_seed": "codegen"}

    def __init__(self, seed: int):
        self.seed = seed

    def run(self, chunk: Chunk) -> None:
        for i in chunk.alive():
            chunk.add_ms(i, "reject_seed", 0.0)
            if chunk.samples[i].program.seed == self.seed:
                chunk.fail(i, "race", "injected")


def test_a_new_stage_plugs_in_as_one_object():
    samples = [sample(GOOD), sample(NAN)]
    stages = (CodegenCheck(), RejectSeed(NAN.seed)) + STAGES[1:]
    good, nan = verify_samples(samples, "codegen", stages=stages)
    assert good.reject is None and good.level_passed == "codegen" and "reject_seed" in good.timings_ms
    assert nan.reject == ("race", "injected")
    assert "cpu_codegen" in good.timings_ms  # every stage's CPU time is charged to a level


def test_forward_entry_drops_only_the_adjoint_entry_points():
    _, row = sample(GOOD)
    entry = forward_entry(row)
    name = row["mangled_name"]
    assert f"{name}_cpu_forward(" in entry and "_cpu_backward" not in entry
    assert row["cpu_entry"].startswith(entry) and len(entry) < len(row["cpu_entry"])
    body = cpu_body(row, backward=False)
    assert row["cpu_forward"] in body and (row["cpu_backward"] or "x") not in body


def test_cost_rows_per_level_from_stats():
    stats = {"tasks": [
        {"samples": 10, "verify_seconds_by_stage": {"cpu_codegen": 0.01, "cpu_run": 1.0, "cpu_grad": 0.5, "run": 3.0}},
        {"samples": 10, "verify_seconds_by_stage": {"cpu_run": 1.0, "cpu_grad": 1.5}},
        {"samples": 5, "verify_seconds_by_stage": {}},  # a codegen-only task
    ]}
    rows = verify_cost_rows(stats)
    assert rows == [("run", "2.00", "10.00"), ("grad", "2.00", "10.00"), ("all levels", "4.01", "4.99")]
    assert verify_cost_rows({"tasks": [{"samples": 3, "verify_seconds_by_stage": {}}]}) == []


def test_the_debug_child_lives_across_chunks_and_its_cpu_is_counted():
    from warpsynth.verify import VerifyOptions, debug, warm_pch
    from warpsynth.verify.chunk import cpu_seconds

    opts = VerifyOptions(pch_dir=warm_pch(), targets=("cpu",))
    first = verify_samples([sample(GOOD)], "run", opts)[0]
    pid = debug._child.proc.pid
    assert debug.live_child_cpu_seconds() > 0.1  # imported Warp: counted although never waited for
    c0 = cpu_seconds()
    second = verify_samples([sample(GOOD)], "run", opts)[0]
    assert debug._child.proc.pid == pid and cpu_seconds() > c0
    assert first.reject is None and second.reject is None and first.columns["io_examples"] == second.columns["io_examples"]
    assert second.timings_ms["cpu_run"] > 0


def test_run_without_the_cpu_target_passes_compile_then_rejects_at_run():
    from warpsynth.verify import VerifyOptions

    p, row = sample(GOOD)
    row = dict(row, ptx=[{"arch": "sm_75", "text": "// ptx from extraction"}])  # nothing to compile
    (r,) = verify_samples([(p, row)], "run", VerifyOptions(targets=("cuda",), ptx_archs=(75,)))
    assert r.level_passed == "compile" and r.reject == ("run", "run/grad levels need the cpu target")


def test_the_same_source_again_in_the_child_launches_its_new_object():
    # run then grad: the child first loads a forward-only object, then one with the adjoint, of the
    # same source (same Warp module name); the first must be unloaded, or it answers the lookups
    from warpsynth.verify import VerifyOptions, warm_pch

    opts = VerifyOptions(pch_dir=warm_pch(), targets=("cpu",))
    ran = verify_samples([sample(GOOD)], "run", opts)[0]
    graded = verify_samples([sample(GOOD)], "grad", opts)[0]
    assert ran.level_passed == "run" and graded.reject is None and graded.level_passed == "grad"

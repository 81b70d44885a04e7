"""A tiny hand-written program source for pipeline tests (independent of the real generator).

Used as ``generator="test_pipeline_programs:templates"``. Deterministic in the seed;
some seeds fail on purpose: ``index % 23 == 5`` raises in the generator, ``index % 19 == 7``
yields a kernel Warp cannot build (an undefined name) -- so rejects are exercised.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import time

from warpsynth.generate.program import ArgSpec, KernelProgram

SPEC = "test_pipeline_programs:templates"
#: seconds to sleep per program (makes a run slow enough to be killed mid-way in tests)
SLEEP_ENV = "WARPSYNTH_TEST_PROGRAM_SLEEP"
INDEX_MASK = 2**32 - 1

_OPS = ["wp.sin(x)", "wp.cos(x) * 2.0", "x * x + 1.0", "wp.exp(-x * x)", "wp.abs(x) + 0.5", "wp.sqrt(x * x + 1.0)"]

_ELEMENTWISE = '''import warp as wp


@wp.kernel
def {name}(a: wp.array(dtype=wp.float32), b: wp.array(dtype=wp.float32)):
    i = wp.tid()
    x = a[i]
    b[i] = {op}
'''

_HELPER = '''import warp as wp


@wp.func
def helper_{k}(x: float, s: float):
    return {op} * s


@wp.kernel
def {name}(a: wp.array(dtype=wp.float32), b: wp.array(dtype=wp.float32), s: float):
    i = wp.tid()
    b[i] = helper_{k}(a[i], s)
'''

_REDUCE = '''import warp as wp


@wp.kernel
def {name}(a: wp.array(dtype=wp.vec3), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    v = a[i]
    acc = float(0.0)
    for j in range({k}):
        acc += wp.dot(v, v) * float(j + 1)
    wp.atomic_add(out, 0, acc)
'''

_BROKEN = '''import warp as wp


@wp.kernel
def {name}(a: wp.array(dtype=wp.float32)):
    i = wp.tid()
    a[i] = undefined_name_{k}(a[i])
'''


class Templates:
    def __init__(self, category_weights: dict[str, float]):
        self.weights = dict(category_weights)
        self.hash = hashlib.sha256(json.dumps(sorted(self.weights.items())).encode()).hexdigest()[:16]

    def config_dict(self) -> dict:
        return {"source": "test templates", "category_weights": self.weights}

    def __call__(self, seed: int) -> KernelProgram:
        if os.environ.get(SLEEP_ENV):
            time.sleep(float(os.environ[SLEEP_ENV]))
        index = seed & INDEX_MASK
        if index % 23 == 5:
            raise ValueError(f"test generator refuses seed {seed}")
        rng = random.Random(seed)
        categories = ["elementwise", "helper", "reduce"]
        weights = [self.weights.get(c, 1.0) for c in categories]
        category = rng.choices(categories, weights)[0]
        k = rng.randint(2, 6)
        name = f"kern_{rng.randint(0, 10**6)}"
        op = rng.choice(_OPS)
        arr = ArgSpec("a", "array", "float32", (64,))
        if index % 19 == 7:
            category, template, args = "broken", _BROKEN, (arr,)
        elif category == "elementwise":
            template, args = _ELEMENTWISE, (arr, ArgSpec("b", "array", "float32", (64,), role="out"))
        elif category == "helper":
            template = _HELPER
            args = (arr, ArgSpec("b", "array", "float32", (64,), role="out"), ArgSpec("s", "scalar", "float32", value=0.5))
        else:
            template = _REDUCE
            args = (ArgSpec("a", "array", "vec3", (64,)), ArgSpec("out", "array", "float32", (1,), role="out"))
        return KernelProgram(
            seed=seed,
            source=template.format(name=name, op=op, k=k),
            kernel_name=name,
            category=category,
            features=(category, f"k{k}"),
            args=args,
            launch_dim=(64,),
            config_hash=self.hash,
            builtins=("sin",) if "sin" in op else (),
        )


def templates(category_weights: dict[str, float]) -> Templates:
    return Templates(category_weights)


def test_templates_are_deterministic():
    a, b = templates({}), templates({})
    assert [a(s) for s in range(30) if s % 23 != 5] == [b(s) for s in range(30) if s % 23 != 5]
    assert len({a(s).source for s in range(4)}) == 4

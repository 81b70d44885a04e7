"""Rules that keep a kernel's results the same on a GPU as on the CPU (one place for generator and verifier).

The CPU runs a launch's threads one after another; a GPU runs them concurrently, in an
order that changes from launch to launch. A kernel gives the same results on both only if
the order of its threads cannot matter:

* **Atomics on shared locations commute.** Several threads may update one location only with
  atomics of one commuting kind per array per launch: ``add``/``sub`` together (float
  addition commutes up to rounding, so results agree within a tolerance), ``min`` alone,
  ``max`` alone, ``and`` alone, ``or`` alone, ``xor`` alone. ``min`` then ``add`` is not
  ``add`` then ``min``; ``exch`` and ``cas`` keep whichever thread came last/first.
* **The value an atomic returns** (the old value) depends on which threads came before; it is
  only usable when the location is owned by the thread.
* **tile_matmul** builds a cuBLASDx GEMM with MathDx for the device's arch at the launch's
  block_dim; MathDx rejects some shapes (measured table in ``mathdx_table.py``).

``warpsynth.verify.races`` proves these for a kernel; the generator emits only kernels that obey
them (``atomic_ops_for_array``, ``tile_matmul_ok``).
"""

from __future__ import annotations

import random

from warpsynth.generate import mathdx_table

#: Atomic builtins (``wp.atomic_<op>``) by commuting group: ops of one group may share a location.
COMMUTING_GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"add", "sub"}),
    frozenset({"min"}),
    frozenset({"max"}),
    frozenset({"and"}),
    frozenset({"or"}),
    frozenset({"xor"}),
)

#: Atomic ops whose result depends on thread order even when used alone.
ORDER_DEPENDENT_OPS = frozenset({"exch", "cas"})

#: Archs every generated ``tile_matmul`` must build for (Ampere and Hopper).
MATMUL_ARCHS: tuple[int, ...] = (80, 90)


def atomic_group(op: str) -> frozenset[str] | None:
    """The commuting group of atomic op ``op`` (``"add"``, ``"max"``...), None for exch/cas/unknown."""
    for group in COMMUTING_GROUPS:
        if op in group:
            return group
    return None


def ops_commute(ops: set[str]) -> bool:
    """True when every op in ``ops`` belongs to one commuting group (so threads may share a location)."""
    return any(ops <= group for group in COMMUTING_GROUPS)


def atomic_ops_for_array(rng: random.Random, is_int: bool) -> tuple[str, ...]:
    """Choose, once per (kernel, array), the atomic ops a generated kernel may apply to that array.

    Floats: ``add`` (with ``sub`` half the time), ``min`` or ``max``; integers may also get one
    bitwise op. Call it when the array is created and draw each atomic call's op from the result.
    """
    kinds = [("add", "sub"), ("add",), ("add", "sub"), ("min",), ("max",)]
    if is_int:
        kinds += [("and",), ("or",), ("xor",)]
    return rng.choice(kinds)


def tile_matmul_ok(m: int, n: int, k: int, dtype: str, block_dim: int, archs: tuple[int, ...] = MATMUL_ARCHS) -> bool:
    """True when MathDx built the GEMM C[m, n] = A[m, k] @ B[k, n] of ``dtype`` at ``block_dim`` for every arch.

    Only measured keys count: a shape the sweep (``scripts/mathdx_sweep.py``) did not try is False.
    """
    return all((m, n, k, dtype, block_dim, arch) in mathdx_table.ACCEPTED for arch in archs)

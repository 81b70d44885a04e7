"""Per-program generation state (``Ctx``) and lexical scopes (``Scope``).

A ``Scope`` knows which variables may be read, which outer variables a loop
body may only accumulate into (so magnitude bounds stay provable), the integer
index variables with their value ranges, and the arrays with their shapes, from
which it offers in-bounds element reads.
"""

from __future__ import annotations

import ast
import random
from dataclasses import dataclass, field
from typing import Callable

from warpsynth.generate import registry
from warpsynth.generate import types as T
from warpsynth.generate.policy import Policy
from warpsynth.generate.quality import CASTS
from warpsynth.generate.value import Expr, name_load, wp_attr


@dataclass
class Var:
    name: str
    type: T.WType
    mag: float
    unit: bool = False
    mutable: bool = True
    node: ast.expr | None = None  # e.g. ``p.scale`` for struct fields
    trip_bound: int = 0  # for int parameters usable as dynamic loop bounds: their value
    lo: float | None = None  # a proven lower bound (positive float parameters: their value)

    def load(self) -> ast.expr:
        return self.node if self.node is not None else name_load(self.name)


@dataclass
class IndexVar:
    """An int32 variable with a known value range (thread ids, loop counters)."""

    name: str
    lo: int
    hi: int
    axis: int | None = None  # thread ids: the launch dimension they index


@dataclass
class ArrayRef:
    name: str
    type: T.WType  # array type
    shape: tuple[int, ...]
    readable: bool = True


class Scope:
    def __init__(self, parent: "Scope | None" = None, loop_trips: int = 0):
        self.parent = parent
        self.vars: list[Var] = []
        self.index_vars: list[IndexVar] = []
        self.arrays: list[ArrayRef] = [] if parent is None else parent.arrays
        self.ctx: Ctx = parent.ctx if parent is not None else None  # type: ignore[assignment]
        # names of outer variables a loop body may only accumulate into (not read)
        self.accum: set[str] = set(parent.accum) if parent is not None else set()
        # names of outer variables a loop body must not write (it reads them)
        self.frozen: set[str] = set(parent.frozen) if parent is not None else set()
        self.no_break = False
        self.loop_depth = (parent.loop_depth if parent is not None else 0) + (1 if loop_trips else 0)
        self.in_func = parent.in_func if parent is not None else False

    # -- lookup ---------------------------------------------------------
    def _chain(self, attr: str) -> list:
        """``attr`` of every enclosing scope, outermost first."""
        out: list = []
        s: Scope | None = self
        while s is not None:
            out = getattr(s, attr) + out
            s = s.parent
        return out

    def all_vars(self) -> list[Var]:
        return self._chain("vars")

    def all_index_vars(self) -> list[IndexVar]:
        return self._chain("index_vars")

    def readable(self, t: T.WType) -> list[Var]:
        return [v for v in self.all_vars() if v.type == t and v.name not in self.accum]

    def writable(self) -> list[Var]:
        return [v for v in self.all_vars() if v.mutable and v.name not in self.frozen]

    def add(self, var: Var) -> Var:
        self.vars.append(var)
        return var

    def find(self, name: str) -> Var | None:
        for v in reversed(self.all_vars()):
            if v.name == name:
                return v
        return None

    # -- array access ---------------------------------------------------
    def index_for(self, size: int, arr: str, dim: int) -> tuple[ast.expr, str]:
        """An int expression provably in [0, size-1] and the access pattern it uses.

        Thread ids and loop counters in range index directly (or, in stencil kernels, as
        clamped/periodic neighbours); an index array gathers; any other counter is wrapped
        (``k % arr.shape[dim]``) or clamped against ``arr.shape[dim]``.  A literal index is used
        for a one-element array (``total[0]``) and where no index variable exists at all.
        """
        r, pol = self.ctx.rng, self.ctx.policy
        if size == 1:
            return ast.Constant(0), "const"  # ``total[0]``: a one-element accumulator
        ivs = [iv for iv in self.all_index_vars() if iv.lo >= 0 and iv.hi <= size - 1]
        n_axes = sum(iv.axis is not None for iv in self.all_index_vars())
        if 0 < n_axes <= dim:  # a trailing channel axis: a loop counter over it or a literal channel (``rgb[i, j, 2]``)
            counters = [iv for iv in ivs if iv.axis is None]
            if counters and r.random() < pol.p_index_var:
                return name_load(r.choice(counters).name), "direct"
            return ast.Constant(r.randrange(size)), "const"
        own = [iv for iv in ivs if iv.axis == dim]  # ``a[i, j]``: each thread id on its own axis
        if own:  # never ``a[j, j]``: another axis's thread id where this axis has its own
            ivs = own + [iv for iv in ivs if iv.axis is None]
        shape_d = ast.Subscript(ast.Attribute(name_load(arr), "shape", ast.Load()), ast.Constant(dim), ast.Load())
        shape_m1 = ast.BinOp(shape_d, ast.Sub(), ast.Constant(1))
        gathers = [g for g, target in self.ctx.gathers if target == size]
        if ivs and (r.random() < pol.p_index_var or not gathers):
            iv = r.choice(own if own and r.random() < pol.p_index_own_axis else ivs)
            pick = r.random()
            if pick < pol.p_index_direct or not self.ctx.stencil:
                return name_load(iv.name), "direct"
            off = r.choice([1, 2]) if size > 2 else 1
            self.ctx.feature("neighbor_access")
            if pick < pol.p_index_direct + pol.p_stencil_plus:
                self.ctx.use("min")
                return ast.Call(wp_attr("min"), [ast.BinOp(name_load(iv.name), ast.Add(), ast.Constant(off)), shape_m1], []), "stencil"
            if pick < pol.p_index_direct + pol.p_stencil_plus + pol.p_stencil_minus:
                self.ctx.use("max")
                return ast.Call(wp_attr("max"), [ast.BinOp(name_load(iv.name), ast.Sub(), ast.Constant(off)), ast.Constant(0)], []), "stencil"
            self.ctx.use("mod")
            return ast.BinOp(ast.BinOp(name_load(iv.name), ast.Add(), ast.Constant(off)), ast.Mod(), shape_d), "stencil"
        if gathers and (r.random() < pol.p_index_gather or not ivs):
            g = r.choice(gathers)
            gi = [self.index_for(s, g.name, d)[0] for d, s in enumerate(g.shape)]
            self.ctx.feature("gather")
            return ast.Subscript(name_load(g.name), gi[0] if len(gi) == 1 else ast.Tuple(gi, ast.Load()), ast.Load()), "gather"
        if ivs:
            return name_load(r.choice(ivs).name), "direct"
        any_ivs = [iv for iv in self.all_index_vars() if iv.lo >= 0]
        if any_ivs:
            iv = r.choice(any_ivs)
            if r.random() < pol.p_index_wrap_mod:
                self.ctx.use("mod")
                return ast.BinOp(name_load(iv.name), ast.Mod(), shape_d), "wrap"  # ``k % a.shape[0]``
            self.ctx.use("clamp")
            return ast.Call(wp_attr("clamp"), [name_load(iv.name), ast.Constant(0), shape_m1], []), "clamp"
        return ast.Constant(r.randrange(size)), "const"

    def array_reads(self, t: T.WType) -> list[Callable[[], Expr]]:
        out = []
        for a in self.arrays:
            if a.readable and a.type.elem == t:
                out.append(lambda a=a: self.read(a))
        return out

    def read(self, a: ArrayRef) -> Expr:
        idx = [self.index_for(s, a.name, d)[0] for d, s in enumerate(a.shape)]
        node = ast.Subscript(name_load(a.name), idx[0] if len(idx) == 1 else ast.Tuple(idx, ast.Load()), ast.Load())
        self.ctx.feature(f"array{len(a.shape)}d")
        return Expr(node, a.type.elem, self.ctx.array_mag(a))


@dataclass
class HelperSig:
    name: str
    params: tuple[T.WType, ...]
    ret: T.WType
    ret_mag: float
    arg_limit: float


#: (type pool, return type) -> allowed signatures; a pure function of its key, shared by programs.
#: Type pools are random, so new keys keep coming (~0.3 per program): the caches are emptied
#: when full to keep a long-running worker's memory flat.
_SIG_CACHE: dict = {}
_SIG_CACHE_MAX = 2048
#: id of a cached signature list -> (the list, its builtin names, overloads per name, (group, rare) per name)
_GROUP_CACHE: dict[int, tuple] = {}


def _grouped(sigs: list[registry.Signature]) -> tuple[list[str], dict[str, list[registry.Signature]], list[tuple[str, bool]]]:
    """Signatures grouped by builtin name, in first-seen order (precomputed for ``sigs_for``'s lists)."""
    hit = _GROUP_CACHE.get(id(sigs))
    if hit is not None and hit[0] is sigs:
        return hit[1:]
    by_name: dict[str, list[registry.Signature]] = {}
    for s in sigs:
        by_name.setdefault(s.name, []).append(s)
    names = list(by_name)
    base = [(registry.group_of(n), not by_name[n][0].differentiable and by_name[n][0].ret.float_based) for n in names]
    return names, by_name, base


_REFERENCE: dict[int, tuple] = {}


def _reference_table(policy: Policy) -> dict[str, float]:
    """``policy.w_builtin_reference`` as a dict (cached per policy object)."""
    hit = _REFERENCE.get(id(policy))
    if hit is None or hit[0] is not policy:
        if len(_REFERENCE) > 64:
            _REFERENCE.clear()
        hit = _REFERENCE[id(policy)] = (policy, dict(policy.w_builtin_reference))
    return hit[1]


@dataclass
class Ctx:
    """Mutable state of one program's generation."""

    rng: random.Random
    category: str
    types: list[T.WType]
    group_weights: dict[str, float]
    builtins: set[str] = field(default_factory=set)
    features: set[str] = field(default_factory=set)
    counter: dict[str, int] = field(default_factory=dict)
    reads: dict[str, int] = field(default_factory=dict)  # variable name -> times an expression read it
    stencil: bool = False
    helpers: list[HelperSig] = field(default_factory=list)
    array_mags: dict[str, float] = field(default_factory=dict)
    rand_state: str | None = None
    expr_bias: dict[str, float] = field(default_factory=dict)
    gathers: list = field(default_factory=list)  # (index ArrayRef, target size)
    policy: Policy = field(default_factory=Policy)

    def use(self, name: str) -> None:
        self.builtins.add(name)

    def feature(self, name: str) -> None:
        self.features.add(name)

    def fresh(self, stem: str) -> str:
        n = self.counter.get(stem, 0)
        self.counter[stem] = n + 1
        return stem if n == 0 else f"{stem}{n}"

    def array_mag(self, a: ArrayRef) -> float:
        return self.array_mags.get(a.name, 1.0)

    def allows(self, sig: registry.Signature) -> bool:
        """Whether the expression builder may call ``sig``: its argument types are in the pool, and
        it is not a cast to the argument's own type (``float(x)`` of a float ``x``)."""
        if sig.name in CASTS and sig.args == (sig.ret,):
            return False
        dtypes = {t.dtype for t in self.types}
        return all((a in self.types or a.is_scalar) and a.dtype in dtypes for a in sig.args)

    def sigs_for(self, t: T.WType) -> list[registry.Signature]:
        """Registry signatures returning ``t`` over this program's type pool (cached)."""
        key = (tuple(self.types), t)
        hit = _SIG_CACHE.get(key)
        if hit is None:
            if len(_SIG_CACHE) >= _SIG_CACHE_MAX:
                _SIG_CACHE.clear()
                _GROUP_CACHE.clear()
            hit = _SIG_CACHE[key] = [s for s in registry.by_return().get(t, ()) if self.allows(s)]
            _GROUP_CACHE[id(hit)] = (hit, *_grouped(hit))  # the list lives as long as the entry: its id stays valid
        return hit

    def pick_signature(self, sigs: list[registry.Signature]) -> registry.Signature:
        """Choose a builtin (weighted by category group and novelty), then one of its overloads."""
        names, by_name, base = _grouped(sigs)
        real = _reference_table(self.policy)
        damping = self.policy.table("w_builtin_guard_damping")
        weights = []
        for n, (group, rare) in zip(names, base):
            w = self.group_weights.get(group, 1.0)
            if n in self.builtins:
                w *= self.policy.builtin_repeat_factor
            if rare:
                w *= self.policy.builtin_rare_factor  # piecewise-constant float builtins (floor, sign...)
            w *= (1.0 + real.get(n, 0.0)) ** self.policy.builtin_reference_power * damping.get(n, 1.0)
            weights.append(w)
        name = self.rng.choices(names, weights)[0]
        return self.rng.choice(by_name[name])


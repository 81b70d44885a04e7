"""Statement builder: assignments, control flow, loops, atomics, output-parameter builtins.

Magnitude bounds survive control flow as follows: branches merge by taking the
maximum bound; a loop picks the outer variables its body may accumulate into
(they cannot be read inside the body), every other outer variable is frozen,
and after the loop each accumulator's bound is ``before + trips * growth``;
an accumulator that may exceed its dtype's limit is squashed after the loop.
"""

from __future__ import annotations

import ast
from typing import Callable

from warpsynth.generate import types as T
from warpsynth.generate.expr import ExprBuilder
from warpsynth.generate.value import LIMIT, Expr, has_var, literal_value, name_load, round_lit, wp_attr
from warpsynth.generate.scope import Ctx, IndexVar, Scope, Var

_STEMS = {
    "scalar": ["val", "tmp", "acc", "s", "f", "g", "h", "w", "r", "t", "e", "d", "u", "a", "b", "c", "y", "z", "p"],
    "int": ["n", "m", "cnt", "k", "idx", "bits", "code", "key", "flag", "step"],
    "vec": ["v", "dir", "pos", "vel", "n", "offset", "col", "u", "axis", "delta", "force"],
    "mat": ["M", "A", "R", "J", "S", "K", "H"],
    "quat": ["q", "rot", "orient", "dq"],
    "transform": ["X", "xform", "pose", "T"],
    "svec": ["twist", "wrench", "sv", "motion"],
    "smat": ["I6", "inertia", "Ms"],
}


def stem_for(t: T.WType, rng) -> str:
    key = "int" if t.is_int else ("scalar" if t.is_scalar or t.kind == "bool" else t.kind)
    return rng.choice(_STEMS[key])


class StmtBuilder:
    def __init__(self, ctx: Ctx, weights: dict[str, float], max_depth: int):
        self.ctx = ctx
        self.rng = ctx.rng
        self.eb = ExprBuilder(ctx)
        self.pol = ctx.policy
        self.weights = weights
        self.max_depth = max_depth
        self.atomic_targets: list = []  # ArrayRef list (write-only accumulators)
        self.atomic_ops: dict[str, tuple[str, ...]] = {}  # accumulator name -> allowed atomic ops (gpu_rules)

    def depth(self) -> int:
        return self.rng.randint(1, self.max_depth)

    def pick_type(self) -> T.WType:
        return self.rng.choice(self.ctx.types)

    def new_var(self, scope: Scope, t: T.WType, e: Expr) -> tuple[ast.stmt, Var]:
        name = self.ctx.fresh(stem_for(t, self.rng))
        if not has_var(e.node) and not any(isinstance(n, ast.Call) for n in ast.walk(e.node)):
            e = self._typed_literal(t, e)  # ``x = 1`` would make ``x`` a Warp constant
        var = scope.add(Var(name, t, e.mag, unit=e.unit))
        return ast.Assign([ast.Name(name, ast.Store())], e.node, lineno=0), var

    # ------------------------------------------------------------------ blocks
    def block(self, scope: Scope, n: int) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        budget = n
        while budget > 0:
            kinds = [k for k, w in self.weights.items() if w > 0 and self._applicable(k, scope, budget)]
            kind = self.rng.choices(kinds, [self.weights[k] for k in kinds])[0]
            stmts, cost = getattr(self, f"s_{kind}")(scope, budget)
            out.extend(stmts)
            budget -= max(cost, 1)
        return out

    def _applicable(self, kind: str, scope: Scope, budget: int) -> bool:
        if kind in ("brk", "cont"):
            return scope.loop_depth > 0 and not getattr(scope, "no_break", False)
        if kind == "aug":
            return any(self._augable(v) for v in scope.writable())
        if kind == "comp":
            return any(v.type.kind == "vec" and v.type.float_based for v in scope.writable())
        if kind == "atomic":
            return bool(self.atomic_targets)
        if kind in ("forl", "whilel", "ifs"):
            return scope.loop_depth < 3 and budget >= 2
        if kind == "decomp":  # at the top level, where its outputs stay in scope for the rest of the kernel
            return scope.parent is None and any(t.kind == "mat" and t.dtype == "float32" and t.shape[0] in (2, 3) for t in self.ctx.types)
        return True

    @staticmethod
    def _augable(v: Var) -> bool:
        return v.mutable and (v.type.is_float or v.type.is_int or (v.type.kind in ("vec", "mat", "svec") and v.type.float_based))

    # ------------------------------------------------------------------ simple statements
    def s_assign(self, scope: Scope, budget: int):
        if scope.parent is not None and self.rng.random() < self.pol.p_assign_outer:
            # inside a branch or loop, update a value of the enclosing code (it flows on from there)
            outer = [v for v in scope.writable() if v.node is None and v.type.kind != "struct" and v not in scope.vars]
            if outer:
                v = self.rng.choice(outer)
                if scope.loop_depth > 0 and self._augable(v) and self.rng.random() < self.pol.p_loop_accumulate:
                    return self.s_aug(scope, budget, v)  # ``acc += e``: overwriting it each trip computes nothing new
                return [self.reassign(scope, v)], 1
        t = self.pick_type()
        e = self.eb.gen(t, self.depth(), scope)
        if isinstance(e.node, ast.Name) and self.rng.random() < self.pol.p_assign_copy_retry:
            e = self.eb.gen(t, self.depth() + 1, scope)  # ``bits = key``: compute something instead of a copy
        if not has_var(e.node):
            # ``cnt = int(-1)`` never updated makes every use of ``cnt`` a constant: compute from a value
            e = self.eb.gen_reading(t, self.depth(), scope) or e
        stmt, _ = self.new_var(scope, t, e)
        return [stmt], 1

    def reassign(self, scope: Scope, v: Var) -> ast.stmt:
        """``v = e`` for an existing variable (bound and unit flag updated; branches merge bounds); ``e``
        reads a value where one is readable (``a = float(1.54)`` inside a loop recomputes nothing)."""
        e = self.eb.gen_reading(v.type, self.depth(), scope) or self.eb.gen(v.type, self.depth(), scope)
        if not has_var(e.node) and not any(isinstance(n, ast.Call) for n in ast.walk(e.node)):
            e = self._typed_literal(v.type, e)
        v.mag = e.mag
        v.unit = v.unit and e.unit
        return ast.Assign([ast.Name(v.name, ast.Store())], e.node, lineno=0)

    def _typed_literal(self, t: T.WType, e: Expr) -> Expr:
        """``float(1.5)`` for a bare literal: Warp treats ``x = 1.5`` as a constant a later cast can retype."""
        ctor = {"float32": "float", "int32": "int"}.get(t.dtype)
        if ctor is None or not t.is_scalar:
            return e
        self.ctx.use(ctor)
        return Expr(ast.Call(ast.Name(ctor, ast.Load()), [e.node], []), t, e.mag)

    def s_aug(self, scope: Scope, budget: int, v: Var | None = None):
        """``v += e`` / ``v -= e`` / ``v *= e`` on a writable variable (``v`` or a random one)."""
        v = v or self.rng.choice([v for v in scope.writable() if self._augable(v)])
        t = v.type
        lim = LIMIT[t.dtype]
        r = self.rng
        if t.is_scalar and r.random() < self.pol.p_aug_mul:
            e = self.eb.gen(t, self.depth(), scope)
            if t.is_int:
                e = self.eb.bound(e, 8.0) if e.mag > 8 else e
                return [ast.AugAssign(ast.Name(v.name, ast.Store()), ast.Mult(), e.node)] + self._squash_var(v, v.mag * max(e.mag, 1.0), scope), 1
            if e.mag > 1.0 and literal_value(e.node) is not None:
                e = self.eb.lit(round_lit(r.uniform(-1.0, 1.0)), t)  # ``x *= 0.7``
            elif e.mag > 1.0:
                e = self.eb.call(r.choice(["sin", "cos", "tanh"]), [e])
            return [ast.AugAssign(ast.Name(v.name, ast.Store()), ast.Mult(), e.node)], 1
        op = r.choice([ast.Add(), ast.Sub()]) if (t.is_signed or not t.is_scalar) else ast.Add()
        e = self.eb.gen(t, self.depth(), scope)
        for _ in range(self.pol.trivial_retries):  # ``x -= x`` is not a program anyone writes
            if not (isinstance(e.node, ast.Name) and e.node.id == v.name):
                break
            e = self.eb.gen(t, self.depth() + 1, scope)
        if isinstance(e.node, ast.Name) and e.node.id == v.name:
            e = self.eb.const(t)
        if e.mag > lim / 20:
            e = self.eb.bound(e, lim / 20)
        self.ctx.use("add" if isinstance(op, ast.Add) else "sub")
        stmt = ast.AugAssign(ast.Name(v.name, ast.Store()), op, e.node)
        return [stmt] + self._squash_var(v, v.mag + e.mag, scope), 1

    def _squash_var(self, v: Var, new_mag: float, scope: Scope) -> list[ast.stmt]:
        """Record ``v``'s new bound; if readable here and over the limit, squash it in place."""
        v.mag = new_mag
        if v.mag <= LIMIT[v.type.dtype] or v.name in scope.accum:
            return []
        e = self.eb.squash(Expr(name_load(v.name), v.type, v.mag))
        v.mag = e.mag
        return [ast.Assign([ast.Name(v.name, ast.Store())], e.node, lineno=0)]

    def s_comp(self, scope: Scope, budget: int):
        v = self.rng.choice([v for v in scope.writable() if v.type.kind == "vec" and v.type.float_based])
        k = self.rng.randrange(v.type.shape[0])
        e = self.eb.gen(v.type.scalar, self.depth(), scope)
        target: ast.expr = ast.Subscript(ast.Name(v.name, ast.Load()), ast.Constant(k), ast.Store())
        if self.rng.random() < self.pol.p_component_write_attr:
            target = ast.Attribute(ast.Name(v.name, ast.Load()), "xyzw"[k], ast.Store())
        self.ctx.use("assign_inplace")
        self.ctx.feature("component_write")
        v.mag = max(v.mag, e.mag)
        return [ast.Assign([target], e.node, lineno=0)], 1

    # ------------------------------------------------------------------ control flow
    def _snapshot(self, scope: Scope) -> dict[str, float]:
        return {v.name: v.mag for v in scope.all_vars()}

    def _restore(self, scope: Scope, snap: dict[str, float]) -> None:
        for v in scope.all_vars():
            if v.name in snap:
                v.mag = snap[v.name]

    def s_ifs(self, scope: Scope, budget: int):
        r = self.rng
        available = budget - 1
        wb = self.pol.table("w_if_branches")
        n_branches = min(int(r.choices(list(wb), list(wb.values()))[0]), available)
        has_else = n_branches >= 2 and r.random() < self.pol.p_if_has_else
        snap = self._snapshot(scope)
        results = []
        bodies = []
        conds = []
        cost = 1
        n_conds = n_branches - (1 if has_else else 0)
        for b in range(n_branches):
            if b < n_conds:
                conds.append(self.eb.cond(r.randint(1, 2), scope))
            child = Scope(scope)
            child.no_break = getattr(scope, "no_break", False)
            n = max(1, min(available - (cost - 1) - (n_branches - b - 1), r.randint(1, 3)))
            bodies.append(self.block(child, n))
            cost += n
            results.append(self._snapshot(scope))
            self._restore(scope, snap)
        if not has_else:
            results.append(snap)
        for v in scope.all_vars():
            v.mag = max(res.get(v.name, v.mag) for res in results)
        # assemble if / elif / else
        node: ast.stmt | None = None
        orelse: list[ast.stmt] = bodies[-1] if has_else else []
        for c, body in reversed(list(zip(conds, bodies[:n_conds]))):
            node = ast.If(c, body, orelse)
            orelse = [node]
        self.ctx.feature("if" if n_branches == 1 else ("if_else" if n_branches == 2 and has_else else "elif"))
        if n_branches >= 3:
            self.ctx.feature("multi_branch")
        return [node], cost

    def _loop(self, scope: Scope, budget: int, trips: int, header: Callable[[list[ast.stmt]], list[ast.stmt]],
              index: IndexVar | None, pre_body: list[ast.stmt] = (), counter: Var | None = None):
        r = self.rng
        writable = [v for v in scope.writable() if self._augable(v) or (v.type.kind == "vec" and v.type.float_based)]
        accum = set(v.name for v in r.sample(writable, min(len(writable), r.randint(0, 2))))
        frozen = set(v.name for v in scope.writable()) - accum
        child = Scope(scope, loop_trips=trips)
        child.accum = set(scope.accum) | accum
        child.frozen = set(scope.frozen) | frozen  # an enclosing loop's frozen variables stay frozen in a nested one
        if index is not None:
            child.index_vars.append(index)
        before = {v.name: v.mag for v in scope.all_vars() if v.name in accum}
        n = max(1, min(budget - 1, r.randint(1, 4)))
        body = list(pre_body) + self.block(child, n)
        post: list[ast.stmt] = []
        for v in scope.all_vars():
            if v.name in accum:
                grow = max(0.0, v.mag - before[v.name])
                v.mag = before[v.name] + trips * grow
                if v.name not in scope.accum:
                    post += self._squash_var(v, v.mag, scope)
        return header(body) + post, n + 1

    def s_forl(self, scope: Scope, budget: int):
        r = self.rng
        k = self.ctx.fresh(r.choice(["k", "j", "l", "it", "s"]))
        style = r.random()
        dyn = [v for v in scope.all_vars() if v.type == T.INT and not v.mutable and v.node is None and getattr(v, "trip_bound", None)]
        tables = [a for a in scope.arrays if a.readable and len(a.shape) == 1 and a.shape[0] <= 16]
        if style < self.pol.p_loop_static or not (dyn or tables):
            start = r.choice([0, 0, 0, 1])
            stop = start + r.randint(2, 6)
            if r.random() < self.pol.p_loop_reversed:
                args = [ast.Constant(stop - 1), ast.Constant(start - 1), ast.UnaryOp(ast.USub(), ast.Constant(1))]
            elif start == 0:
                args = [ast.Constant(stop)]
            else:
                args = [ast.Constant(start), ast.Constant(stop)]
            trips, lo, hi = stop - start, start, stop - 1
            self.ctx.feature("static_loop")
        elif dyn and (style < self.pol.p_loop_static + self.pol.p_loop_param or not tables):
            v = r.choice(dyn)
            args = [name_load(v.name)]
            trips, lo, hi = v.trip_bound, 0, v.trip_bound - 1
            self.ctx.feature("dynamic_loop")
        else:
            a = r.choice(tables)
            if r.random() < self.pol.p_loop_len:
                self.ctx.use("len")
                args = [ast.Call(ast.Name("len", ast.Load()), [name_load(a.name)], [])]
            else:
                args = [ast.Subscript(ast.Attribute(name_load(a.name), "shape", ast.Load()), ast.Constant(0), ast.Load())]
            trips, lo, hi = a.shape[0], 0, a.shape[0] - 1
            self.ctx.feature("dynamic_loop")
        self.ctx.use("range")
        if scope.loop_depth > 0:
            self.ctx.feature("nested_loop")

        def header(body):
            it = ast.Call(ast.Name("range", ast.Load()), args, [])
            return [ast.For(ast.Name(k, ast.Store()), it, body, [], lineno=0)]

        return self._loop(scope, budget, trips, header, IndexVar(k, lo, hi))

    def s_whilel(self, scope: Scope, budget: int):
        r = self.rng
        c = self.ctx.fresh(r.choice(["it", "iter", "count", "tries"]))
        trips = r.randint(2, 6)
        init = ast.Assign([ast.Name(c, ast.Store())], ast.Call(ast.Name("int", ast.Load()), [ast.Constant(0)], []), lineno=0)
        inc = ast.AugAssign(ast.Name(c, ast.Store()), ast.Add(), ast.Constant(1))
        self.ctx.use("int")
        self.ctx.feature("while_loop")
        if scope.loop_depth > 0:
            self.ctx.feature("nested_loop")

        def header(body):
            test = ast.Compare(name_load(c), [ast.Lt()], [ast.Constant(trips)])
            return [init, ast.While(test, body, [])]

        return self._loop(scope, budget, trips, header, IndexVar(c, 1, trips), pre_body=[inc])

    def _jump(self, scope: Scope, node: ast.stmt, feature: str):
        cond = self.eb.cond(1, scope)
        self.ctx.feature(feature)
        return [ast.If(cond, [node], [])], 1

    def s_brk(self, scope: Scope, budget: int):
        return self._jump(scope, ast.Break(), "break")

    def s_cont(self, scope: Scope, budget: int):
        return self._jump(scope, ast.Continue(), "continue")

    # ------------------------------------------------------------------ atomics
    def s_atomic(self, scope: Scope, budget: int):
        """An atomic update of a shared accumulator with the array's one commuting op kind.

        The returned (old) value is never used: it depends on which threads came first.
        """
        r = self.rng
        a = r.choice(self.atomic_targets)
        t = a.type.elem
        idx = [scope.index_for(s, a.name, d)[0] for d, s in enumerate(a.shape)]
        name = "atomic_" + r.choice(self.atomic_ops.get(a.name) or ("add",))
        e = self.atomic_value(self.eb.gen(t, self.depth(), scope))
        args = [name_load(a.name)] + idx + [e.node]
        self.ctx.use(name)
        self.ctx.feature("atomic")
        return [ast.Expr(ast.Call(wp_attr(name), args, []))], 1  # an atomic's old value is never used (gpu_rules)

    def atomic_value(self, e: Expr) -> Expr:
        """``e`` bounded for an atomic accumulation (``policy.atomic_bound_float``/``_int``): every thread
        and loop trip adds one, so the sum stays finite (floats) and far from int32 overflow (ints)."""
        limit = self.pol.atomic_bound_int if e.type.is_int else self.pol.atomic_bound_float
        return self.eb.bound(e, limit) if e.mag > limit else e

    # ------------------------------------------------------------------ output-parameter builtins
    def _decomp_input(self, mt: T.WType, scope: Scope) -> Expr:
        """The matrix a decomposition takes: one computed from the kernel's values (a decomposition
        of a literal matrix is a constant), else ``s * wp.identity(...)`` over a readable float."""
        a = self.eb.gen_reading(mt, self.depth(), scope)
        if a is not None:
            return a
        s = self.eb.gen_reading(mt.scalar, 1, scope)
        if s is None:
            return self.eb.gen(mt, self.depth(), scope)
        self.ctx.use("identity")
        ident = ast.Call(wp_attr("identity"), [], [ast.keyword("n", ast.Constant(mt.shape[0])), ast.keyword("dtype", name_load("float"))])
        return Expr(ast.BinOp(s.node, ast.Mult(), ident), mt, s.mag)

    def s_decomp(self, scope: Scope, budget: int):
        r = self.rng
        mats = [t for t in self.ctx.types if t.kind == "mat" and t.dtype == "float32" and t.shape[0] in (2, 3)]
        mt = r.choice(mats)
        n = mt.shape[0]
        a = self._decomp_input(mt, scope)
        a = self.eb.bound(a, 4.0) if a.mag > 4.0 else a
        vt = T.vec(n)
        names = []
        out: list[ast.stmt] = []
        if n == 2:
            name = "svd2"
        else:
            name = r.choice(["svd3", "qr3", "eig3"])
        if name == "eig3":  # symmetric input
            self.ctx.use("transpose")
            m = a.node
            if isinstance(m, ast.Call) and ast.unparse(m.func) == "wp.transpose":
                m = m.args[0]  # transpose(X) + X, not transpose(X) + transpose(transpose(X))
            a = Expr(ast.BinOp(m, ast.Add(), ast.Call(wp_attr("transpose"), [m], [])), mt, 2 * a.mag)
        # Spread the spectrum: + diag(k, 2k, 3k) with k > 2 * (norm bound of a) keeps singular values /
        # eigenvalues >= 1 apart and away from 0 (Weyl), where the decompositions' adjoints (1 / (s_i^2 - s_j^2),
        # 1 / r_ii) are well conditioned; a rank-deficient input made adjoint != finite differences.
        k = round(2 * n * a.mag + 1.0, 1)
        self.ctx.use("diag")
        spread = ast.Call(wp_attr("diag"), [ast.Call(wp_attr(vt.type_name()), [ast.Constant(round(k * (i + 1), 1)) for i in range(n)], [])], [])
        a = Expr(ast.BinOp(a.node, ast.Add(), spread), mt, a.mag + n * k)
        layout = {"svd2": [mt, vt, mt], "svd3": [mt, vt, mt], "qr3": [mt, mt], "eig3": [mt, vt]}[name]
        mags = {"svd2": [1.0, 2 * n * a.mag + 1, 1.0], "svd3": [1.0, 2 * n * a.mag + 1, 1.0],
                "qr3": [1.0, n * a.mag + 1], "eig3": [1.0, 2 * n * a.mag + 1]}[name]
        src = self.ctx.fresh("A")
        out.append(ast.Assign([ast.Name(src, ast.Store())], a.node, lineno=0))
        for t, m in zip(layout, mags):
            nm = self.ctx.fresh(stem_for(t, r) if t.kind != "vec" else r.choice(["sigma", "d", "ev"]))
            out.append(ast.Assign([ast.Name(nm, ast.Store())], ast.Call(wp_attr(t.type_name()), [], []), lineno=0))
            names.append((nm, t, m))
        self.ctx.use(name)
        self.ctx.feature("decomposition")
        out.append(ast.Expr(ast.Call(wp_attr(name), [name_load(src)] + [name_load(nm) for nm, _, _ in names], [])))
        scope.add(Var(src, mt, a.mag, mutable=False))
        for nm, t, m in names:
            scope.add(Var(nm, t, m, mutable=False))
        return out, 2

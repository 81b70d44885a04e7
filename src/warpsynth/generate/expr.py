"""Typed expression builder: random, well-typed, in-domain Warp expressions.

An :class:`Expr` is an ``ast.expr`` plus its :mod:`types` type and a magnitude
bound (``mag``).  :class:`ExprBuilder` grows expressions of a requested type from
the variables in scope, literals, Python operators and registry builtins
(``registry.by_return``), applying ``guards`` so every call is in its domain and
squashing any expression whose bound exceeds its dtype's limit.  All choices
come from the program's ``random.Random``; nothing depends on hashing or time.
"""

from __future__ import annotations

import ast
import math
from dataclasses import replace

from warpsynth.generate import guards, registry
from warpsynth.generate.conditions import decided
from warpsynth.generate.quality import CASTS, trivial_reason
from warpsynth.generate import types as T
from warpsynth.generate.scope import Ctx, Scope
from warpsynth.generate.value import LIMIT, Expr, has_var, literal_value, name_load, round_lit, wp_attr

__all__ = ["ExprBuilder", "Expr", "LIMIT", "has_var", "name_load", "round_lit", "wp_attr"]

_BINOP = {"add": ast.Add, "sub": ast.Sub, "mul": ast.Mult, "div": ast.Div, "floordiv": ast.FloorDiv,
          "mod": ast.Mod, "bit_and": ast.BitAnd, "bit_or": ast.BitOr, "bit_xor": ast.BitXor,
          "lshift": ast.LShift, "rshift": ast.RShift}


def _literal_clamp(node: ast.expr) -> tuple[ast.expr, float, float] | None:
    """(x, lo, hi) for ``wp.clamp(x, lo, hi)`` with literal bounds, else None."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "clamp"
            and len(node.args) == 3):
        return None
    lo, hi = literal_value(node.args[1]), literal_value(node.args[2])
    return None if lo is None or hi is None else (node.args[0], lo, hi)


#: constructors whose components are their arguments (``wp.vec3(a, b, c)[1]`` is ``b``)
_CTORS = frozenset({"vector", "matrix", "quaternion", "quat", "quath", "quatd", "matrix_from_rows", "matrix_from_cols",
                    "diag", "spatial_vector"})


def _name_of(call: ast.Call) -> str | None:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else (f.id if isinstance(f, ast.Name) else None)


def _is_ctor(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
        node.func.attr in _CTORS or node.func.attr.startswith(("vec", "mat")))


class ExprBuilder:
    """Builds expressions for one program (shares its ``Ctx``: rng, builtin log, pools)."""

    def __init__(self, ctx: Ctx):
        self.ctx = ctx
        self.rng = ctx.rng
        self.pol = ctx.policy

    # ------------------------------------------------------------------ literals
    def scalar_type(self, name: str) -> T.WType:
        return {"int": T.INT, "float": T.FLOAT}.get(name) or T.scalar(name)

    def lit(self, value: float, t: T.WType) -> Expr:
        """A scalar literal of ``t``'s scalar dtype (bare for float32/int32, wrapped otherwise)."""
        s = t.scalar if t.kind != "bool" else t
        if s.kind == "bool":
            return Expr(ast.Constant(bool(value)), s, 1.0)
        if s.is_float:
            v = round_lit(value)
            node: ast.expr = ast.Constant(v)
        else:
            v = int(value)
            if not s.is_signed:
                v = abs(v)
            node = ast.Constant(v)
        if s.dtype not in ("float32", "int32"):
            node = ast.Call(wp_attr(s.dtype), [node], [])
        if isinstance(v, (int, float)) and v < 0 and s.dtype in ("float32", "int32"):
            node = ast.UnaryOp(ast.USub(), ast.Constant(-v))
        return Expr(node, s, abs(float(v)))

    def rand_scalar_value(self, t: T.WType, mag: float = 2.0) -> float:
        if t.is_float:
            return round_lit(self.rng.uniform(-mag, mag) if t.is_signed else self.rng.uniform(0, mag))
        lo = -int(mag) if t.is_signed else 0
        return float(self.rng.randint(lo, max(int(mag), 1)))

    def const(self, t: T.WType) -> Expr:
        """A literal or constructor expression of type ``t``."""
        r = self.rng
        if t.kind == "bool":
            return self.lit(r.random() < self.pol.p_bool_true, t)
        if t.is_scalar:
            return self.lit(self.rand_scalar_value(t), t)
        if t.kind == "vec":
            if r.random() < self.pol.p_vec_const_splat:
                return self.ctor(t, [self.lit(self.rand_scalar_value(t.scalar), t)])
            return self.ctor(t, [self.lit(self.rand_scalar_value(t.scalar), t) for _ in range(t.shape[0])])
        if t.kind == "mat":
            n = t.shape[0]
            pick = r.randrange(3)
            if pick == 0:
                self.ctx.use("identity")
                ident = ast.Call(wp_attr("identity"), [], [ast.keyword("n", ast.Constant(n)),
                                                          ast.keyword("dtype", self.dtype_node(t.scalar))])
                c = self.lit(self.rand_scalar_value(t.scalar, 2.0), t)
                if literal_value(c.node) in (0, 1):  # ``I * 1.0`` is ``I``, ``I * 0.0`` a zero matrix
                    return Expr(ident, t, 1.001)
                return Expr(ast.BinOp(ident, ast.Mult(), c.node), t, c.mag + 0.001)
            if pick == 1:
                self.ctx.use("diag")
                v = self.const(T.vec(n, t.dtype))
                return Expr(ast.Call(wp_attr("diag"), [v.node], []), t, v.mag)
            return self.ctor(t, [self.lit(self.rand_scalar_value(t.scalar, 1.0), t) for _ in range(n * n)])
        if t.kind == "quat":
            if r.random() < self.pol.p_quat_const_identity:
                self.ctx.use("quat_identity")
                node = ast.Call(wp_attr("quat_identity"), [], [ast.keyword("dtype", self.dtype_node(t.scalar))])
                return Expr(node, t, 1.0, unit=True)
            axis = self.ctor(T.vec(3, t.dtype), [self.lit(self.rand_scalar_value(t.scalar, 1.0) or 0.5, t) for _ in range(3)])
            axis = self.call("normalize", [replace(axis, mag=axis.mag)])
            return self.call("quat_from_axis_angle", [axis, self.lit(self.rand_scalar_value(t.scalar, 3.0), t)])
        if t.kind == "transform":
            if r.random() < self.pol.p_transform_const_identity:
                self.ctx.use("transform_identity")
                node = ast.Call(wp_attr("transform_identity"), [], [ast.keyword("dtype", self.dtype_node(t.scalar))])
                return Expr(node, t, 1.0, unit=True)
            p = self.const(T.vec(3, t.dtype))
            q = self.const(T.quat(t.dtype))
            return self.transform_ctor(t, p, q)
        if t.kind == "svec":
            return self.ctor(t, [self.lit(self.rand_scalar_value(t.scalar, 1.0), t) for _ in range(6)])
        if t.kind == "smat":
            a = self.const(T.svec(t.dtype))
            b = self.const(T.svec(t.dtype))
            return self.call("outer", [a, b])
        raise TypeError(f"no literal for {t}")

    def dtype_node(self, s: T.WType) -> ast.expr:
        if s.dtype == "float32":
            return name_load("float")
        if s.dtype == "int32":
            return name_load("int")
        return wp_attr(s.dtype)

    def ctor(self, t: T.WType, comps: list[Expr]) -> Expr:
        """``wp.vec3(a, b, c)`` style constructor (``wp.vector(..., length=, dtype=)`` sometimes)."""
        mag = max(c.mag for c in comps)
        if t.kind == "vec" and len(comps) == t.shape[0] and self.rng.random() < self.pol.p_ctor_generic_vector:
            self.ctx.use("vector")
            node = ast.Call(wp_attr("vector"), [c.node for c in comps],
                            [ast.keyword("length", ast.Constant(t.shape[0])), ast.keyword("dtype", self.dtype_node(t.scalar))])
            return Expr(node, t, mag)
        if t.kind == "mat" and len(comps) == t.ncomp and self.rng.random() < self.pol.p_ctor_generic_matrix:
            self.ctx.use("matrix")
            shape = ast.Tuple([ast.Constant(t.shape[0]), ast.Constant(t.shape[1])], ast.Load())
            node = ast.Call(wp_attr("matrix"), [c.node for c in comps], [ast.keyword("shape", shape), ast.keyword("dtype", self.dtype_node(t.scalar))])
            return Expr(node, t, mag)
        if t.kind == "svec" and self.rng.random() < self.pol.p_ctor_spatial_vector and t.dtype == "float32":
            self.ctx.use("spatial_vector")
            return Expr(ast.Call(wp_attr("spatial_vector"), [c.node for c in comps], []), t, mag)
        self.ctx.use({"vec": "vector", "mat": "matrix", "svec": "vector", "quat": "quaternion"}.get(t.kind, "vector"))
        return Expr(ast.Call(wp_attr(t.type_name()), [c.node for c in comps], []), t, mag)

    def transform_ctor(self, t: T.WType, p: Expr, q: Expr) -> Expr:
        q = self.unit(q)
        if self.rng.random() < self.pol.p_transform_ctor_kw:
            self.ctx.use("transformation")
            node = ast.Call(wp_attr("transformation"), [p.node, q.node], [ast.keyword("dtype", self.dtype_node(t.scalar))])
        else:
            self.ctx.use("transformation")
            node = ast.Call(wp_attr(t.type_name()), [p.node, q.node], [])
        return Expr(node, t, max(p.mag, 1.0), unit=True)

    # ------------------------------------------------------------------ guards used by guards.py
    def call(self, name: str, args: list[Expr], mag: float | None = None, ret: T.WType | None = None) -> Expr:
        """Emit ``wp.name(args)``; the return type comes from the registry unless given."""
        if ret is None:
            ret = self.ret_type(name, [a.type for a in args])
        inner = args[0].node if args else None
        if name == "abs" and isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.func.attr == "abs":
            return args[0]  # already non-negative
        if name == "abs" and args[0].type.is_scalar and literal_value(args[0].node) is not None:
            return self.lit(abs(literal_value(args[0].node)), args[0].type)
        if name in ("sin", "cos") and args:  # every sin/cos, also a squash's: no ill-conditioned large argument
            args = [guards.periodic_arg(self, args[0])] + list(args[1:])
        self.ctx.use(name)
        fn: ast.expr = name_load(name) if name in ("int", "float") else wp_attr(name)
        node = ast.Call(fn, [a.node for a in args], [])
        m = guards.result_mag(name, args) if mag is None else mag
        unit = name in guards.UNIT_RESULT and ret.kind in ("quat", "transform") and all(
            a.unit for a in args if a.type.kind in ("quat", "transform"))
        if name == "normalize" and ret.kind == "quat":
            unit = False  # normalize(0) is 0: only ``unit()`` (offset first) proves a unit quaternion
        return Expr(node, ret, m, unit=unit)

    def ret_type(self, name: str, args: list[T.WType]) -> T.WType:
        for sig in registry.by_name().get(name, ()):
            if sig.args == tuple(args):
                return sig.ret
        raise TypeError(f"no registry overload {name}({', '.join(map(str, args))})")

    def clamp(self, e: Expr, lo: float, hi: float) -> Expr:
        """``wp.clamp(e, lo, hi)`` (bounds cut to the dtype's limit); a literal ``e`` becomes a literal
        in range, and a clamp of a clamp one clamp with the tighter bounds."""
        lim = LIMIT[e.type.dtype] if e.type.kind != "bool" else 1.0
        lo, hi = max(lo, -lim), min(hi, lim)
        if not e.type.is_signed:
            lo = max(lo, 0.0)
        inner = _literal_clamp(e.node)
        if inner is not None and max(lo, inner[1]) <= min(hi, inner[2]):
            lo, hi = max(lo, inner[1]), min(hi, inner[2])
            e = Expr(inner[0], e.type, e.mag)
        if not has_var(e.node) and e.type.is_scalar:  # a literal needs no clamp: pick one in range
            return self.lit(self.rng.uniform(lo, hi) if e.type.is_float else self.rng.randint(int(lo), int(hi)), e.type)
        return self.call("clamp", [e, self.lit(lo, e.type), self.lit(hi, e.type)], mag=max(abs(lo), abs(hi)))

    def positive(self, e: Expr) -> Expr:
        """An expression with every component >= 0.5 (for divisors): ``wp.max(d, 0.5)`` (policy
        ``p_divisor_max``) or ``wp.abs(d) + 0.5`` for floats, ``wp.max(k, 1)`` for signed ints."""
        if not has_var(e.node) and (e.type.is_scalar or e.type.kind == "vec"):
            n = 1 if e.type.is_scalar else e.type.shape[0]
            lits = [self.lit(self.rng.choice([0.5, 1.5, 2.0, 4.0]) if e.type.float_based else self.rng.randint(2, 4), e.type)
                    for _ in range(n)]  # a divisor of 1 divides by nothing
            return lits[0] if e.type.is_scalar else self.ctor(e.type, lits)
        if e.type.float_based and e.type.kind in ("scalar", "vec") and self.rng.random() < self.pol.p_divisor_max:
            half = self.lit(0.5, e.type) if e.type.is_scalar else self.ctor(e.type, [self.lit(0.5, e.type)])
            return self.call("max", [e, half], mag=max(e.mag, 0.5))
        if e.type.is_int and e.type.is_signed:
            return self.call("max", [e, self.lit(1, e.type)], mag=max(e.mag, 1.0))  # ``wp.max(k, 1)``
        if e.type.is_scalar:
            return self.call("abs", [e]).plus_const(self, 0.5 if e.type.is_float else 1)
        sq = self.call("cw_mul", [e, e], mag=e.mag * e.mag)
        half = self.ctor(e.type, [self.lit(0.5 if e.type.float_based else 1, e.type)])
        return Expr(ast.BinOp(sq.node, ast.Add(), half.node), e.type, sq.mag + 0.5)

    def diag_dominant(self, m: Expr) -> Expr:
        """``m + k*I`` with ``k`` above the off-diagonal bound: invertible, inverse bounded by 1."""
        n = m.type.shape[0]
        k = round_lit(n * (m.mag + 1.0) + 1.0)
        self.ctx.use("identity")
        ident = ast.Call(wp_attr("identity"), [], [ast.keyword("n", ast.Constant(n)), ast.keyword("dtype", self.dtype_node(m.type.scalar))])
        shifted = ast.BinOp(ident, ast.Mult(), self.lit(k, m.type).node)
        return Expr(ast.BinOp(m.node, ast.Add(), shifted), m.type, m.mag + k)

    def unit(self, e: Expr) -> Expr:
        """A unit-rotation version of a quaternion/transform expression."""
        if e.unit:
            return e
        if e.type.kind == "quat":
            c = round_lit(2.0 * e.mag + 1.0)
            off = self.ctor(e.type, [self.lit(0.0, e.type), self.lit(0.0, e.type), self.lit(0.0, e.type), self.lit(c, e.type)])
            shifted = Expr(ast.BinOp(e.node, ast.Add(), off.node), e.type, e.mag + c)
            return replace(self.call("normalize", [shifted]), unit=True, mag=1.0)
        if e.type.kind == "transform":
            p = self.call("transform_get_translation", [e], mag=e.mag + 1.0)
            q = Expr(ast.Call(wp_attr("transform_get_rotation"), [e.node], []), T.quat(e.type.dtype), e.mag)
            self.ctx.use("transform_get_rotation")
            return self.transform_ctor(e.type, p, q)
        return e

    def squash(self, e: Expr) -> Expr:
        """Bring ``e`` back under its dtype's limit with a realistic bounded operation."""
        t = e.type
        lim = LIMIT.get(t.dtype, 1.0)
        if e.mag <= lim or t.kind == "bool":
            return e
        r = self.rng
        if t.is_float:
            w = self.pol.table("w_squash_float")
            pick = r.choices(list(w), list(w.values()))[0]
            if pick == "bounded":
                return self.call(r.choice(["sin", "cos", "sin", "cos", "tanh"]), [e])  # real code: sin/cos, rarely tanh
            if pick == "clamp":
                return self.clamp(e, -lim / 10, lim / 10)
            k = 10.0 ** -math.ceil(math.log10(e.mag / (lim / 10)))
            return Expr(ast.BinOp(e.node, ast.Mult(), self.lit(k, t).node), t, e.mag * k * 1.001)
        if t.is_int:
            mod = r.choice([256, 1024, 64]) if lim >= 1000 else r.choice([8, 32, 64])  # powers of two, as bins are
            if r.random() < self.pol.p_squash_int_mask or not t.is_signed:
                self.ctx.use("bit_and")
                mask = (1 << max(2, int(math.log2(mod)))) - 1
                return Expr(ast.BinOp(e.node, ast.BitAnd(), self.lit(mask, t).node), t, float(mask) if not t.is_signed else float(e.mag if e.mag < lim else lim))
            self.ctx.use("mod")
            return Expr(ast.BinOp(e.node, ast.Mod(), self.lit(mod, t).node), t, float(mod))
        if t.kind == "vec" and t.float_based and r.random() < self.pol.p_squash_vec_normalize:
            return self.call("normalize", [e])
        if t.float_based and t.kind in ("vec", "mat", "svec", "smat", "quat"):
            k = 10.0 ** -math.ceil(math.log10(e.mag / (lim / 10)))
            self.ctx.use("mul")
            return Expr(ast.BinOp(e.node, ast.Mult(), self.lit(k, t).node), t, e.mag * k * 1.001)
        if t.kind == "transform":
            p = self.squash(self.call("transform_get_translation", [e], mag=e.mag))
            q = self.call("transform_get_rotation", [e], mag=1.0)
            return self.transform_ctor(t, p, q)
        if t.kind == "vec":  # int vectors: clamp each by masking via float round-trip is unrealistic; rebuild small
            return self.const(t)
        return e

    # ------------------------------------------------------------------ generation
    def gen(self, t: T.WType, depth: int, scope: Scope) -> Expr:
        """An expression of type ``t`` at most ``depth`` deep, never trivially constant or
        self-cancelling (``quality.trivial_reason``: up to ``policy.trivial_retries`` tries, then a leaf)."""
        for _ in range(self.pol.trivial_retries):
            e = self._gen(t, depth, scope)
            if trivial_reason(e.node) is None:
                break
        else:
            e = self.leaf(t, scope)
        if e.type != t:
            raise TypeError(f"generator bug: wanted {t}, built {e.type}")
        return self.squash(e)

    def gen_reading(self, t: T.WType, depth: int, scope: Scope) -> Expr | None:
        """Like ``gen``, but an expression that reads a variable or array (up to
        ``policy.trivial_retries`` tries, then a variable of type ``t``); None if nothing of ``t`` is readable."""
        for _ in range(self.pol.trivial_retries):
            e = self.gen(t, depth, scope)
            if has_var(e.node):
                return e
        return self.variable(t, scope)

    def _pick_var(self, cands: list) -> Expr:
        """One of ``cands`` (``scope.Var``s), values nobody has read yet first, so computed values
        flow on towards an output; the read is counted."""
        reads = self.ctx.reads
        v = self.rng.choices(cands, [1.0 if reads.get(c.name) else self.pol.w_unread_var for c in cands])[0]
        reads[v.name] = reads.get(v.name, 0) + 1
        return Expr(v.load(), v.type, v.mag, unit=v.unit)

    def variable(self, t: T.WType, scope: Scope) -> Expr | None:
        """A variable or array element of type ``t`` if one is in scope (unread ones first), else None."""
        if scope.readable(t):
            return self._pick_var(scope.readable(t))
        arrays = scope.array_reads(t)
        return self.rng.choice(arrays)() if arrays else None

    def leaf(self, t: T.WType, scope: Scope) -> Expr:
        r = self.rng
        cands = scope.readable(t)
        if cands and r.random() < self.pol.p_leaf_var:
            return self._pick_var(cands)
        reads = scope.array_reads(t)
        if reads and r.random() < (self.pol.p_leaf_read_no_var if not cands else self.pol.p_leaf_read):
            return r.choice(reads)()
        if not cands and not reads and not self._escaping and r.random() < self.pol.p_leaf_derive and self._any_readable(scope):
            # nothing of this type in scope: derive it from what is (``wp.vec3(x, y, 0.5)``, ``v[1]``...)
            self._escaping = True
            try:
                return self.gen(t, 1, scope)
            finally:
                self._escaping = False
        return self.const(t)

    _escaping = False

    @staticmethod
    def _any_readable(scope: Scope) -> bool:
        return any(v.type.kind not in ("struct",) for v in scope.all_vars() if v.name not in scope.accum) or any(
            a.readable for a in scope.arrays)

    def _gen(self, t: T.WType, depth: int, scope: Scope) -> Expr:
        r = self.rng
        if depth <= 0:
            return self.leaf(t, scope)
        pol = self.pol
        w = pol.table("w_expr")
        if t.is_scalar and t.is_float:
            w.update(pol.w_expr_float_scalar)
        if t.kind == "vec" and t.float_based:
            w.update(pol.w_expr_float_vec)
        if t.kind == "mat" and t.dtype in ("float32", "float64"):
            w.update(pol.w_expr_mat)
        if t.kind == "quat":
            w.update(pol.w_expr_quat)
        if t.is_int:
            w.update(pol.w_expr_int)
        if t.is_scalar and not scope.readable(t) and not scope.array_reads(t):
            w["conv"] = pol.w_expr_conv_needed  # no variable of this type: derive one from another type
        helpers = [h for h in self.ctx.helpers if h.ret == t and self.helper_ok(h, scope)]
        if helpers:
            w["helper"] = pol.w_expr_helper
        if self.ctx.rand_state is not None and (t.is_float or t.kind == "vec" or t.dtype in ("int32", "uint32")):
            w["random"] = pol.w_expr_random
        for k in w:
            w[k] *= self.ctx.expr_bias.get(k, 1.0)
        options = list(w)
        choice = r.choices(options, [w[k] for k in options])[0]
        if choice == "helper":
            return self.helper_call(r.choice(helpers), depth, scope)
        if choice == "random":
            e = self.random_value(t, depth, scope)
            if e is not None:
                return e
        if choice == "op":
            e = self.operator(t, depth, scope)
            if e is not None:
                return e
        if choice == "component":
            e = self.component(t, depth, scope)
            if e is not None:
                return e
        if choice == "ifexp":
            return self._conditional(t, depth, scope)
        if choice == "ctor":
            return self._constructed(t, depth, scope)
        if choice in ("call", "conv"):
            e = self.registry_call(t, depth, scope, conversion=choice == "conv")
            if e is not None:
                return e
        return self.leaf(t, scope)

    def _conditional(self, t: T.WType, depth: int, scope: Scope) -> Expr:
        """``wp.where(c, a, b)`` (policy ``p_ifexp_where``) or ``a if c else b``."""
        r = self.rng
        cond = self.cond(depth - 1, scope)
        a = self.gen(t, depth - 1, scope)
        b = self.gen(t, depth - 1, scope)
        self.ctx.feature("ternary")
        if r.random() < self.pol.p_ifexp_where:  # ``wp.where(c, a, b)``, as much real code writes it
            self.ctx.use("where")
            return Expr(ast.Call(wp_attr("where"), [cond, a.node, b.node], []), t, max(a.mag, b.mag))
        return Expr(ast.IfExp(cond, a.node, b.node), t, max(a.mag, b.mag))

    def _constructed(self, t: T.WType, depth: int, scope: Scope) -> Expr:
        """A value of ``t`` built from parts: ``wp.quaternion(ijk, w)``, ``wp.transform_compose(p, q, s)``,
        ``wp.matrix_from_rows/cols(...)`` or a vector/matrix constructor of components."""
        r = self.rng
        if t.kind == "quat":
            ijk = self.gen(T.vec(3, t.dtype), depth - 1, scope)
            real = self.gen(t.scalar, depth - 1, scope)
            self.ctx.use("quaternion")
            if not has_var(ijk.node) and not has_var(real.node):
                return self.leaf(t, scope)  # a quaternion of literals is a literal: take a leaf
            node = ast.Call(wp_attr("quaternion"), [ijk.node, real.node], [ast.keyword("dtype", self.dtype_node(t.scalar))])
            return Expr(node, t, max(ijk.mag, real.mag))
        if t == T.mat(4) and r.random() < self.pol.p_mat4_compose:
            # 4x4 rigid-with-scale matrix from position, rotation and scale
            pos = self.gen(T.vec(3), depth - 1, scope)
            rot = self.unit(self.gen(T.quat(), depth - 1, scope))
            scale = self.gen(T.vec(3), depth - 1, scope)
            self.ctx.use("transform_compose")
            node = ast.Call(wp_attr("transform_compose"), [pos.node, rot.node, scale.node], [])
            return Expr(node, t, 3.0 * (scale.mag + 1.0) + pos.mag + 1.0)
        if t.kind == "mat":
            n = t.shape[0]
            rows = [self.gen(T.vec(n, t.dtype), depth - 1, scope) for _ in range(n)]
            name = r.choice(["matrix_from_rows", "matrix_from_cols"])
            self.ctx.use(name)
            return Expr(ast.Call(wp_attr(name), [x.node for x in rows], []), t, max(x.mag for x in rows))
        comps = [self.gen(t.scalar, depth - 1, scope) for _ in range(t.shape[0])]
        return self.ctor(t, comps)

    def registry_call(self, t: T.WType, depth: int, scope: Scope, conversion: bool = False) -> Expr | None:
        sigs = self.ctx.sigs_for(t)
        if conversion:
            # ``float(x)``/``int(x)`` for float32/int32, as real code writes them
            conv = [s for s in sigs if s.name in ("int", "float") or (s.name == t.dtype and t.dtype not in ("int32", "float32"))]
            sigs = [s for s in conv if scope.readable(s.args[0]) or scope.array_reads(s.args[0])] or conv or sigs
        if not sigs:
            return None
        sig = self.ctx.pick_signature(sigs)
        args = [self.gen(a, depth - 1, scope) for a in sig.args]
        if trivial_reason(ast.Call(wp_attr(sig.name), [a.node for a in args], [])) is not None:
            return None  # ``wp.transpose(wp.transpose(M))``, ``wp.abs(wp.abs(x))``: not this call
        if sig.name in CASTS and isinstance(args[0].node, ast.Call) and _name_of(args[0].node) in CASTS:
            return None  # ``int(float(k))``: a cast of a cast is a round trip nobody writes
        for k, a in enumerate(args):  # ``wp.dot(v, wp.vec3(1.9, -1.92, -1.33))``: read a value instead of a literal
            if not has_var(a.node) and self.rng.random() < self.pol.p_call_arg_var:
                args[k] = self.variable(sig.args[k], scope) or a
        if not any(has_var(a.node) for a in args):
            # a call on constants only is unrealistic: feed it a variable where one exists
            k = self.rng.randrange(len(args))
            args[k] = self.variable(sig.args[k], scope) or args[k]
            if not has_var(args[k].node):
                return None  # the caller takes a literal instead of a call on literals
        guarded = guards.guard(self, sig.name, args)
        if guarded is None:
            return None
        return self.call(sig.name, guarded, ret=sig.ret)

    def component(self, t: T.WType, depth: int, scope: Scope) -> Expr | None:
        pool = [x for x in self.ctx.types if x.kind in ("vec", "mat", "quat", "svec") and x.dtype == t.dtype]
        if not pool:
            return None
        src_t = self.rng.choice(pool)
        src = self.gen(src_t, depth - 1, scope)
        if not has_var(src.node):
            return None  # ``wp.vec3(0.5, 1.0, 2.0)[1]`` is a literal
        operands = [src.node] + ([src.node.left, src.node.right] if isinstance(src.node, ast.BinOp) else []) \
            + ([src.node.operand] if isinstance(src.node, ast.UnaryOp) else [])
        if any(_is_ctor(x) for x in operands):
            return None  # ``wp.vec3(a, b, c)[1]`` is ``b``, ``(wp.vec3(0.5) * dt)[0]`` is ``0.5 * dt``
        if src_t.kind == "mat":
            i, j = self.rng.randrange(src_t.shape[0]), self.rng.randrange(src_t.shape[1])
            idx: ast.expr = ast.Tuple([ast.Constant(i), ast.Constant(j)], ast.Load())
        else:
            idx = ast.Constant(self.rng.randrange(src_t.shape[0]))
        if src_t.kind == "vec" and src_t.shape[0] <= 4 and self.rng.random() < self.pol.p_component_attr and isinstance(src.node, ast.Name):
            attr = "xyzw"[idx.value]  # type: ignore[attr-defined]
            return Expr(ast.Attribute(src.node, attr, ast.Load()), t, src.mag)
        self.ctx.use("extract")
        return Expr(ast.Subscript(src.node, idx, ast.Load()), t, src.mag)

    def operator(self, t: T.WType, depth: int, scope: Scope) -> Expr | None:
        """A Python operator expression of type ``t`` (None for bool and other types without one)."""
        if t.kind == "bool":
            return None
        if t.is_int:
            return self._int_operator(t, depth, scope)
        if t.kind in ("vec", "svec") or t.is_float or t.kind in ("mat", "smat", "quat"):
            return self._float_operator(t, depth, scope)
        return None

    def _int_operator(self, t: T.WType, depth: int, scope: Scope) -> Expr | None:
        """``a op b`` over ints: arithmetic, ``//``/``%`` by a positive divisor, bit ops, shifts by ``& 7``;
        None when every operand is a literal (the caller takes a leaf: an operator folds to one)."""
        ops = self.pol.table("w_int_op")
        op = self.rng.choices(list(ops), list(ops.values()))[0]
        if not t.is_signed and op in ("sub", "neg", "invert"):
            op = "add"  # wrap-around would break the magnitude bound (and divisors built from it)
        a = self.gen(t, depth - 1, scope)
        if op in ("neg", "invert"):
            if not has_var(a.node):
                return None
            self.ctx.use(op)
            node = ast.UnaryOp(ast.USub() if op == "neg" else ast.Invert(), a.node)
            return Expr(node, t, a.mag + 1.0)
        b = self.gen(t, depth - 1, scope)
        if not has_var(a.node) and not has_var(b.node):
            return None
        a, b = self.no_neutral_literal(a), self.no_neutral_literal(b)
        if op in ("floordiv", "mod"):
            b = self.positive_int(b, scope)
            mag = a.mag if op == "floordiv" else b.mag
        elif op in ("lshift", "rshift"):
            if has_var(b.node):
                b = Expr(ast.BinOp(b.node, ast.BitAnd(), self.lit(7, t).node), t, 7.0)
                self.ctx.use("bit_and")
            else:
                b = self.lit(self.rng.randint(1, 7), t)
            if op == "lshift" and t.is_signed and literal_value(a.node) is not None:
                a = self.lit(abs(literal_value(a.node)), t)
            elif op == "lshift" and t.is_signed:
                # left shift of a negative value is undefined in C++: shift the low bits, ``(a & 255) << k``
                mask = self.lit(63 if t.bits <= 8 else 255, t)
                self.ctx.use("bit_and")
                a = Expr(ast.BinOp(a.node, ast.BitAnd(), mask.node), t, min(a.mag, mask.mag))
            mag = a.mag * 128.0 if op == "lshift" else a.mag
        elif op in ("bit_or", "bit_xor"):
            mag = 2.0 * max(a.mag, b.mag) + 1.0
        elif op == "bit_and":
            mag = max(a.mag, b.mag)
        elif op == "mul":
            mag = a.mag * b.mag
        else:
            mag = a.mag + b.mag
        self.ctx.use(op)
        self.ctx.feature("bitwise" if op.startswith(("bit_", "lshift", "rshift")) else "int_arith")
        return Expr(ast.BinOp(a.node, _BINOP[op](), b.node), t, mag)

    def _float_operator(self, t: T.WType, depth: int, scope: Scope) -> Expr | None:
        """``a + b``, ``a - b``, ``-a``, a division by a positive divisor, or a product (scalar,
        matrix-vector, matrix-matrix, quaternion) of float-based values; None when every operand
        is a literal."""
        op = self.rng.choice(["add", "sub", "mul", "mul", "div", "neg"])
        if t.kind in ("quat",) and op in ("div",):
            op = "mul"
        if op == "neg":
            a = self.gen(t, depth - 1, scope)
            if not has_var(a.node):
                return None
            self.ctx.use("neg")
            return Expr(ast.UnaryOp(ast.USub(), a.node), t, a.mag, unit=a.unit)
        if op in ("add", "sub"):
            a, b = self.gen(t, depth - 1, scope), self.gen(t, depth - 1, scope)
            if not has_var(a.node) and not has_var(b.node):
                return None
            a, b = self.no_neutral_literal(a), self.no_neutral_literal(b)
            self.ctx.use(op)
            return Expr(ast.BinOp(a.node, _BINOP[op](), b.node), t, a.mag + b.mag)
        if op == "div":
            return self._float_div(t, depth, scope)
        return self._float_mul(t, depth, scope)

    def _float_div(self, t: T.WType, depth: int, scope: Scope) -> Expr | None:
        """``a / dt`` over a parameter known to be positive, else ``a / positive(s)``; None for a
        literal numerator."""
        r = self.rng
        a = self.gen(t, depth - 1, scope)
        if not has_var(a.node):
            return None
        sizes = [v for v in scope.all_vars() if v.type == t.scalar and v.lo and v.name not in scope.accum]
        self.ctx.use("div")
        if sizes and r.random() < self.pol.p_divisor_param:
            v = r.choice(sizes)
            return Expr(ast.BinOp(a.node, ast.Div(), v.load()), t, a.mag / v.lo)
        s = self.gen(t.scalar, depth - 1, scope)
        d = self.positive(s)
        self.ctx.feature("safe_div")
        return Expr(ast.BinOp(a.node, ast.Div(), d.node), t, 2.0 * a.mag)  # divisor >= 0.5

    def _float_mul(self, t: T.WType, depth: int, scope: Scope) -> Expr | None:
        """A product: quaternion * quaternion, matrix * vector, matrix * matrix or value * scalar;
        None when both factors are literals."""
        r = self.rng
        if t.kind == "quat":
            a, b = self.gen(t, depth - 1, scope), self.gen(t, depth - 1, scope)
            if not has_var(a.node) and not has_var(b.node):
                return None
            self.ctx.use("mul")
            return Expr(ast.BinOp(a.node, ast.Mult(), b.node), t, 4 * a.mag * b.mag, unit=a.unit and b.unit)
        if t.kind == "vec" and t.float_based and t.shape[0] in (2, 3, 4) and T.mat(t.shape[0], t.dtype) in self.ctx.types \
                and r.random() < self.pol.p_vec_matvec:
            m = self.gen(T.mat(t.shape[0], t.dtype), depth - 1, scope)
            v = self.gen(t, depth - 1, scope)
            if not has_var(m.node) and not has_var(v.node):
                return None
            self.ctx.use("mul")
            return Expr(ast.BinOp(m.node, ast.Mult(), v.node), t, t.shape[0] * m.mag * v.mag)
        if t.kind == "mat" and r.random() < self.pol.p_mat_matmul:
            a, b = self.gen(t, depth - 1, scope), self.gen(t, depth - 1, scope)
            if not has_var(a.node) and not has_var(b.node):
                return None
            self.ctx.use("mul")
            return Expr(ast.BinOp(a.node, ast.Mult(), b.node), t, t.shape[0] * a.mag * b.mag)
        a = self.gen(t, depth - 1, scope)
        s = self.gen(t.scalar, depth - 1, scope) if not t.is_scalar else self.gen(t, depth - 1, scope)
        if not has_var(a.node) and not has_var(s.node):
            return None
        a, s = self.no_neutral_literal(a), self.no_neutral_literal(s)
        self.ctx.use("mul")
        if r.random() >= self.pol.p_scalar_mul_left:
            return Expr(ast.BinOp(a.node, ast.Mult(), s.node), t, a.mag * s.mag)
        return Expr(ast.BinOp(s.node, ast.Mult(), a.node), t, a.mag * s.mag)

    def no_neutral_literal(self, e: Expr) -> Expr:
        """``e``, or a literal 2..4 (with ``e``'s sign) where ``e`` is the literal 0 or 1 (``x * 0``,
        ``x + 0``, ``x * 1``, ``0 << k`` are no computation anyone writes)."""
        v = literal_value(e.node) if e.type.is_scalar else None
        if v is None or abs(v) not in (0, 1):
            return e
        k = self.rng.randint(2, 4)
        return self.lit(-k if v < 0 and e.type.is_signed else k, e.type)

    @staticmethod
    def helper_ok(h, scope: Scope) -> bool:
        have = {v.type for v in scope.all_vars() if v.type.kind == "struct"}
        return all(p in have for p in h.params if p.kind == "struct")

    def helper_call(self, h, depth: int, scope: Scope) -> Expr:
        """Call a generated ``@wp.func``; arguments are bounded to what the helper assumes and at
        least one reads a variable (``update(1.89)`` is a constant nobody computes per thread):
        if none can, a leaf of the helper's return type instead."""
        args = []
        for p in h.params:
            if p.kind == "struct":
                v = [x for x in scope.all_vars() if x.type == p][0]
                args.append(v.load())
                continue
            args.append(self._helper_arg(h, p, depth, scope))
        if args and not any(has_var(a) for a in args):
            k = self.rng.randrange(len(args))
            v = self.variable(h.params[k], scope)
            if v is None:
                return self.leaf(h.ret, scope)
            args[k] = (self.bound(v, h.arg_limit) if v.mag > h.arg_limit else v).node
        self.ctx.feature("func_call")
        return Expr(ast.Call(name_load(h.name), args, []), h.ret, h.ret_mag)

    def _helper_arg(self, h, p: T.WType, depth: int, scope: Scope) -> ast.expr:
        for _ in range(self.pol.trivial_retries):  # prefer an argument in range to clamping one
            a = self.gen(p, max(depth - 1, 0), scope)
            if a.mag <= h.arg_limit:
                break
        return (self.bound(a, h.arg_limit) if a.mag > h.arg_limit else a).node

    def summary(self, e: Expr, t: T.WType) -> Expr | None:
        """A value of type ``t`` that depends on ``e`` (an engineer's reduction: ``wp.length(v)``,
        ``wp.trace(M)``, a cast, a component), or None if there is no natural one."""
        k = e.type.kind
        if e.type == t:
            return e
        if t.is_scalar and t.kind != "bool" and e.type.is_scalar and e.type.kind != "bool":
            name = {"float32": "float", "int32": "int"}.get(t.dtype, t.dtype)
            if not any(s.args == (e.type,) for s in registry.by_name().get(name, ())):
                return None
            return self.call(name, guards.guard(self, name, [e]), ret=t)
        if not t.is_scalar:
            return None
        if k == "vec" and e.type.float_based:
            s = self.call(self.rng.choice(["length", "length_sq"]), [e])
        elif k == "mat" and e.type.shape[0] == e.type.shape[1]:
            s = self.call("trace", [e])
        elif k in ("transform",):
            s = self.call("length", [self.call("transform_get_translation", [e], mag=e.mag)])
        elif k in ("svec",):
            s = self.call("length", [self.call("spatial_top", [e])])
        elif k in ("smat", "mat"):
            self.ctx.use("extract")
            s = Expr(ast.Subscript(e.node, ast.Tuple([ast.Constant(0), ast.Constant(0)], ast.Load()), ast.Load()), e.type.scalar, e.mag)
        elif k in ("vec", "quat"):
            self.ctx.use("extract")
            s = Expr(ast.Subscript(e.node, ast.Constant(e.type.shape[0] - 1), ast.Load()), e.type.scalar, e.mag)
        else:
            return None
        return self.summary(self.squash(s), t)

    def bound(self, e: Expr, limit: float) -> Expr:
        """``e`` with every component bounded by ``limit``."""
        if e.type.is_scalar:
            return self.clamp(e, -limit, limit)
        if e.type.kind == "vec" and e.type.float_based:
            n = self.call("normalize", [e])
            return Expr(ast.BinOp(n.node, ast.Mult(), self.lit(limit, e.type).node), e.type, limit)
        if e.type.kind == "quat":
            return self.unit(e)
        if e.type.float_based and e.type.kind in ("mat", "svec", "smat"):
            k = round_lit(limit / e.mag) if e.mag > 0 else 1.0
            k = 10.0 ** math.floor(math.log10(k))
            return Expr(ast.BinOp(e.node, ast.Mult(), self.lit(k, e.type).node), e.type, e.mag * k * 1.001)
        return self.const(e.type)


    def random_value(self, t: T.WType, depth: int, scope: Scope) -> Expr | None:
        """A draw from the program's RNG state (``wp.randf(state)`` and friends)."""
        st = name_load(self.ctx.rand_state)
        r = self.rng
        self.ctx.feature("random")
        if t == T.FLOAT:
            pick = r.randrange(5)
            if pick == 0:
                self.ctx.use("randf")
                return Expr(ast.Call(wp_attr("randf"), [st], []), t, 1.0)
            if pick == 1:
                self.ctx.use("randf")
                lo = self.rand_scalar_value(t, 2.0)
                hi = round_lit(lo + r.choice([0.5, 1.0, 2.0]))
                return Expr(ast.Call(wp_attr("randf"), [st, self.lit(lo, t).node, self.lit(hi, t).node], []), t, max(abs(lo), abs(hi)))
            if pick == 2:
                self.ctx.use("randn")
                return Expr(ast.Call(wp_attr("randn"), [st], []), t, 7.0)
            if pick == 3:
                kind = r.choice(["float", "vec2", "vec3", "vec4"])
                if kind == "float":
                    x = self.gen(T.FLOAT, max(depth - 1, 0), scope)
                else:
                    x = self.gen(T.vec(int(kind[-1])), max(depth - 1, 0), scope)
                name = r.choice(["noise", "pnoise"]) if kind != "vec4" else "noise"
                args = [st, x.node]
                if name == "pnoise":
                    periods = {"float": 1, "vec2": 2, "vec3": 3}[kind]
                    args += [ast.Constant(r.choice([2, 4, 8])) for _ in range(periods)]
                self.ctx.use(name)
                return Expr(ast.Call(wp_attr(name), args, []), t, 2.0)
            self.ctx.use("randf")
            return Expr(ast.Call(wp_attr("randf"), [st], []), t, 1.0)
        if t.dtype == "int32" and t.is_scalar:
            self.ctx.use("randi")
            if r.random() < self.pol.p_randi_range:
                lo = r.randint(-8, 4)
                return Expr(ast.Call(wp_attr("randi"), [st, self.lit(lo, t).node, self.lit(lo + r.randint(1, 16), t).node], []), t, 30.0)
            self.ctx.use("bit_and")
            return Expr(ast.BinOp(ast.Call(wp_attr("randi"), [st], []), ast.BitAnd(), ast.Constant(255)), t, 255.0)
        if t.dtype == "uint32" and t.is_scalar:
            if r.random() < self.pol.p_rand_poisson:
                self.ctx.use("poisson")
                lam = round_lit(r.uniform(0.5, 6.0))
                return Expr(ast.BinOp(ast.Call(wp_attr("poisson"), [st, ast.Constant(lam)], []), ast.BitAnd(), self.lit(63, t).node), t, 63.0)
            self.ctx.use("randu")
            self.ctx.use("bit_and")
            return Expr(ast.BinOp(ast.Call(wp_attr("randu"), [st], []), ast.BitAnd(), self.lit(1023, t).node), t, 1023.0)
        if t == T.vec(2):
            name = r.choice(["sample_unit_ring", "sample_unit_disk", "sample_unit_square", "sample_triangle"])
        elif t == T.vec(3):
            name = r.choice(["sample_unit_sphere_surface", "sample_unit_sphere", "sample_unit_hemisphere_surface",
                             "sample_unit_hemisphere", "sample_unit_cube", "curlnoise"])
        else:
            return None
        self.ctx.use(name)
        args = [st]
        mag = 1.0
        if name == "curlnoise":
            x = self.gen(T.vec(4), max(depth - 1, 0), scope)
            args.append(x.node)
            mag = 50.0
        return Expr(ast.Call(wp_attr(name), args, []), t, mag)

    def positive_int(self, b: Expr, scope: Scope) -> Expr:
        """A divisor >= 1 for ``b``'s type: a positive int parameter, ``wp.max(b, 1)`` (signed) or ``b + 1`` (unsigned)."""
        t = b.type
        if not has_var(b.node):
            return self.lit(self.rng.choice([2, 4, 8]), t)  # ``k % 2``, ``k // 4``: never ``k % 1`` (0) or ``k % 7``
        if t == T.INT and self.rng.random() < self.pol.p_int_divisor_size:
            # a size known to be positive: ``k % n`` over an int parameter or ``a.shape[0]``
            sizes = [v for v in scope.all_vars() if v.type == t and not v.mutable and v.trip_bound > 0 and v.name not in scope.accum]
            if sizes:
                v = self.rng.choice(sizes)
                return Expr(v.load(), t, float(v.trip_bound))
        if t.is_signed:  # ``wp.max(k, 1)``, the idiom real code guards a count with
            return self.call("max", [b, self.lit(1, t)], mag=max(b.mag, 1.0))
        self.ctx.use("add")
        return Expr(ast.BinOp(b.node, ast.Add(), self.lit(1, t).node), t, b.mag + 1.0)

    # ------------------------------------------------------------------ conditions
    def _fallback_cond(self, scope: Scope) -> ast.expr:
        """A condition on whatever is readable when the drawn type had nothing to read: an index
        against a small bound (``i > 2``), else a scalar against a literal (never a constant)."""
        r = self.rng
        if scope.all_index_vars():
            return ast.Compare(name_load(r.choice(scope.all_index_vars()).name), [ast.Gt()], [ast.Constant(r.randint(0, 3))])
        cands = [v for v in scope.all_vars() if v.type.kind in ("scalar", "vec", "mat", "quat") and v.name not in scope.accum
                 and (v.type.scalar.is_float or v.type.scalar.is_int)]
        if not cands:
            return ast.Constant(True)  # nothing readable at all: ``if True`` (the trivial check reports it)
        v = self._pick_var(cands)
        node = v.node
        if v.type.kind != "scalar":  # a component: ``v[0] > 0.5``, ``M[0, 0] < 1.0``
            idx = ast.Tuple([ast.Constant(0), ast.Constant(0)], ast.Load()) if v.type.kind == "mat" else ast.Constant(0)
            node = ast.Subscript(node, idx, ast.Load())
        return ast.Compare(node, [r.choice([ast.Lt(), ast.Gt()])], [self.const(v.type.scalar).node])

    def cond(self, depth: int, scope: Scope) -> ast.expr:
        r = self.rng
        pick = r.random()
        pol = self.pol
        if pick < pol.p_cond_boolop and depth > 0:
            a, b = self.cond(depth - 1, scope), self.cond(depth - 1, scope)
            node = ast.BoolOp(r.choice([ast.And(), ast.Or()]), [a, b])
            if ast.dump(a) == ast.dump(b) or decided(node, []) is not None:
                return a  # ``c and c``; ``x <= -1.27 and x > 0.278`` is never true
            return node
        if pick < pol.p_cond_boolop + pol.p_cond_not and depth > 0:
            inner = self.cond(depth - 1, scope)
            if isinstance(inner, ast.UnaryOp) and isinstance(inner.op, ast.Not):
                return inner.operand  # ``not not c`` is ``c``
            if isinstance(inner, ast.Constant):
                return inner  # no ``not True``: a fallback condition stays as it is
            self.ctx.use("unot")
            return ast.UnaryOp(ast.Not(), inner)
        if pick < pol.p_cond_boolop + pol.p_cond_not + pol.p_cond_predicate:
            pool = [x for x in self.ctx.types if x.float_based and x.kind in ("scalar", "vec", "mat", "quat") and scope.readable(x)]
            if pool:
                x = self.variable(r.choice(pool), scope)
                name = r.choice(["isfinite", "isfinite", "isnan", "isinf"])
                self.ctx.use(name)
                call = ast.Call(wp_attr(name), [x.node], [])
                return call if name == "isfinite" else ast.UnaryOp(ast.Not(), call)
        pool = [x for x in self.ctx.types if (x.is_float or x.is_int) and (scope.readable(x) or scope.array_reads(x))]
        if not pool:
            pool = [x for x in self.ctx.types if x.is_float or x.is_int] or [T.FLOAT]
        t = r.choice(pool)
        a = self.gen(t, max(depth - 1, 0), scope)
        if not has_var(a.node):
            a = self.variable(t, scope) or a
        if not has_var(a.node):
            return self._fallback_cond(scope)
        if r.random() < pol.p_cond_rhs_const:
            b = self.const(t)
        else:
            b = self.gen(t, max(depth - 1, 0), scope)
            if ast.dump(a.node) == ast.dump(b.node):
                b = self.const(t)
        ops = [ast.Lt(), ast.Gt(), ast.LtE(), ast.GtE()] + ([ast.Eq(), ast.NotEq()] if t.is_int else [])
        if t.is_int and not t.is_signed and literal_value(b.node) == 0:
            ops = [ast.Gt(), ast.Eq(), ast.NotEq()]  # an unsigned ``k < 0`` is always false, ``k >= 0`` always true
        return ast.Compare(a.node, [r.choice(ops)], [b.node])

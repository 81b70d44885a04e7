"""Per-thread kernels of the classic categories: arguments, helpers, structs, body, launch.

``ProgramBuilder`` holds what every classic build shares (naming, array/scalar/
struct parameters, ``@wp.func`` helpers); ``ThreadKernelBuilder.build()`` makes a
``wp.launch`` kernel from a category ``Plan`` and returns a ``catalog.Built``.
All choices come from the job's ``random.Random`` and ``Policy``.
"""

from __future__ import annotations

import ast
import random

from warpsynth.generate import types as T
from warpsynth.generate.catalog import Built, Job
from warpsynth.generate.categories import Plan
from warpsynth.generate.dataflow import live_names, prune_function
from warpsynth.generate.expr import ExprBuilder
from warpsynth.generate.gpu_rules import atomic_ops_for_array
from warpsynth.generate.quality import returns_a_parameter, trivial_reason
from warpsynth.generate.value import LIMIT, Expr, has_var
from warpsynth.generate.program import ArgSpec
from warpsynth.generate.scope import ArrayRef, Ctx, HelperSig, IndexVar, Scope, Var
from warpsynth.generate.stmt import StmtBuilder
from warpsynth.generate.value import name_load, wp_attr

_IN_NAMES = ["a", "b", "c", "x", "y", "src", "data", "values", "pos", "vel", "field", "u", "grid", "coef", "inp", "mass", "rho", "phi"]
_OUT_NAMES = ["out", "result", "dst", "y_out", "res", "output", "target"]
_TABLE_NAMES = ["weights", "coeffs", "table", "lut", "taps", "samples"]
_ACC_NAMES = ["total", "hist", "bins", "accum", "sums", "counter"]
_FLOAT_PARAMS = ["scale", "alpha", "beta", "dt", "gain", "eps", "bias", "damping", "strength", "omega"]
_INT_PARAMS = ["n", "steps", "count", "iters", "num", "rounds"]
_HELPER_NAMES = ["compute", "apply", "eval_term", "blend", "smooth", "weight", "update", "project", "evaluate", "combine", "shade", "relax"]
_STRUCT_NAMES = ["Params", "Config", "SimParams", "Material", "Settings", "Coeffs"]
_FIELD_NAMES = ["scale", "offset", "stiffness", "damping", "origin", "center", "gain", "mode", "iters", "radius", "axis"]
_KERNEL_NAMES = ["compute", "update", "apply", "integrate", "transform", "accumulate", "evaluate", "process", "step", "advect", "blend", "solve"]
_KERNEL_SUFFIX = ["kernel", "values", "field", "points", "grid", "forces", "state", "data", "particles", "bodies"]


def _constant_locals(body: list[ast.stmt]) -> set[str]:
    """Names assigned exactly once in ``body`` (nested blocks included), to a value that reads no variable
    (an argument of a bare call such as ``wp.svd3(A, U, sigma, V)`` counts as written)."""
    writes: dict[str, int] = {}
    literal: set[str] = set()
    for n in ast.walk(ast.Module(body, [])):
        targets = n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, (ast.AugAssign, ast.For)) else []
        if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call):  # ``wp.svd3(A, U, sigma, V)`` writes its arguments
            targets = n.value.args
        for t in targets:
            root = t
            while isinstance(root, (ast.Subscript, ast.Attribute)):
                root = root.value
            for name in (e.id for e in ast.walk(root) if isinstance(e, ast.Name)):
                writes[name] = writes.get(name, 0) + 1
                if isinstance(n, ast.Assign) and t is root and not has_var(n.value):
                    literal.add(name)
    return {name for name in literal if writes[name] == 1}


def _input_range(t: T.WType, rng: random.Random, p_signed: float) -> tuple[float, float, float]:
    """(low, high, mag) for an input array/value of element type ``t``."""
    if t.kind in ("quat", "transform"):
        return 0.1, 1.0, 1.0
    if t.dtype == "bool":
        return 0, 1, 1.0
    if not T.scalar(t.dtype).is_float:
        if T.scalar(t.dtype).is_signed and rng.random() < p_signed:
            return -8, 8, 8.0
        return 0, 15, 15.0
    lo, hi = rng.choice([(-1.0, 1.0), (0.0, 1.0), (-2.0, 2.0), (0.5, 1.5)])
    return lo, hi, max(abs(lo), abs(hi))


def _dtype_name(t: T.WType) -> str:
    return t.type_name()


class ProgramBuilder:
    """Shared parts of a classic program: parameters, structs, helpers (all recorded as ``ArgSpec``s)."""

    def __init__(self, job: Job, p: Plan):
        self.job, self.seed, self.rng, self.config, self.p = job, job.seed, job.rng, job.config, p
        self.policy = job.policy
        self.ctx = Ctx(job.rng, p.category, types=list(p.types), group_weights=dict(p.groups), expr_bias=dict(p.expr),
                       stencil=p.stencil, policy=job.policy)
        for reserved in ("wp", "float", "int", "range", "print", "len", "min", "max", "abs"):
            self.ctx.counter[reserved] = 1
        self.args: list[ArgSpec] = []
        self.params: list[ast.arg] = []
        self.structs: list[ast.stmt] = []
        self.helpers: list[ast.stmt] = []
        self.outputs: list[ArrayRef] = []
        self.atomic_targets: list[ArrayRef] = []
        self.atomic_ops: dict[str, tuple[str, ...]] = {}  # accumulator -> its one commuting op kind (gpu_rules)

    # ------------------------------------------------------------------ naming
    def name(self, pool: list[str]) -> str:
        return self.ctx.fresh(self.rng.choice(pool))

    def value_type(self, allow_int: bool = True) -> T.WType:
        pool = [t for t in self.ctx.types if t.kind != "bool" and (allow_int or not t.is_int)]
        pol = self.policy
        weights = [pol.w_value_float if t == T.FLOAT else (pol.w_value_int if t.is_int else pol.w_value_other) for t in pool]
        return self.rng.choices(pool, weights)[0]

    # ------------------------------------------------------------------ arguments
    def add_array(self, root: Scope, pool: list[str], elem: T.WType, shape: tuple[int, ...], role: str,
                  low=None, high=None, readable=True) -> ArrayRef:
        name = self.name(pool)
        if low is None:
            low, high, mag = _input_range(elem, self.rng, self.policy.p_input_int_signed)
        else:
            mag = max(abs(low), abs(high))
        at = T.array(elem, len(shape))
        ref = ArrayRef(name, at, shape, readable)
        root.arrays.append(ref)
        self.ctx.array_mags[name] = float(mag)
        self.params.append(ast.arg(name, at.annotation()))
        self.args.append(ArgSpec(name, "array", _dtype_name(elem), tuple(shape), low=low, high=high, role=role))
        return ref

    def add_scalar(self, root: Scope, t: T.WType) -> Var:
        r = self.rng
        if t.is_int:
            name = self.name(_INT_PARAMS)
            value = r.randint(2, 8)
            var = Var(name, t, float(value), mutable=False, trip_bound=value if t == T.INT else 0)
        else:
            name = self.name(_FLOAT_PARAMS)
            positive = r.random() < self.policy.p_param_positive  # dt, mass, scale...: positive values
            value = float(f"{r.uniform(0.1, 2.0) if positive else r.uniform(-2.0, 2.0):.3g}") if t.is_scalar else None
            if t.is_scalar:
                var = Var(name, t, abs(value) + 0.001, mutable=False, lo=value if positive else None)
            else:
                var = Var(name, t, 1.0, mutable=False)
        root.add(var)
        self.params.append(ast.arg(name, t.annotation()))
        if t.is_scalar:
            self.args.append(ArgSpec(name, "scalar", _dtype_name(t), value=value))
        else:
            self.args.append(ArgSpec(name, "value", _dtype_name(t), low=-1.0, high=1.0))
        return var

    def add_struct(self, root: Scope) -> tuple[T.WType, str]:
        r = self.rng
        sname = self.ctx.fresh(r.choice(_STRUCT_NAMES))
        pool = [t for t in self.ctx.types if t.kind in ("scalar", "vec", "mat") and t.kind != "bool"]
        fields: list[tuple[str, T.WType]] = []
        names = r.sample(_FIELD_NAMES, r.randint(2, 4))
        for fname in names:
            t = T.INT if fname in ("mode", "iters") else r.choice(pool)
            fields.append((fname, t))
        st = T.struct(sname, tuple(fields))
        pname = self.ctx.fresh(r.choice(["params", "cfg", "p", "settings"]))
        root.add(Var(pname, st, 0.0, mutable=False))
        specs = []
        for fname, t in fields:
            node = ast.Attribute(name_load(pname), fname, ast.Load())
            if t.is_int:
                value = r.randint(2, 6)
                root.add(Var(f"{pname}.{fname}", t, float(value), mutable=False, node=node, trip_bound=value if t == T.INT else 0))
                specs.append(ArgSpec(fname, "scalar", _dtype_name(t), value=value))
            elif t.is_scalar:
                value = float(f"{r.uniform(-2.0, 2.0):.3g}")
                root.add(Var(f"{pname}.{fname}", t, abs(value) + 0.001, mutable=False, node=node))
                specs.append(ArgSpec(fname, "scalar", _dtype_name(t), value=value))
            else:
                root.add(Var(f"{pname}.{fname}", t, 1.0, mutable=False, node=node))
                specs.append(ArgSpec(fname, "value", _dtype_name(t), low=-1.0, high=1.0))
        body = [ast.AnnAssign(ast.Name(f, ast.Store()), t.annotation(), None, simple=1) for f, t in fields]
        cls = ast.ClassDef(sname, [], [], body, [wp_attr("struct")])
        self.structs.append(cls)
        self.params.append(ast.arg(pname, st.annotation()))
        self.args.append(ArgSpec(pname, "struct", sname, fields=tuple(specs)))
        self.ctx.feature("struct")
        return st, pname

    # ------------------------------------------------------------------ helpers
    def add_helper(self, struct_t: T.WType | None, ptypes: list[T.WType] | None = None, ret: T.WType | None = None) -> None:
        r = self.rng
        name = self.ctx.fresh(r.choice(_HELPER_NAMES))
        ptypes = ptypes or [self.value_type() for _ in range(r.randint(1, 3))]
        ret = ret or r.choice([t for t in ptypes if t.kind != "quat"] + [T.FLOAT])
        if ret.kind in ("transform",) or ret.kind == "bool":
            ret = T.FLOAT
        limit = self.policy.helper_arg_limit
        root = Scope()
        root.ctx = self.ctx
        root.arrays = []
        root.in_func = True
        args = []
        pnames = r.sample(["x", "y", "v", "a", "b", "s", "w", "h", "q0", "t0"], len(ptypes))
        for pn, pt in zip(pnames, ptypes):
            pn = self.ctx.fresh(pn)
            lim = min(limit, LIMIT[pt.dtype])
            root.add(Var(pn, pt, lim, mutable=False))
            args.append(ast.arg(pn, pt.annotation()))
        params = tuple(ptypes)
        if struct_t is not None and r.random() < self.policy.p_helper_struct_param:
            pn = self.ctx.fresh("prm")
            root.add(Var(pn, struct_t, 0.0, mutable=False))
            for fname, ft in struct_t.fields:
                root.add(Var(f"{pn}.{fname}", ft, 2.01 if not ft.is_int else 6.0, mutable=False,
                             node=ast.Attribute(name_load(pn), fname, ast.Load()), trip_bound=6 if ft == T.INT else 0))
            args.append(ast.arg(pn, struct_t.annotation()))
            params = params + (struct_t,)
        sb = StmtBuilder(self.ctx, self.p.stmts | {"atomic": 0.0}, self.config.max_expr_depth)
        body = sb.block(root, r.randint(1, 4))
        ret_mag = 0.0
        if r.random() < self.policy.p_helper_early_return:
            cond = sb.eb.cond(1, root)
            early = sb.eb.gen(ret, r.randint(1, 2), root)
            if not isinstance(cond, ast.Constant):  # an early return needs a condition that can differ
                ret_mag = early.mag
                body.append(ast.If(cond, [ast.Return(early.node)], []))
                self.ctx.feature("early_return")
        pnames = {a.arg for a in args}
        for _ in range(self.policy.trivial_retries):
            # a helper returns something computed from its parameters, not one of them unchanged
            final = sb.eb.gen(ret, r.randint(1, self.config.max_expr_depth), root)
            candidate = ast.FunctionDef(name, ast.arguments([], args, None, [], [], None, []), body + [ast.Return(final.node)],
                                        [], None, lineno=0)
            identity = returns_a_parameter(prune_function(candidate))
            if not identity and live_names(candidate.body, pnames) & pnames:
                break
        else:
            final = self._uses_a_parameter(sb.eb, root, ret, final, identity)
        ret_mag = max(ret_mag, final.mag)
        body.append(ast.Return(final.node))
        # a parameter the result does not depend on is dropped now, before any call is built (dropping
        # it later, at every call, can make two calls equal: ``f(x, a) < f(x, b)`` -> ``f(x) < f(x)``)
        live = live_names(body, {a.arg for a in args})
        keep = [k for k, a in enumerate(args) if a.arg in live]
        if keep:
            args, params = [args[k] for k in keep], tuple(params[k] for k in keep)
        fn = ast.FunctionDef(name, ast.arguments([], args, None, [], [], None, []), body, [wp_attr("func")],
                             ret.annotation(), lineno=0)
        self.helpers.append(fn)
        self.ctx.helpers.append(HelperSig(name, params, ret, ret_mag, limit))
        self.ctx.feature("func_call")

    # ------------------------------------------------------------------ body
    def _uses_a_parameter(self, eb: ExprBuilder, root: Scope, ret: T.WType, final: Expr, identity: bool) -> Expr:
        """``p + final`` (``p`` a parameter reduced to ``ret``: ``wp.length(v)``, a cast...), so the
        helper's result depends on its input; ``final`` becomes a literal if it was the parameter."""
        for v in root.vars:
            term = eb.summary(Expr(v.load(), v.type, v.mag), ret) if v.type.kind != "struct" else None
            if term is not None:
                other = eb.no_neutral_literal(eb.const(ret)) if identity else final  # ``w + 0`` returns ``w``
                return eb.squash(Expr(ast.BinOp(term.node, ast.Add(), other.node), ret, term.mag + other.mag))
        return final

    def dead_locals(self, root: Scope, body: list[ast.stmt]) -> list[Var]:
        """Top-level locals of ``body`` whose value reaches no output (``dataflow.live_names``), newest first;
        a local that only ever holds a literal (``key = wp.uint64(0)``) is left out: folding it into an
        output adds a constant, and the pruner removes it."""
        live = live_names(body, {a.arg for a in self.params})
        params = {a.arg for a in self.params}
        constant = _constant_locals(body)
        return [v for v in reversed(root.vars) if v.node is None and v.name not in params and v.name not in live
                and v.type.kind != "struct" and v.name not in constant]

    def sink(self, eb: ExprBuilder, e: Expr, dead: list[Var]) -> Expr:
        """``e`` plus up to ``policy.max_sink_terms`` of the ``dead`` locals (taken from the list),
        each reduced to ``e``'s type (``wp.length(v)``, a cast...); squashed to its limit. A literal
        ``e`` is replaced by the first term rather than added to."""
        total = e
        added = 0
        for v in list(dead):
            if added == self.policy.max_sink_terms or not (e.type.is_scalar or e.type.kind in ("vec", "mat", "svec")):
                break
            term = eb.summary(Expr(v.load(), v.type, v.mag, unit=v.unit), e.type)
            if term is None:
                continue
            dead.remove(v)
            if not has_var(total.node):  # ``0 + wp.length(v)``: the literal adds nothing an engineer would write
                total = eb.squash(term)
                added += 1
                continue
            node = ast.BinOp(total.node, ast.Add(), term.node)
            if trivial_reason(node):  # ``wp.exp(acc) - acc`` plus ``acc``
                continue
            self.ctx.use("add")
            total = eb.squash(Expr(node, e.type, total.mag + term.mag))
            added += 1
        return total


class ThreadKernelBuilder(ProgramBuilder):
    """A ``wp.launch`` kernel of one classic category (``Plan``).

    ``build`` runs these jobs in order, all drawing from the job's rng: the launch layout
    (``_layout``), the parameters (``_inputs``, ``_scalars_struct_seed``, ``_accumulators_outputs``,
    helpers), the prologue (``_prologue``: ``wp.tid()``, ``wp.rand_init``, preloaded inputs), the
    body statements, the reduction's final atomic (``_reduction``) and the output stores
    (``_stores``, with dead locals folded into the stored values).
    """

    def build(self) -> Built:
        r, p, ctx = self.rng, self.p, self.ctx
        root = self._layout()
        inputs = self._inputs(root)
        struct_t, seed_var = self._scalars_struct_seed(root)
        self._accumulators_outputs(root)
        n_helpers = min(r.randint(*p.helpers), self.config.max_helpers)
        for _ in range(n_helpers):
            self.add_helper(struct_t)
        sb = StmtBuilder(ctx, p.stmts, self.config.max_expr_depth)
        sb.atomic_targets = self.atomic_targets
        sb.atomic_ops = self.atomic_ops
        body = self._prologue(sb, root, inputs, seed_var)
        n_stmts = self.config.min_statements + int(r.expovariate(1.0 / self.policy.mean_body_statements))
        body += sb.block(root, min(n_stmts, self.config.max_statements))
        if p.reduction:
            body.append(self._reduction(sb, root))
        body += self._stores(sb, root, body)
        kname = ctx.fresh(f"{r.choice(_KERNEL_NAMES)}_{r.choice(_KERNEL_SUFFIX)}")
        kfn = ast.FunctionDef(kname, ast.arguments([], self.params, None, [], [], None, []), body, [wp_attr("kernel")], None, lineno=0)
        for part in p.parts:
            ctx.feature(part)
        ctx.features |= p.extra_features
        return Built(self.structs + self.helpers + [kfn], kname, tuple(self.args), self.shape, features=set(ctx.features))

    def _layout(self) -> Scope:
        """Launch shape (1-3 dims) and thread-index names; the kernel's root scope with one
        ``IndexVar`` per launch axis."""
        r, ctx = self.rng, self.ctx
        self.ndim = ndim = r.choice(self.p.ndims)
        if ndim == 1:
            shape: tuple[int, ...] = (r.choice([16, 32, 50, 64, 100, 128, 256]),)
            tids = [r.choice(["i", "tid", "idx"])]
        elif ndim == 2:
            shape = (r.randint(3, 16), r.randint(3, 16))
            tids = r.choice([["i", "j"], ["x", "y"], ["row", "col"]])
        else:
            shape = (r.randint(2, 6), r.randint(2, 6), r.randint(2, 6))
            tids = r.choice([["i", "j", "k"], ["x", "y", "z"]])
        self.shape = shape
        self.tids = [ctx.fresh(t) for t in tids]
        ctx.feature(f"launch{ndim}d")
        root = Scope()
        root.ctx = ctx
        for name, n in zip(self.tids, shape):
            root.index_vars.append(IndexVar(name, 0, n - 1, axis=len(root.index_vars)))
        return root

    def _inputs(self, root: Scope) -> list[ArrayRef]:
        """Input arrays of the launch shape (maybe one with a channel axis), a small table and a
        gather index array if the plan asks for them."""
        r, p, ctx, shape = self.rng, self.p, self.ctx, self.shape
        inputs = [self.add_array(root, _IN_NAMES, self.value_type(), shape, "in") for _ in range(r.randint(1, 3))]
        if r.random() < self.policy.p_channel_axis:
            # one more array with a trailing channel axis (a 4-D array under a 3-D launch)
            extra = (r.randint(2, 4),)
            inputs.append(self.add_array(root, ["chan", "feat", "basis", "lanes"], self.value_type(allow_int=False), shape + extra, "in"))
            ctx.feature("channel_axis")
        table = None
        if p.table or (r.random() < self.policy.p_table_array):
            L = r.randint(3, 12)
            table = self.add_array(root, _TABLE_NAMES, self.value_type(allow_int=False), (L,), "in")
        if p.gather:
            target = table or (inputs[0] if self.ndim == 1 else None)
            if target is not None:
                size = target.shape[0]
                g = self.add_array(root, ["idx", "perm", "indices", "nbr"], T.INT, shape, "in", low=0, high=size - 1, readable=False)
                ctx.gathers.append((g, size))
        return inputs

    def _scalars_struct_seed(self, root: Scope) -> tuple[T.WType | None, str | None]:
        """Scalar (or vec3) parameters, the plan's struct parameter and RNG seed parameter;
        returns (struct type or None, seed parameter name or None)."""
        r, p, ctx = self.rng, self.p, self.ctx
        n_scalar = r.randint(*p.scalar_params)
        for _ in range(n_scalar):
            t = r.choice([T.FLOAT, T.FLOAT, T.INT] + [t for t in ctx.types if t.is_scalar and t.is_float])
            if r.random() < self.policy.p_vec_param and T.vec(3) in ctx.types:
                t = T.vec(3)
            self.add_scalar(root, t)
        if n_scalar:
            ctx.feature("scalar_param")
        struct_t = None
        if p.struct:
            struct_t, _ = self.add_struct(root)
        seed_var = None
        if p.random:
            seed_var = self.ctx.fresh("seed")
            self.params.append(ast.arg(seed_var, T.INT.annotation()))
            self.args.append(ArgSpec(seed_var, "scalar", "int32", value=r.randint(0, 10_000)))
        return struct_t, seed_var

    def _accumulators_outputs(self, root: Scope) -> None:
        """Write-only atomic accumulators (each with its one commuting op kind) and output arrays."""
        r, p, ctx = self.rng, self.p, self.ctx
        if p.atomics:
            for _ in range(r.randint(1, 2)):
                elem = T.INT if (T.INT in ctx.types and r.random() < self.policy.p_atomic_int and not p.reduction) else T.FLOAT
                m = 1 if p.reduction and r.random() < self.policy.p_reduction_single_bin else r.randint(1, 8)
                acc = self.add_array(root, _ACC_NAMES, elem, (m,), "inout", low=0.0 if elem.is_float else 0,
                                     high=0.0 if elem.is_float else 0, readable=False)
                self.atomic_targets.append(acc)
                self.atomic_ops[acc.name] = atomic_ops_for_array(r, elem.is_int)
        w_out = self.policy.table("w_outputs")
        n_out = int(r.choices(list(w_out), list(w_out.values()))[0])
        for _ in range(n_out):
            self.outputs.append(self.add_array(root, _OUT_NAMES, self.value_type(), self.shape, "out", low=0.0, high=0.0, readable=False))

    def _prologue(self, sb: StmtBuilder, root: Scope, inputs: list[ArrayRef], seed_var: str | None) -> list[ast.stmt]:
        """``i = wp.tid()``, ``state = wp.rand_init(seed, flat_index)`` and some inputs preloaded into locals."""
        r, ctx, tids = self.rng, self.ctx, self.tids
        body: list[ast.stmt] = []
        tid_target: ast.expr = ast.Name(tids[0], ast.Store()) if self.ndim == 1 else ast.Tuple([ast.Name(t, ast.Store()) for t in tids], ast.Store())
        body.append(ast.Assign([tid_target], ast.Call(wp_attr("tid"), [], []), lineno=0))
        ctx.use("tid")
        if seed_var is not None:
            st = ctx.fresh(r.choice(["state", "rng", "rstate"]))
            flat: ast.expr = name_load(tids[0])
            for t, n in zip(tids[1:], self.shape[1:]):
                flat = ast.BinOp(ast.BinOp(flat, ast.Mult(), ast.Constant(n)), ast.Add(), name_load(t))
            body.append(ast.Assign([ast.Name(st, ast.Store())], ast.Call(wp_attr("rand_init"), [name_load(seed_var), flat], []), lineno=0))
            ctx.use("rand_init")
            ctx.rand_state = st
            ctx.feature("random")
        for a in inputs:  # preload some inputs into locals, as real kernels do
            if r.random() < self.policy.p_preload_input:
                stmt, _ = sb.new_var(root, a.type.elem, root.read(a))
                body.append(stmt)
        return body

    def _reduction(self, sb: StmtBuilder, root: Scope) -> ast.stmt:
        """The reduction category's final atomic into its first accumulator."""
        r, ctx = self.rng, self.ctx
        acc = self.atomic_targets[0]
        e = sb.atomic_value(sb.eb.gen(acc.type.elem, r.randint(1, 2), root))
        idx = [root.index_for(s, acc.name, d)[0] for d, s in enumerate(acc.shape)]
        op = "atomic_" + self.atomic_ops[acc.name][0]  # the array's one commuting kind: no mixed atomics
        ctx.use(op)
        ctx.feature("reduction")
        ctx.feature("atomic")
        return ast.Expr(ast.Call(wp_attr(op), [name_load(acc.name)] + idx + [e.node], []))

    def _stores(self, sb: StmtBuilder, root: Scope, body: list[ast.stmt]) -> list[ast.stmt]:
        """``out[i] = value`` per output; locals whose value would reach no output are folded in."""
        r = self.rng
        values = []
        for out in self.outputs:
            e = sb.eb.gen(out.type.elem, r.randint(1, self.config.max_expr_depth), root)
            if not has_var(e.node):
                e = sb.eb.squash(sb.eb.leaf(out.type.elem, root))
            values.append(e)
        idx = [name_load(t) for t in self.tids]
        index = idx[0] if self.ndim == 1 else ast.Tuple(idx, ast.Load())
        stores = lambda: [ast.Assign([ast.Subscript(name_load(o.name), index, ast.Store())], e.node, lineno=0)  # noqa: E731
                          for o, e in zip(self.outputs, values)]
        dead = self.dead_locals(root, body + stores())
        for k in range(len(values)):  # what would not reach an output goes into one
            values[k] = self.sink(sb.eb, values[k], dead)
        self.ctx.use("array_store")
        return stores()

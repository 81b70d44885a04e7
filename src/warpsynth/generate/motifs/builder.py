"""Per-program state of a motif: names, parameters with their launch specs, module-level
definitions (constants, structs, helpers, overloads), style choices, and the final
:class:`KernelProgram`.

A motif module calls ``MotifBuilder`` methods to declare what the kernel takes
(``array``, ``scalar``, ``host`` ...; each returns the parameter as an ``X``) and
then hands the kernel body to ``finish``.  All randomness comes from the
builder's ``random.Random``; style probabilities come from ``MotifPolicy``.
"""

from __future__ import annotations

import ast
import random
from dataclasses import dataclass
from typing import Callable, Sequence

from warpsynth import _warp
from warpsynth.generate.liveness import carried_out_of_dynamic_loops
from warpsynth.generate.motifs.kit import X, assign, func, lift, name, render, ret, struct, wp
from warpsynth.generate.policy import MotifPolicy
from warpsynth.generate.program import ArgSpec, KernelProgram
from warpsynth.generate.usage import builtins_used

#: builtins that only index, cast or shape control flow: no effect on differentiability
_STRUCTURAL = frozenset({"tid", "range", "int", "int32", "uint32", "min", "max", "clamp", "extract", "lower_bound",
                         "hash_grid_query", "hash_grid_query_next", "hash_grid_point_id", "bvh_query_aabb",
                         "bvh_query_ray", "bvh_query_next", "rand_init", "static", "len", "volume_world_to_index",
                         "volume_index_to_world", "mesh_query_point", "mesh_query_ray", "mesh_eval_position"})


def _simple(v: X) -> bool:
    """A name, attribute or subscript of names/constants: cheap and clear to write twice."""
    return all(isinstance(n, (ast.Name, ast.Attribute, ast.Subscript, ast.Constant, ast.Tuple, ast.Load))
               for n in ast.walk(v.node))


@dataclass(frozen=True)
class Prec:
    """Floating-point precision of a program and how its scalar type is spelled."""

    f64: bool
    wp_scalar: bool

    @property
    def dtype(self) -> str:
        return "float64" if self.f64 else "float32"

    def scalar(self) -> X:
        """``wp.float64``, ``wp.float32`` or ``float``."""
        return wp.float64 if self.f64 else (wp.float32 if self.wp_scalar else name("float"))

    def vec(self, n: int = 3) -> X:
        return getattr(wp, f"vec{n}d" if self.f64 else f"vec{n}")

    def vec_dtype(self, n: int = 3) -> str:
        return f"vec{n}d" if self.f64 else f"vec{n}"

    def mat(self, n: int = 3) -> X:
        return getattr(wp, f"mat{n}{n}d" if self.f64 else f"mat{n}{n}")

    def mat_dtype(self, n: int = 3) -> str:
        return f"mat{n}{n}d" if self.f64 else f"mat{n}{n}"

    def quat(self) -> X:
        return wp.quatd if self.f64 else wp.quat

    def quat_dtype(self) -> str:
        return "quatd" if self.f64 else "quat"

    def transform(self) -> X:
        return wp.transformd if self.f64 else wp.transform

    def transform_dtype(self) -> str:
        return "transformd" if self.f64 else "transform"

    def lit(self, v: float) -> X:
        """A float literal of this precision (``0.5`` or ``wp.float64(0.5)``)."""
        return wp.float64(float(v)) if self.f64 else lift(float(v))

    def cast(self, e: X) -> X:
        """Convert an int/other-precision scalar: ``float(e)`` or ``wp.float64(e)``."""
        return wp.float64(e) if self.f64 else name("float")(e)


def _indexed_by(body: list[ast.stmt], ids: list[str]) -> set[str]:
    """Arrays ``body`` indexes with the thread ids as leading indices (``a[i]``, ``a[i, j]``, ``a[i, j, 0]``)."""
    out = set()
    for n in ast.walk(ast.Module(body, [])):
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name):
            idx = n.slice.elts if isinstance(n.slice, ast.Tuple) else [n.slice]
            if [getattr(e, "id", None) for e in idx[: len(ids)]] == ids:
                out.add(n.value.id)
    return out


class MotifBuilder:
    """Collects one program; see the module docstring."""

    def __init__(self, seed: int, rng: random.Random, policy: MotifPolicy, family: str, config_hash: str):
        self.seed, self.rng, self.policy, self.family, self.config_hash = seed, rng, policy, family, config_hash
        self.prec = Prec(f64=self.chance("float64"), wp_scalar=self.chance("wp_scalar_annotation"))
        self.subscript = self.chance("subscript_annotation")
        self.use_settings = self.chance("settings_struct")
        self.nest_settings = self.chance("nested_struct")
        self.taken: set[str] = {"wp", "float", "int", "range", "len", "min", "max", "abs", "Any"}
        self.params: list[tuple[str, X]] = []
        self.args: list[ArgSpec] = []
        self.imports: list[ast.stmt] = []
        self.consts: list[ast.stmt] = []
        self.structs: list[ast.stmt] = []
        self.defs: list[ast.stmt] = []
        self.tail: list[ast.stmt] = []
        self.category = f"motif_{family}"
        self.features: set[str] = {"motif", self.category, "array_subscript_annotation" if self.subscript else "array_call_annotation"}
        if self.prec.f64:
            self.features.add("float64")
        self.differentiable = True
        self.cooperative = False  # every thread of a block takes part in a tile op (wp.tile): no bounds guard
        #: generic kernel: float-typed parameters annotated ``Any``, concrete types in ``wp.overload``
        self.generic_mode = False
        self.overload: dict[str, X] = {}
        self._settings: dict[str | None, list[tuple[str, str, float]]] = {}
        self._settings_slot: tuple[int, str, str] | None = None  # (param index, name, struct name)
        self._group_struct: dict[str, str] = {}
        self._envs: int | None = None
        self._eps: X | bool | None = None

    # ---------------------------------------------------------------- choices
    def chance(self, field: str) -> bool:
        """True with the policy's probability ``field``."""
        return self.rng.random() < getattr(self.policy, field)

    def variant(self) -> str:
        """A variant of this family, drawn with the policy's weights."""
        table = self.policy.variants[self.family]
        keys = list(table)
        return self.rng.choices(keys, [float(table[k]) for k in keys])[0]

    def let(self, base: str, value: X, body: list[ast.stmt]) -> X:
        """A single-use temporary: bound to a fresh local (appended to ``body``) or, with the
        policy's ``inline_temp`` probability, written inline where it is used."""
        if self.chance("inline_temp"):
            return value
        n = self.fresh(base)
        body.append(assign(n, value))
        return name(n)

    def maybe_func(self, names: Sequence[str], params: Sequence[tuple[str, X, X]], body: Callable[..., X],
                   returns: X) -> X:
        """``body(*arguments)`` written inline or, with the policy's ``helper_func`` probability,
        extracted into a ``@wp.func`` (``params``: (parameter name, annotation, argument)) and called."""
        args = [a for _, _, a in params]
        if not self.chance("helper_func"):
            return body(*args)
        fname = self.fresh(self.pick(names))
        self.func(fname, [(n, ann) for n, ann, _ in params], [ret(body(*[name(n) for n, _, _ in params]))], returns,
                  reuse_name=fname)
        return name(fname)(*args)

    def store(self, arr: X, index, value: X, body: list[ast.stmt]) -> None:
        """``arr[index] = value``, with the epilogues solvers commonly add (each with its policy
        probability in ``epilogue``): under-relaxation against the previous value, clamping a
        scalar to a range, scaling by a gain, and accumulating a norm into a one-element
        statistic array with ``wp.atomic_add``.  Float element types only; others are stored as is."""
        spec = next(a for a in self.args if a.name == arr.text())
        p, dtype = self.prec, spec.dtype
        plain = isinstance(value.node, ast.Name)
        if self.chance("bind_output") and not plain:  # compute into a named local first, then store it
            local = self.fresh(self.pick(["result", "value", "res", "out_val"]))
            body.append(assign(local, value))
            value = name(local)
        floating = dtype in (p.dtype, p.vec_dtype(2), p.vec_dtype(3), p.vec_dtype(4))
        if not floating or self.generic_mode:
            body.append(assign(arr[index], value))
            return
        odds = self.policy.epilogue
        scalar = dtype == p.dtype
        if self.rng.random() < odds["relax"]:
            prev = self.array(self.pick(["prev", "old_value", "last_iterate"]), dtype, self._ann(dtype), spec.shape)
            omega = self.scalar(self.pick(["omega", "relax", "blend"]), self.pick([0.5, 0.7, 0.9]))
            value = prev[index] + (value - prev[index]) * omega
            self.features.add("relaxation")
        if scalar and self.rng.random() < odds["clamp"]:
            lo = self.scalar(self.pick(["lo", "min_value"]), self.pick([-1.0, 0.0]))
            hi = self.scalar(self.pick(["hi", "max_value"]), self.pick([1.0, 10.0]))
            value = wp.clamp(value, lo, hi)
        elif self.rng.random() < odds["gain"]:
            value = value * self.scalar(self.pick(["gain", "scale"]), self.pick([0.5, 2.0]))
        if self.rng.random() < odds["stat"]:
            v = value
            if not isinstance(value.node, ast.Name):  # used twice: bound to a local
                n = self.fresh(self.pick(["val", "res", "out_val"]))
                body.append(assign(n, value))
                v = name(n)
            stat = self.array(self.pick(["norm_sq", "sum_sq", "l2_sq"]), p.dtype, p.scalar(), (1,), role="out")
            body += [assign(arr[index], v), ast.Expr(wp.atomic_add(stat, 0, v * v if scalar else self.length_sq(v)).node)]
            self.features.add("atomic")
            return
        body.append(assign(arr[index], value))

    def _ann(self, dtype: str) -> X:
        p = self.prec
        for n in (2, 3, 4):
            if dtype == p.vec_dtype(n):
                return p.vec(n)
        return p.scalar()

    def length(self, v: X) -> X:
        """A vector's length, spelled as engineers do (policy ``spelling["length"]`` weights):
        ``wp.length(v)``, ``wp.sqrt(wp.dot(v, v))`` or ``wp.norm_l2(v)``; the forms that repeat ``v``
        only when ``v`` is a name, a component or an element (not a computed expression)."""
        form = self._spell("length")
        if form == "sqrt_dot" and not _simple(v):
            form = "length"
        return {"length": lambda: wp.length(v), "sqrt_dot": lambda: wp.sqrt(wp.dot(v, v)),
                "norm_l2": lambda: wp.norm_l2(v)}[form]()

    def length_sq(self, v: X) -> X:
        """``wp.dot(v, v)`` or ``wp.length_sq(v)`` (policy ``spelling["length_sq"]``; ``dot`` only for a simple ``v``)."""
        return wp.dot(v, v) if self._spell("length_sq") == "dot" and _simple(v) else wp.length_sq(v)

    def eps(self, value: float = 1.0e-6) -> X:
        """A small tolerance: a literal, or (policy ``module_constant``) one ``EPS`` module constant."""
        if self._eps is None:
            self._eps = self.constant("EPS", self.prec.lit(value) if self.prec.f64 else value) \
                if self.chance("module_constant") else False
        return self._eps if self._eps is not False else self.prec.lit(value)

    def zero(self, ctor: X) -> X:
        """A zero vector spelled ``wp.vec3()``, ``wp.vec3(0.0)`` or ``wp.vec3(0.0, 0.0, 0.0)``
        (policy ``spelling["zero"]``); ``ctor`` is the vector type (3 components assumed for "full")."""
        form = self._spell("zero")
        if form == "empty":
            return ctor()
        zero = self.prec.lit(0.0) if self.prec.f64 and ctor.text().endswith("d") else 0.0
        if form == "scalar":
            return ctor(zero)
        n = int(ctor.text().rstrip("d")[-1]) if ctor.text().rstrip("d")[-1].isdigit() else 3
        return ctor(*([zero] * n))

    def _spell(self, what: str) -> str:
        table = self.policy.spelling[what]
        keys = list(table)
        return self.rng.choices(keys, [float(table[k]) for k in keys])[0]

    def batched(self, n: int) -> tuple[int, ...]:
        """Per-element shape: ``(n,)``, or ``(envs, n)`` when the program runs a batch of environments
        (decided once per program with the policy's ``batched`` probability)."""
        if self._envs is None:
            self._envs = self.pick([2, 4, 8]) if self.chance("batched") else 0
            if self._envs:
                self.features.add("batched_envs")
        return (self._envs, n) if self._envs else (n,)

    def force_f32(self) -> None:
        """Single precision for motifs whose Warp builtins take only ``float32`` (queries)."""
        self.prec = Prec(f64=False, wp_scalar=self.prec.wp_scalar)
        self.features.discard("float64")

    def pick(self, options: Sequence):
        return self.rng.choice(list(options))

    def fresh(self, base: str) -> str:
        """``base`` or, when taken, ``base1``, ``base2`` ... as engineers number them (``p1``, ``n1``;
        ``x0_1`` after a base ending in a digit), unused so far."""
        n, k = base, 0
        sep = "_" if base[-1].isdigit() else ""
        while n in self.taken:
            k += 1
            n = f"{base}{sep}{k}"
        self.taken.add(n)
        return n

    # ---------------------------------------------------------------- parameters
    def arr_ann(self, dtype: X, ndim: int = 1) -> X:
        """``wp.array(dtype=T)`` / ``wp.array2d(dtype=T)`` or ``wp.array[T]`` / ``wp.array2d[T]``."""
        base = wp.array if ndim == 1 else getattr(wp, f"array{ndim}d")
        return base[dtype] if self.subscript else base(dtype=dtype)

    def _param(self, base: str, ann: X, spec: ArgSpec) -> X:
        self.params.append((spec.name, ann))
        self.args.append(spec)
        return name(spec.name)

    def _is_float_type(self, dtype: str) -> bool:
        p = self.prec
        return dtype in {p.dtype, p.vec_dtype(2), p.vec_dtype(3), p.vec_dtype(4), p.mat_dtype(2), p.mat_dtype(3),
                         p.mat_dtype(4), p.quat_dtype(), p.transform_dtype()}

    def make_generic(self) -> None:
        """From now on float-typed array/scalar parameters are ``Any``; ``finish`` adds the ``wp.overload``."""
        self.generic_mode = True
        self.generic()

    def array(self, base: str, dtype: str, ann: X, shape: tuple[int, ...], role: str = "in", low: float = -1.0,
              high: float = 1.0, fields: tuple[ArgSpec, ...] = (), pairs: bool = False) -> X:
        """A ``wp.array`` parameter of element ``dtype`` (spec name, ``ann`` its annotation); outputs start at 0.
        ``pairs``: index pairs whose ends differ (``ArgSpec.pairs``)."""
        n = self.fresh(base)
        if role == "out":
            low = high = 0
        param_ann = self.arr_ann(ann, len(shape))
        if self.generic_mode and self._is_float_type(dtype):
            param_ann = self.arr_ann(name("Any"), len(shape))
            concrete = ann if ann.text() != "float" else wp.float32
            base_t = wp.array if len(shape) == 1 else getattr(wp, f"array{len(shape)}d")
            self.overload[n] = base_t(dtype=concrete)
        return self._param(n, param_ann, ArgSpec(n, "array", dtype, tuple(shape), low=low, high=high, role=role,
                                                 fields=fields, pairs=pairs))

    def scalar(self, base: str, value: float, dtype: str | None = None, ann: X | None = None) -> X:
        """A scalar parameter passed as ``value`` (default: the program's float precision)."""
        n = self.fresh(base)
        dtype = dtype or self.prec.dtype
        ann = ann if ann is not None else (self.prec.scalar() if dtype == self.prec.dtype else getattr(wp, dtype))
        value = int(value) if dtype.startswith(("int", "uint")) else float(f"{value:.4g}")
        if self.generic_mode and self._is_float_type(dtype):
            self.overload[n] = ann if ann.text() != "float" else wp.float32
            ann = name("Any")
        return self._param(n, ann, ArgSpec(n, "scalar", dtype, value=value))

    def setting(self, fname: str, value: float, group: str | None = None) -> X:
        """A float setting read from the kernel's parameter struct (``params.fname``, or
        ``params.group.fname`` in a nested struct); the struct is declared by ``finish``."""
        if self._settings_slot is None:
            pname = self.fresh(self.pick(["params", "sim", "settings", "cfg"]))
            sname = self.fresh(self.pick(["SimParams", "ModelParams", "Settings"]))
            self._settings_slot = (len(self.params), pname, sname)
            self.params.append((pname, name(sname)))
            self.args.append(ArgSpec(pname, "struct", sname))
        fname = self.fresh(fname) if any(f == fname for g in self._settings.values() for f, _, _ in g) else fname
        self._settings.setdefault(group, []).append((fname, self.prec.dtype, float(f"{value:.4g}")))
        obj = name(self._settings_slot[1])
        if group is not None:
            if group not in self._group_struct:
                self._group_struct[group] = self.fresh(group.title().replace("_", "") + "Params")
                self.features.add("nested_struct")
            obj = obj.dot(group)
        return obj.dot(fname)

    def _bounds_guard(self, body: list[ast.stmt], launch_dim: tuple[int, ...], tiled: bool) -> None:
        """Optionally guard the thread indices right after ``wp.tid()`` (launches are often padded in
        real code): ``if tid >= n: return`` or the rest of the body inside ``if tid < n:`` (policy
        ``guard_form``), against element-count parameters, an array's ``shape`` or, in 1-D, ``len(a)``
        (policy ``guard_limit``); for 2-D/3-D launches every index is tested (``i >= nx or j >= ny``)."""
        first = body[0] if body else None
        if tiled or self.cooperative or not (isinstance(first, ast.Assign) and ast.unparse(first.value) == "wp.tid()"):
            return
        target = first.targets[0]
        ids = [target.id] if isinstance(target, ast.Name) else [e.id for e in target.elts]
        if len(ids) != len(launch_dim) or not self.chance("bounds_guard"):
            return
        indexed = _indexed_by(body, ids)  # a limit from an array the threads index, not one that merely has the same size
        arrays = [a for a in self.args if a.kind == "array" and tuple(a.shape[: len(ids)]) == tuple(launch_dim) and not a.fields
                  and len(a.shape) >= len(ids) and a.name in indexed]
        style = self._weighted(self.policy.guard_limit if arrays else {"param": 1.0})
        if style == "len" and len(ids) > 1:
            style = "shape"
        if style == "param":
            stems = [["n", "num_points", "num_elements"], ["nx", "width", "rows"], ["ny", "height", "cols"], ["nz", "depth"]]
            limits = [self.int_param(self.pick(stems[0] if len(ids) == 1 else stems[k + 1]), launch_dim[k]) for k in range(len(ids))]
        elif style == "len":
            limits = [name("len")(name(arrays[0].name))]
        else:
            limits = [name(arrays[0].name).dot("shape")[k] for k in range(len(ids))]
        wrap = self._weighted(self.policy.guard_form) == "wrap"
        tests = [(name(i).lt(lim) if wrap else name(i).ge(lim)) for i, lim in zip(ids, limits)]
        cond = tests[0]
        for t in tests[1:]:
            cond = cond.and_(t) if wrap else cond.or_(t)
        if wrap:
            body[1:] = [ast.If(cond.node, body[1:], [])]
        else:
            body.insert(1, ast.If(cond.node, [ret()], []))
        self.features.add("bounds_guard")

    def _tile_style(self, body: list[ast.stmt]) -> None:
        """Spellings tile code uses (policy ``tile_lane_tid`` / ``tile_positional_shape``): unpack the
        block's lane as ``i, _ = wp.tid()``, and pass ``wp.tile_load``'s shape positionally
        (``wp.tile_load(x, TILE, offset=...)``)."""
        first = body[0] if body else None
        if isinstance(first, ast.Assign) and ast.unparse(first.value) == "wp.tid()" and self.chance("tile_lane_tid"):
            target = first.targets[0]
            names = [target.id] if isinstance(target, ast.Name) else [e.id for e in target.elts]
            first.targets = [ast.Tuple([ast.Name(n, ast.Store()) for n in names + ["_"]], ast.Store())]
        if not self.chance("tile_positional_shape"):
            return
        for node in ast.walk(ast.Module(body, [])):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "wp.tile_load" and len(node.args) == 1:
                shape = [k for k in node.keywords if k.arg == "shape"]
                if shape:
                    node.args.append(shape[0].value)
                    node.keywords = [k for k in node.keywords if k.arg != "shape"]

    def _weighted(self, table: dict) -> str:
        keys = list(table)
        return self.rng.choices(keys, [float(table[k]) for k in keys])[0]

    def pick_weighted(self, table: dict) -> str:
        """A key of ``table`` (a policy weight table ``{choice: weight}``) drawn by weight."""
        return self._weighted(table)

    def _declare_settings(self) -> None:
        if self._settings_slot is None:
            return
        index, pname, sname = self._settings_slot
        specs: list[ArgSpec] = []
        fields: list[tuple[str, X]] = []
        for group, items in self._settings.items():
            if group is None:
                continue
            sub = self._group_struct[group]
            self.struct_def(sub, [(f, self.prec.scalar()) for f, _, _ in items])
            fields.append((group, name(sub)))
            specs.append(ArgSpec(group, "struct", sub, fields=tuple(ArgSpec(f, "scalar", d, value=v) for f, d, v in items)))
        for f, d, v in self._settings.get(None, []):
            fields.insert(0, (f, self.prec.scalar()))
            specs.insert(0, ArgSpec(f, "scalar", d, value=v))
        self.struct_def(sname, fields)
        self.args[index] = ArgSpec(pname, "struct", sname, fields=tuple(specs))

    def int_param(self, base: str, value: int) -> X:
        return self.scalar(base, value, "int32", name("int"))

    def value(self, base: str, dtype: str, ann: X, low: float, high: float) -> X:
        """A vector/matrix parameter drawn per component from [low, high]."""
        n = self.fresh(base)
        return self._param(n, ann, ArgSpec(n, "value", dtype, low=low, high=high))

    def host(self, base: str, kind: str, shape: tuple[int, ...], value: float | None = None, low: float = 0.0,
             high: float = 1.0, refs: tuple[str, ...] = ()) -> X:
        """A ``wp.uint64`` id of a host object (``mesh``, ``bvh``, ``hashgrid``, ``volume``; see generate.launch)."""
        n = self.fresh(base)
        fields = tuple(ArgSpec(r, "ref", "") for r in refs)
        self.features.add(kind)
        return self._param(n, wp.uint64, ArgSpec(n, kind, "uint64", tuple(shape), low=low, high=high, value=value,
                                                 fields=fields))

    # ---------------------------------------------------------------- module level
    def constant(self, base: str, value: X) -> X:
        """A module constant ``BASE = wp.constant(value)``."""
        n = self.fresh(base)
        self.consts.append(assign(n, wp.constant(value)))
        self.features.add("wp_constant")
        return name(n)

    def struct(self, base: str, fields: Sequence[tuple[str, X]]) -> str:
        n = self.fresh(base)
        self.struct_def(n, fields)
        return n

    def struct_def(self, sname: str, fields: Sequence[tuple[str, X]]) -> None:
        """``@wp.struct class sname`` placed before every helper and the kernel."""
        self.structs.append(struct(sname, fields))
        self.features.add("struct")

    def helper(self, fn: ast.FunctionDef) -> None:
        self.defs.append(fn)
        self.features.add("func_call")

    def func(self, base: str, params: Sequence[tuple[str, X]], body: list[ast.stmt], returns: X | None = None,
             decorators: Sequence[X] | None = None, reuse_name: str | None = None) -> str:
        """Define a ``@wp.func`` helper; ``reuse_name`` adds an overload of an existing one."""
        n = reuse_name or self.fresh(base)
        self.helper(func(n, params, body, decorators or [wp.func], returns))
        return n

    def generic(self) -> None:
        """Mark the program as using ``typing.Any`` (adds the import once)."""
        if "generic" not in self.features:
            self.imports.append(ast.ImportFrom("typing", [ast.alias("Any")], 0))
            self.features.add("generic")

    # ---------------------------------------------------------------- kernel
    def finish(self, kname: str, body: list[ast.stmt], launch_dim: tuple[int, ...], tiled: bool = False,
               block_dim: int | None = None, overload: dict[str, X] | None = None) -> KernelProgram:
        """Render the module and return its program; ``overload`` registers ``wp.overload(kernel, {...})``.
        A kernel name an argument already has becomes ``<name>_kernel``, as Warp code names them."""
        if kname in self.taken and f"{kname}_kernel" not in self.taken:
            kname = f"{kname}_kernel"
        kname = self.fresh(kname)
        self._bounds_guard(body, launch_dim, tiled)
        if tiled:
            self._tile_style(body)
        self._declare_settings()
        if self.generic_mode:
            overload = self.overload
        # outputs last, as kernels are usually written; inputs in declaration order, arrays first
        # or scalars first (the policy's ``param_order`` weights)
        styles = list(self.policy.param_order)
        style = self.rng.choices(styles, [float(self.policy.param_order[k]) for k in styles])[0]
        rank = {"declared": lambda a: 0, "arrays_first": lambda a: a.kind != "array",
                "scalars_first": lambda a: a.kind == "array"}[style]
        order = sorted(range(len(self.args)), key=lambda k: (self.args[k].role == "out", rank(self.args[k])))
        self.params = [self.params[k] for k in order]
        self.args = [self.args[k] for k in order]
        kdef = func(kname, self.params, body, [wp.kernel])
        tail = []
        if overload is not None:
            self.generic()
            table = ast.Dict([ast.Constant(k) for k in overload], [v.node for v in overload.values()])
            tail.append(ast.Expr(wp.overload(kname).node))
            tail[-1].value.args.append(table)
            self.features.add("kernel_overload")
        stmts = [ast.Import([ast.alias("warp", "wp")])] + self.imports + self.consts + self.structs + self.defs + [kdef] + tail
        source = render(stmts)
        # the wp.overload table spells types as wp.array(dtype=...): not builtin uses
        builtins = tuple(sorted(builtins_used(ast.Module(stmts[: len(stmts) - len(tail)], []))))
        nondiff = [b for b in builtins if b not in _STRUCTURAL and not _warp.is_differentiable_builtin(b)]
        carried = [c for d in self.defs + [kdef] if isinstance(d, ast.FunctionDef) for c in carried_out_of_dynamic_loops(d)]
        differentiable = self.differentiable and not nondiff and not carried
        extra = {"nondifferentiable_builtins": nondiff} if nondiff else {}
        if not self.differentiable:
            extra["nondifferentiable"] = "motif"
        elif carried:  # Warp 1.19's adjoint of a value carried out of a dynamic loop (liveness)
            extra["nondifferentiable"] = "dynamic_loop_carry"
        return KernelProgram(seed=self.seed, source=source, kernel_name=kname, category=self.category,
                             features=tuple(sorted(self.features)), args=tuple(self.args), launch_dim=tuple(launch_dim),
                             config_hash=self.config_hash, builtins=builtins, tiled=tiled, block_dim=block_dim,
                             differentiable=differentiable, extra=extra)

"""Pieces several motifs share: particle state (SoA arrays or an array of structs), the
``wp.tid()`` line, module constants for physical parameters, an active-flag early return,
and the ``safe_norm`` helper with its custom ``@wp.func_grad``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from warpsynth.generate.motifs.builder import MotifBuilder
from warpsynth.generate.motifs.kit import X, aug, assign, expr, func, if_, name, ret, wp
from warpsynth.generate.program import ArgSpec


@dataclass
class Particles:
    """Per-particle reads: ``pos``/``vel``/``inv_mass`` are expressions valid after ``loads``."""

    pos: X
    vel: X
    inv_mass: X
    loads: list[ast.stmt]


def tid(b: MotifBuilder, names: tuple[str, ...] = ("tid",)) -> tuple[ast.stmt, tuple[X, ...]]:
    """``tid = wp.tid()`` or ``i, j = wp.tid()``; returns the statement and the index names."""
    picked = tuple(b.fresh(n) for n in names)
    target = picked[0] if len(picked) == 1 else list(picked)
    return assign(target, wp.tid()), tuple(name(n) for n in picked)


def particles(b: MotifBuilder, n: int | tuple[int, ...], t: X, with_vel: bool = True, with_inv_mass: bool = True) -> Particles:
    """Declare particle state: SoA ``pos``/``vel``/``inv_mass`` arrays or one ``wp.array(dtype=Particle)``."""
    p = b.prec
    n = (n,) if isinstance(n, int) else n
    if b.chance("struct_state"):
        fields = [("pos", p.vec()), ("vel", p.vec()), ("inv_mass", p.scalar())]
        specs = (ArgSpec("pos", "field", p.vec_dtype(), low=-1.0, high=1.0),
                 ArgSpec("vel", "field", p.vec_dtype(), low=-0.5, high=0.5),
                 ArgSpec("inv_mass", "field", p.dtype, low=0.5, high=2.0))
        sname = b.struct(b.pick(["Particle", "ParticleState", "Body"]), fields)
        arr = b.array(b.pick(["particles", "state", "bodies"]), sname, name(sname), n, fields=specs)
        local = b.fresh("p")
        b.features.add("struct_array")
        return Particles(name(local).dot("pos"), name(local).dot("vel"), name(local).dot("inv_mass"), [assign(local, arr[t])])
    pos = b.array(b.pick(["x", "pos", "positions", "particle_q"]), p.vec_dtype(), p.vec(), n, low=-1.0, high=1.0)
    vel = b.array(b.pick(["v", "vel", "velocities", "particle_qd"]), p.vec_dtype(), p.vec(), n, low=-0.5, high=0.5) if with_vel else None
    x0 = b.fresh("x0")
    loads = [assign(x0, pos[t])]
    w = "_"
    if with_inv_mass:
        inv = b.array(b.pick(["inv_mass", "particle_inv_mass", "w"]), p.dtype, p.scalar(), n, low=0.5, high=2.0)
        w = b.fresh("inv_m")
        loads.append(assign(w, inv[t]))
    v_expr = name("_")
    if vel is not None:
        v0 = b.fresh("v0")
        loads.insert(1, assign(v0, vel[t]))
        v_expr = name(v0)
    return Particles(name(x0), v_expr, name(w), loads)


def active_guard(b: MotifBuilder, n: int | tuple[int, ...], t: X) -> list[ast.stmt]:
    """``if (flags[tid] & ACTIVE) == 0: return`` (flags drawn from {0, 1}); empty unless the policy picks it."""
    if not b.chance("early_return"):
        return []
    flags = b.array(b.pick(["flags", "particle_flags", "active"]), "int32", wp.int32, (n,) if isinstance(n, int) else n,
                    low=0, high=1)
    if b.chance("module_constant"):
        bit = b.constant("PARTICLE_FLAG_ACTIVE", wp.int32(1))
        cond = (flags[t] & bit).eq(0)
    else:
        cond = flags[t].eq(0)
    b.features.add("early_return")
    return [if_(cond, [ret()])]


def physical(b: MotifBuilder, const_name: str, param_name: str, value: float, group: str | None = None) -> X:
    """A physical parameter: a ``wp.constant`` module constant, a field of the kernel's settings
    struct (in the nested struct ``group`` when the program nests them) or a scalar parameter."""
    if b.chance("module_constant"):
        return b.constant(const_name, b.prec.lit(value) if b.prec.f64 else wp.float32(value) if b.prec.wp_scalar else value)
    if b.use_settings:
        return b.setting(param_name, value, group if b.nest_settings else None)
    return b.scalar(param_name, value)


def gravity(b: MotifBuilder) -> X:
    """Gravity as a module constant vector or a ``wp.vec3`` parameter."""
    p = b.prec
    g = b.pick([-9.81, -9.8, -10.0])
    if b.chance("module_constant"):
        return b.constant("GRAVITY", p.vec()(0.0, g, 0.0))
    n = b.fresh("gravity")
    b.params.append((n, p.vec()))
    b.args.append(ArgSpec(n, "value", p.vec_dtype(), low=g, high=g))
    return name(n)


def safe_norm(b: MotifBuilder) -> str:
    """A ``safe_norm(v)`` helper, with a custom ``@wp.func_grad`` when the policy picks it."""
    p = b.prec
    eps = p.lit(1.0e-8) if p.f64 else 1.0e-8
    fname = b.func("safe_norm", [("v", p.vec())], [ret(wp.sqrt(wp.dot(name("v"), name("v")) + eps))], p.scalar())
    if b.chance("func_grad"):
        v, adj = name("v"), name("adj_ret")
        body = [assign("n", wp.sqrt(wp.dot(v, v) + eps)),
                aug(wp.adjoint[v], "+", v / name("n") * adj)]
        b.helper(func(b.fresh(f"adj_{fname}"), [("v", p.vec()), ("adj_ret", p.scalar())], body,
                      [wp.func_grad(name(fname))]))
        b.features.add("func_grad")
    return fname


__all__ = ["Particles", "tid", "particles", "active_guard", "physical", "gravity", "safe_norm", "expr"]

"""Code-quality measures of a Warp program, read from its syntax tree (no Warp import needed).

``measure(source)`` counts, for one module text:

* ``unused_values``: local names assigned in a function but never read;
* ``unused_params``: function parameters never read;
* ``uncalled_helpers``: ``@wp.func`` definitions nothing references;
* ``identity_helpers``: ``@wp.func``s whose whole body returns a parameter unchanged;
* ``trivial``: trivially constant or self-cancelling expressions (``trivial_reason``);
* ``guards``: domain guards (``wp.abs(x) + c`` and ``wp.clamp(x, lo, hi)`` with literal bounds);
* ``lines``: non-blank source lines of the functions.

``trivial_reason`` is also what the expression builder uses to reject a candidate, so
the generator and this measure share one definition of "trivial".
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

#: builtins that form literals when given literals (``wp.vec3(1.0, 0.0, 0.0)``, ``wp.float64(0.5)``)
LITERAL_FORMS = frozenset(
    {"float", "int", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
     "uint64", "vector", "matrix", "quaternion", "transformation", "spatial_vector", "identity", "quat_identity",
     "transform_identity", "diag", "quat_from_axis_angle", "normalize", "outer", "constant", "tid", "block_dim",
     "tile_zeros", "tile_ones", "tile_full", "tile_arange"}
)
_TYPE_PREFIXES = ("vec", "mat", "quat", "transform", "spatial_", "array")
#: binary operators whose result is constant when both operands are the same expression
_SELF_CANCELLING_OPS = (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.BitXor, ast.BitAnd, ast.BitOr)
#: builtins that are trivial on two equal arguments (``wp.min(x, x)``, ``wp.cross(v, v)``)
_SAME_ARG_CALLS = frozenset({"min", "max", "cross", "sub", "div", "mod", "bit_and", "bit_or", "bit_xor", "clamp", "atan2",
                             "floordiv", "cw_div", "copysign", "step", "lerp", "smoothstep", "spatial_cross", "where"})


#: builtins with f(f(x)) == f(x)
_IDEMPOTENT = frozenset({"abs", "normalize", "floor", "ceil", "round", "rint", "trunc", "sign", "nonzero"})


def _call_name(node: ast.Call) -> str | None:
    f = node.func
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "wp":
        return f.attr
    return f.id if isinstance(f, ast.Name) else None


def _is_literal_form(node: ast.expr) -> bool:
    """A literal or a literal-forming call/operator over literals only."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _is_literal_form(node.operand)
    if isinstance(node, (ast.Attribute, ast.Name)):
        return isinstance(node, ast.Attribute) or node.id in ("float", "int")  # wp.float64 / dtype names
    if isinstance(node, ast.Tuple):
        return all(_is_literal_form(e) for e in node.elts)
    if isinstance(node, ast.Call):
        name = _call_name(node) or ""
        if name in LITERAL_FORMS or name.startswith(_TYPE_PREFIXES):
            return all(_is_literal_form(a) for a in node.args) and all(_is_literal_form(k.value) for k in node.keywords)
        return False
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):  # ``wp.identity(n=3, dtype=float) * 2.0``
        return _is_literal_form(node.left) and _is_literal_form(node.right)
    return False


def _reads_nothing(node: ast.expr) -> bool:
    return not any(isinstance(n, ast.Name) and n.id not in ("wp", "float", "int") for n in ast.walk(node))


def is_self_assignment(node: ast.AST) -> bool:
    """``x = x``: a statement that does nothing (the dataflow pass removes it)."""
    return (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Name) and node.value.id == node.targets[0].id)


def trivial_reason(node: ast.expr) -> str | None:
    """Why ``node`` (top level only) is trivially constant or self-cancelling, or None."""
    same = ast.dump
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, _SELF_CANCELLING_OPS) and same(node.left) == same(node.right):
            return "self-cancelling operator"
        if _reads_nothing(node) and not _is_literal_form(node):
            return "constant expression"
    elif isinstance(node, ast.Compare) and len(node.comparators) == 1:
        if same(node.left) == same(node.comparators[0]):
            return "comparison with itself"
        if _reads_nothing(node):
            return "constant condition"
    elif isinstance(node, ast.IfExp):
        if same(node.body) == same(node.orelse):
            return "equal branches"
        if _reads_nothing(node.test):
            return "constant condition"
    elif isinstance(node, ast.Call):
        name = _call_name(node) or ""
        args = [same(a) for a in node.args]
        inner = node.args[0] if len(node.args) == 1 else None
        if name in _IDEMPOTENT and isinstance(inner, ast.Call) and _call_name(inner) == name:
            return "idempotent call nested"
        if name in _SAME_ARG_CALLS and len(args) >= 2 and len(set(args)) < len(args):
            return "same arguments"
        if node.args and _reads_nothing(node) and not _is_literal_form(node):
            return "constant expression"
    elif isinstance(node, ast.UnaryOp):
        if _reads_nothing(node) and not _is_literal_form(node):  # ``-1.5`` is a literal, ``~0`` is not
            return "constant expression"
    return None


def _decorator(fn: ast.FunctionDef) -> str | None:
    for d in fn.decorator_list:
        if isinstance(d, ast.Attribute):
            return d.attr
        if isinstance(d, ast.Name):
            return d.id
    return None


@dataclass
class Measures:
    """Counts for one program (see the module docstring)."""

    unused_values: list[str] = field(default_factory=list)
    unused_params: list[str] = field(default_factory=list)
    uncalled_helpers: list[str] = field(default_factory=list)
    identity_helpers: list[str] = field(default_factory=list)
    trivial: list[str] = field(default_factory=list)  # "reason: expression"
    guards: int = 0
    lines: int = 0


def _is_guard(node: ast.AST) -> bool:
    """``wp.abs(x) + c`` and ``wp.clamp(x, lo, hi)`` with literal bounds (domain guards)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and isinstance(node.left, ast.Call):
        return _call_name(node.left) == "abs" and _is_literal_form(node.right)
    if isinstance(node, ast.Call) and _call_name(node) == "clamp" and len(node.args) == 3:
        return _is_literal_form(node.args[1]) and _is_literal_form(node.args[2])
    return False


def _function_measures(fn: ast.FunctionDef, m: Measures) -> None:
    assigned: dict[str, None] = {}
    read: set[str] = set()
    for n in ast.walk(fn):
        if isinstance(n, ast.Name):
            if isinstance(n.ctx, ast.Store):
                assigned.setdefault(n.id)
            else:
                read.add(n.id)
        elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            assigned.setdefault(n.target.id)
        if isinstance(n, ast.expr):
            why = trivial_reason(n)
            if why:
                m.trivial.append(f"{why}: {ast.unparse(n)}")
            m.guards += _is_guard(n)
        if isinstance(n, ast.AugAssign) and isinstance(n.op, _SELF_CANCELLING_OPS) and isinstance(n.target, ast.Name) \
                and isinstance(n.value, ast.Name) and n.value.id == n.target.id:
            m.trivial.append(f"self-cancelling update: {ast.unparse(n)}")
        if is_self_assignment(n):
            m.trivial.append(f"self-assignment: {ast.unparse(n)}")
    loop_vars = {n.target.id for n in ast.walk(fn) if isinstance(n, ast.For) and isinstance(n.target, ast.Name)}
    tids = {e.id for n in ast.walk(fn) if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Tuple)
            for e in n.targets[0].elts if isinstance(e, ast.Name)}
    m.unused_values += [f"{fn.name}.{v}" for v in assigned if v not in read and v not in loop_vars | tids]
    m.unused_params += [f"{fn.name}.{a.arg}" for a in fn.args.args if a.arg not in read]
    if returns_a_parameter(fn):
        m.identity_helpers.append(fn.name)
    m.lines += fn.end_lineno - fn.lineno


def returns_a_parameter(fn: ast.FunctionDef) -> bool:
    """Whether ``fn`` only returns one of its parameters unchanged (``return x``, or ``y = x`` then
    ``return y``)."""
    body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if not body or not isinstance(body[-1], ast.Return) or not isinstance(body[-1].value, ast.Name):
        return False
    copies: dict[str, str] = {}
    for s in body[:-1]:
        if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
                and isinstance(s.value, ast.Name)):
            return False
        copies[s.targets[0].id] = s.value.id
    name, seen = body[-1].value.id, set()
    while name in copies and name not in seen:
        seen.add(name)
        name = copies[name]
    return name in {a.arg for a in fn.args.args}


def measure(source: str | ast.Module) -> Measures:
    """The quality measures of one module (text or parsed tree)."""
    tree = ast.parse(source) if isinstance(source, str) else source
    m = Measures()
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    referenced = {n.id for f in funcs for n in ast.walk(f) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    for fn in funcs:
        _function_measures(fn, m)
        if _decorator(fn) == "func" and fn.name not in referenced:
            m.uncalled_helpers.append(fn.name)
    return m

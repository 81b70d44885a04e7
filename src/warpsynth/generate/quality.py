"""Code-quality measures of a Warp program, read from its syntax tree (no Warp import needed).

``measure(source)`` counts, for one module text:

* ``unused_values``: local names assigned in a function but never read;
* ``dead_stores``: assignments whose value no path reads (overwritten first; ``liveness``);
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
from collections.abc import Iterable
from dataclasses import dataclass, field

from warpsynth.generate.liveness import dead_store_lines

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
#: builtins with f(f(x)) == x
_INVOLUTIONS = frozenset({"transpose", "inverse", "quat_inverse", "transform_inverse"})


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
        # a literal form scaled by a number (``wp.identity(n=3, dtype=float) * 2.0``, ``wp.tile_arange(8) * 0.125``)
        # or a number times a named constant (``2.0 * wp.pi``); ``0 * 2`` is a constant expression
        for a, b in ((node.left, node.right), (node.right, node.left)):
            if literal_number(b) is not None and ((isinstance(a, ast.Call) and _is_literal_form(a))
                                           or (isinstance(a, ast.Attribute) and a.attr in _NAMED_CONSTANTS)):
                return True
    return False


#: Warp's named float constants (``wp.pi``...), written times a number in real code
_NAMED_CONSTANTS = frozenset({"pi", "tau", "e", "half_pi", "inf", "nan", "log2e", "log10e", "ln2", "ln10", "phi"})


def literal_number(node: ast.expr) -> float | None:
    """The number a scalar literal denotes (``2``, ``-0.5``, ``wp.float64(0.5)``, ``int(3)``), else None
    (``value.literal_value`` is this function)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = literal_number(node.operand)
        return None if v is None else -v
    if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords and (_call_name(node) or "") in CASTS:
        return literal_number(node.args[0])
    return None


#: scalar cast builtins (``float(x)``, ``wp.float64(x)``...)
CASTS = frozenset({"float", "int", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
                    "uint16", "uint32", "uint64"})
#: called names that are not ``@wp.func`` helpers
_NOT_HELPERS = CASTS | {"range", "len", "bool", "print"}
#: operators whose result is 0 when the left (``0 * x``, ``0 << k``, ``0 // n``) or, for the commuting
#: ones, either operand is the literal 0
_ZERO_LEFT = (ast.Mult, ast.BitAnd, ast.LShift, ast.RShift, ast.FloorDiv, ast.Mod, ast.Div)
_ZERO_EITHER = (ast.Mult, ast.BitAnd)
#: (operator, literal right operand) pairs that leave the left operand unchanged: ``x + 0``, ``x * 1``
_NEUTRAL_RIGHT = ((ast.Add, 0), (ast.Sub, 0), (ast.Mult, 1), (ast.Div, 1), (ast.FloorDiv, 1), (ast.BitOr, 0),
                  (ast.BitXor, 0), (ast.LShift, 0), (ast.RShift, 0))


def _binop_reason(node: ast.BinOp) -> str | None:
    """Why a binary operator is trivial: self-cancelling, absorbed by a 0, neutral, or constant."""
    if isinstance(node.op, _SELF_CANCELLING_OPS) and ast.dump(node.left) == ast.dump(node.right):
        return "self-cancelling operator"
    if isinstance(node.op, ast.Add) and any(isinstance(a, ast.UnaryOp) and isinstance(a.op, ast.USub)
                                            and ast.dump(a.operand) == ast.dump(b)
                                            for a, b in ((node.left, node.right), (node.right, node.left))):
        return "self-cancelling operator"  # ``-M + M``
    if _cancels(node):
        return "cancelling terms"
    left, right = literal_number(node.left), literal_number(node.right)
    if (left == 0 and isinstance(node.op, _ZERO_LEFT)) or (right == 0 and isinstance(node.op, _ZERO_EITHER)):
        return "zero operand"
    if right == 1 and isinstance(node.op, ast.Mod):
        return "modulo one"
    stride = isinstance(node.op, ast.Add) and right == 0 and isinstance(node.left, ast.BinOp) \
        and isinstance(node.left.op, ast.Mult) and literal_number(node.left.right) is not None  # ``edges[t * 2 + 0]``
    if not stride and right is not None and any(isinstance(node.op, op) and right == v for op, v in _NEUTRAL_RIGHT) \
            or left is not None and ((isinstance(node.op, (ast.Add, ast.BitOr, ast.BitXor)) and left == 0)
                                     or (isinstance(node.op, ast.Mult) and left == 1)):
        return "neutral operand"
    if _reads_nothing(node) and not _is_literal_form(node):
        return "constant expression"
    return None


def _cancels(node: ast.BinOp) -> bool:
    """``(a - b) + b``, ``(a + b) - b``, ``(b + a) - b``: a term added and taken away again."""
    left, same = node.left, ast.dump(node.right)
    if not isinstance(left, ast.BinOp):
        return False
    if isinstance(node.op, ast.Add) and isinstance(left.op, ast.Sub):
        return ast.dump(left.right) == same
    if isinstance(node.op, ast.Sub) and isinstance(left.op, ast.Add):
        return same in (ast.dump(left.left), ast.dump(left.right))
    return False


def _factors(node: ast.expr) -> set[str]:
    """The factors of a product as dumped trees: ``-(a * s) / k`` -> {a, s}; ``wp.normalize(v)`` -> {v}."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _factors(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return _factors(node.left) | _factors(node.right)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return _factors(node.left)
    if isinstance(node, ast.Call) and _call_name(node) == "normalize" and len(node.args) == 1:
        return _factors(node.args[0])
    return {ast.dump(node)}


def _parallel(a: ast.expr, b: ast.expr) -> bool:
    """Whether two vectors are visibly parallel: one's factors all among the other's (``wp.cross(d / s, -d)``,
    ``wp.cross(k * v, wp.normalize(v))``), whose cross product is 0 up to rounding (and its direction noise)."""
    fa, fb = _factors(a), _factors(b)
    return fa <= fb or fb <= fa


def _reads_nothing(node: ast.expr) -> bool:
    return not any(isinstance(n, ast.Name) and n.id not in ("wp", "float", "int") for n in ast.walk(node))


def is_self_assignment(node: ast.AST) -> bool:
    """``x = x``: a statement that does nothing (the dataflow pass removes it)."""
    return (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Name) and node.value.id == node.targets[0].id)


def trivial_reason(node: ast.expr) -> str | None:
    """Why ``node`` (top level only) is trivially constant or self-cancelling, or None.

    Kinds (the reason strings): ``self-cancelling operator`` (``x - x``, ``k ^ k``, ``-M + M``), ``zero operand``
    (``0 * x``, ``x & 0``, ``0 << k``), ``modulo one`` (``k % 1``), ``neutral operand`` (``x + 0``, ``x * 1``), ``constant
    expression`` (an operator, math call, component or negation of literals only:
    ``wp.abs(0.5) + 0.1``, ``wp.sin(0.5)``, ``wp.vec2(1.5)[1]``, ``~0``, a helper on literals ``update(1.89)``; a literal form such as
    ``wp.vec3(1.0, 0.0, 0.0)``, ``-1.5`` or ``wp.identity(n=3, dtype=float) * 2.0`` is not one),
    ``comparison with itself``, ``constant condition``, ``equal branches`` (``a if c else a``),
    ``idempotent call nested`` (``wp.abs(wp.abs(x))``), ``inverse of an inverse``
    (``wp.transpose(wp.transpose(M))``, ``wp.quat_inverse(wp.quat_inverse(q))``), ``same arguments`` (``wp.min(x, x)``,
    ``wp.cross(v, v)``), ``parallel arguments`` (``wp.cross(d / s, -d)``, ``wp.cross(k * v, wp.normalize(v))``:
    0 up to rounding, so a ``wp.normalize`` of it points anywhere, differently on a GPU) and
    ``double negation`` (``--x``, ``not not c``), ``cancelling terms`` (``(a - b) + b``, ``(a + b) - b``)
    and ``repeated operand`` (``c and c``).
    """
    same = ast.dump
    if isinstance(node, ast.BinOp):
        return _binop_reason(node)
    if isinstance(node, ast.Compare) and len(node.comparators) == 1:
        if same(node.left) == same(node.comparators[0]):
            return "comparison with itself"
        if _reads_nothing(node):
            return "constant condition"
    elif isinstance(node, ast.BoolOp) and len({same(v) for v in node.values}) < len(node.values):
        return "repeated operand"  # ``not wp.isnan(a) and not wp.isnan(a)``
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
        if name in _INVOLUTIONS and isinstance(inner, ast.Call) and _call_name(inner) == name:
            return "inverse of an inverse"
        if name in _SAME_ARG_CALLS and len(args) >= 2 and len(set(args)) < len(args):
            return "same arguments"
        if name == "cross" and len(node.args) == 2 and _parallel(node.args[0], node.args[1]):
            return "parallel arguments"
        if node.args and _reads_nothing(node) and not _is_literal_form(node):
            return "constant expression"
        if isinstance(node.func, ast.Name) and node.args and all(map(_reads_nothing, node.args)) \
                and node.func.id not in _NOT_HELPERS and not node.func.id[0].isupper():
            # a ``@wp.func`` on literals only: ``update(1.89)`` (not ``range(3)``, a cast or a struct)
            return "constant expression"
    elif isinstance(node, ast.UnaryOp):
        if isinstance(node.operand, ast.UnaryOp) and type(node.operand.op) is type(node.op):
            return "double negation"  # ``--x``, ``~~k``, ``not not c``
        if _reads_nothing(node) and not _is_literal_form(node):  # ``-1.5`` is a literal, ``~0`` is not
            return "constant expression"
    elif isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.value, ast.Call):
        if _reads_nothing(node.value) and _is_literal_form(node.value):  # ``wp.vec2(1.5, 0.5)[1]``
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
    dead_stores: list[str] = field(default_factory=list)  # "function: statement"
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


def _node_trivial_reason(n: ast.AST) -> str | None:
    """``trivial_reason`` for an expression; a self-cancelling update or self-assignment for a statement."""
    if isinstance(n, ast.expr):
        return trivial_reason(n)
    if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
        value = n.value
        if isinstance(n.op, ast.Add) and isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
            value = value.operand  # ``z += -z``
        elif not isinstance(n.op, _SELF_CANCELLING_OPS):
            return None
        if isinstance(value, ast.Name) and value.id == n.target.id:
            return "self-cancelling update"
    if is_self_assignment(n):
        return "self-assignment"
    return None


def has_trivial(nodes: Iterable[ast.AST]) -> bool:
    """Whether any node under ``nodes`` (syntax trees, e.g. a program's definitions) is trivial (see ``measure``)."""
    return any(_node_trivial_reason(n) for root in nodes for n in ast.walk(root))


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
            m.guards += _is_guard(n)
        why = _node_trivial_reason(n)
        if why:
            m.trivial.append(f"{why}: {ast.unparse(n)}")
    loop_vars = {n.target.id for n in ast.walk(fn) if isinstance(n, ast.For) and isinstance(n.target, ast.Name)}
    tids = {e.id for n in ast.walk(fn) if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Tuple)
            for e in n.targets[0].elts if isinstance(e, ast.Name)}
    m.unused_values += [f"{fn.name}.{v}" for v in assigned if v not in read and v not in loop_vars | tids]
    m.unused_params += [f"{fn.name}.{a.arg}" for a in fn.args.args if a.arg not in read]
    m.dead_stores += [f"{fn.name}: {line}" for line in dead_store_lines(fn)]
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

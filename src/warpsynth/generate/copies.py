"""Copy propagation: ``r = w`` where both names always hold the same value is ``w`` itself;
``g = a[i]`` makes a later ``a[i]`` read ``g``.

A copy ``x = y`` is propagated when ``x`` is assigned nowhere else and ``y`` never changes after
the copy: ``y`` is a parameter nothing assigns, or a local assigned once, by a top-level
statement before the one holding the copy.  Then every read of ``x`` reads ``y`` and the copy
goes.  Copies hide what the code computes (``tmp = w``, ``r = w``, then ``tmp if r >= tmp else w``
is ``w`` whatever the test says); once propagated, the trivial-expression check sees it.
A name written in part (``x[0] = ...``, ``x.y = ...``), by a loop header or as a decomposition's
output argument counts as assigned there.

``reuse_loads``: after a top-level ``g = a[i, j]`` (``a`` a parameter the function never writes,
stores or updates atomically; ``g`` and the index names assigned nowhere else), every later read
``a[i, j]`` is ``g``, as an engineer who loaded the value once writes it.  Pure ``ast``.
"""

from __future__ import annotations

import ast
import copy
from collections import Counter

from warpsynth.generate.liveness import EFFECT_PREFIXES, OUT_ARGS, call_name, store_root, walk


def _assignments(body: list[ast.stmt]) -> Counter:
    """How many statements assign each name (whole or in part)."""
    count: Counter = Counter()
    for s in body:
        for n in walk(s):
            if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                for t in n.targets if isinstance(n, ast.Assign) else [n.target]:
                    names = {m.id for m in walk(t) if isinstance(m, ast.Name)} if isinstance(t, ast.Tuple) else {store_root(t)}
                    count.update(names - {None})
            elif isinstance(n, ast.For):
                count.update(m.id for m in walk(n.target) if isinstance(m, ast.Name))
            elif isinstance(n, ast.Call) and call_name(n) in OUT_ARGS:
                count.update(a.id for k, a in enumerate(n.args) if k in OUT_ARGS[call_name(n)] and isinstance(a, ast.Name))
    return count


def _copies(body: list[ast.stmt], params: set[str]) -> dict[int, tuple[str, str]]:
    """``id(copy statement) -> (x, y)`` for the copies that can go."""
    count = _assignments(body)
    defined_at: dict[str, int] = {}  # a local assigned once at the top level -> its statement's position
    for k, s in enumerate(body):
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name):
            defined_at.setdefault(s.targets[0].id, k)
    found: dict[int, tuple[str, str]] = {}
    for k, top in enumerate(body):
        for n in walk(top):
            if not (isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
                    and isinstance(n.value, ast.Name)):
                continue
            x, y = n.targets[0].id, n.value.id
            if x in params or count[x] != 1 or x == y:
                continue
            if (y in params and count[y] == 0) or (count[y] == 1 and defined_at.get(y, k) < k):
                found[id(n)] = (x, y)
    return found


class _Rename(ast.NodeTransformer):
    def __init__(self, names: dict[str, str], drop: set[int]):
        self.names, self.drop = names, drop

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if isinstance(node.ctx, ast.Load) and node.id in self.names:
            return ast.Name(self.names[node.id], ast.Load())
        return node

    def generic_visit(self, node: ast.AST) -> ast.AST:
        for field, value in ast.iter_fields(node):
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                kept = [self.visit(s) for s in value if id(s) not in self.drop]
                setattr(node, field, kept or ([ast.Pass()] if field == "body" else []))
            elif isinstance(value, list):
                setattr(node, field, [self.visit(v) if isinstance(v, ast.AST) else v for v in value])
            elif isinstance(value, ast.AST):
                setattr(node, field, self.visit(value))
        return node


def propagate_copies(body: list[ast.stmt], params: set[str]) -> list[ast.stmt]:
    """``body`` with the copies that can go propagated and removed (new nodes; ``body`` is not changed)."""
    found = _copies(body, params)
    if not found:
        return body
    names = {x: y for x, y in found.values()}
    for x in names:  # a chain ``a = p`` then ``b = a``: ``b`` reads ``p``
        while names[x] in names:
            names[x] = names[names[x]]
    memo: dict = {}
    clone = copy.deepcopy(ast.Module(list(body), []), memo)  # ``memo`` maps id(original) -> its clone
    return _Rename(names, {id(memo[k]) for k in found}).visit(clone).body


def _written_arrays(body: list[ast.stmt]) -> set[str]:
    """Names stored through (``a[i] = v``) or passed first to an effect (``wp.atomic_add(a, ...)``)."""
    out: set[str] = set()
    for s in body:
        for n in walk(s):
            if isinstance(n, (ast.Assign, ast.AugAssign)):
                for t in n.targets if isinstance(n, ast.Assign) else [n.target]:
                    if not isinstance(t, ast.Name):
                        out.add(store_root(t))
            elif isinstance(n, ast.Call) and (call_name(n) or "").startswith(EFFECT_PREFIXES) and n.args:
                out.add(store_root(n.args[0]))
    return out - {None}


class _Loads(ast.NodeTransformer):
    def __init__(self, names: dict[str, str]):
        self.names = names

    def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
        if isinstance(node.ctx, ast.Load) and ast.dump(node) in self.names:
            return ast.Name(self.names[ast.dump(node)], ast.Load())
        return self.generic_visit(node)


def reuse_loads(body: list[ast.stmt], params: set[str]) -> list[ast.stmt]:
    """``body`` with later reads of a loaded array element replaced by the local that holds it
    (new nodes; ``body`` is not changed)."""
    count = _assignments(body)
    written = _written_arrays(body)
    defined: set[str] = set()
    out: list[ast.stmt] = []
    names: dict[str, str] = {}
    for s in body:
        out.append(_Loads(dict(names)).visit(copy.deepcopy(s)) if names else s)
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
                and isinstance(s.value, ast.Subscript) and isinstance(s.value.value, ast.Name):
            g, a = s.targets[0].id, s.value.value.id
            index = {n.id for n in walk(s.value.slice) if isinstance(n, ast.Name)}
            if (a in params and a not in written and g not in params and count[g] == 1 and ast.dump(s.value) not in names
                    and all((n in params and count[n] == 0) or (n in defined and count[n] == 1) for n in index)):
                names[ast.dump(s.value)] = g
        for n in walk(s):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                defined.add(n.id)
    return out

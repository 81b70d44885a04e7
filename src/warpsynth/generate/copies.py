"""Copy propagation: ``r = w`` where both names always hold the same value is ``w`` itself.

A copy ``x = y`` is propagated when ``x`` is assigned nowhere else and ``y`` never changes after
the copy: ``y`` is a parameter nothing assigns, or a local assigned once, by a top-level
statement before the one holding the copy.  Then every read of ``x`` reads ``y`` and the copy
goes.  Copies hide what the code computes (``tmp = w``, ``r = w``, then ``tmp if r >= tmp else w``
is ``w`` whatever the test says); once propagated, the trivial-expression check sees it.
A name written in part (``x[0] = ...``, ``x.y = ...``), by a loop header or as a decomposition's
output argument counts as assigned there.  Pure ``ast``.
"""

from __future__ import annotations

import ast
import copy
from collections import Counter

from warpsynth.generate.liveness import OUT_ARGS, call_name, store_root, walk


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

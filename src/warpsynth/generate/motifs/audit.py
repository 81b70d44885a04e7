"""Static audits of a generated program's source, used by the motif tests and
``scripts/check_motifs.py``: race-freedom by construction and dataflow cleanliness.

These are the motif generator's own construction rules, checked on the syntax tree;
the project-wide race check (issue 14) and dataflow metrics (issue 15) are separate.
"""

from __future__ import annotations

import ast

from warpsynth.generate.program import KernelProgram

_ATOMICS = frozenset({"atomic_add", "atomic_sub", "atomic_min", "atomic_max", "tile_atomic_add"})


def _wp_call(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
            and node.func.value.id == "wp":
        return node.func.attr
    return None


def _kernel_def(tree: ast.Module, kname: str) -> ast.FunctionDef:
    return next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == kname)


def race_problems(program: KernelProgram) -> list[str]:
    """Violations of: a non-atomic array store goes to the thread's own element (first index is
    a ``wp.tid()`` name), an array stored non-atomically is read only at that element, and each
    array takes one atomic kind per launch and no plain stores besides.  Empty when race-free."""
    kdef = _kernel_def(ast.parse(program.source), program.kernel_name)
    tids: list[str] = []
    for n in ast.walk(kdef):
        if isinstance(n, ast.Assign) and _wp_call(n.value) == "tid":
            t = n.targets[0]
            tids = [e.id for e in t.elts] if isinstance(t, ast.Tuple) else [t.id]
    arrays = {a.name for a in program.args if a.kind == "array"}
    problems: list[str] = []
    kinds: dict[str, set[str]] = {}
    stored: dict[str, str] = {}
    for n in ast.walk(kdef):
        call = _wp_call(n)
        if call in _ATOMICS:
            target = n.args[0]
            while isinstance(target, ast.Subscript):
                target = target.value
            kinds.setdefault(ast.unparse(target), set()).add(call)
        targets = n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, ast.AugAssign) else []
        for t in targets:
            if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id in arrays:
                idx = t.slice.elts if isinstance(t.slice, ast.Tuple) else [t.slice]
                if not (isinstance(idx[0], ast.Name) and idx[0].id in tids):
                    problems.append(f"store to {ast.unparse(t)} is not to the thread's own element")
                stored[t.value.id] = ast.unparse(t.slice)
    for n in ast.walk(kdef):
        if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load) and isinstance(n.value, ast.Name) \
                and n.value.id in stored and ast.unparse(n.slice) != stored[n.value.id]:
            problems.append(f"{n.value.id} is stored at [{stored[n.value.id]}] but read at [{ast.unparse(n.slice)}]")
    problems += [f"{a}: mixed atomic kinds {sorted(k)}" for a, k in kinds.items() if len(k) > 1]
    problems += [f"{a}: both atomic updates and plain stores" for a in kinds if a in stored]
    return problems


def dataflow_problems(source: str) -> list[str]:
    """Unused parameters, locals assigned and never read, and ``@wp.func`` helpers never called
    (a custom ``@wp.func_grad`` is called by Warp's adjoint, not by name).  Empty when clean."""
    tree = ast.parse(source)
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    referenced = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    problems: list[str] = []
    for fn in funcs:
        decorators = {ast.unparse(d).split("(")[0] for d in fn.decorator_list}
        if "wp.func_grad" in decorators:
            continue
        if "wp.func" in decorators and fn.name not in referenced:
            problems.append(f"helper {fn.name} is never called")
        loads = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        loads |= {n.target.id for n in ast.walk(fn) if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)}
        stores = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        problems += [f"{fn.name}: parameter {a.arg} is unused" for a in fn.args.args if a.arg not in loads]
        problems += [f"{fn.name}: {s} is assigned and never read" for s in sorted(stores - loads - {"_"})]
    return problems

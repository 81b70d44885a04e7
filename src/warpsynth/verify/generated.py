"""Validity checks for generated programs: Warp codegen, and a seeded CPU run.

``codegen_error(program)`` builds the kernel and emits CPU and CUDA forward and
backward code (``warpsynth.extract``).  ``run_errors(programs)`` compiles many
programs as one module (top-level names prefixed so they cannot clash),
launches each on its seeded inputs and reports NaN/Inf outputs.  In debug mode
Warp compiles array bounds assertions in, so an out-of-bounds access aborts
the process: run it in a subprocess when that must be attributed (the check
script does).
"""

from __future__ import annotations

import ast
import contextlib
import io

import warp as wp

from warpsynth.extract import extract_overloads, load_source
from warpsynth.generate.launch import launch, make_inputs, outputs_finite
from warpsynth.generate.program import KernelProgram


def codegen_error(program: KernelProgram) -> str | None:
    """None if Warp generates CPU and CUDA forward+backward code for the program, else the error."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            with load_source(program.source, f"cg{program.seed}") as loaded:
                kernel = loaded.namespace[program.kernel_name]
                [ir] = extract_overloads(kernel)  # a generic kernel: its one wp.overload
        for target in ("cpu", "cuda"):
            code = ir.targets[target]
            if not code.forward or not code.backward:
                return f"empty {target} forward/backward text"
    except Exception as exc:  # any Warp failure is a generator bug to report
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:300]}"
    return None


class _Prefix(ast.NodeTransformer):
    def __init__(self, names: set[str], prefix: str):
        self.names, self.prefix = names, prefix

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id in self.names:
            node.id = self.prefix + node.id
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef):
        self.generic_visit(node)
        if node.name in self.names:
            node.name = self.prefix + node.name
        return node

    def visit_ClassDef(self, node: ast.ClassDef):
        self.generic_visit(node)
        if node.name in self.names:
            node.name = self.prefix + node.name
        return node


def combine(programs: list[KernelProgram]) -> tuple[str, list[str]]:
    """One module holding every program (imports once), top-level names (defs, module constants) prefixed ``p<k>_``; returns (source, kernel names)."""
    imports: dict[str, ast.stmt] = {"import warp as wp": ast.Import([ast.alias("warp", "wp")])}
    body: list[ast.stmt] = []
    names = []
    for k, prog in enumerate(programs):
        tree = ast.parse(prog.source)
        for n in tree.body:
            if isinstance(n, (ast.Import, ast.ImportFrom)):
                imports.setdefault(ast.unparse(n), n)
        defs = [n for n in tree.body if not isinstance(n, (ast.Import, ast.ImportFrom))]
        top = {n.name for n in defs if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        top |= {t.id for n in defs if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
        prefix = f"p{k}_"
        for d in defs:
            body.append(_Prefix(top, prefix).visit(d))
        names.append(prefix + prog.kernel_name)
    return ast.unparse(ast.Module(list(imports.values()) + body, [])) + "\n", names


def run_errors(programs: list[KernelProgram], debug: bool = True, tag: str = "run") -> list[str | None]:
    """Compile ``programs`` together on the CPU, launch each on its seeded inputs; per-program error or None."""
    source, names = combine(programs)
    old_mode = wp.config.mode
    wp.config.mode = "debug" if debug else "release"
    results: list[str | None] = []
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            with load_source(source, tag) as loaded:
                for prog, name in zip(programs, names):
                    kern = loaded.namespace[name]
                    try:
                        inputs = make_inputs(prog, prog.seed, kern)
                        launch(prog, kern, inputs)
                        bad = outputs_finite(prog, inputs)
                        results.append(f"non-finite output in {bad}" if bad else None)
                    except Exception as exc:
                        results.append(f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:300]}")
    finally:
        wp.config.mode = old_mode
    return results

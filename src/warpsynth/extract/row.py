"""Build dataset rows (plain dicts matching ``dataset.schema.SCHEMA``) from extracted kernels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import warp as wp

from warpsynth._version import __version__
from warpsynth.dataset.rows import content_id, relative_code_paths
from warpsynth.dataset.schema import COLUMNS, TARGET_COLUMNS
from warpsynth.extract.ir import KernelIR


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


#: The folder holding the ``warp`` package: paths into Warp's own files are written from there
#: (``warp/_src/fem/space/...``).
WARP_ROOT = str(Path(wp.__file__).resolve().parent.parent)

#: Code columns whose text can hold Warp's ``// /abs/file.py:12`` helper comments.
_PATH_COLUMNS = (*TARGET_COLUMNS["cpu"], *TARGET_COLUMNS["cuda"], "structs", "cuda_declarations")


def row_from_ir(ir: KernelIR, *, source: str, origin: str, code_roots: Sequence[str | Path] = (), **extra: Any) -> dict:
    """One dataset row for an extracted kernel.

    ``source`` is the Python text the kernel came from (a whole generated
    program, or the file it was defined in); ``extra`` fills generator and
    verification columns (category, features, seed, launch, verify_*...).
    The code is Warp's text except that the absolute paths Warp writes in its helper
    comments and ``#line`` directives are made relative to the first of ``code_roots``
    (then Warp's own folder) that holds them (``dataset.rows.relative_code_paths``), so
    a row does not depend on where the tree was extracted from.
    """
    row: dict = dict.fromkeys(COLUMNS)
    row.update(
        kernel_name=ir.kernel_name,
        mangled_name=ir.mangled_name,
        origin=origin,
        source=source,
        kernel_source=ir.python_source,
        source_file=ir.source_file,
        source_line=ir.source_line,
        args=[{"name": a.name, "type": a.type} for a in ir.args],
        helper_names=list(ir.helper_names),
        struct_names=list(ir.struct_names),
        ptx=[{"arch": arch, "text": text} for arch, text in sorted(ir.ptx.items())],
        options=canonical_json(ir.options),
        features=[],
        builtins=[],
        warp_version=ir.warp_version,
        warpsynth_version=__version__,
        verify_level="codegen",
    )
    cpu, cuda = ir.targets.get("cpu"), ir.targets.get("cuda")
    if cpu is not None:
        row.update(
            cpu_forward=cpu.forward,
            cpu_backward=cpu.backward,
            cpu_entry=cpu.entry,
            cpu_helpers=cpu.helpers,
            structs=cpu.structs,
        )
    if cuda is not None:
        row.update(cuda_forward=cuda.forward, cuda_backward=cuda.backward, cuda_helpers=cuda.helpers)
        row["cuda_declarations"] = cuda.declarations or None
        row["structs"] = cuda.structs
    roots = [str(Path(r).resolve()) for r in code_roots] + [WARP_ROOT]
    for column in _PATH_COLUMNS:
        if row[column]:
            row[column] = relative_code_paths(row[column], roots)
    unknown = set(extra) - set(COLUMNS)
    if unknown:
        raise KeyError(f"not dataset columns: {sorted(unknown)}")
    row.update(extra)
    row["id"] = content_id(row)
    return row

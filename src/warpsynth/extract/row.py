"""Build dataset rows (plain dicts matching ``dataset.schema.SCHEMA``) from extracted kernels."""

from __future__ import annotations

import json
from typing import Any

from warpsynth._version import __version__
from warpsynth.dataset.rows import content_id
from warpsynth.dataset.schema import COLUMNS
from warpsynth.extract.ir import KernelIR


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def row_from_ir(ir: KernelIR, *, source: str, origin: str, **extra: Any) -> dict:
    """One dataset row for an extracted kernel.

    ``source`` is the Python text the kernel came from (a whole generated
    program, or the file it was defined in); ``extra`` fills generator and
    verification columns (category, features, seed, launch, verify_*...).
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
    unknown = set(extra) - set(COLUMNS)
    if unknown:
        raise KeyError(f"not dataset columns: {sorted(unknown)}")
    row.update(extra)
    row["id"] = content_id(row)
    return row

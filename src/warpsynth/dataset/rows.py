"""Build dataset rows (plain dicts matching ``SCHEMA``) from extracted kernels."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from warpsynth._version import __version__
from warpsynth.dataset.schema import COLUMNS, ID_FIELDS, OPTIONAL_ID_FIELDS
from warpsynth.extract.ir import KernelIR


#: Absolute file paths Warp writes into generated code: the ``// /abs/file.py:12`` comment
#: above each helper function and debug builds' ``#line 12 "/abs/file.py"`` directives.
_PATH_IN_CODE = re.compile(r'^(// |[ \t]*#line \d+ ")((?:/|[A-Za-z]:[\\/])[^\n"]*?)([^/\\\n"]+)(:\d+$|"$)', re.MULTILINE)


def path_free(text: str) -> str:
    """``text`` with the folders of absolute paths in Warp's file comments and ``#line``
    directives removed (``// /home/me/proj/a.py:12`` -> ``// a.py:12``), so a hash of it
    does not depend on where a checkout lives."""
    return _PATH_IN_CODE.sub(r"\1\3\4", text)


def content_id(row: dict) -> str:
    """Hash of the row's Python source and generated code: equal content, equal id.

    sha256 over, for each field of ``ID_FIELDS`` in order, its name then ``\\0`` (null) or
    ``\\1`` + its UTF-8 text with absolute paths in Warp's file comments reduced to the file
    name (:func:`path_free`); then the same for each non-empty ``OPTIONAL_ID_FIELDS`` field.
    First 32 hex digits. The id is the same wherever the code was extracted from.
    """
    h = hashlib.sha256()
    fields = [*ID_FIELDS, *(name for name in OPTIONAL_ID_FIELDS if row.get(name))]
    for name in fields:
        value = row.get(name)
        h.update(name.encode())
        h.update(b"\0" if value is None else b"\1" + path_free(value).encode())
    return h.hexdigest()[:32]


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

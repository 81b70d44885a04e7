"""The dataset row schema: one row per kernel, shared by extract, generate and curate.

Documented column by column in docs/schema.md. Columns that nearly every row
shares (warp_version, origin, options...) are dictionary-encoded by Parquet, so
they cost a few bytes per file, not per row.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = "2"

ARG = pa.struct([("name", pa.string()), ("type", pa.string())])
PTX = pa.struct([("arch", pa.string()), ("text", pa.string())])

SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("kernel_name", pa.string()),
        ("mangled_name", pa.string()),
        ("origin", pa.string()),
        ("source", pa.string()),
        ("kernel_source", pa.string()),
        ("source_file", pa.string()),
        ("source_line", pa.int32()),
        ("args", pa.list_(ARG)),
        ("cpu_forward", pa.string()),
        ("cpu_backward", pa.string()),
        ("cpu_entry", pa.string()),
        ("cpu_helpers", pa.string()),
        ("cuda_forward", pa.string()),
        ("cuda_backward", pa.string()),
        ("cuda_helpers", pa.string()),
        ("structs", pa.string()),
        ("helper_names", pa.list_(pa.string())),
        ("struct_names", pa.list_(pa.string())),
        ("ptx", pa.list_(PTX)),
        ("options", pa.string()),
        ("category", pa.string()),
        ("features", pa.list_(pa.string())),
        ("builtins", pa.list_(pa.string())),
        ("launch", pa.string()),
        ("seed", pa.int64()),
        ("config_hash", pa.string()),
        ("warp_version", pa.string()),
        ("warpsynth_version", pa.string()),
        ("verify_level", pa.string()),
        ("verify_ms", pa.string()),
        ("differentiable", pa.bool_()),
        ("grad_max_rel_err", pa.float64()),
        ("io_examples", pa.string()),
        ("verified_cuda_device", pa.string()),
        ("verified_cuda_arch", pa.string()),
        ("license", pa.string()),
        ("cuda_declarations", pa.string()),
    ],
    metadata={"warpsynth.schema_version": SCHEMA_VERSION},
)

COLUMNS = tuple(SCHEMA.names)

#: A row's ``origin``: made by the generator (``warpsynth generate``), extracted from a user's
#: file or from Warp's own library kernels (``warpsynth extract [--include-warp]``), or one of
#: the kernels warp.fem generated for the Poisson solve (``warpsynth poisson --emit-kernels``).
ORIGIN_GENERATED = "generated"
ORIGIN_EXTRACTED = "extracted"
ORIGIN_WARP_LIBRARY = "warp-library"
ORIGIN_FEM = "fem"

#: The code targets Warp generates for, in the order rows and options list them: the CPU (C++)
#: and CUDA. The one definition (extract, pipeline, fem and the CLI import it).
TARGETS = ("cpu", "cuda")

#: Code columns per target (keys: ``TARGETS``); a run asks for some targets and those must be non-empty.
TARGET_COLUMNS = {
    "cpu": ("cpu_forward", "cpu_backward", "cpu_entry", "cpu_helpers"),
    "cuda": ("cuda_forward", "cuda_backward", "cuda_helpers"),
}

#: Fields that make a row's identity: same content, same id (see ``content_id``).
ID_FIELDS = (
    "source",
    "kernel_name",
    "cpu_forward",
    "cpu_backward",
    "cpu_entry",
    "cpu_helpers",
    "cuda_forward",
    "cuda_backward",
    "cuda_helpers",
    "structs",
)

#: Identity fields hashed only when non-empty (after ``ID_FIELDS``), so rows without them keep
#: the ids they had before the column existed: the MathDx LTO declarations of CUDA text.
OPTIONAL_ID_FIELDS = ("cuda_declarations",)

"""Dataset rows: schema, construction from extracted kernels, Parquet/JSONL I/O."""

from warpsynth.dataset.io import iter_batches, read_rows, write_rows, write_table
from warpsynth.dataset.rows import content_id, row_from_ir
from warpsynth.dataset.schema import COLUMNS, SCHEMA, TARGET_COLUMNS

__all__ = ["COLUMNS", "SCHEMA", "TARGET_COLUMNS", "content_id", "iter_batches", "read_rows", "row_from_ir", "write_rows", "write_table"]

"""Dataset rows: schema, content ids, verification levels, Parquet/JSONL I/O (rows are built by ``extract.row``)."""

from warpsynth.dataset.io import iter_batches, read_rows, write_rows, write_table
from warpsynth.dataset.rows import content_id
from warpsynth.dataset.schema import COLUMNS, SCHEMA, TARGET_COLUMNS

__all__ = ["COLUMNS", "SCHEMA", "TARGET_COLUMNS", "content_id", "iter_batches", "read_rows", "write_rows", "write_table"]

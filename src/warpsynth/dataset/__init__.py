"""Dataset rows and folders (rows are built by ``extract.row``).

``schema`` (columns, targets, origins), ``rows`` (content ids, path rewriting of code),
``levels`` (verification levels), ``io`` (Parquet/JSONL files; ``ShardWriter`` is the one Parquet
writer), ``folder`` (layout and card), ``run_layout`` (a generate run's ``_run/`` folder),
``shards`` (reading a folder shard by shard), ``writer`` (writing a whole folder atomically),
``workdir`` (its work folders), ``card`` (the card of a curated folder).
"""

from warpsynth.dataset.io import iter_batches, read_rows, write_rows, write_table
from warpsynth.dataset.rows import content_id
from warpsynth.dataset.schema import COLUMNS, SCHEMA, TARGET_COLUMNS

__all__ = ["COLUMNS", "SCHEMA", "TARGET_COLUMNS", "content_id", "iter_batches", "read_rows", "write_rows", "write_table"]

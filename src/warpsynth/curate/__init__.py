"""Curation of dataset folders: validate, dedup, split, decontaminate, report, export.

Every command reads and writes the folder layout of ``warpsynth generate``
(``data/*.parquet`` shards + ``README.md`` card), streams shards batch by
batch, and writes its output atomically (a temporary folder renamed at the end).
"""

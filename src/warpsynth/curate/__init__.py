"""Curation of dataset folders: validate, dedup, split, decontaminate, report, export.

Every command reads and writes the folder layout of ``warpsynth generate``
(``data/*.parquet`` shards + ``README.md`` card), streams shards batch by
batch, and writes its output atomically (a temporary folder renamed at the end). The
shared plumbing lives in ``warpsynth.dataset``: ``shards`` (reading a folder shard by shard),
``writer.DatasetWriter`` (writing one), ``card`` (the curated card); ``curate.text`` says
which text of a row is its Python side.
"""

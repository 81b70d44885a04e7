"""Curation of dataset folders: validate, dedup, split, decontaminate, report, export.

Every command reads and writes the folder layout of ``warpsynth generate``
(``data/*.parquet`` shards + ``README.md`` card), streams shards batch by
batch, and writes its output atomically (a temporary folder renamed at the end). The
shared plumbing lives in ``warpsynth.dataset``: ``shards`` (reading a folder shard by shard),
``writer.DatasetWriter`` (writing one), ``card`` (the curated card).

Modules, one per command and then what they share:

- ``validate`` (with ``layout``, the whole-folder checks), ``dedup``, ``split``,
  ``decontaminate``, ``report``, ``export`` (with ``templates``, its prompts): the commands;
- ``cluster``: exact and near-duplicate clusters (``minhash``: shingles, MinHash, LSH), used by
  dedup and split; ``tokenize``: the code tokenizer they hash; ``text``: which text of a row is
  its Python side; ``licenses``: the license allow-list of export and split.
"""

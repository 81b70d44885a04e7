"""Shared vocabulary has one definition, in the lowest layer that uses it; the others import it."""

from __future__ import annotations

from warpsynth import cli_options
from warpsynth.dataset import folder, io, schema
from warpsynth.extract import kernel, worker
from warpsynth.fem import kernels as fem_kernels
from warpsynth.pipeline import config


def test_targets_are_defined_once():
    assert schema.TARGETS == ("cpu", "cuda")
    assert kernel.TARGETS is schema.TARGETS and config.TARGETS is schema.TARGETS
    assert worker.Settings().targets is schema.TARGETS
    assert tuple(schema.TARGET_COLUMNS) == schema.TARGETS
    assert cli_options.DEFAULT_TARGETS == "cpu,cuda"


def test_formats_origins_and_folder_names_are_defined_once():
    assert config.FORMATS is io.FORMATS
    assert worker.ORIGIN_USER is schema.ORIGIN_EXTRACTED and worker.ORIGIN_WARP is schema.ORIGIN_WARP_LIBRARY
    assert fem_kernels.ORIGIN is schema.ORIGIN_FEM
    assert folder.OWNED_DIRS == (folder.RUN_DIR, folder.CURATE_DIR, folder.REPORT_DIR)

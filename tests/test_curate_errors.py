"""Bad inputs for every curation command: one-line error naming the file, exit 2, no output left."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from test_curate_support import HEADER, KERNELS, all_rows, leftovers, run_cli, truncate, write_dataset
from warpsynth.dataset import folder

COMMANDS = {
    "dedup": lambda d, o, e: ["dedup", str(d), "-o", str(o)],
    "split": lambda d, o, e: ["split", str(d), "-o", str(o)],
    "decontaminate": lambda d, o, e: ["decontaminate", str(d), "--against", str(e), "-o", str(o)],
    "report": lambda d, o, e: ["report", str(d), "-o", str(o)],
    "export": lambda d, o, e: ["export", str(d), "--task", "python-to-cuda", "-o", str(o) + ".jsonl"],
    "validate": lambda d, o, e: ["validate", str(d)],
}


@pytest.fixture(scope="module")
def rows():
    return all_rows()


def _break(kind: str, root, rows):
    shard = folder.shard_path(root, "train", 1, 2)
    if kind == "missing":
        return root.parent / "no-such-folder", "no such dataset folder"
    write_dataset(root, rows, shards=2)
    if kind == "truncated":
        truncate(shard)
        return root, shard.name
    if kind == "wrong-schema":
        table = pq.read_table(shard)
        pq.write_table(table.set_column(table.schema.get_field_index("source_line"), "source_line", pa.array([str(x) for x in table.column("source_line").to_pylist()])), shard)
        return root, shard.name
    if kind == "not-a-dataset":
        (root.parent / "plain").mkdir()
        return root.parent / "plain", "not a warpsynth dataset folder"
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["missing", "truncated", "wrong-schema", "not-a-dataset"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_bad_input(tmp_path, rows, command, kind):
    work = tmp_path / "work"
    work.mkdir()
    ev = tmp_path / "eval.py"
    ev.write_text(HEADER + KERNELS["saxpy"])
    root, needle = _break(kind, work / "ds", rows)
    before = sorted(p.name for p in work.iterdir())
    code, out, err = run_cli(COMMANDS[command](root, work / "out", ev))
    if command == "validate" and kind in ("truncated", "wrong-schema"):
        assert code == 1 and needle in out and "FAILED" in out  # reported in the table, the rest checked
    else:
        assert code == 2, (out, err)
        assert err.startswith("error: ") and err.count("\n") == 1 and needle in err
    assert sorted(p.name for p in work.iterdir()) == before  # no output, no temporary files
    assert leftovers(work) == []

"""Work folders beside an output folder, and swapping a finished folder into place.

A new dataset folder is built in ``.OUT.warpsynth-PID-XXXX.tmp`` beside ``OUT`` and moved into
place only when complete; the folder it replaces goes through ``.OUT.warpsynth-PID-XXXX.old``.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path


#: Work folders beside OUT are named ``.OUT.warpsynth-PID-XXXX.{tmp,old}``: a later run removes
#: those whose process is gone (a killed run's leftovers), never anyone else's.
_WORK_DIR_RE = re.compile(r"^\.(?P<name>.+)\.warpsynth-(?P<pid>\d+)-[^.]+\.(?:tmp|old)$")


def make_work_dir(out: Path, kind: str) -> Path:
    """A new work folder beside ``out``, mode 0777 minus umask like any folder (mkdtemp gives 0700)."""
    path = Path(tempfile.mkdtemp(prefix=f".{out.name}.warpsynth-{os.getpid()}-", suffix=f".{kind}", dir=out.parent))
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o777 & ~mask)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_work_dirs(out: Path) -> list[Path]:
    """Delete work folders of ``out`` left by killed warpsynth runs (their process is gone)."""
    removed = []
    if out.parent.is_dir():
        for path in out.parent.iterdir():
            match = _WORK_DIR_RE.match(path.name)
            if match and match["name"] == out.name and path.is_dir() and not _alive(int(match["pid"])):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def swap_into_place(tmp: Path, out: Path) -> None:
    """Move the finished folder ``tmp`` to ``out``, replacing what is there (restored if the move fails)."""
    if not out.exists():
        os.replace(tmp, out)
        return
    old = make_work_dir(out, "old")
    os.rmdir(old)
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)

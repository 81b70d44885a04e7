"""Row identity: the content id of a dataset row and the path-free text it hashes."""

from __future__ import annotations

import hashlib
import re
from typing import Sequence

from warpsynth.dataset.schema import ID_FIELDS, OPTIONAL_ID_FIELDS


#: File paths Warp writes into generated code: the ``// /abs/file.py:12`` comment above each
#: helper function and debug builds' ``#line 12 "/abs/file.py"`` directives. Groups: the
#: prefix, the folders (absolute, relative or none), the file name, the ``:12`` / ``"`` end.
_PATH_IN_CODE = re.compile(r'^(// |[ \t]*#line \d+ ")([^\n"]*[/\\])?([^/\\\n"]+)(:\d+$|"$)', re.MULTILINE)


def path_free(text: str) -> str:
    """``text`` with the folders of the paths in Warp's file comments and ``#line`` directives
    removed (``// /home/me/proj/a.py:12`` and ``// proj/a.py:12`` -> ``// a.py:12``), so a hash
    of it does not depend on where a file lives."""
    return _PATH_IN_CODE.sub(r"\1\3\4", text)


def relative_code_paths(text: str, roots: Sequence[str]) -> str:
    """``text`` with each absolute path in Warp's file comments and ``#line`` directives written
    relative to the first of ``roots`` (absolute folder paths) that holds it, in POSIX form
    (``// /home/me/proj/code/a.py:12`` with root ``/home/me/proj`` -> ``// code/a.py:12``); a
    path under none of them keeps only its file name. Comments and line markers only: the
    compiled code is the same, and the text no longer depends on where the tree lives."""
    prefixes = [r.rstrip("/\\") + sep for r in roots for sep in ("/", "\\")]

    def relative(m: re.Match) -> str:
        full = (m.group(2) or "") + m.group(3)
        if not (full.startswith("/") or re.match(r"[A-Za-z]:[\\/]", full)):
            return m.group(0)  # already relative, or a pseudo-file such as <warpsynth_src_...>
        for prefix in prefixes:
            if full.startswith(prefix):
                return m.group(1) + full[len(prefix):].replace("\\", "/") + m.group(4)
        return m.group(1) + m.group(3) + m.group(4)

    return _PATH_IN_CODE.sub(relative, text)


def content_id(row: dict) -> str:
    """Hash of the row's Python source and generated code: equal content, equal id.

    sha256 over, for each field of ``ID_FIELDS`` in order, its name then ``\\0`` (null) or
    ``\\1`` + its UTF-8 text with absolute paths in Warp's file comments reduced to the file
    name (:func:`path_free`); then the same for each non-empty ``OPTIONAL_ID_FIELDS`` field.
    First 32 hex digits. The id is the same wherever the code was extracted from.
    """
    h = hashlib.sha256()
    fields = [*ID_FIELDS, *(name for name in OPTIONAL_ID_FIELDS if row.get(name))]
    for name in fields:
        value = row.get(name)
        h.update(name.encode())
        h.update(b"\0" if value is None else b"\1" + path_free(value).encode())
    return h.hexdigest()[:32]

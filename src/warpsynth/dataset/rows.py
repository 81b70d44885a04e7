"""Row identity: the content id of a dataset row and the path-free text it hashes."""

from __future__ import annotations

import hashlib
import re

from warpsynth.dataset.schema import ID_FIELDS, OPTIONAL_ID_FIELDS


#: Absolute file paths Warp writes into generated code: the ``// /abs/file.py:12`` comment
#: above each helper function and debug builds' ``#line 12 "/abs/file.py"`` directives.
_PATH_IN_CODE = re.compile(r'^(// |[ \t]*#line \d+ ")((?:/|[A-Za-z]:[\\/])[^\n"]*?)([^/\\\n"]+)(:\d+$|"$)', re.MULTILINE)


def path_free(text: str) -> str:
    """``text`` with the folders of absolute paths in Warp's file comments and ``#line``
    directives removed (``// /home/me/proj/a.py:12`` -> ``// a.py:12``), so a hash of it
    does not depend on where a checkout lives."""
    return _PATH_IN_CODE.sub(r"\1\3\4", text)


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

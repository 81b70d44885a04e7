"""The license of a project a kernel file belongs to, as an SPDX id (or ``unknown``).

Looked up from the file's folder upwards: the first folder holding ``pyproject.toml``
(``[project] license``), ``setup.cfg`` (``[metadata] license``) or a LICENSE/COPYING file
decides. A LICENSE text is recognised by the opening phrases of the common licenses;
anything else is ``unknown`` (never a guess).
"""

from __future__ import annotations

import configparser
import functools
import re
import tomllib
from pathlib import Path

UNKNOWN = "unknown"
LICENSE_FILES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENSE.rst", "COPYING", "COPYING.txt", "LICENCE")
#: (SPDX id, regex over the first 3,000 characters of a LICENSE file, whitespace collapsed).
_TEXT_PATTERNS = (
    ("Apache-2.0", r"Apache License,? Version 2\.0"),
    ("MIT", r"Permission is hereby granted, free of charge, to any person obtaining a copy"),
    ("BSD-3-Clause", r"Redistribution and use in source and binary forms.*Neither the name"),
    ("BSD-2-Clause", r"Redistribution and use in source and binary forms"),
    ("AGPL-3.0", r"GNU AFFERO GENERAL PUBLIC LICENSE\s+Version 3"),
    ("LGPL-3.0", r"GNU LESSER GENERAL PUBLIC LICENSE\s+Version 3"),
    ("LGPL-2.1", r"GNU LESSER GENERAL PUBLIC LICENSE\s+Version 2\.1"),
    ("GPL-3.0", r"GNU GENERAL PUBLIC LICENSE\s+Version 3"),
    ("GPL-2.0", r"GNU GENERAL PUBLIC LICENSE\s+Version 2"),
    ("MPL-2.0", r"Mozilla Public License,? (Version|v\.?) ?2\.0"),
    ("Unlicense", r"This is free and unencumbered software released into the public domain"),
    ("BSL-1.0", r"Boost Software License - Version 1\.0"),
    ("ISC", r"Permission to use, copy, modify, and(/or)? distribute this software for any purpose"),
)
#: Common free-text names in metadata -> SPDX id.
_ALIASES = {
    "apache 2.0": "Apache-2.0", "apache-2": "Apache-2.0", "apache license 2.0": "Apache-2.0", "apache software license": "Apache-2.0",
    "mit license": "MIT", "bsd": "BSD-3-Clause", "bsd license": "BSD-3-Clause", "gplv3": "GPL-3.0", "gplv2": "GPL-2.0",
}


def spdx_from_text(text: str) -> str:
    """SPDX id of a LICENSE file's text, or ``unknown``."""
    head = " ".join(text[:3000].split())
    for spdx, pattern in _TEXT_PATTERNS:
        if re.search(pattern, head, re.IGNORECASE | re.DOTALL):
            return spdx
    return UNKNOWN


def _normalise(value: str) -> str:
    value = value.strip()
    if not value or "\n" in value or len(value) > 100:  # a pasted license text, not an id
        return spdx_from_text(value) if value else UNKNOWN
    return _ALIASES.get(value.lower(), value)


def _from_pyproject(path: Path) -> str | None:
    try:
        project = tomllib.loads(path.read_text(encoding="utf-8")).get("project") or {}
    except (OSError, ValueError):
        return None
    lic = project.get("license")
    if isinstance(lic, str):
        return _normalise(lic)
    if isinstance(lic, dict):
        if isinstance(lic.get("text"), str):
            return _normalise(lic["text"])
        if isinstance(lic.get("file"), str):
            return _from_license_file(path.parent / lic["file"])
    return None


def _from_setup_cfg(path: Path) -> str | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, configparser.Error):
        return None
    value = parser.get("metadata", "license", fallback=None)
    return _normalise(value) if value else None


def _from_license_file(path: Path) -> str | None:
    try:
        return spdx_from_text(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None


@functools.lru_cache(maxsize=4096)
def license_of_folder(folder: Path) -> str:
    """SPDX id for files in ``folder`` (searching upwards), or ``unknown``."""
    for current in (folder, *folder.parents):
        found = None
        if (current / "pyproject.toml").is_file():
            found = _from_pyproject(current / "pyproject.toml")
        if found is None and (current / "setup.cfg").is_file():
            found = _from_setup_cfg(current / "setup.cfg")
        for name in LICENSE_FILES:
            if found is None and (current / name).is_file():
                found = _from_license_file(current / name)
        if found is not None:
            return found
        if any((current / marker).exists() for marker in ("pyproject.toml", "setup.cfg", "setup.py", ".git")):
            return UNKNOWN  # the project root, and it states no license we recognise
    return UNKNOWN


def warp_license() -> str:
    """License of the installed Warp package (its distribution metadata)."""
    from importlib import metadata

    try:
        meta = metadata.metadata("warp-lang")
    except metadata.PackageNotFoundError:
        return UNKNOWN
    return _normalise(meta.get("License-Expression") or meta.get("License") or "") or UNKNOWN

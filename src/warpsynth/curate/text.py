"""Which text of a row is its Python side (the input of dedup, decontamination, export, report)."""

from __future__ import annotations

import re

_KERNEL_DECORATOR = re.compile(r"^[ \t]*@(?:wp|warp)\.kernel\b", re.MULTILINE)


def python_text(row: dict) -> str:
    """The Python side of a training pair.

    A generated row's ``source`` is a small program defining this one kernel
    (plus its helpers), so the whole program is used. A row extracted from a
    file with several kernels shares that file as ``source`` with its
    siblings; for those only the kernel's own text is this row's.
    """
    source = row.get("source") or ""
    kernel = row.get("kernel_source") or ""
    if source and len(_KERNEL_DECORATOR.findall(source)) <= 1:
        return source
    return kernel or source

"""A small, fast code tokenizer for Python and C++/CUDA text.

Used for token counts in reports, shingles for near-duplicate detection and
n-grams for decontamination. It is deliberately simple (one regular
expression, run in C by ``re``): identifiers, numbers, string literals and
operators are tokens; whitespace and comments are dropped. Multi-character
operators (``::``, ``->``, ``+=``, ``**``...) are single tokens.
"""

from __future__ import annotations

import re

_COMMON = r"""
    (?P<str>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')
  | (?P<num>0[xX][0-9a-fA-F]+[uUlL]*|(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?[fFuUlL]*)
  | (?P<id>[A-Za-z_]\w*)
  | (?P<op>::|->|<<=|>>=|\*\*=|//=|\.\.\.|==|!=|<=|>=|\+=|-=|\*=|/=|%=|&=|\|=|\^=|<<|>>|\*\*|//|&&|\|\||\+\+|--|[^\s\w])
"""

#: Python: ``#`` comments skipped (``//`` is floor division there).
_PYTHON = re.compile(r"(?:\#[^\n]*)|" + _COMMON, re.VERBOSE)
#: C++/CUDA: ``//`` and ``/* */`` comments skipped (``#include`` is two tokens).
_CPP = re.compile(r"(?://[^\n]*|/\*.*?\*/)|" + _COMMON, re.VERBOSE | re.DOTALL)

LANGS = ("python", "cpp")


def _pattern(lang: str) -> re.Pattern:
    if lang == "python":
        return _PYTHON
    if lang in ("cpp", "cuda", "c++"):
        return _CPP
    raise ValueError(f"unknown language {lang!r}; choose from {LANGS}")


def tokenize(text: str, lang: str = "python") -> list[str]:
    """Tokens of ``text`` (``lang`` "python" or "cpp"), comments and whitespace dropped."""
    if not text:
        return []
    return [m.group() for m in _pattern(lang).finditer(text) if m.lastgroup is not None]


def count_tokens(text: str, lang: str = "python") -> int:
    """Number of tokens ``tokenize`` would return, without building the list."""
    if not text:
        return 0
    return sum(1 for m in _pattern(lang).finditer(text) if m.lastgroup is not None)

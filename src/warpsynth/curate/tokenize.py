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
    "(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'
  | 0[xX][0-9a-fA-F]+[uUlL]*|(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?[fFuUlL]*
  | [A-Za-z_]\w*
  | ::|->|<<=|>>=|\*\*=|//=|\.\.\.|==|!=|<=|>=|\+=|-=|\*=|/=|%=|&=|\|=|\^=|<<|>>|\*\*|//|&&|\|\||\+\+|--|[^\s\w]
"""

#: Python: ``#`` comments are matched (then dropped); ``//`` is floor division there.
_PYTHON = re.compile(r"\#[^\n]*|" + _COMMON, re.VERBOSE)
#: C++/CUDA: ``//`` and ``/* */`` comments matched (then dropped); ``#include`` is two tokens.
_CPP = re.compile(r"//[^\n]*|/\*.*?\*/|" + _COMMON, re.VERBOSE | re.DOTALL)

LANGS = ("python", "cpp")


def tokenize(text: str, lang: str = "python") -> list[str]:
    """Tokens of ``text`` (``lang`` "python" or "cpp"), comments and whitespace dropped."""
    if not text:
        return []
    if lang == "python":
        # a token starting with "#" can only be a comment (strings start with a quote)
        return [t for t in _PYTHON.findall(text) if t[0] != "#"]
    if lang in ("cpp", "cuda", "c++"):
        # in C++ "//" and "/*" only start comments
        return [t for t in _CPP.findall(text) if not (t[0] == "/" and len(t) > 1 and t[1] in "/*")]
    raise ValueError(f"unknown language {lang!r}; choose from {LANGS}")


def count_tokens(text: str, lang: str = "python") -> int:
    """Number of tokens ``tokenize`` returns."""
    return len(tokenize(text, lang))

"""Split generated C++/CUDA module bodies into top-level definitions, and batch them.

Several samples are compiled as one translation unit to amortize the compiler
start-up. Two samples can define the same symbol: an identical struct (struct
names carry a hash of their fields), an identical kernel, or a helper whose
name comes from a per-process counter (``helper_0``) with a different body in
each sample. Identical definitions are emitted once; a sample whose helper
clashes with a different one of the same name is compiled in a namespace of its
own (``Batch``); one whose struct, entry point or declaration clashes goes into
another batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_IDENT_BEFORE_PAREN = re.compile(r"([A-Za-z_]\w*)\s*\(")
_STRUCT_NAME = re.compile(r"^(?:template\s*<[^>]*>\s*)?struct\s+([A-Za-z_]\w*)")


class SplitError(ValueError):
    """The text is not a sequence of balanced top-level definitions."""


@dataclass(frozen=True)
class Definition:
    name: str
    text: str  # verbatim, including the comments and blank lines before it
    norm: str  # code with comments removed and whitespace collapsed (what the compiler sees)


#: a comment, a string or character literal, or an unterminated one (a lone quote)
_COMMENT_OR_LITERAL = re.compile(r'//[^\n]*|/\*.*?(?:\*/|\Z)|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|["\']', re.S)
#: what splitting looks at: comments and literals (skipped whole), braces, semicolons, ``#``
_TOKEN = re.compile(_COMMENT_OR_LITERAL.pattern + r"|[{};#]", re.S)


def _strip_comments(text: str) -> str:
    def keep_literal(m: re.Match) -> str:
        s = m.group(0)
        if s[0] == "/":
            return ""
        if len(s) == 1:
            raise SplitError("unterminated literal")
        return s

    return _COMMENT_OR_LITERAL.sub(keep_literal, text)


def _name_of(code: str) -> str:
    code = code.strip()
    if code.startswith("#"):
        return "pp:" + " ".join(code.split())
    if code.endswith(";") and "{" not in code:
        return "decl:" + " ".join(code.split())
    m = _STRUCT_NAME.match(code)
    if m:
        return "struct:" + m.group(1)
    if code.startswith('extern "C"'):
        m = _IDENT_BEFORE_PAREN.search(code)
        return "extern:" + (m.group(1) if m else " ".join(code.split()))
    m = _IDENT_BEFORE_PAREN.search(code)
    if not m:
        raise SplitError(f"cannot name definition starting {code[:60]!r}")
    # functions are keyed by name and parameter list: overloads (e.g. the ``add`` operator
    # each struct defines for its own type) coexist; same signature, other body = clash
    depth, j = 0, m.end() - 1
    while j < len(code):
        depth += {"(": 1, ")": -1}.get(code[j], 0)
        if depth == 0:
            break
        j += 1
    return "func:" + m.group(1) + "(" + ", ".join(_param_types(code[m.end() : j])) + ")"


def _param_types(params: str) -> list[str]:
    """Parameter types of a C++ parameter list (names dropped: they do not make an overload)."""
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(params):
        if ch in "<([":
            depth += 1
        elif ch in ">)]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(params[start:k])
            start = k + 1
    parts.append(params[start:])
    types = []
    for part in parts:
        part = " ".join(part.split("=")[0].split())
        if not part:
            continue
        stripped = re.sub(r"\s*\b[A-Za-z_]\w*$", "", part)
        types.append(stripped if stripped and not stripped.endswith("::") and stripped != "const" else part)
    return types


def split_definitions(text: str) -> list[Definition]:
    """Top-level definitions of a module body, in order; their texts concatenate to ``text``.

    A definition ends at a top-level ``}`` (with an optional ``;`` after it on the same line), a
    top-level ``;``, or the end of a preprocessor line; comments and literals are skipped whole.
    """
    defs: list[Definition] = []
    n, depth, start = len(text), 0, 0

    def close(end: int) -> None:
        nonlocal start
        chunk = text[start:end]
        code = _strip_comments(chunk)
        norm = " ".join(code.split())
        if norm:
            defs.append(Definition(_name_of(code), chunk, norm))
        elif defs:  # trailing whitespace/comments belong to the previous definition
            last = defs[-1]
            defs[-1] = Definition(last.name, last.text + chunk, last.norm)
        else:
            defs.append(Definition("blank", chunk, ""))
        start = end

    i = 0
    while True:
        m = _TOKEN.search(text, i)
        if m is None:
            break
        tok, i = m.group(0), m.end()
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
            if depth < 0:
                raise SplitError("unbalanced '}'")
            if depth == 0:
                j = i
                while j < n and text[j] in " \t":
                    j += 1
                i = j + 1 if j < n and text[j] == ";" else j
                close(i)
        elif tok == ";":
            if depth == 0:
                close(i)
        elif tok == "#":
            if depth == 0 and not text[text.rfind("\n", 0, m.start()) + 1 : m.start()].strip():  # at a line start
                j = text.find("\n", i)
                i = n if j < 0 else j + 1
                close(i)
        elif len(tok) == 1:  # a lone quote: a literal without its end on this line
            raise SplitError("unterminated literal")
    if depth != 0:
        raise SplitError("unbalanced '{'")
    if start < n:
        close(n)
    return defs


@dataclass
class Unit:
    """One sample's code for one target, ready to batch."""

    index: int  # position in the caller's sample list
    body: str
    defs: list[Definition] | None  # None: could not split; compiled alone, verbatim


_IDENT = re.compile(r"[A-Za-z_]\w*")


def _identifier(name: str) -> str | None:
    """The C++ identifier a definition name declares (``func:f(int)`` -> ``f``); None for declarations."""
    kind, _, rest = name.partition(":")
    return rest.split("(", 1)[0] if kind in ("func", "struct", "extern") else None


@dataclass
class Batch:
    """A set of units compiled as one translation unit, and the source body they make.

    A unit whose function clashes with a different one of the same name (per-sample helper
    names such as ``evaluate_0``) is put in a C++ namespace of its own (``namespace wsu_<index>``)
    with every definition of it that is not shared with the batch, plus the shared ones that
    call into it; unqualified lookup from inside the namespace finds its own definitions first,
    and ``extern "C"`` entry points keep their unmangled symbol names.
    """

    units: list[Unit] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # definitions at global scope: name -> norm
    parts: list[str] = field(default_factory=list)
    owners: list[list[int]] = field(default_factory=list)  # per part: indices of the units defining it
    _part_of: dict[str, int] = field(default_factory=dict)
    _c_symbols: set[str] = field(default_factory=set)  # extern "C" names defined inside namespaces

    def _namespaced(self, unit: Unit) -> set[str] | None:
        """Names of ``unit``'s definitions to put in its own namespace: empty when nothing clashes,
        None when it cannot join this batch (a clash on a struct, an entry point or a declaration,
        a preprocessor line, an ``extern "C"`` name defined here already)."""
        defs = unit.defs or []
        if any(d.name.startswith("extern:") and d.name in self._c_symbols for d in defs):
            return None
        clash = {d.name for d in defs if self.names.get(d.name, d.norm) != d.norm}
        if not clash:
            return set()
        if any(not n.startswith("func:") for n in clash) or any(d.name.startswith("pp:") for d in defs):
            return None
        if any(d.name.startswith("extern:") and d.name in self.names for d in defs):
            return None
        inside = {d.name for d in defs if d.name not in self.names} | clash
        moved = True
        while moved:  # a shared definition that refers to one inside must move inside too
            moved = False
            idents = {_identifier(n) for n in inside} - {None}
            for d in defs:
                if d.name not in inside and idents & set(_IDENT.findall(d.norm)):
                    inside.add(d.name)
                    moved = True
        return inside

    def fits(self, unit: Unit) -> bool:
        if unit.defs is None:
            return not self.units
        if any(u.defs is None for u in self.units):
            return False
        return self._namespaced(unit) is not None

    def add(self, unit: Unit) -> None:
        inside = self._namespaced(unit) if unit.defs is not None else set()
        self.units.append(unit)
        if unit.defs is None or inside is None:
            self.parts.append(unit.body)
            self.owners.append([unit.index])
            return
        if inside:
            self.parts.append(f"namespace wsu_{unit.index} {{\n")
            self.owners.append([unit.index])
        for d in unit.defs:
            if d.name in inside:
                self.parts.append(d.text)
                self.owners.append([unit.index])
                if d.name.startswith("extern:"):
                    self._c_symbols.add(d.name)
            elif d.name not in self.names:
                self.names[d.name] = d.norm
                self._part_of[d.name] = len(self.parts)
                self.parts.append(d.text)
                self.owners.append([unit.index])
            elif unit.index not in self.owners[self._part_of[d.name]]:
                self.owners[self._part_of[d.name]].append(unit.index)
        if inside:
            self.parts.append(f"\n}}  // namespace wsu_{unit.index}\n")
            self.owners.append([unit.index])

    def owners_of_lines(self, body_lines: set[int]) -> set[int]:
        """Indices of the units owning the given 1-based lines of ``body``."""
        found: set[int] = set()
        line = 1
        for part, owners in zip(self.parts, self.owners):
            end = line + part.count("\n")
            if any(line <= b <= end for b in body_lines):
                found.update(owners)
            line = end
        return found

    @property
    def body(self) -> str:
        return "".join(self.parts)

    @property
    def indices(self) -> list[int]:
        return [u.index for u in self.units]


def make_unit(index: int, body: str) -> Unit:
    try:
        defs = split_definitions(body)
    except SplitError:
        defs = None
    return Unit(index, body, defs)


def make_batches(units: list[Unit], max_size: int) -> list[Batch]:
    """First-fit packing of units into clash-free batches of at most ``max_size``."""
    batches: list[Batch] = []
    for unit in units:
        for batch in batches:
            if len(batch.units) < max_size and batch.fits(unit):
                batch.add(unit)
                break
        else:
            batch = Batch()
            batch.add(unit)
            batches.append(batch)
    return batches

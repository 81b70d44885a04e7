"""A small type system mirroring Warp's value types, with source rendering.

Each :class:`WType` knows the Warp type object it stands for (``.warp``), how to
write it as an annotation (``.annotation()``) and how many scalar components it
has.  The generator only ever builds expressions of these types, so every
expression it emits has a Warp type it can check against the builtin registry.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import warp as wp

# scalar dtype name -> (warp type, is_float, is_signed, bits)
_SCALARS: dict[str, tuple[Any, bool, bool, int]] = {
    "float16": (wp.float16, True, True, 16),
    "float32": (wp.float32, True, True, 32),
    "float64": (wp.float64, True, True, 64),
    "int8": (wp.int8, False, True, 8),
    "int16": (wp.int16, False, True, 16),
    "int32": (wp.int32, False, True, 32),
    "int64": (wp.int64, False, True, 64),
    "uint8": (wp.uint8, False, False, 8),
    "uint16": (wp.uint16, False, False, 16),
    "uint32": (wp.uint32, False, False, 32),
    "uint64": (wp.uint64, False, False, 64),
    "bool": (wp.bool, False, False, 1),
}

#: scalar dtypes that vector/matrix types are built from here
_VEC_SUFFIX = {"float32": "", "float64": "d", "float16": "h", "int32": "i"}
_MAT_SUFFIX = {"float32": "", "float64": "d"}


def _attr(name: str) -> ast.expr:
    return ast.Attribute(value=ast.Name(id="wp", ctx=ast.Load()), attr=name, ctx=ast.Load())


@dataclass(frozen=True)
class WType:
    """A Warp value type.  ``kind`` is scalar/bool/vec/mat/quat/transform/svec/smat/array/struct."""

    kind: str
    dtype: str = "float32"
    shape: tuple[int, ...] = ()
    name: str = ""  # struct class name
    fields: tuple[tuple[str, "WType"], ...] = field(default=(), compare=True)

    def __eq__(self, other: object) -> bool:
        # the dataclass __eq__ builds two 5-tuples per call; the generator compares types in
        # its inner loops (which variables can stand for a type), mostly unequal ones
        if self is other:
            return True
        if other.__class__ is not WType:
            return NotImplemented
        return (self.kind == other.kind and self.dtype == other.dtype and self.shape == other.shape
                and self.name == other.name and self.fields == other.fields)

    # -- classification -------------------------------------------------
    @property
    def is_scalar(self) -> bool:
        return self.kind == "scalar"

    @property
    def is_float(self) -> bool:
        return self.kind == "scalar" and _SCALARS[self.dtype][1]

    @property
    def is_int(self) -> bool:
        return self.kind == "scalar" and not _SCALARS[self.dtype][1] and self.dtype != "bool"

    @property
    def is_signed(self) -> bool:
        return _SCALARS[self.dtype][2]

    @property
    def bits(self) -> int:
        return _SCALARS[self.dtype][3]

    @property
    def float_based(self) -> bool:
        """Composite or scalar whose components are floating point."""
        return self.kind not in ("array", "struct", "bool") and _SCALARS[self.dtype][1]

    @property
    def ncomp(self) -> int:
        if self.kind in ("scalar", "bool"):
            return 1
        n = 1
        for s in self.shape:
            n *= s
        return n

    @property
    def scalar(self) -> "WType":
        return scalar(self.dtype)

    # -- Warp objects ----------------------------------------------------
    @property
    def warp(self) -> Any:
        return _warp_type(self)

    def type_name(self) -> str:
        """Name of the ``wp`` attribute naming this type (``vec3``, ``mat33d``, ``float32``)."""
        k = self.kind
        if k in ("scalar", "bool"):
            return self.dtype
        if k == "vec":
            return f"vec{self.shape[0]}{_VEC_SUFFIX[self.dtype]}"
        if k == "mat":
            return f"mat{self.shape[0]}{self.shape[1]}{_MAT_SUFFIX[self.dtype]}"
        suffix = _MAT_SUFFIX[self.dtype]
        return {"quat": "quat", "transform": "transform", "svec": "spatial_vector", "smat": "spatial_matrix"}[k] + suffix

    def annotation(self) -> ast.expr:
        """The annotation for a parameter of this type."""
        if self.kind == "array":
            elem = self.fields[0][1]
            kw = [ast.keyword(arg="dtype", value=elem.annotation())]
            ctor = "array" if self.shape[0] == 1 else f"array{self.shape[0]}d"
            return ast.Call(func=_attr(ctor), args=[], keywords=kw)
        if self.kind == "struct":
            return ast.Name(id=self.name, ctx=ast.Load())
        if self.kind == "scalar" and self.dtype == "float32":
            return ast.Name(id="float", ctx=ast.Load())
        if self.kind == "scalar" and self.dtype == "int32":
            return ast.Name(id="int", ctx=ast.Load())
        return _attr(self.type_name())

    def __str__(self) -> str:
        if self.kind == "array":
            return f"array{self.shape[0]}d[{self.fields[0][1]}]"
        if self.kind == "struct":
            return self.name
        return self.type_name()

    @property
    def elem(self) -> "WType":
        """Element type of an array."""
        return self.fields[0][1]


@lru_cache(maxsize=None)
def scalar(dtype: str) -> WType:
    if dtype == "bool":
        return WType("bool", "bool")
    return WType("scalar", dtype)


@lru_cache(maxsize=None)
def vec(n: int, dtype: str = "float32") -> WType:
    return WType("vec", dtype, (n,))


@lru_cache(maxsize=None)
def mat(n: int, dtype: str = "float32") -> WType:
    return WType("mat", dtype, (n, n))


@lru_cache(maxsize=None)
def quat(dtype: str = "float32") -> WType:
    return WType("quat", dtype, (4,))


@lru_cache(maxsize=None)
def transform(dtype: str = "float32") -> WType:
    return WType("transform", dtype, (7,))


@lru_cache(maxsize=None)
def svec(dtype: str = "float32") -> WType:
    return WType("svec", dtype, (6,))


@lru_cache(maxsize=None)
def smat(dtype: str = "float32") -> WType:
    return WType("smat", dtype, (6, 6))


def array(elem: WType, ndim: int) -> WType:
    return WType("array", elem.dtype, (ndim,), fields=(("dtype", elem),))


def struct(name: str, fields: tuple[tuple[str, WType], ...]) -> WType:
    return WType("struct", "", (), name=name, fields=fields)


FLOAT = scalar("float32")
INT = scalar("int32")
BOOL = scalar("bool")
UINT32 = scalar("uint32")

SCALAR_DTYPES = tuple(_SCALARS)
FLOAT_DTYPES = ("float16", "float32", "float64")
INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def all_value_types() -> list[WType]:
    """Every non-array, non-struct type the generator models (fixed order)."""
    out = [scalar(d) for d in SCALAR_DTYPES]
    for d in _VEC_SUFFIX:
        out += [vec(n, d) for n in (2, 3, 4)]
    for d in _MAT_SUFFIX:
        out += [mat(n, d) for n in (2, 3, 4)]
        out += [quat(d), transform(d), svec(d)]
    out.append(smat("float32"))
    return out


@lru_cache(maxsize=None)
def _warp_type(t: WType) -> Any:
    if t.kind in ("scalar", "bool"):
        return _SCALARS[t.dtype][0]
    if t.kind == "array":
        return wp.array(dtype=t.elem.warp, ndim=t.shape[0])
    if t.kind == "struct":
        raise TypeError("struct types have no standalone Warp type here")
    return getattr(wp, t.type_name())


@lru_cache(maxsize=None)
def from_warp(w: Any) -> WType | None:
    """The modeled type for a concrete Warp type, or None if not modeled."""
    for t in all_value_types():
        if wp.types.types_equal(t.warp, w):
            return t
    if w is float:
        return FLOAT
    if w is int:
        return INT
    if w is bool:
        return BOOL
    return None

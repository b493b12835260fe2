# ruff: noqa: UP007, UP045
from collections.abc import Sequence
from typing import Any, Optional, Protocol, SupportsIndex, TypeVar, Union

from .MPI import BottomType, Datatype, InPlaceType

__all__ = [
    "SupportsBuffer",
    "SupportsDLPack",
    "SupportsCAI",
    "Buffer",
    "Bottom",
    "InPlace",
    "Aint",
    "Count",
    "Displ",
    "Offset",
    "TypeSpec",
    "BufSpec",
    "BufSpecB",
    "BufSpecV",
    "BufSpecW",
    "TargetSpec",
]

class SupportsBuffer(Protocol):
    """An object exposing its memory through Python's buffer protocol."""

    def __buffer__(self, flags: int, /) -> memoryview: ...

class SupportsDLPack(Protocol):
    """An object exposing its memory through DLPack."""

    def __dlpack__(self, /, *, stream: Any | None = None) -> object: ...
    def __dlpack_device__(self) -> tuple[int, int]: ...

class SupportsCAI(Protocol):
    """An object exposing its memory through the CUDA array interface."""

    @property
    def __cuda_array_interface__(self) -> dict[str, Any]: ...

Buffer = Union[SupportsBuffer, SupportsDLPack, SupportsCAI]

Bottom = Optional[BottomType]

InPlace = Optional[InPlaceType]

Aint = SupportsIndex

Count = SupportsIndex

Displ = SupportsIndex

Offset = SupportsIndex

TypeSpec = Union[Datatype, str]
"""A datatype, or a format character or NumPy type code naming one (``"d"``, ``"i4"``)."""

BufSpec = Union[
    Buffer,
    tuple[Buffer, Count],
    tuple[Buffer, TypeSpec],
    tuple[Buffer, Count, TypeSpec],
    tuple[Bottom, Count, Datatype],
    list[Any],
]

BufSpecB = Union[
    Buffer,
    tuple[Buffer, Count],
    tuple[Buffer, TypeSpec],
    tuple[Buffer, Count, TypeSpec],
    list[Any],
]

BufSpecV = Union[
    Buffer,
    tuple[Buffer, Sequence[Count]],
    tuple[Buffer, tuple[Sequence[Count], Sequence[Displ]]],
    tuple[Buffer, TypeSpec],
    tuple[Buffer, Sequence[Count], TypeSpec],
    tuple[Buffer, tuple[Sequence[Count], Sequence[Displ]], TypeSpec],
    tuple[Buffer, Sequence[Count], Sequence[Displ], TypeSpec],
    tuple[Bottom, tuple[Sequence[Count], Sequence[Displ]], Datatype],
    tuple[Bottom, Sequence[Count], Sequence[Displ], Datatype],
    list[Any],
]

BufSpecW = Union[
    tuple[Buffer, Sequence[Datatype]],
    tuple[Buffer, tuple[Sequence[Count], Sequence[Aint]], Sequence[Datatype]],
    tuple[Buffer, Sequence[Count], Sequence[Aint], Sequence[Datatype]],
    tuple[Bottom, tuple[Sequence[Count], Sequence[Aint]], Sequence[Datatype]],
    tuple[Bottom, Sequence[Count], Sequence[Aint], Sequence[Datatype]],
    list[Any],
]

TargetSpec = Union[
    Displ,
    tuple[()],
    tuple[Displ],
    tuple[Displ, Count],
    tuple[Displ, Count, TypeSpec],
    list[Any],
]

S = TypeVar("S")
T = TypeVar("T")
U = TypeVar("U")
V = TypeVar("V")

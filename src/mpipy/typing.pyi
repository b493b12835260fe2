from typing import Any, Dict, List, Optional, Protocol, Sequence, SupportsIndex, Tuple, TypeVar, Union

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

    def __dlpack__(self, /, *, stream: Optional[Any] = None) -> object: ...

    def __dlpack_device__(self) -> Tuple[int, int]: ...


class SupportsCAI(Protocol):
    """An object exposing its memory through the CUDA array interface."""

    @property
    def __cuda_array_interface__(self) -> Dict[str, Any]: ...


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
    Tuple[Buffer, Count],
    Tuple[Buffer, TypeSpec],
    Tuple[Buffer, Count, TypeSpec],
    Tuple[Bottom, Count, Datatype],
    List[Any],
]

BufSpecB = Union[
    Buffer,
    Tuple[Buffer, Count],
    Tuple[Buffer, TypeSpec],
    Tuple[Buffer, Count, TypeSpec],
    List[Any],
]

BufSpecV = Union[
    Buffer,
    Tuple[Buffer, Sequence[Count]],
    Tuple[Buffer, Tuple[Sequence[Count], Sequence[Displ]]],
    Tuple[Buffer, TypeSpec],
    Tuple[Buffer, Sequence[Count], TypeSpec],
    Tuple[Buffer, Tuple[Sequence[Count], Sequence[Displ]], TypeSpec],
    Tuple[Buffer, Sequence[Count], Sequence[Displ], TypeSpec],
    Tuple[Bottom, Tuple[Sequence[Count], Sequence[Displ]], Datatype],
    Tuple[Bottom, Sequence[Count], Sequence[Displ], Datatype],
    List[Any],
]

BufSpecW = Union[
    Tuple[Buffer, Sequence[Datatype]],
    Tuple[Buffer, Tuple[Sequence[Count], Sequence[Aint]], Sequence[Datatype]],
    Tuple[Buffer, Sequence[Count], Sequence[Aint], Sequence[Datatype]],
    Tuple[Bottom, Tuple[Sequence[Count], Sequence[Aint]], Sequence[Datatype]],
    Tuple[Bottom, Sequence[Count], Sequence[Aint], Sequence[Datatype]],
    List[Any],
]

TargetSpec = Union[
    Displ,
    Tuple[()],
    Tuple[Displ],
    Tuple[Displ, Count],
    Tuple[Displ, Count, TypeSpec],
    List[Any],
]

S = TypeVar("S")
T = TypeVar("T")
U = TypeVar("U")
V = TypeVar("V")

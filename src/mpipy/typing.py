"""Type hints for the arguments of mpipy's MPI calls (mpi4py's ``mpi4py.typing``).

``Buffer`` is anything that exposes memory: the buffer protocol (``bytearray``,
``array.array``, NumPy arrays, ``MPI.buffer``), DLPack (``__dlpack__``) or the CUDA array
interface. The ``BufSpec*`` aliases are the message forms the calls accept, e.g.
``buf``, ``[buf, MPI.DOUBLE]``, ``[buf, count, "d"]``, ``[MPI.BOTTOM, 1, datatype]``,
and for the vector collectives ``[buf, counts, displs, datatype]`` or
``[buf, (counts, displs), datatype]``; a list stands for any of them.
"""

# Union and Optional: the aliases are evaluated at run time, and X | Y needs Python 3.10.
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

    def __buffer__(self, flags: int, /) -> memoryview:
        """A memoryview of the object's memory (Python 3.12 and later)."""


class SupportsDLPack(Protocol):
    """An object exposing its memory through DLPack."""

    def __dlpack__(self, /, *, stream: Optional[Any] = None) -> object:
        """A DLPack capsule of the object's memory."""

    def __dlpack_device__(self) -> tuple[int, int]:
        """The (device type, device id) the memory is on."""


class SupportsCAI(Protocol):
    """An object exposing its memory through the CUDA array interface."""

    @property
    def __cuda_array_interface__(self) -> dict[str, Any]:
        """The CUDA array interface dictionary."""


Buffer = Union[SupportsBuffer, SupportsDLPack, SupportsCAI]
"""Memory to send from or receive into."""

Bottom = Optional[BottomType]
"""``MPI.BOTTOM`` (or None): addresses relative to absolute zero."""

InPlace = Optional[InPlaceType]
"""``MPI.IN_PLACE`` (or None): a collective's data is already in the receive buffer."""

Aint = SupportsIndex
"""An address or displacement in bytes (``MPI_Aint``)."""

Count = SupportsIndex
"""A number of elements (``MPI_Count``)."""

Displ = SupportsIndex
"""A displacement in elements."""

Offset = SupportsIndex
"""A file offset (``MPI_Offset``)."""

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
"""A message: a buffer, with an element count and/or datatype, or ``BOTTOM``."""

BufSpecB = Union[
    Buffer,
    tuple[Buffer, Count],
    tuple[Buffer, TypeSpec],
    tuple[Buffer, Count, TypeSpec],
    list[Any],
]
"""A message split in equal blocks, one per process (``Scatter``, ``Gather``, ...)."""

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
"""A message in blocks of given counts and displacements (``Scatterv``, ...)."""

BufSpecW = Union[
    tuple[Buffer, Sequence[Datatype]],
    tuple[Buffer, tuple[Sequence[Count], Sequence[Aint]], Sequence[Datatype]],
    tuple[Buffer, Sequence[Count], Sequence[Aint], Sequence[Datatype]],
    tuple[Bottom, tuple[Sequence[Count], Sequence[Aint]], Sequence[Datatype]],
    tuple[Bottom, Sequence[Count], Sequence[Aint], Sequence[Datatype]],
    list[Any],
]
"""A message in blocks of given counts, byte displacements and datatypes
(``Alltoallw``, ...)."""

TargetSpec = Union[
    Displ,
    tuple[()],
    tuple[Displ],
    tuple[Displ, Count],
    tuple[Displ, Count, TypeSpec],
    list[Any],
]
"""Where one-sided operations act in the target's window: a displacement, with a count
and datatype."""

S = TypeVar("S")
T = TypeVar("T")
U = TypeVar("U")
V = TypeVar("V")

from typing import Any

from .. import MPI

__all__ = ["from_numpy_dtype", "to_numpy_dtype"]

def from_numpy_dtype(dtype: Any) -> MPI.Datatype: ...
def to_numpy_dtype(datatype: MPI.Datatype) -> Any: ...

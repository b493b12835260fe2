from typing import Any

from .. import MPI

__all__: list[str]

def from_numpy_dtype(dtype: Any) -> MPI.Datatype: ...
def to_numpy_dtype(datatype: MPI.Datatype) -> Any: ...

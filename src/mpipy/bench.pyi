from collections.abc import Callable, Sequence
from types import ModuleType

from . import MPI as _MPI

PROG: str
LARGE_SIZE: int
HUGE_SIZE: int

def helloworld(
    MPI: ModuleType, args: Sequence[str] | None = None, comm: _MPI.Comm | None = None
) -> None: ...
def ringtest(
    MPI: ModuleType, args: Sequence[str] | None = None, comm: _MPI.Comm | None = None
) -> None: ...
def pingpong(
    MPI: ModuleType, args: Sequence[str] | None = None, comm: _MPI.Comm | None = None
) -> None: ...

COMMANDS: dict[str, Callable[..., object]]

def main(args: Sequence[str] | None = None, mpi: ModuleType | None = None) -> None: ...

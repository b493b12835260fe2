from collections.abc import Sequence
from os import PathLike

from . import MPI as MPI

__version__: str
__author__: str
__credits__: str
__all__ = ["MPI", "rc", "get_include", "get_config", "profile", "install_as_mpi4py"]

class Rc:
    initialize: bool
    threads: bool
    thread_level: str
    finalize: bool | None
    fast_reduce: bool
    recv_mprobe: bool
    irecv_bufsz: int
    errors: str
    wait_policy: str
    def __init__(self, **kwargs: bool | int | str | None) -> None: ...
    def __call__(self, **kwargs: bool | int | str | None) -> None: ...
    def __setattr__(self, name: str, value: bool | int | str | None) -> None: ...

rc: Rc

def get_include() -> str: ...
def get_config() -> dict[str, object]: ...
def profile(
    name: str | bytes | PathLike[str],
    *,
    path: str | bytes | PathLike[str] | Sequence[str | bytes | PathLike[str]] | None = None,
) -> None: ...
def install_as_mpi4py(*, children: bool = True) -> None: ...

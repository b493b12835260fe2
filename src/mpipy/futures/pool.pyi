import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future
from types import TracebackType
from typing import Any, TypeVar

from .. import MPI

if sys.version_info >= (3, 10):
    from typing import ParamSpec, TypeAlias
else:
    from typing_extensions import ParamSpec, TypeAlias
if sys.version_info >= (3, 11):
    from typing import Self
else:
    from typing_extensions import Self

__all__ = [
    "MPIPoolExecutor",
    "MPICommExecutor",
    "ThreadPoolExecutor",
    "ProcessPoolExecutor",
    "get_comm_workers",
]

_T = TypeVar("_T")
_P = ParamSpec("_P")

_InfoSpec: TypeAlias = MPI.Info | Mapping[str, str] | Iterable[tuple[str, str]]

def get_comm_workers() -> MPI.Intracomm: ...

class MPIPoolExecutor(Executor):
    Future: TypeAlias = Future
    def __init__(
        self,
        max_workers: int | None = None,
        initializer: Callable[..., object] | None = None,
        initargs: Iterable[Any] = (),
        *,
        python_exe: str | None = ...,
        python_args: Sequence[str] | None = ...,
        mpi_info: _InfoSpec | None = ...,
        globals: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = ...,  # noqa: A002
        main: bool = True,
        path: Sequence[str] | None = ...,
        wdir: str | None = ...,
        env: Mapping[str, str] | Iterable[tuple[str, str]] | None = ...,
        use_pkl5: bool | None = ...,
        **kwargs: Any,
    ) -> None: ...
    @property
    def num_workers(self) -> int: ...
    def bootup(self, wait: bool = True) -> Self: ...
    def submit(
        self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs
    ) -> Future[_T]: ...
    def map(
        self,
        fn: Callable[..., _T],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int = 1,
        buffersize: int | None = None,
        unordered: bool = False,
    ) -> Iterator[_T]: ...
    def starmap(
        self,
        fn: Callable[..., _T],
        iterable: Iterable[Iterable[Any]],
        timeout: float | None = None,
        chunksize: int = 1,
        buffersize: int | None = None,
        unordered: bool = False,
    ) -> Iterator[_T]: ...
    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None: ...

class ThreadPoolExecutor(MPIPoolExecutor): ...
class ProcessPoolExecutor(MPIPoolExecutor): ...

class _CommBackendExecutor(MPIPoolExecutor):
    def __init__(self, backend: Any, **kwargs: Any) -> None: ...

class MPICommExecutor:
    def __init__(self, comm: MPI.Intracomm | None = None, root: int = 0, **kwargs: Any) -> None: ...
    # The executor at the root, None at the other processes (which serve it meanwhile).
    def __enter__(self) -> MPIPoolExecutor | None: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
        /,
    ) -> bool: ...

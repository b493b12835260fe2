import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from types import TracebackType
from typing import Any, Generic, TypeVar

from .. import futures

if sys.version_info >= (3, 11):
    from typing import Self
else:
    from typing_extensions import Self

__all__ = ["Pool", "ThreadPool", "AsyncResult", "ApplyResult", "MapResult"]

_T = TypeVar("_T")

class Pool:
    Executor: type[futures.MPIPoolExecutor]
    executor: futures.MPIPoolExecutor
    def __init__(
        self,
        processes: int | None = None,
        initializer: Callable[..., object] | None = None,
        initargs: Iterable[Any] = (),
        **kwargs: Any,
    ) -> None: ...
    def apply(
        self,
        func: Callable[..., _T],
        args: Iterable[Any] = (),
        kwds: Mapping[str, Any] = {},  # noqa: B006
    ) -> _T: ...
    def apply_async(
        self,
        func: Callable[..., _T],
        args: Iterable[Any] = (),
        kwds: Mapping[str, Any] = {},  # noqa: B006
        callback: Callable[[_T], object] | None = None,
        error_callback: Callable[[BaseException], object] | None = None,
    ) -> ApplyResult[_T]: ...
    def map(
        self, func: Callable[[Any], _T], iterable: Iterable[Any], chunksize: int | None = None
    ) -> list[_T]: ...
    def map_async(
        self,
        func: Callable[[Any], _T],
        iterable: Iterable[Any],
        chunksize: int | None = None,
        callback: Callable[[list[_T]], object] | None = None,
        error_callback: Callable[[BaseException], object] | None = None,
    ) -> MapResult[_T]: ...
    def imap(
        self, func: Callable[[Any], _T], iterable: Iterable[Any], chunksize: int = 1
    ) -> Iterator[_T]: ...
    def imap_unordered(
        self, func: Callable[[Any], _T], iterable: Iterable[Any], chunksize: int = 1
    ) -> Iterator[_T]: ...
    def starmap(
        self,
        func: Callable[..., _T],
        iterable: Iterable[Iterable[Any]],
        chunksize: int | None = None,
    ) -> list[_T]: ...
    def starmap_async(
        self,
        func: Callable[..., _T],
        iterable: Iterable[Iterable[Any]],
        chunksize: int | None = None,
        callback: Callable[[list[_T]], object] | None = None,
        error_callback: Callable[[BaseException], object] | None = None,
    ) -> MapResult[_T]: ...
    def istarmap(
        self, func: Callable[..., _T], iterable: Iterable[Iterable[Any]], chunksize: int = 1
    ) -> Iterator[_T]: ...
    def istarmap_unordered(
        self, func: Callable[..., _T], iterable: Iterable[Iterable[Any]], chunksize: int = 1
    ) -> Iterator[_T]: ...
    def close(self) -> None: ...
    def terminate(self) -> None: ...
    def join(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
        /,
    ) -> None: ...

class ThreadPool(Pool):
    Executor: type[futures.ThreadPoolExecutor]

class AsyncResult(Generic[_T]):
    future: Future[_T]
    def __init__(
        self,
        future: Future[_T],
        callback: Callable[[_T], object] | None = None,
        error_callback: Callable[[BaseException], object] | None = None,
    ) -> None: ...
    def get(self, timeout: float | None = None) -> _T: ...
    def wait(self, timeout: float | None = None) -> None: ...
    def ready(self) -> bool: ...
    def successful(self) -> bool: ...

class ApplyResult(AsyncResult[_T]): ...

# A map's result is the list of its calls' results.
class MapResult(AsyncResult[list[_T]]): ...

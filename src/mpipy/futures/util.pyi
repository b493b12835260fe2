from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import TypeVar, overload

__all__ = ["collect", "compose"]

_T = TypeVar("_T")
_R = TypeVar("_R")
_E = TypeVar("_E")

# The output future is of the input's type; a plain Future for an empty collection.
def collect(fs: Iterable[Future[_T]]) -> Future[list[_T]]: ...

# An exception hook's value is the output's result unless it is an exception, which the
# output fails with: hence the BaseException in its return type, absent from the output's.
@overload
def compose(future: Future[_T], resulthook: None = None, excepthook: None = None) -> Future[_T]: ...
@overload
def compose(
    future: Future[_T], resulthook: Callable[[_T], _R], excepthook: None = None
) -> Future[_R]: ...
@overload
def compose(
    future: Future[_T],
    resulthook: None = None,
    *,
    excepthook: Callable[[BaseException], BaseException | _E],
) -> Future[_T | _E]: ...
@overload
def compose(
    future: Future[_T],
    resulthook: Callable[[_T], _R],
    excepthook: Callable[[BaseException], BaseException | _E],
) -> Future[_R | _E]: ...

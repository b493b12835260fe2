from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar, overload

_T = TypeVar("_T")
_R = TypeVar("_R")
_E = TypeVar("_E")

# A callback may return a future, whose outcome (recursively) becomes the output's; an
# on_failure that returns an exception fails the output with it.
class ThenableFuture(Future[_T]):
    @overload
    def then(self, on_success: None = None, on_failure: None = None) -> ThenableFuture[_T]: ...
    @overload
    def then(
        self, on_success: Callable[[_T], _R | Future[_R]], on_failure: None = None
    ) -> ThenableFuture[_R]: ...
    @overload
    def then(
        self,
        on_success: None = None,
        *,
        on_failure: Callable[[BaseException], BaseException | _E | Future[_E]],
    ) -> ThenableFuture[_T | _E]: ...
    @overload
    def then(
        self,
        on_success: Callable[[_T], _R | Future[_R]],
        on_failure: Callable[[BaseException], BaseException | _E | Future[_E]],
    ) -> ThenableFuture[_R | _E]: ...
    @overload
    def catch(self, on_failure: None = None) -> ThenableFuture[_T | None]: ...
    @overload
    def catch(
        self, on_failure: Callable[[BaseException], BaseException | _E | Future[_E]]
    ) -> ThenableFuture[_T | _E]: ...

# The output future is of the input's type.
@overload
def then(future: Future[_T], on_success: None = None, on_failure: None = None) -> Future[_T]: ...
@overload
def then(
    future: Future[_T], on_success: Callable[[_T], _R | Future[_R]], on_failure: None = None
) -> Future[_R]: ...
@overload
def then(
    future: Future[_T],
    on_success: None = None,
    *,
    on_failure: Callable[[BaseException], BaseException | _E | Future[_E]],
) -> Future[_T | _E]: ...
@overload
def then(
    future: Future[_T],
    on_success: Callable[[_T], _R | Future[_R]],
    on_failure: Callable[[BaseException], BaseException | _E | Future[_E]],
) -> Future[_R | _E]: ...

# Without on_failure, a failure is ignored: the output's result is then None.
@overload
def catch(future: Future[_T], on_failure: None = None) -> Future[_T | None]: ...
@overload
def catch(
    future: Future[_T], on_failure: Callable[[BaseException], BaseException | _E | Future[_E]]
) -> Future[_T | _E]: ...

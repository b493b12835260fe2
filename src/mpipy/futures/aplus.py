"""Support for Future chaining: ``then``/``catch``, in the manner of JavaScript promises
(Promises/A+), and ``ThenableFuture``, a Future with those two as methods."""

from concurrent.futures import Future

from ._core import cancel_now


class ThenableFuture(Future):
    """*Thenable* `Future` subclass."""

    def then(self, on_success=None, on_failure=None):
        """Return ``then(self, on_success, on_failure)``."""
        return then(self, on_success, on_failure)

    def catch(self, on_failure=None):
        """Return ``catch(self, on_failure)``."""
        return catch(self, on_failure)


def _resolve(output, value, seen=()):
    """Complete output with value; a future value is waited for (chained), recursively.
    A chain that comes back to a future already in it fails with RuntimeError."""
    if output.done():
        return
    if isinstance(value, Future):
        if value is output or value in seen:
            output.set_exception(RuntimeError("chain cycle detected"))
            return
        seen = (*seen, value)

        def chained(inner):
            if output.done():
                return
            if inner.cancelled():
                cancel_now(output)
            elif inner.exception() is not None:
                output.set_exception(inner.exception())
            else:
                _resolve(output, inner.result(), seen)

        value.add_done_callback(chained)
        return
    output.set_result(value)


def then(future, on_success=None, on_failure=None):
    """JavaScript-like (`Promises/A+`_) support for Future chaining.

    Args:
        future: Input future instance.
        on_success: Called with the input future's result when it succeeds. If it returns
            a `Future`, that future is chained to the output future (its outcome becomes
            the output's, recursively); otherwise what it returns is the output future's
            result. ``None``: the output future gets the input's result.
        on_failure: Called with the input future's exception when it fails. If it returns
            a `Future`, that future is chained to the output future; if it returns an
            `Exception` instance, the output future fails with it; otherwise what it
            returns is the output future's result. ``None``: the output future fails with
            the input's exception.

    Returns:
        An output future (of the input's type) completed once the input future is
        completed and the callback has run. A callback that raises fails the output
        future with that exception; a cancelled input cancels the output.

    .. _Promises/A+: https://promisesaplus.com/
    """
    output = type(future)()

    def on_done(fut):
        if fut.cancelled():
            cancel_now(output)
            return
        exc = fut.exception()
        try:
            if exc is None:
                value = fut.result()
                if on_success is not None:
                    value = on_success(value)
                _resolve(output, value)
            elif on_failure is None:
                output.set_exception(exc)
            else:
                value = on_failure(exc)
                if isinstance(value, BaseException):
                    output.set_exception(value)
                else:
                    _resolve(output, value)
        except BaseException as error:  # noqa: BLE001 - a callback's error fails the output
            if not output.done():
                output.set_exception(error)

    future.add_done_callback(on_done)
    return output


def catch(future, on_failure=None):
    """Close equivalent to ``then(future, None, on_failure)``.

    Args:
        future: Input future instance.
        on_failure: Called with the input future's exception when it fails; as for
            `then`. ``None`` here ignores the failure: the output future's result is
            ``None``.

    Returns:
        Output future instance to be completed once the input future is completed and
        *on_failure* completes.
    """
    if on_failure is None:
        return then(future, None, _ignore)
    return then(future, None, on_failure)


def _ignore(exc):
    return None

"""Utilities for futures: ``collect`` (many futures into one) and ``compose`` (a future
transformed by result and exception hooks)."""

import threading
from concurrent.futures import Future

from ._core import cancel_now, start_running

__all__ = ["collect", "compose"]


def _settle(output, compute):
    """Complete output with compute()'s value or exception, unless it was cancelled."""
    if not start_running(output):
        return
    try:
        value = compute()
    except BaseException as exc:  # noqa: BLE001 - a hook's exception goes to the future
        output.set_exception(exc)
    else:
        output.set_result(value)


def collect(fs):
    """Gather a collection of futures in a new future.

    Args:
        fs: Collection of futures.

    Returns:
        A new future (of the type of the first of *fs*) whose result is the list of the
        results of *fs*, in order. It fails with the exception of the first of *fs* to
        fail, and is cancelled if one of them is cancelled; then, as when it is cancelled
        itself, those of *fs* still pending are cancelled.
    """
    fs = list(fs)
    output = type(fs[0])() if fs else Future()
    if not fs:
        _settle(output, list)
        return output
    lock = threading.Lock()
    state = {"remaining": len({id(f) for f in fs}), "seen": set(), "settled": False}

    def on_output_done(out):
        if out.cancelled():
            for future in fs:
                cancel_now(future)

    def on_input_done(future):
        with lock:
            if state["settled"] or id(future) in state["seen"]:
                return
            state["seen"].add(id(future))
            state["remaining"] -= 1
            settle = future.cancelled() or future.exception() is not None
            settle = settle or state["remaining"] == 0
            state["settled"] = settle
        if not settle:
            return
        if future.cancelled():
            cancel_now(output)
            for other in fs:
                cancel_now(other)
        elif future.exception() is not None:
            exc = future.exception()
            for other in fs:
                cancel_now(other)

            def raise_it():
                raise exc

            _settle(output, raise_it)
        else:
            _settle(output, lambda: [f.result() for f in fs])

    output.add_done_callback(on_output_done)
    for future in fs:
        future.add_done_callback(on_input_done)
    return output


def compose(future, resulthook=None, excepthook=None):
    """Compose the completion of a future with result and exception handlers.

    Args:
        future: Input future instance.
        resulthook: Called with the input future's result when it succeeds; what it
            returns is the result of the output future. ``None``: the output future gets
            the input's result.
        excepthook: Called with the input future's exception when it fails; if it returns
            an `Exception` instance, the output future fails with it, otherwise what it
            returns is the output future's result. ``None``: the output future fails with
            the input's exception.

    Returns:
        The output future, completed once the input future is completed and the hook has
        run. A hook that raises fails the output future with that exception. Cancelling
        the output future cancels the input one, and the other way round. The output
        future is of the input's type.
    """
    output = type(future)()

    def on_output_done(out):
        if out.cancelled():
            cancel_now(future)

    def on_input_done(fut):
        if fut.cancelled():
            cancel_now(output)
            return
        exc = fut.exception()
        if exc is None:
            value = fut.result()
            _settle(output, (lambda: resulthook(value)) if resulthook else (lambda: value))
            return

        def handle():
            if excepthook is None:
                raise exc
            outcome = excepthook(exc)
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome

        _settle(output, handle)

    output.add_done_callback(on_output_done)
    future.add_done_callback(on_input_done)
    return output

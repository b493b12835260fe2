"""`multiprocessing.pool` interface via `mpipy.futures`.

``Pool`` runs its tasks in MPI processes (an `MPIPoolExecutor`), ``ThreadPool`` in
threads; their results are `AsyncResult` objects wrapping the executor's futures.
"""

import itertools
import warnings

from .. import futures

__all__ = [
    "Pool",
    "ThreadPool",
    "AsyncResult",
    "ApplyResult",
    "MapResult",
]


def _run_chunk(func, chunk):
    return [func(*args) for args in chunk]


def _flatten(lists):
    return list(itertools.chain.from_iterable(lists))


class Pool:
    """Pool using MPI processes as workers."""

    Executor = futures.MPIPoolExecutor

    def __init__(self, processes=None, initializer=None, initargs=(), **kwargs):
        """Initialize a new Pool instance.

        Args:
            processes: Number of worker processes.
            initializer: A callable used to initialize worker processes.
            initargs: A tuple of arguments to pass to the initializer.

        .. note::

           Additional keyword arguments are passed down to the `MPIPoolExecutor`
           constructor.

        .. warning::

           The *maxtasksperchild* and *context* arguments of `multiprocessing.pool.Pool`
           are not supported. Specifying *maxtasksperchild* or *context* with a value
           other than `None` will issue a warning of category `UserWarning`.
        """
        for name in ("maxtasksperchild", "context"):
            if kwargs.pop(name, None) is not None:
                warnings.warn(f"argument {name!r} is not supported", UserWarning, stacklevel=2)
        self.executor = self.Executor(
            processes, initializer=initializer, initargs=initargs, **kwargs
        )

    def apply(self, func, args=(), kwds={}):  # noqa: B006 - multiprocessing's signature
        """Call *func* with arguments *args* and keyword arguments *kwds*.

        Equivalent to ``func(*args, **kwds)``.
        """
        return self.apply_async(func, args, kwds).get()

    def apply_async(
        self,
        func,
        args=(),
        kwds={},  # noqa: B006 - multiprocessing's signature
        callback=None,
        error_callback=None,
    ):
        """Asynchronous version of `apply()` returning `ApplyResult`."""
        future = self.executor.submit(func, *args, **kwds)
        return ApplyResult(future, callback, error_callback)

    def map(self, func, iterable, chunksize=None):
        """Apply *func* to each element in *iterable*.

        Equivalent to ``list(map(func, iterable))``.

        Block until all results are ready and return them in a `list`.

        The *iterable* is chopped into a number of chunks which are submitted as separate
        tasks. The (approximate) size of these chunks can be specified by setting
        *chunksize* to a positive integer.

        Consider using `imap()` or `imap_unordered()` with explicit *chunksize* for
        better efficiency.
        """
        return self.map_async(func, iterable, chunksize).get()

    def map_async(self, func, iterable, chunksize=None, callback=None, error_callback=None):
        """Asynchronous version of `map()` returning `MapResult`."""
        return self._chunked(
            func, ((item,) for item in iterable), chunksize, callback, error_callback
        )

    def imap(self, func, iterable, chunksize=1):
        """Like `map()` but return an `iterator`.

        Equivalent to ``map(func, iterable)``.
        """
        return self.executor.map(func, iterable, chunksize=chunksize)

    def imap_unordered(self, func, iterable, chunksize=1):
        """Like `imap()` but ordering of results is arbitrary."""
        return self.executor.map(func, iterable, chunksize=chunksize, unordered=True)

    def starmap(self, func, iterable, chunksize=None):
        """Apply *func* to each argument tuple in *iterable*.

        Equivalent to ``list(itertools.starmap(func, iterable))``.

        Block until all results are ready and return them in a `list`.

        The *iterable* is chopped into a number of chunks which are submitted as separate
        tasks. The (approximate) size of these chunks can be specified by setting
        *chunksize* to a positive integer.

        Consider using `istarmap()` or `istarmap_unordered()` with explicit *chunksize*
        for better efficiency.
        """
        return self.starmap_async(func, iterable, chunksize).get()

    def starmap_async(self, func, iterable, chunksize=None, callback=None, error_callback=None):
        """Asynchronous version of `starmap()` returning `MapResult`."""
        return self._chunked(func, iterable, chunksize, callback, error_callback)

    def istarmap(self, func, iterable, chunksize=1):
        """Like `starmap()` but return an `iterator`.

        Equivalent to ``itertools.starmap(func, iterable)``.
        """
        return self.executor.starmap(func, iterable, chunksize=chunksize)

    def istarmap_unordered(self, func, iterable, chunksize=1):
        """Like `istarmap()` but ordering of results is arbitrary."""
        return self.executor.starmap(func, iterable, chunksize=chunksize, unordered=True)

    def close(self):
        """Prevent any more tasks from being submitted to the pool."""
        self.executor.shutdown(wait=False)

    def terminate(self):
        """Stop the worker processes without completing pending tasks."""
        self.executor.shutdown(wait=False, cancel_futures=True)

    def join(self):
        """Wait for the worker processes to exit."""
        self.executor.shutdown(wait=True)

    def __enter__(self):
        """Return pool."""
        return self

    def __exit__(self, *args):
        """Close pool."""
        self.close()

    def _chunked(self, func, iterable, chunksize, callback, error_callback):
        """Submit the argument tuples of iterable in chunks; one MapResult for all."""
        items = [tuple(args) for args in iterable]
        if chunksize is None:
            workers = getattr(self.executor, "num_workers", None)
            workers = workers or getattr(self.executor, "_max_workers", None) or 1
            chunksize, extra = divmod(len(items), workers * 4)
            chunksize += 1 if extra else 0
        chunksize = max(int(chunksize), 1)
        parts = [
            self.executor.submit(_run_chunk, func, items[i : i + chunksize])
            for i in range(0, len(items), chunksize)
        ]
        future = futures.compose(futures.collect(parts), _flatten)
        return MapResult(future, callback, error_callback)


class ThreadPool(Pool):
    """Pool using threads as workers."""

    Executor = futures.ThreadPoolExecutor


class AsyncResult:
    """Asynchronous result."""

    def __init__(self, future, callback=None, error_callback=None):
        """Wrap a future object and register callbacks."""
        self.future = future
        if callback is not None or error_callback is not None:

            def on_done(fut):
                if fut.cancelled():
                    return
                exc = fut.exception()
                if exc is None:
                    if callback is not None:
                        callback(fut.result())
                elif error_callback is not None:
                    error_callback(exc)

            future.add_done_callback(on_done)

    def get(self, timeout=None):
        """Return the result when it arrives.

        If *timeout* is not `None` and the result does not arrive within *timeout*
        seconds then raise `TimeoutError`.

        If the remote call raised an exception then that exception will be reraised. A
        call that never ran (the pool was terminated first) never delivers a result: its
        `get` raises `TimeoutError` too, as the ``multiprocessing`` one would wait in vain.
        """
        try:
            return self.future.result(timeout)
        except (futures.TimeoutError, futures.CancelledError):
            raise TimeoutError from None

    def wait(self, timeout=None):
        """Wait until the result is available or *timeout* seconds pass."""
        futures.wait([self.future], timeout)

    def ready(self):
        """Return whether the call has completed."""
        return self.future.done()

    def successful(self):
        """Return whether the call completed without raising an exception.

        If the result is not ready then raise `ValueError`.
        """
        if not self.future.done():
            raise ValueError(f"{self!r} not ready")
        return not self.future.cancelled() and self.future.exception() is None


class ApplyResult(AsyncResult):
    """Result type of `apply_async()`."""


class MapResult(AsyncResult):
    """Result type of `map_async()` and `starmap_async()`."""

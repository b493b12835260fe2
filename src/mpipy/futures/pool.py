"""The executors: ``MPIPoolExecutor`` (workers spawned, or the other ranks of ``python -m
mpipy.futures``), ``MPICommExecutor`` (the other ranks of a communicator), and the
``ThreadPoolExecutor``/``ProcessPoolExecutor`` variants."""

import collections
import itertools
import sys
import threading
import time
import weakref
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    Executor,
    Future,
)
from concurrent.futures import (
    wait as wait_futures,
)

from . import _core

__all__ = [
    "MPIPoolExecutor",
    "MPICommExecutor",
    "ThreadPoolExecutor",
    "ProcessPoolExecutor",
    "get_comm_workers",
]


def get_comm_workers():
    """Access an intracommunicator grouping MPI worker processes.

    Only inside a worker process (in a task or an initializer); elsewhere it raises
    `RuntimeError`.
    """
    return _core.get_comm_workers()


def _run_chunk(fn, chunk):
    return [fn(*args) for args in chunk]


def _remaining(deadline):
    return None if deadline is None else max(deadline - time.monotonic(), 0.0)


class MPIPoolExecutor(Executor):
    """MPI-based asynchronous executor."""

    Future = Future

    def __init__(self, max_workers=None, initializer=None, initargs=(), **kwargs):
        """Initialize a new MPIPoolExecutor instance.

        Args:
            max_workers: The maximum number of MPI processes that can be used to execute
                the given calls. If ``None`` or not given, the environment variable
                ``MPIPY_FUTURES_MAX_WORKERS`` (or ``MPI4PY_FUTURES_MAX_WORKERS``) says, else
                the MPI universe size attribute if defined (what it leaves beside
                ``COMM_WORLD``), otherwise a single worker process is spawned.
            initializer: A callable used to initialize worker processes.
            initargs: A tuple of arguments to pass to the initializer.

        Keyword Args:
            python_exe: Path to Python executable used to spawn workers.
            python_args: Command line arguments to pass to Python executable.
            mpi_info: Mapping or iterable with ``(key, value)`` pairs.
            globals: Mapping with global variables to set in workers.
            main: If ``False``, do not import ``__main__`` in workers.
            path: List of paths to append to ``sys.path`` in workers.
            wdir: Path to set current working directory in workers.
            env: Environment variables to update ``os.environ`` in workers.
            use_pkl5: If ``True``, use out-of-band pickle for communication.
        """
        if max_workers is not None:
            max_workers = int(max_workers)
            if max_workers <= 0:
                raise ValueError("max_workers must be greater than 0")
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        self._options = dict(kwargs, initializer=initializer, initargs=tuple(initargs))
        if self._uses_shared_pool():
            max_workers = _core.SharedPool.nworkers
        elif max_workers is None:
            max_workers = _core.max_workers_default()
        self._max_workers = max_workers
        self._lock = threading.Lock()
        self._shutdown = False
        self._pool = None
        self._state = None

    def _uses_shared_pool(self):
        return (
            _core.SharedPool is not None
            and type(self)._make_backend is MPIPoolExecutor._make_backend
        )

    # -- the backend --
    def _make_backend(self):
        """The backend serving this executor (created on first use)."""
        if _core.SharedPool is not None:
            return _core.SharedPool
        return self._spawn_backend()

    def _spawn_backend(self):
        n = self._max_workers
        options = self._options
        use_pkl5 = options.get("use_pkl5")
        if use_pkl5 is None:
            use_pkl5 = _core.getenv_bool("USE_PKL5")
        connect = _core.spawner(
            n, options.get("python_exe"), options.get("python_args"), options.get("mpi_info")
        )
        return _core.MPIBackend(n, connect, _core.disconnect, bool(use_pkl5))

    def _wire_options(self):
        """The setup sent to each worker: plain options, and the pickled rest."""
        from .. import MPI

        options = self._options
        plain = {
            "main": _core.describe_main() if options.get("main", True) else None,
            "path": list(options.get("path") or sys.path),
            "wdir": options.get("wdir"),
            "env": dict(options.get("env") or {}),
        }
        payload = MPI.pickle.dumps(
            (dict(options.get("globals") or {}), options["initializer"], options["initargs"])
        )
        return plain, payload

    def _ensure(self):
        """Backend and state, created under the lock."""
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot submit after shutdown")
            if self._pool is None:
                backend = self._make_backend()
                options = dict(self._options)
                if isinstance(backend, _core.MPIBackend):
                    options["wire"] = self._wire_options()
                self._state = _core.ExecState(options)
                if backend.shared:
                    backend = _core.SharedView(backend, self._state)
                self._pool = backend
                weakref.finalize(self, backend.stop, False)
            return self._pool, self._state

    @property
    def num_workers(self):
        """Number of worker processes (0 once shut down, or broken)."""
        state = self._state
        if state is not None and state.broken is not None:
            return 0
        return self._max_workers

    def bootup(self, wait=True):
        """Allocate executor resources eagerly.

        Args:
            wait: If ``True`` then bootup will not return until the executor resources
                are ready to process submissions.

        Returns:
            The executor itself.
        """
        backend, _ = self._ensure()
        backend.start()
        if wait:
            backend.wait_ready()
            if backend.broken is not None:
                raise BrokenExecutor(backend.broken)
        return self

    def submit(self, fn, /, *args, **kwargs):
        """Submit a callable to be executed with the given arguments.

        Schedule the callable to be executed as ``fn(*args, **kwargs)`` and return a
        `Future` instance representing the execution of the callable.

        Returns:
            A `Future` representing the given call.
        """
        backend, state = self._ensure()
        if state.broken is not None:
            raise BrokenExecutor(state.broken)
        future = self.Future()
        state.track(future)
        backend.push((state, future, fn, args, kwargs))
        return future

    def map(self, fn, *iterables, timeout=None, chunksize=1, buffersize=None, unordered=False):
        """Return an iterator equivalent to ``map(fn, *iterables)``.

        Args:
            fn: A callable that will take as many arguments as there are passed
                iterables.
            iterables: Iterables yielding positional arguments to be passed to the
                callable.
            timeout: The maximum number of seconds to wait. If ``None``, then there is
                no limit on the wait time.
            chunksize: The size of the chunks the iterable will be broken into before
                being passed to a worker process.
            buffersize: If not ``None``, limit the number of submitted tasks whose
                results have not yet been yielded (not with ``unordered``).
            unordered: If ``True``, yield results out-of-order, as completed.

        Returns:
            An iterator equivalent to built-in ``map(func, *iterables)`` but the calls
            may be evaluated out-of-order.

        Raises:
            TimeoutError: If the entire result iterator could not be generated before
                the given timeout.
            Exception: If ``fn(*args)`` raises for any values.
        """
        return self.starmap(
            fn,
            zip(*iterables),
            timeout=timeout,
            chunksize=chunksize,
            buffersize=buffersize,
            unordered=unordered,
        )

    def starmap(self, fn, iterable, timeout=None, chunksize=1, buffersize=None, unordered=False):
        """Return an iterator equivalent to ``itertools.starmap(...)``.

        Args:
            fn: A callable that will take positional argument from iterable.
            iterable: An iterable yielding ``args`` tuples to be used as positional
                arguments to call ``fn(*args)``.
            timeout: The maximum number of seconds to wait. If ``None``, then there is
                no limit on the wait time.
            chunksize: The size of the chunks the iterable will be broken into before
                being passed to a worker process.
            buffersize: If not ``None``, limit the number of submitted tasks whose
                results have not yet been yielded (not with ``unordered``).
            unordered: If ``True``, yield results out-of-order, as completed.

        Returns:
            An iterator equivalent to ``itertools.starmap(fn, iterable)`` but the calls
            may be evaluated out-of-order.

        Raises:
            TimeoutError: If the entire result iterator could not be generated before
                the given timeout.
            Exception: If ``fn(*args)`` raises for any values.
        """
        if chunksize < 1:
            raise ValueError("chunksize must be >= 1.")
        if buffersize is not None:
            if not isinstance(buffersize, int):
                raise TypeError("buffersize must be an integer or None")
            if buffersize < 1:
                raise ValueError("buffersize must be None or > 0")
            if unordered:
                raise ValueError("buffersize is not supported with unordered=True")
        deadline = None if timeout is None else time.monotonic() + timeout
        iterator = iter(iterable)
        if chunksize == 1:
            tasks = ((fn, args) for args in iterator)
        else:
            chunks = iter(lambda: list(itertools.islice(iterator, chunksize)), [])
            tasks = ((_run_chunk, (fn, chunk)) for chunk in chunks)

        pending = collections.deque()

        def submit_more():
            while buffersize is None or len(pending) < buffersize:
                task = next(tasks, None)
                if task is None:
                    return
                pending.append(self.submit(task[0], *task[1]))

        submit_more()
        return self._results(pending, submit_more, chunksize != 1, deadline, unordered)

    @staticmethod
    def _results(pending, submit_more, chunked, deadline, unordered):
        try:
            while pending:
                if unordered:
                    done, _ = wait_futures(
                        pending, timeout=_remaining(deadline), return_when=FIRST_COMPLETED
                    )
                    if not done:
                        raise TimeoutError
                    future = next(f for f in pending if f in done)
                    pending.remove(future)
                else:
                    future = pending.popleft()
                value = future.result(timeout=_remaining(deadline))
                submit_more()
                if chunked:
                    yield from value
                else:
                    yield value
        finally:
            for future in pending:
                _core.cancel_now(future)

    def shutdown(self, wait=True, *, cancel_futures=False):
        """Clean-up the resources associated with the executor.

        It is safe to call this method several times. Otherwise, no other methods can be
        called after this one.

        Args:
            wait: If ``True`` then shutdown will not return until all running futures
                have finished executing and the resources used by the executor have
                been reclaimed.
            cancel_futures: If ``True`` then shutdown will cancel all pending futures.
                Futures that are completed or running will not be cancelled.
        """
        with self._lock:
            self._shutdown = True
            self._max_workers = 0
            backend, state = self._pool, self._state
        if backend is None:
            return
        if cancel_futures:
            backend.cancel(state)
        backend.stop(wait=wait)
        if wait:
            with self._lock:
                self._pool = None


class ThreadPoolExecutor(MPIPoolExecutor):
    """`MPIPoolExecutor` subclass using a pool of threads."""

    def _make_backend(self):
        return _core.ThreadBackend(self._max_workers)


class ProcessPoolExecutor(MPIPoolExecutor):
    """`MPIPoolExecutor` subclass using a pool of processes."""

    def _make_backend(self):
        return self._spawn_backend()


class _CommBackendExecutor(MPIPoolExecutor):
    """The root's executor of an MPICommExecutor: its backend is given."""

    def __init__(self, backend, **kwargs):
        super().__init__(max_workers=backend.nworkers, **kwargs)
        self._given = backend

    def _make_backend(self):
        return self._given


class MPICommExecutor:
    """Context manager for `MPIPoolExecutor`.

    This context manager splits a MPI (intra)communicator in two disjoint sets: a single
    master process and the remaining worker processes. These sets are then connected
    through an intercommunicator. The target of the ``with`` statement is assigned either
    an `MPIPoolExecutor` instance (at the master) or ``None`` (at the workers).

    Example::

        with MPICommExecutor(MPI.COMM_WORLD, root=0) as executor:
            if executor is not None:  # master process
                executor.submit(...)
                executor.map(...)
    """

    def __init__(self, comm=None, root=0, **kwargs):
        """Initialize a new MPICommExecutor instance.

        Args:
            comm: MPI (intra)communicator.
            root: Designated master process.

        Raises:
            ValueError: If the communicator has wrong kind or the root value is not in
               the expected range.
        """
        from .. import MPI

        if comm is None:
            comm = MPI.COMM_WORLD
        if comm == MPI.COMM_NULL or comm.Is_inter():
            raise ValueError("expecting an intracommunicator")
        if root < 0 or root >= comm.Get_size():
            raise ValueError("expecting root in range(comm.size)")
        self._comm = comm
        self._root = root
        self._options = kwargs
        self._executor = None
        self._comms = ()

    def __enter__(self):
        """Return `MPIPoolExecutor` instance at the root."""
        if self._executor is not None or self._comms:
            raise RuntimeError("MPICommExecutor is already in use")
        comm, root = self._comm, self._root
        options = self._options
        if comm.Get_size() == 1:
            backend = _core.ThreadBackend(1)
            self._executor = _CommBackendExecutor(backend, **options)
            return self._executor
        if _core.SharedPool is not None:
            # under python -m mpipy.futures only rank 0 runs the program, and the other
            # ranks already serve it: the executor is theirs
            self._executor = MPIPoolExecutor(**options)
            return self._executor
        inter, side = _core.split_comm(comm, root)
        self._comms = (inter, side)
        if comm.Get_rank() == root:
            use_pkl5 = options.get("use_pkl5")
            if use_pkl5 is None:
                use_pkl5 = _core.getenv_bool("USE_PKL5")
            backend = _core.MPIBackend(
                inter.Get_remote_size(), lambda: inter, _core.disconnect, bool(use_pkl5)
            )
            self._executor = _CommBackendExecutor(backend, **options)
            return self._executor
        _core.serve(inter, side)
        return None

    def __exit__(self, *args):
        """Shutdown `MPIPoolExecutor` instance at the root."""
        executor, self._executor = self._executor, None
        comms, self._comms = self._comms, ()
        if executor is not None:
            backend = getattr(executor, "_given", None)
            executor.shutdown(wait=True)
            if comms and backend.thread is None:
                # never used: the workers still wait for their first message.
                backend.start()
                backend.stop(wait=True)
        elif comms:
            _core.disconnect(comms[0])
        if comms:
            comms[1].Free()
        return False

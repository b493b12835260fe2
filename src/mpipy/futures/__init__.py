"""Execute computations asynchronously using MPI processes.

``MPIPoolExecutor`` runs calls in worker processes, spawned with ``MPI.COMM_SELF.Spawn``
or started up front with ``mpiexec -n N python -m mpipy.futures script.py``;
``MPICommExecutor`` makes the other ranks of a communicator the workers of its root. The
futures are those of `concurrent.futures`, so `wait` and `as_completed` work on them.

Environment variables (``MPIPY_FUTURES_<NAME>``, or mpi4py's ``MPI4PY_FUTURES_<NAME>``):
``MAX_WORKERS`` (workers to spawn when ``max_workers`` is not given), ``USE_PKL5``
(out-of-band pickling of tasks and results), ``BACKOFF`` (longest sleep, in seconds, of
an idle worker or a waiting manager between two polls; default 0.001; after a second
with nothing to do, ten times that). An idle pool of 4 workers burns about 0.04 CPU
seconds in 5 s (``benchmarks/futures_idle.py``).
"""

from concurrent.futures import (
    ALL_COMPLETED,
    FIRST_COMPLETED,
    FIRST_EXCEPTION,
    BrokenExecutor,
    CancelledError,
    Executor,
    Future,
    InvalidStateError,
    TimeoutError,  # noqa: A004 - the name concurrent.futures exports
    as_completed,
    wait,
)

from .pool import (
    MPICommExecutor,
    MPIPoolExecutor,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    get_comm_workers,
)
from .util import collect, compose

__all__ = [
    "Future",
    "Executor",
    "wait",
    "FIRST_COMPLETED",
    "FIRST_EXCEPTION",
    "ALL_COMPLETED",
    "as_completed",
    "CancelledError",
    "TimeoutError",
    "InvalidStateError",
    "BrokenExecutor",
    "MPIPoolExecutor",
    "MPICommExecutor",
    "ThreadPoolExecutor",
    "ProcessPoolExecutor",
    "get_comm_workers",
    "collect",
    "compose",
]

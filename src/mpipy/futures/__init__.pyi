from concurrent.futures import ALL_COMPLETED as ALL_COMPLETED
from concurrent.futures import FIRST_COMPLETED as FIRST_COMPLETED
from concurrent.futures import FIRST_EXCEPTION as FIRST_EXCEPTION
from concurrent.futures import BrokenExecutor as BrokenExecutor
from concurrent.futures import CancelledError as CancelledError
from concurrent.futures import Executor as Executor
from concurrent.futures import Future as Future
from concurrent.futures import InvalidStateError as InvalidStateError
from concurrent.futures import TimeoutError as TimeoutError  # noqa: A004
from concurrent.futures import as_completed as as_completed
from concurrent.futures import wait as wait

from .pool import MPICommExecutor as MPICommExecutor
from .pool import MPIPoolExecutor as MPIPoolExecutor
from .pool import ProcessPoolExecutor as ProcessPoolExecutor
from .pool import ThreadPoolExecutor as ThreadPoolExecutor
from .pool import get_comm_workers as get_comm_workers
from .util import collect as collect
from .util import compose as compose

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

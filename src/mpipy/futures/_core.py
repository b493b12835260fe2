"""The machinery behind mpipy.futures: the task queue and the manager thread that feeds
workers, the workers' serving loop, and the three ways a manager meets its workers
(spawned children, the other ranks of ``-m mpipy.futures``, or the split communicator of
an ``MPICommExecutor``).

Protocol, on an intercommunicator whose remote group is the workers (the manager is rank
0 of its own side): each worker first sends ``("hello", pid, host)`` (tag RESULT); the
manager answers ``("config", use_pkl5)`` (tag TASK). Then the manager sends, tag TASK,
``("setup", executor_id, options, payload)`` once per executor and worker before that
executor's first task there (no answer), ``("task", executor_id, fn, args, kwargs)``
(exactly one answer, tag RESULT: ``("ok", value)``, ``("err", exception, traceback
text)`` or ``("broken", reason)``), and finally ``("stop",)``. A worker runs one task at
a time, so the manager knows which task an answer belongs to from its source.

Nobody spins: a manager with nothing in flight sleeps on a condition variable; a manager
waiting for answers and an idle worker poll with sleeps that grow up to the backoff
limit (``MPIPY_FUTURES_BACKOFF``, default 1 ms).
"""

import collections
import os
import socket
import sys
import threading
import time
import traceback
import weakref
from concurrent.futures import BrokenExecutor, InvalidStateError

from .. import MPI

TASK = 1
RESULT = 2


def debug(*args):
    if os.environ.get("MPIPY_FUTURES_DEBUG"):
        print("[futures]", threading.current_thread().name, *args, file=sys.stderr, flush=True)


def getenv(name, default=None):
    """``MPIPY_FUTURES_<name>``, else mpi4py's ``MPI4PY_FUTURES_<name>``, else default."""
    for prefix in ("MPIPY_FUTURES_", "MPI4PY_FUTURES_"):
        value = os.environ.get(prefix + name)
        if value is not None:
            return value
    return default


def getenv_bool(name, default=False):
    """A yes/no environment setting; anything else warns (RuntimeWarning) and gives
    default."""
    value = getenv(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in ("1", "y", "yes", "on", "true"):
        return True
    if word in ("", "0", "n", "no", "off", "false"):
        return False
    import warnings

    warnings.warn(
        f"environment variable MPIPY_FUTURES_{name}: invalid value {value!r}",
        RuntimeWarning,
        stacklevel=3,
    )
    return default


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker (set as its ``__cause__``)."""

    def __str__(self):
        return self.args[0] if self.args else ""


class Backoff:
    """Sleeps between polls: from 1 us, doubling up to the limit; after a second without
    anything to do, up to ten times the limit (a pool idle for long costs almost nothing,
    and answers within 1 % of the time it sat idle)."""

    def __init__(self, limit=None):
        if limit is None:
            limit = float(getenv("BACKOFF", "0.001"))
        self.limit = max(float(limit), 0.0)
        self.tval = 0.0
        self.since = None

    def reset(self):
        self.tval = 0.0
        self.since = None

    def sleep(self):
        now = time.monotonic()
        if self.since is None:
            self.since = now
        time.sleep(self.tval)
        cap = self.limit if now - self.since < 1.0 else 10 * self.limit
        self.tval = min(cap, max(self.tval * 2, 1e-6))


def max_workers_default():
    """Workers to spawn when max_workers is not given: the environment, else what
    ``UNIVERSE_SIZE`` leaves beside ``COMM_WORLD``, else one."""
    value = getenv("MAX_WORKERS")
    if value is not None:
        return int(value)
    universe = MPI.COMM_WORLD.Get_attr(MPI.UNIVERSE_SIZE)
    if universe is not None:
        return max(int(universe) - MPI.COMM_WORLD.Get_size(), 1)
    return 1


# ---------------------------------------------------------------------------------------
# Executor state, shared by the executor object and the backend serving it.


class ExecState:
    """What a backend knows of one executor: its id, its worker setup, whether it is
    broken, and its futures not yet done."""

    _ids = iter(range(1, sys.maxsize))
    _ids_lock = threading.Lock()

    def __init__(self, options):
        with ExecState._ids_lock:
            self.id = next(ExecState._ids)
        self.options = options
        self.broken = None
        self.pending = set()
        self.lock = threading.Lock()

    def track(self, future):
        with self.lock:
            self.pending.add(future)
        future.add_done_callback(self._untrack)

    def _untrack(self, future):
        with self.lock:
            self.pending.discard(future)

    def outstanding(self):
        with self.lock:
            return list(self.pending)


def cancel_now(future):
    """Cancel a future and wake its waiters at once (``concurrent.futures.wait`` counts a
    cancelled future as done only once it is notified)."""
    if future.cancel():
        start_running(future)  # only notifies: the future stays cancelled
        return True
    return False


def start_running(future):
    """Mark a pending future running; False if it was cancelled (whoever notified it)."""
    with future._condition:  # reentrant: set_running_or_notify_cancel takes it again
        if future._state == "CANCELLED_AND_NOTIFIED":  # by cancel_now: nothing to do
            return False
        return future.set_running_or_notify_cancel()


def fail(future, exc):
    """Finish a future with an exception unless it is already finished."""
    if future.done():
        return
    if future.running() or start_running(future):
        try:
            future.set_exception(exc)
        except InvalidStateError:  # finished meanwhile
            pass


# ---------------------------------------------------------------------------------------
# Backends: a queue of (state, future, fn, args, kwargs) and whatever drains it.


class Backend:
    """A queue of tasks and a thread (or threads) running them."""

    shared = False

    def __init__(self, nworkers):
        self.nworkers = nworkers
        self.cond = threading.Condition()
        self.queue = collections.deque()
        self.stopping = False
        self.broken = None
        self.ready = threading.Event()
        self.thread = None

    # -- called by executors --
    def start(self):
        with self.cond:
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._main, name=f"mpipy.futures-{type(self).__name__}", daemon=True
                )
                self.thread.start()
                _live_backends.add(self)

    def push(self, item):
        with self.cond:
            if self.broken is not None:
                raise BrokenExecutor(self.broken)
            self.queue.append(item)
            self.cond.notify_all()
        self.start()

    def cancel(self, state=None):
        """Cancel the queued (not yet started) tasks of one executor (of all: None)."""
        with self.cond:
            keep = collections.deque()
            for item in self.queue:
                if state is None or item[0] is state:
                    cancel_now(item[1])
                else:
                    keep.append(item)
            self.queue.clear()
            self.queue.extend(keep)

    @property
    def event(self):
        """Set once the workers are ready (or the start failed)."""
        return self.ready

    def join(self):
        """Wait for the serving thread to end (after stop)."""
        thread = self.thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def stop(self, wait=True):
        """Finish the queued and running tasks, then release the workers."""
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
            thread = self.thread
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join()

    def wait_ready(self):
        self.start()
        self.ready.wait()

    # -- used by the serving thread --
    def _next(self, block):
        """The next queued item, or None; waits for one when block is true (until stop)."""
        with self.cond:
            while True:
                if self.queue:
                    return self.queue.popleft()
                if not block or self.stopping:
                    return None
                self.cond.wait()

    def _idle_and_stopping(self):
        with self.cond:
            return self.stopping and not self.queue

    def _break(self, reason, running=()):
        """Make the backend unusable: every queued and running future fails."""
        with self.cond:
            self.broken = reason
            queued = list(self.queue)
            self.queue.clear()
        for _, future, *_ in queued:
            fail(future, BrokenExecutor(reason))
        for future in running:
            fail(future, BrokenExecutor(reason))

    def _main(self):
        raise NotImplementedError


class SharedView:
    """One executor's handle on the pool shared by every executor of ``python -m
    mpipy.futures``: submissions go to the shared pool; stopping waits for this
    executor's futures only (in a thread of its own, which sleeps on an event)."""

    shared = True

    def __init__(self, backend, state):
        self.backend = backend
        self.state = state
        self.queue = collections.deque()  # the tasks are queued in the shared pool
        self.done = threading.Event()
        self.thread = threading.Thread(
            target=self._drain, name="mpipy.futures-SharedView", daemon=True
        )
        self.thread.start()

    def _drain(self):
        from concurrent.futures import wait

        self.done.wait()
        wait(self.state.outstanding())

    @property
    def nworkers(self):
        return self.backend.nworkers

    @property
    def broken(self):
        return self.backend.broken

    @property
    def event(self):
        return self.backend.ready

    def start(self):
        self.backend.start()

    def wait_ready(self):
        self.backend.wait_ready()

    def push(self, item):
        self.backend.push(item)

    def cancel(self, state=None):
        self.backend.cancel(self.state)

    def stop(self, wait=True):
        self.done.set()
        if wait:
            self.join()

    def join(self):
        if self.thread is not threading.current_thread():
            self.thread.join()


def run_task(fn, args, kwargs):
    """Run a task: ("ok", value) or ("err", exception, traceback text)."""
    try:
        return ("ok", fn(*args, **kwargs))
    except BaseException as exc:  # noqa: BLE001 - a task's every exception goes back
        return ("err", exc, traceback.format_exc())


def finish(future, answer):
    """Complete a running future from a worker's answer."""
    kind = answer[0]
    if kind == "ok":
        future.set_result(answer[1])
    elif kind == "err":
        exc = answer[1]
        if len(answer) > 2 and answer[2]:
            exc.__cause__ = RemoteTraceback(answer[2])
        future.set_exception(exc)
    else:
        future.set_exception(BrokenExecutor(answer[1]))


class ThreadBackend(Backend):
    """Tasks run in threads of this process (ThreadPoolExecutor, and MPICommExecutor on a
    communicator of one process)."""

    def _main(self):
        self.ready.set()
        threads = [
            threading.Thread(target=self._work, name=f"mpipy.futures-thread-{i}", daemon=True)
            for i in range(self.nworkers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _work(self):
        _thread_workers.comm = MPI.COMM_SELF
        initialized = {}
        while True:
            item = self._next(block=True)
            if item is None:
                return
            state, future, fn, args, kwargs = item
            if state.broken is None and state.id not in initialized:
                initialized[state.id] = True
                init = state.options.get("initializer")
                if init is not None:
                    try:
                        init(*state.options.get("initargs", ()))
                    except BaseException:  # noqa: BLE001
                        state.broken = "initializer failed"
            if state.broken is not None:
                fail(future, BrokenExecutor(state.broken))
                continue
            if not start_running(future):
                continue
            answer = run_task(fn, args, kwargs)
            if answer[0] == "err":
                answer = ("err", answer[1], "")
            finish(future, answer)


def same_host_alive(pid):
    """Whether a process of this host is alive (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return fields[0] not in (b"Z", b"X")
    except OSError:
        return True


class MPIBackend(Backend):
    """Tasks run in worker processes reached through an intercommunicator, which
    ``connect()`` makes in the serving thread."""

    def __init__(self, nworkers, connect, disconnect, use_pkl5=False):
        super().__init__(nworkers)
        self.connect = connect
        self.disconnect = disconnect
        self.use_pkl5 = use_pkl5
        self.comm = None
        self.workers = []

    def _main(self):
        try:
            setup_mpi_threads()
            comm = self.connect()
            self.nworkers = comm.Get_remote_size()
            hosts = [None] * self.nworkers
            for _ in range(self.nworkers):
                status = MPI.Status()
                hello = comm.recv(source=MPI.ANY_SOURCE, tag=RESULT, status=status)
                hosts[status.Get_source()] = hello[1:]
            for rank in range(self.nworkers):
                comm.send(("config", self.use_pkl5), dest=rank, tag=TASK)
            if self.use_pkl5:
                from ..util import pkl5

                comm = pkl5.Intercomm(comm)
        except BaseException as exc:  # noqa: BLE001
            self._break(f"cannot start the workers: {exc!r}")
            self.ready.set()
            return
        self.comm = comm
        self.workers = hosts  # (pid, host) of each worker, for liveness checks and tools
        self.ready.set()
        self.busy = {}
        try:
            clean = self._serve(comm, hosts)
        except BaseException as exc:  # noqa: BLE001 - never leave futures waiting
            traceback.print_exc()
            self._break(f"the manager failed: {exc!r}", [f for _, f in self.busy.values()])
            clean = False
        debug("serve ended", clean, len(self.queue), self.busy)
        if clean:
            try:
                for rank in range(self.nworkers):
                    comm.send(("stop",), dest=rank, tag=TASK)
                self.disconnect(comm)
            except BaseException:  # noqa: BLE001, S110 - the workers are gone anyway
                pass

    def _serve(self, comm, hosts):
        """Feed the workers until stopped; False when a worker died."""
        me = socket.gethostname()
        idle = collections.deque(range(self.nworkers))
        busy = self.busy
        setup_sent = set()
        backoff = Backoff()
        status = MPI.Status()
        last_check = time.monotonic()
        while True:
            progressed = False
            while idle:
                item = self._next(block=not busy)
                if item is None:
                    break
                state, future, fn, args, kwargs = item
                if state.broken is not None:
                    fail(future, BrokenExecutor(state.broken))
                    continue
                if not start_running(future):
                    continue
                rank = idle.popleft()
                try:
                    if (rank, state.id) not in setup_sent:
                        plain, payload = state.options["wire"]
                        comm.send(("setup", state.id, plain, payload), dest=rank, tag=TASK)
                        setup_sent.add((rank, state.id))
                    comm.send(("task", state.id, fn, args, kwargs), dest=rank, tag=TASK)
                except BaseException as exc:  # noqa: BLE001 - e.g. cannot pickle the task
                    future.set_exception(exc)
                    idle.appendleft(rank)
                    continue
                busy[rank] = (state, future)
                progressed = True
            while busy and comm.iprobe(source=MPI.ANY_SOURCE, tag=RESULT, status=status):
                rank = status.Get_source()
                state, future = busy.pop(rank)
                idle.append(rank)
                progressed = True
                try:
                    answer = comm.recv(source=rank, tag=RESULT)
                except BaseException as exc:  # noqa: BLE001 - e.g. cannot unpickle
                    future.set_exception(exc)
                    continue
                if answer[0] == "broken":
                    state.broken = answer[1]
                finish(future, answer)
            if not busy and self._idle_and_stopping():
                return True
            if progressed:
                backoff.reset()
                continue
            if busy and time.monotonic() - last_check > 0.2:
                last_check = time.monotonic()
                for rank in busy:
                    pid, host = hosts[rank]
                    if host == me and not same_host_alive(pid):
                        self._break(
                            f"worker {rank} (pid {pid}) died",
                            [future for _, future in busy.values()],
                        )
                        return False
            backoff.sleep()


_live_backends = weakref.WeakSet()


def _stop_all_backends():
    """At interpreter exit (before MPI is finalized): finish every pool's work and
    release its workers."""
    for backend in list(_live_backends):
        backend.stop(wait=False)
    for backend in list(_live_backends):
        backend.stop(wait=True)


threading._register_atexit(_stop_all_backends)


# ---------------------------------------------------------------------------------------
# The worker's side.

_comm_workers = None
_importing_main = False


_thread_workers = threading.local()


def get_comm_workers():
    """The intracommunicator grouping the worker processes (only inside a worker; in a
    worker thread of this process, ``COMM_SELF``)."""
    comm = getattr(_thread_workers, "comm", None) or _comm_workers
    if comm is None:
        raise RuntimeError("communicator is not accessible")
    return comm


def describe_main():
    """How workers can import this process's ``__main__`` (None when they cannot)."""
    main = sys.modules.get("__main__")
    if main is None:
        return None
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name and spec.name != "__main__":
        return ("module", spec.name)
    path = getattr(main, "__file__", None)
    if path and os.path.exists(path):
        return ("path", os.path.abspath(path))
    return None


def import_main(kind, name):
    """Run the manager's main module in a module installed as ``__main__`` (also known as
    ``__worker__``), whose ``__name__`` is ``__worker__`` so that its ``if __name__ ==
    '__main__':`` block does not run. Classes and functions it defines say they come
    from ``__main__``, so that they pickle the way the manager's do."""
    global _importing_main
    import importlib.util
    import types

    module = types.ModuleType(MAIN_RUN_NAME)
    if kind == "module":
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            raise ImportError(f"no module named {name!r}")
        code = spec.loader.get_code(name)
        module.__spec__ = spec
        module.__file__ = getattr(spec, "origin", None)
    else:
        with open(name, "rb") as source:
            code = compile(source.read(), name, "exec")
        module.__file__ = name
    module.__builtins__ = __builtins__
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = sys.modules[MAIN_RUN_NAME] = module
    _importing_main = True
    try:
        exec(code, module.__dict__)
    except BaseException:
        if saved is not None:
            sys.modules["__main__"] = saved
        raise
    finally:
        _importing_main = False
    for value in list(vars(module).values()):
        if isinstance(value, (type, types.FunctionType)) and value.__module__ == MAIN_RUN_NAME:
            try:
                value.__module__ = "__main__"
            except (AttributeError, TypeError):
                pass


def apply_setup(plain, payload, loads, imported):
    """A worker's setup for one executor: main module, path, directory, environment,
    then globals and the initializer (unpickled once main is importable)."""
    main = plain.get("main")
    if main is not None and main not in imported:
        import_main(*main)
        imported.add(main)
    for entry in plain.get("path") or ():
        if entry not in sys.path:
            sys.path.append(entry)
    if plain.get("wdir") is not None:
        os.chdir(plain["wdir"])
    if plain.get("env"):
        os.environ.update(plain["env"])
    global_vars, initializer, initargs = loads(payload)
    if global_vars:
        vars(sys.modules["__main__"]).update(global_vars)
    if initializer is not None:
        initializer(*initargs)


def serve(comm, workers):
    """A worker's loop: run the tasks of the manager at rank 0 of the remote group of
    ``comm`` until told to stop. ``workers`` is what ``get_comm_workers`` returns."""
    global _comm_workers
    _comm_workers = workers
    comm.send(("hello", os.getpid(), socket.gethostname()), dest=0, tag=RESULT)
    backoff = Backoff()
    config = None
    broken = {}
    imported = set()
    channel = comm
    try:
        while True:
            if not channel.iprobe(source=0, tag=TASK):
                backoff.sleep()
                continue
            backoff.reset()
            try:
                message = channel.recv(source=0, tag=TASK)
            except BaseException as exc:  # noqa: BLE001 - the task does not unpickle here
                reply(channel, ("err", exc, traceback.format_exc()))
                continue
            kind = message[0]
            if kind == "config" and config is None:
                config = message
                if message[1]:
                    from ..util import pkl5

                    channel = pkl5.Intercomm(comm)
            elif kind == "setup":
                _, exec_id, plain, payload = message
                try:
                    apply_setup(plain, payload, MPI.pickle.loads, imported)
                except BaseException:  # noqa: BLE001
                    text = traceback.format_exc()
                    broken[exec_id] = f"initializer failed:\n{text}"
                    print(text, file=sys.stderr, end="", flush=True)
            elif kind == "task":
                _, exec_id, fn, args, kwargs = message
                if exec_id in broken:
                    reply(channel, ("broken", broken[exec_id]))
                else:
                    reply(channel, run_task(fn, args, kwargs))
            elif kind == "stop":
                return
    finally:
        _comm_workers = None


def reply(comm, answer):
    """Send an answer; one that does not pickle becomes an error that does."""
    try:
        comm.send(answer, dest=0, tag=RESULT)
        return
    except BaseException as exc:  # noqa: BLE001
        text = traceback.format_exc()
        first = exc
    try:
        comm.send(("err", first, text), dest=0, tag=RESULT)
    except BaseException:  # noqa: BLE001
        comm.send(("err", RuntimeError(repr(first)), text), dest=0, tag=RESULT)


# ---------------------------------------------------------------------------------------
# Meeting the workers.


# Names some tools and tests of mpi4py.futures reach for.
MAIN_RUN_NAME = "__worker__"
SharedPool = None  # the -m mpipy.futures pool, when there is one


def setup_mpi_threads():
    """Check the thread level: the manager thread calls MPI beside the main thread.
    Below MPI_THREAD_SERIALIZED no executor can work; at SERIALIZED, calls made by the
    executors' threads go through ``serialized.lock``."""
    level = MPI.Query_thread()
    if level < MPI.THREAD_SERIALIZED:
        raise RuntimeError("mpipy.futures needs MPI initialized with MPI_THREAD_SERIALIZED or more")
    if level < MPI.THREAD_MULTIPLE and serialized.lock is None:
        serialized.lock = threading.RLock()


def serialized(function):
    """Wrap function so that it holds ``serialized.lock`` (when set) while it runs."""

    def wrapper(*args, **kwargs):
        lock = serialized.lock
        if lock is None:
            return function(*args, **kwargs)
        with lock:
            return function(*args, **kwargs)

    return wrapper


serialized.lock = None


def split_comm(comm, root):
    """Split an intracommunicator into the root and the rest, joined by an
    intercommunicator: (intercomm, intracomm of my side)."""
    rank = comm.Get_rank()
    side = comm.Split(0 if rank == root else 1, rank)
    leader = root if rank != root else (1 if root == 0 else 0)
    inter = side.Create_intercomm(0, comm, leader, 17)
    return inter, side


comm_split = split_comm


def disconnect(comm):
    try:
        comm.Disconnect()
    except MPI.Exception:
        comm.Free()


SERVER_MODULE = "mpipy.futures.server"

_FLAGS = {
    "debug": "-d",
    "inspect": None,
    "interactive": None,
    "optimize": "-O",
    "dont_write_bytecode": "-B",
    "no_user_site": "-s",
    "no_site": "-S",
    "ignore_environment": "-E",
    "verbose": "-v",
    "bytes_warning": "-b",
    "quiet": "-q",
    "isolated": "-I",
    "safe_path": "-P",
}


def python_flags():
    """The interpreter flags of this process, to give the spawned workers."""
    flags = []
    for name, option in _FLAGS.items():
        count = getattr(sys.flags, name, 0)
        if option and count:
            flags.extend([option] * int(count))
    for option in sys.warnoptions:
        flags.append("-W" + option)
    for key, value in getattr(sys, "_xoptions", {}).items():
        flags.append("-X" + (key if value is True else f"{key}={value}"))
    return flags


def make_info(mpi_info):
    if mpi_info is None:
        return MPI.INFO_NULL, False
    if isinstance(mpi_info, MPI.Info):
        return mpi_info, False
    info = MPI.Info.Create()
    items = mpi_info.items() if hasattr(mpi_info, "items") else mpi_info
    for key, value in items:
        info.Set(key, value)
    return info, True


def spawner(nworkers, python_exe=None, python_args=None, mpi_info=None):
    """A connect function spawning nworkers Python workers on COMM_SELF."""

    def connect():
        if _importing_main:
            raise RuntimeError(
                "a worker process attempted to spawn workers: the main script probably "
                "lacks an `if __name__ == '__main__':` guard"
            )
        exe = python_exe or sys.executable
        # MPICH's Spawn of a program that cannot be executed never returns: check first
        # (on this host; MPI may place workers elsewhere, where the check cannot reach).
        import shutil

        if shutil.which(exe) is None:
            raise FileNotFoundError(f"cannot spawn workers: {exe!r} is not an executable")
        args = list(python_flags() if python_args is None else python_args)
        args += ["-m", SERVER_MODULE]
        info, created = make_info(mpi_info)
        try:
            return MPI.COMM_SELF.Spawn(exe, args, maxprocs=nworkers, info=info)
        finally:
            if created:
                info.Free()

    return connect

"""mpipy's pytest plugin: runs the suite under ``mpiexec -n N python -m pytest``.

What it does, so that one rank's failure or hang never stalls the others:

- A failure or error on any rank (collection, setup, test body, teardown) is printed at
  once to stderr, tagged with the rank; when the world has more than one process the job
  is then aborted with ``MPI.COMM_WORLD.Abort(1)`` after a short grace period
  (``MPIPY_TEST_GRACE`` seconds, default 2) that lets the other ranks print theirs. With
  one process pytest carries on and reports as usual.
- A watchdog thread gives every test ``MPIPY_TEST_TIMEOUT`` seconds (default 120; a test
  may say ``@pytest.mark.timeout(seconds)``; 0 disables). On expiry it prints the test,
  the rank and the tracebacks of all threads, then aborts the job. A faulthandler timer
  armed a little later kills the process even if the watchdog cannot get the GIL.
- Only rank 0 writes pytest's normal report; the other ranks' reporters write nowhere.
- After each test: ``gc.collect()`` (then ``gc.freeze()``, so that each collection is
  cheap), then ``COMM_WORLD.Barrier()`` keeps ranks in step.
- With ``MPIPY_TEST_STATE_DIR`` set, each rank keeps the name of its current test in
  the file ``rank-R`` there, for post-mortems of processes killed without a word.
- Every rank that ends (or aborts) its session prints one machine-readable line,
  ``mpipy-test: size=N rank=R passed=P failed=F skipped=S exit=X``, that
  ``tools/test.sh`` aggregates (rank 0 prints it on a normal end; any rank on abort).

Fixtures: ``comm`` (COMM_SELF, COMM_WORLD and a Dup of COMM_WORLD freed after the
test), ``rank``/``size`` (of ``comm``), ``world_rank``/``world_size``, and ``bufkind``
(bytearray, array.array, NumPy: ``bufkind.make(typecode, items_or_count)``).
Markers: ``@pytest.mark.mpi(min_size=2, max_size=None, sizes=None)`` skips a test unless
the world size fits; ``@pytest.mark.timeout(seconds)``.

The deliberately failing tests under ``harness_selftest/`` are collected only when
``MPIPY_HARNESS_SELFTEST=1`` (``tools/test.sh --selftest`` sets it).
"""

import array
import faulthandler
import gc
import os
import sys
import threading
import time
import traceback

import pytest

from mpipy import MPI

WORLD = MPI.COMM_WORLD
RANK = WORLD.Get_rank()
SIZE = WORLD.Get_size()


def _env_seconds(name, default):
    value = os.environ.get(name, "")
    try:
        return float(value) if value.strip() else default
    except ValueError:
        raise pytest.UsageError(f"{name}={value!r} is not a number of seconds") from None


TIMEOUT = _env_seconds("MPIPY_TEST_TIMEOUT", 120.0)
GRACE = _env_seconds("MPIPY_TEST_GRACE", 2.0)
# Seconds after the watchdog's deadline when the GIL-free faulthandler timer kills.
BACKSTOP = 15.0

if os.environ.get("MPIPY_HARNESS_SELFTEST", "") in ("", "0"):
    collect_ignore = ["harness_selftest"]


# -- Output that survives pytest's capture and an imminent abort -----------------------

_err = sys.stderr  # replaced in pytest_configure by a private copy of file descriptor 2


def _say(text):
    """Write text to stderr at once, each line tagged with this rank."""
    tag = f"[rank {RANK}/{SIZE}] "
    lines = text.rstrip("\n").split("\n")
    try:
        _err.write("".join(tag + line + "\n" for line in lines))
        _err.flush()
    except (OSError, ValueError):
        pass


class _Counts:
    passed = failed = errors = skipped = 0
    exitstatus = None

    def line(self, status):
        return (
            f"mpipy-test: size={SIZE} rank={RANK} passed={self.passed} "
            f"failed={self.failed + self.errors} skipped={self.skipped} exit={status}"
        )


_counts = _Counts()
_abort_lock = threading.Lock()


def _abort(status):
    """Give the other ranks GRACE seconds to print, then end the whole job."""
    if not _abort_lock.acquire(blocking=False):
        return  # another thread is already aborting
    faulthandler.dump_traceback_later(GRACE + BACKSTOP, exit=True, file=_err)
    # The counts go out first: output still in flight when the job dies may be lost.
    _say(f"{_counts.line(status)}\naborting all {SIZE} processes in {GRACE:g} s")
    time.sleep(GRACE)
    try:
        WORLD.Abort(1)
    finally:
        os._exit(1)


# -- Watchdog --------------------------------------------------------------------------


class _Watchdog(threading.Thread):
    """Aborts the job when the current phase outlives its deadline."""

    def __init__(self):
        super().__init__(name="mpipy-test-watchdog", daemon=True)
        self._cond = threading.Condition()
        self._deadline = None
        self._what = ""
        self._seconds = 0.0

    def arm(self, what, seconds):
        with self._cond:
            if seconds and seconds > 0:
                self._deadline = time.monotonic() + seconds
                self._what, self._seconds = what, seconds
                faulthandler.dump_traceback_later(seconds + GRACE + BACKSTOP, exit=True, file=_err)
            else:
                self._deadline = None
                faulthandler.cancel_dump_traceback_later()
            self._cond.notify()

    def disarm(self):
        with self._cond:
            self._deadline = None
            faulthandler.cancel_dump_traceback_later()
            self._cond.notify()

    def run(self):
        with self._cond:
            while True:
                if self._deadline is None:
                    self._cond.wait()
                    continue
                remaining = self._deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            what, seconds = self._what, self._seconds
        _counts.failed += 1
        _say(
            f"TIMEOUT: {what} did not finish within {seconds:g} s "
            f"(MPIPY_TEST_TIMEOUT or @pytest.mark.timeout)\n{_thread_stacks()}"
        )
        _abort("timeout")


def _thread_stacks():
    """The Python stacks of the other threads, without pytest's and pluggy's frames."""
    names = {t.ident: t.name for t in threading.enumerate()}
    me = threading.get_ident()
    out = []
    for ident, frame in sys._current_frames().items():
        if ident == me:
            continue
        frames = [
            f
            for f in traceback.extract_stack(frame)
            if not any(part in f.filename for part in _HIDDEN_FRAMES)
        ]
        out.append(f"thread {names.get(ident, ident)!r}, most recent call last:")
        out.extend(line.rstrip("\n") for line in traceback.format_list(frames))
    return "\n".join(out)


_HIDDEN_FRAMES = ("/_pytest/", "/pluggy/", "<frozen runpy>", "/pytest/__main__.py")


_watchdog = _Watchdog()


def _item_timeout(item):
    marker = item.get_closest_marker("timeout")
    if marker is None:
        return TIMEOUT
    seconds = marker.kwargs.get("seconds", marker.args[0] if marker.args else None)
    if not isinstance(seconds, (int, float)):
        raise pytest.UsageError(f"{item.nodeid}: use @pytest.mark.timeout(seconds)")
    return float(seconds)


# -- Hooks -----------------------------------------------------------------------------


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    global _err
    config.addinivalue_line(
        "markers",
        "mpi(min_size=1, max_size=None, sizes=None): skip unless the world size fits",
    )
    config.addinivalue_line(
        "markers", "large: needs GiB of memory; runs only with MPIPY_TEST_LARGE=1"
    )
    config.addinivalue_line(
        "markers", "timeout(seconds): per-test time limit (default MPIPY_TEST_TIMEOUT)"
    )
    # pytest's capture is suspended here, so descriptor 2 is the real stderr.
    _err = os.fdopen(os.dup(2), "w", buffering=1, errors="replace")
    if RANK != 0:
        reporter = config.pluginmanager.getplugin("terminalreporter")
        if reporter is not None:
            config.pluginmanager.unregister(reporter)
            quiet = pytest.TerminalReporter(config, open(os.devnull, "w"))
            config.pluginmanager.register(quiet, "terminalreporter")
    _watchdog.start()


def pytest_sessionstart(session):
    _watchdog.arm("collection", TIMEOUT)


def pytest_collection_finish(session):
    _watchdog.disarm()
    _collect_garbage()


def _collect_garbage():
    """Collect garbage, then freeze the survivors: the next collection looks only at
    objects made since (a full one costs tens of ms with pytest's objects around)."""
    gc.collect()
    gc.freeze()


class _StateFile:
    """``$MPIPY_TEST_STATE_DIR/rank-R`` names the test this rank is in, so that
    tools/test.sh can say where a process was when it died without a word (killed by
    the MPI library or the kernel)."""

    def __init__(self):
        directory = os.environ.get("MPIPY_TEST_STATE_DIR")
        self.fd = None
        if directory and os.path.isdir(directory):
            path = os.path.join(directory, f"rank-{RANK}")
            self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)

    def set(self, text):
        if self.fd is not None:
            data = text.encode(errors="replace") + b"\n"
            os.pwrite(self.fd, data, 0)
            os.ftruncate(self.fd, len(data))


_state = _StateFile()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _watchdog.arm(item.nodeid, _item_timeout(item))
    _state.set(f"in {item.nodeid}")
    try:
        return (yield)
    finally:
        _state.set(f"after {item.nodeid}")
        _watchdog.disarm()


def pytest_collection_modifyitems(config, items):
    for item in items:
        reason = _size_mismatch(item.get_closest_marker("mpi"))
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


def _size_mismatch(marker):
    """Why the world size does not suit @pytest.mark.mpi(...), or None if it does."""
    if marker is None:
        return None
    min_size = marker.kwargs.get("min_size", marker.args[0] if marker.args else 1)
    max_size = marker.kwargs.get("max_size")
    sizes = marker.kwargs.get("sizes")
    if SIZE < min_size:
        return f"needs at least {min_size} MPI processes (running {SIZE})"
    if max_size is not None and SIZE > max_size:
        return f"needs at most {max_size} MPI processes (running {SIZE})"
    if sizes is not None and SIZE not in sizes:
        return f"needs a world size in {sorted(sizes)} (running {SIZE})"
    return None


def _print_failure(what, report):
    parts = [f"FAILED {what}", report.longreprtext]
    for title, content in report.sections:
        parts.append(f"----- {title} -----\n{content}")
    _say("\n".join(parts))


@pytest.hookimpl(trylast=True)
def pytest_runtest_logreport(report):
    if report.when == "call":
        if report.passed:
            _counts.passed += 1
        elif report.failed:
            _counts.failed += 1
    elif report.failed:
        _counts.errors += 1
    if report.skipped:
        _counts.skipped += 1
    if report.failed:
        phase = "" if report.when == "call" else f" (error in {report.when})"
        _print_failure(report.nodeid + phase, report)
        if SIZE > 1:
            _abort("abort")


@pytest.hookimpl(trylast=True)
def pytest_collectreport(report):
    if report.failed:
        _counts.errors += 1
        _print_failure(f"collecting {report.nodeid or 'the session'}", report)
        if SIZE > 1:
            _abort("abort")


def pytest_internalerror(excrepr, excinfo):
    _say(f"pytest internal error:\n{excrepr}")
    if SIZE > 1:
        _abort("abort")


def pytest_sessionfinish(session, exitstatus):
    _watchdog.disarm()
    _counts.exitstatus = int(exitstatus)


def pytest_unconfigure(config):
    if RANK == 0 and _counts.exitstatus is not None:
        print(_counts.line(_counts.exitstatus), flush=True)


# -- Fixtures --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _mpipy_keep_in_step():
    """After each test: collect garbage, then wait for every rank."""
    yield
    _collect_garbage()
    WORLD.Barrier()


@pytest.fixture(params=["self", "world", "dup"])
def comm(request):
    """An intracommunicator to test on: COMM_SELF, COMM_WORLD or a Dup of COMM_WORLD."""
    if request.param == "self":
        yield MPI.COMM_SELF
    elif request.param == "world":
        yield MPI.COMM_WORLD
    else:
        dup = MPI.COMM_WORLD.Dup()
        try:
            yield dup
        finally:
            if dup:  # the test may have freed it already
                dup.Free()


@pytest.fixture
def rank(comm):
    """This process's rank in ``comm``."""
    return comm.Get_rank()


@pytest.fixture
def size(comm):
    """The number of processes in ``comm``."""
    return comm.Get_size()


@pytest.fixture
def world_rank():
    return RANK


@pytest.fixture
def world_size():
    return SIZE


class BufferKind:
    """Makes buffers of one kind: ``make('i', 5)`` (zeros) or ``make('i', [1, 2])``.

    Skips the test when the kind cannot hold ``typecode`` (bytearray holds only 'B').
    """

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"BufferKind({self.name!r})"

    def make(self, typecode, items):
        values = [0] * items if isinstance(items, int) else list(items)
        if self.name == "bytearray":
            if typecode != "B":
                pytest.skip(f"bytearray cannot hold typecode {typecode!r}")
            return bytearray(values)
        if self.name == "array":
            if typecode not in array.typecodes:
                pytest.skip(f"array.array has no typecode {typecode!r}")
            return array.array(typecode, values)
        numpy = pytest.importorskip("numpy")
        return numpy.array(values, dtype=typecode)

    @staticmethod
    def tolist(buf):
        return buf.tolist() if hasattr(buf, "tolist") else list(buf)


@pytest.fixture(params=["bytearray", "array", "numpy"])
def bufkind(request):
    """A BufferKind: bytearray, array.array or NumPy."""
    return BufferKind(request.param)

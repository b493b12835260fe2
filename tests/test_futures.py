"""mpipy.futures: executors whose workers are spawned processes, the other ranks of a
communicator (MPICommExecutor), the ranks of ``python -m mpipy.futures``, or threads;
submit/map/starmap with chunks, order, timeouts and buffers; exceptions in tasks;
shutdown with pending tasks; a worker that dies; collect/compose.

Spawning tests run at rank 0 only (each spawn adds processes to two shared cores); the
other ranks skip them and wait in the harness's barrier. Tests starting jobs of their own
(``mpiexec -n 3 python -m mpipy.futures``) run at world size 1 only. MPICommExecutor
tests run on every rank at every size.
"""

import concurrent.futures as cf
import os
import subprocess
import sys
import textwrap
import threading
import time

import helpers
import pytest

from mpipy import MPI, futures
from mpipy.futures import aplus

WORLD = MPI.COMM_WORLD
VENDOR = MPI.get_vendor()[0]


@pytest.fixture
def _rank0_only():
    # Skipped from a fixture, not a mark: the other ranks still pass through the harness's
    # barrier after the test, in step with rank 0.
    if WORLD.Get_rank() != 0:
        pytest.skip("spawns workers: rank 0 only (two shared cores)")


at_rank0 = pytest.mark.usefixtures("_rank0_only")
at_size1 = pytest.mark.skipif(
    WORLD.Get_size() != 1, reason="starts its own mpiexec job: world size 1 only"
)


# -- Tasks (module-level, so workers import them by name) ---------------------------------


def square(x):
    return x * x


def power(x, y=2):
    return x**y


def sleep_and_return(seconds, value):
    time.sleep(seconds)
    return value


def fail_with(exc):
    raise exc


def unpicklable_result():
    return threading.Lock()


def comm_workers_size():
    return futures.get_comm_workers().Get_size()


def worker_pid():
    return os.getpid()


_initialized = []


def remember(value):
    _initialized.append(value)


def initialized():
    return list(_initialized)


def initializer_that_fails():
    raise RuntimeError("no")


def environment(name):
    return os.environ.get(name)


def main_global(name):
    return getattr(sys.modules["__main__"], name)


def where():
    return (MPI.COMM_WORLD.Get_rank(), os.getpid())


# -- Spawned workers ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def executor():
    """Two spawned workers, shared by the tests that leave them usable (rank 0 only)."""
    if WORLD.Get_rank() != 0:
        yield None
        return
    ex = futures.MPIPoolExecutor(max_workers=2)
    yield ex
    ex.shutdown(wait=True)


@at_rank0
@pytest.mark.timeout(60)
def test_submit_results_and_exceptions(executor):
    assert executor.bootup() is executor
    assert executor.num_workers == 2
    assert executor.submit(square, 7).result() == 49
    assert executor.submit(power, 2, y=10).result() == 1024
    future = executor.submit(fail_with, KeyError("key"))
    exc = future.exception(timeout=30)
    assert type(exc) is KeyError and exc.args == ("key",)
    assert isinstance(exc.__cause__, Exception) and "KeyError" in str(exc.__cause__)
    with pytest.raises(KeyError):
        future.result()
    # A task that does not pickle, and a result that does not: the future fails, the
    # executor goes on.
    assert executor.submit(lambda: 1).exception(timeout=30) is not None
    assert executor.submit(unpicklable_result).exception(timeout=30) is not None
    assert executor.submit(square, 3).result(timeout=30) == 9


@at_rank0
@pytest.mark.timeout(60)
def test_workers_are_distinct_processes(executor):
    pids = {executor.submit(worker_pid).result() for _ in range(6)}
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= 2
    assert executor.submit(comm_workers_size).result() == 2
    with pytest.raises(RuntimeError):
        futures.get_comm_workers()


@at_rank0
@pytest.mark.timeout(60)
@pytest.mark.parametrize("chunksize", [1, 3, 100])
@pytest.mark.parametrize("buffersize", [None, 1, 4])
def test_map_in_order(executor, chunksize, buffersize):
    data = list(range(23))
    got = executor.map(square, data, chunksize=chunksize, buffersize=buffersize)
    assert list(got) == [x * x for x in data]
    got = executor.map(power, data, [3] * 10, chunksize=chunksize, buffersize=buffersize)
    assert list(got) == [x**3 for x in data[:10]]
    pairs = [(x, 2) for x in data]
    got = executor.starmap(power, pairs, chunksize=chunksize, buffersize=buffersize)
    assert list(got) == [x * x for x in data]
    assert list(executor.map(square, [], chunksize=chunksize)) == []


@at_rank0
@pytest.mark.timeout(60)
def test_map_unordered_yields_as_completed(executor):
    delays = [0.6, 0.0, 0.0, 0.0]
    got = list(executor.map(sleep_and_return, delays, range(4), unordered=True, chunksize=1))
    assert sorted(got) == [0, 1, 2, 3]
    assert got[-1] == 0  # the slow one comes last
    pairs = [(0.0, i) for i in range(10)]
    assert sorted(executor.starmap(sleep_and_return, pairs, unordered=True, chunksize=3)) == list(
        range(10)
    )


@at_rank0
@pytest.mark.timeout(60)
def test_map_is_lazy_with_a_buffer(executor):
    seen = []

    def arguments():
        for i in range(10):
            seen.append(i)
            yield i

    results = executor.map(square, arguments(), buffersize=2)
    assert seen == [0, 1]  # only the buffer is submitted before the first result
    assert next(results) == 0
    assert list(results) == [x * x for x in range(1, 10)]
    assert seen == list(range(10))


@at_rank0
@pytest.mark.timeout(60)
def test_map_raises_at_the_failing_item(executor):
    results = executor.map(power, [2, 3, "x", 5], [2, 2, 2, 2])
    assert next(results) == 4
    assert next(results) == 9
    with pytest.raises(TypeError):
        next(results)


@at_rank0
@pytest.mark.timeout(60)
def test_map_timeout(executor):
    start = time.monotonic()
    results = executor.map(sleep_and_return, [1.0, 1.0, 1.0, 1.0], range(4), timeout=0.2)
    with pytest.raises(TimeoutError):
        list(results)
    assert time.monotonic() - start < 0.9
    # The executor is still usable once the running tasks end.
    assert executor.submit(square, 5).result(timeout=30) == 25


@at_rank0
@pytest.mark.timeout(60)
def test_map_bad_arguments(executor):
    with pytest.raises(ValueError):
        executor.map(square, [1], chunksize=0)
    with pytest.raises(ValueError):
        executor.map(square, [1], buffersize=0)
    with pytest.raises(TypeError):
        executor.map(square, [1], buffersize=1.5)
    with pytest.raises(ValueError):
        executor.map(square, [1], buffersize=-1)
    with pytest.raises(ValueError):  # a buffer and completion order do not go together
        executor.map(square, [1], buffersize=1, unordered=True)


@at_rank0
@pytest.mark.timeout(60)
def test_as_completed_and_wait(executor):
    fs = [executor.submit(sleep_and_return, 0.05 * (i % 3), i) for i in range(8)]
    assert sorted(f.result() for f in futures.as_completed(fs, timeout=30)) == list(range(8))
    slow = executor.submit(sleep_and_return, 0.8, "slow")
    fast = executor.submit(sleep_and_return, 0.0, "fast")
    done, not_done = futures.wait([slow, fast], timeout=30, return_when=futures.FIRST_COMPLETED)
    assert fast in done and slow in not_done
    done, not_done = cf.wait([slow, fast], timeout=30)
    assert done == {slow, fast} and not not_done
    bad = executor.submit(fail_with, ValueError("x"))
    done, _ = futures.wait(
        [bad, executor.submit(sleep_and_return, 0.8, 0)],
        return_when=futures.FIRST_EXCEPTION,
        timeout=30,
    )
    assert bad in done


@at_rank0
@pytest.mark.timeout(90)
def test_shutdown_waits_for_pending_tasks():
    ex = futures.MPIPoolExecutor(max_workers=1)
    fs = [ex.submit(sleep_and_return, 0.05, i) for i in range(6)]
    ex.shutdown(wait=True)
    assert [f.result(timeout=0) for f in fs] == list(range(6))
    assert ex.num_workers == 0
    with pytest.raises(RuntimeError):
        ex.submit(square, 1)
    ex.shutdown()  # again: nothing happens


@at_rank0
@pytest.mark.timeout(90)
def test_shutdown_cancel_futures():
    ex = futures.MPIPoolExecutor(max_workers=1).bootup()
    first = ex.submit(sleep_and_return, 0.5, "first")
    while not first.running():
        time.sleep(0.01)
    rest = [ex.submit(square, i) for i in range(5)]
    ex.shutdown(wait=True, cancel_futures=True)
    assert first.result(timeout=0) == "first"
    assert all(f.cancelled() for f in rest)
    # cancelled futures are done for wait() at once
    assert cf.wait(rest, timeout=0).not_done == set()


@at_rank0
@pytest.mark.timeout(90)
def test_shutdown_without_waiting():
    ex = futures.MPIPoolExecutor(max_workers=1)
    fs = [ex.submit(sleep_and_return, 0.1, i) for i in range(3)]
    ex.shutdown(wait=False)
    assert [f.result(timeout=30) for f in fs] == [0, 1, 2]


@at_rank0
@pytest.mark.timeout(90)
def test_context_manager_and_cancel():
    with futures.MPIPoolExecutor(max_workers=1) as ex:
        running = ex.submit(sleep_and_return, 0.3, 1)
        queued = ex.submit(square, 2)
        assert queued.cancel() or queued.done()
    assert running.result(timeout=0) == 1
    assert queued.cancelled() or queued.result() == 4


@at_rank0
@pytest.mark.timeout(90)
def test_initializer_and_options():
    ex = futures.MPIPoolExecutor(
        max_workers=1,
        initializer=remember,
        initargs=("hello",),
        env={"MPIPY_TEST_FUTURES_VAR": "42"},
        globals={"MPIPY_TEST_GLOBAL": 7},
    )
    with ex:
        assert ex.submit(initialized).result(timeout=30) == ["hello"]
        assert ex.submit(environment, "MPIPY_TEST_FUTURES_VAR").result() == "42"
        assert ex.submit(main_global, "MPIPY_TEST_GLOBAL").result() == 7
    assert _initialized == []  # never in the manager


@at_rank0
@pytest.mark.timeout(90)
def test_initializer_failure_breaks_the_executor():
    ex = futures.MPIPoolExecutor(max_workers=1, initializer=initializer_that_fails)
    try:
        with pytest.raises(futures.BrokenExecutor):
            ex.submit(square, 2).result(timeout=30)
        with pytest.raises(futures.BrokenExecutor):
            ex.submit(square, 3).result(timeout=30)
        assert ex.num_workers == 0
    finally:
        ex.shutdown()


@at_rank0
@pytest.mark.timeout(90)
def test_use_pkl5(monkeypatch):
    with futures.MPIPoolExecutor(max_workers=1, use_pkl5=True) as ex:
        big = bytes(range(256)) * 4096
        assert ex.submit(len, big).result(timeout=30) == len(big)
    monkeypatch.setenv("MPI4PY_FUTURES_USE_PKL5", "maybe")
    with pytest.warns(RuntimeWarning, match="maybe"):
        with futures.MPIPoolExecutor(max_workers=1) as ex:
            assert ex.submit(square, 4).result(timeout=30) == 16


@at_rank0
@pytest.mark.timeout(60)
def test_spawn_failure_breaks_the_executor():
    ex = futures.MPIPoolExecutor(max_workers=1, python_exe="/nonexistent/python")
    with pytest.raises(futures.BrokenExecutor, match="nonexistent"):
        ex.submit(square, 2).result(timeout=30)
    with pytest.raises(futures.BrokenExecutor):
        ex.submit(square, 2)
    ex.shutdown()


@at_rank0
@pytest.mark.timeout(90)
def test_process_pool_executor_spawns():
    with futures.ProcessPoolExecutor(max_workers=2) as ex:
        assert ex.num_workers == 2
        assert list(ex.map(square, range(5))) == [0, 1, 4, 9, 16]
        assert ex.submit(worker_pid).result() != os.getpid()


@at_rank0
@pytest.mark.timeout(60)
def test_idle_pool_sleeps(executor):
    """Idle workers and a manager waiting for a long task poll with growing sleeps:
    over 1.5 s they use a small fraction of one core (a spinning pool would use ~3 s)."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
    try:
        import futures_idle
    finally:
        del sys.path[0]
    executor.submit(square, 1).result(timeout=30)
    pids = [os.getpid()] + [pid for pid, _ in executor._pool.workers]
    assert len(pids) == 3
    used = futures_idle.measure(pids, seconds=1.5)
    print(f"idle pool of 2 workers: {sum(used.values()):.3f} CPU s over 1.5 s")
    assert sum(used.values()) < 0.5


def test_constructor_arguments(monkeypatch):
    with pytest.raises(ValueError):
        futures.MPIPoolExecutor(max_workers=0)
    with pytest.raises(ValueError):
        futures.MPIPoolExecutor(max_workers=-2)
    with pytest.raises(TypeError):
        futures.MPIPoolExecutor(initializer=123)
    assert futures.MPIPoolExecutor(max_workers=5).num_workers == 5
    for name in ("MPIPY_FUTURES_MAX_WORKERS", "MPI4PY_FUTURES_MAX_WORKERS"):
        monkeypatch.delenv("MPIPY_FUTURES_MAX_WORKERS", raising=False)
        monkeypatch.setenv(name, "3")
        assert futures.MPIPoolExecutor().num_workers == 3
    # an executor never used has nothing to release
    ex = futures.MPIPoolExecutor()
    ex.shutdown()
    assert ex.num_workers == 0


def test_public_names():
    import mpipy.futures as mod

    for name in mod.__all__:
        assert getattr(mod, name) is not None
    assert futures.Future is cf.Future
    assert futures.wait is cf.wait and futures.as_completed is cf.as_completed
    assert issubclass(futures.MPIPoolExecutor, cf.Executor)
    assert issubclass(futures.ThreadPoolExecutor, futures.MPIPoolExecutor)
    assert issubclass(futures.ProcessPoolExecutor, futures.MPIPoolExecutor)


# -- Threads --------------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_thread_pool_executor():
    with futures.ThreadPoolExecutor(max_workers=2, initializer=remember, initargs=(1,)) as ex:
        assert list(ex.map(square, range(10), chunksize=4)) == [x * x for x in range(10)]
        assert ex.submit(power, 3, y=3).result() == 27
        with pytest.raises(ZeroDivisionError):
            ex.submit(fail_with, ZeroDivisionError()).result()
        assert sorted(ex.map(square, range(5), unordered=True)) == [0, 1, 4, 9, 16]
        assert ex.submit(comm_workers_size).result() == 1  # COMM_SELF in a worker thread
    assert _initialized == [1, 1] or _initialized == [1]
    _initialized.clear()
    with pytest.raises(RuntimeError):
        ex.submit(square, 1)
    ex = futures.ThreadPoolExecutor(max_workers=1, initializer=initializer_that_fails)
    with pytest.raises(futures.BrokenExecutor):
        ex.submit(square, 2).result(timeout=30)
    ex.shutdown()


# -- MPICommExecutor: every rank, every size -----------------------------------------------


@pytest.mark.timeout(90)
@pytest.mark.parametrize("root", ["first", "last"])
def test_comm_executor(root):
    size, rank = WORLD.Get_size(), WORLD.Get_rank()
    root = 0 if root == "first" else size - 1
    with futures.MPICommExecutor(WORLD, root=root) as ex:
        if rank == root:
            assert ex is not None
            assert ex.num_workers == max(size - 1, 1)
            assert list(ex.map(square, range(20), chunksize=3)) == [x * x for x in range(20)]
            ranks = {r for r, _ in ex.map(where, [])} | {
                f.result()[0] for f in [ex.submit(where) for _ in range(8)]
            }
            if size == 1:
                assert ranks == {0}  # threads of the root itself
            else:
                assert root not in ranks and ranks <= set(range(size))
            with pytest.raises(KeyError):
                ex.submit(fail_with, KeyError(1)).result()
        else:
            assert ex is None
    # the communicator is usable after, in step on every rank
    assert WORLD.allreduce(1) == size


@pytest.mark.timeout(60)
def test_comm_executor_unused_and_dup():
    comm = WORLD.Dup()
    try:
        with futures.MPICommExecutor(comm) as ex:
            assert (ex is not None) == (comm.Get_rank() == 0)
        with futures.MPICommExecutor(comm, root=0) as ex:
            if ex is not None and comm.Get_size() > 1:
                assert ex.submit(comm_workers_size).result() == comm.Get_size() - 1
    finally:
        comm.Free()


def test_comm_executor_bad_arguments():
    with pytest.raises(ValueError):
        futures.MPICommExecutor(WORLD, root=WORLD.Get_size())
    with pytest.raises(ValueError):
        futures.MPICommExecutor(WORLD, root=-1)
    with pytest.raises(ValueError):
        futures.MPICommExecutor(MPI.COMM_NULL)


# -- collect and compose ------------------------------------------------------------------


def test_collect():
    fs = [cf.Future() for _ in range(3)]
    out = futures.collect(fs)
    assert not out.done()
    for i, f in enumerate(reversed(fs)):
        f.set_result(i)
    assert out.result(timeout=0) == [2, 1, 0]
    assert futures.collect([]).result(timeout=0) == []
    fs = [cf.Future() for _ in range(3)]
    out = futures.collect(fs)
    fs[2].set_result(2)
    fs[1].set_exception(KeyError("x"))
    with pytest.raises(KeyError):
        out.result(timeout=0)
    assert fs[0].cancelled()  # a failure cancels the items still pending
    assert fs[2].result() == 2 and not fs[1].cancelled()
    assert type(futures.collect([aplus.ThenableFuture()])) is aplus.ThenableFuture
    fs = [cf.Future() for _ in range(2)]
    out = futures.collect(fs)
    assert out.cancel()
    assert all(f.cancelled() for f in fs)
    assert cf.wait([out], timeout=0).not_done == set()
    fs = [cf.Future() for _ in range(2)]
    out = futures.collect(fs)
    fs[0].cancel()
    assert out.cancelled()


def test_compose():
    f = cf.Future()
    out = futures.compose(f, lambda v: v + 1)
    f.set_result(1)
    assert out.result(timeout=0) == 2
    f = cf.Future()
    out = futures.compose(f)
    f.set_exception(KeyError(1))
    with pytest.raises(KeyError):
        out.result(timeout=0)
    f = cf.Future()
    out = futures.compose(f, excepthook=lambda e: "recovered")
    f.set_exception(KeyError(1))
    assert out.result(timeout=0) == "recovered"
    f = cf.Future()
    out = futures.compose(f, excepthook=lambda e: ValueError(str(e)))
    f.set_exception(KeyError(1))
    with pytest.raises(ValueError):
        out.result(timeout=0)
    f = cf.Future()
    out = futures.compose(f, resulthook=lambda v: 1 / v)
    f.set_result(0)
    with pytest.raises(ZeroDivisionError):
        out.result(timeout=0)
    f = cf.Future()
    out = futures.compose(f)
    assert out.cancel() and f.cancelled()
    f = cf.Future()
    out = futures.compose(f)
    f.cancel()
    assert out.cancelled()
    assert type(futures.compose(aplus.ThenableFuture())) is aplus.ThenableFuture
    f = cf.Future()
    f.set_result(5)  # already done: composed at once
    assert futures.compose(f, str).result(timeout=0) == "5"


# -- Jobs of their own: -m mpipy.futures, a worker that dies -------------------------------


def run_job(args, nprocs=None, timeout=120):
    return helpers.run_python(args, nprocs, timeout)


SCRIPT = textwrap.dedent("""\
    import os, sys
    from mpipy import MPI
    from mpipy.futures import MPIPoolExecutor, get_comm_workers

    def task(x):
        return x * x, MPI.COMM_WORLD.Get_rank(), get_comm_workers().Get_size()

    def setenv(value):
        os.environ["X"] = value

    def getenv(_):
        return os.environ.get("X")

    if __name__ == "__main__":
        with MPIPoolExecutor(max_workers=9) as ex:
            results = list(ex.map(task, range(12)))
            print("workers", ex.num_workers)
        print("squares", [r[0] for r in results])
        print("ranks", sorted({r[1] for r in results}))
        print("sizes", sorted({r[2] for r in results}))
        print("argv", sys.argv[1:])
        # a second executor shares the same workers, with its own initializer
        with MPIPoolExecutor(initializer=setenv, initargs=("1",)) as ex:
            print("env", set(ex.map(getenv, range(6))))
        # a failing initializer breaks that executor only
        with MPIPoolExecutor(initializer=int, initargs=("x",)) as ex:
            print("broken", type(ex.submit(abs, 1).exception()).__name__)
        with MPIPoolExecutor() as ex:
            print("still", ex.submit(abs, -3).result())
        if sys.argv[1:] == ["fail"]:
            raise RuntimeError("script failed")
    """)


@at_size1
@pytest.mark.timeout(240)
def test_main_module_mode(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(SCRIPT)
    status, out, err = run_job(["-m", "mpipy.futures", str(script), "a"], nprocs=3)
    assert status == 0, err
    assert "workers 2" in out
    assert f"squares {[x * x for x in range(12)]}" in out
    assert "ranks [1, 2]" in out  # the workers are ranks 1 and 2 of COMM_WORLD
    assert "sizes [2]" in out
    assert "argv ['a']" in out
    assert "env {'1'}" in out
    assert "broken BrokenExecutor" in out
    assert "still 3" in out
    # a failing program: the job ends, no hang
    status, out, err = run_job(["-m", "mpipy.futures", str(script), "fail"], nprocs=2)
    assert status != 0
    assert "script failed" in err
    assert "ranks [1]" in out


@at_size1
@pytest.mark.timeout(120)
def test_main_module_mode_singleton_spawns(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(SCRIPT.replace("max_workers=9", "max_workers=2"))
    status, out, err = run_job(["-m", "mpipy.futures", str(script)])
    assert status == 0, err
    assert "workers 2" in out and "sizes [2]" in out


DYING = textwrap.dedent("""\
    import os, time
    from mpipy import futures

    if __name__ == "__main__":
        ex = futures.MPIPoolExecutor(max_workers=1)
        assert ex.submit(abs, -1).result() == 1
        try:
            ex.submit(os._exit, 3).result(timeout=60)
        except futures.BrokenExecutor as exc:
            print("broken:", exc, flush=True)
        try:
            ex.submit(abs, 1)
        except futures.BrokenExecutor:
            print("submit refused", flush=True)
        ex.shutdown()
        print("manager done", flush=True)
    """)


def test_liveness_check():
    """The manager's test for a dead worker on its host: alive, exited, zombie."""
    from mpipy.futures import _core

    assert _core.same_host_alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while _core.same_host_alive(child.pid):  # exited but not reaped: a zombie
        assert time.monotonic() < deadline
        time.sleep(0.01)
    child.wait()
    assert not _core.same_host_alive(child.pid)


@at_size1
@pytest.mark.timeout(200)
def test_worker_that_dies_does_not_hang(tmp_path):
    """A worker that exits in a task: the manager's future fails with BrokenExecutor, or
    (MPICH's launcher ends the whole job when a spawned process dies) the job ends. Never a
    hang."""
    script = tmp_path / "dying.py"
    script.write_text(DYING)
    start = time.monotonic()
    status, out, err = run_job([str(script)], nprocs=1, timeout=150)
    elapsed = time.monotonic() - start
    print(f"worker died: status {status} after {elapsed:.1f} s; {out!r}")
    if "broken:" in out:
        assert "submit refused" in out
    else:
        assert status != 0


# -- aplus: then/catch -----------------------------------------------------------------------


def test_then_and_catch():
    f = cf.Future()
    out = aplus.then(f, lambda v: v + 1)
    assert type(out) is cf.Future
    f.set_result(1)
    assert out.result(timeout=0) == 2
    f = aplus.ThenableFuture()
    out = f.then(lambda v: v * 2).then(lambda v: 1 / v).catch(lambda e: "caught")
    assert type(out) is aplus.ThenableFuture
    f.set_result(0)
    assert out.result(timeout=0) == "caught"
    # a future returned by a callback is chained, recursively
    f, g, h = cf.Future(), cf.Future(), cf.Future()
    out = aplus.then(f, lambda v: g)
    f.set_result(1)
    g.set_result(h)
    assert not out.done()
    h.set_result(5)
    assert out.result(timeout=0) == 5
    # on_failure: an exception it returns fails the output, anything else is a result
    f = cf.Future()
    out = aplus.then(f, None, lambda e: ValueError(str(e)))
    f.set_exception(KeyError(1))
    assert type(out.exception(timeout=0)) is ValueError
    f = cf.Future()
    out = aplus.catch(f, lambda e: 7)
    f.set_exception(KeyError(1))
    assert out.result(timeout=0) == 7
    f = cf.Future()
    out = aplus.then(f)
    f.set_exception(KeyError(1))
    assert type(out.exception(timeout=0)) is KeyError
    f = cf.Future()
    out = aplus.then(f)
    f.cancel()
    assert out.cancelled() and cf.wait([out], timeout=0).not_done == set()
    f = cf.Future()
    out = aplus.catch(f)  # no handler: the failure is dropped
    f.set_exception(KeyError(1))
    assert out.exception(timeout=0) is None and out.result() is None
    # chains that come back on themselves fail instead of waiting forever
    f = cf.Future()
    out = aplus.then(f, lambda _: out)
    f.set_result(1)
    with pytest.raises(RuntimeError, match="cycle"):
        out.result(timeout=0)
    f, g, h = cf.Future(), cf.Future(), cf.Future()
    out = aplus.then(f, lambda _: g)
    f.set_result(0)
    g.set_result(h)
    h.set_result(g)
    with pytest.raises(RuntimeError, match="cycle"):
        out.result(timeout=0)

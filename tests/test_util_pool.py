"""mpipy.util.pool: the multiprocessing.pool interface over mpipy.futures, with worker
processes (``Pool``, spawned: rank 0 only) and threads (``ThreadPool``, every rank)."""

import concurrent.futures as cf
import itertools
import time
import warnings

import pytest

from mpipy import MPI
from mpipy.util import pool

WORLD = MPI.COMM_WORLD


def square(x):
    return x * x


def add(a, b=0):
    return a + b


def fail(x):
    raise ValueError(x)


def nap(seconds):
    time.sleep(seconds)
    return seconds


_calls = []


def note(value):
    _calls.append(value)


def noted():
    return list(_calls)


@pytest.fixture(scope="module", params=["Pool", "ThreadPool"])
def kind(request):
    return request.param


@pytest.fixture
def make(kind):
    """A factory of pools of the kind under test; process pools only at rank 0."""
    if kind == "Pool" and WORLD.Get_rank() != 0:
        pytest.skip("spawns workers: rank 0 only (two shared cores)")
    made = []

    def factory(*args, **kwargs):
        p = getattr(pool, kind)(*args, **kwargs)
        made.append(p)
        return p

    yield factory
    for p in made:
        p.terminate()
        p.join()


@pytest.mark.timeout(90)
def test_blocking_calls(make):
    p = make(2)
    assert p.apply(add, (1,), {"b": 2}) == 3
    assert p.apply(square, (5,)) == 25
    data = list(range(37))
    assert p.map(square, data) == [x * x for x in data]
    assert p.map(square, data, chunksize=5) == [x * x for x in data]
    pairs = [(x, x + 1) for x in data]
    assert p.starmap(add, pairs) == list(itertools.starmap(add, pairs))
    assert p.starmap(add, pairs, chunksize=100) == list(itertools.starmap(add, pairs))
    assert p.map(square, []) == [] and p.starmap(add, []) == []
    with pytest.raises(ValueError):
        p.apply(fail, (1,))
    with pytest.raises(ValueError):
        p.map(fail, [1, 2])


@pytest.mark.timeout(90)
def test_iterators(make):
    p = make(2)
    data = list(range(25))
    for chunksize in (1, 4):
        assert list(p.imap(square, data, chunksize)) == [x * x for x in data]
        assert sorted(p.imap_unordered(square, data, chunksize)) == [x * x for x in data]
        pairs = list(zip(data, data))
        assert list(p.istarmap(add, pairs, chunksize)) == [2 * x for x in data]
        assert sorted(p.istarmap_unordered(add, pairs, chunksize)) == [2 * x for x in data]
    assert list(p.imap(square, [])) == [] and list(p.istarmap_unordered(add, [])) == []
    results = p.imap(fail, [1])
    with pytest.raises(ValueError):
        next(results)


@pytest.mark.timeout(90)
def test_async_results_and_callbacks(make):
    p = make(1)
    got, errors = [], []
    result = p.apply_async(nap, (0.3,), callback=got.append, error_callback=errors.append)
    assert isinstance(result, pool.ApplyResult) and isinstance(result, pool.AsyncResult)
    assert not result.ready()
    with pytest.raises(ValueError):
        result.successful()  # not ready yet
    with pytest.raises(TimeoutError):
        result.get(timeout=0.01)
    result.wait(0.01)
    assert result.get(timeout=30) == 0.3
    assert result.ready() and result.successful()
    assert isinstance(result.future, cf.Future)
    bad = p.apply_async(fail, ("x",), callback=got.append, error_callback=errors.append)
    bad.wait()
    assert bad.ready() and not bad.successful()
    with pytest.raises(ValueError):
        bad.get()
    mapped = p.map_async(square, range(6), callback=got.append)
    assert isinstance(mapped, pool.MapResult)
    assert mapped.get(timeout=30) == [0, 1, 4, 9, 16, 25]
    starred = p.starmap_async(add, [(1, 2), (3, 4)], chunksize=1)
    assert starred.get(timeout=30) == [3, 7]
    failing = p.map_async(fail, [1, 2], error_callback=errors.append)
    failing.wait()
    assert not failing.successful()
    deadline = time.monotonic() + 10
    while len(got) < 2 or len(errors) < 2:  # callbacks run as the futures complete
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert got == [0.3, [0, 1, 4, 9, 16, 25]]
    assert [type(e) for e in errors] == [ValueError, ValueError]


@pytest.mark.timeout(90)
def test_terminate_cancels_pending(make):
    p = make(1)
    pending = [p.apply_async(nap, (0.1,)) for _ in range(30)]
    last = p.map_async(nap, [0.1] * 30, chunksize=1)
    p.terminate()
    p.join()
    for result in [pending[-1], last]:
        result.wait()  # a cancelled call is ready: wait does not hang
        assert result.ready() and not result.successful()
        with pytest.raises(TimeoutError):
            result.get()
    with pytest.raises(RuntimeError):
        p.apply_async(square, (1,))


@pytest.mark.timeout(90)
def test_close_join_and_context(make):
    p = make(1)
    results = [p.apply_async(square, (i,)) for i in range(5)]
    p.close()
    p.join()
    assert [r.get(timeout=0) for r in results] == [0, 1, 4, 9, 16]
    with pytest.raises(RuntimeError):
        p.map(square, [1])
    with make(1) as q:
        assert q.apply(square, (3,)) == 9
    with pytest.raises(RuntimeError):
        q.apply(square, (3,))


@pytest.mark.timeout(90)
def test_initializer_and_arguments(make, kind):
    p = make(1, note, ("ready",))
    assert p.apply(noted) == ["ready"]
    assert _calls == (["ready"] if kind == "ThreadPool" else [])
    _calls.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make(1, maxtasksperchild=2)
        make(1, context=object())
        make(1, maxtasksperchild=None, context=None)
    assert [w.category for w in caught] == [UserWarning, UserWarning]


def test_classes():
    assert pool.Pool.Executor is pool.futures.MPIPoolExecutor
    assert pool.ThreadPool.Executor is pool.futures.ThreadPoolExecutor
    assert issubclass(pool.ThreadPool, pool.Pool)
    assert issubclass(pool.ApplyResult, pool.AsyncResult)
    assert issubclass(pool.MapResult, pool.AsyncResult)
    assert set(pool.__all__) == {"Pool", "ThreadPool", "AsyncResult", "ApplyResult", "MapResult"}


@pytest.mark.timeout(60)
def test_pool_over_a_stdlib_executor():
    """Pool only needs an executor's submit and map: any concurrent.futures one works."""

    class Executor(cf.ThreadPoolExecutor):
        def map(self, fn, *iterables, timeout=None, chunksize=1, unordered=False):
            return super().map(fn, *iterables, timeout=timeout, chunksize=chunksize)

    class StdPool(pool.Pool):
        pass

    StdPool.Executor = Executor
    p = StdPool(2)
    try:
        assert p.map(square, range(10)) == [x * x for x in range(10)]
        assert p.apply(add, (2, 3)) == 5
        assert list(p.imap(square, range(4))) == [0, 1, 4, 9]
    finally:
        p.close()
        p.join()

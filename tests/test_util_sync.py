"""mpipy.util.sync: Sequential order, Counter values (start, step, type codes, roots),
Mutex exclusion (plain and recursive, blocking and not), Condition wait/notify, Semaphore
counting, and every object's behaviour once freed."""

import time

import pytest

from mpipy.util import sync


def test_sequential_runs_in_rank_order(comm, rank, size):
    counter = sync.Counter(comm=comm)
    order = []
    with sync.Sequential(comm, tag=7):
        order.append(next(counter))
    comm.Barrier()  # the first round is over everywhere
    seq = sync.Sequential(comm)
    seq.begin()
    order.append(counter.next())
    seq.end()
    counter.free()
    assert order == [rank, size + rank]


@pytest.mark.parametrize("typecode", ["i", "l", "q", "H", "d"])
def test_counter_values(comm, rank, size, typecode):
    counter = sync.Counter(10, 3, typecode=typecode, comm=comm)
    mine = [counter.next() for _ in range(4)]
    everyone = sorted(sum(comm.allgather(mine), []))
    assert everyone == [10 + 3 * i for i in range(4 * size)]
    counter.next(100)
    comm.Barrier()
    assert counter.next(0) == 10 + size * (4 * 3 + 100)
    comm.Barrier()
    counter.free()
    counter.free()  # freeing again does nothing
    with pytest.raises(RuntimeError):
        counter.next()


def test_counter_iterates_at_any_root(comm, rank, size):
    for root in range(size):
        counter = sync.Counter(comm=comm, root=root)
        values = []
        for value in counter:
            values.append(value)
            if len(values) == 3:
                break
        assert sorted(sum(comm.allgather(values), [])) == list(range(3 * size))
        counter.free()


def test_mutex_exclusion(comm, size):
    mutex = sync.Mutex(comm=comm)
    counter = sync.Counter(comm=comm)
    for _ in range(10):
        with mutex:
            assert mutex.locked()
            run = [next(counter) for _ in range(5)]
            time.sleep(0.0005)
            run += [next(counter) for _ in range(5)]
        assert not mutex.locked()
        assert run == list(range(run[0], run[0] + 10)) and run[0] % 10 == 0
    counter.free()
    mutex.free()


def test_mutex_errors_and_nonblocking(comm, rank, size):
    mutex = sync.Mutex(comm=comm)
    with pytest.raises(RuntimeError):
        mutex.release()
    comm.Barrier()
    got = mutex.acquire(blocking=False)
    comm.Barrier()
    assert sum(comm.allgather(got)) == 1
    if got:
        with pytest.raises(RuntimeError):
            mutex.acquire()  # not recursive
        mutex.release()
    comm.Barrier()
    mutex.acquire()  # every process in turn
    assert mutex.count() == 1
    mutex.release()
    mutex.free()
    for call in (mutex.acquire, mutex.release, mutex.locked, mutex.count):
        with pytest.raises(RuntimeError):
            call()


def test_mutex_recursive(comm):
    mutex = sync.Mutex(recursive=True, comm=comm)
    with mutex:
        with mutex:
            assert mutex.count() == 2
            assert mutex.acquire(blocking=False)
            assert mutex.count() == 3
            mutex.release()
        assert mutex.count() == 1
    assert mutex.count() == 0 and not mutex.locked()
    mutex.free()


def test_mutex_free_while_held_hands_over(comm):
    """Every process acquires, then frees (collectively): the holder hands the mutex over
    first, so the others get it and reach the free too."""
    mutex = sync.Mutex(comm=comm)
    mutex.acquire()
    mutex.free()
    mutex.free()


def test_condition_wait_notify(comm, rank, size):
    cv = sync.Condition(comm=comm)
    if rank == 0:
        with cv:
            assert cv.notify() == 0  # nobody waits yet
        comm.Barrier()
        woken = 0
        while woken < size - 1:
            with cv:
                woken += cv.notify()
        assert woken == size - 1
    else:
        comm.Barrier()
        with cv:
            assert cv.wait() is True
            assert cv.locked()
    with pytest.raises(RuntimeError):
        cv.wait()  # not holding the mutex
    with pytest.raises(RuntimeError):
        cv.notify()
    cv.free()
    for call in (cv.acquire, cv.release, cv.wait, cv.notify, cv.notify_all):
        with pytest.raises(RuntimeError):
            call()


def test_condition_wait_for_and_notify_all(comm, rank, size):
    mutex = sync.Mutex(comm=comm)
    cv = sync.Condition(mutex)
    flag = sync.Counter(comm=comm)
    if rank == 0:
        comm.Barrier()
        time.sleep(0.01)
        flag.next(1)
        while True:
            with cv:
                cv.notify_all()
            if flag.next(0) == size:
                break
    else:
        comm.Barrier()
        with cv:
            assert cv.wait_for(lambda: flag.next(0) >= 1)
        flag.next(1)
    flag.free()
    cv.free()
    mutex.free()


def test_semaphore(comm, rank, size):
    value = max(1, size - 1)
    sem = sync.Semaphore(value, comm=comm)
    comm.Barrier()
    got = sem.acquire(blocking=False)
    comm.Barrier()
    assert sum(comm.allgather(got)) == value
    assert sem._counter.next(0) == 0
    comm.Barrier()
    if got:
        sem.release()
    comm.Barrier()
    assert sem._counter.next(0) == value
    comm.Barrier()  # everyone has read it before anyone acquires again
    with sem:
        pass
    comm.Barrier()
    if rank == 0:
        with pytest.raises(ValueError):
            sem.release()  # bounded: beyond the initial value
    comm.Barrier()
    assert sem._counter.next(0) == value
    with pytest.raises(ValueError):
        sem.release(0)
    sem.free()
    sem.free()
    for call in (sem.acquire, sem.release):
        with pytest.raises(RuntimeError):
            call()
    with pytest.raises(ValueError):
        sync.Semaphore(-1)


def test_bounded_semaphore_never_shows_a_failed_release(comm, rank, size):
    # A release beyond the bound fails without the counter ever going over it: a rank
    # reading (or acquiring) meanwhile sees only legal values.
    sem = sync.Semaphore(1, comm=comm)
    comm.Barrier()
    seen = set()
    for _ in range(200):
        if rank % 2 == 0:
            with pytest.raises(ValueError):
                sem.release()
        else:
            seen.add(sem._counter.next(0))
    assert seen <= {1}
    comm.Barrier()
    assert sem._counter.next(0) == 1
    sem.free()

"""One-sided operations: the data after each operation (Put, Get, Accumulate, Get_accumulate,
Fetch_and_op, Compare_and_swap and the request forms) under each synchronization mode
(fence, post-start-complete-wait, lock, lock_all with flushes) and each creation flavour
(Create, Allocate, Allocate_shared, Create_dynamic with attached memory); target specs;
atomics under contention; shared memory read through Shared_query; PROC_NULL; bad input."""

import array
import contextlib
import gc

import numpy as np
import pytest
from helpers import ring

from mpipy import MPI

N = 8  # int32 slots per process
FLAVOURS = ["create", "allocate", "shared", "dynamic"]
MODES = ["fence", "pscw", "lock", "lock_all"]


class Window:
    """A window of N int32 per process, of one flavour, and where slot i of a rank is."""

    def __init__(self, flavour, comm):
        self.comm = comm
        self.rank = comm.Get_rank()
        self.memory = None
        if flavour == "create":
            self.memory = np.zeros(N, dtype="i4")
            self.win = MPI.Win.Create(self.memory, 4, comm=comm)
        elif flavour == "allocate":
            self.win = MPI.Win.Allocate(4 * N, 4, comm=comm)
        elif flavour == "shared":
            self.win = MPI.Win.Allocate_shared(4 * N, 4, comm=comm)
        else:
            self.memory = np.zeros(N, dtype="i4")
            self.win = MPI.Win.Create_dynamic(comm=comm)
            self.win.Attach(self.memory)
        self.dynamic = flavour == "dynamic"
        self.bases = comm.allgather(MPI.Get_address(self.memory) if self.dynamic else 0)
        self.local = (
            self.memory if self.memory is not None else np.frombuffer(self.win.tomemory(), "i4")
        )

    def disp(self, rank, slot):
        """The target displacement of slot `slot` at `rank`."""
        return self.bases[rank] + 4 * slot if self.dynamic else slot

    def set_local(self, values):
        """Store this process's slots, visible to RMA once every process returns."""
        self.win.Lock(self.rank, MPI.LOCK_EXCLUSIVE)
        self.local[:] = values
        self.win.Unlock(self.rank)
        self.comm.Barrier()

    def read_local(self):
        """This process's slots, after every process's RMA to them completed."""
        self.comm.Barrier()
        self.win.Lock(self.rank, MPI.LOCK_SHARED)
        values = list(self.local)
        self.win.Unlock(self.rank)
        return values

    def free(self):
        del self.local
        if self.dynamic:
            self.win.Detach(self.memory)
        self.win.Free()


@contextlib.contextmanager
def epoch(w, mode, target):
    """An access epoch in which this process may reach `target` (all processes take part)."""
    win = w.win
    if mode == "fence":
        win.Fence(MPI.MODE_NOPRECEDE)
        yield
        win.Fence(MPI.MODE_NOSUCCEED)
    elif mode == "pscw":
        group = win.Get_group()
        win.Post(group)
        win.Start(group)
        yield
        win.Complete()
        assert win.Wait() is True
        group.Free()
    elif mode == "lock":
        win.Lock(target, MPI.LOCK_SHARED)
        yield
        win.Unlock(target)
    else:
        win.Lock_all()
        yield
        win.Flush(target)
        win.Flush_local(target)
        win.Unlock_all()


def skip_known_mpi_bugs(w, mode):
    """Open MPI 5.0's osc/rdma intermittently fails passive-target access to memory attached
    to a dynamic window (MPI_ERR_RMA_RANGE for an address inside the attached block), with
    mpi4py as with mpipy: left out there."""
    if (
        w.dynamic
        and mode in ("lock", "lock_all")
        and w.comm.Get_size() > 1
        and MPI.get_vendor()[0] == "Open MPI"
    ):
        pytest.skip("Open MPI osc/rdma: passive target on dynamic windows is unreliable")


@pytest.fixture(params=FLAVOURS)
def window(request, comm):
    if request.param == "shared" and comm.Split_type(MPI.COMM_TYPE_SHARED).Get_size() != (
        comm.Get_size()
    ):
        pytest.skip("processes on several nodes")
    w = Window(request.param, comm)
    yield w
    w.free()


def initial(rank):
    return [100 * rank + i for i in range(N)]


@pytest.mark.parametrize("mode", MODES)
def test_put_get(window, mode, comm, rank, size):
    skip_known_mpi_bugs(window, mode)
    right, left = ring(comm)
    w = window
    w.set_local(initial(rank))
    with epoch(w, mode, right):
        w.win.Put(np.array([1000 + rank, 2000 + rank], dtype="i4"), right, w.disp(right, 1))
    after = w.read_local()
    assert after[1:3] == [1000 + left, 2000 + left]
    assert after[0] == 100 * rank and after[3:] == initial(rank)[3:]

    got = np.zeros(3, dtype="i4")
    with epoch(w, mode, right):
        w.win.Get(got, right, w.disp(right, 4))
    assert list(got) == [100 * right + 4, 100 * right + 5, 100 * right + 6]


@pytest.mark.parametrize("mode", MODES)
def test_accumulate(window, mode, comm, rank, size):
    skip_known_mpi_bugs(window, mode)
    w = window
    w.set_local(initial(rank))
    with epoch(w, mode, 0):
        w.win.Accumulate(np.array([rank + 1, 1], dtype="i4"), 0, w.disp(0, 2))
    after = w.read_local()
    if rank == 0:
        assert after[2:4] == [2 + size * (size + 1) // 2, 3 + size]
    w.set_local(initial(rank))
    right, left = ring(comm)
    with epoch(w, mode, right):
        w.win.Accumulate(np.array([rank], dtype="i4"), right, w.disp(right, 5), MPI.MAX)
        w.win.Accumulate(np.array([-7], dtype="i4"), right, w.disp(right, 6), MPI.REPLACE)
    after = w.read_local()
    assert after[5] == max(100 * rank + 5, left)
    assert after[6] == -7


@pytest.mark.parametrize("mode", MODES)
def test_get_accumulate(window, mode, comm, rank):
    skip_known_mpi_bugs(window, mode)
    right, left = ring(comm)
    w = window
    w.set_local(initial(rank))
    result = np.full(2, -1, dtype="i4")
    with epoch(w, mode, right):
        w.win.Get_accumulate(np.array([10, 20], dtype="i4"), result, right, w.disp(right, 3))
    assert list(result) == [100 * right + 3, 100 * right + 4]
    after = w.read_local()
    assert after[3:5] == [100 * rank + 13, 100 * rank + 24]
    fetched = np.zeros(1, dtype="i4")
    with epoch(w, mode, right):  # NO_OP: a plain atomic read
        w.win.Get_accumulate(np.zeros(1, dtype="i4"), fetched, right, w.disp(right, 3), MPI.NO_OP)
    assert fetched[0] == 100 * right + 13


@pytest.mark.parametrize("mode", MODES)
def test_fetch_and_op_compare_and_swap(window, mode, comm, rank):
    skip_known_mpi_bugs(window, mode)
    right, left = ring(comm)
    w = window
    w.set_local(initial(rank))
    result = np.zeros(1, dtype="i4")
    with epoch(w, mode, right):
        w.win.Fetch_and_op(np.array([5], dtype="i4"), result, right, w.disp(right, 7))
    assert result[0] == 100 * right + 7
    assert w.read_local()[7] == 100 * rank + 12

    w.set_local(initial(rank))
    expected = 100 * right + 0
    with epoch(w, mode, right):
        w.win.Compare_and_swap(
            np.array([-rank - 1], dtype="i4"),
            np.array([expected], dtype="i4"),
            result,
            right,
            w.disp(right, 0),
        )
    assert result[0] == expected  # it matched: swapped
    with epoch(w, mode, right):
        w.win.Compare_and_swap(
            np.array([99], dtype="i4"),
            np.array([expected], dtype="i4"),
            result,
            right,
            w.disp(right, 0),
        )
    assert result[0] == -rank - 1  # what the first swap left there
    assert w.read_local()[0] == -left - 1  # the second compare failed: unchanged


@pytest.mark.parametrize("mode", MODES)
def test_request_forms(window, mode, comm, rank):
    skip_known_mpi_bugs(window, mode)
    right, left = ring(comm)
    w = window
    w.set_local(initial(rank))
    got = np.zeros(2, dtype="i4")
    result = np.zeros(1, dtype="i4")
    with epoch(w, mode, right):
        requests = [
            w.win.Rput(np.array([-1, -2], dtype="i4"), right, w.disp(right, 0)),
            w.win.Rget(got, right, w.disp(right, 4)),
            w.win.Raccumulate(np.array([3], dtype="i4"), right, w.disp(right, 2)),
            w.win.Rget_accumulate(np.array([1], dtype="i4"), result, right, w.disp(right, 6)),
        ]
        gc.collect()  # the origin arrays live on in their requests
        MPI.Request.Waitall(requests)
        assert not any(requests)
    assert list(got) == [100 * right + 4, 100 * right + 5]
    assert result[0] == 100 * right + 6
    after = w.read_local()
    assert after[:3] == [-1, -2, 100 * rank + 5]
    assert after[6] == 100 * rank + 7


def test_target_specs(comm, rank):
    """Every form of target spec: None, an int, (disp,), (disp, count), (disp, count, type)."""
    w = Window("create", comm)
    try:
        w.set_local([0] * N)
        win = w.win
        win.Lock(rank)
        win.Put(np.array([1], dtype="i4"), rank)  # None: displacement 0
        win.Put(np.array([2], dtype="i4"), rank, 1)
        win.Put(np.array([3], dtype="i4"), rank, (2,))
        win.Put(np.array([4, 4], dtype="i4"), rank, [3, 2])
        win.Put([bytearray(b"\x05\x00\x00\x00"), 4, MPI.BYTE], rank, (5, 1, MPI.INT))
        pair = MPI.INT.Create_contiguous(2).Commit()
        win.Put([np.array([6, 7], dtype="i4"), 2, MPI.INT], rank, (6, 1, pair))
        pair.Free()
        win.Unlock(rank)
        assert w.read_local() == [1, 2, 3, 4, 4, 5, 6, 7]
        with pytest.raises(ValueError):
            win.Put(np.array([1], dtype="i4"), rank, (0, 1, MPI.INT, 0))
        with pytest.raises(ValueError):
            win.Put(np.array([1], dtype="i4"), rank, "0")
        with pytest.raises(KeyError):
            win.Put(np.array([1], dtype="i4"), rank, (0, 1, "no such type code"))
        with pytest.raises(TypeError):
            win.Put(np.array([1], dtype="i4"), rank, (0, 1, 3.5))
    finally:
        w.free()


def test_counter_contention(comm, rank, size):
    """Every process increments one counter many times: the total is exact and each value
    was handed out once."""
    w = Window("allocate", comm)
    try:
        w.set_local([0] * N)
        win, k = w.win, 200
        one = np.ones(1, dtype="i4")
        out = np.zeros(1, dtype="i4")
        fetched = []
        win.Lock_all()
        for _ in range(k):
            win.Fetch_and_op(one, out, 0, 0)
            win.Flush(0)
            fetched.append(int(out[0]))
            win.Accumulate(one, 0, 1)
        win.Unlock_all()
        values = sorted(sum(comm.allgather(fetched), []))
        assert values == list(range(k * size))
        after = w.read_local()
        if rank == 0:
            assert after[:2] == [k * size, k * size]
    finally:
        w.free()


def test_shared_memory_neighbours(comm, rank, size):
    shared = comm.Split_type(MPI.COMM_TYPE_SHARED)
    try:
        r, n = shared.Get_rank(), shared.Get_size()
        win = MPI.Win.Allocate_shared(8 * (r + 1), 8, comm=shared)
        win.Lock_all()
        mine = np.frombuffer(win.tomemory(), dtype="f8")
        mine[:] = [r + 0.5] * (r + 1)
        win.Sync()
        shared.Barrier()
        win.Sync()
        for other in range(n):
            memory, unit = win.Shared_query(other)
            values = np.frombuffer(memory, dtype="f8")
            assert unit == 8 and list(values) == [other + 0.5] * (other + 1)
        win.Unlock_all()
        del mine, values, memory
        win.Free()
    finally:
        shared.Free()


def test_dynamic_several_attached(comm, rank):
    right, left = ring(comm)
    win = MPI.Win.Create_dynamic(comm=comm)
    blocks = [np.zeros(2, dtype="i4"), np.zeros(3, dtype="i4")]
    for block in blocks:
        win.Attach(block)
    addresses = comm.allgather([MPI.Get_address(b) for b in blocks])
    win.Fence()
    win.Put(np.array([rank, rank], dtype="i4"), right, addresses[right][0])
    win.Put(np.array([rank, -rank, rank], dtype="i4"), right, addresses[right][1])
    win.Fence()
    assert list(blocks[0]) == [left, left]
    assert list(blocks[1]) == [left, -left, left]
    for block in blocks:
        win.Detach(block)
    win.Free()


@pytest.mark.parametrize("mode", MODES)
def test_proc_null(mode, comm):
    w = Window("create", comm)
    try:
        null = MPI.PROC_NULL
        with epoch(w, mode, comm.Get_rank()):
            w.win.Put(None, null)
            w.win.Get(None, null)
            w.win.Accumulate(None, null, op=MPI.SUM)
            w.win.Get_accumulate(None, None, null)
            w.win.Fetch_and_op(None, None, null)
            w.win.Compare_and_swap(None, None, None, null)
            for request in (w.win.Rput(None, null), w.win.Rget(None, null)):
                request.Wait()
    finally:
        w.free()


def test_large_origin_in_pieces(comm, rank):
    """1 MiB of float64 accumulated, then read back."""
    n = 1 << 17
    win = MPI.Win.Allocate(8 * n, 8, comm=comm)
    mine = np.frombuffer(win.tomemory(), dtype="f8")
    win.Lock(rank)
    mine[:] = 1.0
    win.Unlock(rank)
    comm.Barrier()
    right, left = ring(comm)
    win.Fence()
    win.Accumulate(np.arange(n, dtype="f8"), right)
    win.Fence()
    assert np.array_equal(mine, np.arange(n, dtype="f8") + 1)
    del mine
    win.Free()


def test_origin_kept_until_synchronized(comm, rank):
    """A blocking Put whose origin is dropped at once still delivers its data."""
    w = Window("create", comm)
    try:
        right, left = ring(comm)
        w.set_local([0] * N)
        w.win.Fence()
        w.win.Put(array.array("i", range(rank, rank + N)), right)
        gc.collect()
        w.win.Fence()
        assert list(w.local) == list(range(left, left + N))
    finally:
        w.free()


# -- Bad input -------------------------------------------------------------------------


def error_class(call):
    with pytest.raises(MPI.Exception) as info:
        call()
    return info.value.Get_error_class()


def test_bad_target_rank_and_range(comm, rank, size):
    w = Window("create", comm)
    win = w.win
    one = np.ones(1, dtype="i4")
    try:
        win.Lock_all()
        assert error_class(lambda: win.Put(one, size)) == MPI.ERR_RANK
        # a negative rank none of the special ones (their values differ between ABIs)
        not_a_rank = min(MPI.ANY_SOURCE, MPI.PROC_NULL, MPI.ROOT) - 1
        assert error_class(lambda: win.Get(one, not_a_rank)) == MPI.ERR_RANK
        assert error_class(lambda: win.Put(one, rank, N)) == MPI.ERR_RMA_RANGE
        assert error_class(lambda: win.Put(np.ones(2, dtype="i4"), rank, N - 1)) == (
            MPI.ERR_RMA_RANGE
        )
        assert error_class(lambda: win.Fetch_and_op(one, one.copy(), rank, N)) == (
            MPI.ERR_RMA_RANGE
        )
        assert error_class(lambda: win.Rget(one, rank, 1 << 20)) == MPI.ERR_RMA_RANGE
        win.Put(one, rank, N - 1)  # the last slot is inside
        win.Unlock_all()
    finally:
        w.free()


def test_datatype_mismatch(comm, rank):
    w = Window("create", comm)
    win = w.win
    try:
        win.Lock(rank)
        with pytest.raises(ValueError):
            win.Put(np.ones(1, dtype="i4"), rank, (0, 1, MPI.DOUBLE))
        with pytest.raises(ValueError):
            win.Get(np.ones(3, dtype="i4"), rank, (0, 2))
        with pytest.raises(ValueError):
            win.Get_accumulate(np.ones(1, "i4"), np.ones(2, "i4"), rank)
        with pytest.raises(ValueError):
            win.Fetch_and_op(np.ones(2, "i4"), np.ones(2, "i4"), rank)
        with pytest.raises(ValueError):
            win.Fetch_and_op(np.ones(1, "i4"), np.ones(1, "f4"), rank)
        with pytest.raises(ValueError):
            win.Compare_and_swap(np.ones(1, "i4"), np.ones(1, "i8"), np.ones(1, "i4"), rank)
        with pytest.raises(ValueError):
            win.Put(np.ones(1, dtype="i4"), rank, (0, -1))
        with pytest.raises(BufferError):
            win.Get(b"read-only", rank)
        with pytest.raises(TypeError):
            win.Accumulate(np.ones(1, "i4"), rank, None, "SUM")
        win.Unlock(rank)
    finally:
        w.free()


def test_outside_epoch(comm, rank):
    w = Window("create", comm)
    win = w.win
    one = np.ones(1, dtype="i4")
    try:
        assert error_class(lambda: win.Put(one, rank)) == MPI.ERR_RMA_SYNC
        assert error_class(lambda: win.Get(one, rank)) == MPI.ERR_RMA_SYNC
        assert error_class(lambda: win.Unlock(rank)) == MPI.ERR_RMA_SYNC
        assert error_class(lambda: win.Wait()) == MPI.ERR_RMA_SYNC
        win.Lock(rank)
        assert error_class(lambda: win.Lock(rank)) == MPI.ERR_RMA_SYNC
        assert error_class(lambda: win.Lock_all()) == MPI.ERR_RMA_SYNC
        win.Unlock(rank)
        win.Lock_all()
        assert error_class(lambda: win.Lock(rank)) == MPI.ERR_RMA_SYNC
        win.Unlock_all()
        with pytest.raises(MPI.Exception):
            win.Lock(rank, 12345)  # no such lock type
    finally:
        w.free()


def test_freed_window_operations(comm):
    w = Window("allocate", comm)
    w.free()
    for call in (
        lambda: w.win.Put(np.ones(1, "i4"), 0),
        lambda: w.win.Accumulate(np.ones(1, "i4"), 0),
        lambda: w.win.Rput(np.ones(1, "i4"), 0),
        lambda: w.win.Fetch_and_op(np.ones(1, "i4"), np.ones(1, "i4"), 0),
        lambda: w.win.Fence(),
        lambda: w.win.Unlock_all(),
        lambda: w.win.Flush_all(),
        lambda: w.win.Flush_local_all(),
        lambda: w.win.Test(),
        lambda: w.win.Complete(),
    ):
        assert error_class(call) == MPI.ERR_WIN


def test_pscw_test_and_assertions(comm, rank, size):
    right, left = ring(comm)
    w = Window("create", comm)
    try:
        w.set_local([0] * N)
        win = w.win
        to_group = comm.Get_group().Incl([right])
        from_group = comm.Get_group().Incl([left])
        win.Post(from_group)
        win.Start(to_group)
        win.Put(np.array([rank + 1], dtype="i4"), right, 3)
        win.Complete()
        while not win.Test():
            pass
        assert w.local[3] == left + 1
        to_group.Free()
        from_group.Free()
        win.Fence(MPI.MODE_NOPRECEDE | MPI.MODE_NOPUT)
        win.Fence(MPI.MODE_NOSTORE | MPI.MODE_NOSUCCEED)
        win.Lock(rank, MPI.LOCK_EXCLUSIVE, MPI.MODE_NOCHECK)
        win.Unlock(rank)
    finally:
        w.free()

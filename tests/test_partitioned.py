"""Partitioned point-to-point (MPI-4): Comm.Psend_init/Precv_init and the Prequest partition
methods (Pready, Pready_range, Pready_list, Parrived): transfers of many partitions around a
ring over several rounds, partitions marked from several threads, counts given or inferred,
PROC_NULL, the buffer kept alive by the request, and bad input (partitions out of range or
marked twice, wrong request kinds, wildcards, bad ranks and tags, malformed buffers)."""

import gc
import random
import threading
import time
import weakref

import pytest
from helpers import ring

from mpipy import MPI

try:  # (no real Psend_init: MPICH sends its first message at init, for a Precv_init to match)
    MPI.COMM_SELF.Psend_init(None, 1, MPI.PROC_NULL).Free()
except NotImplementedError:  # pragma: no cover
    pytest.skip("this MPI has no partitioned communication", allow_module_level=True)


def typecode_for(bufkind):
    return "B" if bufkind.name == "bytearray" else "i"


def value(source, round_, i, typecode):
    v = source * 100_000 + round_ * 1000 + i
    return v % 256 if typecode == "B" else v


def wait_arrived(rreq, partition, seconds=60.0):
    deadline = time.monotonic() + seconds
    while not rreq.Parrived(partition):
        assert time.monotonic() < deadline, f"partition {partition} never arrived"


def error_class(call):
    with pytest.raises(MPI.Exception) as excinfo:
        call()
    return excinfo.value.Get_error_class()


@pytest.mark.parametrize("partitions", [1, 2, 7, 64])
def test_ring_rounds(comm, bufkind, partitions):
    right, left = ring(comm)
    rank = comm.Get_rank()
    typecode = typecode_for(bufkind)
    per = 3
    n = per * partitions
    sbuf = bufkind.make(typecode, n)
    rbuf = bufkind.make(typecode, n)
    sreq = comm.Psend_init(sbuf, partitions, right, 17)
    rreq = comm.Precv_init(rbuf, partitions, left, 17)
    assert type(sreq) is MPI.Prequest and type(rreq) is MPI.Prequest
    order = list(range(partitions))
    for round_ in range(3):
        for i in range(n):
            sbuf[i] = value(rank, round_, i, typecode)
        rreq.Start()
        sreq.Start()
        random.Random(round_).shuffle(order)
        for p in order:
            sreq.Pready(p)
        for p in range(partitions):
            wait_arrived(rreq, p)
        status = MPI.Status()
        rreq.Wait(status)
        sreq.Wait()
        assert status.source == left and status.tag == 17
        assert bufkind.tolist(rbuf) == [value(left, round_, i, typecode) for i in range(n)]
        assert sreq and rreq  # persistent: inactive, not freed
    sreq.Free()
    rreq.Free()
    assert not sreq and not rreq


def test_range_list_and_startall(comm):
    right, left = ring(comm)
    partitions = 10
    sbuf = bytearray(range(40))
    rbuf = bytearray(40)
    sreq = comm.Psend_init([sbuf, 4, MPI.BYTE], partitions, right)
    rreq = comm.Precv_init([rbuf, 4, MPI.BYTE], partitions, left, 0)
    for case in range(4):
        rbuf[:] = bytes(40)
        MPI.Prequest.Startall([rreq, sreq])
        if case == 0:
            sreq.Pready_range(0, 4)
            sreq.Pready_range(5, 9)
        elif case == 1:
            sreq.Pready_list([9, 0, 5])
            sreq.Pready_list((1, 2, 3, 4, 6, 7, 8))
        elif case == 2:
            sreq.Pready_list([])  # nothing
            sreq.Pready_range(3, 3)
            sreq.Pready_list(range(4, 10))
            sreq.Pready_range(0, 2)
        else:
            np = pytest.importorskip("numpy")
            sreq.Pready_list(np.arange(10, dtype="i4"))
        MPI.Request.Waitall([rreq, sreq])
        assert rbuf == sbuf
    sreq.Free()
    rreq.Free()


def test_test_until_every_partition_is_ready():
    sbuf, rbuf = bytearray(b"abcdefgh"), bytearray(8)
    sreq = MPI.COMM_SELF.Psend_init(sbuf, 4, 0, 3)
    rreq = MPI.COMM_SELF.Precv_init(rbuf, 4, 0, 3)
    rreq.Start()
    sreq.Start()
    for p in range(3):
        sreq.Pready(p)
    assert not rreq.Test() and not sreq.Test()  # a partition is missing
    sreq.Pready(3)
    deadline = time.monotonic() + 60
    while not rreq.Test():
        assert time.monotonic() < deadline
    sreq.Wait()
    assert rbuf == sbuf
    sreq.Free()
    rreq.Free()


@pytest.mark.parametrize("nthreads", [2, 4])
def test_pready_from_several_threads(comm, nthreads):
    if MPI.Query_thread() != MPI.THREAD_MULTIPLE:
        pytest.skip("needs MPI_THREAD_MULTIPLE")
    right, left = ring(comm)
    rank = comm.Get_rank()
    partitions, per = 48, 5
    np = pytest.importorskip("numpy")
    sbuf = np.zeros(partitions * per, dtype="f8")
    rbuf = np.full(partitions * per, -1.0)
    sreq = comm.Psend_init(sbuf, partitions, right, 5)
    rreq = comm.Precv_init(rbuf, partitions, left, 5)
    for round_ in range(2):
        rreq.Start()
        sreq.Start()
        errors = []

        def fill_and_mark(t):
            try:
                for p in range(t, partitions, nthreads):  # each thread its own partitions
                    sbuf[p * per : (p + 1) * per] = rank * 1000 + round_ * 100 + p
                    sreq.Pready(p)
            except BaseException as exc:  # pragma: no cover
                errors.append(exc)

        threads = [threading.Thread(target=fill_and_mark, args=(t,)) for t in range(nthreads)]
        for thread in threads:
            thread.start()
        rreq.Wait()  # while the threads mark partitions
        for thread in threads:
            thread.join(timeout=60)
            assert not thread.is_alive()
        assert errors == []
        sreq.Wait()
        expected = np.repeat(left * 1000 + round_ * 100 + np.arange(partitions), per)
        assert (rbuf == expected).all()
    sreq.Free()
    rreq.Free()


def test_counts_given_and_inferred():
    np = pytest.importorskip("numpy")
    buf = np.arange(12, dtype="i4")
    out = np.zeros(12, dtype="i4")
    # An inferred count is divided among the partitions, a given one is per partition.
    for sspec, rspec, partitions in [
        (buf, out, 3),
        ([buf, 4, MPI.INT], [out, 4, MPI.INT], 3),
        ([buf, 2, MPI.INT], [out, 2, MPI.INT], 6),
        ([buf, MPI.INT], [out, MPI.INT], 12),
    ]:
        out[:] = 0
        sreq = MPI.COMM_SELF.Psend_init(sspec, partitions, 0, 1)
        rreq = MPI.COMM_SELF.Precv_init(rspec, partitions, 0, 1)
        rreq.Start()
        sreq.Start()
        sreq.Pready_range(0, partitions - 1)
        MPI.Request.Waitall([sreq, rreq])
        assert (out == buf).all()
        sreq.Free()
        rreq.Free()
    with pytest.raises(ValueError, match="partitions"):
        MPI.COMM_SELF.Psend_init(buf, 5, 0)  # 12 items do not divide among 5
    with pytest.raises(ValueError):
        MPI.COMM_SELF.Psend_init([buf, 5, MPI.INT], 3, 0)  # 15 items > 12
    with pytest.raises(ValueError):
        MPI.COMM_SELF.Precv_init([out, 7, MPI.INT], 2, 0, 0)


def test_proc_null():
    sreq = MPI.COMM_SELF.Psend_init(None, 3, MPI.PROC_NULL)
    rreq = MPI.COMM_SELF.Precv_init(None, 3, MPI.PROC_NULL, 4)
    for _ in range(2):
        MPI.Prequest.Startall([sreq, rreq])
        assert rreq.Parrived(0) and rreq.Parrived(2)  # nothing comes: arrived at once
        sreq.Pready(1)
        sreq.Pready_list([0, 2])
        assert error_class(lambda: sreq.Pready(3)) == MPI.ERR_ARG  # still checked
        assert error_class(lambda: sreq.Pready(1)) == MPI.ERR_ARG
        status = MPI.Status()
        rreq.Wait(status)
        # (MPICH's persistent receives from PROC_NULL report ANY_SOURCE, as Recv_init's do.)
        assert status.source in (MPI.PROC_NULL, MPI.ANY_SOURCE)
        assert (status.tag, status.Get_count()) == (MPI.ANY_TAG, 0)
        sreq.Wait()
    # The spec is ignored with PROC_NULL, whatever it is.
    MPI.COMM_SELF.Psend_init("not a buffer", 2, MPI.PROC_NULL).Free()
    sreq.Free()
    rreq.Free()


def test_buffer_kept_alive_by_the_request():
    np = pytest.importorskip("numpy")
    rbuf = np.zeros(8, dtype="i8")
    ref = weakref.ref(rbuf)
    rreq = MPI.COMM_SELF.Precv_init(rbuf, 2, 0, 2)
    sreq = MPI.COMM_SELF.Psend_init(np.arange(8, dtype="i8"), 2, 0, 2)  # temporary array
    del rbuf
    gc.collect()
    assert ref() is not None  # the receive request holds its buffer
    rreq.Start()
    sreq.Start()
    sreq.Pready_list([1, 0])
    MPI.Request.Waitall([rreq, sreq])
    assert ref().tolist() == list(range(8))
    rreq.Free()
    sreq.Free()
    gc.collect()
    assert ref() is None  # released once the request is freed


def test_bad_partition_arguments():
    sbuf, rbuf = bytearray(8), bytearray(8)
    sreq = MPI.COMM_SELF.Psend_init(sbuf, 4, 0, 6)
    rreq = MPI.COMM_SELF.Precv_init(rbuf, 4, 0, 6)
    # Not active yet: nothing to mark; nothing pending to arrive.
    assert error_class(lambda: sreq.Pready(0)) == MPI.ERR_REQUEST
    assert rreq.Parrived(0) is True
    rreq.Start()
    sreq.Start()
    for bad in (-1, 4, 100):
        assert error_class(lambda: sreq.Pready(bad)) == MPI.ERR_ARG
        assert error_class(lambda: rreq.Parrived(bad)) == MPI.ERR_ARG
    assert error_class(lambda: sreq.Pready_range(2, 1)) == MPI.ERR_ARG
    assert error_class(lambda: sreq.Pready_range(0, 4)) == MPI.ERR_ARG
    assert error_class(lambda: sreq.Pready_list([0, 4])) == MPI.ERR_ARG
    assert error_class(lambda: sreq.Pready_list([1, 1])) == MPI.ERR_ARG  # twice in one list
    # Wrong direction.
    assert error_class(lambda: rreq.Pready(0)) == MPI.ERR_REQUEST
    assert error_class(lambda: sreq.Parrived(0)) == MPI.ERR_REQUEST
    # Not integers, or beyond a C int.
    with pytest.raises(TypeError):
        sreq.Pready("0")
    with pytest.raises(TypeError):
        sreq.Pready(1.0)
    with pytest.raises(OverflowError):
        sreq.Pready(2**40)
    with pytest.raises(TypeError):
        sreq.Pready_list(3)
    with pytest.raises(TypeError):
        sreq.Pready_list(["a"])
    with pytest.raises(TypeError):
        rreq.Parrived(None)
    # None of the failed calls marked anything: every partition can be marked once now.
    sreq.Pready(1)
    assert error_class(lambda: sreq.Pready(1)) == MPI.ERR_ARG  # marked twice
    assert error_class(lambda: sreq.Pready_range(0, 1)) == MPI.ERR_ARG
    sreq.Pready_list([0, 3])
    sreq.Pready_range(2, 2)
    MPI.Request.Waitall([rreq, sreq])
    assert error_class(lambda: sreq.Pready(0)) == MPI.ERR_REQUEST  # inactive again
    assert rreq.Parrived(3) is True
    sreq.Free()
    rreq.Free()
    for method, args in [
        ("Pready", (0,)),
        ("Pready_range", (0, 1)),
        ("Pready_list", ([0],)),
        ("Parrived", (0,)),
    ]:
        for req in (sreq, MPI.Prequest()):
            assert error_class(lambda: getattr(req, method)(*args)) == MPI.ERR_REQUEST


def test_partition_methods_on_other_requests():
    preq = MPI.COMM_SELF.Send_init(bytearray(4), 0, 1)
    qreq = MPI.COMM_SELF.Recv_init(bytearray(4), 0, 1)
    MPI.Prequest.Startall([qreq, preq])
    assert error_class(lambda: preq.Pready(0)) == MPI.ERR_REQUEST
    assert error_class(lambda: qreq.Parrived(0)) == MPI.ERR_REQUEST
    MPI.Request.Waitall([preq, qreq])
    preq.Free()
    qreq.Free()
    with pytest.raises(TypeError):
        MPI.Prequest.Pready(MPI.Request(), 0)  # not a Prequest


def test_bad_init_arguments(comm):
    size = comm.Get_size()
    buf = bytearray(4)
    for partitions in (0, -1):
        assert error_class(lambda: comm.Psend_init(buf, partitions, 0)) == MPI.ERR_ARG
        assert error_class(lambda: comm.Precv_init(buf, partitions, 0, 0)) == MPI.ERR_ARG
    for rank in (size, -5, MPI.ANY_SOURCE):
        assert error_class(lambda: comm.Psend_init(buf, 2, rank)) == MPI.ERR_RANK
        assert error_class(lambda: comm.Precv_init(buf, 2, rank, 0)) == MPI.ERR_RANK
    assert error_class(lambda: comm.Precv_init(buf, 2)) == MPI.ERR_RANK  # ANY_SOURCE default
    for tag in (-7, MPI.ANY_TAG, MPI.COMM_WORLD.Get_attr(MPI.TAG_UB) + 1):
        if tag > 2**31 - 1:
            continue
        assert error_class(lambda: comm.Psend_init(buf, 2, 0, tag)) == MPI.ERR_TAG
        assert error_class(lambda: comm.Precv_init(buf, 2, 0, tag)) == MPI.ERR_TAG
    with pytest.raises(BufferError):
        comm.Precv_init(b"read-only", 1, 0, 0)
    with pytest.raises(TypeError):
        comm.Psend_init(object(), 1, 0)
    with pytest.raises(TypeError):
        comm.Psend_init(buf, "2", 0)
    with pytest.raises(TypeError):
        comm.Psend_init(buf, 2, 0, 0, info="no")
    with pytest.raises(MPI.Exception):
        MPI.COMM_NULL.Psend_init(buf, 2, 0)
    # Info given; every Psend_init is matched by a Precv_init, as MPI requires.
    rank = comm.Get_rank()
    rbuf = bytearray(4)
    sreq = comm.Psend_init(b"abcd", 2, rank, 0, MPI.INFO_NULL)
    rreq = comm.Precv_init(rbuf, 2, rank, 0, info=MPI.INFO_NULL)
    MPI.Prequest.Startall([sreq, rreq])
    sreq.Pready_range(0, 1)
    MPI.Request.Waitall([sreq, rreq])
    assert rbuf == b"abcd"
    sreq.Free()
    rreq.Free()

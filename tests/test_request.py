"""Requests: Wait/Test/Get_status/Cancel/Free, the all/any/some completion functions with
REQUEST_NULL entries and statuses lists, their lowercase forms returning received objects,
Get_status_all/any/some, persistent requests, and requests dropped while still pending."""

import array
import gc
import time
import weakref

import pytest
from helpers import ring

from mpipy import MPI

try:
    import numpy as np
except ImportError:  # pragma: no cover
    np = None


def empty_status(status):
    """The status MPI gives for a null or inactive request."""
    return (status.source, status.tag, status.error, status.Get_count()) == (
        MPI.ANY_SOURCE,
        MPI.ANY_TAG,
        MPI.SUCCESS,
        0,
    )


def until(predicate, seconds=30.0):
    """Poll until predicate() holds, calling into MPI meanwhile (MPICH progresses pending
    operations only inside MPI calls)."""
    deadline = time.monotonic() + seconds
    while not predicate():
        MPI.COMM_WORLD.Iprobe(MPI.ANY_SOURCE, 32000)
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")


# -- Single requests -----------------------------------------------------------------------------


def test_request_null():
    null = MPI.REQUEST_NULL
    assert not null and MPI.Request() == null and not MPI.Request()
    assert isinstance(null, MPI.Request)
    status = MPI.Status()
    status.source, status.tag = 3, 4
    assert null.Wait(status) is True
    assert empty_status(status)
    assert null.Test() is True
    assert null.Get_status() is True
    assert null.wait() is None
    assert null.test() == (True, None)
    assert null.get_status() is True
    for method in ("Cancel", "Free"):
        with pytest.raises(MPI.Exception) as excinfo:
            getattr(MPI.Request(), method)()
        assert excinfo.value.Get_error_class() == MPI.ERR_REQUEST
    with pytest.raises(MPI.Exception) as excinfo:
        MPI.Prequest().Start()
    assert excinfo.value.Get_error_class() == MPI.ERR_REQUEST
    # Copies share the handle.
    req = MPI.Request(null)
    assert req == null and req is not null


@pytest.mark.parametrize("cls", [MPI.Prequest, MPI.Grequest])
def test_request_subclass_construction(comm, cls):
    """Prequest and Grequest are made from a null request or one of their own class, and
    fromhandle/fromint/f2py on them give their own class."""
    null = cls(MPI.REQUEST_NULL)
    assert type(null) is cls and not null and null == MPI.REQUEST_NULL
    assert type(cls()) is cls
    for make in (cls.fromhandle, lambda h: cls.fromint(MPI.Request.fromhandle(h).toint())):
        made = make(MPI.REQUEST_NULL.handle)
        assert type(made) is cls and made == MPI.REQUEST_NULL
    fortran = MPI._mpi_abi is None  # the MPI standard ABI has no Fortran handles
    if fortran:
        assert type(cls.f2py(MPI.REQUEST_NULL.py2f())) is cls
    preq = comm.Send_init(b"", MPI.PROC_NULL, 0)
    assert type(preq) is MPI.Prequest
    if cls is MPI.Prequest:
        dupes = [cls(preq), cls.fromhandle(preq.handle), cls.fromint(preq.toint())]
        if fortran:
            dupes.append(cls.f2py(preq.py2f()))
        for dupe in dupes:
            assert type(dupe) is MPI.Prequest and dupe == preq
    else:
        with pytest.raises(TypeError):
            cls(preq)
    plain = MPI.Request(preq)
    assert type(plain) is MPI.Request and plain == preq
    for other in (comm.Isend(b"", MPI.PROC_NULL), comm.Irecv(bytearray(1), MPI.PROC_NULL)):
        if other:  # some MPIs give a real request for a PROC_NULL operation
            with pytest.raises(TypeError):
                cls(other)
            other.Wait()
    for bad in (3, MPI.COMM_WORLD):
        with pytest.raises(TypeError):
            cls(bad)
    made = cls(None)  # as mpi4py: None is the default, a null request
    assert type(made) is cls and made == MPI.REQUEST_NULL
    preq.Start()
    preq.Wait()
    preq.Free()


def test_wait_test_get_status(comm):
    right, left = ring(comm)
    rbuf = array.array("i", [0] * 4)
    rreq = comm.Irecv(rbuf, left, 1)
    assert rreq and rreq != MPI.REQUEST_NULL
    assert rreq.Test() is False  # nothing sent yet
    assert rreq.Get_status() is False
    comm.Barrier()
    sreq = comm.Isend(array.array("i", [comm.Get_rank()] * 4), right, 1)
    status = MPI.Status()
    until(lambda: rreq.Get_status(status))
    # Get_status does not complete the request.
    assert rreq != MPI.REQUEST_NULL
    assert (status.source, status.tag, status.Get_count(MPI.INT)) == (left, 1, 4)
    assert rreq.Get_status() is True
    status2 = MPI.Status()
    assert rreq.Wait(status2) is True
    assert rreq == MPI.REQUEST_NULL
    assert (status2.source, status2.tag, status2.Get_count(MPI.INT)) == (left, 1, 4)
    assert list(rbuf) == [left] * 4
    until(sreq.Test)
    assert sreq == MPI.REQUEST_NULL
    # Waiting again on a completed (now null) request is fine.
    assert rreq.Wait(status2) is True and empty_status(status2)


def test_copies_share_completion(comm):
    right, left = ring(comm)
    rbuf = bytearray(3)
    rreq = comm.Irecv(rbuf, left, 2)
    alias = MPI.Request(rreq)
    assert alias == rreq and alias is not rreq
    sreq = comm.Isend(b"abc", right, 2)
    alias.Wait()
    sreq.Wait()
    assert rbuf == b"abc"
    assert alias == MPI.REQUEST_NULL
    # The copy completed the request: the original sees it as done (not a stale handle).
    status = MPI.Status()
    assert rreq.Wait(status) is True
    assert rreq == MPI.REQUEST_NULL and empty_status(status)
    del rreq
    gc.collect()
    # Copies of a persistent request: freed through one, null for the other.
    preq = comm.Recv_init(rbuf, left, 3)
    copy = MPI.Prequest(preq)
    copy.Free()
    with pytest.raises(MPI.Exception) as excinfo:
        preq.Start()
    assert excinfo.value.Get_error_class() == MPI.ERR_REQUEST
    assert preq == MPI.REQUEST_NULL
    # Copies of an object receive: completed through either.
    req = comm.irecv(source=left, tag=4)
    copy = MPI.Request(req)
    sreq = comm.isend("obj", right, 4)
    assert copy.wait() == "obj"
    assert req.wait() is None and req == MPI.REQUEST_NULL
    sreq.wait()


def test_cancel(comm):
    rbuf = bytearray(b"keep")
    req = comm.Irecv(rbuf, MPI.ANY_SOURCE, 999)
    assert req.Cancel() is None
    status = MPI.Status()
    req.Wait(status)
    assert status.Is_cancelled()
    assert req == MPI.REQUEST_NULL
    assert rbuf == b"keep"
    # Lowercase cancel and wait of an object receive.
    req = comm.irecv(source=MPI.ANY_SOURCE, tag=999)
    req.cancel()
    status = MPI.Status()
    assert req.wait(status) is None
    assert status.cancelled


def test_free_inactive_and_persistent(comm):
    right, left = ring(comm)
    sreq = comm.Send_init(b"xyz", right, 3)
    rbuf = bytearray(3)
    rreq = comm.Recv_init(rbuf, left, 3)
    for _ in range(2):
        MPI.Prequest.Startall([rreq, sreq])
        MPI.Request.Waitall([rreq, sreq])
        assert rbuf == b"xyz"
    for req in (sreq, rreq):
        assert req
        req.Free()
        assert req == MPI.REQUEST_NULL
        with pytest.raises(MPI.Exception):
            req.Free()


# -- Lists of requests ---------------------------------------------------------------------------


def post_pairs(comm, n, base_tag):
    """n receives from the left neighbour and n sends to the right one (tags base_tag + i)."""
    right, left = ring(comm)
    rank = comm.Get_rank()
    bufs = [array.array("i", [-1] * (i + 1)) for i in range(n)]
    recvs = [comm.Irecv(bufs[i], left, base_tag + i) for i in range(n)]
    sends = [
        comm.Isend(array.array("i", [rank * 10 + i] * (i + 1)), right, base_tag + i)
        for i in range(n)
    ]
    return bufs, recvs, sends


def check_bufs(comm, bufs):
    left = ring(comm)[1]
    for i, buf in enumerate(bufs):
        assert list(buf) == [left * 10 + i] * (i + 1)


def test_waitall_with_nulls_and_statuses(comm):
    left = ring(comm)[1]
    bufs, recvs, sends = post_pairs(comm, 3, 10)
    N = MPI.REQUEST_NULL
    reqs = [N, recvs[0], N, recvs[1], recvs[2]] + sends + [MPI.Request()]
    statuses = [MPI.Status() for _ in reqs]
    for s in statuses:
        s.source = 77
    assert MPI.Request.Waitall(reqs, statuses) is True
    assert all(r == N for r in reqs)
    check_bufs(comm, bufs)
    for k, index in enumerate((1, 3, 4)):
        s = statuses[index]
        assert (s.source, s.tag, s.Get_count(MPI.INT)) == (left, 10 + k, k + 1)
    for index in (0, 2, len(reqs) - 1):
        assert empty_status(statuses[index])
    # A statuses list shorter than the requests is extended.
    bufs, recvs, sends = post_pairs(comm, 2, 20)
    statuses = []
    MPI.Request.Waitall(recvs + sends, statuses)
    assert len(statuses) == 4 and all(isinstance(s, MPI.Status) for s in statuses)
    assert [s.tag for s in statuses[:2]] == [20, 21]
    # Any sequence of statuses: a tuple (or a list as long as the requests) gets as many as
    # it holds, and is never extended.
    for n in (4, 1, 0):
        bufs, recvs, sends = post_pairs(comm, 2, 40)
        statuses = tuple(MPI.Status() for _ in range(n))
        MPI.Request.Waitall(recvs + sends, statuses)
        assert [s.tag for s in statuses[:2]] == [40, 41][:n]
        check_bufs(comm, bufs)
    for method in ("waitall", "testall"):
        recvs, sends = post_objects(comm, 2, 45)
        statuses = [MPI.Status()]
        done = False
        while not done:
            result = getattr(MPI.Request, method)(recvs + sends, statuses)
            done, objs = result if method == "testall" else (True, result)
        assert objs == [expected_object(comm, 0), expected_object(comm, 1), None, None]
        assert len(statuses) == 4 and [s.tag for s in statuses[:2]] == [45, 46]
    # Tuples of requests are accepted; so are empty lists.
    bufs, recvs, sends = post_pairs(comm, 2, 30)
    assert MPI.Request.Waitall(tuple(recvs + sends)) is True
    assert MPI.Request.Waitall([]) is True


@pytest.mark.parametrize("n", [1, 47, 48, 49, 150])
def test_long_request_lists(comm, n):
    # Lists of requests of any length (short ones are kept on the stack, long ones are
    # not): data, statuses and the handles written back, for Waitall, Testall and the
    # persistent Startall.
    left = ring(comm)[1]
    bufs, recvs, sends = post_pairs(comm, n, 100)
    statuses = []
    assert MPI.Request.Waitall(recvs + sends, statuses) is True
    assert all(r == MPI.REQUEST_NULL for r in recvs + sends)
    check_bufs(comm, bufs)
    assert [(s.source, s.tag) for s in statuses[:n]] == [(left, 100 + i) for i in range(n)]
    bufs, recvs, sends = post_pairs(comm, n, 100)
    until(lambda: MPI.Request.Testall(recvs + sends) is True)
    check_bufs(comm, bufs)
    right = ring(comm)[0]
    rbufs = [array.array("i", [-1]) for _ in range(n)]
    sbuf = array.array("i", [comm.Get_rank()])
    persistent = [comm.Recv_init(b, left, 7) for b in rbufs]
    persistent += [comm.Send_init(sbuf, right, 7) for _ in range(n)]
    for _ in range(2):  # a second round reuses them
        MPI.Prequest.Startall(persistent)
        MPI.Request.Waitall(persistent)
        assert all(r != MPI.REQUEST_NULL for r in persistent)  # persistent: still there
        assert [b[0] for b in rbufs] == [left] * n
        for b in rbufs:
            b[0] = -1
    for r in persistent:
        r.Free()


def test_testall(comm):
    right, left = ring(comm)
    bufs = [bytearray(2), bytearray(2)]
    recvs = [comm.Irecv(bufs[i], left, 40 + i) for i in range(2)]
    reqs = [MPI.REQUEST_NULL] + recvs
    assert MPI.Request.Testall(reqs) is False  # nothing sent yet
    assert all(recvs)  # nothing was freed
    comm.Barrier()
    sends = [comm.Isend(bytes([comm.Get_rank(), i]), right, 40 + i) for i in range(2)]
    statuses = [MPI.Status() for _ in range(3)]
    until(lambda: MPI.Request.Testall(reqs, statuses))
    assert all(r == MPI.REQUEST_NULL for r in reqs)
    assert [bytes(b) for b in bufs] == [bytes([left, 0]), bytes([left, 1])]
    assert [s.tag for s in statuses[1:]] == [40, 41]
    assert empty_status(statuses[0])
    MPI.Request.Waitall(sends)


def test_waitany(comm):
    left = ring(comm)[1]
    bufs, recvs, sends = post_pairs(comm, 3, 50)
    reqs = [MPI.REQUEST_NULL, recvs[0], recvs[1], MPI.REQUEST_NULL, recvs[2]]
    seen = []
    status = MPI.Status()
    while True:
        index = MPI.Request.Waitany(reqs, status)
        if index == MPI.UNDEFINED:
            break
        assert reqs[index] == MPI.REQUEST_NULL
        assert status.source == left and status.tag == 50 + [1, 2, 4].index(index)
        seen.append(index)
    assert sorted(seen) == [1, 2, 4]
    check_bufs(comm, bufs)
    MPI.Request.Waitall(sends)
    assert MPI.Request.Waitany([]) == MPI.UNDEFINED


def test_testany(comm):
    right, left = ring(comm)
    rbuf = bytearray(1)
    reqs = [MPI.REQUEST_NULL, comm.Irecv(rbuf, left, 60)]
    assert MPI.Request.Testany(reqs) == (MPI.UNDEFINED, False)
    comm.Barrier()
    sreq = comm.Isend(bytes([comm.Get_rank()]), right, 60)
    status = MPI.Status()
    result = []
    until(lambda: result.append(MPI.Request.Testany(reqs, status)) or result[-1][1])
    assert result[-1] == (1, True)
    assert status.source == left and status.tag == 60
    assert rbuf[0] == left
    # Only null requests: flag True, index UNDEFINED.
    assert MPI.Request.Testany(reqs) == (MPI.UNDEFINED, True)
    sreq.Wait()


@pytest.mark.parametrize("method", ["Waitsome", "Testsome"])
def test_waitsome_testsome(comm, method):
    left = ring(comm)[1]
    bufs, recvs, sends = post_pairs(comm, 4, 70)
    reqs = recvs[:2] + [MPI.REQUEST_NULL] + recvs[2:]
    positions = [0, 1, 3, 4]
    seen = []
    deadline = time.monotonic() + 30
    while True:
        statuses = []
        indices = getattr(MPI.Request, method)(reqs, statuses)
        if indices is None:
            break
        assert len(statuses) >= len(indices)
        for index, status in zip(indices, statuses):
            assert reqs[index] == MPI.REQUEST_NULL
            k = positions.index(index)
            assert (status.source, status.tag, status.Get_count(MPI.INT)) == (left, 70 + k, k + 1)
        seen.extend(indices)
        assert time.monotonic() < deadline
    assert sorted(seen) == positions
    check_bufs(comm, bufs)
    MPI.Request.Waitall(sends)


def test_get_status_all_any_some(comm):
    right, left = ring(comm)
    bufs = [bytearray(1) for _ in range(3)]
    recvs = [comm.Irecv(bufs[i], left, 80 + i) for i in range(3)]
    reqs = [MPI.REQUEST_NULL] + recvs
    assert MPI.Request.Get_status_all(reqs) is False
    assert MPI.Request.Get_status_any(reqs) == (MPI.UNDEFINED, False)
    assert MPI.Request.Get_status_some(reqs) == []
    comm.Barrier()
    sends = [comm.Isend(bytes([i]), right, 80 + i) for i in range(3)]
    statuses = []
    until(lambda: MPI.Request.Get_status_all(reqs, statuses))
    assert [s.tag for s in statuses[1:]] == [80, 81, 82]
    assert all(recvs)  # still to be completed
    status = MPI.Status()
    index, flag = MPI.Request.Get_status_any(reqs, status)
    assert flag and index in (1, 2, 3) and status.tag == 79 + index
    statuses = []
    assert sorted(MPI.Request.Get_status_some(reqs, statuses)) == [1, 2, 3]
    assert sorted(s.tag for s in statuses) == [80, 81, 82]
    assert all(recvs)
    MPI.Request.Waitall(reqs + sends)
    assert MPI.Request.Get_status_all(reqs) is True
    assert MPI.Request.Get_status_any(reqs) == (MPI.UNDEFINED, True)
    # No active request: the empty status.
    status = MPI.Status()
    status.source, status.tag, status.error = 0, 0, MPI.ERR_OTHER
    assert MPI.Request.Get_status_any(reqs, status) == (MPI.UNDEFINED, True)
    assert empty_status(status)
    statuses = [MPI.Status() for _ in reqs]
    for s in statuses:
        s.source, s.tag, s.error = 0, 0, MPI.ERR_OTHER
    assert MPI.Request.Get_status_all(reqs, statuses) is True
    assert all(empty_status(s) for s in statuses)
    status.error = MPI.ERR_OTHER
    assert MPI.REQUEST_NULL.Get_status(status) is True and empty_status(status)
    assert MPI.Request.Get_status_some(reqs) is None
    assert [bytes(b) for b in bufs] == [b"\x00", b"\x01", b"\x02"]
    # Lowercase aliases.
    assert MPI.Request.get_status_all(reqs) is True
    assert MPI.Request.get_status_any(reqs) == (MPI.UNDEFINED, True)
    assert MPI.Request.get_status_some(reqs) is None


# -- Lowercase completion: received objects in the right places ----------------------------------


def post_objects(comm, n, base_tag):
    right, left = ring(comm)
    rank = comm.Get_rank()
    recvs = [comm.irecv(source=left, tag=base_tag + i) for i in range(n)]
    sends = [
        comm.isend({"from": rank, "i": i, "data": list(range(i))}, right, base_tag + i)
        for i in range(n)
    ]
    return recvs, sends


def expected_object(comm, i):
    return {"from": ring(comm)[1], "i": i, "data": list(range(i))}


def test_lowercase_wait_test(comm):
    right, left = ring(comm)
    req = comm.irecv(source=left, tag=90)
    assert req.test() == (False, None)
    comm.Barrier()
    sreq = comm.isend(("hello", comm.Get_rank()), right, 90)
    status = MPI.Status()
    assert req.wait(status) == ("hello", left)
    assert (status.source, status.tag) == (left, 90)
    assert req == MPI.REQUEST_NULL
    assert sreq.wait() is None
    # test() returning the object.
    req = comm.irecv(source=left, tag=91)
    sreq = comm.isend([1, 2, 3], right, 91)
    results = []
    until(lambda: results.append(req.test()) or results[-1][0])
    assert results[-1] == (True, [1, 2, 3])
    until(lambda: sreq.test()[0])


def test_lowercase_waitall_testall(comm):
    recvs, sends = post_objects(comm, 3, 100)
    reqs = [recvs[0], MPI.REQUEST_NULL] + sends + recvs[1:]
    results = MPI.Request.waitall(reqs)
    assert results == [
        expected_object(comm, 0),
        None,
        None,
        None,
        None,
        expected_object(comm, 1),
        expected_object(comm, 2),
    ]
    # testall: (False, None) until done, then (True, results).
    right, left = ring(comm)
    recv = comm.irecv(source=left, tag=110)
    assert MPI.Request.testall([recv]) == (False, None)
    comm.Barrier()
    send = comm.isend("x" * 10, right, 110)
    out = []
    until(lambda: out.append(MPI.Request.testall([send, recv, MPI.REQUEST_NULL])) or out[-1][0])
    assert out[-1] == (True, [None, "x" * 10, None])


def test_lowercase_waitany_testany(comm):
    recvs, sends = post_objects(comm, 3, 120)
    reqs = [MPI.REQUEST_NULL] + recvs
    got = {}
    status = MPI.Status()
    while True:
        index, obj = MPI.Request.waitany(reqs, status)
        if index == MPI.UNDEFINED:
            assert obj is None
            break
        assert status.tag == 120 + index - 1
        got[index] = obj
    assert got == {i + 1: expected_object(comm, i) for i in range(3)}
    MPI.Request.waitall(sends)
    # testany: (UNDEFINED, False, None) while pending.
    right, left = ring(comm)
    reqs = [comm.irecv(source=left, tag=130)]
    assert MPI.Request.testany(reqs) == (MPI.UNDEFINED, False, None)
    comm.Barrier()
    send = comm.isend(3.5, right, 130)
    out = []
    until(lambda: out.append(MPI.Request.testany(reqs)) or out[-1][1])
    assert out[-1] == (0, True, 3.5)
    assert MPI.Request.testany(reqs) == (MPI.UNDEFINED, True, None)
    send.wait()


@pytest.mark.parametrize("method", ["waitsome", "testsome"])
def test_lowercase_waitsome_testsome(comm, method):
    recvs, sends = post_objects(comm, 3, 140)
    reqs = [recvs[0], MPI.REQUEST_NULL, recvs[1], recvs[2]]
    got = {}
    deadline = time.monotonic() + 30
    while True:
        indices, objs = getattr(MPI.Request, method)(reqs)
        if indices is None:
            assert objs is None
            break
        assert len(indices) == len(objs)
        for index, obj in zip(indices, objs):
            assert index not in got
            got[index] = obj
        assert time.monotonic() < deadline
    assert got == {
        0: expected_object(comm, 0),
        2: expected_object(comm, 1),
        3: expected_object(comm, 2),
    }
    MPI.Request.waitall(sends)


def test_mixed_buffer_and_object_requests(comm):
    right, left = ring(comm)
    rbuf = bytearray(4)
    reqs = [
        comm.Irecv(rbuf, left, 150),
        comm.irecv(source=left, tag=151),
        comm.Isend(b"abcd", right, 150),
        comm.isend({"k": 1}, right, 151),
    ]
    assert MPI.Request.waitall(reqs) == [None, {"k": 1}, None, None]
    assert rbuf == b"abcd"


def test_lowercase_persistent(comm):
    right, left = ring(comm)
    rbuf = bytearray(5)
    reqs = [comm.Recv_init(rbuf, left, 160), comm.Send_init(b"hello", right, 160)]
    for _ in range(3):
        MPI.Prequest.Startall(reqs)
        assert MPI.Request.waitall(reqs) == [None, None]
        assert rbuf == b"hello"
        assert all(reqs)  # persistent: still allocated
    for r in reqs:
        r.Free()


# -- Bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Waitall",
        "Testall",
        "Waitany",
        "Testany",
        "Waitsome",
        "Testsome",
        "waitall",
        "testall",
        "waitany",
        "testany",
        "waitsome",
        "testsome",
        "Get_status_all",
        "Get_status_any",
        "Get_status_some",
    ],
)
def test_wrong_request_lists(name):
    method = getattr(MPI.Request, name)
    for bad in ([1, 2], [MPI.REQUEST_NULL, "x"], [MPI.COMM_WORLD], [None]):
        with pytest.raises(TypeError):
            method(bad)
    for bad in (None, 3, MPI.REQUEST_NULL):
        with pytest.raises(TypeError):
            method(bad)


def test_wrong_status_arguments(comm):
    N = MPI.REQUEST_NULL
    for bad in (3, "s", MPI.REQUEST_NULL):
        with pytest.raises(TypeError):
            N.Wait(bad)
        with pytest.raises(TypeError):
            N.Test(bad)
        with pytest.raises(TypeError):
            N.Get_status(bad)
        with pytest.raises(TypeError):
            MPI.Request.Waitany([N], bad)
    for bad in (3, [3], [MPI.Status(), "x"], (None,), "ab"):
        with pytest.raises(TypeError):
            MPI.Request.Waitall([N, N], bad)
    # A wrong status argument leaves the requests untouched.
    right, left = ring(comm)
    rbuf = bytearray(1)
    req = comm.Irecv(rbuf, left, 170)
    with pytest.raises(TypeError):
        MPI.Request.Waitall([req], [1])
    assert req
    sreq = comm.Isend(b"z", right, 170)
    MPI.Request.Waitall([req, sreq])
    assert rbuf == b"z"


def test_startall_wrong_contents(comm):
    right = ring(comm)[0]
    with pytest.raises(TypeError):
        MPI.Prequest.Startall([1])
    with pytest.raises(TypeError):
        MPI.Prequest.Startall(None)
    with pytest.raises(MPI.Exception) as excinfo:
        MPI.Prequest.Startall([MPI.Prequest()])
    assert excinfo.value.Get_error_class() == MPI.ERR_REQUEST
    # A null entry fails the whole call before anything starts.
    sreq = comm.Send_init(b"", MPI.PROC_NULL, 0)
    with pytest.raises(MPI.Exception):
        MPI.Prequest.Startall([sreq, MPI.Prequest()])
    assert sreq.Test()  # inactive: completes at once
    sreq.Free()
    del right


# -- Requests dropped while pending --------------------------------------------------------------


def test_dropped_irecv_still_receives(comm):
    right, left = ring(comm)
    rbuf = bytearray(64)
    req = comm.Irecv(rbuf, left, 200)
    del req
    gc.collect()
    comm.Barrier()
    comm.Send(bytes(range(64)), right, 200)
    # The dropped receive still completes into the buffer (MPI semantics of a freed receive).
    until(lambda: rbuf == bytearray(range(64)))
    comm.Barrier()


def reap():
    """Give mpipy a chance to release requests that MPI has completed (any new request does)."""
    MPI.COMM_SELF.Isend(b"", MPI.PROC_NULL).Wait()
    gc.collect()


def all_ranks(comm, flag):
    """True on every rank when flag is true on every rank (a ring of Sendrecv, no collectives)."""
    right, left = ring(comm)
    value = bytearray([bool(flag)])
    for _ in range(comm.Get_size() - 1):
        got = bytearray(1)
        comm.Sendrecv(value, right, 999, got, left, 999)
        value[0] &= got[0]
    return bool(value[0])


@pytest.mark.skipif(np is None, reason="needs NumPy")
def test_dropped_irecv_keeps_memory_alive(comm):
    right, left = ring(comm)
    n = 1 << 18  # above the eager limits: the data moves after the receive was dropped
    buf = np.zeros(n, dtype="i8")
    ref = weakref.ref(buf)
    req = comm.Irecv(buf, left, 201)
    del buf, req
    gc.collect()
    assert ref() is not None  # MPI still owns the memory: it must stay alive
    comm.Barrier()
    sreq = comm.Isend(np.arange(n, dtype="i8") + comm.Get_rank(), right, 201)
    sreq.Wait()  # completes: MPI matches the orphaned receive by itself
    until(lambda: ref() is None or ref()[-1] == n - 1 + left)
    if ref() is not None:
        assert np.array_equal(ref(), np.arange(n, dtype="i8") + left)
    # Once MPI is done with it, the memory is released.
    until(lambda: reap() or ref() is None, 10)
    comm.Barrier()


def test_freed_irecv_still_receives(comm):
    right, left = ring(comm)
    rbuf = array.array("d", [0.0] * 1000)
    req = comm.Irecv(rbuf, left, 202)
    req.Free()  # allowed on an active request: the receive still happens
    assert req == MPI.REQUEST_NULL
    comm.Barrier()
    expected = [float(i + comm.Get_rank()) for i in range(1000)]
    sreq = comm.Isend(array.array("d", expected), right, 202)
    sreq.Wait()
    until(lambda: rbuf[-1] == 999.0 + left)
    assert list(rbuf) == [float(i + left) for i in range(1000)]
    comm.Barrier()


def test_dropped_persistent_requests(comm):
    right, left = ring(comm)
    rbuf = bytearray(16)
    rreq = comm.Recv_init(rbuf, left, 203)
    sreq = comm.Send_init(bytes(range(16)), right, 203)
    rreq.Start()
    del rreq  # active: kept until MPI completes it
    gc.collect()
    comm.Barrier()
    sreq.Start()
    sreq.Wait()
    until(lambda: rbuf == bytearray(range(16)))
    del sreq  # inactive: freed at once
    gc.collect()
    comm.Barrier()


def test_dropped_isend(comm):
    right, left = ring(comm)
    data = bytearray(b"x" * 100000)
    ref = weakref.ref(data) if hasattr(data, "__weakref__") else None
    req = comm.Isend(data, right, 204)
    del req, data
    gc.collect()
    rbuf = bytearray(100000)
    comm.Recv(rbuf, left, 204)
    assert rbuf == b"x" * 100000
    del ref
    comm.Barrier()


@pytest.mark.skipif(np is None, reason="needs NumPy")
def test_dropped_object_requests(comm):
    """An object sent with out-of-band parts whose isend request was dropped still goes out,
    and its memory is released once sent; a dropped irecv matched nothing and takes nothing."""
    right, left = ring(comm)
    req = comm.irecv(source=left, tag=205)
    del req
    gc.collect()
    comm.Barrier()
    part = np.arange(200000, dtype="i8") + comm.Get_rank()  # above MPI.pickle.THRESHOLD
    ref = weakref.ref(part)
    sreq = comm.isend({"part": part, "small": [1, 2]}, right, 205)
    del sreq, part
    gc.collect()
    got = comm.recv(None, left, 205)
    assert np.array_equal(got["part"], np.arange(200000, dtype="i8") + left)
    assert got["small"] == [1, 2]
    while not all_ranks(comm, ref() is None):
        reap()
    # Another exchange on the same communicator still works.
    assert comm.sendrecv({"next": comm.Get_rank()}, right, 206, None, left, 206) == {"next": left}


def test_many_dropped_requests(comm):
    right, left = ring(comm)
    bufs = [bytearray(8) for _ in range(50)]
    for i, buf in enumerate(bufs):
        comm.Irecv(buf, left, 300 + i)  # dropped at once
    gc.collect()
    comm.Barrier()
    for i in range(50):
        comm.Isend(bytes([i % 256]) * 8, right, 300 + i)  # dropped too
    gc.collect()
    until(lambda: all(b == bytes([i]) * 8 for i, b in enumerate(bufs)))
    comm.Barrier()

"""Point-to-point communication of buffers (the uppercase methods).

Every test works at any world size: each rank sends to its right neighbour and receives
from its left one, so at N = 1 (and on COMM_SELF) a rank talks to itself. Receives are
posted before sends are completed (MPICH completes a self-send only once it is matched).
"""

import array
import sys

import numpy as np
import pytest

from mpipy import MPI

try:
    import numpy as np
except ImportError:  # pragma: no cover - the venvs have NumPy
    np = None

needs_numpy = pytest.mark.skipif(np is None, reason="needs NumPy")
OPEN_MPI = MPI.get_vendor()[0] == "Open MPI"


def ring(comm):
    """(right, left): where this rank sends to and receives from."""
    rank, size = comm.Get_rank(), comm.Get_size()
    return (rank + 1) % size, (rank - 1) % size


def values(seed, n):
    """n small integers (0..100) that differ from rank to rank."""
    return [(seed * 31 + i * 7 + 3) % 101 for i in range(n)]


def items(buf):
    return buf.tolist() if hasattr(buf, "tolist") else list(buf)


def check_status(status, source, tag, nbytes):
    assert status.Get_source() == source
    assert status.source == source
    assert status.Get_tag() == tag
    assert status.tag == tag
    assert status.Get_error() == MPI.SUCCESS
    assert status.Get_count() == nbytes
    assert status.Get_count(MPI.BYTE) == nbytes
    assert status.Get_elements(MPI.BYTE) == nbytes
    assert not status.Is_cancelled()


def error_class(excinfo):
    return excinfo.value.Get_error_class()


TYPECODES = ["B", "i", "d"]
DATATYPE_OF = {"B": MPI.UNSIGNED_CHAR, "i": MPI.INT, "d": MPI.DOUBLE}


# -- Blocking and nonblocking sends in every mode --------------------------------------------


class BsendBuffer:
    """Attach a buffer big enough for `messages` buffered sends of `nbytes` each."""

    def __init__(self, nbytes, messages=1):
        self.memory = bytearray((nbytes + MPI.BSEND_OVERHEAD) * messages + 64)

    def __enter__(self):
        MPI.Attach_buffer(self.memory)
        return self

    def __exit__(self, *exc):
        detached = MPI.Detach_buffer()
        assert detached is self.memory


def typecodes_for(bufkind):
    """The item types a kind of buffer can hold (a bytearray holds bytes only)."""
    return ["B"] if bufkind.name == "bytearray" else TYPECODES


@pytest.mark.parametrize("mode", ["Send", "Ssend", "Bsend", "Rsend"])
def test_blocking_send_modes(comm, bufkind, mode):
    right, left = ring(comm)
    rank = comm.Get_rank()
    n = 7
    for typecode in typecodes_for(bufkind):
        sbuf = bufkind.make(typecode, values(rank, n))
        rbuf = bufkind.make(typecode, n)
        tag = 11
        rreq = comm.Irecv(rbuf, left, tag)
        comm.Barrier()  # Rsend needs the receive posted at the destination
        itemsize = memoryview(sbuf).itemsize
        status = MPI.Status()
        if mode == "Bsend":
            with BsendBuffer(n * itemsize):
                comm.Bsend(sbuf, right, tag)
                rreq.Wait(status)
        else:
            getattr(comm, mode)(sbuf, right, tag)
            rreq.Wait(status)
        assert rreq == MPI.REQUEST_NULL
        assert items(rbuf) == items(bufkind.make(typecode, values(left, n)))
        check_status(status, left, tag, n * itemsize)
        assert status.Get_count(DATATYPE_OF[typecode]) == n
        assert status.Get_elements(DATATYPE_OF[typecode]) == n


@pytest.mark.parametrize("mode", ["Isend", "Issend", "Ibsend", "Irsend"])
def test_nonblocking_send_modes(comm, bufkind, mode):
    right, left = ring(comm)
    rank = comm.Get_rank()
    n = 5
    for typecode in typecodes_for(bufkind):
        sbuf = bufkind.make(typecode, values(rank + 1, n))
        rbuf = bufkind.make(typecode, n)
        tag = 12
        rreq = comm.Irecv(rbuf, left, tag)
        comm.Barrier()
        itemsize = memoryview(sbuf).itemsize
        statuses = [MPI.Status(), MPI.Status()]
        if mode == "Ibsend":
            with BsendBuffer(n * itemsize):
                sreq = comm.Ibsend(sbuf, right, tag)
                MPI.Request.Waitall([sreq, rreq], statuses)
        else:
            sreq = getattr(comm, mode)(sbuf, right, tag)
            assert isinstance(sreq, MPI.Request) and not isinstance(sreq, MPI.Prequest)
            MPI.Request.Waitall([sreq, rreq], statuses)
        assert sreq == MPI.REQUEST_NULL and rreq == MPI.REQUEST_NULL
        assert items(rbuf) == items(bufkind.make(typecode, values(left + 1, n)))
        check_status(statuses[1], left, tag, n * itemsize)
        assert statuses[1].Get_count(DATATYPE_OF[typecode]) == n


def test_recv_blocking(comm, bufkind):
    right, left = ring(comm)
    n = 9
    for typecode in typecodes_for(bufkind):
        sbuf = bufkind.make(typecode, values(comm.Get_rank(), n))
        rbuf = bufkind.make(typecode, n)
        sreq = comm.Isend(sbuf, right, 13)
        status = MPI.Status()
        assert comm.Recv(rbuf, left, 13, status) is None
        sreq.Wait()
        assert items(rbuf) == items(bufkind.make(typecode, values(left, n)))
        check_status(status, left, 13, n * memoryview(sbuf).itemsize)
        assert status.Get_elements(DATATYPE_OF[typecode]) == n


def test_recv_any_source_any_tag(comm):
    right, left = ring(comm)
    rank = comm.Get_rank()
    sbuf = array.array("i", values(rank, 4))
    rbuf = array.array("i", [0] * 4)
    sreq = comm.Isend(sbuf, right, 100 + rank)
    status = MPI.Status()
    comm.Recv(rbuf, status=status)  # source and tag default to ANY_SOURCE, ANY_TAG
    sreq.Wait()
    assert list(rbuf) == values(left, 4)
    check_status(status, left, 100 + left, 16)
    # And explicitly, with a nonblocking receive.
    rreq = comm.Irecv(rbuf, MPI.ANY_SOURCE, MPI.ANY_TAG)
    comm.Send([sbuf, 2, MPI.INT], right, 200 + rank)
    rreq.Wait(status)
    assert list(rbuf[:2]) == values(left, 2)
    check_status(status, left, 200 + left, 8)
    assert status.Get_count(MPI.INT) == 2


@pytest.mark.parametrize("kind", ["Send_init", "Bsend_init", "Ssend_init", "Rsend_init"])
@pytest.mark.parametrize("start", ["Start", "Startall"])
def test_persistent(comm, kind, start):
    right, left = ring(comm)
    rank = comm.Get_rank()
    n = 6
    sbuf = array.array("i", [0] * n)
    rbuf = array.array("i", [-1] * n)
    sreq = getattr(comm, kind)(sbuf, right, 21)
    rreq = comm.Recv_init(rbuf, left, 21)
    assert isinstance(sreq, MPI.Prequest) and isinstance(rreq, MPI.Prequest)
    attached = BsendBuffer(4 * n) if kind == "Bsend_init" else None
    if attached:
        attached.__enter__()
    try:
        for round_ in range(4):
            sbuf[:] = array.array("i", values(rank + 10 * round_, n))
            statuses = [MPI.Status(), MPI.Status()]
            if start == "Start":
                rreq.Start()
                comm.Barrier()  # ready mode: every receive is posted
                sreq.Start()
            else:
                MPI.Prequest.Startall([rreq])
                comm.Barrier()
                MPI.Prequest.Startall([sreq])
            MPI.Request.Waitall([sreq, rreq], statuses)
            # Persistent requests stay allocated (inactive) after completion.
            assert sreq != MPI.REQUEST_NULL and rreq != MPI.REQUEST_NULL
            assert list(rbuf) == values(left + 10 * round_, n)
            check_status(statuses[1], left, 21, 4 * n)
            comm.Barrier()  # nobody overwrites sbuf while a neighbour still reads it
    finally:
        if attached:
            attached.__exit__()
    sreq.Free()
    rreq.Free()
    assert sreq == MPI.REQUEST_NULL and rreq == MPI.REQUEST_NULL


def test_persistent_startall_together(comm):
    right, left = ring(comm)
    rank = comm.Get_rank()
    sbuf = bytearray(values(rank, 10))
    rbuf = bytearray(10)
    reqs = [comm.Recv_init(rbuf, left, 22), comm.Send_init(sbuf, right, 22)]
    for round_ in range(3):
        sbuf[:] = bytes(values(rank + round_, 10))
        MPI.Prequest.Startall(reqs)
        index_done = set()
        while len(index_done) < 2:
            index = MPI.Request.Waitany(reqs)
            assert index not in index_done
            index_done.add(index)
        # Both inactive now: Waitany reports no active request.
        assert MPI.Request.Waitany(reqs) == MPI.UNDEFINED
        assert bytes(rbuf) == bytes(values(left + round_, 10))
        comm.Barrier()
    for r in reqs:
        r.Free()


def test_sendrecv(comm, bufkind):
    right, left = ring(comm)
    rank = comm.Get_rank()
    for typecode in typecodes_for(bufkind):
        sbuf = bufkind.make(typecode, values(rank, 8))
        rbuf = bufkind.make(typecode, 8)
        status = MPI.Status()
        comm.Sendrecv(sbuf, right, 31, rbuf, left, 31, status)
        assert items(rbuf) == items(bufkind.make(typecode, values(left, 8)))
        check_status(status, left, 31, 8 * memoryview(sbuf).itemsize)
        # Keyword arguments and defaults (recvtag ANY_TAG, source ANY_SOURCE).
        rbuf2 = bufkind.make(typecode, 8)
        comm.Sendrecv(sendbuf=sbuf, dest=right, sendtag=32, recvbuf=rbuf2, status=status)
        assert items(rbuf2) == items(rbuf)
        check_status(status, left, 32, 8 * memoryview(sbuf).itemsize)


def test_sendrecv_replace(comm, bufkind):
    right, left = ring(comm)
    rank = comm.Get_rank()
    for typecode in typecodes_for(bufkind):
        buf = bufkind.make(typecode, values(rank, 5))
        status = MPI.Status()
        comm.Sendrecv_replace(buf, right, 33, left, 33, status)
        assert items(buf) == items(bufkind.make(typecode, values(left, 5)))
        check_status(status, left, 33, 5 * memoryview(buf).itemsize)
        # A partial buffer: [buf, count, datatype] replaces only the first items.
        buf = array.array("i", values(rank, 6))
        comm.Sendrecv_replace([buf, 2, MPI.INT], right, 34, status=status)
        assert list(buf) == values(left, 2) + values(rank, 6)[2:]
        check_status(status, left, 34, 8)


def test_isendrecv(comm):
    right, left = ring(comm)
    rank = comm.Get_rank()
    sbuf = array.array("d", [float(v) for v in values(rank, 7)])
    rbuf = array.array("d", [0.0] * 7)
    req = comm.Isendrecv(sbuf, right, 35, rbuf, left, 35)
    assert isinstance(req, MPI.Request)
    status = MPI.Status()
    req.Wait(status)
    assert list(rbuf) == [float(v) for v in values(left, 7)]
    check_status(status, left, 35, 56)
    assert status.Get_count(MPI.DOUBLE) == 7


def test_isendrecv_replace(comm):
    right, left = ring(comm)
    rank = comm.Get_rank()
    buf = array.array("q", values(rank, 3))
    req = comm.Isendrecv_replace(buf, right, 36, left, 36)
    status = MPI.Status()
    while not req.Test(status):
        pass
    assert list(buf) == values(left, 3)
    check_status(status, left, 36, 24)
    assert status.Get_count(MPI.INT64_T) == 3


# -- Probes ------------------------------------------------------------------------------------


def test_probe(comm):
    right, left = ring(comm)
    rank = comm.Get_rank()
    sbuf = array.array("h", values(rank, 10))
    sreq = comm.Isend(sbuf, right, 41)
    status = MPI.Status()
    assert comm.Probe(left, 41, status) is True
    check_status(status, left, 41, 20)
    assert status.Get_count(MPI.SHORT) == 10
    assert status.Get_count(MPI.INT) == 5
    # The probe did not receive the message: a second probe (any source/tag) sees it too.
    status2 = MPI.Status()
    comm.Probe(status=status2)
    assert status2.source == left and status2.tag == 41
    rbuf = array.array("h", [0] * status.Get_count(MPI.SHORT))
    comm.Recv(rbuf, status.source, status.tag)
    sreq.Wait()
    assert list(rbuf) == values(left, 10)


def test_iprobe(comm):
    right, left = ring(comm)
    rank = comm.Get_rank()
    # Nothing was sent with this tag.
    assert comm.Iprobe(left, 4242) is False
    sbuf = bytearray(values(rank, 3))
    sreq = comm.Isend(sbuf, right, 42)
    status = MPI.Status()
    while not comm.Iprobe(left, 42, status):
        pass
    check_status(status, left, 42, 3)
    assert comm.Iprobe(MPI.ANY_SOURCE, MPI.ANY_TAG) is True
    rbuf = bytearray(3)
    comm.Recv(rbuf, left, 42)
    sreq.Wait()
    assert list(rbuf) == values(left, 3)


# -- PROC_NULL ---------------------------------------------------------------------------------


def proc_null_status(status):
    assert status.Get_source() == MPI.PROC_NULL
    assert status.Get_tag() == MPI.ANY_TAG
    assert status.Get_count() == 0
    assert status.Get_count(MPI.INT) == 0
    assert status.Get_elements(MPI.INT) == 0
    assert not status.Is_cancelled()


def fresh_status():
    status = MPI.Status()
    status.source, status.tag = 1234, 5678  # overwritten by the call
    return status


def test_proc_null_sends(comm):
    P = MPI.PROC_NULL
    sbuf = array.array("i", [1, 2, 3])
    comm.Send(sbuf, P)
    comm.Ssend(sbuf, P, 1)
    comm.Rsend(sbuf, P, 2)
    with BsendBuffer(12):
        comm.Bsend(sbuf, P, 3)
        comm.Ibsend(sbuf, P, 3).Wait()
    for method in ("Isend", "Issend", "Irsend"):
        req = getattr(comm, method)(sbuf, P, 4)
        assert req.Test()  # completes at once (a send's status has no defined fields)
        assert req == MPI.REQUEST_NULL
    for method in ("Send_init", "Ssend_init", "Rsend_init"):
        req = getattr(comm, method)(sbuf, P, 5)
        for _ in range(2):
            req.Start()
            req.Wait()
        req.Free()


def test_proc_null_receives(comm):
    P = MPI.PROC_NULL
    rbuf = array.array("i", [7, 7, 7])
    status = fresh_status()
    comm.Recv(rbuf, P, 1, status)
    proc_null_status(status)
    assert list(rbuf) == [7, 7, 7]
    comm.Recv(None, P)  # no buffer needed

    status = fresh_status()
    comm.Irecv(rbuf, P, 2).Wait(status)
    proc_null_status(status)

    req = comm.Recv_init(rbuf, P, 3)
    for _ in range(3):
        status = fresh_status()
        req.Start()
        req.Wait(status)
        # MPICH and Open MPI both complete a persistent PROC_NULL receive with an empty
        # status (source ANY_SOURCE), not the PROC_NULL status of the other receives.
        assert status.source in (MPI.PROC_NULL, MPI.ANY_SOURCE)
        assert status.tag == MPI.ANY_TAG and status.Get_count() == 0
    req.Free()

    status = fresh_status()
    comm.Sendrecv(rbuf, P, 4, rbuf, P, 4, status)
    proc_null_status(status)
    status = fresh_status()
    comm.Sendrecv_replace(rbuf, P, 5, P, 5, status)
    proc_null_status(status)
    status = fresh_status()
    comm.Isendrecv(rbuf, P, 6, rbuf, P, 6).Wait(status)
    proc_null_status(status)
    status = fresh_status()
    comm.Isendrecv_replace(rbuf, P, 7, P, 7).Wait(status)
    proc_null_status(status)
    assert list(rbuf) == [7, 7, 7]

    status = fresh_status()
    assert comm.Probe(P, 8, status) is True
    proc_null_status(status)
    status = fresh_status()
    assert comm.Iprobe(P, 9, status) is True
    proc_null_status(status)


def test_proc_null_ignores_message_spec(comm):
    """With PROC_NULL as the peer nothing moves, so the message spec is not looked at: None,
    or anything else, is accepted (for a send-receive in place, only when both peers are)."""
    P = MPI.PROC_NULL
    for spec in (None, "not a buffer", [None, 5, MPI.INT]):
        comm.Send(spec, P)
        comm.Ssend(spec, P, 1)
        comm.Rsend(spec, P)
        comm.Isend(spec, P).Wait()
        comm.Issend(spec, P).Wait()
        comm.Irsend(spec, P).Wait()
        with BsendBuffer(0):
            comm.Bsend(spec, P)
            comm.Ibsend(spec, P).Wait()
        comm.Recv(spec, P)
        comm.Irecv(spec, P).Wait()
        status = fresh_status()
        comm.Sendrecv(spec, P, 0, spec, P, 0, status)
        proc_null_status(status)
        comm.Sendrecv_replace(spec, P, 0, P, 0)
        comm.Isendrecv(spec, P, 0, spec, P, 0).Wait()
        comm.Isendrecv_replace(spec, P, 0, P, 0).Wait()
        for make in ("Send_init", "Bsend_init", "Ssend_init", "Rsend_init", "Recv_init"):
            req = getattr(comm, make)(spec, P)
            assert type(req) is MPI.Prequest
            req.Start()
            req.Wait()
            req.Free()
    # Keywords, as mpi4py names them.
    comm.Sendrecv(sendbuf=None, dest=P, sendtag=1, recvbuf=None, source=P, recvtag=1, status=None)
    comm.Sendrecv_replace(buf=None, dest=P, sendtag=1, source=P, recvtag=1, status=None)
    comm.Isendrecv(sendbuf=None, dest=P, sendtag=1, recvbuf=None, source=P, recvtag=1).Wait()
    comm.Isendrecv_replace(buf=None, dest=P, sendtag=1, source=P, recvtag=1).Wait()
    # A real peer still needs a real buffer.
    right, left = ring(comm)
    with pytest.raises(TypeError):
        comm.Send(None, right)
    with pytest.raises(TypeError):
        comm.Recv("not a buffer", left)
    with pytest.raises(TypeError):
        comm.Sendrecv_replace(None, P, 0, left, 0)


def test_proc_null_mixed_with_real(comm):
    """A PROC_NULL leg of Sendrecv does not disturb the real one."""
    right, left = ring(comm)
    rank = comm.Get_rank()
    rbuf = bytearray(4)
    status = MPI.Status()
    rreq = comm.Irecv(rbuf, left, 51)
    comm.Sendrecv(bytes(values(rank, 4)), right, 51, None, MPI.PROC_NULL, 51, status)
    proc_null_status(status)
    rreq.Wait(status)
    assert list(rbuf) == values(left, 4)
    check_status(status, left, 51, 4)


# -- Zero-count messages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_send",
    [
        lambda: b"",
        lambda: bytearray(),
        lambda: array.array("i"),
        lambda: [array.array("i", [1, 2]), 0, MPI.INT],
        lambda: [None, MPI.INT],
        lambda: [MPI.BOTTOM, 0, MPI.INT],
        lambda: (b"abc", 0),
    ],
    ids=["bytes", "bytearray", "array", "count0", "None", "BOTTOM", "tuple0"],
)
def test_zero_count(comm, make_send):
    right, left = ring(comm)
    rbuf = array.array("i", [5, 5, 5])
    status = fresh_status()
    rreq = comm.Irecv(rbuf, left, 52)
    comm.Send(make_send(), right, 52)
    rreq.Wait(status)
    check_status(status, left, 52, 0)
    assert status.Get_count(MPI.INT) == 0
    assert list(rbuf) == [5, 5, 5]


def test_zero_count_into_empty_buffers(comm):
    right, left = ring(comm)
    status = MPI.Status()
    for rbuf in (bytearray(), [None, 0, MPI.INT], [MPI.BOTTOM, MPI.INT]):
        sreq = comm.Isend(b"", right, 53)
        comm.Recv(rbuf, left, 53, status)
        sreq.Wait()
        check_status(status, left, 53, 0)


# -- Buffer specs --------------------------------------------------------------------------------


SEND_SPECS = [
    # (name, send spec made from a list of ints, the items the receiver gets)
    ("plain", lambda d: array.array("i", d), lambda d: d),
    ("buf,datatype", lambda d: [array.array("i", d), MPI.INT], lambda d: d),
    ("buf,count,datatype", lambda d: [array.array("i", d), 3, MPI.INT], lambda d: d[:3]),
    (
        "buf,(count,displ),datatype",
        lambda d: [array.array("i", d), (3, 2), MPI.INT],
        lambda d: d[2:5],
    ),
    ("buf,count,displ,datatype", lambda d: [array.array("i", d), 4, 1, MPI.INT], lambda d: d[1:5]),
    ("tuple(buf,count)", lambda d: (array.array("i", d), 5), lambda d: d[:5]),
    ("list[buf,count]", lambda d: [array.array("i", d), 5], lambda d: d[:5]),
    ("buf,typecode", lambda d: [array.array("i", d), "i"], lambda d: d),
    ("buf,count,typecode", lambda d: [array.array("i", d), 2, "i"], lambda d: d[:2]),
    ("buf,None,displ,datatype", lambda d: [array.array("i", d), None, 6, MPI.INT], lambda d: d[6:]),
    ("buf,None", lambda d: [array.array("i", d), None], lambda d: d),
    ("buf,count,None", lambda d: [array.array("i", d), 3, None], lambda d: d[:3]),
    ("bytes,count,INT", lambda d: [array.array("i", d).tobytes(), 4, MPI.INT], lambda d: d[:4]),
    ("bytes,INT", lambda d: [array.array("i", d).tobytes(), MPI.INT], lambda d: d),
    ("memoryview", lambda d: memoryview(array.array("i", d)), lambda d: d),
    ("memoryview slice", lambda d: memoryview(array.array("i", d))[3:6], lambda d: d[3:6]),
    ("memoryview cast", lambda d: memoryview(array.array("i", d).tobytes()).cast("i"), lambda d: d),
    # a (count, displ) pair in the second place too, either part None, as a list too
    ("buf,(count,displ)", lambda d: [array.array("i", d), (3, 2)], lambda d: d[2:5]),
    ("buf,[count,displ]", lambda d: [array.array("i", d), [2, 5]], lambda d: d[5:7]),
    ("buf,(count,None)", lambda d: [array.array("i", d), (3, None)], lambda d: d[:3]),
    ("buf,(None,displ)", lambda d: [array.array("i", d), (None, 6)], lambda d: d[6:]),
    ("buf,(None,displ),dt", lambda d: [array.array("i", d), (None, 5), MPI.INT], lambda d: d[5:]),
    ("NumPy integer count", lambda d: [array.array("i", d), np.int16(4)], lambda d: d[:4]),
    (
        "0-d array count,displ",
        lambda d: [array.array("i", d), np.array(2), np.uint8(1), "i"],
        lambda d: d[1:3],
    ),
]


@pytest.mark.parametrize(
    "make, expect", [c[1:] for c in SEND_SPECS], ids=[c[0] for c in SEND_SPECS]
)
def test_send_specs(comm, make, expect):
    right, left = ring(comm)
    expected = expect(values(left, 8))
    rbuf = array.array("i", [-1] * 8)
    status = MPI.Status()
    rreq = comm.Irecv(rbuf, left, 61)
    comm.Send(make(values(comm.Get_rank(), 8)), right, 61)
    rreq.Wait(status)
    assert list(rbuf[: len(expected)]) == expected
    assert list(rbuf[len(expected) :]) == [-1] * (8 - len(expected))
    check_status(status, left, 61, 4 * len(expected))
    assert status.Get_count(MPI.INT) == len(expected)


@pytest.mark.parametrize(
    "make_recv, lo, hi",
    [
        (lambda b: b, 0, 8),
        (lambda b: [b, MPI.INT], 0, 8),
        (lambda b: [b, 3, MPI.INT], 0, 3),
        (lambda b: [b, (3, 4), MPI.INT], 4, 7),
        (lambda b: [b, 2, 6, MPI.INT], 6, 8),
        (lambda b: (b, 4), 0, 4),
        (lambda b: [b, "i"], 0, 8),
        (lambda b: [b, 5, "i"], 0, 5),
        (lambda b: memoryview(b)[2:5], 2, 5),
        (lambda b: [memoryview(b).cast("B"), MPI.INT], 0, 8),
    ],
    ids=[
        "plain",
        "buf,dt",
        "buf,count,dt",
        "buf,(count,displ),dt",
        "buf,count,displ,dt",
        "tuple",
        "typecode",
        "count,typecode",
        "memoryview slice",
        "bytes view as INT",
    ],
)
def test_recv_specs(comm, make_recv, lo, hi):
    right, left = ring(comm)
    rbuf = array.array("i", [-1] * 8)
    spec = make_recv(rbuf)
    n = hi - lo
    status = MPI.Status()
    sreq = comm.Isend(array.array("i", values(comm.Get_rank(), n)), right, 62)
    comm.Recv(spec, left, 62, status)
    sreq.Wait()
    assert list(rbuf) == [-1] * lo + values(left, n) + [-1] * (8 - hi)
    check_status(status, left, 62, 4 * n)


ARRAY_TYPECODES = ["b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "f", "d"]


@pytest.mark.parametrize("typecode", ARRAY_TYPECODES)
def test_array_typecodes(comm, typecode):
    right, left = ring(comm)
    n = 6
    sbuf = array.array(typecode, values(comm.Get_rank(), n))
    rbuf = array.array(typecode, [0] * n)
    status = MPI.Status()
    rreq = comm.Irecv(rbuf, left, 63)
    comm.Send(sbuf, right, 63)
    rreq.Wait(status)
    assert list(rbuf) == list(array.array(typecode, values(left, n)))
    check_status(status, left, 63, n * sbuf.itemsize)
    datatype = MPI.Datatype.fromcode(typecode)
    assert datatype.Get_size() == sbuf.itemsize
    assert status.Get_count(datatype) == n
    assert status.Get_elements(datatype) == n


NUMPY_TYPES = [
    ("int8", "INT8_T"),
    ("uint8", "UINT8_T"),
    ("int16", "INT16_T"),
    ("uint16", "UINT16_T"),
    ("int32", "INT32_T"),
    ("uint32", "UINT32_T"),
    ("int64", "INT64_T"),
    ("uint64", "UINT64_T"),
    ("float32", "FLOAT"),
    ("float64", "DOUBLE"),
    ("longdouble", "LONG_DOUBLE"),
    ("complex64", "C_FLOAT_COMPLEX"),
    ("complex128", "C_DOUBLE_COMPLEX"),
    ("clongdouble", "C_LONG_DOUBLE_COMPLEX"),
    ("bool", "C_BOOL"),
    ("float16", None),
]


@needs_numpy
@pytest.mark.parametrize("dtype, mpitype", NUMPY_TYPES, ids=[t[0] for t in NUMPY_TYPES])
def test_numpy_dtypes(comm, dtype, mpitype):
    right, left = ring(comm)
    if mpitype is None:
        try:
            datatype = MPI.Datatype.fromcode(np.dtype(dtype).char)
        except (ValueError, KeyError):
            pytest.skip(f"this MPI has no datatype for NumPy {dtype}")
    else:
        datatype = getattr(MPI, mpitype)

    def make(seed):
        a = np.array(values(seed, 11)).astype(dtype)
        if a.dtype.kind == "c":
            a = a + 1j * a[::-1]
        return a

    sbuf = make(comm.Get_rank())
    rbuf = np.zeros_like(sbuf)
    status = MPI.Status()
    rreq = comm.Irecv(rbuf, left, 64)
    comm.Send(sbuf, right, 64)
    rreq.Wait(status)
    assert rbuf.dtype == sbuf.dtype
    assert np.array_equal(rbuf, make(left))
    check_status(status, left, 64, sbuf.nbytes)
    assert status.Get_count(datatype) == 11
    assert status.Get_elements(datatype) == 11
    # The same with the datatype given explicitly, and a 2-D array.
    rbuf2 = np.zeros((11,), dtype=dtype)
    rreq = comm.Irecv([rbuf2, datatype], left, 65)
    comm.Send([sbuf.reshape(11, 1), 11, datatype], right, 65)
    rreq.Wait()
    assert np.array_equal(rbuf2, make(left))


@needs_numpy
def test_get_count_several_datatypes(comm):
    right, left = ring(comm)
    sbuf = np.arange(6, dtype=np.int32)  # 24 bytes
    rbuf = np.zeros(6, dtype=np.int32)
    status = MPI.Status()
    rreq = comm.Irecv(rbuf, left, 66)
    comm.Send(sbuf, right, 66)
    rreq.Wait(status)
    assert status.Get_count(MPI.BYTE) == 24
    assert status.Get_count(MPI.SHORT) == 12
    assert status.Get_count(MPI.INT) == 6
    assert status.Get_count(MPI.DOUBLE) == 3
    assert status.Get_count(MPI.C_DOUBLE_COMPLEX) == MPI.UNDEFINED  # 24 is not a multiple of 16
    assert status.Get_elements(MPI.INT) == 6
    assert status.Get_elements(MPI.SHORT) == 12
    assert status.Get_elements(MPI.C_DOUBLE_COMPLEX) == MPI.UNDEFINED
    assert status.count == 24


@needs_numpy
def test_numpy_multidimensional(comm):
    right, left = ring(comm)
    sbuf = np.arange(24, dtype="f8").reshape(2, 3, 4) + comm.Get_rank()
    rbuf = np.zeros((4, 6))  # same number of items, other shape
    fortran = np.asfortranarray(sbuf)  # contiguous in Fortran order: sent as its memory
    rreq = comm.Irecv(rbuf, left, 67)
    comm.Send(sbuf, right, 67)
    rreq.Wait()
    assert np.array_equal(rbuf.ravel(), (np.arange(24) + left).astype("f8"))
    rreq = comm.Irecv(rbuf, left, 68)
    comm.Send(fortran, right, 68)
    rreq.Wait()
    expected = np.asfortranarray(np.arange(24, dtype="f8").reshape(2, 3, 4) + left)
    assert np.array_equal(rbuf.ravel(), expected.ravel(order="K"))


def test_bottom_with_datatype(comm):
    """BOTTOM/None with a datatype: absolute addresses (here: nothing at all)."""
    right, left = ring(comm)
    status = MPI.Status()
    for spec in ([MPI.BOTTOM, MPI.INT], [None, 0, MPI.INT], [MPI.BOTTOM, 0, 0, MPI.INT]):
        sreq = comm.Isend(spec, right, 69)
        comm.Recv(spec, left, 69, status)
        sreq.Wait()
        check_status(status, left, 69, 0)


def test_bottom_absolute_addresses(comm):
    if not (hasattr(MPI, "Get_address") and hasattr(MPI.Datatype, "Create_hindexed")):
        pytest.skip("needs MPI.Get_address and Datatype.Create_hindexed (not bound yet)")
    right, left = ring(comm)
    sbuf = array.array("i", values(comm.Get_rank(), 4))
    rbuf = array.array("i", [0] * 4)
    stype = MPI.INT.Create_hindexed([4], [MPI.Get_address(sbuf)]).Commit()
    rtype = MPI.INT.Create_hindexed([4], [MPI.Get_address(rbuf)]).Commit()
    try:
        rreq = comm.Irecv([MPI.BOTTOM, 1, rtype], left, 70)
        comm.Send([MPI.BOTTOM, 1, stype], right, 70)
        rreq.Wait()
    finally:
        stype.Free()
        rtype.Free()
    assert list(rbuf) == values(left, 4)


# -- Truncation and cancellation -----------------------------------------------------------------


def test_truncation_recv(comm):
    right, left = ring(comm)
    sbuf = array.array("i", values(comm.Get_rank(), 8))
    rbuf = array.array("i", [0] * 3)
    sreq = comm.Isend(sbuf, right, 71)
    with pytest.raises(MPI.Exception) as excinfo:
        comm.Recv(rbuf, left, 71)
    assert error_class(excinfo) == MPI.ERR_TRUNCATE
    sreq.Wait()
    # The communicator still works.
    sreq = comm.Isend(sbuf, right, 72)
    rbuf = array.array("i", [0] * 8)
    comm.Recv(rbuf, left, 72)
    sreq.Wait()
    assert list(rbuf) == values(left, 8)


def truncation_reported(comm):
    """Open MPI (5.0) does not report the truncation of a nonblocking receive of a message a
    process sent to itself (its blocking Recv does); from other processes it does."""
    return not (OPEN_MPI and ring(comm)[1] == comm.Get_rank())


def test_truncation_irecv(comm):
    right, left = ring(comm)
    sbuf = bytearray(values(comm.Get_rank(), 50))
    rbuf = bytearray(10)
    rreq = comm.Irecv(rbuf, left, 73)
    sreq = comm.Isend(sbuf, right, 73)
    if truncation_reported(comm):
        with pytest.raises(MPI.Exception) as excinfo:
            rreq.Wait()
        assert error_class(excinfo) == MPI.ERR_TRUNCATE
    else:
        rreq.Wait()
    assert rbuf == bytearray(values(left, 10))  # what fits is there
    sreq.Wait()


def test_truncation_sendrecv(comm):
    right, left = ring(comm)
    rbuf = bytearray(2)
    if truncation_reported(comm):
        with pytest.raises(MPI.Exception) as excinfo:
            comm.Sendrecv(bytes(values(comm.Get_rank(), 9)), right, 74, rbuf, left, 74)
        assert error_class(excinfo) == MPI.ERR_TRUNCATE
    else:
        comm.Sendrecv(bytes(values(comm.Get_rank(), 9)), right, 74, rbuf, left, 74)
    comm.Barrier()


def test_truncation_waitall(comm):
    right, left = ring(comm)
    rbuf = bytearray(2)
    rreq = comm.Irecv(rbuf, left, 75)
    sreq = comm.Isend(bytes(9), right, 75)
    if truncation_reported(comm):
        with pytest.raises(MPI.Exception) as excinfo:
            MPI.Request.Waitall([sreq, rreq])
        assert error_class(excinfo) == MPI.ERR_TRUNCATE
    else:
        MPI.Request.Waitall([sreq, rreq])
    # Whatever is still pending completes now.
    for r in (sreq, rreq):
        if r:
            try:
                r.Wait()
            except MPI.Exception:
                pass
    comm.Barrier()


def test_cancel_irecv(comm):
    status = MPI.Status()
    rbuf = bytearray(b"untouched")
    req = comm.Irecv(rbuf, MPI.ANY_SOURCE, 7777)  # nobody sends with this tag
    req.Cancel()
    req.Wait(status)
    assert status.Is_cancelled()
    assert status.cancelled
    assert req == MPI.REQUEST_NULL
    assert rbuf == bytearray(b"untouched")
    # Cancelled, then completed with Test.
    req = comm.Irecv(rbuf, MPI.ANY_SOURCE, 7777)
    req.Cancel()
    status = MPI.Status()
    while not req.Test(status):
        pass
    assert status.Is_cancelled()


def test_cancel_persistent_recv(comm):
    rbuf = array.array("i", [0])
    req = comm.Recv_init(rbuf, MPI.ANY_SOURCE, 7778)
    status = MPI.Status()
    for _ in range(3):
        req.Start()
        req.Cancel()
        req.Wait(status)
        assert status.Is_cancelled()
    # After cancelled rounds, a real message still arrives.
    right, left = ring(comm)
    req2 = comm.Recv_init(rbuf, left, 7779)
    req2.Start()
    comm.Send(array.array("i", [comm.Get_rank() + 40]), right, 7779)
    req2.Wait(status)
    assert not status.Is_cancelled()
    assert rbuf[0] == left + 40
    req.Free()
    req2.Free()


def test_cancelled_does_not_steal_message(comm):
    right, left = ring(comm)
    rbuf = bytearray(3)
    req = comm.Irecv(rbuf, left, 76)
    req.Cancel()
    status = MPI.Status()
    req.Wait(status)
    assert status.Is_cancelled()  # nothing was sent yet
    comm.Barrier()  # every rank's receive is cancelled before anything is sent
    sreq = comm.Isend(bytes([1, 2, 3]), right, 76)
    rbuf2 = bytearray(3)
    comm.Recv(rbuf2, left, 76)
    sreq.Wait()
    assert rbuf2 == bytearray([1, 2, 3])
    assert rbuf == bytearray(3)


# -- Non-contiguous buffers ----------------------------------------------------------------------


@needs_numpy
def test_noncontiguous_with_derived_datatype(comm):
    if not hasattr(MPI.Datatype, "Create_vector"):
        pytest.skip("Datatype.Create_vector is not bound yet")
    right, left = ring(comm)
    base = np.arange(20, dtype="f8").reshape(5, 4) + 100 * comm.Get_rank()
    column = base[:, 1]  # 5 doubles, 32 bytes apart
    vector = MPI.DOUBLE.Create_vector(5, 1, 4).Commit()
    try:
        rbuf = np.zeros(5)
        rreq = comm.Irecv(rbuf, left, 77)
        comm.Send([column, 1, vector], right, 77)
        rreq.Wait()
        assert np.array_equal(rbuf, np.arange(20.0).reshape(5, 4)[:, 1] + 100 * left)
        # And receive into a column of another array.
        target = np.zeros((5, 4))
        rreq = comm.Irecv([target[:, 2], 1, vector], left, 78)
        comm.Send(np.ascontiguousarray(column), right, 78)
        rreq.Wait()
        assert np.array_equal(target[:, 2], np.arange(20.0).reshape(5, 4)[:, 1] + 100 * left)
        assert not target[:, [0, 1, 3]].any()
    finally:
        vector.Free()


@needs_numpy
def test_noncontiguous_without_datatype_is_rejected(comm):
    a = np.arange(10.0)
    for spec in (a[::2], (a[::2], 2), np.zeros((3, 4))[:, 1], [a[::3], None]):
        with pytest.raises(ValueError):  # a spec is checked for a real peer only
            comm.Send(spec, 0)
        with pytest.raises(ValueError):
            comm.Isend(spec, 0)
    with pytest.raises(ValueError):
        comm.Recv(np.zeros(10)[::2], 0)


@needs_numpy
def test_noncontiguous_with_predefined_datatype_is_rejected(comm):
    """A predefined datatype cannot describe a strided layout: sending the gaps is wrong."""
    a = np.arange(10.0)
    for spec in (
        [a[::2], MPI.DOUBLE],
        [a[::2], 5, MPI.DOUBLE],
        [a[::-1], MPI.DOUBLE],
        [np.zeros((3, 4))[:, 1], 3, MPI.DOUBLE],
    ):
        with pytest.raises(ValueError):
            comm.Isend(spec, 0)
        with pytest.raises(ValueError):
            comm.Irecv(spec, 0)


# -- Bad input -----------------------------------------------------------------------------------


class NotABuffer:
    pass


BAD_SEND_SPECS = [
    (12, TypeError),
    ("text", TypeError),
    (NotABuffer(), TypeError),
    ([], ValueError),  # 2 to 4 items
    ([b"abc", 1, 0, MPI.BYTE, 9], ValueError),
    ([b"abc", MPI.INT, 3], TypeError),  # count must be an integer
    ([b"abcd", 2.0, MPI.BYTE], TypeError),
    ([b"abcd", 1, 1.0, MPI.BYTE], TypeError),
    ([b"abcd", 1, 1, 3.5], TypeError),  # not a datatype
    ([b"abcd", 1, 1, object()], TypeError),
    ([b"abcd", 5, MPI.BYTE], ValueError),  # count beyond the buffer
    ([b"abcd", 2, 3, MPI.BYTE], ValueError),  # count + displacement beyond the buffer
    ([b"abcd", (3, 2), MPI.BYTE], ValueError),
    ([b"abcd", (1, 2, 3), MPI.BYTE], ValueError),  # not a (count, displ) pair
    ([array.array("i", [1, 2]), 3, MPI.INT], ValueError),
    ((array.array("i", [1, 2]), 3), ValueError),
    ([b"abcd", -1, MPI.BYTE], ValueError),
    ([b"abcd", 1, -1, MPI.BYTE], ValueError),
    ((b"abcd", -2), ValueError),
    ([b"abcd", 1, MPI.DATATYPE_NULL], ValueError),
    ([b"abcd", "no such code"], KeyError),  # a type code is looked up, as in a mapping
    ([b"abc", MPI.INT], ValueError),  # 3 bytes are not a whole number of ints
    ([None], ValueError),
    (None, TypeError),
    (MPI.BOTTOM, TypeError),
    ([None, 3], TypeError),  # BOTTOM needs a datatype
    ([None, 1, 0, MPI.INT], ValueError),  # None has no items to send
    ([b"abcd", 0, 5, MPI.BYTE], ValueError),  # a displacement beyond the buffer, count 0
    ([b"abcd", (0, 5)], ValueError),
    ([b"abcd", np.float64(2.0), MPI.BYTE], TypeError),
]


def test_spec_byte_order_and_extent():
    """A buffer in the other byte order has no native datatype (BufferError, as in
    mpi4py) unless the spec names one; a datatype without a positive extent can take
    neither a displacement nor an inferred count."""
    comm = MPI.COMM_SELF
    other = ">" if sys.byteorder == "little" else "<"
    sbuf, rbuf = np.arange(3, dtype=other + "i4"), np.zeros(3, dtype=other + "i4")
    with pytest.raises(BufferError):
        comm.Sendrecv(sbuf, 0, 0, rbuf, 0, 0)
    comm.Sendrecv([sbuf, MPI.INT], 0, 0, [rbuf, MPI.INT], 0, 0)
    assert rbuf.tolist() == [0, 1, 2]
    native = np.zeros(3, dtype="=i4")
    comm.Sendrecv(np.arange(3, dtype="=i4"), 0, 0, native, 0, 0)
    assert native.tolist() == [0, 1, 2]
    t = MPI.INT.Create_resized(0, -4).Commit()
    try:
        with pytest.raises(ValueError):
            comm.Sendrecv([bytearray(8), 0, 1, t], 0, 0, [bytearray(8), 0, MPI.BYTE], 0, 0)
        with pytest.raises(ValueError):
            comm.Sendrecv([bytearray(8), None, t], 0, 0, [bytearray(8), 0, MPI.BYTE], 0, 0)
    finally:
        t.Free()


@pytest.mark.parametrize(
    "spec, error", BAD_SEND_SPECS, ids=[repr(s[0])[:40] for s in BAD_SEND_SPECS]
)
def test_bad_send_specs(comm, spec, error):
    right, left = ring(comm)
    with pytest.raises(error):
        comm.Send(spec, right, 81)
    with pytest.raises(error):
        comm.Isend(spec, right, 81)
    with pytest.raises(error):
        comm.Ssend(spec, right, 81)
    with pytest.raises(error):
        comm.Send_init(spec, right, 81)
    with pytest.raises(error):
        comm.Sendrecv(spec, right, 81, bytearray(8), left, 81)
    # Nothing was sent.
    assert not comm.Iprobe(left, 81)


@needs_numpy
def test_formats_without_datatype(comm):
    structured = np.zeros(3, dtype=[("a", "i4"), ("b", "f8")])
    # A format with no MPI datatype is a failed lookup (KeyError), as in mpi4py.
    for buf in (np.zeros(3, dtype="V8"), np.zeros(3, dtype="S4"), structured):
        with pytest.raises(KeyError, match="cannot infer an MPI datatype"):
            comm.Send(buf, 0)
        with pytest.raises(KeyError, match="cannot infer an MPI datatype"):
            comm.Irecv(buf, 0)
        # With an explicit datatype the bytes go through.
        comm.Send([buf, MPI.BYTE], MPI.PROC_NULL)


@needs_numpy
def test_readonly_receive_buffers(comm):
    """Read-only memory as a receive buffer: BufferError (as CPython's own exporters say)."""
    right, left = ring(comm)
    ro = np.zeros(4, dtype="i")
    ro.flags.writeable = False
    for buf in (
        b"abcd",
        memoryview(bytearray(4)).toreadonly(),
        ro,
        [b"abcd", MPI.BYTE],
        [ro, 2, MPI.INT],
        (b"abcd", 2),
    ):
        with pytest.raises(BufferError):
            comm.Recv(buf, left, 82)
        with pytest.raises(BufferError):
            comm.Irecv(buf, left, 82)
        with pytest.raises(BufferError):
            comm.Recv_init(buf, left, 82)
        with pytest.raises(BufferError):
            comm.Sendrecv(b"", MPI.PROC_NULL, 82, buf, left, 82)
        with pytest.raises(BufferError):
            comm.Sendrecv_replace(buf, right, 82, left, 82)
        with pytest.raises(BufferError):
            comm.Isendrecv(b"", MPI.PROC_NULL, 82, buf, left, 82)
        with pytest.raises(BufferError):
            comm.Isendrecv_replace(buf, right, 82, left, 82)
    # Read-only buffers are fine to send from.
    rreq = comm.Irecv(np.zeros(4, dtype="i"), left, 83)
    comm.Send(ro, right, 83)
    rreq.Wait()


def test_receive_count_beyond_buffer(comm):
    right, left = ring(comm)
    rbuf = array.array("i", [0] * 3)
    for spec in (
        [rbuf, 4, MPI.INT],
        [rbuf, 3, 1, MPI.INT],
        (rbuf, 4),
        [rbuf, (1, 3), "i"],
        [bytearray(7), MPI.INT],
    ):
        with pytest.raises(ValueError):
            comm.Recv(spec, left, 84)
        with pytest.raises(ValueError):
            comm.Irecv(spec, left, 84)
        with pytest.raises(ValueError):
            comm.Sendrecv_replace(spec, right, 84, left, 84)
    assert not comm.Iprobe(left, 84)


def test_out_of_range_ranks(comm):
    size = comm.Get_size()
    buf = bytearray(4)
    calls = [
        lambda r: comm.Send(b"ab", r),
        lambda r: comm.Ssend(b"ab", r),
        lambda r: comm.Rsend(b"ab", r),
        lambda r: comm.Isend(b"ab", r),
        lambda r: comm.Issend(b"ab", r),
        lambda r: comm.Send_init(b"ab", r),
        lambda r: comm.Recv(buf, r),
        lambda r: comm.Irecv(buf, r),
        lambda r: comm.Recv_init(buf, r),
        lambda r: comm.Sendrecv(b"ab", r, 0, buf, MPI.PROC_NULL),
        lambda r: comm.Sendrecv(b"ab", MPI.PROC_NULL, 0, buf, r),
        lambda r: comm.Sendrecv_replace(buf, r, 0, MPI.PROC_NULL),
        lambda r: comm.Probe(r),
        lambda r: comm.Iprobe(r),
        lambda r: comm.Mprobe(r),
        lambda r: comm.Improbe(r),
    ]
    for bad in (size, size + 7, -5):
        for call in calls:
            with pytest.raises(MPI.Exception) as excinfo:
                call(bad)
            assert error_class(excinfo) == MPI.ERR_RANK, call


def test_out_of_range_tags(comm):
    tag_ub = MPI.COMM_WORLD.Get_attr(MPI.TAG_UB)
    buf = bytearray(4)
    right, left = ring(comm)
    # Above TAG_UB, when it is below INT_MAX (Open MPI's TAG_UB is INT_MAX).
    for bad in (-5, tag_ub + 1) if tag_ub < 2**31 - 1 else (-5,):
        for call in (
            lambda t: comm.Send(b"ab", right, t),
            lambda t: comm.Isend(b"ab", right, t),
            lambda t: comm.Ssend(b"ab", right, t),
            lambda t: comm.Send_init(b"ab", right, t),
            lambda t: comm.Recv(buf, left, t),
            lambda t: comm.Irecv(buf, left, t),
            lambda t: comm.Recv_init(buf, left, t),
            lambda t: comm.Probe(left, t),
            lambda t: comm.Iprobe(left, t),
            lambda t: comm.Improbe(left, t),
            lambda t: comm.Sendrecv(b"ab", right, t, buf, left, 0),
        ):
            with pytest.raises(MPI.Exception) as excinfo:
                call(bad)
            assert error_class(excinfo) == MPI.ERR_TAG
    # ANY_TAG is for receives only.
    with pytest.raises(MPI.Exception) as excinfo:
        comm.Send(b"ab", right, MPI.ANY_TAG)
    assert error_class(excinfo) == MPI.ERR_TAG


def test_null_and_freed_communicators():
    dup = MPI.COMM_WORLD.Dup()
    dup.Free()
    assert dup == MPI.COMM_NULL
    buf = bytearray(4)
    for comm in (MPI.COMM_NULL, dup, MPI.Intracomm()):
        for call in (
            lambda: comm.Send(b"ab", 0),
            lambda: comm.Bsend(b"ab", 0),
            lambda: comm.Isend(b"ab", 0),
            lambda: comm.Send_init(b"ab", 0),
            lambda: comm.Recv(buf, 0),
            lambda: comm.Irecv(buf, 0),
            lambda: comm.Recv_init(buf, 0),
            lambda: comm.Sendrecv(b"ab", 0, 0, buf, 0),
            lambda: comm.Sendrecv_replace(buf, 0),
            lambda: comm.Isendrecv(b"ab", 0, 0, buf, 0),
            lambda: comm.Probe(0),
            lambda: comm.Iprobe(0),
            lambda: comm.Mprobe(0),
            lambda: comm.Improbe(0),
        ):
            with pytest.raises(MPI.Exception) as excinfo:
                call()
            assert error_class(excinfo) == MPI.ERR_COMM


def test_wrong_status_type(comm):
    right, left = ring(comm)
    buf = bytearray(4)
    for bad in (3, "status", [MPI.Status()], MPI.REQUEST_NULL):
        with pytest.raises(TypeError):
            comm.Recv(buf, MPI.PROC_NULL, 0, bad)
        with pytest.raises(TypeError):
            comm.Sendrecv(b"", MPI.PROC_NULL, 0, buf, MPI.PROC_NULL, 0, bad)
        with pytest.raises(TypeError):
            comm.Sendrecv_replace(buf, MPI.PROC_NULL, 0, MPI.PROC_NULL, 0, bad)
        with pytest.raises(TypeError):
            comm.Probe(MPI.PROC_NULL, 0, bad)
        with pytest.raises(TypeError):
            comm.Iprobe(MPI.PROC_NULL, 0, bad)
        with pytest.raises(TypeError):
            comm.Mprobe(MPI.PROC_NULL, 0, bad)


def test_wrong_argument_types(comm):
    for call in (
        lambda: comm.Send(b"", "0"),
        lambda: comm.Send(b"", 0, "tag"),
        lambda: comm.Recv(bytearray(1), 0.0),
        lambda: comm.Irecv(bytearray(1), None),
        lambda: comm.Probe("any"),
    ):
        with pytest.raises(TypeError):
            call()


def test_attach_detach_buffer(comm):
    right, left = ring(comm)
    memory = bytearray(3 * (100 + MPI.BSEND_OVERHEAD))
    MPI.Attach_buffer(memory)
    try:
        # Only one buffer may be attached at a time.
        with pytest.raises(MPI.Exception) as excinfo:
            MPI.Attach_buffer(bytearray(1000))
        assert error_class(excinfo) == MPI.ERR_BUFFER
        for i in range(3):
            comm.Bsend(bytes(values(comm.Get_rank() + i, 100)), right, 85 + i)
        for i in range(3):
            rbuf = bytearray(100)
            comm.Recv(rbuf, left, 85 + i)
            assert list(rbuf) == values(left + i, 100)
    finally:
        assert MPI.Detach_buffer() is memory
    with pytest.raises(BufferError):
        MPI.Attach_buffer(b"read-only bytes")
    with pytest.raises(TypeError):
        MPI.Attach_buffer(42)


# MPI-4.1 added buffers per communicator, automatic buffers and flushing.
HAVE_MPI41_BUFFERS = MPI.Get_version() >= (4, 1)


@pytest.mark.skipif(not HAVE_MPI41_BUFFERS, reason="the MPI has no MPI-4.1 buffer functions")
def test_comm_attach_flush_detach_buffer(comm):
    right, left = ring(comm)
    dup = comm.Dup()
    try:
        memory = bytearray(2 * (100 + MPI.BSEND_OVERHEAD))
        dup.Attach_buffer(memory)
        with pytest.raises(MPI.Exception):
            dup.Attach_buffer(bytearray(1000))  # one buffer per communicator
        dup.Bsend(bytes(values(comm.Get_rank(), 100)), right, 90)
        flushing = dup.Iflush_buffer()
        assert isinstance(flushing, MPI.Request)
        rbuf = bytearray(100)
        dup.Recv(rbuf, left, 90)
        assert list(rbuf) == values(left, 100)
        flushing.Wait()
        dup.Bsend(bytes(values(comm.Get_rank() + 1, 100)), right, 91)
        dup.Recv(rbuf, left, 91)
        assert list(rbuf) == values(left + 1, 100)
        dup.Flush_buffer()
        assert dup.Detach_buffer() is memory
        # The process's buffer is another one: still free to attach.
        MPI.Attach_buffer(bytearray(64 + MPI.BSEND_OVERHEAD))
        MPI.Flush_buffer()
        MPI.Iflush_buffer().Wait()
        assert len(MPI.Detach_buffer()) == 64 + MPI.BSEND_OVERHEAD
    finally:
        dup.Free()


@pytest.mark.skipif(not HAVE_MPI41_BUFFERS, reason="the MPI has no MPI-4.1 buffer functions")
@pytest.mark.parametrize("automatic", [None, MPI.BUFFER_AUTOMATIC])
def test_buffer_automatic(comm, automatic):
    right, left = ring(comm)
    MPI.Attach_buffer(automatic)
    try:
        n = 1 << 16  # no buffer of the user's needed, whatever the size
        comm.Bsend(bytes(values(comm.Get_rank(), 256)) * (n // 256), right, 92)
        rbuf = bytearray(n)
        comm.Recv(rbuf, left, 92)
        assert list(rbuf[-256:]) == values(left, 256)
    finally:
        assert MPI.Detach_buffer() is MPI.BUFFER_AUTOMATIC


@pytest.mark.skipif(HAVE_MPI41_BUFFERS, reason="the MPI has the MPI-4.1 buffer functions")
def test_mpi41_buffers_not_implemented(comm):
    for call in (
        lambda: comm.Attach_buffer(bytearray(100)),
        comm.Detach_buffer,
        comm.Flush_buffer,
        comm.Iflush_buffer,
        MPI.Flush_buffer,
        MPI.Iflush_buffer,
        lambda: MPI.Attach_buffer(MPI.BUFFER_AUTOMATIC),
    ):
        with pytest.raises(NotImplementedError):
            call()


@pytest.mark.skipif(
    OPEN_MPI,
    reason="Open MPI 5.0: after a Bsend fails for want of a buffer, "
    "later large sends hang (also with mpi4py)",
)
def test_bsend_without_buffer_space(comm):
    right, left = ring(comm)
    # No buffer attached: a buffered send of real data has nowhere to go.
    with pytest.raises(MPI.Exception) as excinfo:
        comm.Bsend(bytes(1000), right, 86)
    assert error_class(excinfo) == MPI.ERR_BUFFER
    comm.Barrier()
    assert not comm.Iprobe(left, 86)


def test_large_message_not_blocking_ring(comm):
    """Messages above the eager limit still complete with Irecv posted first."""
    right, left = ring(comm)
    n = 1 << 20
    sbuf = bytearray(bytes(values(comm.Get_rank(), 256)) * (n // 256))
    rbuf = bytearray(n)
    status = MPI.Status()
    for send in ("Send", "Ssend"):
        rreq = comm.Irecv(rbuf, left, 87)
        getattr(comm, send)(sbuf, right, 87)
        rreq.Wait(status)
        assert rbuf[:256] == bytearray(values(left, 256)) and rbuf[-256:] == rbuf[:256]
        check_status(status, left, 87, n)


def test_methods_check_their_self():
    # The per-message methods take `self` unconverted (for speed) and check it themselves.
    for call in (
        lambda: MPI.Comm.Send(42, b"", MPI.PROC_NULL),
        lambda: MPI.Comm.Recv("comm", bytearray(1), MPI.PROC_NULL),
        lambda: MPI.Comm.Isend(None, b"", MPI.PROC_NULL),
        lambda: MPI.Comm.Irecv(MPI.INT, bytearray(1), MPI.PROC_NULL),
        lambda: MPI.Comm.Sendrecv(MPI.Group(), b"", MPI.PROC_NULL),
        lambda: MPI.Comm.Probe(1.5, MPI.PROC_NULL),
    ):
        with pytest.raises(TypeError):
            call()

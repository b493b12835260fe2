"""Point-to-point communication of Python objects (the lowercase methods), MPI.pickle and the
object wire format (one message for small objects, out-of-band parts for large buffers)."""

import array
import pickle
import sys
import time

import pytest
from helpers import ring

from mpipy import MPI

try:
    import numpy as np
except ImportError:  # pragma: no cover
    np = None

needs_numpy = pytest.mark.skipif(np is None, reason="needs NumPy")


class Point:
    """A user class: pickled by reference to this module, which every rank imports."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)


def sample(rank):
    """Objects of many kinds, different on every rank."""
    return [
        None,
        True,
        rank,
        -(2**70) - rank,
        3.25 + rank,
        complex(rank, -1),
        "",
        f"héllo {rank}",
        b"\x00bytes" * rank,
        bytearray(b"ba"),
        (rank, (rank,)),
        [rank] * 3,
        {"k": rank, rank: [1, 2]},
        {rank, -rank - 1},
        frozenset([rank]),
        Point(rank, -rank),
        list(range(1000 + rank)),
        "x" * (70000 + rank),  # above the out-of-band threshold
        array.array("d", [rank] * 10),
    ]


# -- Blocking sends and receives -----------------------------------------------------------------


@pytest.mark.parametrize("mode", ["send", "ssend", "bsend"])
def test_send_recv_kinds(comm, mode):
    right, left = ring(comm)
    rank = comm.Get_rank()
    memory = None
    if mode == "bsend":
        memory = bytearray(1 << 20)
        MPI.Attach_buffer(memory)
    try:
        for i, obj in enumerate(sample(rank)):
            req = comm.irecv(source=left, tag=i)  # posted before the (synchronous) send
            getattr(comm, mode)(obj, right, i)
            status = MPI.Status()
            got = req.wait(status)
            assert got == sample(left)[i]
            assert type(got) is type(obj)
            assert (status.source, status.tag) == (left, i)
    finally:
        if memory is not None:
            assert MPI.Detach_buffer() is memory


def test_recv_without_and_with_buffer(comm):
    right, left = ring(comm)
    rank = comm.Get_rank()
    obj = {"rank": rank, "data": list(range(100))}
    status, probed = MPI.Status(), MPI.Status()
    sreq = comm.isend(obj, right, 1)
    comm.Probe(left, 1, probed)
    assert comm.recv(None, left, 1, status) == {"rank": left, "data": list(range(100))}
    assert (status.source, status.tag) == (left, 1)
    # the size of the stream received (plain data is written more compactly than pickle does)
    assert 0 < status.Get_count() == probed.Get_count() <= len(pickle.dumps(obj, 5))
    sreq.wait()
    # Into a buffer big enough for the pickle.
    sreq = comm.isend(obj, right, 2)
    buf = bytearray(1 << 12)
    with pytest.warns(UserWarning, match="deprecated"):
        assert comm.recv(buf, left, 2) == {"rank": left, "data": list(range(100))}
    sreq.wait()
    # Defaults: any source, any tag.
    sreq = comm.isend(obj, right, 3)
    assert comm.recv(status=status)["rank"] == left
    assert (status.source, status.tag) == (left, 3)
    sreq.wait()


OPEN_MPI = MPI.get_vendor()[0] == "Open MPI"


def test_recv_buffer_too_small(comm):
    right, left = ring(comm)
    # Small: Open MPI 5.0 (ob1) writes a truncated message of more than ~1 KiB (self) or
    # ~4 KiB (shared memory) past the end of the receive buffer (also with mpi4py).
    sreq = comm.isend("y" * 100, right, 4)
    with pytest.raises(MPI.Exception) as excinfo, pytest.warns(UserWarning, match="deprecated"):
        comm.recv(bytearray(10), left, 4)
    assert excinfo.value.Get_error_class() == MPI.ERR_TRUNCATE
    sreq.wait()
    with pytest.raises(BufferError), pytest.warns(UserWarning, match="deprecated"):
        comm.recv(b"read-only", left, 4)


def test_recv_buffer_argument(comm):
    """A buffer given to recv is deprecated (UserWarning, even for PROC_NULL) but used: a
    buffer-protocol object or an integer, the size of fresh bytes to receive into."""
    right, left = ring(comm)
    rank = comm.Get_rank()
    with pytest.warns(UserWarning, match="'buf' argument is deprecated"):
        assert comm.recv(bytearray(0), MPI.PROC_NULL) is None
    with pytest.warns(UserWarning):
        assert comm.recv(5, MPI.PROC_NULL) is None
    sreq = comm.isend(("int", rank), right, 13)
    with pytest.warns(UserWarning):
        assert comm.recv(128, left, 13) == ("int", left)
    sreq.wait()
    sreq = comm.isend([rank] * 3, right, 14)
    with pytest.warns(UserWarning):
        assert comm.recv(bytearray(128), left, 14) == [left] * 3
    sreq.wait()
    # An integer too small truncates like a buffer too small.
    sreq = comm.isend("y" * 100, right, 15)
    with pytest.warns(UserWarning), pytest.raises(MPI.Exception) as excinfo:
        comm.recv(12, left, 15)
    assert excinfo.value.Get_error_class() == MPI.ERR_TRUNCATE
    sreq.wait()
    with pytest.warns(UserWarning), pytest.raises(ValueError):
        comm.recv(-1, left, 15)
    # sendrecv receives through recv: the same warning.
    with pytest.warns(UserWarning):
        assert comm.sendrecv(rank, right, 16, 64, left, 16) == left


def test_sendrecv(comm):
    right, left = ring(comm)
    rank = comm.Get_rank()
    status = MPI.Status()
    got = comm.sendrecv(("ping", rank), right, 5, None, left, 5, status)
    assert got == ("ping", left)
    assert (status.source, status.tag) == (left, 5)
    got = comm.sendrecv(sendobj=[rank] * 100, dest=right, sendtag=6, status=status)
    assert got == [left] * 100 and status.tag == 6
    # Into a buffer, and with PROC_NULL on either side.
    with pytest.warns(UserWarning, match="deprecated"):
        got = comm.sendrecv(rank, right, 7, bytearray(256), left, 7)
    assert got == left
    assert comm.sendrecv(rank, MPI.PROC_NULL, 8, None, MPI.PROC_NULL, 8, status) is None
    assert status.source == MPI.PROC_NULL
    req = comm.irecv(source=left, tag=9)
    assert comm.sendrecv(rank, right, 9, None, MPI.PROC_NULL) is None
    assert req.wait() == left


def test_proc_null(comm):
    status = MPI.Status()
    for mode in ("send", "ssend"):
        assert getattr(comm, mode)({"x": 1}, MPI.PROC_NULL) is None
    for mode in ("isend", "issend"):
        req = getattr(comm, mode)([1, 2], MPI.PROC_NULL, 3)
        assert req.wait() is None
    status.source = 5
    assert comm.recv(None, MPI.PROC_NULL, 3, status) is None
    assert (status.source, status.tag, status.Get_count()) == (MPI.PROC_NULL, MPI.ANY_TAG, 0)
    for buf in (None, bytearray(10)):
        status.source = 5
        assert comm.irecv(buf, MPI.PROC_NULL, 3).wait(status) is None
        assert status.source == MPI.PROC_NULL
    assert comm.probe(MPI.PROC_NULL, 0, status) is True
    assert comm.iprobe(MPI.PROC_NULL, 0, status) is True
    assert status.source == MPI.PROC_NULL


def test_probe_iprobe(comm):
    right, left = ring(comm)
    assert comm.iprobe(left, 10) is False
    comm.Barrier()
    sreq = comm.isend("probed", right, 10)
    status = MPI.Status()
    assert comm.probe(left, 10, status) is True
    assert (status.source, status.tag) == (left, 10)
    # the stream as sent: PROTO 5, SHORT_BINUNICODE "probed", STOP (plain data, no frame)
    assert status.Get_count() == len(b"\x80\x05\x8c\x06probed.") == 11
    while not comm.iprobe(left, 10):
        pass
    assert comm.recv(None, status.source, status.tag) == "probed"
    sreq.wait()


def test_lowercase_probes_ignore_subclass_overrides(comm):
    """As in mpi4py: probe/iprobe/mprobe/improbe call MPI themselves, not the subclass's
    Probe/Iprobe/Mprobe/Improbe."""

    class Overriding(type(comm)):
        def _refuse(self, *args, **kwargs):
            raise AssertionError("the lowercase probe went through the capitalized one")

        Probe = Iprobe = Mprobe = Improbe = _refuse

    sub = Overriding(comm)  # the same communicator
    right, left = ring(comm)
    assert sub.iprobe(left, 11) is False
    assert sub.improbe(left, 11) is None
    comm.Barrier()
    sreq = comm.isend([1, 2], right, 11)
    assert sub.probe(left, 11) is True
    assert sub.iprobe(left, 11) is True
    message = sub.mprobe(left, 11)
    assert type(message) is MPI.Message and message.recv() == [1, 2]
    sreq.wait()
    assert sub.probe(MPI.PROC_NULL) is True
    assert sub.improbe(MPI.PROC_NULL) is not None


# -- Nonblocking -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["isend", "issend", "ibsend"])
def test_isend_irecv(comm, mode):
    right, left = ring(comm)
    rank = comm.Get_rank()
    memory = None
    if mode == "ibsend":
        memory = bytearray(1 << 21)
        MPI.Attach_buffer(memory)
    try:
        objs = sample(rank)
        recvs = [comm.irecv(source=left, tag=i) for i in range(len(objs))]
        sends = [getattr(comm, mode)(obj, right, i) for i, obj in enumerate(objs)]
        assert all(isinstance(r, MPI.Request) for r in recvs + sends)
        got = MPI.Request.waitall(recvs)
        assert got == sample(left)
        assert MPI.Request.waitall(sends) == [None] * len(objs)
    finally:
        if memory is not None:
            assert MPI.Detach_buffer() is memory


def test_irecv_with_buffer(comm):
    right, left = ring(comm)
    rank = comm.Get_rank()
    buf = bytearray(1 << 16)
    req = comm.irecv(buf, left, 11)
    sreq = comm.isend({"r": rank, "s": "z" * 1000}, right, 11)
    assert req.wait() == {"r": left, "s": "z" * 1000}
    sreq.wait()
    # A buffer too small: the truncation shows up at completion. (Open MPI 5.0 does not
    # report it for a nonblocking receive of a message sent to oneself: unpickling fails.)
    req = comm.irecv(bytearray(8), left, 12)
    sreq = comm.isend("w" * 100, right, 12)
    if OPEN_MPI and left == rank:
        with pytest.raises(pickle.UnpicklingError):
            req.wait()
    else:
        with pytest.raises(MPI.Exception) as excinfo:
            req.wait()
        assert excinfo.value.Get_error_class() == MPI.ERR_TRUNCATE
    sreq.wait()
    assert req.wait() is None  # the failed request is over
    with pytest.raises(BufferError):
        comm.irecv(b"read-only", left, 12)


def test_irecv_integer_buffer(comm):
    """irecv(n) receives into n fresh bytes (no warning, as in mpi4py)."""
    right, left = ring(comm)
    rank = comm.Get_rank()
    req = comm.irecv(0, MPI.PROC_NULL)
    assert req
    assert req.wait() is None and not req
    req = comm.irecv(1024, left, 17)
    sreq = comm.isend({"n": rank}, right, 17)
    assert req.wait() == {"n": left}
    sreq.wait()
    with pytest.raises(ValueError):
        comm.irecv(-3, left, 17)


def test_empty_message_is_none(comm):
    """A message of no bytes (from a buffer send) is received as None by every receive."""
    right, left = ring(comm)
    status = MPI.Status()
    for receive in (
        lambda: comm.recv(None, left, 18, status),
        lambda: comm.irecv(None, left, 18).wait(status),
        lambda: comm.mprobe(left, 18).recv(status),
        lambda: comm.mprobe(left, 18).irecv().wait(status),
    ):
        sreq = comm.Isend([None, 0, MPI.BYTE], right, 18)
        assert receive() is None
        assert (status.source, status.tag, status.Get_count()) == (left, 18, 0)
        sreq.Wait()
    sreq = comm.Isend(b"", right, 18)
    with pytest.warns(UserWarning):
        assert comm.recv(bytearray(8), left, 18) is None
    sreq.Wait()


@needs_numpy
@pytest.mark.parametrize("big", [False, True], ids=["in-band", "out-of-band"])
def test_cancel_issend(comm, big):
    """A cancelled issend completes, cancelled or (when the cancellation fails, as MPI allows,
    and always for an object with out-of-band parts) received, and leaves nothing behind that
    a later receive would take."""
    rank = comm.Get_rank()
    obj = np.full((1 << 17) if big else 4, rank, dtype="i8")
    req = comm.issend(obj, rank, 19)
    assert req.test() == (False, None)
    req.cancel()
    status = MPI.Status()
    deadline = time.monotonic() + 0.5  # a cancelled send completes at once; else it waits
    while not req.get_status(status) and time.monotonic() < deadline:
        pass
    if status.Is_cancelled():
        req.Free()
        assert comm.iprobe(rank, 19) is False
    else:
        assert (comm.recv(None, rank, 19) == obj).all()
        assert req.wait() is None
    assert not req
    # The next message with this envelope is the next one received.
    sreq = comm.isend("after", rank, 19)
    assert comm.recv(None, rank, 19) == "after"
    sreq.wait()


@pytest.mark.parametrize("method", ["waitsome", "testsome"])
def test_some_object_receives_with_statuses(comm, method):
    """waitsome/testsome of object receives give every one completed, statuses included."""
    rank = comm.Get_rank()
    reqs = [comm.irecv(source=rank, tag=20 + i) for i in range(4)]
    if method == "testsome":
        statuses = []
        assert MPI.Request.testsome(reqs, statuses) == ([], []) and statuses == []
    for group in ([3], [0, 2], [1]):
        for i in group:
            comm.ssend(("s", i), rank, 20 + i)
        statuses = []
        indices, objs = getattr(MPI.Request, method)(reqs, statuses)
        assert sorted(indices) == group
        assert objs == [("s", i) for i in indices]
        assert len(statuses) == len(group)
        assert [s.tag for s in statuses] == [20 + i for i in indices]
        assert all(s.source == rank and s.error == MPI.SUCCESS for s in statuses)
        assert not any(reqs[i] for i in indices)
    assert getattr(MPI.Request, method)(reqs) == (None, None)


@needs_numpy
def test_irecv_large_objects_no_truncation(comm):
    right, left = ring(comm)
    rank = comm.Get_rank()
    n = 10 * 2**20 // 8  # 10 MiB arrays
    recvs = [comm.irecv(source=left, tag=20 + i) for i in range(2)]
    arrays = [np.arange(n, dtype="f8") * (i + 1) + rank for i in range(2)]
    sends = [comm.isend(a, right, 20 + i) for i, a in enumerate(arrays)]
    got = MPI.Request.waitall(sends + recvs)[2:]
    for i, a in enumerate(got):
        assert a.shape == (n,) and a.dtype == np.float64
        assert a[0] == left and a[-1] == (n - 1) * (i + 1) + left
        assert np.array_equal(a, np.arange(n, dtype="f8") * (i + 1) + left)
    # Blocking receive, and a synchronous send, of a big object too.
    req = comm.irecv(source=left, tag=22)
    comm.ssend(arrays[0], right, 22)
    assert np.array_equal(req.wait(), np.arange(n, dtype="f8") + left)
    sreq = comm.isend(arrays[1], right, 23)
    assert np.array_equal(comm.recv(None, left, 23), np.arange(n, dtype="f8") * 2 + left)
    sreq.wait()


@needs_numpy
def test_completion_order_does_not_deadlock(comm):
    """The usual MPI patterns work with object receives that only mpipy can progress."""
    right, left = ring(comm)
    rank = comm.Get_rank()
    big = np.full(300_000, rank, dtype="i8")  # out-of-band part: a rendezvous message
    # Receive posted, then a blocking (standard or synchronous) send.
    for mode in ("send", "ssend"):
        req = comm.irecv(source=left, tag=30)
        getattr(comm, mode)({"big": big, "small": rank}, right, 30)
        got = req.wait()
        assert got["small"] == left and (got["big"] == left).all()
    # Send completed before the receive.
    req = comm.irecv(source=left, tag=31)
    sreq = comm.isend(big, right, 31)
    sreq.wait()
    assert (req.wait() == left).all()
    # Small object, synchronous: matched only by the pending irecv.
    req = comm.irecv(source=left, tag=32)
    sreq = comm.issend("tiny", right, 32)
    sreq.Wait()
    assert req.wait() == "tiny"
    # Two receives waited in the opposite order of the messages.
    reqs = [comm.irecv(source=left, tag=33 + i) for i in range(2)]
    for i in range(2):
        comm.send((i, big), right, 33 + i)
    assert reqs[1].wait()[0] == 1 and reqs[0].wait()[0] == 0
    # Receives posted earlier match first (same source and tag).
    r1 = comm.irecv(source=left, tag=35)
    r2 = comm.irecv(source=left, tag=35)
    comm.send("first", right, 35)
    comm.send("second", right, 35)
    assert r2.wait() == "second"
    assert r1.wait() == "first"


# -- Out-of-band parts -------------------------------------------------------------------------


@needs_numpy
def test_many_out_of_band_parts(comm):
    right, left = ring(comm)
    rank = comm.Get_rank()
    threshold = MPI.pickle.THRESHOLD

    def make(r):
        obj = {
            f"big{i}": np.full(threshold // 8 + 100 + i, r * 100 + i, dtype="i8") for i in range(20)
        }
        obj.update({f"small{i}": np.full(10, -i, dtype="i2") for i in range(5)})
        obj["list"] = [np.arange(3), "text", r]
        return obj

    status = MPI.Status()
    req = comm.irecv(source=left, tag=40)
    sreq = comm.isend(make(rank), right, 40)
    got = req.wait(status)
    sreq.wait()
    expected = make(left)
    assert got.keys() == expected.keys()
    for key in expected:
        if key == "list":
            assert np.array_equal(got[key][0], expected[key][0]) and got[key][1:] == ["text", left]
        else:
            assert got[key].dtype == expected[key].dtype
            assert np.array_equal(got[key], expected[key])
    # The first message carries only the pickle stream (and the trailer), not the arrays.
    sreq = comm.isend(make(rank), right, 41)
    comm.probe(left, 41, status)
    assert status.Get_count() < 20 * threshold // 4
    got = comm.recv(None, left, 41)
    assert np.array_equal(got["big19"], expected["big19"])
    sreq.wait()
    # Received out-of-band arrays are writable and independent.
    got["big0"][:] = 0
    assert got["big1"].any() is not True or got["big1"][0] == left * 100 + 1


@needs_numpy
def test_noncontiguous_and_readonly_arrays(comm):
    right, left = ring(comm)
    rank = comm.Get_rank()
    base = np.arange(400_000, dtype="f8").reshape(400, 1000) + rank
    readonly = np.arange(200_000, dtype="i4") + rank
    readonly.flags.writeable = False
    obj = {
        "strided": base[::3, ::2],  # neither C nor Fortran contiguous
        "fortran": np.asfortranarray(base[:100]),  # Fortran contiguous, out of band
        "column": base[:, 7],
        "readonly": readonly,
        "reversed": readonly[::-1],
        "bool": np.arange(100_000) % 3 == 0,
        "complex": (np.arange(50_000) + 1j * rank).astype("c16"),
        "record": np.zeros(10_000, dtype=[("a", "i4"), ("b", "f8")]),
        "scalar": np.float32(rank),
    }
    sreq = comm.isend(obj, right, 50)
    got = comm.recv(None, left, 50)
    sreq.wait()
    lbase = np.arange(400_000, dtype="f8").reshape(400, 1000) + left
    assert np.array_equal(got["strided"], lbase[::3, ::2])
    assert np.array_equal(got["fortran"], lbase[:100]) and got["fortran"].flags.f_contiguous
    assert np.array_equal(got["column"], lbase[:, 7])
    assert np.array_equal(got["readonly"], np.arange(200_000, dtype="i4") + left)
    assert np.array_equal(got["reversed"], (np.arange(200_000, dtype="i4") + left)[::-1])
    assert got["bool"].dtype == bool and np.array_equal(got["bool"], np.arange(100_000) % 3 == 0)
    assert np.array_equal(got["complex"], (np.arange(50_000) + 1j * left).astype("c16"))
    assert got["record"].dtype == obj["record"].dtype
    assert got["scalar"] == np.float32(left)


@needs_numpy
@pytest.mark.mpi(min_size=2)
def test_many_senders_any_source_any_tag():
    """Every rank sends objects with out-of-band parts to every rank at once; all arrive
    intact and unmixed, received with ANY_SOURCE/ANY_TAG in whatever order."""
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()

    def make(src, dst, k):
        return {
            "src": src,
            "k": k,
            "parts": [
                np.full(20_000 + 1000 * j, src * 1000 + dst * 10 + k, dtype="i8") for j in range(3)
            ],
            "small": [src, dst, k],
        }

    per_pair = 3
    sends = [
        comm.isend(make(rank, dst, k), dst, 60 + k) for k in range(per_pair) for dst in range(size)
    ]
    got = {}
    status = MPI.Status()
    for _ in range(size * per_pair):
        obj = comm.recv(None, MPI.ANY_SOURCE, MPI.ANY_TAG, status)
        assert obj["src"] == status.source and obj["k"] == status.tag - 60
        got[(status.source, obj["k"])] = obj
    MPI.Request.waitall(sends)
    assert sorted(got) == [(src, k) for src in range(size) for k in range(per_pair)]
    for (src, k), obj in got.items():
        expected = make(src, rank, k)
        assert obj["small"] == expected["small"]
        for a, b in zip(obj["parts"], expected["parts"]):
            assert np.array_equal(a, b)


@needs_numpy
def test_many_senders_any_source_irecv(comm):
    """The same with nonblocking receives of unknown source on any communicator."""
    right, left = ring(comm)
    rank = comm.Get_rank()
    recvs = [comm.irecv() for _ in range(3)]
    sends = [comm.isend((rank, k, np.full(100_000, rank + k)), right, 70 + k) for k in range(3)]
    got = sorted((r[0], r[1], int(r[2][0]), r[2].shape) for r in MPI.Request.waitall(recvs))
    assert got == [(left, k, left + k, (100_000,)) for k in range(3)]
    MPI.Request.waitall(sends)


# -- Unpicklable objects -------------------------------------------------------------------------


class Unpicklable:
    def __reduce__(self):
        raise RuntimeError("refusing to be pickled")


@pytest.mark.parametrize("mode", ["send", "ssend", "isend", "issend", "sendrecv"])
def test_unpicklable_raises_at_sender(comm, mode):
    right, left = ring(comm)
    bad_objects = [lambda: 0, Unpicklable(), {"ok": list(range(10)), "bad": Unpicklable()}]
    if np is not None:  # the failure comes after an out-of-band buffer was collected
        bad_objects.append([np.zeros(100_000), Unpicklable()])
    for bad in bad_objects:
        with pytest.raises((pickle.PicklingError, AttributeError, TypeError, RuntimeError)):
            if mode == "sendrecv":
                comm.sendrecv(bad, right, 80, None, MPI.PROC_NULL)
            else:
                getattr(comm, mode)(bad, right, 80)
    comm.Barrier()
    assert not comm.iprobe(left, 80)  # nothing was sent
    comm.Barrier()
    # The same tag still works.
    req = comm.irecv(source=left, tag=80)
    comm.send(("after", comm.Get_rank()), right, 80)
    assert req.wait() == ("after", left)


def test_unpicklable_at_receiver(comm):
    """A stream the receiver cannot load raises there; the communicator stays usable."""
    right, left = ring(comm)
    sreq = comm.isend(BrokenOnLoad(), right, 81)
    with pytest.raises(RuntimeError):
        comm.recv(None, left, 81)
    sreq.wait()
    sreq = comm.isend("fine", right, 81)
    assert comm.recv(None, left, 81) == "fine"
    sreq.wait()


def _fail_on_load():
    raise RuntimeError("cannot be rebuilt here")


class BrokenOnLoad:
    def __reduce__(self):
        return (_fail_on_load, ())


# -- MPI.pickle ---------------------------------------------------------------------------------


@pytest.fixture
def restore_pickle():
    protocol, threshold = MPI.pickle.PROTOCOL, MPI.pickle.THRESHOLD
    yield MPI.pickle
    MPI.pickle.__init__()
    MPI.pickle.PROTOCOL, MPI.pickle.THRESHOLD = protocol, threshold


def first_message_size(comm, obj, tag):
    """Send obj to the right; receive from the left; the size of the first message seen."""
    right, left = ring(comm)
    sreq = comm.isend(obj, right, tag)
    status = MPI.Status()
    comm.probe(left, tag, status)
    got = comm.recv(None, left, tag)
    sreq.wait()
    return status.Get_count(), got


def test_pickle_defaults(restore_pickle):
    assert MPI.pickle.PROTOCOL == 5
    assert 16 * 1024 <= MPI.pickle.THRESHOLD <= 1024 * 1024
    data = MPI.pickle.dumps({"a": [1, 2]})
    assert isinstance(data, bytes) and MPI.pickle.loads(data) == {"a": [1, 2]}
    assert pickle.loads(data) == {"a": [1, 2]}  # a standard pickle stream


@needs_numpy
def test_pickle_threshold(comm, restore_pickle):
    arr = np.arange(2000, dtype="u1") + comm.Get_rank() % 7  # 2000 bytes
    MPI.pickle.THRESHOLD = 1024
    assert MPI.pickle.THRESHOLD == 1024
    size, got = first_message_size(comm, arr, 90)
    assert size < 2000  # out of band
    assert np.array_equal(got, np.arange(2000, dtype="u1") + ring(comm)[1] % 7)
    MPI.pickle.THRESHOLD = 4096
    size, got = first_message_size(comm, arr, 91)
    assert size > 2000  # in band
    assert np.array_equal(got, np.arange(2000, dtype="u1") + ring(comm)[1] % 7)
    # Exactly at the threshold: out of band.
    MPI.pickle.THRESHOLD = 2000
    size, _ = first_message_size(comm, arr, 92)
    assert size < 2000
    MPI.pickle.THRESHOLD = 2001
    size, _ = first_message_size(comm, arr, 93)
    assert size > 2000


@needs_numpy
@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_pickle_protocol(comm, restore_pickle, protocol):
    MPI.pickle.PROTOCOL = protocol
    assert MPI.pickle.PROTOCOL == protocol
    arr = np.arange(100_000, dtype="i4")
    size, got = first_message_size(comm, {"a": arr, "p": Point(1, 2)}, 94)
    assert np.array_equal(got["a"], arr) and got["p"] == Point(1, 2)
    if protocol < 5:
        assert size > arr.nbytes  # no out-of-band buffers before protocol 5
    else:
        assert size < arr.nbytes
    data = MPI.pickle.dumps(Point(3, 4))
    assert pickle.loads(data) == Point(3, 4)
    if protocol >= 2:
        assert data[0] == 0x80 and data[1] == protocol


def test_pickle_custom_dumps_loads(comm, restore_pickle):
    import marshal

    calls = {"dumps": 0, "loads": 0}

    def dumps(obj, protocol=None):
        calls["dumps"] += 1
        return b"M" + marshal.dumps(obj)

    def loads(data):
        calls["loads"] += 1
        data = bytes(data)
        assert data[:1] == b"M"
        return marshal.loads(data[1:])

    MPI.pickle.__init__(dumps, loads)
    right, left = ring(comm)
    obj = {"rank": comm.Get_rank(), "list": list(range(50_000))}  # large: still one message
    req = comm.irecv(source=left, tag=95)
    comm.send(obj, right, 95)
    assert req.wait() == {"rank": left, "list": list(range(50_000))}
    sreq = comm.isend([1.5, "s"], right, 96)
    with pytest.warns(UserWarning, match="deprecated"):
        assert comm.recv(bytearray(1 << 10), left, 96) == [1.5, "s"]
    sreq.wait()
    assert calls["dumps"] >= 2 and calls["loads"] >= 2
    assert MPI.pickle.dumps((1, 2)) == b"M" + marshal.dumps((1, 2))
    assert MPI.pickle.loads(b"M" + marshal.dumps([3])) == [3]
    # Restored: the standard pickle is back.
    MPI.pickle.__init__()
    assert MPI.pickle.PROTOCOL == 5
    assert pickle.loads(MPI.pickle.dumps({"x": 1})) == {"x": 1}
    req = comm.irecv(source=left, tag=97)
    comm.send(Point(1, comm.Get_rank()), right, 97)
    assert req.wait() == Point(1, left)


def test_pickle_custom_protocol_argument(restore_pickle):
    MPI.pickle.__init__(pickle.dumps, pickle.loads, 3)
    assert MPI.pickle.PROTOCOL == 3
    assert MPI.pickle.dumps([1])[1] == 3
    MPI.pickle.__init__(protocol=4)
    assert MPI.pickle.PROTOCOL == 4


def test_pickle_custom_dumps_without_protocol(comm, restore_pickle):
    # As in mpi4py: a user dumps given no protocol is called with the object alone, and
    # PROTOCOL is None; the standard dumps always gets one.
    import json

    MPI.pickle.__init__(lambda obj: json.dumps(obj).encode(), lambda data: json.loads(bytes(data)))
    assert MPI.pickle.PROTOCOL is None
    for obj in (None, True, 7, "s", [1, 2], {"a": 0}):
        assert MPI.pickle.loads(MPI.pickle.dumps(obj)) == obj
        assert comm.sendrecv(obj, comm.Get_rank(), 0, None, comm.Get_rank(), 0) == obj
    MPI.pickle.PROTOCOL = 2
    with pytest.raises(TypeError):
        MPI.pickle.dumps(1)  # the json dumps takes no protocol
    MPI.pickle.PROTOCOL = None
    assert MPI.pickle.PROTOCOL is None and MPI.pickle.dumps(1) == b"1"
    MPI.pickle.__init__(pickle.dumps, pickle.loads)  # the standard dumps: protocol 5
    assert MPI.pickle.PROTOCOL == 5
    for protocol in (0, 1, -1, None):
        MPI.pickle.__init__(protocol=protocol)
        assert pickle.loads(MPI.pickle.dumps(None)) is None
    assert MPI.pickle.PROTOCOL == 5


@needs_numpy
def test_dumps_oob_loads_oob(restore_pickle):
    big = np.arange(100_000, dtype="f8")
    small = np.arange(10, dtype="f8")
    data, buffers = MPI.pickle.dumps_oob({"big": big, "small": small, "x": 1})
    assert isinstance(data, bytes)
    assert len(buffers) == 1
    assert all(isinstance(b, (MPI.buffer, memoryview, pickle.PickleBuffer)) for b in buffers)
    assert memoryview(buffers[0]).nbytes == big.nbytes
    assert len(data) < big.nbytes
    got = MPI.pickle.loads_oob(data, buffers)
    assert np.array_equal(got["big"], big) and np.array_equal(got["small"], small)
    assert got["x"] == 1
    # Nothing out of band for small objects, or with a threshold above the buffers.
    data, buffers = MPI.pickle.dumps_oob([1, 2, small])
    assert list(buffers) == []
    assert MPI.pickle.loads_oob(data, buffers)[:2] == [1, 2]
    MPI.pickle.THRESHOLD = 10**9
    data, buffers = MPI.pickle.dumps_oob(big)
    assert list(buffers) == [] and np.array_equal(MPI.pickle.loads_oob(data, []), big)
    MPI.pickle.THRESHOLD = 0
    data, buffers = MPI.pickle.dumps_oob([big, small])
    assert len(buffers) == 2


def test_pickle_bad_values(restore_pickle):
    with pytest.raises(TypeError):
        MPI.pickle.PROTOCOL = "5"
    with pytest.raises(TypeError):
        MPI.pickle.THRESHOLD = 1.5
    with pytest.raises(Exception):
        MPI.pickle.loads(b"not a pickle")
    assert MPI.pickle.PROTOCOL == 5


# -- Bad input -------------------------------------------------------------------------------


# A negative rank none of the special ones (their values differ between MPIs' ABIs).
NOT_A_RANK = min(MPI.ANY_SOURCE, MPI.PROC_NULL, MPI.ROOT) - 1


def test_bad_destinations_and_tags(comm):
    size = comm.Get_size()
    for call in (
        lambda: comm.send(1, size),
        lambda: comm.isend(1, size),
        lambda: comm.ssend(1, NOT_A_RANK),
        lambda: comm.recv(None, size),
        lambda: comm.irecv(None, size),
        lambda: comm.probe(size),
        lambda: comm.iprobe(size),
        lambda: comm.mprobe(size),
        lambda: comm.sendrecv(1, size),
    ):
        with pytest.raises(MPI.Exception) as excinfo:
            call()
        assert excinfo.value.Get_error_class() == MPI.ERR_RANK
    for call in (
        lambda: comm.send(1, 0, -1),
        lambda: comm.isend(1, 0, -7),
        lambda: comm.recv(None, 0, -7),
        lambda: comm.irecv(None, 0, -7),
        lambda: comm.probe(0, -7),
    ):
        with pytest.raises(MPI.Exception) as excinfo:
            call()
        assert excinfo.value.Get_error_class() == MPI.ERR_TAG
    assert not comm.iprobe()  # nothing was sent by the failed calls
    with pytest.raises(TypeError):
        comm.send(1, "0")
    with pytest.raises(TypeError):
        comm.recv(None, 0, 0, status=[])
    with pytest.raises(TypeError):
        comm.irecv(object())


def test_null_and_freed_communicators():
    dup = MPI.COMM_WORLD.Dup()
    dup.Free()
    for comm in (MPI.COMM_NULL, dup):
        for call in (
            lambda: comm.send(1, 0),
            lambda: comm.isend(1, 0),
            lambda: comm.recv(),
            lambda: comm.irecv(),
            lambda: comm.sendrecv(1, 0),
            lambda: comm.probe(),
            lambda: comm.iprobe(),
            lambda: comm.mprobe(),
            lambda: comm.improbe(),
            lambda: comm.bsend(1, 0),
            lambda: comm.ssend(1, 0),
        ):
            with pytest.raises(MPI.Exception) as excinfo:
                call()
            assert excinfo.value.Get_error_class() == MPI.ERR_COMM


def test_bsend_without_room(comm):
    if MPI.get_vendor()[0] == "Open MPI":
        pytest.skip(
            "Open MPI 5.0: after a Bsend fails for want of a buffer, later large sends "
            "hang (also with mpi4py)"
        )
    right, left = ring(comm)
    with pytest.raises(MPI.Exception) as excinfo:
        comm.bsend("x" * 10000, right, 99)
    assert excinfo.value.Get_error_class() == MPI.ERR_BUFFER
    comm.Barrier()
    assert not comm.iprobe(left, 99)


def test_object_refcounts_unchanged(comm):
    right, left = ring(comm)
    obj = ["payload"] * 10
    before = sys.getrefcount(obj)
    for _ in range(20):
        req = comm.irecv(source=left, tag=98)
        comm.send(obj, right, 98)
        req.wait()
    assert sys.getrefcount(obj) == before


def test_blocking_buffer_calls_with_object_receive_pending(comm):
    """With an object receive pending, blocking buffer calls poll it while they wait: their
    results and statuses are the usual ones, and the pending receive completes meanwhile."""
    right, left = ring(comm)
    rank = comm.Get_rank()
    req = comm.irecv(source=left, tag=300)
    sreq = comm.isend({"rank": rank, "blob": bytes(200_000)}, right, 300)
    status = MPI.Status()
    rbuf = array.array("i", [0] * 4)
    for mode in ("Send", "Ssend", "Bsend"):
        rreq = comm.Irecv(rbuf, left, 301)
        if mode == "Bsend":
            memory = bytearray(16 + MPI.BSEND_OVERHEAD)
            MPI.Attach_buffer(memory)
            comm.Bsend(array.array("i", [rank] * 4), right, 301)
            rreq.Wait(status)
            MPI.Detach_buffer()
        else:
            getattr(comm, mode)(array.array("i", [rank] * 4), right, 301)
            rreq.Wait(status)
        assert list(rbuf) == [left] * 4 and (status.source, status.tag) == (left, 301)
    sreq2 = comm.Isend(array.array("i", [rank + 1] * 4), right, 302)
    assert comm.Probe(left, 302, status) and status.Get_count(MPI.INT) == 4
    comm.Recv(rbuf, left, 302, status)
    assert list(rbuf) == [left + 1] * 4 and status.tag == 302
    sreq2.Wait()
    comm.Sendrecv(array.array("i", [rank + 2] * 4), right, 303, rbuf, left, 303, status)
    assert list(rbuf) == [left + 2] * 4 and (status.source, status.tag) == (left, 303)
    buf = array.array("i", [rank + 3] * 4)
    comm.Sendrecv_replace(buf, right, 304, left, 304, status)
    assert list(buf) == [left + 3] * 4 and status.Get_count(MPI.INT) == 4
    sreq2 = comm.Isend(array.array("i", [rank + 4] * 4), right, 305)
    message = comm.Mprobe(left, 305, status)
    message.Recv(rbuf, status)
    assert list(rbuf) == [left + 4] * 4 and status.tag == 305
    sreq2.Wait()
    got = req.wait()
    assert got["rank"] == left and got["blob"] == bytes(200_000)
    sreq.wait()


def test_pending_object_irecv_is_true(comm):
    # Before its message arrives, an object receive has no MPI handle of its own: it is in
    # flight all the same, hence true (as MPI.Request's truth means).
    rank = comm.Get_rank()
    request = comm.irecv(source=rank, tag=71)
    assert request
    send = comm.isend({"x": [1, 2]}, rank, 71)
    assert request.wait() == {"x": [1, 2]}
    send.wait()
    assert not request and not send

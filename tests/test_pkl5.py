"""mpipy.util.pkl5: communicator wrappers that move objects with pickle protocol 5, their
Request and Message classes, collectives, intercommunicators, threads, many and unusual
out-of-band buffers, the configurable pickler and threshold, and errors at the sender.

Large buffers (at least ``pkl5.pickle.THRESHOLD`` bytes) travel out of band: the first
message (its status count) then holds only the pickle stream and a short trailer."""

import pickle as stdpickle
import threading

import pytest

from mpipy import MPI
from mpipy.util import pkl5

np = pytest.importorskip("numpy")

pytestmark = pytest.mark.timeout(120)

BIG = 1 << 18  # bytes of an array that goes out of band (pkl5.pickle.THRESHOLD: 256 KiB)


@pytest.fixture
def pcomm(comm):
    """The conftest communicator (COMM_SELF, COMM_WORLD, a Dup) wrapped by pkl5."""
    return pkl5.Intracomm(comm)


def ring(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    return (rank + 1) % size, (rank - 1) % size


def payload(source, tag=0, nbytes=BIG):
    """An object from `source`: small fields and two arrays stamped with source and tag,
    one above the threshold (out of band) and one below it (in band)."""
    big = np.full(nbytes // 8, source * 1000 + tag, dtype="i8")
    small = np.arange(10, dtype="f4") + source
    return {"source": source, "tag": tag, "big": big, "small": small, "text": "x" * source}


def check_payload(obj, source, tag=0, nbytes=BIG):
    assert obj["source"] == source and obj["tag"] == tag
    assert obj["text"] == "x" * source
    assert obj["big"].dtype == np.dtype("i8") and obj["big"].shape == (nbytes // 8,)
    assert (obj["big"] == source * 1000 + tag).all()
    np.testing.assert_array_equal(obj["small"], np.arange(10, dtype="f4") + source)


def wait_for_message(comm, source, tag):
    """Spin on improbe until a message from source/tag is matched; the pkl5.Message."""
    status = MPI.Status()
    while True:
        msg = comm.improbe(source, tag, status)
        if msg is not None:
            return msg, status


# -- classes and construction -------------------------------------------------------------


def test_wrappers_share_the_handle(comm):
    wrapped = pkl5.Intracomm(comm)
    assert wrapped == comm and isinstance(wrapped, MPI.Intracomm)
    assert wrapped.Get_size() == comm.Get_size() and wrapped.Get_rank() == comm.Get_rank()
    assert isinstance(pkl5.Comm(comm), MPI.Comm)
    assert not pkl5.Comm() and pkl5.Comm() == MPI.COMM_NULL
    assert not pkl5.Intracomm() and not pkl5.Intercomm()


def test_request_and_message_are_their_own_classes():
    assert not issubclass(pkl5.Request, MPI.Request)
    assert not issubclass(pkl5.Message, MPI.Message)
    assert not pkl5.Request() and not pkl5.Message()
    assert pkl5.Request() == pkl5.Request() and not (pkl5.Request() != pkl5.Request())
    assert pkl5.Message() == pkl5.Message()
    assert pkl5.Request().__eq__("123") is NotImplemented
    assert pkl5.Request().__ne__("123") is NotImplemented
    assert pkl5.Message().__eq__("123") is NotImplemented
    assert pkl5.Message().__ne__("123") is NotImplemented
    # Null requests complete at once, with nothing.
    assert pkl5.Request().wait() is None
    assert pkl5.Request().test() == (True, None)
    assert pkl5.Request.waitall([pkl5.Request(), pkl5.Request()]) == [None, None]


def test_request_and_message_compare_with_mpi_handles(pcomm):
    """Wrappers equal MPI's handles (REQUEST_NULL, MESSAGE_NO_PROC, ...) and each other, and
    a wrapper built from a wrapper wraps the same handle."""
    assert pkl5.Request() == MPI.REQUEST_NULL and not (pkl5.Request() != MPI.REQUEST_NULL)
    assert pkl5.Request(MPI.REQUEST_NULL) == pkl5.Request()
    null, noproc = pkl5.Message(MPI.MESSAGE_NULL), pkl5.Message(MPI.MESSAGE_NO_PROC)
    assert not null and null == MPI.MESSAGE_NULL and null == pkl5.Message()
    assert noproc and noproc == MPI.MESSAGE_NO_PROC and noproc != MPI.MESSAGE_NULL
    assert noproc == pkl5.Message(noproc) and noproc != null
    message = pcomm.mprobe(MPI.PROC_NULL)
    assert isinstance(message, pkl5.Message) and message == MPI.MESSAGE_NO_PROC
    assert message.recv() is None
    assert message == MPI.MESSAGE_NULL and MPI.MESSAGE_NO_PROC  # the constant stays
    message = pcomm.improbe(MPI.PROC_NULL)
    request = message.irecv()
    assert message == MPI.MESSAGE_NULL and request != MPI.REQUEST_NULL
    assert request.wait() is None and request == MPI.REQUEST_NULL
    rank = pcomm.Get_rank()
    request = pcomm.issend(("eq", rank), rank, 5)
    copy = pkl5.Request(request)
    assert request == copy and not (request != copy) and copy
    assert request != MPI.REQUEST_NULL
    message = pcomm.mprobe(rank, 5)
    assert message == pkl5.Message(message) and message != MPI.MESSAGE_NULL
    assert message.recv() == ("eq", rank)
    assert request.wait() is None and request == MPI.REQUEST_NULL
    assert request.test() == (True, None)


def test_cancel_issend_with_out_of_band_parts(pcomm):
    """An issend of an object with out-of-band parts is not cancelled (its parts are on
    their way): it is received whole, and what follows is not disturbed."""
    rank = pcomm.Get_rank()
    request = pcomm.issend(payload(rank, 6), rank, 6)
    assert request.test() == (False, None)
    request.cancel()
    status = MPI.Status()
    assert request.get_status(status) is False and not status.Is_cancelled()
    check_payload(pcomm.recv(None, rank, 6), rank, 6)
    assert request.wait() is None and not request
    follower = pcomm.isend("next", rank, 6)
    assert pcomm.recv(None, rank, 6) == "next"
    follower.wait()


# -- point to point -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["send", "ssend", "bsend"])
@pytest.mark.parametrize("big", [False, True], ids=["small", "oob"])
def test_blocking_send_modes(pcomm, mode, big):
    rank, size = pcomm.Get_rank(), pcomm.Get_size()
    if size == 1 and mode != "bsend":
        pytest.skip("a blocking send to oneself waits for a receive not yet posted")
    dest, source = ring(pcomm)
    obj = payload(rank, 7) if big else ("small", rank, [1, 2, 3])
    memory = bytearray(2 * BIG + 16 * MPI.BSEND_OVERHEAD + 1024)
    if mode == "bsend":
        MPI.Attach_buffer(memory)
    try:
        status = MPI.Status()
        send = getattr(pcomm, mode)
        if rank == 0:  # a chain: nobody waits on someone who waits
            send(obj, dest, 7)
            got = pcomm.recv(None, source, 7, status)
        else:
            got = pcomm.recv(None, source, 7, status)
            send(obj, dest, 7)
    finally:
        if mode == "bsend":
            MPI.Detach_buffer()
    assert status.Get_source() == source and status.Get_tag() == 7
    if big:
        check_payload(got, source, 7)
        assert status.Get_count() < BIG  # the array went out of band
    else:
        assert got == ("small", source, [1, 2, 3])


@pytest.mark.parametrize("mode", ["isend", "ibsend", "issend"])
def test_nonblocking_send_modes(pcomm, mode):
    rank = pcomm.Get_rank()
    dest, source = ring(pcomm)
    memory = bytearray(2 * BIG + 16 * MPI.BSEND_OVERHEAD + 1024)
    if mode == "ibsend":
        MPI.Attach_buffer(memory)
    try:
        request = getattr(pcomm, mode)(payload(rank, 3), dest, 3)
        assert isinstance(request, pkl5.Request) and request
        got = pcomm.recv(source=source, tag=3)
        status = MPI.Status()
        assert request.wait(status) is None
        assert not request
    finally:
        if mode == "ibsend":
            MPI.Detach_buffer()
    check_payload(got, source, 3)


def test_recv_any_source_any_tag_and_status(pcomm):
    rank = pcomm.Get_rank()
    dest, source = ring(pcomm)
    request = pcomm.isend([rank, "hello"], dest, tag=rank + 10)
    status = MPI.Status()
    got = pcomm.recv(status=status)
    request.wait()
    assert got == [source, "hello"]
    assert status.Get_source() == source and status.Get_tag() == source + 10
    assert status.Get_error() == MPI.SUCCESS


def test_recv_ignores_a_too_small_buffer(pcomm):
    """recv sizes the object itself: a buffer passed in never truncates it."""
    rank = pcomm.Get_rank()
    dest, source = ring(pcomm)
    request = pcomm.isend(payload(rank, 1), dest, 1)
    got = pcomm.recv(bytearray(8), source, 1)
    request.wait()
    check_payload(got, source, 1)


def test_irecv_is_refused_with_advice(pcomm):
    with pytest.raises(RuntimeError) as info:
        pcomm.irecv()
    assert "mprobe" in str(info.value) and "Message.irecv" in str(info.value)
    with pytest.raises(RuntimeError):
        pcomm.irecv(bytearray(10), 0, 0)


def test_sendrecv(pcomm):
    rank = pcomm.Get_rank()
    dest, source = ring(pcomm)
    status = MPI.Status()
    got = pcomm.sendrecv(payload(rank, 4), dest, 4, None, source, 4, status)
    check_payload(got, source, 4)
    assert status.Get_source() == source and status.Get_tag() == 4
    # Defaults: tag 0 sent, any source and tag received.
    assert pcomm.sendrecv(("plain", rank), dest) == ("plain", source)


def test_proc_null(pcomm):
    pcomm.send(payload(0), MPI.PROC_NULL)
    pcomm.ssend("x", MPI.PROC_NULL, 5)
    assert pcomm.isend(payload(0), MPI.PROC_NULL).wait() is None
    status = MPI.Status()
    assert pcomm.recv(None, MPI.PROC_NULL, 5, status) is None
    assert status.Get_source() == MPI.PROC_NULL and status.Get_tag() == MPI.ANY_TAG
    assert pcomm.sendrecv("x", MPI.PROC_NULL, 0, None, MPI.PROC_NULL, 0) is None
    msg = pcomm.mprobe(MPI.PROC_NULL, 0, status)
    assert isinstance(msg, pkl5.Message) and msg
    assert status.Get_source() == MPI.PROC_NULL
    assert msg.recv() is None
    msg = pcomm.improbe(MPI.PROC_NULL)
    assert msg.irecv().wait() is None


def test_send_to_an_invalid_rank_raises(pcomm):
    size = pcomm.Get_size()
    for dest in (size, -7):
        with pytest.raises(MPI.Exception) as info:
            pcomm.send(payload(0), dest)
        assert info.value.Get_error_class() == MPI.ERR_RANK
        with pytest.raises(MPI.Exception) as info:
            pcomm.isend("x", dest)
        assert info.value.Get_error_class() == MPI.ERR_RANK


# -- matched probes and Message -----------------------------------------------------------


def test_mprobe_then_message_recv(pcomm):
    rank = pcomm.Get_rank()
    dest, source = ring(pcomm)
    request = pcomm.isend(payload(rank, 21), dest, 21)
    status = MPI.Status()
    msg = pcomm.mprobe(source, 21, status)
    assert isinstance(msg, pkl5.Message) and not isinstance(msg, MPI.Message) and msg
    assert status.Get_source() == source and status.Get_tag() == 21
    rstatus = MPI.Status()
    check_payload(msg.recv(rstatus), source, 21)
    assert rstatus.Get_source() == source and rstatus.Get_tag() == 21
    assert not msg  # consumed
    request.wait()


def test_improbe_then_message_irecv(pcomm):
    rank = pcomm.Get_rank()
    dest, source = ring(pcomm)
    assert pcomm.improbe(source, 22) is None  # nothing sent yet (the test before waited)
    pcomm.Barrier()
    request = pcomm.isend(payload(rank, 22), dest, 22)
    msg, status = wait_for_message(pcomm, MPI.ANY_SOURCE, MPI.ANY_TAG)
    assert status.Get_source() == source and status.Get_tag() == 22
    rreq = msg.irecv()
    assert isinstance(rreq, pkl5.Request) and not isinstance(rreq, MPI.Request)
    while True:
        done, got = rreq.test()
        if done:
            break
        assert got is None
    check_payload(got, source, 22)
    request.wait()


def test_message_probe_and_iprobe_classmethods(pcomm):
    rank = pcomm.Get_rank()
    dest, source = ring(pcomm)
    # Over the wrapper and over a plain MPI communicator alike.
    for comm in (pcomm, MPI.Intracomm(pcomm)):
        pcomm.Barrier()  # no message of the round before comes in late
        request = pcomm.isend(payload(rank, 23), dest, 23)
        status = MPI.Status()
        msg = pkl5.Message.probe(comm, source, 23, status)
        assert type(msg) is pkl5.Message and msg
        assert status.Get_source() == source and status.Get_tag() == 23
        # Its request works with the class methods, like any other.
        done, objs = False, None
        rreq = msg.irecv()
        while not done:
            done, objs = pkl5.Request.testall([rreq, request])
        check_payload(objs[0], source, 23)
        assert objs[1] is None
        pcomm.Barrier()
        assert pkl5.Message.iprobe(comm, source, 23) is None
        request = pcomm.isend(("again", rank), dest, 24)
        while (msg := pkl5.Message.iprobe(comm, tag=24, status=status)) is None:
            pass
        assert type(msg) is pkl5.Message and status.Get_source() == source
        assert pkl5.Request.waitall([msg.irecv(), request]) == [("again", source), None]


def test_spec_ring_examples_small(comm):
    """The spec's two ring exchanges (isend/recv; mprobe/Message.irecv), at 8 MiB."""
    pc = pkl5.Intracomm(comm)
    size, rank = pc.Get_size(), pc.Get_rank()
    dst, src = (rank + 1) % size, (rank - 1) % size
    sobj = np.full(1 << 21, rank, dtype="i4")
    sreq = pc.isend(sobj, dst, tag=42)
    robj = pc.recv(None, src, tag=42)
    sreq.Free()
    assert np.min(robj) == src and np.max(robj) == src
    pc.Barrier()
    sreq = pc.isend(sobj, dst, tag=42)
    status = MPI.Status()
    rmsg = pc.mprobe(status=status)
    assert status.Get_source() == src and status.Get_tag() == 42
    robj = rmsg.irecv().wait()
    sreq.wait()
    assert np.max(robj) == src and np.min(robj) == src


# -- Request ------------------------------------------------------------------------------


def test_request_get_status_test_wait(pcomm):
    rank = pcomm.Get_rank()
    dest, source = ring(pcomm)
    sreq = pcomm.issend(payload(rank, 30), dest, 30)
    msg, _ = wait_for_message(pcomm, source, 30)
    rreq = msg.irecv()
    status = MPI.Status()
    while not rreq.get_status(status):
        pass
    assert status.Get_source() == source and status.Get_tag() == 30
    assert rreq  # get_status does not complete the request
    status = MPI.Status()
    check_payload(rreq.wait(status), source, 30)
    assert status.Get_source() == source and status.Get_tag() == 30
    assert not rreq
    while not sreq.get_status():
        pass
    assert sreq.test() == (True, None)
    assert not sreq
    assert sreq.get_status() is True  # a null request is complete


def test_request_free_of_a_pending_send(pcomm):
    """Freeing a pending send lets it finish: the receiver gets the whole object."""
    rank = pcomm.Get_rank()
    dest, source = ring(pcomm)
    request = pcomm.isend(payload(rank, 31, 4 * BIG), dest, 31)
    request.Free()
    assert not request
    check_payload(pcomm.recv(None, source, 31), source, 31, 4 * BIG)
    with pytest.raises(MPI.Exception):
        request.Free()  # freeing a null request is an error, as in MPI
    request.free()  # the lowercase one frees only what is not null


def test_request_cancel(pcomm):
    """Cancelling a receive that nothing matches completes it as cancelled, with None."""
    request = pkl5.Request(MPI.Comm.irecv(pcomm, None, MPI.ANY_SOURCE, 33))
    request.cancel()
    status = MPI.Status()
    assert request.wait(status) is None
    assert status.Is_cancelled()
    # Cancelling a completed request changes nothing.
    rank = pcomm.Get_rank()
    dest, source = ring(pcomm)
    sreq = pcomm.isend(("c", rank), dest, 34)
    msg = pcomm.mprobe(source, 34)
    rreq = msg.irecv()
    while not rreq.get_status():
        pass
    rreq.cancel()
    status = MPI.Status()
    assert rreq.wait(status) == ("c", source)
    assert not status.Is_cancelled()
    sreq.wait()


def test_request_testall_waitall(pcomm):
    rank = pcomm.Get_rank()
    dest, source = ring(pcomm)
    tags = [40, 41, 42]
    sends = [pcomm.isend(payload(rank, t), dest, t) for t in tags]
    recvs = [pcomm.mprobe(source, t).irecv() for t in tags]
    statuses = [MPI.Status() for _ in recvs]
    while True:
        done, objs = pkl5.Request.testall(recvs, statuses)
        if done:
            break
        assert objs is None
    for obj, status, tag in zip(objs, statuses, tags):
        check_payload(obj, source, tag)
        assert status.Get_source() == source and status.Get_tag() == tag
    assert pkl5.Request.waitall(sends) == [None] * len(tags)
    assert not any(sends) and not any(recvs)
    # waitall over sends and receives at once, statuses filled in order.
    pcomm.Barrier()
    sends = [pcomm.isend(("w", rank, t), dest, t) for t in tags]
    recvs = [pcomm.mprobe(source, t).irecv() for t in tags]
    statuses = [MPI.Status() for _ in range(6)]
    objs = pkl5.Request.waitall(recvs + sends, statuses)
    assert objs == [("w", source, t) for t in tags] + [None] * 3
    assert [s.Get_tag() for s in statuses[:3]] == tags
    assert [s.Get_source() for s in statuses[:3]] == [source] * 3


# -- many senders at once -----------------------------------------------------------------


@pytest.mark.parametrize("how", ["recv", "mprobe"])
def test_any_source_many_senders(comm, how):
    """Every other process sends several objects at once to rank 0, which takes them with
    ANY_SOURCE/ANY_TAG: each object must be one sender's, whole, in that sender's order."""
    pc = pkl5.Intracomm(comm)
    rank, size = pc.Get_rank(), pc.Get_size()
    if size < 2:
        pytest.skip("needs several processes in the communicator")
    count = 6
    if rank != 0:
        requests = []
        for i in range(count):
            nbytes = BIG * (1 + (i + rank) % 3)
            obj = payload(rank, i, nbytes)
            obj["seq"] = i
            requests.append(pc.isend(obj, 0, tag=100 + i % 2))
        pkl5.Request.waitall(requests)
        return
    seen = {r: [] for r in range(1, size)}
    for _ in range(count * (size - 1)):
        status = MPI.Status()
        if how == "recv":
            obj = pc.recv(None, MPI.ANY_SOURCE, MPI.ANY_TAG, status)
        else:
            obj = pc.mprobe(MPI.ANY_SOURCE, MPI.ANY_TAG, status).irecv().wait()
        source, i = status.Get_source(), obj["seq"]
        assert obj["source"] == source and status.Get_tag() == 100 + i % 2
        check_payload(obj, source, i, BIG * (1 + (i + source) % 3))
        seen[source].append(i)
    for order in seen.values():
        # Messages with the same source and tag never overtake each other.
        assert sorted(order) == list(range(count))
        for parity in (0, 1):
            same_tag = [i for i in order if i % 2 == parity]
            assert same_tag == sorted(same_tag)


@pytest.mark.skipif(
    MPI.Query_thread() != MPI.THREAD_MULTIPLE, reason="MPI does not provide THREAD_MULTIPLE"
)
def test_threads_share_a_communicator(comm):
    """Threads of every process send objects with out-of-band parts to the next process on
    one communicator and one tag while threads there receive them with ANY_SOURCE: no
    object may mix parts of two."""
    pc = pkl5.Intracomm(comm)
    rank = pc.Get_rank()
    dest, source = ring(pc)
    nthreads, rounds = 3, 4
    errors, results = [], []
    lock = threading.Lock()

    def sender(t):
        for r in range(rounds):
            obj = payload(rank, 10 * t + r, BIG * (1 + t))
            obj["thread"] = t
            pc.send(obj, dest, 77)

    def receiver(t):
        for _ in range(rounds):
            status = MPI.Status()
            if t % 2:
                obj = pc.recv(None, MPI.ANY_SOURCE, 77, status)
            else:
                obj = pc.mprobe(MPI.ANY_SOURCE, 77, status).recv()
            with lock:
                results.append((status.Get_source(), obj))

    def guard(fn, t):
        try:
            fn(t)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=guard, args=(sender, t)) for t in range(nthreads)]
    threads += [threading.Thread(target=guard, args=(receiver, t)) for t in range(nthreads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(100)
        assert not thread.is_alive()
    if errors:
        raise errors[0]
    assert len(results) == nthreads * rounds
    got = set()
    for src, obj in results:
        assert src == source
        t = obj["thread"]
        check_payload(obj, source, obj["tag"], BIG * (1 + t))
        got.add(obj["tag"])
    assert got == {10 * t + r for t in range(nthreads) for r in range(rounds)}


# -- what objects hold --------------------------------------------------------------------

DTYPES = ["i1", "u2", "i4", "u8", "f4", "f8", "c8", "c16", "?", "<i8", ">i4", ">f8"]


def many_arrays(seed):
    """50 arrays of varied dtypes and sizes: half of them small, the others 64-512 KiB,
    most above pkl5's threshold (256 KiB) and some below it."""
    rng = np.random.default_rng(seed)
    out = {}
    for i in range(50):
        dtype = np.dtype(DTYPES[i % len(DTYPES)])
        nbytes = int(rng.integers(1, 4096)) if i % 2 else int(rng.integers(BIG // 4, 2 * BIG))
        n = max(1, nbytes // dtype.itemsize)
        out[f"a{i}"] = (rng.integers(0, 100, n) + seed).astype(dtype)
    out["nested"] = [out["a1"], {"deep": out["a2"]}]  # the same arrays, referenced again
    return out


def test_many_out_of_band_buffers(pcomm):
    rank = pcomm.Get_rank()
    dest, source = ring(pcomm)
    mine = many_arrays(rank)
    request = pcomm.isend(mine, dest, 50)
    status = MPI.Status()
    got = pcomm.recv(None, source, 50, status)
    request.wait()
    expected = many_arrays(source)
    assert set(got) == set(expected)
    for key, value in expected.items():
        if key == "nested":
            continue
        assert got[key].dtype == value.dtype and got[key].shape == value.shape
        np.testing.assert_array_equal(got[key], value)
        assert got[key].flags.writeable
    assert got["nested"][0] is got["a1"] and got["nested"][1]["deep"] is got["a2"]
    arrays = [v.nbytes for k, v in expected.items() if k != "nested"]
    threshold = pkl5.pickle.THRESHOLD
    in_band = sum(n for n in arrays if n < threshold)
    out_of_band = sum(n for n in arrays if n >= threshold)
    assert out_of_band > 0
    assert in_band <= status.Get_count() < in_band + out_of_band // 10


def test_noncontiguous_and_readonly_arrays(pcomm):
    rank = pcomm.Get_rank()
    dest, source = ring(pcomm)

    def make(r):
        base = np.arange(3 * BIG // 8, dtype="f8").reshape(-1, 3) + r
        fortran = np.asfortranarray(np.arange(BIG // 2, dtype="i4").reshape(256, -1) * (r + 1))
        readonly = np.full(BIG, r, dtype="u1")
        readonly.setflags(write=False)
        small_ro = np.arange(5, dtype="i2") + r
        small_ro.setflags(write=False)
        return {
            "strided": base[::2, 1],  # every other row, one column
            "transposed": base.T,  # F-contiguous view
            "fortran": fortran,
            "reversed": base[::-1, 0],
            "readonly": readonly,
            "small_ro": small_ro,
            "scalar": np.float64(r + 0.5),
            "zerod": np.array(r),
            "empty": np.empty((0, 3)),
        }

    request = pcomm.isend(make(rank), dest, 51)
    got = pcomm.recv(None, source, 51)
    request.wait()
    expected = make(source)
    for key, value in expected.items():
        np.testing.assert_array_equal(got[key], value)
        assert got[key].dtype == value.dtype and got[key].shape == value.shape
    assert got["fortran"].flags.f_contiguous and not got["fortran"].flags.c_contiguous
    assert got["transposed"].flags.f_contiguous
    assert got["readonly"].flags.writeable is False
    assert got["small_ro"].flags.writeable is False
    assert got["strided"].flags.writeable and got["fortran"].flags.writeable


def test_buffers_of_other_kinds(pcomm):
    rank = pcomm.Get_rank()
    dest, source = ring(pcomm)
    obj = {
        "bytearray": bytearray([rank % 256]) * BIG,
        "bytes": bytes([rank % 256]) * BIG,
        "pickle_buffer": stdpickle.PickleBuffer(bytearray(b"pb") * BIG),
    }
    request = pcomm.isend(obj, dest, 52)
    got = pcomm.recv(None, source, 52)
    request.wait()
    assert got["bytearray"] == bytearray([source % 256]) * BIG
    assert type(got["bytearray"]) is bytearray
    assert got["bytes"] == bytes([source % 256]) * BIG and type(got["bytes"]) is bytes
    assert bytes(got["pickle_buffer"]) == b"pb" * BIG


# -- configuration ------------------------------------------------------------------------


@pytest.fixture
def restore_pickle():
    """Puts pkl5.pickle (the object and its settings) and MPI.pickle back as they were
    (every rank changes them alike)."""
    ours = pkl5.pickle
    saved = [(p, p.PROTOCOL, p.THRESHOLD) for p in (ours, MPI.pickle)]
    yield ours
    pkl5.pickle = ours
    for p, protocol, threshold in saved:
        p.__init__(protocol=protocol, threshold=threshold)


class Marking:
    """A custom dumps/loads pair that marks its streams and counts its calls: a stream that
    the other side's pickler made (or read) would come out wrong or fail to load."""

    def __init__(self, mark, fail_on=()):
        self.mark, self.fail_on = mark, fail_on
        self.dumps_calls = self.loads_calls = 0

    def dumps(self, obj, protocol=None):
        self.dumps_calls += 1
        if isinstance(obj, str) and obj in self.fail_on:
            raise ValueError(f"dumps refuses {obj!r}")
        return stdpickle.dumps((self.mark, obj), protocol)

    def loads(self, data):
        self.loads_calls += 1
        mark, obj = stdpickle.loads(data)
        assert mark == self.mark
        if isinstance(obj, tuple) and obj == ("fail on load",):
            raise ValueError("loads refuses this stream")
        return obj

    @property
    def calls(self):
        return self.dumps_calls, self.loads_calls


def exchange(pcomm, size_obj=None, tag=65):
    """isend to the right, recv from the left: (object received, status count)."""
    rank = pcomm.Get_rank()
    dest, source = ring(pcomm)
    obj = ("exchange", rank) if size_obj is None else np.full(size_obj, rank, dtype="u1")
    request = pcomm.isend(obj, dest, tag)
    status = MPI.Status()
    got = pcomm.recv(None, source, tag, status)
    request.wait()
    if size_obj is None:
        assert got == ("exchange", source)
    else:
        assert got.nbytes == size_obj and (got == source).all()
    return got, status.Get_count()


def test_pkl5_pickle_is_its_own(restore_pickle):
    assert pkl5.Pickle is MPI.Pickle
    assert isinstance(pkl5.pickle, MPI.Pickle) and pkl5.pickle is not MPI.pickle
    assert pkl5.pickle.THRESHOLD == 1 << 18  # mpi4py's default for pkl5.pickle
    assert pkl5.pickle.PROTOCOL == 5
    mpi = MPI.pickle.PROTOCOL, MPI.pickle.THRESHOLD
    pkl5.pickle.PROTOCOL, pkl5.pickle.THRESHOLD = 4, 7
    assert (MPI.pickle.PROTOCOL, MPI.pickle.THRESHOLD) == mpi
    MPI.pickle.PROTOCOL, MPI.pickle.THRESHOLD = 3, 9
    assert (pkl5.pickle.PROTOCOL, pkl5.pickle.THRESHOLD) == (4, 7)
    pkl5.pickle.__init__(stdpickle.dumps, stdpickle.loads, 2, 11)  # mpi4py's signature
    assert (pkl5.pickle.PROTOCOL, pkl5.pickle.THRESHOLD) == (2, 11)
    assert (MPI.pickle.PROTOCOL, MPI.pickle.THRESHOLD) == (3, 9)
    assert pkl5.Pickle(threshold=123).THRESHOLD == 123
    with pytest.raises(TypeError):
        pkl5.Pickle(threshold=1.5)


def test_threshold_is_configurable(pcomm, restore_pickle):
    for threshold, out_of_band in ((4 * BIG, False), (BIG, True), (1024, True)):
        pkl5.pickle.THRESHOLD = threshold
        assert pkl5.pickle.THRESHOLD == threshold
        _, count = exchange(pcomm, BIG, 60)
        assert (count < BIG) == out_of_band
        pcomm.Barrier()


def test_each_threshold_decides_for_its_own_calls(pcomm, restore_pickle):
    """pkl5.pickle's threshold decides for pkl5's calls, MPI.pickle's for MPI.Comm's, on the
    same communicator and the same array."""
    plain = MPI.Intracomm(pcomm)
    for ours, theirs in ((4 * BIG, 1024), (1024, 4 * BIG)):
        pkl5.pickle.THRESHOLD, MPI.pickle.THRESHOLD = ours, theirs
        _, count = exchange(pcomm, BIG, 63)
        assert (count < BIG) == (ours <= BIG)
        _, count = exchange(plain, BIG, 64)
        assert (count < BIG) == (theirs <= BIG)
        pcomm.Barrier()


def test_pickler_is_configurable(pcomm, restore_pickle):
    calls = []

    def dumps(obj, protocol=None):
        calls.append("dumps")
        return stdpickle.dumps(("wrapped", obj), protocol)

    def loads(data):
        calls.append("loads")
        tag, obj = stdpickle.loads(data)
        assert tag == "wrapped"
        return obj

    restore_pickle.__init__(dumps, loads, 4)
    assert restore_pickle.PROTOCOL == 4
    rank = pcomm.Get_rank()
    dest, source = ring(pcomm)
    request = pcomm.isend(payload(rank, 61), dest, 61)
    status = MPI.Status()
    got = pcomm.recv(None, source, 61, status)
    request.wait()
    check_payload(got, source, 61)
    assert status.Get_count() > BIG  # a custom pickler sends everything in band
    assert calls.count("dumps") == 1 and calls.count("loads") == 1


def test_dumps_oob_at_any_protocol(restore_pickle):
    """dumps_oob pickles with protocol 5 at least, whatever PROTOCOL says, so buffers at least
    THRESHOLD large come out of band as MPI.buffer objects."""
    pickle = restore_pickle
    pickle.THRESHOLD = 64
    for protocol in (None, -1, 0, 2, 4, 5):
        pickle.PROTOCOL = protocol
        for n, parts in ((4, 0), (16, 1)):
            array = np.arange(n, dtype="i4")
            data, bufs = pickle.dumps_oob(array)
            assert type(data) is bytes and type(bufs) is list and len(bufs) == parts
            assert all(type(b) is MPI.buffer for b in bufs)
            assert (pickle.loads_oob(data, bufs) == array).all()
    assert pickle.dumps_oob(None)[1] == [] and pickle.loads(pickle.dumps(None)) is None


def test_protocol_4_sends_in_band(pcomm, restore_pickle):
    restore_pickle.PROTOCOL = 4
    rank = pcomm.Get_rank()
    dest, source = ring(pcomm)
    request = pcomm.isend(payload(rank, 62), dest, 62)
    status = MPI.Status()
    got = pcomm.recv(None, source, 62, status)
    request.wait()
    check_payload(got, source, 62)
    assert status.Get_count() > BIG


def run_object_call(comm, request_class, how, tag):
    """One object call `how` over comm (a pkl5 wrapper with pkl5.Request, or a plain MPI
    communicator with MPI.Request): (what this rank received, what it should have)."""
    rank, size = comm.Get_rank(), comm.Get_size()
    dest, source = ring(comm)
    mine, theirs = ("obj", rank, how), ("obj", source, how)
    if how in ("send", "ssend", "bsend"):
        memory = bytearray(1024 + 2 * MPI.BSEND_OVERHEAD)
        if how == "bsend":
            MPI.Attach_buffer(memory)
        try:
            send = getattr(comm, how)
            if rank == 0:  # a chain: nobody waits on someone who waits
                send(mine, dest, tag)
                got = comm.recv(None, source, tag)
            else:
                got = comm.recv(None, source, tag)
                send(mine, dest, tag)
        finally:
            if how == "bsend":
                MPI.Detach_buffer()
        return got, theirs
    if how in ("isend", "ibsend", "issend"):
        memory = bytearray(1024 + 2 * MPI.BSEND_OVERHEAD)
        if how == "ibsend":
            MPI.Attach_buffer(memory)
        try:
            request = getattr(comm, how)(mine, dest, tag)
            got = comm.recv(None, source, tag)
            assert request.wait() is None
        finally:
            if how == "ibsend":
                MPI.Detach_buffer()
        return got, theirs
    if how == "sendrecv":
        return comm.sendrecv(mine, dest, tag, None, source, tag), theirs
    if how.startswith(("Message", "Request")):
        request = comm.isend(mine, dest, tag)
        message = comm.mprobe(source, tag)
        if how == "Message.recv":
            got = message.recv()
        elif how == "Request.wait":
            got = message.irecv().wait()
        elif how == "Request.test":
            receive = message.irecv()
            done = False
            while not done:
                done, got = receive.test()
        elif how == "Request.waitall":
            got = request_class.waitall([message.irecv()])[0]
        else:
            done = False
            receive = message.irecv()
            while not done:
                done, objs = request_class.testall([receive])
            got = objs[0]
        request.wait()
        return got, theirs
    if how == "bcast":
        return comm.bcast(("obj", 0, how) if rank == 0 else None, 0), ("obj", 0, how)
    if how == "gather":
        got = comm.gather(mine, 0)
        return got, [("obj", r, how) for r in range(size)] if rank == 0 else None
    if how == "scatter":
        objs = [("obj", r, how) for r in range(size)] if rank == 0 else None
        return comm.scatter(objs, 0), ("obj", rank, how)
    if how == "allgather":
        return comm.allgather(mine), [("obj", r, how) for r in range(size)]
    assert how == "alltoall"
    got = comm.alltoall([("obj", rank, how, q) for q in range(size)])
    return got, [("obj", r, how, rank) for r in range(size)]


POINT_TO_POINT = ["send", "ssend", "bsend", "isend", "ibsend", "issend", "sendrecv"]
RECEIVES = ["Message.recv", "Request.wait", "Request.test", "Request.waitall", "Request.testall"]
COLLECTIVES = ["bcast", "gather", "scatter", "allgather", "alltoall"]


@pytest.mark.parametrize("how", POINT_TO_POINT + RECEIVES + COLLECTIVES)
def test_every_call_uses_pkl5_pickle(pcomm, restore_pickle, how):
    """A custom pickler set on pkl5.pickle pickles and unpickles the objects of each pkl5
    call; MPI.Comm's same call on the same communicator never calls it."""
    if pcomm.Get_size() == 1 and how in ("send", "ssend"):
        pytest.skip("a blocking send to oneself waits for a receive not yet posted")
    ours = Marking("pkl5")
    pkl5.pickle.__init__(ours.dumps, ours.loads)
    got, expected = run_object_call(pcomm, pkl5.Request, how, 66)
    assert got == expected
    if how in COLLECTIVES:
        assert sum(ours.calls) >= 1
    else:  # one object sent and one received by each process
        assert ours.calls == (1, 1)
    pcomm.Barrier()
    before = ours.calls
    got, expected = run_object_call(MPI.Intracomm(pcomm), MPI.Request, how, 67)
    assert got == expected
    assert ours.calls == before


def test_mpi_pickle_does_not_change_pkl5(pcomm, restore_pickle):
    """A custom pickler on MPI.pickle serves MPI.Comm only: pkl5 keeps the standard pickle
    and its out-of-band buffers."""
    theirs = Marking("MPI")
    MPI.pickle.__init__(theirs.dumps, theirs.loads)
    _, count = exchange(pcomm, BIG, 68)
    assert count < BIG
    got, expected = run_object_call(pcomm, pkl5.Request, "bcast", 69)
    assert got == expected
    assert theirs.calls == (0, 0)
    _, count = exchange(MPI.Intracomm(pcomm), BIG, 70)
    assert count > BIG and theirs.calls == (1, 1)


def test_reassigned_pkl5_pickle(pcomm, restore_pickle):
    """pkl5 reads its module global at each call: a new Pickle assigned to it is used."""
    first = Marking("first")
    pkl5.pickle = pkl5.Pickle(first.dumps, first.loads)
    exchange(pcomm)
    assert first.calls == (1, 1)
    second = Marking("second")
    pkl5.pickle = pkl5.Pickle(second.dumps, second.loads)
    exchange(pcomm)
    assert first.calls == (1, 1) and second.calls == (1, 1)
    pkl5.pickle = pkl5.Pickle(threshold=4 * BIG)  # the standard pickle, all in band
    _, count = exchange(pcomm, BIG)
    assert count > BIG
    pkl5.pickle = restore_pickle
    _, count = exchange(pcomm, BIG)
    assert count < BIG
    pkl5.pickle = stdpickle  # not a Pickle: refused before anything is sent
    with pytest.raises(TypeError, match="MPI.Pickle"):
        pcomm.isend("x", MPI.PROC_NULL)
    with pytest.raises(TypeError, match="MPI.Pickle"):
        pcomm.bcast("x", 0)


def test_errors_restore_the_pickle_in_use(pcomm, restore_pickle):
    """When pkl5.pickle's dumps or loads raises, the error comes out of the pkl5 call and
    MPI.Comm's next calls use MPI.pickle again."""
    ours = Marking("pkl5", fail_on=("refused",))
    pkl5.pickle.__init__(ours.dumps, ours.loads)
    plain = MPI.Intracomm(pcomm)
    dest, source = ring(pcomm)
    root = pcomm.Get_rank() == 0
    calls = [
        lambda: pcomm.isend("refused", dest, 71),
        lambda: pcomm.sendrecv("refused", dest, 71, None, source, 71),
        # the root's exception reaches the others (by the standard pickle: the custom one
        # would refuse it too)
        lambda: pcomm.bcast("refused" if root else None, 0),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="dumps refuses"):
            call()
        before = ours.calls
        assert MPI.Comm.sendrecv(MPI.COMM_SELF, ("self",), 0, 72, None, 0, 72) == ("self",)
        assert ours.calls == before
    exchange(plain, tag=72)
    exchange(plain, BIG, 73)
    assert ours.calls == before
    # loads raising at a receive, then at the completion of a nonblocking one
    for receive in (
        lambda: pcomm.recv(None, source, 74),
        lambda: pcomm.mprobe(source, 74).irecv().wait(),
    ):
        request = pcomm.isend(("fail on load",), dest, 74)
        with pytest.raises(ValueError, match="loads refuses"):
            receive()
        request.wait()
        before = ours.calls
        exchange(plain, tag=75)
        assert ours.calls == before
    assert pcomm.improbe(MPI.ANY_SOURCE, MPI.ANY_TAG) is None


def test_pickle_call_nests_and_restores():
    """MPI._pickle_call, which the wrappers use, on COMM_SELF: nested calls and errors give
    back the Pickle that was in use."""
    outer, inner = Marking("outer"), Marking("inner")
    p_outer, p_inner = MPI.Pickle(outer.dumps, outer.loads), MPI.Pickle(inner.dumps, inner.loads)
    self_comm = MPI.COMM_SELF

    def roundtrip(obj):
        return MPI.Comm.sendrecv(self_comm, obj, 0, 5, None, 0, 5)

    def nested():
        assert MPI._pickle_call(p_inner, roundtrip, "in") == "in"
        return roundtrip("after inner")

    def failing():
        roundtrip("before failing")
        raise KeyError("from the function")

    assert MPI._pickle_call(p_outer, nested) == "after inner"
    assert outer.calls == (1, 1) and inner.calls == (1, 1)
    with pytest.raises(KeyError, match="from the function"):
        MPI._pickle_call(p_outer, failing)
    assert outer.calls == (2, 2)
    assert roundtrip(("plain",)) == ("plain",)  # MPI.pickle again
    assert outer.calls == (2, 2) and inner.calls == (1, 1)
    with pytest.raises(TypeError):
        MPI._pickle_call(p_outer)
    with pytest.raises(TypeError, match="MPI.Pickle"):
        MPI._pickle_call(object(), roundtrip, 1)


@pytest.mark.skipif(MPI.Query_thread() < MPI.THREAD_SERIALIZED, reason="MPI calls from two threads")
def test_pickle_in_use_is_per_thread(restore_pickle):
    """While a pkl5 call pickles with pkl5.pickle, another thread's MPI.Comm call uses
    MPI.pickle (the other thread runs and ends within the custom dumps)."""
    ours = Marking("pkl5")
    seen = []

    def dumps(obj, protocol=None):
        def other():
            seen.append(MPI.Comm.sendrecv(MPI.COMM_SELF, ("other",), 0, 6, None, 0, 6))

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(60)
        return ours.dumps(obj, protocol)

    pkl5.pickle.__init__(dumps, ours.loads)
    pself = pkl5.Intracomm(MPI.COMM_SELF)
    assert pself.sendrecv(("mine",), 0, 7, None, 0, 7) == ("mine",)
    assert seen == [("other",)]  # not marked: MPI.pickle's streams
    assert ours.calls == (1, 1)


# -- collectives --------------------------------------------------------------------------


def test_bcast(pcomm):
    rank, size = pcomm.Get_rank(), pcomm.Get_size()
    for root in range(size):
        obj = payload(root, root) if rank == root else None
        check_payload(pcomm.bcast(obj, root), root, root)
    assert pcomm.bcast("default root" if rank == 0 else None) == "default root"


def test_gather_scatter(pcomm):
    rank, size = pcomm.Get_rank(), pcomm.Get_size()
    for root in range(size):
        got = pcomm.gather(payload(rank, root), root)
        if rank == root:
            assert len(got) == size
            for r, obj in enumerate(got):
                check_payload(obj, r, root)
        else:
            assert got is None
        objs = [payload(r, root) for r in range(size)] if rank == root else None
        check_payload(pcomm.scatter(objs, root), rank, root)
    assert pcomm.scatter([("s", r) for r in range(size)] if rank == 0 else None) == ("s", rank)


def test_allgather_alltoall(pcomm):
    rank, size = pcomm.Get_rank(), pcomm.Get_size()
    got = pcomm.allgather(payload(rank, 5))
    assert len(got) == size
    for r, obj in enumerate(got):
        check_payload(obj, r, 5)
    got = pcomm.alltoall([payload(rank, q) for q in range(size)])
    assert len(got) == size
    for r, obj in enumerate(got):
        check_payload(obj, r, rank)


def test_collective_argument_errors(pcomm):
    """A wrong number of objects raises before any communication: alltoall everywhere,
    scatter at the root (alone here: the others would wait for it)."""
    rank, size = pcomm.Get_rank(), pcomm.Get_size()
    with pytest.raises(ValueError):
        pcomm.alltoall([None] * (size + 1))
    if size == 1:
        with pytest.raises(ValueError):
            pcomm.scatter([1, 2], 0)
    assert pcomm.alltoall(list(range(size))) == [rank] * size


# -- intercommunicators -------------------------------------------------------------------


@pytest.fixture
def inter():
    """pkl5 over an intercommunicator between even and odd world ranks (freed after)."""
    world = MPI.COMM_WORLD
    if world.Get_size() < 2:
        pytest.skip("an intercommunicator needs two processes")
    color = world.Get_rank() % 2
    local = world.Split(color, world.Get_rank())
    intercomm = local.Create_intercomm(0, world, 1 - color, 4321)
    yield pkl5.Intercomm(intercomm)
    intercomm.Free()
    local.Free()


def test_intercomm_point_to_point(inter):
    assert isinstance(inter, MPI.Intercomm) and inter.Is_inter()
    me, rank, rsize = MPI.COMM_WORLD.Get_rank(), inter.Get_rank(), inter.Get_remote_size()
    sends = [inter.isend(payload(me, q), q, 70) for q in range(rsize)]
    color = me % 2
    for _ in range(rsize):
        status = MPI.Status()
        obj = inter.recv(None, MPI.ANY_SOURCE, 70, status)
        q = status.Get_source()
        check_payload(obj, 2 * q + 1 - color, rank)
    pkl5.Request.waitall(sends)
    inter.Barrier()
    # Matched probes and Message.irecv across the groups.
    sends = [inter.issend(("m", me, q), q, 71) for q in range(rsize)]
    for q in range(rsize):
        status = MPI.Status()
        msg = inter.mprobe(q, 71, status)
        assert status.Get_source() == q
        assert msg.irecv().wait() == ("m", 2 * q + 1 - color, rank)
    pkl5.Request.waitall(sends)
    if rank < rsize:  # pairs: rank q of one group with rank q of the other
        status = MPI.Status()
        got = inter.sendrecv(payload(me, 72), rank, 72, None, MPI.ANY_SOURCE, 72, status)
        check_payload(got, 2 * rank + 1 - color, 72)
        assert status.Get_source() == rank and status.Get_tag() == 72


def test_intercomm_collectives(inter):
    me = MPI.COMM_WORLD.Get_rank()
    color, rank = me % 2, inter.Get_rank()
    size, rsize = inter.Get_size(), inter.Get_remote_size()
    # Broadcast from rank 0 of the even group to the odd group.
    if color == 0:
        root = MPI.ROOT if rank == 0 else MPI.PROC_NULL
        assert inter.bcast(payload(me, 80) if rank == 0 else None, root) is None
    else:
        check_payload(inter.bcast(None, 0), 0, 80)
    # Gather to rank 0 of the odd group from every even process.
    if color == 1:
        root = MPI.ROOT if rank == 0 else MPI.PROC_NULL
        got = inter.gather(None, root)
        if rank == 0:
            assert len(got) == rsize
            for q, obj in enumerate(got):
                check_payload(obj, 2 * q, 81)
        else:
            assert got is None
    else:
        assert inter.gather(payload(me, 81), 0) is None
    # Scatter from rank 0 of the even group.
    if color == 0:
        root = MPI.ROOT if rank == 0 else MPI.PROC_NULL
        objs = [payload(0, 2 * q + 1) for q in range(rsize)] if rank == 0 else None
        assert inter.scatter(objs, root) is None
    else:
        check_payload(inter.scatter(None, 0), 0, me)
    # allgather and alltoall bring the other group's objects.
    got = inter.allgather(("all", me))
    assert got == [("all", 2 * q + 1 - color) for q in range(rsize)]
    got = inter.alltoall([("a2a", me, q) for q in range(rsize)])
    assert got == [("a2a", 2 * q + 1 - color, rank) for q in range(rsize)]
    assert size == inter.Get_size()


# -- errors -------------------------------------------------------------------------------


class Unpicklable:
    def __reduce__(self):
        raise TypeError("this object refuses to be pickled")


@pytest.mark.parametrize(
    "mode", ["send", "ssend", "bsend", "isend", "ibsend", "issend", "sendrecv"]
)
def test_unpicklable_object_raises_at_sender_and_sends_nothing(pcomm, mode):
    """Pickling fails (after a large array was already offered out of band): the sender
    raises, no message or part leaves, and the next object on the same tag arrives whole."""
    rank = pcomm.Get_rank()
    dest, source = ring(pcomm)
    bad = [np.full(BIG, 1, dtype="u1"), Unpicklable()]
    with pytest.raises(TypeError, match="refuses"):
        if mode == "sendrecv":
            pcomm.sendrecv(bad, dest, 90, None, source, 90)
        else:
            getattr(pcomm, mode)(bad, dest, 90)
    with pytest.raises((TypeError, AttributeError, stdpickle.PicklingError)):
        getattr(pcomm, "send" if mode == "sendrecv" else mode)(lambda: None, dest, 90)
    pcomm.Barrier()
    assert pcomm.improbe(MPI.ANY_SOURCE, MPI.ANY_TAG) is None
    pcomm.Barrier()
    request = pcomm.isend(payload(rank, 90), dest, 90)
    check_payload(pcomm.recv(None, source, 90), source, 90)
    request.wait()
    pcomm.Barrier()
    assert pcomm.improbe(MPI.ANY_SOURCE, MPI.ANY_TAG) is None


def test_unpicklable_in_collectives_raises(pcomm):
    """An object that does not pickle raises at the root, and its exception reaches the
    others instead of leaving them waiting; the next bcast works."""
    rank = pcomm.Get_rank()
    with pytest.raises(TypeError, match="refuses"):
        pcomm.bcast([np.zeros(BIG, "u1"), Unpicklable()] if rank == 0 else None, 0)
    assert pcomm.bcast("fine" if rank == 0 else None, 0) == "fine"

"""Matched probes and receives: Comm.Mprobe/Improbe, Message.Probe/Iprobe/Recv/Irecv (and the
lowercase forms for objects), MESSAGE_NO_PROC, MESSAGE_NULL, truncation and bad input."""

import array
import functools

import pytest
from helpers import ring

from mpipy import MPI

try:
    import numpy as np
except ImportError:  # pragma: no cover
    np = None


def values(seed, n):
    return [(seed * 31 + i * 7 + 3) % 101 for i in range(n)]


def matched_probe(comm, probe, source, tag, status):
    """The message matched by `probe`, a method of comm ("Mprobe", "improbe", ...) or of
    Message ("Message.Probe", ...); nonblocking forms are repeated until one matches."""
    if probe.startswith("Message."):
        method = functools.partial(getattr(MPI.Message, probe.removeprefix("Message.")), comm)
    else:
        method = getattr(comm, probe)
    message = None
    while message is None:
        message = method(source, tag, status)
    return message


def test_message_null():
    null = MPI.MESSAGE_NULL
    assert isinstance(null, MPI.Message)
    assert not null and MPI.Message() == null
    assert MPI.MESSAGE_NO_PROC != null and MPI.MESSAGE_NO_PROC
    for call in (
        lambda m: m.Recv(bytearray(1)),
        lambda m: m.Irecv(bytearray(1)),
        lambda m: m.recv(),
        lambda m: m.irecv(),
    ):
        with pytest.raises(MPI.Exception) as excinfo:
            call(MPI.Message())
        assert excinfo.value.Get_error_class() == MPI.ERR_REQUEST


@pytest.mark.parametrize("probe", ["Mprobe", "Improbe", "Message.Probe", "Message.Iprobe"])
@pytest.mark.parametrize("recv", ["Recv", "Irecv"])
def test_matched_receive(comm, probe, recv):
    right, left = ring(comm)
    rank = comm.Get_rank()
    sbuf = array.array("i", values(rank, 6))
    sreq = comm.Isend(sbuf, right, 10)
    status = MPI.Status()
    message = matched_probe(comm, probe, left, 10, status)
    assert isinstance(message, MPI.Message) and message
    assert (status.source, status.tag) == (left, 10)
    assert status.Get_count(MPI.INT) == 6 and status.Get_elements(MPI.INT) == 6
    # The message is matched: a plain probe no longer sees it.
    assert not comm.Iprobe(left, 10)
    rbuf = array.array("i", [0] * 6)
    rstatus = MPI.Status()
    if recv == "Recv":
        assert message.Recv(rbuf, rstatus) is None
    else:
        req = message.Irecv(rbuf)
        assert isinstance(req, MPI.Request)
        req.Wait(rstatus)
    assert message == MPI.MESSAGE_NULL
    assert list(rbuf) == values(left, 6)
    assert (rstatus.source, rstatus.tag, rstatus.Get_count(MPI.INT)) == (left, 10, 6)
    sreq.Wait()


def test_matched_order_and_any(comm):
    """Matched messages are received in any order, by ANY_SOURCE/ANY_TAG probes."""
    right, left = ring(comm)
    rank = comm.Get_rank()
    sends = [comm.Isend(bytes(values(rank + t, 5)), right, 20 + t) for t in range(3)]
    messages = []
    for _ in range(3):
        status = MPI.Status()
        messages.append((comm.Mprobe(MPI.ANY_SOURCE, MPI.ANY_TAG, status), status.tag))
        assert status.source == left
    assert sorted(tag for _, tag in messages) == [20, 21, 22]
    for message, tag in reversed(messages):  # receive in the opposite order
        buf = bytearray(5)
        message.Recv(buf)
        assert list(buf) == values(left + tag - 20, 5)
    MPI.Request.Waitall(sends)


def test_improbe_nothing(comm):
    left = ring(comm)[1]
    status = MPI.Status()
    status.source = 42
    assert comm.Improbe(left, 12345, status) is None
    assert MPI.Message.Iprobe(comm, left, 12345) is None
    assert comm.improbe(left, 12345) is None
    assert MPI.Message.iprobe(comm, left, 12345) is None


def test_message_no_proc(comm):
    status = MPI.Status()
    for probe in (
        lambda s: comm.Mprobe(MPI.PROC_NULL, 3, s),
        lambda s: comm.Improbe(MPI.PROC_NULL, 3, s),
        lambda s: MPI.Message.Probe(comm, MPI.PROC_NULL, 3, s),
        lambda s: MPI.Message.Iprobe(comm, MPI.PROC_NULL, 3, s),
        lambda s: comm.mprobe(MPI.PROC_NULL, 3, s),
        lambda s: comm.improbe(MPI.PROC_NULL, 3, s),
    ):
        status.source = 9
        message = probe(status)
        assert message == MPI.MESSAGE_NO_PROC
        assert (status.source, status.tag, status.Get_count()) == (MPI.PROC_NULL, MPI.ANY_TAG, 0)
    rbuf = bytearray(b"same")
    for receive in (
        lambda m, s: m.Recv(rbuf, s),
        lambda m, s: m.Recv(None, s),
        lambda m, s: m.Irecv(rbuf).Wait(s),
        lambda m, s: m.Irecv(None).Wait(s),
    ):
        message = comm.Mprobe(MPI.PROC_NULL)
        status.source = 9
        receive(message, status)
        assert message == MPI.MESSAGE_NULL
        assert (status.source, status.tag, status.Get_count()) == (MPI.PROC_NULL, MPI.ANY_TAG, 0)
    assert rbuf == b"same"
    message = comm.mprobe(MPI.PROC_NULL)
    assert message.recv(status) is None and message == MPI.MESSAGE_NULL
    assert status.source == MPI.PROC_NULL
    message = comm.improbe(MPI.PROC_NULL)
    assert message.irecv().wait(status) is None and message == MPI.MESSAGE_NULL
    assert status.source == MPI.PROC_NULL


def test_message_no_proc_constant_survives_receives():
    """Receiving MESSAGE_NO_PROC itself leaves the constant as it is (it can be received any
    number of times, and still pickles by name); a copy of it becomes MESSAGE_NULL."""
    noproc = MPI.MESSAGE_NO_PROC
    status = MPI.Status()
    for receive in (
        lambda m: m.Recv(None, status),
        lambda m: m.Recv(bytearray(4), status),
        lambda m: m.Irecv(None).Wait(status),
        lambda m: m.recv(status),
        lambda m: m.irecv().wait(status),
    ):
        status.source = 9
        assert receive(noproc) in (None, True)
        assert status.source == MPI.PROC_NULL
        assert noproc and noproc == MPI.MESSAGE_NO_PROC and noproc is MPI.MESSAGE_NO_PROC
        assert noproc.handle != MPI.MESSAGE_NULL.handle
        copy = MPI.Message(noproc)
        assert copy and copy == noproc
        receive(copy)
        assert not copy and copy == MPI.MESSAGE_NULL
    import pickle

    assert pickle.loads(pickle.dumps(noproc)) is noproc
    # A request from Irecv of a copy is a real request, complete at its first wait.
    request = MPI.Message(noproc).Irecv(None)
    assert request != MPI.REQUEST_NULL
    request.Wait()
    assert request == MPI.REQUEST_NULL


def test_matched_truncation(comm):
    right, left = ring(comm)
    sreq = comm.Isend(bytes(values(comm.Get_rank(), 20)), right, 30)
    message = comm.Mprobe(left, 30)
    rbuf = bytearray(4)
    with pytest.raises(MPI.Exception) as excinfo:
        message.Recv(rbuf)
    assert excinfo.value.Get_error_class() == MPI.ERR_TRUNCATE
    assert message == MPI.MESSAGE_NULL  # the message is gone: it was received (truncated)
    sreq.Wait()
    assert not comm.Iprobe(left, 30)


def test_matched_zero_count(comm):
    right, left = ring(comm)
    sreq = comm.Isend(b"", right, 31)
    status = MPI.Status()
    message = comm.Mprobe(left, 31, status)
    assert status.Get_count() == 0
    message.Recv([None, 0, MPI.BYTE], status)
    assert (status.source, status.tag, status.Get_count()) == (left, 31, 0)
    sreq.Wait()


def test_matched_buffer_specs(comm):
    right, left = ring(comm)
    sreq = comm.Isend(array.array("d", [1.5, 2.5, 3.5]), right, 32)
    message = comm.Mprobe(left, 32)
    rbuf = array.array("d", [0.0] * 6)
    message.Recv([rbuf, 3, 2, MPI.DOUBLE])
    assert list(rbuf) == [0.0, 0.0, 1.5, 2.5, 3.5, 0.0]
    sreq.Wait()


def test_matched_bad_buffers(comm):
    right, left = ring(comm)
    sreq = comm.Isend(b"abcd", right, 33)
    message = comm.Mprobe(left, 33)
    for bad, error in (
        (b"read-only", BufferError),
        (12, TypeError),
        ([bytearray(4), 5, MPI.BYTE], ValueError),
        ([bytearray(4), -1, MPI.BYTE], ValueError),
    ):
        with pytest.raises(error):
            message.Recv(bad)
        with pytest.raises(error):
            message.Irecv(bad)
        assert message  # a bad buffer spec does not consume the message
    with pytest.raises(TypeError):
        message.Recv(bytearray(4), 3)  # wrong status type
    assert message
    rbuf = bytearray(4)
    message.Recv(rbuf)
    assert rbuf == b"abcd"
    sreq.Wait()


def test_probe_bad_communicator():
    for bad in (MPI.COMM_NULL, 3):
        with pytest.raises((TypeError, MPI.Exception)):
            MPI.Message.Probe(bad)
    with pytest.raises(MPI.Exception) as excinfo:
        MPI.Message.Iprobe(MPI.COMM_NULL)
    assert excinfo.value.Get_error_class() == MPI.ERR_COMM
    with pytest.raises(TypeError):
        MPI.Message.Probe("comm")


# -- Objects ------------------------------------------------------------------------------------


@pytest.mark.parametrize("probe", ["mprobe", "improbe", "Message.probe", "Message.iprobe"])
@pytest.mark.parametrize("recv", ["recv", "irecv"])
def test_matched_objects(comm, probe, recv):
    right, left = ring(comm)
    rank = comm.Get_rank()
    obj = {"rank": rank, "values": values(rank, 30), "text": "x" * rank}
    sreq = comm.isend(obj, right, 40)
    status = MPI.Status()
    message = matched_probe(comm, probe, left, 40, status)
    assert (status.source, status.tag) == (left, 40)
    assert status.Get_count() > 0  # the pickled size
    rstatus = MPI.Status()
    if recv == "recv":
        got = message.recv(rstatus)
    else:
        req = message.irecv()
        got = req.wait(rstatus)
    assert message == MPI.MESSAGE_NULL
    assert got == {"rank": left, "values": values(left, 30), "text": "x" * left}
    assert (rstatus.source, rstatus.tag) == (left, 40)
    sreq.wait()


@pytest.mark.skipif(np is None, reason="needs NumPy")
@pytest.mark.parametrize("recv", ["recv", "irecv"])
def test_matched_objects_out_of_band(comm, recv):
    right, left = ring(comm)
    rank = comm.Get_rank()
    big = np.arange(300_000, dtype="f8") + rank  # out of band
    sreq = comm.isend({"big": big, "small": [rank]}, right, 41)
    message = comm.mprobe(left, 41)
    got = message.recv() if recv == "recv" else message.irecv().wait()
    assert np.array_equal(got["big"], np.arange(300_000, dtype="f8") + left)
    assert got["small"] == [left]
    sreq.wait()


def test_matched_objects_any_order(comm):
    right, left = ring(comm)
    rank = comm.Get_rank()
    sends = [comm.isend((rank, t), right, 50 + t) for t in range(4)]
    messages = [comm.mprobe(left, 50 + t) for t in range(4)]
    requests = [m.irecv() for m in messages[::2]]
    got = [messages[3].recv(), messages[1].recv()] + MPI.Request.waitall(requests)
    assert sorted(got) == [(left, t) for t in range(4)]
    MPI.Request.waitall(sends)


def test_message_objects_bad_input(comm):
    with pytest.raises(TypeError):
        MPI.Message.probe("comm")
    right, left = ring(comm)
    sreq = comm.isend("payload", right, 60)
    message = comm.mprobe(left, 60)
    with pytest.raises(TypeError):
        message.recv(status=5)  # checked before the message is consumed
    assert message
    assert message.recv() == "payload"
    sreq.wait()

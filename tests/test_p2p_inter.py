"""Point-to-point communication on intercommunicators: buffers, statuses (sources are ranks of
the remote group), probes, matched receives, and objects whose out-of-band parts travel by
world rank. COMM_WORLD is split in two groups (even and odd world ranks, so their sizes differ
at odd world sizes) joined by Create_intercomm."""

import array

import pytest
from helpers import split_intercomm

from mpipy import MPI

try:
    import numpy as np
except ImportError:  # pragma: no cover
    np = None

pytestmark = [
    pytest.mark.skipif(
        not hasattr(MPI.Intracomm, "Create_intercomm"),
        reason="Intracomm.Create_intercomm is not bound yet",
    ),
    pytest.mark.mpi(min_size=2),
]


@pytest.fixture
def inter():
    """An intercommunicator between the even and the odd world ranks (freed afterwards)."""
    # Local leaders: local rank 0 of each group, world ranks 0 (even) and 1 (odd).
    with split_intercomm(lambda r: r % 2, tag=1234) as (intercomm, _):
        yield intercomm


def test_intercomm_shape(inter):
    world = MPI.COMM_WORLD
    size = world.Get_size()
    color = world.Get_rank() % 2
    assert isinstance(inter, MPI.Intercomm) and inter.Is_inter()
    evens, odds = (size + 1) // 2, size // 2
    assert inter.Get_size() == (odds if color else evens)
    assert inter.Get_remote_size() == (evens if color else odds)
    assert inter.Get_rank() == world.Get_rank() // 2


def remote_world_rank(inter, remote):
    """World rank of remote rank `remote` (the other parity)."""
    color = MPI.COMM_WORLD.Get_rank() % 2
    return 2 * remote + (1 - color)


def test_send_recv_all_pairs(inter):
    rank, rsize = inter.Get_rank(), inter.Get_remote_size()
    me = MPI.COMM_WORLD.Get_rank()
    rbufs = [array.array("i", [-1] * 5) for _ in range(rsize)]
    recvs = [inter.Irecv(rbufs[q], q, 10) for q in range(rsize)]
    sends = [inter.Isend(array.array("i", [me, q, 1, 2, 3]), q, 10) for q in range(rsize)]
    statuses = [MPI.Status() for _ in recvs]
    MPI.Request.Waitall(recvs, statuses)
    MPI.Request.Waitall(sends)
    for q in range(rsize):
        assert list(rbufs[q]) == [remote_world_rank(inter, q), rank, 1, 2, 3]
        assert statuses[q].source == q and statuses[q].tag == 10
        assert statuses[q].Get_count(MPI.INT) == 5


@pytest.mark.parametrize("mode", ["Send", "Ssend", "Bsend", "Rsend"])
def test_send_modes(inter, mode):
    rank, rsize = inter.Get_rank(), inter.Get_remote_size()
    me = MPI.COMM_WORLD.Get_rank()
    rbufs = [bytearray(3) for _ in range(rsize)]
    recvs = [inter.Irecv(rbufs[q], q, 11) for q in range(rsize)]
    MPI.COMM_WORLD.Barrier()  # every receive is posted: ready mode may go
    memory = bytearray(rsize * (3 + MPI.BSEND_OVERHEAD) + 100)
    if mode == "Bsend":
        MPI.Attach_buffer(memory)
    try:
        for q in range(rsize):
            getattr(inter, mode)(bytes([me, q, 7]), q, 11)
        MPI.Request.Waitall(recvs)
    finally:
        if mode == "Bsend":
            MPI.Detach_buffer()
    for q in range(rsize):
        assert rbufs[q] == bytes([remote_world_rank(inter, q), rank, 7])


def test_any_source_probe_sendrecv(inter):
    rank, rsize = inter.Get_rank(), inter.Get_remote_size()
    sends = [
        inter.Isend(array.array("d", [float(rank)] * (rank + 1)), q, 20 + rank)
        for q in range(rsize)
    ]
    seen = set()
    for _ in range(rsize):
        status = MPI.Status()
        assert inter.Probe(MPI.ANY_SOURCE, MPI.ANY_TAG, status)
        q = status.source
        assert 0 <= q < rsize and status.tag == 20 + q
        assert status.Get_count(MPI.DOUBLE) == q + 1
        buf = array.array("d", [0.0] * (q + 1))
        inter.Recv(buf, q, status.tag)
        assert list(buf) == [float(q)] * (q + 1)
        seen.add(q)
    assert seen == set(range(rsize))
    MPI.Request.Waitall(sends)


def test_request_reply(inter):
    """Each process asks remote rank (rank % remote size), which answers everyone who asked."""
    rank, size, rsize = inter.Get_rank(), inter.Get_size(), inter.Get_remote_size()
    peer = rank % rsize
    askers = [r for r in range(rsize) if r % size == rank]
    questions = [bytearray(1) for _ in askers]
    recvs = [inter.Irecv(questions[i], r, 30) for i, r in enumerate(askers)]
    sreq = inter.Isend(bytes([rank]), peer, 30)
    MPI.Request.Waitall(recvs + [sreq])
    assert [q[0] for q in questions] == askers
    replies = [inter.Isend(bytes([rank, r]), r, 31) for r in askers]
    answer = bytearray(2)
    status = MPI.Status()
    inter.Recv(answer, peer, 31, status)
    MPI.Request.Waitall(replies)
    assert list(answer) == [peer, rank] and status.source == peer


def test_sendrecv_replace_pairs(inter):
    rank, size, rsize = inter.Get_rank(), inter.Get_size(), inter.Get_remote_size()
    if size != rsize:
        # The pairing below needs groups of equal size; still check one exchange with PROC_NULL.
        buf = array.array("i", [5])
        status = MPI.Status()
        inter.Sendrecv_replace(buf, MPI.PROC_NULL, 0, MPI.PROC_NULL, 0, status)
        assert status.source == MPI.PROC_NULL and list(buf) == [5]
        return
    buf = array.array("i", [MPI.COMM_WORLD.Get_rank()] * 3)
    status = MPI.Status()
    inter.Sendrecv_replace(buf, rank, 40, rank, 40, status)
    assert list(buf) == [remote_world_rank(inter, rank)] * 3
    assert status.source == rank
    rbuf = array.array("i", [0] * 3)
    inter.Sendrecv(array.array("i", [rank] * 3), rank, 41, rbuf, MPI.ANY_SOURCE, 41, status)
    assert list(rbuf) == [rank] * 3 and status.source == rank and status.tag == 41
    got = inter.sendrecv(("obj", rank), rank, 42, None, rank, 42)
    assert got == ("obj", rank)


def test_matched_probe(inter):
    rsize = inter.Get_remote_size()
    me = MPI.COMM_WORLD.Get_rank()
    sends = [inter.Isend(bytes([me]), q, 50) for q in range(rsize)]
    got = {}
    for _ in range(rsize):
        status = MPI.Status()
        message = inter.Mprobe(MPI.ANY_SOURCE, 50, status)
        buf = bytearray(1)
        message.Recv(buf)
        got[status.source] = buf[0]
    assert got == {q: remote_world_rank(inter, q) for q in range(rsize)}
    MPI.Request.Waitall(sends)


def test_bad_ranks(inter):
    rsize = inter.Get_remote_size()
    for call in (
        lambda: inter.Send(b"x", rsize),
        lambda: inter.Isend(b"x", rsize + 3),
        lambda: inter.Recv(bytearray(1), rsize),
        lambda: inter.Probe(rsize),
        lambda: inter.send(1, rsize),
        lambda: inter.recv(None, rsize),
    ):
        with pytest.raises(MPI.Exception) as excinfo:
            call()
        assert excinfo.value.Get_error_class() == MPI.ERR_RANK
    status = MPI.Status()
    inter.Recv(None, MPI.PROC_NULL, 0, status)
    assert status.source == MPI.PROC_NULL


def test_persistent(inter):
    rsize = inter.Get_remote_size()
    me = MPI.COMM_WORLD.Get_rank()
    sbuf = array.array("i", [0])
    rbufs = [array.array("i", [0]) for _ in range(rsize)]
    reqs = [inter.Recv_init(rbufs[q], q, 60) for q in range(rsize)]
    reqs += [inter.Send_init(sbuf, q, 60) for q in range(rsize)]
    for round_ in range(3):
        sbuf[0] = me * 100 + round_
        MPI.Prequest.Startall(reqs)
        MPI.Request.Waitall(reqs)
        assert [b[0] for b in rbufs] == [
            remote_world_rank(inter, q) * 100 + round_ for q in range(rsize)
        ]
        inter.Barrier()
    for r in reqs:
        r.Free()


# -- Objects -----------------------------------------------------------------------------------


def test_objects_all_pairs(inter):
    rsize = inter.Get_remote_size()
    me = MPI.COMM_WORLD.Get_rank()
    recvs = [inter.irecv(source=q, tag=70) for q in range(rsize)]
    sends = [inter.isend({"from": me, "to": q, "text": "t" * me}, q, 70) for q in range(rsize)]
    got = MPI.Request.waitall(recvs)
    MPI.Request.waitall(sends)
    for q, obj in enumerate(got):
        src = remote_world_rank(inter, q)
        assert obj == {"from": src, "to": inter.Get_rank(), "text": "t" * src}


@pytest.mark.skipif(np is None, reason="needs NumPy")
def test_objects_out_of_band(inter):
    """Out-of-band parts go to the sender's remote peer by its world rank."""
    rsize = inter.Get_remote_size()
    me = MPI.COMM_WORLD.Get_rank()

    def make(src, dst):
        return {
            "src": src,
            "dst": dst,
            "parts": [np.full(50_000 + i, src * 100 + dst, dtype="i8") for i in range(3)],
        }

    sends = [inter.isend(make(me, q), q, 71) for q in range(rsize)]
    got = {}
    for _ in range(rsize):
        status = MPI.Status()
        obj = inter.recv(None, MPI.ANY_SOURCE, 71, status)
        got[status.source] = obj
    MPI.Request.waitall(sends)
    assert sorted(got) == list(range(rsize))
    for q, obj in got.items():
        expected = make(remote_world_rank(inter, q), inter.Get_rank())
        assert obj["src"] == expected["src"] and obj["dst"] == expected["dst"]
        for a, b in zip(obj["parts"], expected["parts"]):
            assert np.array_equal(a, b)
    # And with blocking sends against posted nonblocking receives, plus matched probes.
    recvs = [inter.irecv(source=q, tag=72) for q in range(rsize)]
    for q in range(rsize):
        inter.send(make(me, q), q, 72)
    for q, obj in enumerate(MPI.Request.waitall(recvs)):
        assert obj["src"] == remote_world_rank(inter, q)
        assert np.array_equal(obj["parts"][2], make(obj["src"], inter.Get_rank())["parts"][2])
    sends = [inter.isend(make(me, q), q, 73) for q in range(rsize)]
    for _ in range(rsize):
        status = MPI.Status()
        message = inter.mprobe(MPI.ANY_SOURCE, 73, status)
        obj = message.recv()
        assert obj["src"] == remote_world_rank(inter, status.source)
    MPI.Request.waitall(sends)


def test_objects_sendrecv_proc_null(inter):
    assert inter.sendrecv("x", MPI.PROC_NULL, 0, None, MPI.PROC_NULL, 0) is None
    assert inter.recv(None, MPI.PROC_NULL) is None
    inter.send("x", MPI.PROC_NULL)

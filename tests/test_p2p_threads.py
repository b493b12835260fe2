"""Point-to-point communication from several Python threads per process at once (MPI
THREAD_MULTIPLE): buffers and objects with out-of-band parts, with distinct tags and with one
shared tag, on one communicator. Every result must arrive intact and unmixed."""

import threading

import pytest
from helpers import ring

from mpipy import MPI

try:
    import numpy as np
except ImportError:  # pragma: no cover
    np = None

pytestmark = [
    pytest.mark.skipif(
        MPI.Query_thread() != MPI.THREAD_MULTIPLE,
        reason="MPI was not initialized with THREAD_MULTIPLE",
    ),
    pytest.mark.timeout(120),
]

NTHREADS = 4
ROUNDS = 8
TAG = 500


def run_threads(target, nthreads=NTHREADS):
    """Run target(t) in nthreads threads; re-raise the first exception any of them raised."""
    errors = []

    def body(t):
        try:
            target(t)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(t,)) for t in range(nthreads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=100)
        assert not thread.is_alive(), "a thread is stuck"
    if errors:
        raise errors[0]


def payload(source, thread, round_, n):
    return [(source * 1_000_000 + thread * 10_000 + round_ * 100 + i) % 2**31 for i in range(n)]


@pytest.mark.parametrize("shared_tag", [False, True], ids=["distinct-tags", "same-tag"])
def test_threads_buffers(comm, shared_tag):
    import array

    right, left = ring(comm)
    rank = comm.Get_rank()
    received = []
    lock = threading.Lock()

    def work(t):
        tag = TAG if shared_tag else TAG + t
        for k in range(ROUNDS):
            n = 1000 + 10 * t  # distinct lengths: a message's length tells its sender thread
            sbuf = array.array("i", payload(rank, t, k, n))
            rbuf = array.array("i", [0] * 1100)
            status = MPI.Status()
            if k % 2:
                comm.Sendrecv(sbuf, right, tag, rbuf, left, tag, status)
            else:
                rreq = comm.Irecv(rbuf, left, tag)
                comm.Send(sbuf, right, tag)
                rreq.Wait(status)
            count = status.Get_count(MPI.INT)
            assert status.source == left and status.tag == tag
            got = list(rbuf[:count])
            sender_thread = (count - 1000) // 10
            if not shared_tag:
                assert sender_thread == t
            with lock:
                received.append(tuple(got))

    run_threads(work)
    if shared_tag:  # any thread may take any message: compare the whole set
        expected = sorted(
            tuple(payload(left, t, k, 1000 + 10 * t))
            for t in range(NTHREADS)
            for k in range(ROUNDS)
        )
        # Rounds of one sender thread may be taken in any order, but each exactly once.
        assert sorted(received) == expected
    else:
        assert len(received) == NTHREADS * ROUNDS
        for got in received:
            t = (len(got) - 1000) // 10
            assert any(list(got) == payload(left, t, k, len(got)) for k in range(ROUNDS))


@pytest.mark.skipif(np is None, reason="needs NumPy")
@pytest.mark.parametrize("shared_tag", [False, True], ids=["distinct-tags", "same-tag"])
def test_threads_objects_out_of_band(comm, shared_tag):
    right, left = ring(comm)
    rank = comm.Get_rank()
    received = []
    lock = threading.Lock()
    big = MPI.pickle.THRESHOLD // 8 + 1000  # items: above the out-of-band threshold

    def make(source, t, k):
        return {
            "id": (source, t, k),
            "parts": [
                np.full(big + j, source * 10_000 + t * 100 + k, dtype="i8") for j in range(3)
            ],
            "small": list(range(t + k)),
        }

    def check(obj):
        source, t, k = obj["id"]
        assert source == left
        assert obj["small"] == list(range(t + k))
        for j, part in enumerate(obj["parts"]):
            assert part.shape == (big + j,)
            assert (part == source * 10_000 + t * 100 + k).all()

    def work(t):
        tag = TAG if shared_tag else TAG + t
        for k in range(ROUNDS // 2):
            status = MPI.Status()
            if k % 2:
                req = comm.irecv(source=left, tag=tag)
                comm.send(make(rank, t, k), right, tag)
                obj = req.wait(status)
            else:
                sreq = comm.isend(make(rank, t, k), right, tag)
                obj = comm.recv(None, left, tag, status)
                sreq.wait()
            assert status.source == left and status.tag == tag
            check(obj)
            if not shared_tag:
                assert obj["id"][1] == t
            with lock:
                received.append(obj["id"])

    run_threads(work)
    assert sorted(received) == sorted(
        (left, t, k) for t in range(NTHREADS) for k in range(ROUNDS // 2)
    )


def test_threads_mixed_any_source(comm):
    """Threads receiving with ANY_SOURCE/ANY_TAG while others send buffers and objects."""
    right, left = ring(comm)
    rank = comm.Get_rank()
    got = []
    lock = threading.Lock()
    per_thread = 6

    def sender(t):
        for k in range(per_thread):
            if k % 2:
                comm.send({"from": rank, "t": t, "k": k, "blob": bytes(200_000)}, right, TAG + 50)
            else:
                comm.ssend(("small", rank, t, k), right, TAG + 50)

    def receiver(t):
        for _ in range(per_thread):
            status = MPI.Status()
            obj = comm.recv(None, MPI.ANY_SOURCE, MPI.ANY_TAG, status)
            assert status.source == left and status.tag == TAG + 50
            key = (obj["t"], obj["k"]) if isinstance(obj, dict) else (obj[2], obj[3])
            if isinstance(obj, dict):
                assert obj["from"] == left and obj["blob"] == bytes(200_000)
            else:
                assert obj[:2] == ("small", left)
            with lock:
                got.append(key)

    def work(t):
        (sender if t % 2 else receiver)(t // 2)

    run_threads(work, 4)
    assert sorted(got) == sorted((t, k) for t in range(2) for k in range(per_thread))


def test_threads_requests_completed_elsewhere(comm):
    """Requests created in one thread and completed in another (waitall, waitany)."""
    right, left = ring(comm)
    rank = comm.Get_rank()
    requests = []
    ready = threading.Event()

    def poster(_):
        reqs = [comm.irecv(source=left, tag=TAG + 60 + i) for i in range(4)]
        reqs += [comm.isend((rank, i), right, TAG + 60 + i) for i in range(4)]
        requests.extend(reqs)
        ready.set()

    run_threads(poster, 1)
    ready.wait()
    results = {}

    def completer(t):
        if t == 0:
            results["all"] = MPI.Request.waitall(requests[:2])
        else:
            index, obj = MPI.Request.waitany(requests[2:4])
            results["any"] = (index, obj)
            results["rest"] = requests[2 + (1 - index)].wait()

    run_threads(completer, 2)
    MPI.Request.waitall(requests[4:])
    assert results["all"] == [(left, 0), (left, 1)]
    index, obj = results["any"]
    assert obj == (left, 2 + index)
    assert results["rest"] == (left, 2 + (1 - index))

"""Many threads per process exchanging messages at once (MPI_THREAD_MULTIPLE): nothing
lost, nothing corrupted, no deadlock; also while other threads pickle large objects.

Ranks pair up (0-1, 2-3, ...; at size 1, or the last rank at an odd size, a rank pairs
with itself). Each of ``NTHREADS`` threads of a rank exchanges ``MESSAGES`` messages
with the same-numbered thread of its peer, on a tag of its own: buffers (every even
message) and pickled objects (every odd one), each receive posted before the matching
send, so a rank paired with itself works too. MPI keeps the order of messages with the
same source, tag and communicator, so message i of a thread must be the peer's message
i: its contents (sender rank, thread, index, payload) are checked whole.

``MESSAGES`` per thread: 10^4 at size 1 (the pairs are within one process). Across
processes the exchange is far slower on the 2-core development machine (measured at
N = 2, MPICH, a busy machine: 8 threads per rank move 230-600 messages a second in all;
mpi4py 4.1.2 is as slow on the same mix: 22 s against 23 s for 8 x 1,000 messages),
so the default there is 500 per thread, and the test with pickling threads exchanges
half as many. ``MPIPY_TEST_THREAD_MESSAGES=10000`` runs the full count at any size.

With ``pytest -s`` each test prints the number of messages checked.
"""

import array
import os
import pickle
import threading
import time

import pytest

from mpipy import MPI

try:
    import numpy as np
except ImportError:  # pragma: no cover
    np = None

WORLD = MPI.COMM_WORLD
SIZE = WORLD.Get_size()
NTHREADS = 8
MESSAGES = int(os.environ.get("MPIPY_TEST_THREAD_MESSAGES") or (10_000 if SIZE == 1 else 500))
LENGTH = 64  # items of a buffer message
# One object message in IRECV_EVERY / 2 goes to a posted irecv, the others to recv.
IRECV_EVERY = 4
TAG = 700
STALL_SECONDS = 120  # a hang guard: a deadlock is no message for this long in any thread
JOIN_SECONDS = 60  # for the pickling threads, once told to stop

pytestmark = [
    pytest.mark.skipif(
        MPI.Query_thread() != MPI.THREAD_MULTIPLE,
        reason="MPI was not initialized with THREAD_MULTIPLE",
    ),
    pytest.mark.timeout(max(300, MESSAGES // 10)),  # the full 10^4 count takes minutes
]


def base(rank, thread, index):
    """First item of buffer message `index` of (rank, thread): all items distinct."""
    return (rank << 40) | (thread << 32) | (index << 8)


def exchange(comm, peer, thread, messages, progress):
    """Thread `thread`'s half of the exchange; returns the number of messages checked.
    Counts each message in progress[thread]."""
    rank = comm.Get_rank()
    tag = TAG + thread
    rbuf = array.array("q", bytes(8 * LENGTH))
    status = MPI.Status()
    for i in range(messages):
        progress[thread] += 1
        if i % 2 == 0:
            first = base(rank, thread, i)
            sbuf = array.array("q", range(first, first + LENGTH))
            req = comm.Irecv(rbuf, peer, tag)
            comm.Send(sbuf, peer, tag)
            req.Wait(status)
            assert (status.source, status.tag) == (peer, tag)
            assert status.Get_count(MPI.INT64_T) == LENGTH
            first = base(peer, thread, i)
            assert rbuf == array.array("q", range(first, first + LENGTH)), (thread, i)
        else:
            obj = (rank, thread, i, "x" * (i % 50), [i] * (i % 7))
            if i % IRECV_EVERY == 1:  # a posted irecv, then a blocking send
                req = comm.irecv(source=peer, tag=tag)
                comm.send(obj, peer, tag)
                got = req.wait(status)
            else:  # an isend, then a blocking recv
                req = comm.isend(obj, peer, tag)
                got = comm.recv(source=peer, tag=tag, status=status)
                req.wait()
            assert (status.source, status.tag) == (peer, tag)
            assert got == (peer, thread, i, "x" * (i % 50), [i] * (i % 7)), (thread, i)
    return messages


def run_threads(target, count):
    """Run target(t, progress) in `count` threads; return their results; re-raise the first
    error. Fails as a deadlock if the threads' progress counts stand still for STALL_SECONDS
    (however long the whole run takes: a busy machine is slow, not stuck)."""
    results, errors, progress = [None] * count, [], [0] * count

    def body(t):
        try:
            results[t] = target(t, progress)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(t,), name=f"exchange-{t}") for t in range(count)]
    for thread in threads:
        thread.start()
    seen, still = None, 0.0
    while any(thread.is_alive() for thread in threads):
        time.sleep(1.0)
        now = sum(progress)
        still = still + 1.0 if now == seen else 0.0
        seen = now
        stuck = [t.name for t in threads if t.is_alive()]
        assert still < STALL_SECONDS, f"no progress for {STALL_SECONDS} s in {stuck} (a deadlock?)"
    if errors:
        raise errors[0]
    return results


class Picklers:
    """Threads that pickle and unpickle large objects in a loop until stopped."""

    def __init__(self, count):
        self.stop = threading.Event()
        self.rounds = [0] * count
        self.errors = []
        self.threads = [
            threading.Thread(target=self.work, args=(t,), name=f"pickler-{t}") for t in range(count)
        ]

    def work(self, t):
        if np is not None:
            big = np.arange(1 << 19, dtype=np.float64) * (t + 1)  # 4 MiB
        else:
            big = array.array("d", range(1 << 19))
        nested = [[i, str(i), {"k": (i, [i] * 3)}] for i in range(2_000)]
        try:
            while not self.stop.is_set():
                copy = pickle.loads(pickle.dumps(big, protocol=5))
                assert len(copy) == len(big) and copy[-1] == big[-1] and copy[7] == big[7]
                assert pickle.loads(pickle.dumps(nested)) == nested
                self.rounds[t] += 1
        except BaseException as exc:  # noqa: BLE001 - reported by __exit__
            self.errors.append(exc)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(JOIN_SECONDS)
            assert not thread.is_alive(), f"{thread.name} is stuck"
        if self.errors:
            raise self.errors[0]


@pytest.fixture
def pair():
    """(communicator of this rank's pair, peer's rank in it), freed afterwards."""
    comm = WORLD.Split(WORLD.Get_rank() // 2, WORLD.Get_rank())
    try:
        yield comm, (comm.Get_rank() + 1) % comm.Get_size()
    finally:
        comm.Free()


def report(name, checked, extra=""):
    total = WORLD.allreduce(checked)
    if WORLD.Get_rank() == 0:
        print(f"\n{name}: {total} messages checked on {SIZE} ranks, {NTHREADS} threads each{extra}")


def test_threads_exchange(pair):
    comm, peer = pair
    checked = run_threads(lambda t, progress: exchange(comm, peer, t, MESSAGES, progress), NTHREADS)
    assert checked == [MESSAGES] * NTHREADS
    report("threads exchange", sum(checked))


def test_threads_exchange_while_pickling(pair):
    comm, peer = pair
    messages = max(2, MESSAGES // 2)
    with Picklers(2) as picklers:
        checked = run_threads(
            lambda t, progress: exchange(comm, peer, t, messages, progress), NTHREADS
        )
    assert checked == [messages] * NTHREADS
    report("threads exchange while pickling", sum(checked), f", {picklers.rounds} pickle rounds")

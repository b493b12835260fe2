"""No leaks: 10^5 iterations of each kind of operation leave memory and MPI handles where
they were.

Each case runs its iterations in two halves: the first warms up (MPI's pools, Python's
free lists and caches), the second is measured. Three things must stop growing:

- resident memory (``/proc/self/statm``), in KiB: a leak of one small allocation per
  iteration (a request, a buffer view, a pickle) would add megabytes over 5 * 10^4
  iterations; the bound, ``BOUND_KIB``, is far above what was measured (0 KiB in every
  case, MPICH 5.0.2 and Open MPI 5.0.11) and far below such a leak;
- Python's allocated blocks (``sys.getallocatedblocks()``): one leaked Python object per
  iteration would show as 5 * 10^4 blocks (measured: fewer than 10);
- MPI handles. Neither MPI counts its live handles for us, so each iteration reports the
  integer of the handle it made (``toint``: MPICH's handle, Open MPI's Fortran index):
  these are slots in a table that MPI reuses once the handle is freed, so a
  handle never freed would show as a new value in every iteration. The second half must
  see at most ``BOUND_HANDLES`` distinct values (measured: 1).

The iterations run on COMM_SELF (the whole job runs them at once, each rank on its own),
so their count and time do not depend on the world size: mpipy's code is the same for
any peer. Pairs of ranks exchange across processes in ``test_pairwise_*``, with fewer
iterations (``PAIR_ITERATIONS``) since every message there waits for another process
that shares the two cores with the rest of the job. A send to oneself may block until
the receive is posted (MPICH's does), so each blocking send or receive here is paired
with a nonblocking one posted first.

With ``pytest -s`` each case prints its growth.
"""

import gc
import os
import sys
import tempfile

import pytest

from mpipy import MPI

ITERATIONS = 100_000
PAIR_ITERATIONS = 10_000
BOUND_KIB = 512
BOUND_BLOCKS = 1_000
BOUND_HANDLES = 16

WORLD = MPI.COMM_WORLD
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def asan_loaded():
    """AddressSanitizer (tools/sanitize.sh) keeps freed memory in quarantine, so resident
    memory grows by design there; the other two checks still hold."""
    with open("/proc/self/maps") as maps:
        return any("libasan" in line for line in maps)


CHECK_RESIDENT = sys.platform.startswith("linux") and not asan_loaded()

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm"),
    pytest.mark.timeout(300),
]


def resident_kib():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_KIB


def check_no_growth(name, step, iterations=ITERATIONS):
    """Run step(i) for i in range(iterations); step may return the Fortran integer of an
    MPI handle it made. Asserts that the second half grows nothing."""
    half = iterations // 2
    for i in range(half):
        step(i)
    gc.collect()
    handles = set()
    kib, blocks = resident_kib(), sys.getallocatedblocks()
    for i in range(half, iterations):
        handle = step(i)
        if handle is not None:
            handles.add(handle)
    gc.collect()
    kib, blocks = resident_kib() - kib, sys.getallocatedblocks() - blocks
    print(
        f"\n{name}: {half} iterations grew {kib} KiB, {blocks} Python blocks, "
        f"{len(handles)} distinct handles (rank {WORLD.Get_rank()} of {WORLD.Get_size()})"
    )
    assert kib <= BOUND_KIB or not CHECK_RESIDENT, f"{name}: resident memory grew by {kib} KiB"
    assert blocks <= BOUND_BLOCKS, f"{name}: {blocks} more Python blocks"
    assert len(handles) <= BOUND_HANDLES, f"{name}: {len(handles)} distinct handles"


def pair_of(comm):
    """A communicator of two ranks of comm (the last rank alone at an odd size; COMM_SELF
    at size 1) and this rank's peer in it; the caller frees it."""
    rank = comm.Get_rank()
    pair = comm.Split(rank // 2, rank)
    return pair, (pair.Get_rank() + 1) % pair.Get_size()


def buffers():
    import array

    return array.array("i", range(16)), array.array("i", [0] * 16)


def send_recv_buffers(comm, peer):
    sbuf, rbuf = buffers()

    def step(i):
        sbuf[0] = i
        req = comm.Irecv(rbuf, peer, 1)
        comm.Send(sbuf, peer, 1)
        handle = req.toint()
        req.Wait()
        assert rbuf[0] == i
        req = comm.Isend(sbuf, peer, 2)
        comm.Recv(rbuf, peer, 2)
        req.Wait()
        assert rbuf[0] == i and rbuf[15] == 15
        return handle

    return step


def send_recv_objects(comm, peer):
    def step(i):
        req = comm.irecv(source=peer, tag=3)
        comm.send({"i": i, "items": [1.5, "two", (3,)]}, peer, 3)
        assert req.wait() == {"i": i, "items": [1.5, "two", (3,)]}
        req = comm.isend(("x", i), peer, 4)
        handle = req.toint()
        assert comm.recv(source=peer, tag=4) == ("x", i)
        req.wait()
        return handle

    return step


def test_send_recv():
    check_no_growth("Send/Recv", send_recv_buffers(MPI.COMM_SELF, 0))


def test_isend_irecv_waitall():
    sbuf, rbuf = buffers()
    comm = MPI.COMM_SELF

    def step(i):
        sbuf[3] = i
        reqs = [comm.Irecv(rbuf, 0, 5), comm.Isend(sbuf, 0, 5)]
        handle = reqs[0].toint()
        MPI.Request.Waitall(reqs)
        assert rbuf[3] == i
        assert all(req == MPI.REQUEST_NULL for req in reqs)
        return handle

    check_no_growth("Isend/Irecv/Waitall", step)


def test_send_recv_objects():
    check_no_growth("send/recv objects", send_recv_objects(MPI.COMM_SELF, 0))


def test_irecv_dropped_after_completion():
    comm = MPI.COMM_SELF

    def step(i):
        req = comm.irecv(source=0, tag=6)
        handle = req.toint()
        comm.send([i] * 8, 0, 6)
        if i % 2:  # completed by wait, or by test: then the last reference goes
            assert req.wait() == [i] * 8
        else:
            done, value = req.test()
            while not done:
                done, value = req.test()
            assert value == [i] * 8
        return handle

    check_no_growth("irecv() dropped after completion", step)


def test_dup_free():
    def step(i):
        comm = MPI.COMM_SELF.Dup()
        handle = comm.toint()
        assert comm.Get_size() == 1
        comm.Free()
        assert comm == MPI.COMM_NULL
        return handle

    check_no_growth("Dup/Free", step)


def test_create_vector_commit_free():
    def step(i):
        datatype = MPI.INT.Create_vector(2, 1, 3 + i % 4).Commit()
        handle = datatype.toint()
        assert datatype.Get_size() == 2 * MPI.INT.Get_size()
        datatype.Free()
        return handle

    check_no_growth("Create_vector/Commit/Free", step)


@pytest.mark.skipif(not hasattr(MPI.Win, "Create"), reason="MPI.Win has no RMA yet")
def test_rma_epochs():
    import array

    memory = array.array("i", [0] * 4)
    win = MPI.Win.Create(memory, memory.itemsize, comm=MPI.COMM_SELF)
    origin = array.array("i", [0])
    try:

        def step(i):
            origin[0] = i
            win.Fence()
            win.Put(origin, 0, target=[1, 1, MPI.INT])
            win.Fence()
            assert memory[1] == i

        check_no_growth("RMA Fence/Put/Fence", step)
    finally:
        win.Free()


def test_file_open_close():
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, f"leak-{WORLD.Get_rank()}")
        mode = MPI.MODE_CREATE | MPI.MODE_RDWR

        def step(i):
            fh = MPI.File.Open(MPI.COMM_SELF, path, mode)
            # Not toint: ROMIO (MPICH) gives every file opened a Fortran index of its own, for
            # good (MPI_File_c2f fills a table it never shrinks), mpi4py's too. The handle is
            # the address of the MPI's file object: under AddressSanitizer freed memory is
            # held back (quarantined), so addresses are not reused and only the Python blocks
            # are checked there.
            handle = fh.handle
            fh.Close()
            return None if asan_loaded() else handle

        check_no_growth("File Open/Close", step, iterations=ITERATIONS // 10)


@pytest.mark.mpi(min_size=2)
@pytest.mark.parametrize("kind", ["buffers", "objects"])
def test_pairwise(kind):
    pair, peer = pair_of(WORLD)
    try:
        step = (send_recv_buffers if kind == "buffers" else send_recv_objects)(pair, peer)
        check_no_growth(f"pairwise {kind}", step, iterations=PAIR_ITERATIONS)
    finally:
        pair.Free()

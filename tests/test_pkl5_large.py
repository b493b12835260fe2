"""The two ring exchanges of the pkl5 spec with a 2.5 GiB NumPy array (beyond 2**31 bytes):
isend/recv, and mprobe/Message.irecv, asserting what the spec asserts.

Runs only with MPIPY_TEST_LARGE=1 and at world size 2: each process holds the array it sends
and the one it receives, 5 GiB, so 10 GiB for the pair."""

import os

import pytest

from mpipy import MPI
from mpipy.util import pkl5

np = pytest.importorskip("numpy")

pytestmark = [
    pytest.mark.large,
    pytest.mark.skipif(
        os.environ.get("MPIPY_TEST_LARGE") != "1", reason="set MPIPY_TEST_LARGE=1 to run"
    ),
    pytest.mark.mpi(sizes=[2]),
    pytest.mark.timeout(600),
]

COUNT = 5 * 2**27  # int32 elements: 2.5 GiB, more than 2**31 bytes


def ring():
    comm = pkl5.Intracomm(MPI.COMM_WORLD)
    size, rank = comm.Get_size(), comm.Get_rank()
    return comm, rank, (rank + 1) % size, (rank - 1) % size


def test_ring_isend_recv():
    comm, rank, dst, src = ring()
    sobj = np.full(COUNT, rank, dtype="i4")
    sreq = comm.isend(sobj, dst, tag=42)
    robj = comm.recv(None, src, tag=42)
    sreq.Free()
    assert robj.shape == (COUNT,) and robj.dtype == np.dtype("i4")
    assert np.min(robj) == src
    assert np.max(robj) == src


def test_ring_mprobe_message_irecv():
    comm, rank, dst, src = ring()
    sobj = np.full(COUNT, rank, dtype="i4")
    sreq = comm.isend(sobj, dst, tag=42)
    status = MPI.Status()
    rmsg = comm.mprobe(status=status)
    assert status.Get_source() == src
    assert status.Get_tag() == 42
    rreq = rmsg.irecv()
    robj = rreq.wait()
    sreq.wait()
    assert robj.shape == (COUNT,) and robj.dtype == np.dtype("i4")
    assert np.max(robj) == src
    assert np.min(robj) == src

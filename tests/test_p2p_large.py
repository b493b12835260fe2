"""Messages beyond 2**31 - 1 elements: a real > 2 GiB transfer between two processes, with
the MPI-4 large-count functions (MPICH) or the derived-datatype fallback (Open MPI), by
point-to-point and by broadcast (buffers and objects).

Needs ~5 GiB of memory per process pair and runs only at world size 2; deselect with
``-m "not large"``."""

import zlib

import pytest

from mpipy import MPI

np = pytest.importorskip("numpy")

pytestmark = [
    pytest.mark.large,
    pytest.mark.mpi(sizes=[2]),
    pytest.mark.timeout(300),
]

N = 2**31 + 200_000_000  # 2.35e9 bytes: the count does not fit in a C int
CHUNK = 2**20


def empty(n):
    """n uninitialized bytes from mpipy's allocator (huge pages: first touch is much cheaper)."""
    return np.frombuffer(MPI.buffer.allocate(n), dtype=np.uint8)


def make_data(n):
    """n bytes: a position-dependent pattern, each MiB stamped with its index."""
    a = empty(n)
    pattern = ((np.arange(CHUNK, dtype=np.uint32) * 7 + 3) % 251).astype(np.uint8)
    whole = n // CHUNK
    a[: whole * CHUNK].reshape(whole, CHUNK)[:] = pattern
    a[whole * CHUNK :] = pattern[: n - whole * CHUNK]
    stamps = a[: whole * CHUNK].reshape(whole, CHUNK)[:, :4].view("<u4")
    stamps[:, 0] = np.arange(whole, dtype=np.uint32)
    return a


def expected_at(i):
    if i % CHUNK < 4:
        return int.to_bytes(i // CHUNK, 4, "little")[i % CHUNK]
    return (i % CHUNK * 7 + 3) % 251


SAMPLES = [
    0,
    3,
    4,
    5,
    CHUNK - 1,
    CHUNK,
    CHUNK + 2,
    2**31 - 2,
    2**31 - 1,
    2**31,
    2**31 + 1,
    2**31 + 12345,
    N - CHUNK,
    N - 2,
    N - 1,
]


def check(buf):
    assert buf.shape == (N,)
    for i in SAMPLES:
        assert buf[i] == expected_at(i), i


def crc(buf):
    return zlib.crc32(memoryview(buf))


@pytest.fixture(scope="module")
def big():
    """Rank 0: the data to send and its checksum. Rank 1: a receive buffer. Made once."""
    if MPI.COMM_WORLD.Get_rank() == 0:
        data = make_data(N)
        return data, crc(data)
    buf = empty(N)
    buf.fill(0)  # faulting the pages in first is much faster than during Open MPI's copy
    return buf, None


def test_send_recv_beyond_int_max(big):
    comm = MPI.COMM_WORLD
    status = MPI.Status()
    if comm.Get_rank() == 0:
        data, checksum = big
        comm.send(checksum, 1, 1)
        comm.Send(data, 1, 2)
    else:
        buf = big[0]
        checksum = comm.recv(None, 0, 1)
        comm.Recv(buf, 0, 2, status)
        assert status.Get_source() == 0 and status.Get_tag() == 2
        assert status.Get_count() == N
        assert status.Get_count(MPI.BYTE) == N
        assert status.Get_elements(MPI.BYTE) == N
        assert status.Get_count(MPI.SHORT) == N // 2
        check(buf)
        assert crc(buf) == checksum
        buf[SAMPLES] = 0  # for the next test


def test_nonblocking_with_datatype_beyond_int_max(big):
    """Isend/Irecv with an explicit datatype and count: [buf, count, datatype]."""
    comm = MPI.COMM_WORLD
    if comm.Get_rank() == 0:
        data, checksum = big
        req = comm.Isend([data, N, MPI.UNSIGNED_CHAR], 1, 3)
        comm.send(checksum, 1, 4)
        req.Wait()
    else:
        buf = big[0]
        req = comm.Irecv([buf, MPI.UNSIGNED_CHAR], 0, 3)
        checksum = comm.recv(None, 0, 4)
        status = MPI.Status()
        req.Wait(status)
        assert status.Get_count(MPI.UNSIGNED_CHAR) == N
        check(buf)
        assert crc(buf) == checksum
        buf[SAMPLES] = 0


def test_bcast_beyond_int_max(big):
    comm = MPI.COMM_WORLD
    checksum = comm.bcast(big[1], root=0)
    comm.Bcast(big[0], root=0)
    if comm.Get_rank() == 1:
        check(big[0])
        assert crc(big[0]) == checksum
        big[0][SAMPLES] = 0


def test_object_bcast_beyond_2gib(big):
    """The array of a broadcast object travels out of band, by broadcast."""
    comm = MPI.COMM_WORLD
    obj = {"checksum": big[1], "array": big[0]} if comm.Get_rank() == 0 else None
    got = comm.bcast(obj, root=0)
    if comm.Get_rank() == 1:
        check(got["array"])
        assert crc(got["array"]) == got["checksum"]
    del got


def test_object_beyond_2gib(big):
    """An object holding a > 2 GiB array travels with its array out of band."""
    comm = MPI.COMM_WORLD
    if comm.Get_rank() == 0:
        data, checksum = big
        comm.send({"name": "big", "checksum": checksum, "array": data}, 1, 5)
    else:
        status = MPI.Status()
        obj = comm.recv(None, 0, 5, status)
        assert status.source == 0 and status.tag == 5
        assert status.Get_count() < 10_000  # the array did not travel in the pickle stream
        assert obj["name"] == "big"
        assert obj["array"].dtype == np.uint8
        check(obj["array"])
        assert crc(obj["array"]) == obj["checksum"]

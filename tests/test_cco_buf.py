"""Collective communication of buffers, blocking (the uppercase methods) on
intracommunicators: values for many datatypes and every predefined reduction operation,
IN_PLACE, zero counts, vector collectives with uneven counts and explicit displacements,
root-only arguments, and bad input.

Every rank can compute what every other rank sends (``data(code, rank, n)``), so each
rank checks its own result against a NumPy computation. Tests taking ``comm`` run on
COMM_SELF, COMM_WORLD and a Dup (the sweeps over datatypes and operations on
COMM_WORLD only); all are correct at any world size. Argument errors
that only a root detects are provoked on COMM_SELF, where no other rank can be left
waiting in the collective.
"""

import array

import numpy as np
import pytest

from mpipy import MPI

WORLD = MPI.COMM_WORLD
LARGE_COUNTS = MPI.Get_version() >= (4, 0)  # mpipy calls the MPI-4 `_c` functions

INTS = ["b", "h", "i", "q", "B", "H", "I", "Q"]  # int8..int64, uint8..uint64
FLOATS = ["f", "d"]
COMPLEX = ["F", "D"]
CODES = INTS + FLOATS + COMPLEX + ["?"]

# Predefined operations: NumPy's equivalent and the type codes MPI allows them on.
OPS = {
    "MAX": (np.maximum, INTS + FLOATS),
    "MIN": (np.minimum, INTS + FLOATS),
    "SUM": (np.add, INTS + FLOATS + COMPLEX),
    "PROD": (np.multiply, INTS + FLOATS + COMPLEX),
    "LAND": (np.logical_and, INTS + ["?"]),
    "LOR": (np.logical_or, INTS + ["?"]),
    "LXOR": (np.logical_xor, INTS + ["?"]),
    "BAND": (np.bitwise_and, INTS),
    "BOR": (np.bitwise_or, INTS),
    "BXOR": (np.bitwise_xor, INTS),
}


def data(code, rank, n, salt=0, op=None):
    """n values that rank `rank` contributes to `op`: small, different per rank and
    position, negative values for signed types, and small enough that a sum (a product
    for PROD) over 5 ranks fits every type exactly. Logical operations get 0 and 1 (a
    reduction over one process returns its input, not its truth value)."""
    raw = np.array([(rank * 5 + i * 3 + salt) % 4 for i in range(n)], dtype="q")
    if code == "?":
        return raw % 2 == 1
    if op in ("LAND", "LOR", "LXOR"):
        return (raw % 2).astype(code)
    if op == "PROD":
        raw = raw % 2 + 1  # 1 or 2
        if code in "bhiq":
            raw = np.where((np.arange(n) + rank) % 3 == 0, -raw, raw)
    elif code in "bhiqfdFD":
        raw = raw - 1  # -1..2
    out = raw.astype(code)
    if code in COMPLEX:
        out = (out + 1j * (raw % 3 - 1)).astype(code)
    return out


def reduced(opname, arrays, code):
    """What MPI's `opname` gives over `arrays` (in rank order), as type `code`."""
    ufunc = OPS[opname][0]
    return ufunc.reduce(np.array(arrays), axis=0).astype(code)


def ops_for(code):
    return [name for name, (_, codes) in OPS.items() if code in codes]


def items(buf):
    return buf.tolist() if hasattr(buf, "tolist") else list(buf)


def error_class(excinfo):
    return excinfo.value.Get_error_class()


def uneven_counts(size):
    """Per-rank counts with zeros and differences: 1, 2, 0, 1, 2, ..."""
    return [(r + 1) % 3 for r in range(size)]


def scattered_displs(counts, gap=1):
    """Displacements that store the blocks in reverse rank order with `gap` unused
    elements before each block; returns (displs, total length)."""
    displs = [0] * len(counts)
    at = gap
    for r in reversed(range(len(counts))):
        displs[r] = at
        at += counts[r] + gap
    return displs, at


SENTINEL = 99


# -- Barrier ---------------------------------------------------------------------------


def test_barrier(comm):
    assert comm.Barrier() is None


def test_barrier_synchronizes(comm):
    """No process leaves the barrier before every process entered it: rank 0 enters
    only after every other rank has observed its Ibarrier still pending."""
    rank, size = comm.Get_rank(), comm.Get_size()
    token = bytearray(1)
    if rank == 0:
        for peer in range(1, size):
            comm.Send(token, peer, 7)
        for peer in range(1, size):
            comm.Recv(token, peer, 8)
        comm.Ibarrier().Wait()  # nonblocking and blocking collectives never match
    else:
        req = comm.Ibarrier()
        comm.Recv(token, 0, 7)
        assert not req.Test()  # rank 0 has not entered yet
        comm.Send(token, 0, 8)
        req.Wait()


# -- Bcast -----------------------------------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_bcast_types(code):
    comm = WORLD  # the datatype sweeps run on one communicator
    rank, size = comm.Get_rank(), comm.Get_size()
    for root in range(size):
        buf = data(code, root, 6) if rank == root else np.zeros(6, dtype=code)
        comm.Bcast(buf, root=root)
        assert buf.dtype == np.dtype(code)
        assert np.array_equal(buf, data(code, root, 6))


def test_bcast_bufkinds(comm, bufkind):
    rank, size = comm.Get_rank(), comm.Get_size()
    root = size - 1
    values = [(3 * i + 1) % 256 for i in range(9)]
    for typecode in ("B", "i", "d"):
        buf = bufkind.make(typecode, values if rank == root else 9)
        comm.Bcast(buf, root)
        assert items(buf) == items(bufkind.make(typecode, values))


def test_bcast_specs(comm):
    """[buf, count, datatype], (buf, count), [buf, (count, displ), datatype]."""
    rank, size = comm.Get_rank(), comm.Get_size()
    root = size // 2
    buf = np.arange(10, dtype="i") if rank == root else np.full(10, -1, dtype="i")
    comm.Bcast([buf, 4, MPI.INT], root)
    assert buf[:4].tolist() == [0, 1, 2, 3]
    assert rank == root or buf[4:].tolist() == [-1] * 6
    comm.Bcast([buf, (3, 5), MPI.INT], root)
    assert buf[5:8].tolist() == [5, 6, 7]
    assert rank == root or buf[8:].tolist() == [-1] * 2
    comm.Bcast((buf, 10), root)
    assert buf.tolist() == list(range(10))


def test_bcast_zero_count(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    for root in range(size):
        buf = np.zeros(0, dtype="d")
        comm.Bcast(buf, root)
        other = np.full(3, rank, dtype="i")
        comm.Bcast([other, 0, MPI.INT], root)
        assert other.tolist() == [rank] * 3


# -- Gather, Scatter, Allgather, Alltoall ------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_gather_types(code):
    comm = WORLD  # the datatype sweeps run on one communicator
    rank, size = comm.Get_rank(), comm.Get_size()
    n = 3
    for root in range(size):
        sendbuf = data(code, rank, n)
        recvbuf = np.zeros(size * n, dtype=code) if rank == root else None
        comm.Gather(sendbuf, recvbuf, root)
        if rank == root:
            expected = np.concatenate([data(code, r, n) for r in range(size)])
            assert np.array_equal(recvbuf, expected)


def test_gather_bufkinds(comm, bufkind):
    rank, size = comm.Get_rank(), comm.Get_size()
    root = size - 1
    sendbuf = bufkind.make("B", [rank + 10 * i for i in range(4)])
    recvbuf = bufkind.make("B", 4 * size) if rank == root else None
    comm.Gather(sendbuf, recvbuf, root=root)
    if rank == root:
        assert items(recvbuf) == [r + 10 * i for r in range(size) for i in range(4)]


def test_gather_in_place(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    for root in range(size):
        if rank == root:
            recvbuf = np.full(2 * size, -1, dtype="i")
            recvbuf[2 * root : 2 * root + 2] = [100 + root, 200 + root]
            comm.Gather(MPI.IN_PLACE, recvbuf, root)
            expected = [v for r in range(size) for v in (100 + r, 200 + r)]
            assert recvbuf.tolist() == expected
        else:
            comm.Gather(np.array([100 + rank, 200 + rank], dtype="i"), None, root)


def test_gather_root_only_args_ignored(comm):
    """On non-roots the receive buffer is ignored: None or a buffer that would be
    wrong at the root."""
    rank, size = comm.Get_rank(), comm.Get_size()
    root = 0
    wrong = np.zeros(size * 2 + 1, dtype="i")  # not a multiple of size at size > 1
    recvbuf = np.zeros(size, dtype="i") if rank == root else (None if rank % 2 else wrong)
    comm.Gather(np.array([rank], dtype="i"), recvbuf, root)
    if rank == root:
        assert recvbuf.tolist() == list(range(size))
    else:
        assert not wrong.any()


@pytest.mark.parametrize("code", CODES)
def test_scatter_types(code):
    comm = WORLD  # the datatype sweeps run on one communicator
    rank, size = comm.Get_rank(), comm.Get_size()
    n = 3
    for root in range(size):
        if rank == root:
            sendbuf = np.concatenate([data(code, r, n, salt=root) for r in range(size)])
        else:
            sendbuf = None
        recvbuf = np.zeros(n, dtype=code)
        comm.Scatter(sendbuf, recvbuf, root)
        assert np.array_equal(recvbuf, data(code, rank, n, salt=root))


def test_scatter_bufkinds(comm, bufkind):
    rank, size = comm.Get_rank(), comm.Get_size()
    root = size // 2
    values = [(5 * i + 2) % 256 for i in range(3 * size)]
    sendbuf = bufkind.make("B", values) if rank == root else None
    recvbuf = bufkind.make("B", 3)
    comm.Scatter(sendbuf, recvbuf, root)
    assert items(recvbuf) == values[3 * rank : 3 * rank + 3]


def test_scatter_in_place(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    for root in range(size):
        if rank == root:
            sendbuf = np.arange(2 * size, dtype="d")
            comm.Scatter(sendbuf, MPI.IN_PLACE, root)
            assert sendbuf.tolist() == list(range(2 * size))  # untouched
        else:
            recvbuf = np.zeros(2, dtype="d")
            comm.Scatter(None, recvbuf, root)
            assert recvbuf.tolist() == [2 * rank, 2 * rank + 1]


@pytest.mark.parametrize("code", CODES)
def test_allgather_types(code):
    comm = WORLD  # the datatype sweeps run on one communicator
    rank, size = comm.Get_rank(), comm.Get_size()
    sendbuf = data(code, rank, 4)
    recvbuf = np.zeros(4 * size, dtype=code)
    comm.Allgather(sendbuf, recvbuf)
    assert np.array_equal(recvbuf, np.concatenate([data(code, r, 4) for r in range(size)]))


def test_allgather_bufkinds(comm, bufkind):
    rank, size = comm.Get_rank(), comm.Get_size()
    for typecode in ("B", "i", "d"):
        sendbuf = bufkind.make(typecode, [rank, rank + 1])
        recvbuf = bufkind.make(typecode, 2 * size)
        comm.Allgather(sendbuf, recvbuf)
        assert items(recvbuf) == items(
            bufkind.make(typecode, [v for r in range(size) for v in (r, r + 1)])
        )


def test_allgather_in_place(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    recvbuf = np.full(3 * size, -1, dtype="q")
    recvbuf[3 * rank : 3 * rank + 3] = [rank, -rank, 7]
    comm.Allgather(MPI.IN_PLACE, recvbuf)
    assert recvbuf.tolist() == [v for r in range(size) for v in (r, -r, 7)]


def test_allgather_zero_count(comm):
    size = comm.Get_size()
    recvbuf = np.zeros(0, dtype="i")
    comm.Allgather(np.zeros(0, dtype="i"), recvbuf)
    marker = np.full(size, 5, dtype="i")
    comm.Allgather([np.zeros(1, dtype="i"), 0, MPI.INT], [marker, 0, MPI.INT])
    assert marker.tolist() == [5] * size


@pytest.mark.parametrize("code", CODES)
def test_alltoall_types(code):
    comm = WORLD  # the datatype sweeps run on one communicator
    rank, size = comm.Get_rank(), comm.Get_size()
    n = 2
    # block for destination d holds data(code, rank, n, salt=d)
    sendbuf = np.concatenate([data(code, rank, n, salt=d) for d in range(size)])
    recvbuf = np.zeros(n * size, dtype=code)
    comm.Alltoall(sendbuf, recvbuf)
    expected = np.concatenate([data(code, s, n, salt=rank) for s in range(size)])
    assert np.array_equal(recvbuf, expected)


def test_alltoall_bufkinds(comm, bufkind):
    rank, size = comm.Get_rank(), comm.Get_size()
    sendbuf = bufkind.make("B", [10 * rank + d for d in range(size)])
    recvbuf = bufkind.make("B", size)
    comm.Alltoall(sendbuf, recvbuf)
    assert items(recvbuf) == [10 * s + rank for s in range(size)]


def test_alltoall_in_place(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    buf = np.array([[100 * rank + d, -d] for d in range(size)], dtype="i").ravel()
    comm.Alltoall(MPI.IN_PLACE, buf)
    assert buf.tolist() == [v for s in range(size) for v in (100 * s + rank, -rank)]


# -- Vector variants -------------------------------------------------------------------


def vector_spec(form, buf, counts, displs, datatype):
    """The same vector message in the spec forms mpipy accepts."""
    if form == "4":
        return [buf, counts, displs, datatype]
    if form == "pair":
        return [buf, (counts, displs), datatype]
    if form == "pair-notype":
        return [buf, (counts, displs)]
    raise AssertionError(form)


VFORMS = ["4", "pair", "pair-notype"]


@pytest.mark.parametrize("form", VFORMS)
def test_gatherv(comm, form):
    rank, size = comm.Get_rank(), comm.Get_size()
    counts = uneven_counts(size)
    displs, total = scattered_displs(counts)
    for root in range(size):
        sendbuf = np.arange(counts[rank], dtype="d") + 10 * rank
        if rank == root:
            recvbuf = np.full(total, SENTINEL, dtype="d")
            spec = vector_spec(form, recvbuf, counts, displs, MPI.DOUBLE)
        else:
            spec = None
        comm.Gatherv(sendbuf, spec, root)
        if rank == root:
            expected = np.full(total, SENTINEL, dtype="d")
            for r in range(size):
                expected[displs[r] : displs[r] + counts[r]] = np.arange(counts[r]) + 10 * r
            assert recvbuf.tolist() == expected.tolist()


def test_gatherv_packed_default_displs(comm):
    """Without displacements the blocks are packed in rank order; counts alone is a
    spec too."""
    rank, size = comm.Get_rank(), comm.Get_size()
    counts = uneven_counts(size)
    root = size - 1
    sendbuf = np.full(counts[rank], rank, dtype="i")
    recvbuf = np.zeros(sum(counts), dtype="i")
    for spec in ([recvbuf, counts], [recvbuf, counts, MPI.INT], [recvbuf, counts, None, MPI.INT]):
        recvbuf[:] = -1
        comm.Gatherv(sendbuf, spec if rank == root else None, root)
        if rank == root:
            assert recvbuf.tolist() == [r for r in range(size) for _ in range(counts[r])]


def test_gatherv_in_place(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    counts = [r + 1 for r in range(size)]
    displs, total = scattered_displs(counts, gap=2)
    root = size // 2
    if rank == root:
        recvbuf = np.full(total, SENTINEL, dtype="i")
        recvbuf[displs[root] : displs[root] + counts[root]] = root
        comm.Gatherv(MPI.IN_PLACE, [recvbuf, counts, displs, MPI.INT], root)
        expected = np.full(total, SENTINEL, dtype="i")
        for r in range(size):
            expected[displs[r] : displs[r] + counts[r]] = r
        assert recvbuf.tolist() == expected.tolist()
    else:
        comm.Gatherv(np.full(counts[rank], rank, dtype="i"), None, root)


@pytest.mark.parametrize("form", VFORMS)
def test_scatterv(comm, form):
    rank, size = comm.Get_rank(), comm.Get_size()
    counts = uneven_counts(size)
    displs, total = scattered_displs(counts)
    for root in range(size):
        if rank == root:
            sendbuf = np.arange(total, dtype="q") * 3 + root
            spec = vector_spec(form, sendbuf, counts, displs, MPI.LONG_LONG)
        else:
            spec = None
        recvbuf = np.full(counts[rank] + 1, SENTINEL, dtype="q")
        comm.Scatterv(spec, [recvbuf, counts[rank], MPI.LONG_LONG], root)
        full = np.arange(total) * 3 + root
        mine = full[displs[rank] : displs[rank] + counts[rank]].tolist()
        assert recvbuf.tolist() == mine + [SENTINEL]


def test_scatterv_in_place(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    counts = [r + 1 for r in range(size)]
    displs, total = scattered_displs(counts)
    for root in range(size):
        if rank == root:
            sendbuf = np.arange(total, dtype="f")
            comm.Scatterv([sendbuf, counts, displs, MPI.FLOAT], MPI.IN_PLACE, root)
            assert sendbuf.tolist() == list(range(total))
        else:
            recvbuf = np.zeros(counts[rank], dtype="f")
            comm.Scatterv(None, recvbuf, root)
            start = displs[rank]
            assert recvbuf.tolist() == list(range(start, start + counts[rank]))


@pytest.mark.parametrize("form", VFORMS)
def test_allgatherv(comm, form):
    rank, size = comm.Get_rank(), comm.Get_size()
    counts = uneven_counts(size)
    displs, total = scattered_displs(counts)
    sendbuf = np.full(counts[rank], rank + 0.5, dtype="d")
    recvbuf = np.full(total, SENTINEL, dtype="d")
    comm.Allgatherv(sendbuf, vector_spec(form, recvbuf, counts, displs, MPI.DOUBLE))
    expected = np.full(total, SENTINEL, dtype="d")
    for r in range(size):
        expected[displs[r] : displs[r] + counts[r]] = r + 0.5
    assert recvbuf.tolist() == expected.tolist()


def test_allgatherv_in_place(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    counts = [2 * r + 1 for r in range(size)]
    displs, total = scattered_displs(counts)
    recvbuf = np.full(total, SENTINEL, dtype="h")
    recvbuf[displs[rank] : displs[rank] + counts[rank]] = rank
    comm.Allgatherv(MPI.IN_PLACE, [recvbuf, counts, displs, MPI.SHORT])
    expected = np.full(total, SENTINEL, dtype="h")
    for r in range(size):
        expected[displs[r] : displs[r] + counts[r]] = r
    assert recvbuf.tolist() == expected.tolist()


def alltoallv_layout(rank, size):
    """Counts and displacements of both sides of an uneven Alltoallv: rank s sends
    (s + d) % 3 items to rank d; blocks stored in reverse order with gaps."""
    scounts = [(rank + d) % 3 for d in range(size)]
    rcounts = [(s + rank) % 3 for s in range(size)]
    sdispls, stotal = scattered_displs(scounts)
    rdispls, rtotal = scattered_displs(rcounts, gap=2)
    return scounts, sdispls, stotal, rcounts, rdispls, rtotal


def alltoallv_value(source, dest, i):
    return 1000 * source + 10 * dest + i


@pytest.mark.parametrize("form", VFORMS)
def test_alltoallv(comm, form):
    rank, size = comm.Get_rank(), comm.Get_size()
    scounts, sdispls, stotal, rcounts, rdispls, rtotal = alltoallv_layout(rank, size)
    sendbuf = np.full(stotal, -7, dtype="i")
    for d in range(size):
        for i in range(scounts[d]):
            sendbuf[sdispls[d] + i] = alltoallv_value(rank, d, i)
    recvbuf = np.full(rtotal, SENTINEL, dtype="i")
    comm.Alltoallv(
        vector_spec(form, sendbuf, scounts, sdispls, MPI.INT),
        vector_spec(form, recvbuf, rcounts, rdispls, MPI.INT),
    )
    expected = np.full(rtotal, SENTINEL, dtype="i")
    for s in range(size):
        for i in range(rcounts[s]):
            expected[rdispls[s] + i] = alltoallv_value(s, rank, i)
    assert recvbuf.tolist() == expected.tolist()


def test_alltoallv_in_place(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    # In place, send and receive layouts are the same: rank s and d swap (s+d)%3+1 items.
    counts = [(rank + p) % 3 + 1 for p in range(size)]
    displs, total = scattered_displs(counts)
    buf = np.full(total, SENTINEL, dtype="d")
    for p in range(size):
        for i in range(counts[p]):
            buf[displs[p] + i] = alltoallv_value(rank, p, i)
    comm.Alltoallv(MPI.IN_PLACE, [buf, counts, displs, MPI.DOUBLE])
    expected = np.full(total, SENTINEL, dtype="d")
    for p in range(size):
        for i in range(counts[p]):
            expected[displs[p] + i] = alltoallv_value(p, rank, i)
    assert buf.tolist() == expected.tolist()


def alltoallw_type(a, b):
    """The datatype ranks a and b exchange (symmetric): INT or DOUBLE."""
    return (MPI.INT, "i") if (a + b) % 2 == 0 else (MPI.DOUBLE, "d")


def alltoallw_count(a, b):
    return (a + 2 * b) % 3  # items rank a sends to rank b


def test_alltoallw(comm):
    """Mixed datatypes per peer in byte buffers; byte displacements with gaps, blocks
    in reverse order."""
    rank, size = comm.Get_rank(), comm.Get_size()

    def layout(counts, peers):
        types, displs, at = [], [0] * size, 8
        for p in reversed(peers):
            displs[p] = at
            at += 8 * counts[p] + 8
        for p in range(size):
            types.append(alltoallw_type(rank, p)[0])
        return types, displs, at

    scounts = [alltoallw_count(rank, d) for d in range(size)]
    rcounts = [alltoallw_count(s, rank) for s in range(size)]
    stypes, sdispls, stotal = layout(scounts, list(range(size)))
    rtypes, rdispls, rtotal = layout(rcounts, list(range(size)))
    sendbuf = bytearray(stotal)
    for d in range(size):
        code = alltoallw_type(rank, d)[1]
        block = np.array([alltoallv_value(rank, d, i) for i in range(scounts[d])], dtype=code)
        sendbuf[sdispls[d] : sdispls[d] + block.nbytes] = block.tobytes()
    recvbuf = bytearray(b"\xee" * rtotal)
    comm.Alltoallw([sendbuf, scounts, sdispls, stypes], [recvbuf, rcounts, rdispls, rtypes])
    expected = bytearray(b"\xee" * rtotal)
    for s in range(size):
        code = alltoallw_type(s, rank)[1]
        block = np.array([alltoallv_value(s, rank, i) for i in range(rcounts[s])], dtype=code)
        expected[rdispls[s] : rdispls[s] + block.nbytes] = block.tobytes()
    assert recvbuf == expected


def test_alltoallw_one_type_packed(comm):
    """One datatype for all peers and counts without displacements: packed blocks."""
    rank, size = comm.Get_rank(), comm.Get_size()
    sendbuf = np.array([100 * rank + d for d in range(size) for _ in range(2)], dtype="i")
    recvbuf = np.zeros(2 * size, dtype="i")
    counts = [2] * size
    comm.Alltoallw([sendbuf, counts, None, MPI.INT], [recvbuf, (counts, None), MPI.INT])
    assert recvbuf.tolist() == [100 * s + rank for s in range(size) for _ in range(2)]


def test_alltoallw_in_place(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    counts = [(rank + p) % 2 + 1 for p in range(size)]
    types = [MPI.INT] * size
    displs = [8 * p for p in range(size)]  # room for 2 ints per peer
    buf = np.full(2 * size, SENTINEL, dtype="i")
    for p in range(size):
        buf[2 * p : 2 * p + counts[p]] = [alltoallv_value(rank, p, i) for i in range(counts[p])]
    comm.Alltoallw(MPI.IN_PLACE, [buf, counts, displs, types])
    for p in range(size):
        got = buf[2 * p : 2 * p + counts[p]].tolist()
        assert got == [alltoallv_value(p, rank, i) for i in range(counts[p])]


def test_vector_zero_counts(comm):
    size = comm.Get_size()
    zeros = [0] * size
    recvbuf = np.full(2, SENTINEL, dtype="i")
    comm.Allgatherv(np.zeros(0, dtype="i"), [recvbuf, zeros, [0] * size, MPI.INT])
    comm.Alltoallv([np.zeros(1, dtype="i"), zeros], [recvbuf, zeros])
    comm.Alltoallw(
        [bytearray(4), zeros, None, [MPI.INT] * size], [recvbuf, (zeros, None), [MPI.INT] * size]
    )
    assert recvbuf.tolist() == [SENTINEL] * 2


# -- Spec forms: counts per process, vector shorthands, None as IN_PLACE, BOTTOM -------


def test_block_count_is_per_process(comm):
    """In a block collective a count given in the spec is per process (the buffer may
    hold more); an inferred count is the buffer's divided among the processes."""
    rank, size = comm.Get_rank(), comm.Get_size()
    n = 3
    sendbuf = np.array([10 * rank + i for i in range(n)], dtype="i")
    recvbuf = np.full(n * size + 2, SENTINEL, dtype="i")  # 2 spare items stay untouched
    comm.Allgather(sendbuf, [recvbuf, n, MPI.INT])
    assert recvbuf.tolist() == [10 * r + i for r in range(size) for i in range(n)] + [SENTINEL] * 2
    for root in range(size):
        recvbuf[:] = SENTINEL
        comm.Gather(
            [sendbuf, 2, MPI.INT], [recvbuf, (2, 1), MPI.INT] if rank == root else None, root
        )
        if rank == root:
            got = recvbuf.tolist()
            assert got == [SENTINEL] + [10 * r + i for r in range(size) for i in range(2)] + [
                SENTINEL
            ] * (n * size + 1 - 2 * size)
    # Scatter: the root's [buf, count, datatype] sends `count` items to each process
    sendbuf = np.arange(2 * size + 1, dtype="d")
    recvbuf = np.full(2, -1.0)
    comm.Scatter([sendbuf, 2, MPI.DOUBLE], recvbuf, 0)
    assert recvbuf.tolist() == [2.0 * rank, 2.0 * rank + 1]
    # Alltoall with counts in both specs, buffers larger than needed
    sendbuf = np.array([100 * rank + d for d in range(size)] + [-5], dtype="q")
    recvbuf = np.full(size + 3, SENTINEL, dtype="q")
    comm.Alltoall([sendbuf, 1, MPI.INT64_T], [recvbuf, 1, MPI.INT64_T])
    assert recvbuf.tolist() == [100 * s + rank for s in range(size)] + [SENTINEL] * 3


def test_block_count_bad(comm):
    """A given count must fit `size` times; an inferred one must divide (every rank checks
    the same numbers, so every rank raises)."""
    size = comm.Get_size()
    with pytest.raises(ValueError):
        comm.Allgather(np.zeros(2, dtype="i"), [np.zeros(2 * size, dtype="i"), 3, MPI.INT])
    if size > 1:
        with pytest.raises(ValueError):
            comm.Allgather(np.zeros(2, dtype="i"), np.zeros(2 * size + 1, dtype="i"))


# Vector specs in every spelling: name -> (spec made from buf, the counts and
# displacements it stands for at `size` processes over a buffer of n items).
def vector_shorthands(n, size):
    even = [n // size + (1 if n % size > i else 0) for i in range(size)]
    packed = [sum(even[:i]) for i in range(size)]
    c = n // size
    same, strided = [c] * size, [c * i for i in range(size)]
    return {
        "bare buffer": (lambda b: b, even, packed),
        "[buf, datatype]": (lambda b: [b, MPI.INT], even, packed),
        "[buf, typecode]": (lambda b: [b, "i"], even, packed),
        "[buf, count]": (lambda b: [b, c], same, strided),
        "[buf, counts]": (lambda b: [b, even], even, packed),
        "[buf, counts, datatype]": (lambda b: [b, even, MPI.INT], even, packed),
        "[buf, (count, stride)]": (lambda b: [b, (1, c)], [1] * size, strided),
        "[buf, (count, None), dt]": (lambda b: [b, (c, None), MPI.INT], same, strided),
        "[buf, (counts, displs)]": (lambda b: [b, (even, packed)], even, packed),
        "[buf, None, None, dt]": (lambda b: [b, None, None, MPI.INT], even, packed),
        "[buf, counts, None, None]": (lambda b: [b, even, None, None], even, packed),
        "[buf, count, stride, dt]": (lambda b: [b, 1, c, MPI.INT], [1] * size, strided),
        "NumPy arrays": (lambda b: [b, (np.array(even), np.array(packed))], even, packed),
        "NumPy scalars": (lambda b: [b, (np.int64(c), np.int32(c)), MPI.INT], same, strided),
        "0-d arrays": (lambda b: [b, np.array(c), np.array(c), "i"], same, strided),
    }


@pytest.mark.parametrize("name", list(vector_shorthands(3, 1)))
def test_vector_shorthands(comm, name):
    """Each spelling of a vector spec means the counts and displacements mpi4py gives
    it: a bare buffer is split as evenly as possible, one integer count is every
    process's, one integer displacement d puts block i at d * i, None displacements
    pack the blocks. Checked on Allgatherv (receive side) and Alltoallv (both sides)."""
    rank, size = comm.Get_rank(), comm.Get_size()
    n = 2 * size + 1  # uneven split: the first process gets one more
    make, counts, displs = vector_shorthands(n, size)[name]
    recvbuf = np.full(n, SENTINEL, dtype="i")
    sendbuf = np.array([100 * rank + i for i in range(counts[rank])], dtype="i")
    comm.Allgatherv(sendbuf, make(recvbuf))
    expected = [SENTINEL] * n
    for r in range(size):
        expected[displs[r] : displs[r] + counts[r]] = [100 * r + i for i in range(counts[r])]
    assert recvbuf.tolist() == expected
    if len(set(counts)) == 1:  # the same count both ways: Alltoallv with the spelling on both sides
        sendbuf = np.full(n, -1, dtype="i")
        for d in range(size):
            block = [1000 * rank + 10 * d + i for i in range(counts[d])]
            sendbuf[displs[d] : displs[d] + counts[d]] = block
        recvbuf[:] = SENTINEL
        comm.Alltoallv(make(sendbuf), make(recvbuf))
        expected = [SENTINEL] * n
        for s in range(size):
            block = [1000 * s + 10 * rank + i for i in range(counts[s])]
            expected[displs[s] : displs[s] + counts[s]] = block
        assert recvbuf.tolist() == expected


def test_vector_shorthands_rooted(comm):
    """Gatherv and Scatterv with a bare buffer and with one integer count."""
    rank, size = comm.Get_rank(), comm.Get_size()
    for root in range(size):
        recvbuf = np.full(2 * size, SENTINEL, dtype="i") if rank == root else None
        comm.Gatherv(np.array([rank, -rank], dtype="i"), recvbuf, root)
        if rank == root:
            assert recvbuf.tolist() == [v for r in range(size) for v in (r, -r)]
        comm.Gatherv(np.array([rank], dtype="i"), [recvbuf, 1] if rank == root else None, root)
        if rank == root:
            assert recvbuf[:size].tolist() == list(range(size))
        sendbuf = np.arange(3 * size, dtype="i") + 100 * root if rank == root else None
        recvbuf = np.full(3, SENTINEL, dtype="i")
        comm.Scatterv([sendbuf, (2, 3)] if rank == root else None, [recvbuf, 2, MPI.INT], root)
        assert recvbuf.tolist() == [100 * root + 3 * rank, 100 * root + 3 * rank + 1, SENTINEL]


def test_vector_tuple_is_a_pair_list_is_counts():
    """In [buf, X] and [buf, X, datatype] a tuple X is (counts, displs), a list X is
    counts; an integer displacement is a stride (block i at d * i)."""
    comm = MPI.COMM_SELF
    recvbuf = np.full(4, SENTINEL, dtype="i")
    comm.Allgatherv(np.array([7], dtype="i"), [recvbuf, (1, [2])])
    assert recvbuf.tolist() == [SENTINEL, SENTINEL, 7, SENTINEL]
    recvbuf[:] = SENTINEL
    comm.Allgatherv(np.array([7], dtype="i"), [recvbuf, (1, 2)])
    assert recvbuf.tolist() == [7, SENTINEL, SENTINEL, SENTINEL]
    recvbuf[:] = SENTINEL
    comm.Allgatherv(np.array([7, 8], dtype="i"), [recvbuf, [2], MPI.INT])
    assert recvbuf.tolist() == [7, 8, SENTINEL, SENTINEL]


def test_vector_spec_errors():
    comm = MPI.COMM_SELF
    sendbuf = np.zeros(2, dtype="i")
    recvbuf = np.zeros(4, dtype="i")
    with pytest.raises(ValueError):  # 2 to 4 items
        comm.Allgatherv(sendbuf, [recvbuf, [2], [0], MPI.INT, None])
    with pytest.raises(ValueError):
        comm.Allgatherv(sendbuf, [recvbuf])
    with pytest.raises(ValueError):  # a tuple is a (counts, displs) pair
        comm.Allgatherv(sendbuf, [recvbuf, (2, 0, 0), MPI.INT])
    with pytest.raises(TypeError):  # counts must be integers
        comm.Allgatherv(sendbuf, [recvbuf, [2.0], MPI.INT])
    with pytest.raises(TypeError):
        comm.Allgatherv(sendbuf, [recvbuf, np.array([2.5]), MPI.INT])
    with pytest.raises(TypeError):
        comm.Allgatherv(sendbuf, [recvbuf, np.array(2.0), MPI.INT])
    with pytest.raises(TypeError):  # a vector receive buffer cannot be None
        comm.Allgatherv(sendbuf, None)
    with pytest.raises(ValueError):  # 5 bytes are not a whole number of ints to split
        comm.Alltoallv([bytearray(5), None, [0], "i"], [recvbuf, [0], [0], "i"])
    with pytest.raises(ValueError):
        comm.Alltoallv([recvbuf, None, [0], MPI.DATATYPE_NULL], [recvbuf, [0], [0], "i"])
    with pytest.raises(KeyError):  # a type code that names no datatype
        comm.Alltoallv([recvbuf, [0], [0], "no such code"], [recvbuf, [0], [0], "i"])
    with pytest.raises(TypeError):  # not a buffer
        comm.Alltoallv([[1, 2], [0], [0], "i"], [recvbuf, [0], [0], "i"])


def test_vector_none_and_bottom_buffers():
    """None and BOTTOM with a datatype are empty vector buffers (or absolute addresses)."""
    comm = MPI.COMM_SELF
    comm.Alltoallv([None, 0, "B"], [None, "B"])
    comm.Alltoallv([MPI.BOTTOM, 0, [0], "B"], [MPI.BOTTOM, "B"])


def test_none_send_buffer_is_in_place(comm):
    """As in mpi4py, None for a send buffer that may be IN_PLACE means IN_PLACE."""
    rank, size = comm.Get_rank(), comm.Get_size()
    buf = np.full(2 * size, -1, dtype="i")
    buf[2 * rank : 2 * rank + 2] = [rank, 10 * rank]
    comm.Allgather(None, buf)
    assert buf.tolist() == [v for r in range(size) for v in (r, 10 * r)]

    counts = [r + 1 for r in range(size)]
    displs = [sum(counts[:r]) for r in range(size)]
    buf = np.full(sum(counts), -1, dtype="i")
    buf[displs[rank] : displs[rank] + counts[rank]] = rank
    comm.Allgatherv(None, [buf, counts, displs, MPI.INT])
    assert buf.tolist() == [r for r in range(size) for _ in range(counts[r])]

    buf = np.array([100 * rank + d for d in range(size)], dtype="i")
    comm.Alltoall(None, buf)
    assert buf.tolist() == [100 * s + rank for s in range(size)]

    buf = np.array([rank + 1] * 3, dtype="d")
    comm.Allreduce(None, buf, MPI.SUM)
    assert buf.tolist() == [size * (size + 1) / 2] * 3
    buf = np.array([rank + 1], dtype="i")
    comm.Scan(None, buf, MPI.SUM)
    assert buf.tolist() == [(rank + 1) * (rank + 2) // 2]

    buf = np.array([rank] * size, dtype="i")
    comm.Reduce_scatter_block(None, buf, MPI.SUM)
    assert buf[0] == size * (size - 1) // 2

    for root in range(size):
        if rank == root:
            buf = np.full(size, -1, dtype="i")
            buf[root] = root
            comm.Gather(None, buf, root)
            assert buf.tolist() == list(range(size))
            buf = np.arange(size, dtype="i") * 3
            comm.Scatter(buf, None, root)
            assert buf.tolist() == [3 * r for r in range(size)]
            buf = np.array([rank], dtype="i")
            comm.Reduce(None, buf, MPI.MAX, root)
            assert buf.tolist() == [size - 1]
        else:
            comm.Gather(np.array([rank], dtype="i"), None, root)
            out = np.full(1, -1, dtype="i")
            comm.Scatter(None, out, root)
            assert out.tolist() == [3 * rank]
            comm.Reduce(np.array([rank], dtype="i"), None, MPI.MAX, root)


def test_alltoallw_forms(comm):
    """Alltoallw spellings: [buf, datatypes] (one item per process at offset 0, for
    datatypes that carry the layout), [buf, (counts, displs), datatypes], and
    [buf, None, None, datatypes]."""
    rank, size = comm.Get_rank(), comm.Get_size()
    # one INT per process, block i at byte 4 * i: a datatype per peer resized to start there
    sendbuf = np.array([100 * rank + d for d in range(size)], dtype="i")
    recvbuf = np.full(size, SENTINEL, dtype="i")
    types = [MPI.INT.Create_indexed_block(1, [i]).Commit() for i in range(size)]
    try:
        comm.Alltoallw([sendbuf, types], [recvbuf, None, None, types])
        assert recvbuf.tolist() == [100 * s + rank for s in range(size)]
    finally:
        for t in types:
            t.Free()
    recvbuf[:] = SENTINEL
    byte_displs = [4 * i for i in range(size)]
    comm.Alltoallw(
        [sendbuf, ([1] * size, byte_displs), [MPI.INT] * size],
        (recvbuf, ([1] * size, byte_displs), [MPI.INT] * size),
    )
    assert recvbuf.tolist() == [100 * s + rank for s in range(size)]


def test_alltoallw_bottom(comm):
    """BOTTOM with datatypes holding absolute addresses (Get_address), and counts and
    displacements given (they are required with BOTTOM)."""
    rank, size = comm.Get_rank(), comm.Get_size()
    sendbuf = np.array([100 * rank + d for d in range(size)], dtype="i")
    recvbuf = np.full(size, SENTINEL, dtype="i")
    saddr, raddr = MPI.Get_address(sendbuf), MPI.Get_address(recvbuf)
    stypes = [
        MPI.Datatype.Create_struct([1], [saddr + 4 * d], [MPI.INT]).Commit() for d in range(size)
    ]
    rtypes = [
        MPI.Datatype.Create_struct([1], [raddr + 4 * s], [MPI.INT]).Commit() for s in range(size)
    ]
    try:
        comm.Alltoallw(
            (MPI.BOTTOM, ([1] * size, [0] * size), stypes),
            [None, [1] * size, [0] * size, rtypes],
        )
        assert recvbuf.tolist() == [100 * s + rank for s in range(size)]
        # absolute addresses as byte displacements of plain datatypes
        recvbuf[:] = SENTINEL
        if LARGE_COUNTS:
            comm.Alltoallw(
                [MPI.BOTTOM, [1] * size, [saddr + 4 * d for d in range(size)], [MPI.INT] * size],
                [MPI.BOTTOM, [1] * size, [raddr + 4 * s for s in range(size)], [MPI.INT] * size],
            )
            assert recvbuf.tolist() == [100 * s + rank for s in range(size)]
        else:  # int displacements: an address beyond 2**31 cannot be one (on COMM_SELF here,
            # where no other rank can be left waiting)
            spec = [[MPI.BOTTOM, [1], [a], [MPI.INT]] for a in (saddr, raddr)]
            if max(saddr, raddr) > 2**31 - 1:
                with pytest.raises(ValueError):
                    MPI.COMM_SELF.Alltoallw(*spec)
            else:
                MPI.COMM_SELF.Alltoallw(*spec)
                assert recvbuf[0] == 100 * rank
        with pytest.raises(ValueError):  # BOTTOM needs counts and displacements
            comm.Alltoallw([MPI.BOTTOM, stypes], [MPI.BOTTOM, rtypes])
        with pytest.raises(ValueError):
            comm.Alltoallw([MPI.BOTTOM, [1] * size, None, stypes], [MPI.BOTTOM, rtypes])
    finally:
        for t in stypes + rtypes:
            t.Free()


def test_alltoallw_spec_errors():
    comm = MPI.COMM_SELF
    buf = bytearray(4)
    good = [bytearray(4), [0], [0], [MPI.BYTE]]
    with pytest.raises(ValueError):  # 2 to 4 items
        comm.Alltoallw([buf], good)
    with pytest.raises(ValueError):
        comm.Alltoallw([buf, [0], [0], [MPI.BYTE], None], good)
    with pytest.raises(ValueError):
        comm.Alltoallw(good, [buf, [0], [0], [MPI.BYTE], None])
    with pytest.raises(TypeError):  # a list or tuple, not a bare buffer
        comm.Alltoallw(buf, good)
    with pytest.raises(TypeError):  # displacements without counts
        comm.Alltoallw([buf, None, [0], [MPI.BYTE]], good)


# -- Reductions ------------------------------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_allreduce_ops(code):
    comm = WORLD  # the datatype sweeps run on one communicator
    rank, size = comm.Get_rank(), comm.Get_size()
    n = 7
    for opname in ops_for(code):
        sendbuf = data(code, rank, n, op=opname)
        recvbuf = np.zeros(n, dtype=code)
        comm.Allreduce(sendbuf, recvbuf, getattr(MPI, opname))
        expected = reduced(opname, [data(code, r, n, op=opname) for r in range(size)], code)
        assert np.array_equal(recvbuf, expected), opname


@pytest.mark.parametrize("code", CODES)
def test_reduce_ops(code):
    comm = WORLD  # the datatype sweeps run on one communicator
    rank, size = comm.Get_rank(), comm.Get_size()
    n = 5
    root = size - 1
    for opname in ops_for(code):
        sendbuf = data(code, rank, n, op=opname)
        recvbuf = np.zeros(n, dtype=code) if rank == root else None
        comm.Reduce(sendbuf, recvbuf, op=getattr(MPI, opname), root=root)
        if rank == root:
            arrays = [data(code, r, n, op=opname) for r in range(size)]
            assert np.array_equal(recvbuf, reduced(opname, arrays, code)), opname


@pytest.mark.parametrize("code", CODES)
def test_scan_exscan_ops(code):
    comm = WORLD  # the datatype sweeps run on one communicator
    rank, size = comm.Get_rank(), comm.Get_size()
    n = 4
    for opname in ops_for(code):
        arrays = [data(code, r, n, op=opname) for r in range(size)]
        recvbuf = np.zeros(n, dtype=code)
        comm.Scan(arrays[rank], recvbuf, getattr(MPI, opname))
        assert np.array_equal(recvbuf, reduced(opname, arrays[: rank + 1], code)), opname
        recvbuf = np.zeros(n, dtype=code)
        comm.Exscan(arrays[rank], recvbuf, getattr(MPI, opname))
        if rank > 0:  # undefined at rank 0
            assert np.array_equal(recvbuf, reduced(opname, arrays[:rank], code)), opname


@pytest.mark.parametrize("code", ["b", "i", "Q", "d", "D", "?"])
def test_reduce_scatter_block_ops(code):
    comm = WORLD  # the datatype sweeps run on one communicator
    rank, size = comm.Get_rank(), comm.Get_size()
    n = 3
    for opname in ops_for(code):
        arrays = [data(code, r, n * size, op=opname) for r in range(size)]
        recvbuf = np.zeros(n, dtype=code)
        comm.Reduce_scatter_block(arrays[rank], recvbuf, getattr(MPI, opname))
        whole = reduced(opname, arrays, code)
        assert np.array_equal(recvbuf, whole[n * rank : n * rank + n]), opname


@pytest.mark.parametrize("code", ["h", "I", "f", "F", "?"])
def test_reduce_scatter_ops(code):
    comm = WORLD  # the datatype sweeps run on one communicator
    rank, size = comm.Get_rank(), comm.Get_size()
    counts = uneven_counts(size)
    total, start = sum(counts), sum(counts[:rank])
    for opname in ops_for(code):
        arrays = [data(code, r, total, op=opname) for r in range(size)]
        recvbuf = np.zeros(counts[rank], dtype=code)
        comm.Reduce_scatter(arrays[rank], recvbuf, counts, getattr(MPI, opname))
        whole = reduced(opname, arrays, code)
        assert np.array_equal(recvbuf, whole[start : start + counts[rank]]), opname


def test_reduce_scatter_default_counts(comm):
    """Without recvcounts each process receives what its receive buffer holds."""
    rank, size = comm.Get_rank(), comm.Get_size()
    counts = uneven_counts(size)
    total, start = sum(counts), sum(counts[:rank])
    arrays = [data("i", r, total) for r in range(size)]
    recvbuf = np.zeros(counts[rank], dtype="i")
    comm.Reduce_scatter(arrays[rank], recvbuf)  # op defaults to SUM
    assert recvbuf.tolist() == reduced("SUM", arrays, "i")[start : start + counts[rank]].tolist()


def test_reductions_default_op_is_sum(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    recvbuf = np.zeros(2, dtype="i")
    comm.Allreduce(np.array([rank, 1], dtype="i"), recvbuf)
    assert recvbuf.tolist() == [size * (size - 1) // 2, size]
    comm.Reduce(np.array([rank, 1], dtype="i"), recvbuf if rank == 0 else None)
    if rank == 0:
        assert recvbuf.tolist() == [size * (size - 1) // 2, size]
    comm.Scan(np.array([rank, 1], dtype="i"), recvbuf)
    assert recvbuf.tolist() == [rank * (rank + 1) // 2, rank + 1]


def test_reductions_bufkinds(comm, bufkind):
    rank, size = comm.Get_rank(), comm.Get_size()
    for typecode in ("B", "i", "d"):
        sendbuf = bufkind.make(typecode, [rank + 1, 2, 3])
        recvbuf = bufkind.make(typecode, 3)
        comm.Allreduce(sendbuf, recvbuf, MPI.MAX)
        assert items(recvbuf) == items(bufkind.make(typecode, [size, 2, 3]))
        comm.Allreduce(sendbuf, recvbuf, MPI.SUM)
        assert items(recvbuf) == items(
            bufkind.make(typecode, [size * (size + 1) // 2, 2 * size, 3 * size])
        )


def test_reductions_in_place(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    arrays = [data("i", r, 6) for r in range(size)]
    total = reduced("SUM", arrays, "i")

    buf = arrays[rank].copy()
    comm.Allreduce(MPI.IN_PLACE, buf, MPI.SUM)
    assert buf.tolist() == total.tolist()

    for root in range(size):
        buf = arrays[rank].copy()
        if rank == root:
            comm.Reduce(MPI.IN_PLACE, buf, MPI.SUM, root)
            assert buf.tolist() == total.tolist()
        else:
            comm.Reduce(buf, None, MPI.SUM, root)
            assert buf.tolist() == arrays[rank].tolist()

    buf = arrays[rank].copy()
    comm.Scan(MPI.IN_PLACE, buf, MPI.SUM)
    assert buf.tolist() == reduced("SUM", arrays[: rank + 1], "i").tolist()

    buf = arrays[rank].copy()
    comm.Exscan(MPI.IN_PLACE, buf, MPI.SUM)
    if rank > 0:
        assert buf.tolist() == reduced("SUM", arrays[:rank], "i").tolist()


def test_reduce_scatter_in_place(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    n = 2
    arrays = [data("q", r, n * size) for r in range(size)]
    whole = reduced("SUM", arrays, "q")
    buf = arrays[rank].copy()
    comm.Reduce_scatter_block(MPI.IN_PLACE, buf, MPI.SUM)
    assert buf[:n].tolist() == whole[n * rank : n * rank + n].tolist()

    counts = uneven_counts(size)
    total, start = sum(counts), sum(counts[:rank])
    arrays = [data("d", r, total) for r in range(size)]
    buf = arrays[rank].copy()
    comm.Reduce_scatter(MPI.IN_PLACE, buf, counts, MPI.SUM)
    assert (
        buf[: counts[rank]].tolist()
        == reduced("SUM", arrays, "d")[start : start + counts[rank]].tolist()
    )


def test_reductions_zero_count(comm):
    buf = np.zeros(0, dtype="d")
    comm.Allreduce(np.zeros(0, dtype="d"), buf, MPI.SUM)
    comm.Reduce(np.zeros(0, dtype="d"), buf, MPI.MAX, 0)
    comm.Scan(np.zeros(0, dtype="d"), buf, MPI.PROD)
    comm.Exscan(np.zeros(0, dtype="d"), buf, MPI.PROD)
    comm.Reduce_scatter_block(np.zeros(0, dtype="d"), buf, MPI.SUM)
    comm.Reduce_scatter(np.zeros(0, dtype="d"), buf, [0] * comm.Get_size(), MPI.SUM)
    assert buf.size == 0


# MAXLOC/MINLOC: NumPy structured arrays laid out like MPI's pair types.
PAIRS = {
    "DOUBLE_INT": np.dtype([("v", "f8"), ("i", "i4")], align=True),
    "FLOAT_INT": np.dtype([("v", "f4"), ("i", "i4")], align=True),
    "LONG_INT": np.dtype([("v", "l"), ("i", "i4")], align=True),
    "SHORT_INT": np.dtype([("v", "i2"), ("i", "i4")], align=True),
    "INT_INT": np.dtype([("v", "i4"), ("i", "i4")], align=True),
}


def loc_pairs(rank, n):
    """(value, index) pairs of one rank: few distinct values, so ties are common; the
    index is the rank, or for odd positions a rank-dependent index that is not
    increasing with the rank (so ties must pick the lowest index, not the first rank)."""
    return [((rank * 3 + i) % 4, rank if i % 2 == 0 else 10 - rank) for i in range(n)]


def expected_loc(opname, all_pairs):
    """Element-wise MAXLOC/MINLOC over ranks: best value, lowest index among ties."""
    out = []
    for column in zip(*all_pairs):
        best = max(v for v, _ in column) if opname == "MAXLOC" else min(v for v, _ in column)
        out.append((best, min(i for v, i in column if v == best)))
    return out


@pytest.mark.parametrize("pairname", list(PAIRS))
def test_maxloc_minloc(comm, pairname):
    rank, size = comm.Get_rank(), comm.Get_size()
    dtype = PAIRS[pairname]
    mpitype = getattr(MPI, pairname)
    assert mpitype.Get_extent()[1] == dtype.itemsize
    n = 6
    mine = np.array(loc_pairs(rank, n), dtype=dtype)
    all_pairs = [loc_pairs(r, n) for r in range(size)]
    for opname in ("MAXLOC", "MINLOC"):
        op = getattr(MPI, opname)
        recvbuf = np.zeros(n, dtype=dtype)
        comm.Allreduce([mine, mpitype], [recvbuf, mpitype], op)
        assert [tuple(x) for x in recvbuf.tolist()] == expected_loc(opname, all_pairs)
        root = size // 2
        recvbuf = np.zeros(n, dtype=dtype)
        comm.Reduce([mine, mpitype], [recvbuf, mpitype] if rank == root else None, op, root)
        if rank == root:
            assert [tuple(x) for x in recvbuf.tolist()] == expected_loc(opname, all_pairs)
        recvbuf = np.zeros(n, dtype=dtype)
        comm.Scan([mine, mpitype], [recvbuf, mpitype], op)
        assert [tuple(x) for x in recvbuf.tolist()] == expected_loc(opname, all_pairs[: rank + 1])


def test_maxloc_flat_int_pairs(comm):
    """[buf, MPI.INT_INT] over a flat int32 array: count is in pairs."""
    rank, size = comm.Get_rank(), comm.Get_size()
    n = 4
    flat = np.array([x for pair in loc_pairs(rank, n) for x in pair], dtype="i")
    recvbuf = np.zeros(2 * n, dtype="i")
    comm.Allreduce([flat, MPI.INT_INT], [recvbuf, MPI.INT_INT], MPI.MAXLOC)
    expected = expected_loc("MAXLOC", [loc_pairs(r, n) for r in range(size)])
    assert recvbuf.tolist() == [x for pair in expected for x in pair]
    # an explicit count of pairs reduces only the first ones
    recvbuf[:] = -1
    comm.Allreduce([flat, 1, MPI.INT_INT], [recvbuf, 1, MPI.INT_INT], MPI.MINLOC)
    first = expected_loc("MINLOC", [loc_pairs(r, 1) for r in range(size)])[0]
    assert recvbuf.tolist() == list(first) + [-1] * (2 * n - 2)


# -- Bad input -------------------------------------------------------------------------


def test_bad_vector_counts_and_displs():
    """Vector specs are checked before MPI is called (on COMM_SELF: one process)."""
    comm = MPI.COMM_SELF
    sendbuf = np.zeros(3, dtype="i")
    recvbuf = np.zeros(3, dtype="i")
    with pytest.raises(ValueError):  # two counts for one process
        comm.Gatherv(sendbuf, [recvbuf, [1, 2], [0, 1], MPI.INT])
    with pytest.raises(ValueError):  # two displacements for one count
        comm.Gatherv(sendbuf, [recvbuf, [3], [0, 1], MPI.INT])
    with pytest.raises(ValueError):  # count beyond the buffer
        comm.Gatherv(sendbuf, [recvbuf, [4], [0], MPI.INT])
    with pytest.raises(ValueError):  # displacement pushes the block out
        comm.Scatterv([sendbuf, [3], [1], MPI.INT], recvbuf)
    with pytest.raises(ValueError):
        comm.Allgatherv(sendbuf, [recvbuf, ([2, 2], None), MPI.INT])
    with pytest.raises(ValueError):
        comm.Alltoallv([sendbuf, [4]], [recvbuf, [3]])
    with pytest.raises(ValueError):  # negative count
        comm.Alltoallv([sendbuf, [-1]], [recvbuf, [3]])
    with pytest.raises(ValueError):  # Alltoallw: byte displacement beyond the buffer
        comm.Alltoallw([sendbuf, [1], [12], [MPI.INT]], [recvbuf, [1], [0], [MPI.INT]])
    with pytest.raises(ValueError):  # Alltoallw: datatypes for two processes
        comm.Alltoallw([sendbuf, [1], [0], [MPI.INT] * 2], [recvbuf, [1], [0], [MPI.INT]])
    with pytest.raises(TypeError):  # Alltoallw needs datatypes
        comm.Alltoallw([sendbuf, [1], [0], ["i"]], [recvbuf, [1], [0], [MPI.INT]])


def test_bad_counts_exceeding_buffers():
    comm = MPI.COMM_SELF
    buf = np.zeros(4, dtype="i")
    with pytest.raises(ValueError):
        comm.Bcast([buf, 5, MPI.INT])
    with pytest.raises(ValueError):
        comm.Bcast([buf, (2, 3), MPI.INT])
    with pytest.raises(ValueError):
        comm.Allgather([buf, 5, MPI.INT], buf)
    with pytest.raises(ValueError):  # send and receive counts of a reduction differ
        comm.Allreduce(buf, np.zeros(3, dtype="i"))
    with pytest.raises(ValueError):
        comm.Reduce(buf, np.zeros(5, dtype="i"), MPI.SUM, 0)
    with pytest.raises(ValueError):
        comm.Scan(np.zeros(3, dtype="i"), buf)
    with pytest.raises(ValueError):
        comm.Exscan(np.zeros(3, dtype="i"), buf)
    with pytest.raises(ValueError):  # sendbuf must hold size * recvcount
        comm.Reduce_scatter_block(np.zeros(3, dtype="i"), buf)
    with pytest.raises(ValueError):  # recvcounts sum beyond the send buffer
        comm.Reduce_scatter(np.zeros(3, dtype="i"), buf, [4])
    with pytest.raises(ValueError):  # my count beyond the receive buffer
        comm.Reduce_scatter(np.zeros(6, dtype="i"), buf, [6])


def test_bad_block_counts(comm):
    """A block spec must divide evenly among the processes (checked on every rank)."""
    size = comm.Get_size()
    if size == 1:
        pytest.skip("every count divides among 1 process")
    sendbuf = np.zeros(2, dtype="i")
    with pytest.raises(ValueError):
        comm.Allgather(sendbuf, np.zeros(2 * size + 1, dtype="i"))
    with pytest.raises(ValueError):
        comm.Alltoall(np.zeros(size + 1, dtype="i"), np.zeros(size, dtype="i"))
    with pytest.raises(ValueError):
        comm.Allgatherv(sendbuf, [np.zeros(8, dtype="i"), [1] * (size + 1)])


def test_bad_datatype_mismatch_in_reductions():
    comm = MPI.COMM_SELF
    with pytest.raises(ValueError):
        comm.Allreduce(np.zeros(3, dtype="i"), np.zeros(3, dtype="f"))
    with pytest.raises(ValueError):
        comm.Scan(np.zeros(3, dtype="d"), np.zeros(3, dtype="q"))


def test_invalid_root(comm):
    size = comm.Get_size()
    buf = np.zeros(2, dtype="i")
    for root in (size, -5):
        with pytest.raises((MPI.Exception, ValueError)) as excinfo:
            comm.Bcast(buf, root)
        if excinfo.type is MPI.Exception:
            assert error_class(excinfo) == MPI.ERR_ROOT
    with pytest.raises((MPI.Exception, ValueError)) as excinfo:
        comm.Reduce(buf, buf.copy(), MPI.SUM, size)
    if excinfo.type is MPI.Exception:
        assert error_class(excinfo) == MPI.ERR_ROOT


def test_invalid_op_for_datatype(comm):
    fbuf = np.ones(3, dtype="d")
    for op in (MPI.BAND, MPI.BOR, MPI.BXOR):
        with pytest.raises(MPI.Exception) as excinfo:
            comm.Allreduce(fbuf, np.zeros(3, dtype="d"), op)
        assert error_class(excinfo) == MPI.ERR_OP
    with pytest.raises(MPI.Exception) as excinfo:  # complex numbers are not ordered
        comm.Allreduce(np.ones(2, dtype="D"), np.zeros(2, dtype="D"), MPI.MAX)
    assert error_class(excinfo) == MPI.ERR_OP
    with pytest.raises(MPI.Exception) as excinfo:  # MAXLOC needs a pair type
        comm.Allreduce(np.ones(2, dtype="i"), np.zeros(2, dtype="i"), MPI.MAXLOC)
    assert error_class(excinfo) == MPI.ERR_OP


def test_wrong_types():
    comm = MPI.COMM_SELF
    buf = np.zeros(3, dtype="i")
    with pytest.raises(TypeError):
        comm.Allreduce(buf, buf.copy(), "sum")
    with pytest.raises(TypeError):
        comm.Allreduce(buf, buf.copy(), np.add)
    with pytest.raises(TypeError):
        comm.Bcast(3)
    with pytest.raises(TypeError):
        comm.Bcast("text")
    with pytest.raises(TypeError):
        comm.Bcast(buf, "0")
    with pytest.raises(BufferError):  # read-only receive buffer
        comm.Allgather(buf, bytes(12))
    with pytest.raises(TypeError):
        comm.Gatherv(buf, [buf, 3.5, MPI.INT])
    with pytest.raises(TypeError):
        comm.Bcast([buf, 3, object()])
    with pytest.raises(KeyError):  # a type code string that names no datatype
        comm.Bcast([buf, 3, "not a type code"])
    with pytest.raises((TypeError, ValueError)):
        comm.Bcast([buf, 3, MPI.INT, 0, 1])
    with pytest.raises(ValueError):  # IN_PLACE where MPI does not allow it
        comm.Bcast(MPI.IN_PLACE)
    with pytest.raises(ValueError):
        comm.Allreduce(buf, MPI.IN_PLACE)


def test_in_place_rejected_on_non_roots():
    """IN_PLACE as the send buffer is the root's privilege in rooted collectives."""
    comm = MPI.COMM_WORLD
    if comm.Get_size() == 1:
        pytest.skip("needs a non-root process")
    # every rank but the root raises before MPI is called; the root takes no part
    rank = comm.Get_rank()
    if rank != 0:
        with pytest.raises(ValueError):
            comm.Gather(MPI.IN_PLACE, None, 0)
        with pytest.raises(ValueError):
            comm.Reduce(MPI.IN_PLACE, None, MPI.SUM, 0)
        with pytest.raises(ValueError):
            comm.Scatter(None, MPI.IN_PLACE, 0)


def test_array_module_buffers(comm):
    """array.array of several typecodes in reductions and gathers."""
    rank, size = comm.Get_rank(), comm.Get_size()
    for typecode in "bhilqBHILQfd":
        sendbuf = array.array(typecode, [rank % 2, 1, 2])
        recvbuf = array.array(typecode, [0] * 3)
        comm.Allreduce(sendbuf, recvbuf, MPI.SUM)
        assert list(recvbuf) == [sum(r % 2 for r in range(size)), size, 2 * size]
        gathered = array.array(typecode, [0] * (3 * size))
        comm.Allgather(sendbuf, gathered)
        assert list(gathered) == [v for r in range(size) for v in (r % 2, 1, 2)]

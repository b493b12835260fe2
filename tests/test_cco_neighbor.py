"""Neighbourhood collectives: Neighbor_allgather(v), Neighbor_alltoall(v/w) in their
blocking, nonblocking (I...) and persistent (..._init) forms, and the object forms
neighbor_allgather / neighbor_alltoall, on periodic and non-periodic Cartesian grids,
a graph and distributed graphs.

The neighbour order is MPI's: on a Cartesian grid, for each dimension d the neighbour
at -1 then the one at +1 (PROC_NULL past a non-periodic edge, where nothing arrives and
the receive block stays untouched); on a graph, the order of Get_neighbors; on a
distributed graph, the order of sources/destinations given to the adjacent constructor.
Send block k goes to out-neighbour k; receive block k comes from in-neighbour k, which
sent it as its block j, the position of this process among its out-neighbours (for a
Cartesian grid: block 2d+1 of the -1 neighbour, block 2d of the +1 neighbour, also when
both are the same process in a periodic dimension of size 1 or 2). All tests are
correct at any world size.
"""

from types import SimpleNamespace

import numpy as np
import pytest
from helpers import cart_neighbours, dist_dests, dist_sources, graph_neighbours

from mpipy import MPI

WORLD = MPI.COMM_WORLD
SENTINEL = -99


TOPOLOGIES = [
    "cart1d-periodic",
    "cart1d",
    "cart2d-periodic",
    "cart2d-mixed",
    "cart3d-mixed",
    "graph",
    "distgraph",
    "distgraph-weighted",
]


CART_GRIDS = {
    "cart1d-periodic": lambda size: ([size], [True]),
    "cart1d": lambda size: ([size], [False]),
    "cart2d-periodic": lambda size: (MPI.Compute_dims(size, 2), [True, True]),
    "cart2d-mixed": lambda size: (MPI.Compute_dims(size, 2), [False, True]),
    "cart3d-mixed": lambda size: (MPI.Compute_dims(size, 3), [True, False, True]),
}


@pytest.fixture(params=TOPOLOGIES)
def topo(request):
    """SimpleNamespace(comm, ins, outs, source_block, ...): this process's in- and
    out-neighbours and, for each in-neighbour k, which of its send blocks arrives here."""
    name = request.param
    rank, size = WORLD.Get_rank(), WORLD.Get_size()
    same_both_sides = False
    if name in CART_GRIDS:
        dims, periods = CART_GRIDS[name](size)
        comm = WORLD.Create_cart(dims, periods=periods)
        ins = outs = cart_neighbours(rank, dims, periods)
        source_block = [k + 1 if k % 2 == 0 else k - 1 for k in range(len(ins))]
        # a periodic dimension of 1 or 2 processes: the same process at -1 and +1
        same_both_sides = any(p and d <= 2 for d, p in zip(dims, periods))
    elif name == "graph":
        index, edges = [], []
        for r in range(size):
            edges += graph_neighbours(r, size)
            index.append(len(edges))
        comm = WORLD.Create_graph(index, edges)
        ins = outs = graph_neighbours(rank, size)
        source_block = [graph_neighbours(s, size).index(rank) for s in ins]
    else:
        ins, outs = dist_sources(rank, size), dist_dests(rank, size)
        kw = {}
        if name == "distgraph-weighted":
            kw = dict(sourceweights=[1] * len(ins), destweights=[2] * len(outs))
        comm = WORLD.Create_dist_graph_adjacent(ins, outs, **kw)
        source_block = [dist_dests(s, size).index(rank) for s in ins]
    try:
        yield SimpleNamespace(
            name=name,
            comm=comm,
            rank=rank,
            ins=ins,
            outs=outs,
            source_block=source_block,
            same_both_sides=same_both_sides,
        )
    finally:
        comm.Free()


def value(src, block, i=0, k=0):
    """Item i of send block `block` of process `src` (round k)."""
    return 10000 * src + 100 * block + 10 * k + i


def count(src, block):
    """Items process `src` sends in its block `block` (vector variants): 0..2."""
    return (src + 2 * block) % 3


MODES = ["blocking", "nonblocking", "persistent"]

OPEN_MPI = MPI.Get_library_version().startswith("Open MPI")


def skip_open_mpi_swap(topo, mode):
    if OPEN_MPI and mode != "blocking" and topo.same_both_sides:
        pytest.skip(
            "Open MPI 5.0.11: nonblocking/persistent neighbour all-to-all on a periodic "
            "dimension of 1 or 2 processes swaps the -1 and +1 blocks (or truncates); "
            "mpi4py too, blocking forms are right"
        )


def run(comm, name, mode, sendspec, recvspec, rounds, fill):
    """Call the neighbourhood collective `name` in `mode`, `rounds` times, calling
    fill(k) before each round and yielding after each."""
    if mode == "blocking":
        for k in range(rounds):
            fill(k)
            getattr(comm, name)(sendspec, recvspec)
            yield k
    elif mode == "nonblocking":
        for k in range(rounds):
            fill(k)
            req = getattr(comm, "I" + name[0].lower() + name[1:])(sendspec, recvspec)
            req.Wait()
            yield k
    else:
        try:
            req = getattr(comm, name + "_init")(sendspec, recvspec)
        except NotImplementedError as exc:
            pytest.skip(f"persistent collectives not available with this MPI: {exc}")
        try:
            for k in range(rounds):
                fill(k)
                req.Start()
                req.Wait()
                yield k
        finally:
            req.Free()


# -- Buffers ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_neighbor_allgather(topo, mode):
    n = 3
    sendbuf = np.zeros(n, dtype="i")
    recvbuf = np.zeros(n * len(topo.ins), dtype="i")

    def fill(k):
        sendbuf[:] = [value(topo.rank, 0, i, k) for i in range(n)]
        recvbuf[:] = SENTINEL

    for k in run(topo.comm, "Neighbor_allgather", mode, sendbuf, recvbuf, 2, fill):
        for j, src in enumerate(topo.ins):
            block = recvbuf[j * n : (j + 1) * n].tolist()
            if src == MPI.PROC_NULL:
                assert block == [SENTINEL] * n
            else:
                assert block == [value(src, 0, i, k) for i in range(n)]


@pytest.mark.parametrize("mode", MODES)
def test_neighbor_allgatherv(topo, mode):
    mine = (topo.rank % 3) + 1
    counts = [(src % 3) + 1 if src != MPI.PROC_NULL else 2 for src in topo.ins]
    # blocks in reverse order, one unused element before each
    displs, at = [0] * len(counts), 1
    for j in reversed(range(len(counts))):
        displs[j] = at
        at += counts[j] + 1
    sendbuf = np.zeros(mine, dtype="d")
    recvbuf = np.zeros(at, dtype="d")

    def fill(k):
        sendbuf[:] = [value(topo.rank, 0, i, k) for i in range(mine)]
        recvbuf[:] = SENTINEL

    spec = [recvbuf, counts, displs, MPI.DOUBLE]
    for k in run(topo.comm, "Neighbor_allgatherv", mode, sendbuf, spec, 2, fill):
        expected = [SENTINEL] * at
        for j, src in enumerate(topo.ins):
            if src != MPI.PROC_NULL:
                expected[displs[j] : displs[j] + counts[j]] = [
                    value(src, 0, i, k) for i in range(counts[j])
                ]
        assert recvbuf.tolist() == expected


@pytest.mark.parametrize("mode", MODES)
def test_neighbor_alltoall(topo, mode):
    skip_open_mpi_swap(topo, mode)
    n = 2
    sendbuf = np.zeros(n * len(topo.outs), dtype="q")
    recvbuf = np.zeros(n * len(topo.ins), dtype="q")

    def fill(k):
        sendbuf[:] = [value(topo.rank, b, i, k) for b in range(len(topo.outs)) for i in range(n)]
        recvbuf[:] = SENTINEL

    for k in run(topo.comm, "Neighbor_alltoall", mode, sendbuf, recvbuf, 2, fill):
        for j, src in enumerate(topo.ins):
            block = recvbuf[j * n : (j + 1) * n].tolist()
            if src == MPI.PROC_NULL:
                assert block == [SENTINEL] * n
            else:
                assert block == [value(src, topo.source_block[j], i, k) for i in range(n)], (j, src)


@pytest.mark.parametrize("mode", MODES)
def test_neighbor_alltoallv(topo, mode):
    skip_open_mpi_swap(topo, mode)
    scounts = [count(topo.rank, b) for b in range(len(topo.outs))]
    sdispls = [sum(scounts[:b]) for b in range(len(scounts))]
    rcounts = [
        count(src, topo.source_block[j]) if src != MPI.PROC_NULL else 1
        for j, src in enumerate(topo.ins)
    ]
    rdispls = [
        sum(rcounts[j + 1 :]) + (len(rcounts) - 1 - j) for j in range(len(rcounts))
    ]  # reversed, gaps
    rtotal = sum(rcounts) + len(rcounts)
    sendbuf = np.zeros(max(sum(scounts), 1), dtype="i")
    recvbuf = np.zeros(max(rtotal, 1), dtype="i")

    def fill(k):
        for b in range(len(scounts)):
            sendbuf[sdispls[b] : sdispls[b] + scounts[b]] = [
                value(topo.rank, b, i, k) for i in range(scounts[b])
            ]
        recvbuf[:] = SENTINEL

    sendspec = [sendbuf, scounts, sdispls, MPI.INT]
    recvspec = [recvbuf, (rcounts, rdispls), MPI.INT]
    for k in run(topo.comm, "Neighbor_alltoallv", mode, sendspec, recvspec, 2, fill):
        expected = [SENTINEL] * len(recvbuf)
        for j, src in enumerate(topo.ins):
            if src != MPI.PROC_NULL:
                b = topo.source_block[j]
                expected[rdispls[j] : rdispls[j] + rcounts[j]] = [
                    value(src, b, i, k) for i in range(rcounts[j])
                ]
        assert recvbuf.tolist() == expected


@pytest.mark.parametrize("mode", MODES)
def test_neighbor_alltoallw(topo, mode):
    """Send block b is INT for even b, DOUBLE for odd b; the receiver knows b (the
    block its in-neighbour sends it), so both sides agree; 16 bytes per block slot."""
    skip_open_mpi_swap(topo, mode)

    def kind(block):
        return ("i", MPI.INT) if block % 2 == 0 else ("d", MPI.DOUBLE)

    nout, nin = len(topo.outs), len(topo.ins)
    scounts = [count(topo.rank, b) for b in range(nout)]
    stypes = [kind(b)[1] for b in range(nout)]
    sdispls = [16 * b for b in range(nout)]
    blocks = [topo.source_block[j] if src != MPI.PROC_NULL else 0 for j, src in enumerate(topo.ins)]
    rcounts = [
        count(src, blocks[j]) if src != MPI.PROC_NULL else 1 for j, src in enumerate(topo.ins)
    ]
    rtypes = [kind(b)[1] for b in blocks]
    rdispls = [16 * (nin - 1 - j) for j in range(nin)]
    sendbuf = bytearray(16 * max(nout, 1))
    recvbuf = bytearray(16 * max(nin, 1))

    def fill(k):
        for b in range(nout):
            data = np.array(
                [value(topo.rank, b, i, k) for i in range(scounts[b])], dtype=kind(b)[0]
            ).tobytes()
            sendbuf[sdispls[b] : sdispls[b] + len(data)] = data
        recvbuf[:] = b"\xee" * len(recvbuf)

    sendspec = [sendbuf, scounts, sdispls, stypes]
    recvspec = [recvbuf, rcounts, rdispls, rtypes]
    for k in run(topo.comm, "Neighbor_alltoallw", mode, sendspec, recvspec, 2, fill):
        for j, src in enumerate(topo.ins):
            code = kind(blocks[j])[0]
            nbytes = np.dtype(code).itemsize * rcounts[j]
            raw = bytes(recvbuf[rdispls[j] : rdispls[j] + nbytes])
            if src == MPI.PROC_NULL:
                assert raw == b"\xee" * nbytes
            else:
                got = np.frombuffer(raw, dtype=code).tolist()
                assert got == [value(src, blocks[j], i, k) for i in range(rcounts[j])]


def test_nonblocking_several_pending(topo):
    """Several neighbourhood collectives pending at once, completed in reverse order."""
    skip_open_mpi_swap(topo, "nonblocking")
    n_in, n_out = len(topo.ins), len(topo.outs)
    a_send = np.array([topo.rank], dtype="i")
    a_recv = np.full(n_in, SENTINEL, dtype="i")
    b_send = np.array([value(topo.rank, b) for b in range(n_out)], dtype="q")
    b_recv = np.full(n_in, SENTINEL, dtype="q")
    reqs = [
        topo.comm.Ineighbor_allgather(a_send, a_recv),
        topo.comm.Ineighbor_alltoall(b_send, b_recv),
        topo.comm.Ibarrier(),
    ]
    for req in reversed(reqs):
        req.Wait()
    for j, src in enumerate(topo.ins):
        if src == MPI.PROC_NULL:
            assert a_recv[j] == SENTINEL and b_recv[j] == SENTINEL
        else:
            assert a_recv[j] == src and b_recv[j] == value(src, topo.source_block[j])


# -- Spec forms: counts per neighbour, vector shorthands, BOTTOM ----------------------


@pytest.mark.parametrize("mode", ["blocking", "nonblocking"])
def test_neighbor_count_is_per_neighbour(topo, mode):
    """A count given in a block spec is per neighbour (PROC_NULL ones included), whatever
    the buffer holds beyond; an inferred count is the buffer's divided by the degree."""
    skip_open_mpi_swap(topo, mode)
    n, spare = 3, 2
    n_in, n_out = len(topo.ins), len(topo.outs)
    blocks = max(n_out, 1)  # Neighbor_allgather sends block 0 even without out-neighbours
    sendbuf = np.array(
        [value(topo.rank, b, i) for b in range(blocks) for i in range(n)] + [-5] * spare, dtype="i"
    )
    recvbuf = np.full(n * n_in + spare, SENTINEL, dtype="i")

    def received(blocks_of):
        out = []
        for j, src in enumerate(topo.ins):
            if src == MPI.PROC_NULL:
                out += [SENTINEL] * n
            else:
                out += [value(src, blocks_of(j), i) for i in range(n)]
        return out + [SENTINEL] * spare

    for _ in run(
        topo.comm,
        "Neighbor_alltoall",
        mode,
        [sendbuf, n, MPI.INT],
        [recvbuf, n, MPI.INT],
        1,
        lambda k: recvbuf.fill(SENTINEL),
    ):
        assert recvbuf.tolist() == received(lambda j: topo.source_block[j])
    for _ in run(
        topo.comm,
        "Neighbor_allgather",
        mode,
        [sendbuf, n, MPI.INT],
        [recvbuf, (n, None), "i"],
        1,
        lambda k: recvbuf.fill(SENTINEL),
    ):
        assert recvbuf.tolist() == received(lambda j: 0)
    exact = recvbuf[: n * n_in]  # inferred: n per in-neighbour
    for _ in run(
        topo.comm,
        "Neighbor_allgather",
        mode,
        [sendbuf, n, MPI.INT],
        exact,
        1,
        lambda k: recvbuf.fill(SENTINEL),
    ):
        assert recvbuf.tolist() == received(lambda j: 0)


def test_neighbor_vector_shorthands(topo):
    """Vector specs on a neighbourhood: one integer count for every neighbour, an integer
    displacement as a stride, a bare buffer split evenly among the in-neighbours."""
    skip_open_mpi_swap(topo, "blocking")
    n = 2
    n_in, n_out = len(topo.ins), len(topo.outs)
    sendbuf = np.array([value(topo.rank, b, i) for b in range(n_out) for i in range(n)], dtype="q")
    recvbuf = np.full(3 * n_in, SENTINEL, dtype="q")  # blocks of n at a stride of 3
    topo.comm.Neighbor_alltoallv([sendbuf, n], [recvbuf, (n, 3)])
    for j, src in enumerate(topo.ins):
        block = recvbuf[3 * j : 3 * j + 3].tolist()
        if src == MPI.PROC_NULL:
            assert block == [SENTINEL] * 3
        else:
            assert block == [value(src, topo.source_block[j], i) for i in range(n)] + [SENTINEL]
    mine = np.array([value(topo.rank, 0, i) for i in range(n)], dtype="q")
    recvbuf = np.full(n * n_in, SENTINEL, dtype="q")
    topo.comm.Neighbor_allgatherv(mine, recvbuf)  # n each
    for j, src in enumerate(topo.ins):
        block = recvbuf[n * j : n * j + n].tolist()
        assert block == (
            [SENTINEL] * n if src == MPI.PROC_NULL else [value(src, 0, i) for i in range(n)]
        )


def test_neighbor_alltoallw_bottom(topo):
    """Neighbor_alltoallw with BOTTOM: each block's datatype holds its absolute address."""
    skip_open_mpi_swap(topo, "blocking")
    n_in, n_out = len(topo.ins), len(topo.outs)
    sendbuf = np.array([value(topo.rank, b) for b in range(n_out)], dtype="i")
    recvbuf = np.full(max(n_in, 1), SENTINEL, dtype="i")
    saddr, raddr = MPI.Get_address(sendbuf), MPI.Get_address(recvbuf)
    stypes = [
        MPI.Datatype.Create_struct([1], [saddr + 4 * b], [MPI.INT]).Commit() for b in range(n_out)
    ]
    rtypes = [
        MPI.Datatype.Create_struct([1], [raddr + 4 * j], [MPI.INT]).Commit() for j in range(n_in)
    ]
    try:
        topo.comm.Neighbor_alltoallw(
            [MPI.BOTTOM, [1] * n_out, [0] * n_out, stypes],
            (MPI.BOTTOM, ([1] * n_in, [0] * n_in), rtypes),
        )
        for j, src in enumerate(topo.ins):
            expected = SENTINEL if src == MPI.PROC_NULL else value(src, topo.source_block[j])
            assert recvbuf[j] == expected
    finally:
        for t in stypes + rtypes:
            t.Free()
    # the absolute addresses as byte displacements of plain datatypes (beyond 2**31: they
    # travel as MPI_Aint in every MPI)
    recvbuf[:] = SENTINEL
    topo.comm.Neighbor_alltoallw(
        [MPI.BOTTOM, [1] * n_out, [saddr + 4 * b for b in range(n_out)], [MPI.INT] * n_out],
        [None, ([1] * n_in, [raddr + 4 * j for j in range(n_in)]), [MPI.INT] * n_in],
    )
    for j, src in enumerate(topo.ins):
        expected = SENTINEL if src == MPI.PROC_NULL else value(src, topo.source_block[j])
        assert recvbuf[j] == expected


# -- Objects ---------------------------------------------------------------------------


def test_neighbor_allgather_objects(topo):
    mine = {"rank": topo.rank, "payload": list(range(topo.rank)), "topo": topo.name}
    got = topo.comm.neighbor_allgather(mine)
    assert isinstance(got, list) and len(got) == len(topo.ins)
    for j, src in enumerate(topo.ins):
        if src == MPI.PROC_NULL:
            assert got[j] is None
        else:
            assert got[j] == {"rank": src, "payload": list(range(src)), "topo": topo.name}


def test_neighbor_alltoall_objects(topo):
    sent = [(topo.rank, b, "x" * b) for b in range(len(topo.outs))]
    got = topo.comm.neighbor_alltoall(sent)
    assert len(got) == len(topo.ins)
    for j, src in enumerate(topo.ins):
        if src == MPI.PROC_NULL:
            assert got[j] is None
        else:
            b = topo.source_block[j]
            assert got[j] == (src, b, "x" * b)


def test_neighbor_alltoall_none_and_iterables(topo):
    """None sends None to every out-neighbour; any iterable of outdegree objects will do."""
    got = topo.comm.neighbor_alltoall(None)
    assert got == [None] * len(topo.ins)
    got = topo.comm.neighbor_alltoall((topo.rank, b) for b in range(len(topo.outs)))
    for j, src in enumerate(topo.ins):
        assert got[j] == (None if src == MPI.PROC_NULL else (src, topo.source_block[j]))


def test_neighbor_objects_numpy(topo):
    arrays = [np.full(1000, topo.rank * 10 + b, dtype="d") for b in range(len(topo.outs))]
    got = topo.comm.neighbor_alltoall(arrays)
    for j, src in enumerate(topo.ins):
        if src != MPI.PROC_NULL:
            assert np.array_equal(got[j], np.full(1000, src * 10 + topo.source_block[j], dtype="d"))


# -- Bad input -------------------------------------------------------------------------


def test_neighbor_bad_input(topo):
    """Argument errors are raised on every process before MPI is called."""
    comm = topo.comm
    n_in, n_out = len(topo.ins), len(topo.outs)
    with pytest.raises(ValueError):  # IN_PLACE has no meaning here
        comm.Neighbor_allgather(MPI.IN_PLACE, np.zeros(n_in, dtype="i"))
    with pytest.raises(ValueError):  # one count too many
        comm.Neighbor_allgatherv(
            np.zeros(1, dtype="i"), [np.zeros(n_in + 1, dtype="i"), [1] * (n_in + 1)]
        )
    with pytest.raises(ValueError):
        comm.Neighbor_alltoallv(
            [np.zeros(n_out + 1, dtype="i"), [1] * (n_out + 1)],
            [np.zeros(n_in, dtype="i"), [1] * n_in],
        )
    with pytest.raises(ValueError):  # a count beyond the buffer
        comm.Neighbor_allgather([np.zeros(1, dtype="i"), 2, MPI.INT], np.zeros(2 * n_in, dtype="i"))
    with pytest.raises(ValueError):  # one object per out-neighbour
        comm.neighbor_alltoall([None] * (n_out + 1))
    if n_in > 1:
        with pytest.raises(ValueError):  # a block spec that does not divide among in-neighbours
            comm.Neighbor_allgather(np.zeros(1, dtype="i"), np.zeros(n_in + 1, dtype="i"))


def test_neighbor_collectives_need_a_topology():
    """Plain intracommunicators have no neighbourhood collectives."""
    assert not hasattr(WORLD, "Neighbor_allgather")
    assert not hasattr(WORLD, "neighbor_alltoall")
    dup = WORLD.Dup()
    try:
        with pytest.raises((TypeError, MPI.Exception)):
            MPI.Topocomm.Neighbor_allgather(dup, np.zeros(1), np.zeros(1))
    finally:
        dup.Free()

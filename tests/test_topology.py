"""Virtual topologies: Compute_dims, Cartesian communicators (Create_cart, coordinates,
ranks, Shift, Sub, Cart_map), graph communicators (Create_graph, neighbours,
Graph_map), distributed graphs (adjacent and general, weighted and unweighted), and the
Topocomm neighbourhood properties (degrees, indegree, outdegree, inedges, outedges,
inoutedges).

Expected values come from our own computations (row-major coordinates, shifts with and
without wrap-around, neighbour lists as MPI defines them). Communicators are made with
reorder=False unless a test says otherwise, so ranks keep their COMM_WORLD order. All
tests are correct at any world size.
"""

from math import prod

import pytest
from helpers import (
    cart_neighbours,
    dist_dests,
    dist_sources,
    graph_neighbours,
    rank_of,
    row_major,
    shifted,
)

from mpipy import MPI

WORLD = MPI.COMM_WORLD


def free(*comms):
    for c in comms:
        if c and c != MPI.COMM_NULL:
            c.Free()


# -- Compute_dims ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "nnodes,dims,expected",
    [
        (6, 2, [3, 2]),
        (7, 2, [7, 1]),
        (12, 3, [3, 2, 2]),
        (16, 2, [4, 4]),
        (8, 3, [2, 2, 2]),
        (24, 2, [6, 4]),
        (1, 3, [1, 1, 1]),
        (6, [0, 3, 0], [2, 3, 1]),
        (12, [0, 3, 0], [2, 3, 2]),
        (30, [0, 0, 5], [3, 2, 5]),
        (6, [2, 3], [2, 3]),
        (1, 0, []),
    ],
)
def test_compute_dims_known(nnodes, dims, expected):
    assert MPI.Compute_dims(nnodes, dims) == expected


@pytest.mark.parametrize("nnodes", [1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 17, 36, 60, 64, 97, 120])
@pytest.mark.parametrize("ndims", [1, 2, 3, 4])
def test_compute_dims_valid(nnodes, ndims):
    """A factorization of nnodes, in non-increasing order, with no other factorization
    more balanced (smaller largest factor)."""
    dims = MPI.Compute_dims(nnodes, ndims)
    assert isinstance(dims, list) and len(dims) == ndims
    assert prod(dims) == nnodes
    assert dims == sorted(dims, reverse=True)
    assert all(d >= 1 for d in dims)

    def factorizations(n, k):
        if k == 1:
            yield [n]
            return
        for f in range(1, n + 1):
            if n % f == 0:
                for rest in factorizations(n // f, k - 1):
                    yield [f] + rest

    assert max(dims) == min(max(f) for f in factorizations(nnodes, ndims))


def test_compute_dims_fixed_entries():
    """Nonzero entries are kept; the zeros share what is left, non-increasing."""
    for nnodes, dims in [(24, [0, 2, 0]), (60, [5, 0, 0, 1]), (18, [0, 0, 3]), (9, [3, 0])]:
        out = MPI.Compute_dims(nnodes, dims)
        assert prod(out) == nnodes
        free = [o for o, d in zip(out, dims) if d == 0]
        assert free == sorted(free, reverse=True)
        assert all(o == d for o, d in zip(out, dims) if d != 0)
    assert MPI.Compute_dims(6, (0, 0)) == [3, 2]  # any sequence


def test_compute_dims_errors():
    for nnodes, dims in [(6, [4, 0]), (7, [0, 3, 0]), (6, [3, 3]), (6, [5])]:
        with pytest.raises(MPI.Exception) as excinfo:
            MPI.Compute_dims(nnodes, dims)
        assert excinfo.value.Get_error_class() == MPI.ERR_DIMS
    for nnodes, dims in [(0, 2), (-1, 2), (6, -1), (6, [0, -1])]:
        with pytest.raises((ValueError, MPI.Exception)):
            MPI.Compute_dims(nnodes, dims)
    with pytest.raises(TypeError):
        MPI.Compute_dims(6, ["a", 0])


# -- Cartesian -------------------------------------------------------------------------


def grids(size):
    """(dims, periods) of the grids to try at this world size."""
    return [
        ([size], [True]),
        ([size], [False]),
        (MPI.Compute_dims(size, 2), [True, False]),
        (MPI.Compute_dims(size, 2), [False, True]),
        (MPI.Compute_dims(size, 3), [True, False, True]),
        ([1, size, 1], [False, False, True]),
    ]


@pytest.mark.parametrize("which", range(6))
def test_cart_create_and_queries(which):
    rank, size = WORLD.Get_rank(), WORLD.Get_size()
    dims, periods = grids(size)[which]
    cart = WORLD.Create_cart(dims, periods=periods, reorder=False)
    try:
        assert isinstance(cart, MPI.Cartcomm)
        assert cart.Get_topology() == MPI.CART
        assert cart.Get_size() == size and cart.Get_rank() == rank
        ndim = len(dims)
        assert cart.Get_dim() == cart.dim == cart.ndim == ndim
        coords = row_major(rank, dims)
        assert cart.Get_topo() == (dims, [int(p) for p in periods], coords)
        assert cart.topo == cart.Get_topo()
        assert cart.dims == dims and cart.coords == coords
        assert [bool(p) for p in cart.periods] == periods
        for r in range(size):
            assert cart.Get_coords(r) == row_major(r, dims)
            assert cart.Get_cart_rank(row_major(r, dims)) == r
        for d in range(ndim):
            for disp in (1, -1, 2, 0):
                assert cart.Shift(d, disp) == shifted(rank, dims, periods, d, disp), (d, disp)
    finally:
        cart.Free()


def test_cart_rank_wraps_periodic_coords():
    size = WORLD.Get_size()
    cart = WORLD.Create_cart([size], periods=[True])
    other = WORLD.Create_cart([size], periods=[False])
    try:
        assert cart.Get_cart_rank([size]) == 0
        assert cart.Get_cart_rank([-1]) == size - 1
        with pytest.raises(MPI.Exception):
            other.Get_cart_rank([size])
        with pytest.raises(ValueError):  # wrong number of coordinates
            cart.Get_cart_rank([0, 0])
        with pytest.raises(MPI.Exception) as excinfo:
            cart.Get_coords(size)
        assert excinfo.value.Get_error_class() == MPI.ERR_RANK
    finally:
        free(cart, other)


def test_cart_defaults_and_forms():
    """periods default to non-periodic; a bool applies to all dimensions; dims and
    periods may be tuples."""
    size = WORLD.Get_size()
    a = WORLD.Create_cart([size])
    b = WORLD.Create_cart((size, 1), periods=True)
    c = WORLD.Create_cart((1, size), (False, 1))
    try:
        assert a.periods == [0]
        assert b.periods == [1, 1]
        assert c.periods == [0, 1]
    finally:
        free(a, b, c)


def test_cart_smaller_than_world():
    """Processes beyond the grid get COMM_NULL."""
    rank, size = WORLD.Get_rank(), WORLD.Get_size()
    n = max(size - 1, 1)
    cart = WORLD.Create_cart([n])
    try:
        if rank < n:
            assert isinstance(cart, MPI.Cartcomm) and cart.Get_size() == n
        else:
            assert cart == MPI.COMM_NULL
    finally:
        free(cart)


def test_cart_too_large():
    size = WORLD.Get_size()
    with pytest.raises(MPI.Exception):
        WORLD.Create_cart([size + 1])


def test_cart_reorder_consistent():
    """With reorder=True the ranks may change, but coordinates stay consistent."""
    size = WORLD.Get_size()
    dims = MPI.Compute_dims(size, 2)
    cart = WORLD.Create_cart(dims, periods=[True, True], reorder=True)
    try:
        r = cart.Get_rank()
        assert cart.coords == row_major(r, dims)
        everyone = cart.allgather(cart.coords)
        assert everyone == [row_major(q, dims) for q in range(size)]
    finally:
        cart.Free()


@pytest.mark.parametrize("remain", [[True, False], [False, True], [True, True], [False, False]])
def test_cart_sub(remain):
    rank, size = WORLD.Get_rank(), WORLD.Get_size()
    dims = MPI.Compute_dims(size, 2)
    periods = [True, False]
    cart = WORLD.Create_cart(dims, periods=periods)
    sub = cart.Sub(remain)
    try:
        assert isinstance(sub, MPI.Cartcomm)
        kept = [d for d in range(2) if remain[d]]
        sub_dims = [dims[d] for d in kept]
        coords = row_major(rank, dims)
        assert sub.Get_size() == prod(sub_dims)
        assert sub.Get_dim() == len(kept)
        assert sub.dims == sub_dims
        assert [bool(p) for p in sub.periods] == [periods[d] for d in kept]
        assert sub.coords == [coords[d] for d in kept]
        assert sub.Get_rank() == rank_of([coords[d] for d in kept], sub_dims)
        # the members are the processes that share my coordinates in the dropped dims
        members = sub.allgather(rank)
        same = [
            r
            for r in range(size)
            if all(row_major(r, dims)[d] == coords[d] for d in range(2) if not remain[d])
        ]
        assert sorted(members) == same
    finally:
        free(sub, cart)


OPEN_MPI = MPI.Get_library_version().startswith("Open MPI")


def check_placement(newrank, n):
    """Cart_map/Graph_map over COMM_WORLD: a permutation of the n grid ranks, UNDEFINED
    for the processes outside the grid."""
    everyone = WORLD.allgather(newrank)
    placed = sorted(r for r in everyone if r != MPI.UNDEFINED)
    assert placed == list(range(n))
    assert everyone.count(MPI.UNDEFINED) == WORLD.Get_size() - n


def test_cart_map():
    size = WORLD.Get_size()
    for dims in ([size], MPI.Compute_dims(size, 2), MPI.Compute_dims(size, 3)):
        check_placement(WORLD.Cart_map(dims, periods=[True] * len(dims)), size)
    check_placement(WORLD.Cart_map([size]), size)  # periods default to False


def test_cart_map_smaller_grid():
    size = WORLD.Get_size()
    if size == 1:
        pytest.skip("needs a grid smaller than the world")
    if OPEN_MPI:
        pytest.skip(
            "Open MPI 5.0.11: MPI_Cart_map returns the caller's rank instead of "
            "MPI_UNDEFINED for processes outside the grid (mpi4py too)"
        )
    check_placement(WORLD.Cart_map([size - 1]), size - 1)


# -- Graph -----------------------------------------------------------------------------


def graph_spec(size):
    nbrs = [graph_neighbours(i, size) for i in range(size)]
    index, edges, total = [], [], 0
    for n in nbrs:
        total += len(n)
        index.append(total)
        edges += n
    return index, edges, nbrs


def test_graph_create_and_queries():
    rank, size = WORLD.Get_rank(), WORLD.Get_size()
    index, edges, nbrs = graph_spec(size)
    graph = WORLD.Create_graph(index, edges, reorder=False)
    try:
        assert isinstance(graph, MPI.Graphcomm)
        assert graph.Get_topology() == MPI.GRAPH
        assert graph.Get_dims() == graph.dims == (size, len(edges))
        assert graph.nnodes == size and graph.nedges == len(edges)
        assert graph.Get_topo() == graph.topo == (index, edges)
        assert graph.index == index and graph.edges == edges
        for r in range(size):
            assert graph.Get_neighbors_count(r) == len(nbrs[r])
            assert graph.Get_neighbors(r) == nbrs[r]
        assert graph.neighbors == nbrs[rank] and graph.nneighbors == len(nbrs[rank])
        # Topocomm view: the same neighbours in and out
        assert graph.degrees == (len(nbrs[rank]), len(nbrs[rank]))
        assert graph.indegree == graph.outdegree == len(nbrs[rank])
        assert graph.inedges == graph.outedges == nbrs[rank]
        assert graph.inoutedges == (nbrs[rank], nbrs[rank])
    finally:
        graph.Free()


def test_graph_fewer_nodes_than_world():
    rank, size = WORLD.Get_rank(), WORLD.Get_size()
    n = max(size - 1, 1)
    index, edges, _ = graph_spec(n)
    graph = WORLD.Create_graph(index, edges)
    try:
        assert (graph == MPI.COMM_NULL) == (rank >= n)
    finally:
        free(graph)


def test_graph_map():
    size = WORLD.Get_size()
    index, edges, _ = graph_spec(size)
    check_placement(WORLD.Graph_map(index, edges), size)


def test_graph_bad_input():
    size = WORLD.Get_size()
    with pytest.raises(TypeError):
        WORLD.Create_graph(["x"], [0])
    with pytest.raises(TypeError):
        WORLD.Create_graph([1] * size, 5.5)


def test_graph_index_with_leading_zero():
    """The usual adjacency index [0, e0, e0 + e1, ...] (nnodes + 1 entries, the last the
    number of edges) describes the same graph as MPI's index, in Create_graph and
    Graph_map (as in mpi4py); a lone [0] stays one node without edges."""
    rank, size = WORLD.Get_rank(), WORLD.Get_size()
    index, edges, nbrs = graph_spec(size)
    graph = WORLD.Create_graph([0] + index, edges)
    try:
        assert graph.Get_topo() == (index, edges)
        assert graph.neighbors == nbrs[rank]
    finally:
        graph.Free()
    assert WORLD.Graph_map([0] + index, edges) == WORLD.Graph_map(index, edges)
    lone = MPI.COMM_SELF.Create_graph([0], [])
    try:
        assert lone.Get_topo() == ([0], []) and lone.nneighbors == 0
    finally:
        lone.Free()


# -- Distributed graph -----------------------------------------------------------------


def weight(src, dst):
    return 100 * src + dst + 1


@pytest.mark.parametrize("weighted", [False, True])
def test_dist_graph_adjacent(weighted):
    rank, size = WORLD.Get_rank(), WORLD.Get_size()
    sources, dests = dist_sources(rank, size), dist_dests(rank, size)
    kw = {}
    if weighted:
        kw = dict(
            sourceweights=[weight(s, rank) for s in sources],
            destweights=[weight(rank, d) for d in dests],
        )
    dg = WORLD.Create_dist_graph_adjacent(sources, dests, **kw)
    try:
        assert isinstance(dg, MPI.Distgraphcomm)
        assert dg.Get_topology() == MPI.DIST_GRAPH
        assert dg.Get_dist_neighbors_count() == (len(sources), len(dests), weighted)
        got_sources, got_dests, weights = dg.Get_dist_neighbors()
        assert got_sources == sources and got_dests == dests
        if weighted:
            assert weights == (kw["sourceweights"], kw["destweights"])
        else:
            assert weights is None
        assert dg.degrees == (len(sources), len(dests))
        assert dg.indegree == len(sources) and dg.outdegree == len(dests)
        assert dg.inedges == sources and dg.outedges == dests
        assert dg.inoutedges == (sources, dests)
    finally:
        dg.Free()


def test_dist_graph_adjacent_empty_and_info():
    """A process without neighbours (empty weights are MPI_WEIGHTS_EMPTY); info and
    reorder arguments."""
    rank = WORLD.Get_rank()
    # only rank 0 talks to itself
    sources = [0] if rank == 0 else []
    dg = WORLD.Create_dist_graph_adjacent(
        sources,
        sources,
        sourceweights=[7] * len(sources),
        destweights=[7] * len(sources),
        info=MPI.INFO_NULL,
        reorder=False,
    )
    try:
        assert dg.Get_dist_neighbors_count() == (len(sources), len(sources), True)
        assert dg.degrees == (len(sources), len(sources))
    finally:
        dg.Free()


def test_dist_graph_adjacent_none_and_weight_constants():
    """None for sources or destinations is no neighbours; MPI.UNWEIGHTED and
    MPI.WEIGHTS_EMPTY stand for MPI's constants (the latter only for no neighbours)."""
    rank, size = WORLD.Get_rank(), WORLD.Get_size()
    sources, dests = dist_sources(rank, size), dist_dests(rank, size)
    made = []
    try:
        made.append(WORLD.Create_dist_graph_adjacent(None, None))
        assert made[-1].Get_dist_neighbors_count() == (0, 0, False)
        # every edge declared at its destination only, then at its source only
        made.append(WORLD.Create_dist_graph_adjacent(sources, None, MPI.UNWEIGHTED, None))
        assert made[-1].Get_dist_neighbors_count() == (len(sources), 0, False)
        assert made[-1].Get_dist_neighbors() == (sources, [], None)
        made.append(WORLD.Create_dist_graph_adjacent(None, dests, None, MPI.UNWEIGHTED))
        assert made[-1].Get_dist_neighbors() == ([], dests, None)
        made.append(WORLD.Create_dist_graph_adjacent([], [], MPI.WEIGHTS_EMPTY, MPI.WEIGHTS_EMPTY))
        assert made[-1].Get_dist_neighbors_count() == (0, 0, True)
        assert made[-1].Get_dist_neighbors() == ([], [], ([], []))
        made.append(WORLD.Create_dist_graph([rank], [1], [rank], MPI.UNWEIGHTED))
        assert made[-1].Get_dist_neighbors_count() == (1, 1, False)
    finally:
        for dg in made:
            dg.Free()
    with pytest.raises(ValueError):  # WEIGHTS_EMPTY with neighbours
        WORLD.Create_dist_graph_adjacent([rank], [rank], MPI.WEIGHTS_EMPTY, MPI.WEIGHTS_EMPTY)


@pytest.mark.parametrize("who", ["root-declares-all", "each-declares-own"])
@pytest.mark.parametrize("weighted", [False, True])
def test_dist_graph_general(who, weighted):
    """Create_dist_graph: any process may declare any edge; MPI gathers them. The
    neighbour order is not specified, so compare sorted lists."""
    rank, size = WORLD.Get_rank(), WORLD.Get_size()
    if who == "root-declares-all":
        if rank == 0:
            sources = list(range(size))
            degrees = [len(dist_dests(s, size)) for s in sources]
            dests = [d for s in sources for d in dist_dests(s, size)]
        else:
            sources, degrees, dests = [], [], []
    else:
        sources, degrees, dests = [rank], [len(dist_dests(rank, size))], dist_dests(rank, size)
    edge_src = [s for s, k in zip(sources, degrees) for _ in range(k)]
    weights = [weight(s, d) for s, d in zip(edge_src, dests)] if weighted else None
    dg = WORLD.Create_dist_graph(sources, degrees, dests, weights=weights)
    try:
        indeg, outdeg, is_weighted = dg.Get_dist_neighbors_count()
        assert (indeg, outdeg, is_weighted) == (
            len(dist_sources(rank, size)),
            len(dist_dests(rank, size)),
            weighted,
        )
        got_sources, got_dests, got_weights = dg.Get_dist_neighbors()
        assert sorted(got_sources) == sorted(dist_sources(rank, size))
        assert sorted(got_dests) == sorted(dist_dests(rank, size))
        if weighted:
            sw, dw = got_weights
            assert sw == [weight(s, rank) for s in got_sources]  # weights follow their edges
            assert dw == [weight(rank, d) for d in got_dests]
        else:
            assert got_weights is None
        assert sorted(dg.inedges) == sorted(dist_sources(rank, size))
    finally:
        dg.Free()


def test_dist_graph_bad_input():
    rank = WORLD.Get_rank()
    with pytest.raises(ValueError):  # one weight for two sources
        WORLD.Create_dist_graph_adjacent([0, 0], [], sourceweights=[1])
    with pytest.raises(ValueError):  # degrees do not add up to the destinations
        WORLD.Create_dist_graph([rank], [2], [0])
    with pytest.raises(ValueError):  # one degree per source
        WORLD.Create_dist_graph([rank], [1, 1], [0, 0])
    with pytest.raises(ValueError):
        WORLD.Create_dist_graph([rank], [-1], [])
    with pytest.raises(TypeError):
        WORLD.Create_dist_graph_adjacent([0], [0], info="no info")


# -- Topocomm on Cartesian grids -------------------------------------------------------


@pytest.mark.parametrize("which", range(6))
def test_cart_neighbourhood(which):
    """Cartesian neighbours: for each dimension, the source then the destination of
    Shift(d, 1), PROC_NULL where a non-periodic grid ends."""
    rank, size = WORLD.Get_rank(), WORLD.Get_size()
    dims, periods = grids(size)[which]
    cart = WORLD.Create_cart(dims, periods=periods)
    try:
        expected = cart_neighbours(rank, dims, periods)
        assert cart.degrees == (2 * len(dims), 2 * len(dims))
        assert cart.indegree == cart.outdegree == 2 * len(dims)
        assert cart.inedges == expected and cart.outedges == expected
        assert cart.inoutedges == (expected, expected)
    finally:
        cart.Free()


def test_topocomm_on_plain_comm_is_error():
    """Neighbourhood queries need a topology; the classes say which one."""
    assert not hasattr(WORLD, "inedges")
    assert WORLD.Get_topology() == MPI.UNDEFINED

"""Helpers shared by several test files (``from helpers import ...``): a ring of ranks, the
process topologies the topology and neighbourhood-collective tests build, and an
intercommunicator joining two parts of COMM_WORLD."""

import contextlib
from math import prod

from mpipy import MPI


def ring(comm):
    """(right, left): where this rank sends to and receives from."""
    rank, size = comm.Get_rank(), comm.Get_size()
    return (rank + 1) % size, (rank - 1) % size


# -- Topologies ------------------------------------------------------------------------


def row_major(rank, dims):
    """Coordinates of `rank` in a grid of `dims` (the last dimension varies fastest)."""
    return [(rank // prod(dims[d + 1 :])) % dims[d] for d in range(len(dims))]


def rank_of(coords, dims):
    return sum(c * prod(dims[d + 1 :]) for d, c in enumerate(coords))


def shifted(rank, dims, periods, direction, disp):
    """(source, dest) of Shift(direction, disp), computed from the coordinates."""

    def move(by):
        c = row_major(rank, dims)
        c[direction] += by
        if periods[direction]:
            c[direction] %= dims[direction]
        elif not 0 <= c[direction] < dims[direction]:
            return MPI.PROC_NULL
        return rank_of(c, dims)

    return move(-disp), move(disp)


def cart_neighbours(rank, dims, periods):
    """[lo0, hi0, lo1, hi1, ...] of `rank`: MPI's neighbour order on a Cartesian grid."""
    return [p for d in range(len(dims)) for p in shifted(rank, dims, periods, d, 1)]


def graph_neighbours(rank, size):
    """A symmetric graph: a ring plus a hub (node 0 linked to everyone), no self loops;
    the neighbours of node `rank` in increasing order."""
    s = set()
    if size > 1:
        s |= {(rank - 1) % size, (rank + 1) % size}
        s |= {0} if rank != 0 else set(range(1, size))
    s.discard(rank)
    return sorted(s)


def dist_dests(rank, size):
    """Out-neighbours in a distributed graph: rank+1 and rank+2 (mod size), without
    repeats; a self loop at N = 1 and N = 2 (rank+2 is the rank itself)."""
    out = []
    for d in ((rank + 1) % size, (rank + 2) % size):
        if d not in out:
            out.append(d)
    return out


def dist_sources(rank, size):
    """In-neighbours, in decreasing rank order (any order may be given to the adjacent
    constructor; MPI keeps it)."""
    return sorted((s for s in range(size) if rank in dist_dests(s, size)), reverse=True)


# -- Intercommunicators ----------------------------------------------------------------


@contextlib.contextmanager
def split_intercomm(color_of, tag):
    """COMM_WORLD split in two groups, world rank r in group color_of(r) (0 or 1), joined by
    Create_intercomm; yields (intercomm, local intracommunicator), freed afterwards. Local
    ranks follow world ranks; each group's leader is its lowest world rank."""
    world = MPI.COMM_WORLD
    rank, size = world.Get_rank(), world.Get_size()
    color = color_of(rank)
    local = world.Split(color, rank)
    remote_leader = min(r for r in range(size) if color_of(r) != color)
    intercomm = local.Create_intercomm(0, world, remote_leader, tag)
    try:
        yield intercomm, local
    finally:
        intercomm.Free()
        local.Free()

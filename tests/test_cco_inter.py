"""Collectives on intercommunicators, buffers and objects.

The intercommunicator joins two halves of COMM_WORLD (Split, then Create_intercomm):
group 0 is world ranks [0, N//2), group 1 the rest, so at odd N the groups differ in
size. Rooted collectives follow MPI's rules: in the root's group the root passes ROOT
and the others PROC_NULL; the other group passes the root's rank in the root's group.
Each process is identified by (group, local rank); `value(...)` makes the data every
process can predict. Needs at least 2 processes.
"""

from types import SimpleNamespace

import numpy as np
import pytest
from helpers import split_intercomm

from mpipy import MPI

pytestmark = pytest.mark.mpi(min_size=2)

SENTINEL = -99


@pytest.fixture
def inter():
    world = MPI.COMM_WORLD
    half = world.Get_size() // 2
    sizes = (half, world.Get_size() - half)

    def group_of(rank):
        return 0 if rank < half else 1

    group = group_of(world.Get_rank())
    with split_intercomm(group_of, tag=17) as (comm, local):
        yield SimpleNamespace(
            comm=comm,
            local=local,
            group=group,
            rank=local.Get_rank(),
            size=local.Get_size(),
            remote_size=sizes[1 - group],
            sizes=sizes,
        )


def value(group, rank, dest=0, i=0, k=0):
    """What process (group, rank) sends to local rank `dest` of the other group."""
    return 10000 * group + 1000 * rank + 100 * dest + 10 * k + i


def root_arg(ic, root_group, root):
    """The root argument this process passes when (root_group, root) is the root."""
    if ic.group == root_group:
        return MPI.ROOT if ic.rank == root else MPI.PROC_NULL
    return root


def roots(ic):
    """(group, rank) of the roots to try: first and last process of each group."""
    out = []
    for g in (0, 1):
        for r in sorted({0, ic.sizes[g] - 1}):
            out.append((g, r))
    return out


def test_intercomm_basics(inter):
    comm = inter.comm
    assert isinstance(comm, MPI.Intercomm)
    assert comm.Is_inter() and not comm.Is_intra()
    assert comm.Get_size() == inter.size
    assert comm.Get_remote_size() == inter.remote_size
    assert comm.Get_rank() == inter.rank


def test_barrier(inter):
    inter.comm.Barrier()
    inter.comm.Ibarrier().Wait()


# -- Rooted buffer collectives ---------------------------------------------------------


def test_bcast(inter):
    ic = inter
    for g, r in roots(ic):
        arg = root_arg(ic, g, r)
        if arg == MPI.ROOT:
            buf = np.array([value(g, r, i=i) for i in range(4)], dtype="i")
        else:
            buf = np.full(4, SENTINEL, dtype="i")
        ic.comm.Bcast(buf, root=arg)
        if ic.group == g:  # the root's own group receives nothing
            if arg == MPI.PROC_NULL:
                assert buf.tolist() == [SENTINEL] * 4
        else:
            assert buf.tolist() == [value(g, r, i=i) for i in range(4)]


def test_bcast_proc_null_ignores_buffer(inter):
    """Only ROOT and the other group look at the buffer: PROC_NULL may pass None."""
    ic = inter
    arg = root_arg(ic, 1, 0)
    buf = None if arg == MPI.PROC_NULL else np.zeros(2, dtype="d")
    if arg == MPI.ROOT:
        buf[:] = [1.5, 2.5]
    ic.comm.Bcast(buf, arg)
    if ic.group == 0:
        assert buf.tolist() == [1.5, 2.5]


def test_gather(inter):
    ic = inter
    for g, r in roots(ic):
        arg = root_arg(ic, g, r)
        n = 2
        sendbuf = np.array([value(ic.group, ic.rank, i=i) for i in range(n)], dtype="q")
        recvbuf = np.full(n * ic.remote_size, SENTINEL, dtype="q") if arg == MPI.ROOT else None
        ic.comm.Gather(sendbuf if ic.group != g else None, recvbuf, root=arg)
        if arg == MPI.ROOT:
            other = 1 - g
            expected = [value(other, s, i=i) for s in range(ic.sizes[other]) for i in range(n)]
            assert recvbuf.tolist() == expected


def test_gatherv(inter):
    ic = inter
    for g, r in roots(ic):
        arg = root_arg(ic, g, r)
        other = 1 - g
        counts = [(s + 1) % 3 for s in range(ic.sizes[other])]
        displs = [sum(counts[s + 1 :]) for s in range(len(counts))]  # reverse order
        if arg == MPI.ROOT:
            recvbuf = np.full(sum(counts) + 1, SENTINEL, dtype="i")
            ic.comm.Gatherv(None, [recvbuf, counts, displs, MPI.INT], arg)
            expected = [SENTINEL] * (sum(counts) + 1)
            for s in range(len(counts)):
                expected[displs[s] : displs[s] + counts[s]] = [
                    value(other, s, i=i) for i in range(counts[s])
                ]
            assert recvbuf.tolist() == expected
        elif arg == MPI.PROC_NULL:
            ic.comm.Gatherv(None, None, arg)
        else:
            mine = (ic.rank + 1) % 3
            sendbuf = np.array([value(ic.group, ic.rank, i=i) for i in range(mine)], dtype="i")
            ic.comm.Gatherv(sendbuf, None, arg)


def test_scatter(inter):
    ic = inter
    for g, r in roots(ic):
        arg = root_arg(ic, g, r)
        other = 1 - g
        if arg == MPI.ROOT:
            sendbuf = np.array(
                [value(g, r, dest=d, i=i) for d in range(ic.sizes[other]) for i in range(3)],
                dtype="d",
            )
            ic.comm.Scatter(sendbuf, None, arg)
        elif arg == MPI.PROC_NULL:
            ic.comm.Scatter(None, None, arg)
        else:
            recvbuf = np.zeros(3, dtype="d")
            ic.comm.Scatter(None, recvbuf, arg)
            assert recvbuf.tolist() == [value(g, r, dest=ic.rank, i=i) for i in range(3)]


def test_scatterv(inter):
    ic = inter
    for g, r in roots(ic):
        arg = root_arg(ic, g, r)
        other = 1 - g
        counts = [d % 2 + 1 for d in range(ic.sizes[other])]
        displs = [3 * d for d in range(ic.sizes[other])]
        if arg == MPI.ROOT:
            sendbuf = np.full(3 * ic.sizes[other], SENTINEL, dtype="i")
            for d in range(ic.sizes[other]):
                sendbuf[displs[d] : displs[d] + counts[d]] = [
                    value(g, r, dest=d, i=i) for i in range(counts[d])
                ]
            ic.comm.Scatterv([sendbuf, counts, displs, MPI.INT], None, arg)
        elif arg == MPI.PROC_NULL:
            ic.comm.Scatterv(None, None, arg)
        else:
            recvbuf = np.zeros(ic.rank % 2 + 1, dtype="i")
            ic.comm.Scatterv(None, recvbuf, arg)
            assert recvbuf.tolist() == [
                value(g, r, dest=ic.rank, i=i) for i in range(ic.rank % 2 + 1)
            ]


def test_reduce(inter):
    ic = inter
    for g, r in roots(ic):
        arg = root_arg(ic, g, r)
        other = 1 - g
        sendbuf = np.array([value(ic.group, ic.rank, i=i) for i in range(3)], dtype="q")
        recvbuf = np.zeros(3, dtype="q") if arg == MPI.ROOT else None
        for op, fold in ((MPI.SUM, sum), (MPI.MAX, max), (MPI.MIN, min)):
            ic.comm.Reduce(sendbuf if ic.group != g else None, recvbuf, op, arg)
            if arg == MPI.ROOT:
                expected = [
                    fold(value(other, s, i=i) for s in range(ic.sizes[other])) for i in range(3)
                ]
                assert recvbuf.tolist() == expected


# -- Unrooted buffer collectives -------------------------------------------------------


def test_allgather(inter):
    ic = inter
    other = 1 - ic.group
    sendbuf = np.array([value(ic.group, ic.rank, i=i) for i in range(2)], dtype="i")
    recvbuf = np.full(2 * ic.remote_size, SENTINEL, dtype="i")
    ic.comm.Allgather(sendbuf, recvbuf)
    assert recvbuf.tolist() == [
        value(other, s, i=i) for s in range(ic.remote_size) for i in range(2)
    ]


def test_allgatherv(inter):
    ic = inter
    other = 1 - ic.group
    counts = [(s + 2) % 3 for s in range(ic.remote_size)]
    displs = [sum(counts[:s]) + s for s in range(ic.remote_size)]  # one gap after each
    total = sum(counts) + ic.remote_size
    mine = (ic.rank + 2) % 3
    sendbuf = np.array([value(ic.group, ic.rank, i=i) for i in range(mine)], dtype="d")
    recvbuf = np.full(total, SENTINEL, dtype="d")
    ic.comm.Allgatherv(sendbuf, [recvbuf, counts, displs, MPI.DOUBLE])
    expected = [SENTINEL] * total
    for s in range(ic.remote_size):
        expected[displs[s] : displs[s] + counts[s]] = [
            value(other, s, i=i) for i in range(counts[s])
        ]
    assert recvbuf.tolist() == expected


def test_alltoall(inter):
    ic = inter
    other = 1 - ic.group
    sendbuf = np.array(
        [value(ic.group, ic.rank, dest=d, i=i) for d in range(ic.remote_size) for i in range(2)],
        dtype="i",
    )
    recvbuf = np.zeros(2 * ic.remote_size, dtype="i")
    ic.comm.Alltoall(sendbuf, recvbuf)
    assert recvbuf.tolist() == [
        value(other, s, dest=ic.rank, i=i) for s in range(ic.remote_size) for i in range(2)
    ]


def test_alltoallv(inter):
    ic = inter
    other = 1 - ic.group

    def count(src_group, src, dst):
        return (src + 2 * dst + src_group) % 3

    scounts = [count(ic.group, ic.rank, d) for d in range(ic.remote_size)]
    rcounts = [count(other, s, ic.rank) for s in range(ic.remote_size)]
    sdispls = [sum(scounts[:d]) for d in range(ic.remote_size)]
    rdispls = [sum(rcounts[s + 1 :]) for s in range(ic.remote_size)]
    sendbuf = np.zeros(sum(scounts), dtype="i")
    for d in range(ic.remote_size):
        sendbuf[sdispls[d] : sdispls[d] + scounts[d]] = [
            value(ic.group, ic.rank, d, i) for i in range(scounts[d])
        ]
    recvbuf = np.full(sum(rcounts), SENTINEL, dtype="i")
    ic.comm.Alltoallv([sendbuf, scounts, sdispls, MPI.INT], [recvbuf, rcounts, rdispls, MPI.INT])
    for s in range(ic.remote_size):
        got = recvbuf[rdispls[s] : rdispls[s] + rcounts[s]].tolist()
        assert got == [value(other, s, ic.rank, i) for i in range(rcounts[s])]


def test_alltoallw(inter):
    ic = inter
    other = 1 - ic.group
    n = ic.remote_size
    sendbuf = np.array([value(ic.group, ic.rank, d) for d in range(n)], dtype="d")
    recvbuf = np.zeros(n, dtype="d")
    displs = [8 * p for p in range(n)]
    ic.comm.Alltoallw(
        [sendbuf, [1] * n, displs, [MPI.DOUBLE] * n], [recvbuf, [1] * n, displs, [MPI.DOUBLE] * n]
    )
    assert recvbuf.tolist() == [value(other, s, ic.rank) for s in range(n)]


def test_allreduce(inter):
    """Each group receives the reduction of the other group's data."""
    ic = inter
    other = 1 - ic.group
    sendbuf = np.array([value(ic.group, ic.rank, i=i) for i in range(4)], dtype="q")
    recvbuf = np.zeros(4, dtype="q")
    for op, fold in ((MPI.SUM, sum), (MPI.MAX, max), (MPI.MIN, min)):
        ic.comm.Allreduce(sendbuf, recvbuf, op)
        assert recvbuf.tolist() == [
            fold(value(other, s, i=i) for s in range(ic.remote_size)) for i in range(4)
        ]


def test_reduce_scatter_block(inter):
    """count = (local size) * recvcount, the same count in both groups."""
    ic = inter
    other = 1 - ic.group
    count = ic.sizes[0] * ic.sizes[1]
    recvcount = count // ic.size
    sendbuf = np.array([value(ic.group, ic.rank, i=i) for i in range(count)], dtype="q")
    recvbuf = np.zeros(recvcount, dtype="q")
    ic.comm.Reduce_scatter_block(sendbuf, recvbuf, MPI.SUM)
    start = ic.rank * recvcount
    expected = [
        sum(value(other, s, i=i) for s in range(ic.remote_size))
        for i in range(start, start + recvcount)
    ]
    assert recvbuf.tolist() == expected


def test_reduce_scatter(inter):
    """recvcounts of the local group, summing to the same count in both groups."""
    ic = inter
    other = 1 - ic.group
    count = 6
    # uneven shares of `count` among the local group (the last takes the rest)
    counts = [min(r + 1, count) for r in range(ic.size)]
    while sum(counts) > count:
        counts[counts.index(max(counts))] -= 1
    counts[-1] += count - sum(counts)
    start = sum(counts[: ic.rank])
    sendbuf = np.array([value(ic.group, ic.rank, i=i) for i in range(count)], dtype="i")
    recvbuf = np.zeros(counts[ic.rank], dtype="i")
    ic.comm.Reduce_scatter(sendbuf, recvbuf, counts, MPI.MAX)
    expected = [
        max(value(other, s, i=i) for s in range(ic.remote_size))
        for i in range(start, start + counts[ic.rank])
    ]
    assert recvbuf.tolist() == expected
    with pytest.raises(ValueError):  # the local group's counts are needed
        ic.comm.Reduce_scatter(sendbuf, recvbuf)


def test_in_place_not_allowed(inter):
    comm = inter.comm
    buf = np.zeros(2 * inter.remote_size, dtype="i")
    with pytest.raises(ValueError):
        comm.Allgather(MPI.IN_PLACE, buf)
    with pytest.raises(ValueError):
        comm.Allreduce(MPI.IN_PLACE, buf)
    with pytest.raises(ValueError):
        comm.Alltoall(MPI.IN_PLACE, buf)


def test_scan_is_intracomm_only(inter):
    """MPI defines (ex)scans on intracommunicators only."""
    assert not hasattr(inter.comm, "Scan") and not hasattr(inter.comm, "Exscan")
    assert not hasattr(inter.comm, "scan") and not hasattr(inter.comm, "exscan")


def test_invalid_root(inter):
    """A rank beyond the other group is an error on every process (MPI checks it)."""
    ic = inter
    buf = np.zeros(1, dtype="i")
    with pytest.raises(MPI.Exception) as excinfo:
        ic.comm.Bcast(buf, root=ic.remote_size + 3)
    assert excinfo.value.Get_error_class() == MPI.ERR_ROOT


# -- Nonblocking and persistent --------------------------------------------------------


MPICH = MPI.Get_library_version().startswith("MPICH")


def start_and_complete(starts):
    """Start the nonblocking collectives `starts` (functions returning a request), all
    pending at once, and complete them in reverse order."""
    requests = [start() for start in starts]
    for req in reversed(requests):
        req.Wait()


def test_nonblocking(inter):
    ic = inter
    other = 1 - ic.group
    arg = root_arg(ic, 0, 0)
    bbuf = np.full(3, SENTINEL, dtype="i")
    if arg == MPI.ROOT:
        bbuf[:] = [7, 8, 9]
    rbuf = np.zeros(2, dtype="d")
    gbuf = np.zeros(ic.remote_size, dtype="i")
    start_and_complete(
        [
            lambda: ic.comm.Ibcast(bbuf, arg),
            lambda: ic.comm.Iallreduce(np.array([ic.rank, 1.0]), rbuf, MPI.SUM),
            lambda: ic.comm.Iallgather(np.array([value(ic.group, ic.rank)], dtype="i"), gbuf),
            lambda: ic.comm.Ibarrier(),
        ]
    )
    if ic.group == 1:
        assert bbuf.tolist() == [7, 8, 9]
    assert rbuf.tolist() == [sum(range(ic.remote_size)), ic.remote_size]
    assert gbuf.tolist() == [value(other, s) for s in range(ic.remote_size)]


def test_nonblocking_rooted_any_root(inter):
    """Ibcast, Igather, Iscatter, Ireduce with every root of either group."""
    ic = inter
    for g, r in roots(ic):
        if MPICH and r != 0:
            continue  # see test_ibcast_root_not_first
        arg = root_arg(ic, g, r)
        other = 1 - g
        bbuf = np.full(2, SENTINEL, dtype="i")
        gbuf = np.full(ic.remote_size, SENTINEL, dtype="i") if arg == MPI.ROOT else None
        sbuf = (
            np.array([value(g, r, d) for d in range(ic.remote_size)], dtype="i")
            if arg == MPI.ROOT
            else None
        )
        rbuf = np.full(1, SENTINEL, dtype="i")
        dbuf = np.zeros(1, dtype="i") if arg == MPI.ROOT else None
        if arg == MPI.ROOT:
            bbuf[:] = [g, r]
        mine = np.array([value(ic.group, ic.rank)], dtype="i")
        start_and_complete(
            [
                lambda: ic.comm.Ibcast(bbuf, arg),
                lambda: ic.comm.Igather(mine, gbuf, arg),
                lambda: ic.comm.Iscatter(sbuf, rbuf, arg),
                lambda: ic.comm.Ireduce(mine, dbuf, MPI.MAX, arg),
            ]
        )
        if ic.group == other:
            assert bbuf.tolist() == [g, r]
            assert rbuf.tolist() == [value(g, r, ic.rank)]
        if arg == MPI.ROOT:
            assert gbuf.tolist() == [value(other, s) for s in range(ic.sizes[other])]
            assert dbuf.tolist() == [max(value(other, s) for s in range(ic.sizes[other]))]


def test_nonblocking_after_proc_null(inter):
    """Processes of the root's group other than the root (PROC_NULL) pass no buffers;
    the nonblocking collectives that follow must still match. (MPICH's and Open MPI's
    Ibcast, and Open MPI's Ireduce, skip a step when given count 0 there; mpipy passes
    a nonzero count of an unused element.)"""
    ic = inter
    for g in (0, 1):
        arg = root_arg(ic, g, 0)
        buf = np.array([4, 2], dtype="i") if arg == MPI.ROOT else np.zeros(2, dtype="i")
        ic.comm.Ibcast(None if arg == MPI.PROC_NULL else buf, arg).Wait()
        ic.comm.Ibarrier().Wait()
        out = np.zeros(1, dtype="i") if arg == MPI.ROOT else None
        for op in (MPI.SUM, MPI.BAND):
            send = None if ic.group == g else np.array([ic.rank + 1], dtype="i")
            ic.comm.Ireduce(send, out, op, arg).Wait()
            total = np.zeros(1, dtype="i")
            ic.comm.Iallreduce(np.ones(1, dtype="i"), total, MPI.SUM).Wait()
            assert total[0] == ic.remote_size
            if arg == MPI.ROOT:
                values = range(1, ic.remote_size + 1)
                expected = sum(values) if op == MPI.SUM else np.bitwise_and.reduce(list(values))
                assert out[0] == expected
        if ic.group != g:
            assert buf.tolist() == [4, 2]
    pairs = np.zeros(1, dtype=[("v", "i4"), ("i", "i4")])
    arg = root_arg(ic, 0, 0)
    send = None if ic.group == 0 else np.array([(ic.rank % 2, ic.rank)], dtype=pairs.dtype)
    ic.comm.Ireduce(
        [send, MPI.INT_INT] if send is not None else None,
        [pairs, MPI.INT_INT] if arg == MPI.ROOT else None,
        MPI.MAXLOC,
        arg,
    ).Wait()
    ic.comm.Ibarrier().Wait()


def test_ibcast_root_not_first(inter):
    ic = inter
    if ic.sizes[0] < 2:
        pytest.skip("needs 2 processes in group 0 (N >= 4)")
    if MPICH:
        pytest.skip(
            "MPICH 5.0.2: MPI_Ibcast on an intercommunicator from a root that is not rank 0 "
            "of its group delivers nothing (reproduced in C), and the next nonblocking "
            "collective on that communicator hangs"
        )
    arg = root_arg(ic, 0, 1)
    buf = np.array([5, 6], dtype="i") if arg == MPI.ROOT else np.zeros(2, dtype="i")
    ic.comm.Ibcast(buf, arg).Wait()
    if ic.group == 1:
        assert buf.tolist() == [5, 6]


def test_persistent(inter):
    ic = inter
    other = 1 - ic.group
    arg = root_arg(ic, 1, 0)
    buf = np.zeros(2, dtype="q")
    sendbuf = np.zeros(1, dtype="q")
    recvbuf = np.zeros(ic.remote_size, dtype="q")
    try:
        reqs = [ic.comm.Bcast_init(buf, arg), ic.comm.Allgather_init(sendbuf, recvbuf)]
    except NotImplementedError as exc:
        pytest.skip(f"persistent collectives not available with this MPI: {exc}")
    try:
        for k in range(3):
            if arg == MPI.ROOT:
                buf[:] = [k, -k]
            sendbuf[0] = value(ic.group, ic.rank, k=k)
            for req in reqs:
                req.Start()
            MPI.Request.Waitall(reqs)
            if ic.group == 0:
                assert buf.tolist() == [k, -k]
            assert recvbuf.tolist() == [value(other, s, k=k) for s in range(ic.remote_size)]
    finally:
        for req in reqs:
            req.Free()


# -- Merge -----------------------------------------------------------------------------


def test_merge(inter):
    ic = inter
    for high_group in (0, 1):
        merged = ic.comm.Merge(high=ic.group == high_group)
        try:
            assert merged.Is_intra()
            assert merged.Get_size() == sum(ic.sizes)
            low = 1 - high_group
            expected = ic.rank if ic.group == low else ic.sizes[low] + ic.rank
            assert merged.Get_rank() == expected
            out = np.zeros(1, dtype="i")
            merged.Allreduce(np.array([1], dtype="i"), out, MPI.SUM)
            assert out[0] == sum(ic.sizes)
        finally:
            merged.Free()


# -- Objects ---------------------------------------------------------------------------


def obj(group, rank, dest=0):
    return {
        "from": (group, rank),
        "to": dest,
        "payload": [group] * (rank + 1),
        "name": f"g{group}r{rank}",
    }


def test_obj_bcast(inter):
    ic = inter
    for g, r in roots(ic):
        arg = root_arg(ic, g, r)
        result = ic.comm.bcast(obj(g, r) if arg == MPI.ROOT else "ignored", root=arg)
        assert result == (None if ic.group == g else obj(g, r))


def test_obj_gather(inter):
    ic = inter
    for g, r in roots(ic):
        arg = root_arg(ic, g, r)
        result = ic.comm.gather(obj(ic.group, ic.rank), root=arg)
        if arg == MPI.ROOT:
            assert result == [obj(1 - g, s) for s in range(ic.sizes[1 - g])]
        else:
            assert result is None


def test_obj_scatter(inter):
    ic = inter
    for g, r in roots(ic):
        arg = root_arg(ic, g, r)
        objs = [obj(g, r, d) for d in range(ic.remote_size)] if arg == MPI.ROOT else None
        result = ic.comm.scatter(objs, root=arg)
        assert result == (None if ic.group == g else obj(g, r, ic.rank))


def test_obj_allgather_alltoall(inter):
    ic = inter
    other = 1 - ic.group
    assert ic.comm.allgather(obj(ic.group, ic.rank)) == [
        obj(other, s) for s in range(ic.remote_size)
    ]
    sent = [obj(ic.group, ic.rank, d) for d in range(ic.remote_size)]
    assert ic.comm.alltoall(sent) == [obj(other, s, ic.rank) for s in range(ic.remote_size)]
    ic.comm.barrier()


def test_obj_reduce(inter):
    """The other group's objects, combined in its local rank order."""
    ic = inter
    for g, r in roots(ic):
        arg = root_arg(ic, g, r)
        mine = [f"g{ic.group}r{ic.rank}"]
        result = ic.comm.reduce(mine, op=MPI.SUM, root=arg)
        if arg == MPI.ROOT:
            assert result == [f"g{1 - g}r{s}" for s in range(ic.sizes[1 - g])]
        else:
            assert result is None
        text = ic.comm.reduce(f"{ic.rank},", op=lambda a, b: a + b, root=arg)
        if arg == MPI.ROOT:
            assert text == "".join(f"{s}," for s in range(ic.sizes[1 - g]))


def test_obj_allreduce(inter):
    ic = inter
    other = 1 - ic.group
    assert ic.comm.allreduce(ic.rank + 1) == sum(range(1, ic.remote_size + 1))
    assert ic.comm.allreduce([(ic.group, ic.rank)]) == [(other, s) for s in range(ic.remote_size)]
    pairs = ic.comm.allreduce((ic.rank % 2, ic.rank), op=MPI.MAXLOC)
    best = max(s % 2 for s in range(ic.remote_size))
    assert pairs == (best, min(s for s in range(ic.remote_size) if s % 2 == best))


def test_obj_reduce_invalid_root(inter):
    """Raised before any communication, so group 1 alone can try it."""
    ic = inter
    if ic.group == 1:
        with pytest.raises(MPI.Exception) as excinfo:
            ic.comm.reduce(1, root=ic.remote_size + 1)
        assert excinfo.value.Get_error_class() == MPI.ERR_ROOT


def test_obj_large_arrays(inter):
    """Arrays above the out-of-band threshold (256 KiB each) between the groups."""
    ic = inter
    other = 1 - ic.group

    def arr(group, rank, k=0):
        return np.arange(32768, dtype="d") * (group + 1) + 100 * rank + k

    for g, r in roots(ic):
        arg = root_arg(ic, g, r)
        got = ic.comm.bcast(arr(g, r) if arg == MPI.ROOT else None, root=arg)
        if ic.group == g:
            assert got is None
        else:
            assert np.array_equal(got, arr(g, r))
        got = ic.comm.gather(arr(ic.group, ic.rank), root=arg)
        if arg == MPI.ROOT:
            assert all(np.array_equal(a, arr(other, s)) for s, a in enumerate(got))
            assert len(got) == ic.remote_size
        sent = [arr(g, r, d) for d in range(ic.remote_size)] if arg == MPI.ROOT else None
        got = ic.comm.scatter(sent, root=arg)
        if ic.group != g:
            assert np.array_equal(got, arr(g, r, ic.rank))
    got = ic.comm.allgather(arr(ic.group, ic.rank))
    assert all(np.array_equal(a, arr(other, s)) for s, a in enumerate(got))
    got = ic.comm.alltoall([arr(ic.group, ic.rank, d) for d in range(ic.remote_size)])
    assert all(np.array_equal(a, arr(other, s, ic.rank)) for s, a in enumerate(got))
    total = ic.comm.allreduce(arr(ic.group, ic.rank))
    assert np.array_equal(total, sum(arr(other, s) for s in range(ic.remote_size)))

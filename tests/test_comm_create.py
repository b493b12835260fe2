"""Communicator construction (MPI-4.1 chapter 7.4): Create, Create_group, Split,
Split_type, Dup, Dup_with_info, Idup, Create_from_group, and the intercommunicator
constructors Create_intercomm, Merge and Create_from_groups."""

import pytest
from helpers import split_intercomm

from mpipy import MPI


def _ring_check(newcomm):
    """A message travels round the new communicator: each rank hears its left neighbour."""
    r, n = newcomm.Get_rank(), newcomm.Get_size()
    got = newcomm.sendrecv(("hello", r), dest=(r + 1) % n, source=(r - 1) % n)
    assert got == ("hello", (r - 1) % n)


def _free_all(*comms):
    for c in comms:
        if c:
            c.Free()


# -- Create ----------------------------------------------------------------------------


def test_create_full_group(comm):
    group = comm.Get_group()
    new = comm.Create(group)
    try:
        assert type(new) is MPI.Intracomm
        assert new.Get_size() == comm.Get_size()
        assert new.Get_rank() == comm.Get_rank()
        assert comm.Compare(new) == MPI.CONGRUENT
        newgroup = new.Get_group()
        assert MPI.Group.Compare(newgroup, group) == MPI.IDENT
        newgroup.Free()
        _ring_check(new)
    finally:
        group.Free()
        _free_all(new)


def test_create_even_subgroup(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    group = comm.Get_group()
    evens = list(range(0, size, 2))
    sub = group.Incl(evens)
    new = comm.Create(sub)
    try:
        assert isinstance(new, MPI.Intracomm)
        if rank % 2 == 0:
            assert new.Get_size() == len(evens)
            assert new.Get_rank() == rank // 2
            newgroup = new.Get_group()
            assert MPI.Group.Compare(newgroup, sub) == MPI.IDENT
            newgroup.Free()
            _ring_check(new)
        else:
            assert new == MPI.COMM_NULL and not new
    finally:
        sub.Free()
        group.Free()
        _free_all(new)


def test_create_reversed_group_orders_ranks(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    group = comm.Get_group()
    rev = group.Incl(list(reversed(range(size))))
    new = comm.Create(rev)
    try:
        assert new.Get_rank() == size - 1 - rank
        assert new.Get_size() == size
        newgroup = new.Get_group()
        expected = MPI.IDENT if size == 1 else MPI.SIMILAR
        assert MPI.Group.Compare(newgroup, group) == expected
        assert comm.Compare(new) == (MPI.CONGRUENT if size == 1 else MPI.SIMILAR)
        newgroup.Free()
        _ring_check(new)
    finally:
        rev.Free()
        group.Free()
        _free_all(new)


def test_create_empty_group(comm):
    new = comm.Create(MPI.GROUP_EMPTY)
    assert new == MPI.COMM_NULL
    assert type(new) is MPI.Intracomm


def test_create_bad_types(comm):
    for bad in (None, "group", 0, comm):
        with pytest.raises(TypeError):
            comm.Create(bad)
        with pytest.raises(TypeError):
            comm.Create_group(bad)
    comm.Barrier()


def test_create_group_null_raises(comm):
    with pytest.raises(MPI.Exception):
        comm.Create(MPI.GROUP_NULL)
    comm.Barrier()


@pytest.mark.mpi(min_size=2)
@pytest.mark.timeout(60)
def test_create_not_a_subgroup_raises():
    # COMM_WORLD's group is not a subgroup of COMM_SELF's once there are 2+ processes.
    # The standard calls this erroneous without requiring that it be detected; MPICH
    # detects it, Open MPI 5 does not (it returns a communicator).
    if MPI.get_vendor()[0] != "MPICH":
        pytest.skip(f"{MPI.get_vendor()[0]} does not detect a group that is not a subgroup")
    group = MPI.COMM_WORLD.Get_group()
    try:
        with pytest.raises(MPI.Exception):
            new = MPI.COMM_SELF.Create(group)
            _free_all(new)
    finally:
        group.Free()


# -- Create_group ----------------------------------------------------------------------


@pytest.mark.parametrize("tag", [None, 0, 7])
def test_create_group_by_parity(comm, tag):
    rank, size = comm.Get_rank(), comm.Get_size()
    group = comm.Get_group()
    mine = [r for r in range(size) if r % 2 == rank % 2]
    # Keys by descending rank: the new ranks follow the order given in the group.
    sub = group.Incl(list(reversed(mine)))
    new = comm.Create_group(sub) if tag is None else comm.Create_group(sub, tag=tag)
    try:
        assert type(new) is MPI.Intracomm
        assert new.Get_size() == len(mine)
        assert new.Get_rank() == len(mine) - 1 - mine.index(rank)
        newgroup = new.Get_group()
        assert MPI.Group.Compare(newgroup, sub) == MPI.IDENT
        newgroup.Free()
        _ring_check(new)
    finally:
        sub.Free()
        group.Free()
        _free_all(new)


def test_create_group_self_only(comm):
    group = comm.Get_group()
    sub = group.Incl([comm.Get_rank()])
    new = comm.Create_group(sub, 3)
    try:
        assert new.Get_size() == 1 and new.Get_rank() == 0
        assert new.Compare(MPI.COMM_SELF) == MPI.CONGRUENT
    finally:
        sub.Free()
        group.Free()
        _free_all(new)


# -- Split -----------------------------------------------------------------------------


def test_split_key_gives_rank_order(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    color = rank % 2
    new = comm.Split(color, key=size - rank)
    try:
        mine = [r for r in range(size) if r % 2 == color]
        assert type(new) is MPI.Intracomm
        assert new.Get_size() == len(mine)
        # Larger parent rank, smaller key, earlier position.
        assert new.Get_rank() == len(mine) - 1 - mine.index(rank)
        _ring_check(new)
    finally:
        _free_all(new)


def test_split_ties_keep_parent_order(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    new = comm.Split(color=rank // 2, key=0)
    try:
        mine = [r for r in range(size) if r // 2 == rank // 2]
        assert new.Get_size() == len(mine)
        assert new.Get_rank() == mine.index(rank)
    finally:
        _free_all(new)


def test_split_undefined_color(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    color = MPI.UNDEFINED if rank % 2 == 1 else 5
    new = comm.Split(color, rank)
    try:
        if color == MPI.UNDEFINED:
            assert new == MPI.COMM_NULL and not new
        else:
            assert new.Get_size() == len(range(0, size, 2))
            assert new.Get_rank() == rank // 2
            _ring_check(new)
    finally:
        _free_all(new)


def test_split_all_undefined(comm):
    new = comm.Split(MPI.UNDEFINED, 0)
    assert new == MPI.COMM_NULL


# -- Split_type ------------------------------------------------------------------------


def test_split_type_shared(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    new = comm.Split_type(MPI.COMM_TYPE_SHARED, key=rank)
    try:
        assert type(new) is MPI.Intracomm
        # All processes of the test run share one node.
        assert new.Get_size() == size
        assert new.Get_rank() == rank
        assert comm.Compare(new) == MPI.CONGRUENT
        _ring_check(new)
    finally:
        _free_all(new)


def test_split_type_shared_key_reverses(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    info = MPI.Info.Create()
    new = comm.Split_type(MPI.COMM_TYPE_SHARED, -rank, info)
    try:
        assert new.Get_size() == size
        assert new.Get_rank() == size - 1 - rank
    finally:
        info.Free()
        _free_all(new)


def test_split_type_undefined(comm):
    new = comm.Split_type(MPI.UNDEFINED)
    assert new == MPI.COMM_NULL and not new


def test_split_type_bad_types(comm):
    with pytest.raises(TypeError):
        comm.Split_type("shared")
    with pytest.raises(TypeError):
        comm.Split_type(MPI.COMM_TYPE_SHARED, 0, "info")
    comm.Barrier()


# -- Dup, Dup_with_info, Idup ----------------------------------------------------------


def _check_dup(comm, new):
    assert type(new) is type(comm)
    assert new != comm
    assert comm.Compare(new) == MPI.CONGRUENT
    assert new.Get_size() == comm.Get_size()
    assert new.Get_rank() == comm.Get_rank()
    g1, g2 = comm.Get_group(), new.Get_group()
    assert MPI.Group.Compare(g1, g2) == MPI.IDENT
    g1.Free()
    g2.Free()
    _ring_check(new)


def test_dup(comm):
    new = comm.Dup()
    try:
        _check_dup(comm, new)
    finally:
        _free_all(new)


def test_dup_info(comm):
    info = MPI.Info.Create()
    info.Set("mpi_assert_no_any_tag", "false")
    a = comm.Dup(info)
    b = comm.Dup_with_info(info)
    try:
        _check_dup(comm, a)
        _check_dup(comm, b)
        assert a.Compare(b) == MPI.CONGRUENT
    finally:
        info.Free()
        _free_all(a, b)


def test_dup_with_info_null(comm):
    new = comm.Dup_with_info(MPI.INFO_NULL)
    try:
        _check_dup(comm, new)
    finally:
        _free_all(new)


def test_dup_messages_do_not_cross(comm):
    # A message sent on the duplicate is not received on the parent, and vice versa.
    rank, size = comm.Get_rank(), comm.Get_size()
    new = comm.Dup()
    try:
        right, left = (rank + 1) % size, (rank - 1) % size
        r1 = new.isend("on-dup", dest=right, tag=1)
        r2 = comm.isend("on-parent", dest=right, tag=1)
        assert comm.recv(source=left, tag=1) == "on-parent"
        assert new.recv(source=left, tag=1) == "on-dup"
        r1.wait()
        r2.wait()
    finally:
        _free_all(new)


@pytest.mark.parametrize("how", ["Idup", "Idup-info", "Idup_with_info"])
def test_idup(comm, how):
    info = MPI.Info.Create()
    if how == "Idup":
        result = comm.Idup()
    elif how == "Idup-info":
        result = comm.Idup(info)
    else:
        result = comm.Idup_with_info(info)
    assert isinstance(result, tuple) and len(result) == 2
    new, request = result
    try:
        assert isinstance(request, MPI.Request)
        request.Wait()
        assert request == MPI.REQUEST_NULL
        _check_dup(comm, new)
    finally:
        info.Free()
        _free_all(new)


def test_dup_bad_info_type(comm):
    with pytest.raises(TypeError):
        comm.Dup("info")
    with pytest.raises(TypeError):
        comm.Dup_with_info(3)
    with pytest.raises(TypeError):
        comm.Idup(3)
    comm.Barrier()


# -- Create_from_group (MPI sessions) --------------------------------------------------


def test_create_from_group(comm):
    if not hasattr(MPI.Intracomm, "Create_from_group"):
        pytest.skip("this MPI library has no MPI_Comm_create_from_group")
    group = comm.Get_group()
    try:
        try:
            new = MPI.Intracomm.Create_from_group(group, stringtag="mpipy.test.cfg")
        except NotImplementedError as exc:
            pytest.skip(f"Create_from_group not available: {exc}")
        try:
            assert type(new) is MPI.Intracomm
            assert new.Get_size() == comm.Get_size()
            assert new.Get_rank() == comm.Get_rank()
            newgroup = new.Get_group()
            assert MPI.Group.Compare(newgroup, group) == MPI.IDENT
            newgroup.Free()
            _ring_check(new)
        finally:
            _free_all(new)
    finally:
        group.Free()


def test_create_from_group_bad_type():
    if not hasattr(MPI.Intracomm, "Create_from_group"):
        pytest.skip("this MPI library has no MPI_Comm_create_from_group")
    with pytest.raises(TypeError):
        MPI.Intracomm.Create_from_group("group")


# -- Intercommunicators ----------------------------------------------------------------


def _parity(r):
    return r % 2


def _halves(r):
    return 0 if r < MPI.COMM_WORLD.Get_size() // 2 else 1


def _expected_groups(color_of):
    size = MPI.COMM_WORLD.Get_size()
    me = color_of(MPI.COMM_WORLD.Get_rank())
    local = [r for r in range(size) if color_of(r) == me]
    remote = [r for r in range(size) if color_of(r) != me]
    return me, local, remote


@pytest.mark.mpi(min_size=2)
@pytest.mark.parametrize("color_of", [_parity, _halves])
def test_create_intercomm(color_of):
    world = MPI.COMM_WORLD
    me, local_ranks, remote_ranks = _expected_groups(color_of)
    with split_intercomm(color_of, 41) as (inter, local):
        assert type(inter) is MPI.Intercomm
        assert inter.Is_inter() and not inter.Is_intra()
        assert inter.Get_size() == len(local_ranks)
        assert inter.Get_rank() == local_ranks.index(world.Get_rank())
        assert inter.Get_remote_size() == len(remote_ranks)
        assert inter.remote_size == len(remote_ranks)
        wgroup = world.Get_group()
        expect_remote = wgroup.Incl(remote_ranks)
        expect_local = wgroup.Incl(local_ranks)
        rgroup, rgroup2, lgroup = inter.Get_remote_group(), inter.remote_group, inter.Get_group()
        try:
            assert MPI.Group.Compare(rgroup, expect_remote) == MPI.IDENT
            assert MPI.Group.Compare(rgroup2, expect_remote) == MPI.IDENT
            assert MPI.Group.Compare(lgroup, expect_local) == MPI.IDENT
        finally:
            for g in (wgroup, expect_remote, expect_local, rgroup, rgroup2, lgroup):
                g.Free()
        # Local rank i talks to remote rank i mod the remote size; the leaders also
        # hear everyone on the other side.
        r = inter.Get_rank()
        inter.send((me, r), dest=r % len(remote_ranks), tag=5)
        senders = [i for i in range(len(remote_ranks)) if i % len(local_ranks) == r]
        got = sorted(inter.recv(source=s, tag=5) for s in senders)
        assert got == [(1 - me, s) for s in senders]


@pytest.mark.mpi(min_size=2)
@pytest.mark.parametrize("color_of", [_parity, _halves])
@pytest.mark.parametrize("high_side", [0, 1])
def test_merge_order(color_of, high_side):
    world = MPI.COMM_WORLD
    me, local_ranks, remote_ranks = _expected_groups(color_of)
    with split_intercomm(color_of, 42) as (inter, local):
        merged = inter.Merge(high=(me == high_side))
        try:
            assert type(merged) is MPI.Intracomm
            assert merged.Is_intra()
            assert merged.Get_size() == world.Get_size()
            # The low group comes first, each group in its local order.
            size = world.Get_size()
            low = [r for r in range(size) if color_of(r) != high_side]
            high = [r for r in range(size) if color_of(r) == high_side]
            order = low + high
            assert merged.Get_rank() == order.index(world.Get_rank())
            _ring_check(merged)
        finally:
            _free_all(merged)


@pytest.mark.mpi(min_size=2)
def test_merge_default_is_low():
    with split_intercomm(_parity, 43) as (inter, local):
        a = inter.Merge()
        try:
            assert a.Get_size() == MPI.COMM_WORLD.Get_size()
        finally:
            _free_all(a)


@pytest.mark.mpi(min_size=2)
def test_create_on_intercomm():
    me, local_ranks, remote_ranks = _expected_groups(_parity)
    with split_intercomm(_parity, 44) as (inter, local):
        group = inter.Get_group()
        new = inter.Create(group)
        try:
            assert type(new) is MPI.Intercomm
            assert new.Get_size() == len(local_ranks)
            assert new.Get_remote_size() == len(remote_ranks)
            assert inter.Compare(new) == MPI.CONGRUENT
        finally:
            group.Free()
            _free_all(new)
        # An empty group everywhere: COMM_NULL, still of the intercommunicator class.
        empty = inter.Create(MPI.GROUP_EMPTY)
        assert empty == MPI.COMM_NULL
        assert type(empty) is MPI.Intercomm
        dup = inter.Dup()
        try:
            assert type(dup) is MPI.Intercomm
            assert inter.Compare(dup) == MPI.CONGRUENT
            assert dup.Get_remote_size() == len(remote_ranks)
        finally:
            _free_all(dup)


@pytest.mark.mpi(min_size=2)
def test_split_and_idup_on_intercomm():
    world = MPI.COMM_WORLD
    me, local_ranks, remote_ranks = _expected_groups(_parity)
    with split_intercomm(_parity, 46) as (inter, local):
        # Reversed order on both sides: each side sees the other reversed too.
        new = inter.Split(0, -world.Get_rank())
        try:
            assert type(new) is MPI.Intercomm
            assert new.Get_size() == len(local_ranks)
            assert new.Get_rank() == len(local_ranks) - 1 - local_ranks.index(world.Get_rank())
            assert new.Get_remote_size() == len(remote_ranks)
            wgroup = world.Get_group()
            expect = wgroup.Incl(list(reversed(remote_ranks)))
            got = new.Get_remote_group()
            assert MPI.Group.Compare(got, expect) == MPI.IDENT
            for g in (wgroup, expect, got):
                g.Free()
        finally:
            _free_all(new)
        dup, request = inter.Idup()
        try:
            request.Wait()
            assert type(dup) is MPI.Intercomm
            assert inter.Compare(dup) == MPI.CONGRUENT
            # The leaders swap their sides' colours on the duplicate.
            if dup.Get_rank() == 0:
                assert dup.sendrecv(me, dest=0, source=0) == 1 - me
        finally:
            _free_all(dup)


@pytest.mark.mpi(min_size=2)
def test_create_intercomm_bad_types():
    world = MPI.COMM_WORLD
    with pytest.raises(TypeError):
        world.Create_intercomm(0, "peer", 0, 0)
    with pytest.raises(TypeError):
        world.Create_intercomm("0", world, 0, 0)
    with split_intercomm(_parity, 45) as (inter, local):
        # An intercommunicator is not an Intracomm: it cannot be a peer, nor make one.
        assert not hasattr(inter, "Create_intercomm")
        with pytest.raises(TypeError):
            local.Create_intercomm(0, inter, 0, 0)
    world.Barrier()


@pytest.mark.mpi(min_size=2)
def test_intercomm_create_from_groups():
    if not hasattr(MPI.Intercomm, "Create_from_groups"):
        pytest.skip("this MPI library has no MPI_Intercomm_create_from_groups")
    world = MPI.COMM_WORLD
    me, local_ranks, remote_ranks = _expected_groups(_parity)
    wgroup = world.Get_group()
    lgroup, rgroup = wgroup.Incl(local_ranks), wgroup.Incl(remote_ranks)
    try:
        try:
            inter = MPI.Intercomm.Create_from_groups(lgroup, 0, rgroup, 0, "mpipy.test.cfgs")
        except NotImplementedError as exc:
            pytest.skip(f"Create_from_groups not available: {exc}")
        try:
            assert type(inter) is MPI.Intercomm
            assert inter.Get_size() == len(local_ranks)
            assert inter.Get_rank() == local_ranks.index(world.Get_rank())
            assert inter.remote_size == len(remote_ranks)
            got = inter.Get_remote_group()
            assert MPI.Group.Compare(got, rgroup) == MPI.IDENT
            got.Free()
            merged = inter.Merge(high=me == 1)
            try:
                assert merged.Get_size() == world.Get_size()
                _ring_check(merged)
            finally:
                _free_all(merged)
        finally:
            _free_all(inter)
    finally:
        for g in (wgroup, lgroup, rgroup):
            g.Free()

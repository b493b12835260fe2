"""Communicators, basics: the class hierarchy, COMM_WORLD and COMM_SELF, size and rank,
groups (minimal), Compare, Clone, Dup, Split, Free, Is_inter/Is_intra, Get_topology,
names, Barrier. Tests taking ``comm`` run on the harness's communicators (COMM_SELF,
COMM_WORLD, a Dup of COMM_WORLD); every rank makes the same collective calls, so the
tests are correct at any world size."""

import pytest

from mpipy import MPI

WORLD = MPI.COMM_WORLD


def reversed_copy(comm):
    """The same processes in reverse rank order."""
    return comm.Split(0, comm.Get_size() - comm.Get_rank())


# -- Classes ---------------------------------------------------------------------------


def test_class_hierarchy():
    assert issubclass(MPI.Intracomm, MPI.Comm)
    assert issubclass(MPI.Topocomm, MPI.Intracomm)
    for cls in (MPI.Cartcomm, MPI.Graphcomm, MPI.Distgraphcomm):
        assert issubclass(cls, MPI.Topocomm)
    assert issubclass(MPI.Intercomm, MPI.Comm)
    assert not issubclass(MPI.Intercomm, MPI.Intracomm)
    assert type(MPI.COMM_WORLD) is MPI.Intracomm
    assert type(MPI.COMM_SELF) is MPI.Intracomm
    assert type(MPI.COMM_NULL) is MPI.Comm


def test_predefined_comms():
    assert MPI.COMM_WORLD and MPI.COMM_SELF and not MPI.COMM_NULL
    assert MPI.COMM_WORLD != MPI.COMM_SELF
    assert MPI.COMM_SELF.Get_size() == 1 and MPI.COMM_SELF.Get_rank() == 0
    assert MPI.COMM_WORLD.Get_name() == "MPI_COMM_WORLD"
    assert MPI.COMM_SELF.Get_name() == "MPI_COMM_SELF"
    assert MPI.COMM_NULL.Get_name() == MPI.Comm().Get_name() == "MPI_COMM_NULL"


# -- Size, rank, group -----------------------------------------------------------------


def test_size_rank(comm):
    size, rank = comm.Get_size(), comm.Get_rank()
    assert type(size) is int and type(rank) is int
    assert 0 <= rank < size
    assert comm.size == size and comm.rank == rank
    if comm == MPI.COMM_SELF:
        assert (size, rank) == (1, 0)
    else:
        assert (size, rank) == (WORLD.Get_size(), WORLD.Get_rank())


def test_get_group(comm):
    group = comm.Get_group()
    try:
        assert type(group) is MPI.Group and group
        assert group.Get_size() == group.size == comm.Get_size()
        assert group.Get_rank() == group.rank == comm.Get_rank()
    finally:
        group.Free()
    assert not group and group == MPI.GROUP_NULL
    with pytest.raises(MPI.Exception) as info:
        group.Free()
    assert info.value.Get_error_class() == MPI.ERR_GROUP
    prop = comm.group
    assert type(prop) is MPI.Group and prop.Get_size() == comm.Get_size()
    prop.Free()


def test_group_constants():
    assert MPI.GROUP_EMPTY.Get_size() == 0
    assert MPI.GROUP_EMPTY.Get_rank() == MPI.UNDEFINED
    assert not MPI.GROUP_NULL
    with pytest.raises(MPI.Exception) as info:
        MPI.GROUP_NULL.Get_size()
    assert info.value.Get_error_class() == MPI.ERR_GROUP


# -- Compare ---------------------------------------------------------------------------


def test_compare(comm):
    assert comm.Compare(comm) == MPI.IDENT
    assert comm.Compare(MPI.Comm(comm)) == MPI.IDENT
    dup = comm.Dup()
    try:
        assert comm.Compare(dup) == MPI.CONGRUENT
        assert dup.Compare(comm) == MPI.CONGRUENT
    finally:
        dup.Free()
    rev = reversed_copy(comm)
    try:
        expected = MPI.CONGRUENT if comm.Get_size() == 1 else MPI.SIMILAR
        assert comm.Compare(rev) == expected
    finally:
        rev.Free()


def test_compare_world_self():
    expected = MPI.CONGRUENT if WORLD.Get_size() == 1 else MPI.UNEQUAL
    assert WORLD.Compare(MPI.COMM_SELF) == expected


def test_compare_bad_arguments(comm):
    with pytest.raises(MPI.Exception) as info:
        comm.Compare(MPI.COMM_NULL)
    assert info.value.Get_error_class() == MPI.ERR_COMM
    with pytest.raises(TypeError):
        comm.Compare(None)
    with pytest.raises(TypeError):
        comm.Compare(MPI.GROUP_EMPTY)


# -- Clone, Dup, Free ------------------------------------------------------------------


@pytest.mark.parametrize("how", ["Clone", "Dup", "Dup(None)", "Dup(INFO_NULL)"])
def test_duplicate(comm, how):
    if how == "Clone":
        new = comm.Clone()
    elif how == "Dup":
        new = comm.Dup()
    elif how == "Dup(None)":
        new = comm.Dup(None)
    else:
        new = comm.Dup(info=MPI.INFO_NULL)
    try:
        assert type(new) is type(comm) and new and new != comm
        assert comm.Compare(new) == MPI.CONGRUENT
        assert (new.Get_size(), new.Get_rank()) == (comm.Get_size(), comm.Get_rank())
        eh = new.Get_errhandler()
        assert eh == MPI.ERRORS_RETURN
        eh.Free()
        new.Barrier()
    finally:
        new.Free()
    assert not new and new == MPI.COMM_NULL and type(new) is type(comm)
    comm.Barrier()  # the original is untouched


def test_duplicate_keeps_python_class():
    plain = MPI.Comm(WORLD)
    for new in (plain.Dup(), plain.Clone()):
        assert type(new) is MPI.Comm
        new.Free()


def test_dup_bad_info(comm):
    with pytest.raises(TypeError):
        comm.Dup(info=comm)
    with pytest.raises(TypeError):
        comm.Dup("info")


def test_free_predefined_raises():
    for comm in (MPI.COMM_WORLD, MPI.COMM_SELF, MPI.COMM_NULL):
        with pytest.raises(MPI.Exception) as info:
            comm.Free()
        assert info.value.Get_error_class() == MPI.ERR_COMM
    assert MPI.COMM_WORLD and MPI.COMM_SELF
    WORLD.Barrier()


def test_free_twice_raises():
    dup = WORLD.Dup()
    dup.Free()
    with pytest.raises(MPI.Exception) as info:
        dup.Free()
    assert info.value.Get_error_class() == MPI.ERR_COMM


# -- Split -----------------------------------------------------------------------------


def test_split_by_parity(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    sub = comm.Split(rank % 2, rank)
    try:
        assert type(sub) is MPI.Intracomm
        assert sub.Get_size() == len(range(rank % 2, size, 2))
        assert sub.Get_rank() == rank // 2
        eh = sub.Get_errhandler()
        assert eh == MPI.ERRORS_RETURN
        eh.Free()
        sub.Barrier()
    finally:
        sub.Free()


def test_split_key_orders_ranks(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    rev = reversed_copy(comm)
    try:
        assert rev.Get_size() == size
        assert rev.Get_rank() == size - 1 - rank
    finally:
        rev.Free()
    # Equal keys keep the order of the parent.
    same = comm.Split(7, 0)
    try:
        assert same.Get_rank() == rank
    finally:
        same.Free()


def test_split_defaults(comm):
    sub = comm.Split()
    try:
        assert comm.Compare(sub) == MPI.CONGRUENT
    finally:
        sub.Free()


def test_split_undefined(comm):
    rank = comm.Get_rank()
    color = MPI.UNDEFINED if rank == 0 else 1
    sub = comm.Split(color, 0)
    try:
        if rank == 0:
            assert sub == MPI.COMM_NULL and not sub
            assert type(sub) is MPI.Intracomm
        else:
            assert sub.Get_size() == comm.Get_size() - 1
            assert sub.Get_rank() == rank - 1
    finally:
        if sub:
            sub.Free()


@pytest.mark.parametrize("color", [-2, -100])
def test_split_negative_color_refused(comm, color):
    if color == MPI.UNDEFINED:
        pytest.skip("UNDEFINED in this MPI")
    # Refused before MPI is called, on every rank alike: no rank waits for the others.
    with pytest.raises(ValueError):
        comm.Split(color, 0)
    comm.Barrier()


def test_split_bad_types(comm):
    with pytest.raises(TypeError):
        comm.Split("0", 0)
    with pytest.raises(TypeError):
        comm.Split(0, 1.5)
    with pytest.raises((TypeError, OverflowError)):
        comm.Split(2**40, 0)
    with pytest.raises((TypeError, OverflowError)):
        comm.Split(0, -(2**40))
    comm.Barrier()


# -- Kind, topology --------------------------------------------------------------------


def test_inter_intra(comm):
    assert comm.Is_inter() is False and comm.Is_intra() is True
    assert comm.is_inter is False and comm.is_intra is True


def test_topology(comm):
    assert comm.Get_topology() == MPI.UNDEFINED
    assert comm.topology == MPI.UNDEFINED


def test_is_topo(comm):
    assert comm.is_topo is False


# -- Names -----------------------------------------------------------------------------


def test_set_get_name():
    dup = WORLD.Dup()
    try:
        assert isinstance(dup.Get_name(), str)
        dup.Set_name("mpipy dup")
        assert dup.Get_name() == dup.name == "mpipy dup"
        dup.name = "caf\u00e9"
        assert dup.Get_name() == "caf\u00e9"
        dup.Set_name("")
        assert dup.Get_name() == ""
        long = "n" * (2 * MPI.MAX_OBJECT_NAME)
        dup.Set_name(long)
        got = dup.Get_name()
        assert long.startswith(got) and len(got) < MPI.MAX_OBJECT_NAME
        assert WORLD.Get_name() == "MPI_COMM_WORLD"
    finally:
        dup.Free()


def test_name_truncated_inside_utf8():
    dup = WORLD.Dup()
    try:
        dup.Set_name("\u00e9" * MPI.MAX_OBJECT_NAME)
        assert dup.Get_name().startswith("\u00e9" * 8)
    finally:
        dup.Free()


def test_set_name_bad_type():
    dup = WORLD.Dup()
    try:
        for bad in (None, 3, b"bytes"):
            with pytest.raises(TypeError):
                dup.Set_name(bad)
    finally:
        dup.Free()


# -- Barrier ---------------------------------------------------------------------------


def test_barrier(comm):
    for _ in range(3):
        assert comm.Barrier() is None


def test_barrier_null():
    with pytest.raises(MPI.Exception) as info:
        MPI.COMM_NULL.Barrier()
    assert info.value.Get_error_class() == MPI.ERR_COMM

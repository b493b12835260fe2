"""Groups: size/rank, rank translation, comparison, set algebra (with MPI's ordering of
members), inclusion/exclusion by ranks and ranges, and bad input. Correct at any size."""

import pytest

from mpipy import MPI


@pytest.fixture
def group(comm):
    g = comm.Get_group()
    yield g
    g.Free()


def members(group, of):
    """The ranks in `of` of the members of `group`, in `group`'s order."""
    return group.Translate_ranks(list(range(group.Get_size())), of)


def test_size_rank(group, comm):
    assert group.Get_size() == group.size == comm.Get_size()
    assert group.Get_rank() == group.rank == comm.Get_rank()


def test_translate_ranks_identity(group, size):
    assert group.Translate_ranks(list(range(size)), group) == list(range(size))
    world = MPI.COMM_WORLD.Get_group()
    assert group.Translate_ranks() == group.Translate_ranks(None, world)
    assert group.Translate_ranks(None, world)[group.rank] == world.rank
    world.Free()


def test_translate_ranks_reversed(group, size):
    rev = group.Incl(list(reversed(range(size))))
    try:
        assert rev.Translate_ranks(list(range(size)), group) == [size - 1 - r for r in range(size)]
        assert rev.Get_rank() == size - 1 - group.Get_rank()
        # the static spelling of mpi4py 3 still works
        assert MPI.Group.Translate_ranks(group, [0], rev) == [size - 1]
    finally:
        rev.Free()


def test_translate_ranks_default_group_is_world(size):
    world = MPI.COMM_WORLD.Get_group()
    try:
        sub = world.Incl([world.size - 1])
        assert sub.Translate_ranks() == [world.size - 1]
        assert sub.Translate_ranks([0]) == [world.size - 1]
        sub.Free()
    finally:
        world.Free()


def test_translate_ranks_not_member_and_proc_null(group):
    assert group.Translate_ranks([0, MPI.PROC_NULL], MPI.GROUP_EMPTY) == [
        MPI.UNDEFINED,
        MPI.PROC_NULL,
    ]
    assert group.Translate_ranks([], group) == []
    assert group.Translate_ranks([MPI.PROC_NULL, 0], group) == [MPI.PROC_NULL, 0]


@pytest.mark.parametrize("bad", [[-1000], [10**6], [0, 10**6]])
def test_translate_ranks_outside_group(group, bad):
    with pytest.raises(MPI.Exception) as info:
        group.Translate_ranks(bad, group)
    assert info.value.Get_error_class() == MPI.ERR_RANK


def test_translate_ranks_bad_types(group):
    with pytest.raises(TypeError):
        group.Translate_ranks("01", group)
    with pytest.raises(TypeError):
        group.Translate_ranks([0.5], group)
    with pytest.raises(TypeError):
        group.Translate_ranks([0], MPI.COMM_WORLD)
    with pytest.raises(OverflowError):
        group.Translate_ranks([2**40], group)
    with pytest.raises(OverflowError):
        group.Incl([2**40])
    with pytest.raises(OverflowError):
        group.Range_incl([(0, 2**40, 1)])
    with pytest.raises(TypeError):
        group.Incl(5)


def test_compare(group, size):
    dup = group.Dup()
    try:
        assert type(dup) is MPI.Group
        assert group.Compare(group) == MPI.IDENT
        assert group.Compare(dup) == MPI.IDENT
        rev = group.Incl(list(reversed(range(size))))
        assert group.Compare(rev) == (MPI.IDENT if size == 1 else MPI.SIMILAR)
        rev.Free()
        assert group.Compare(MPI.GROUP_EMPTY) == MPI.UNEQUAL
        assert MPI.GROUP_EMPTY.Compare(MPI.GROUP_EMPTY) == MPI.IDENT
    finally:
        dup.Free()


def test_compare_bad(group):
    with pytest.raises(TypeError):
        group.Compare(None)
    with pytest.raises(MPI.Exception):
        group.Compare(MPI.GROUP_NULL)


def test_incl_order(group, size):
    ranks = list(range(size - 1, -1, -2))  # every other rank, from the last down
    sub = group.Incl(ranks)
    try:
        assert sub.Get_size() == len(ranks)
        assert members(sub, group) == ranks
        me = group.Get_rank()
        assert sub.Get_rank() == (ranks.index(me) if me in ranks else MPI.UNDEFINED)
    finally:
        sub.Free()


def test_excl_keeps_order(group, size):
    gone = list(range(0, size, 2))
    sub = group.Excl(gone)
    try:
        assert members(sub, group) == [r for r in range(size) if r not in gone]
    finally:
        sub.Free()


def test_incl_excl_empty(group, size):
    empty = group.Incl([])
    assert empty.Get_size() == 0 and empty.Compare(MPI.GROUP_EMPTY) == MPI.IDENT
    empty.Free()
    everyone = group.Excl([])
    assert everyone.Compare(group) == MPI.IDENT
    everyone.Free()
    nobody = group.Excl(list(range(size)))
    assert nobody.Get_size() == 0 and nobody.Get_rank() == MPI.UNDEFINED
    nobody.Free()


@pytest.mark.parametrize("method", ["Incl", "Excl"])
@pytest.mark.parametrize("kind", ["negative", "too_big", "repeated"])
def test_incl_excl_bad_ranks(group, size, method, kind):
    ranks = {"negative": [-1], "too_big": [size], "repeated": [0, 0]}[kind]
    with pytest.raises(MPI.Exception) as info:
        getattr(group, method)(ranks)
    assert info.value.Get_error_class() == MPI.ERR_RANK


def test_range_incl(group, size):
    expect = list(range(0, size, 2))
    sub = group.Range_incl([(0, size - 1, 2)])
    assert members(sub, group) == expect
    sub.Free()
    # negative stride, and two triplets: order as listed
    sub = group.Range_incl([(size - 1, 0, -1)])
    assert members(sub, group) == list(reversed(range(size)))
    sub.Free()
    if size >= 2:
        sub = group.Range_incl([(1, 1, 1), (0, 0, 5)])
        assert members(sub, group) == [1, 0]
        sub.Free()


def test_range_excl(group, size):
    sub = group.Range_excl([(0, size - 1, 2)])
    assert members(sub, group) == list(range(1, size, 2))
    sub.Free()
    sub = group.Range_excl([])
    assert sub.Compare(group) == MPI.IDENT
    sub.Free()


@pytest.mark.parametrize("method", ["Range_incl", "Range_excl"])
def test_range_bad(group, size, method):
    fn = getattr(group, method)
    cases = [
        ([(0, size, 1)], MPI.ERR_RANK),  # last outside
        ([(-1, 0, 1)], MPI.ERR_RANK),
        ([(0, 0, 0)], MPI.ERR_ARG),  # zero stride
        ([(0, 0, 1), (0, 0, 1)], MPI.ERR_RANK),  # a rank twice
    ]
    if size >= 2:
        cases.append(([(1, 0, 1)], MPI.ERR_ARG))  # no rank in the range
    for ranges, error_class in cases:
        with pytest.raises(MPI.Exception) as info:
            fn(ranges)
        assert info.value.Get_error_class() == error_class, ranges
    with pytest.raises(ValueError):
        fn([(0, 0)])
    with pytest.raises(TypeError):
        fn([0, 1, 2])


def test_set_algebra(size):
    world = MPI.COMM_WORLD.Get_group()
    n = world.Get_size()
    try:
        a = world.Incl([r for r in range(n) if r % 2 == 0][::-1])  # evens, descending
        b = world.Incl([r for r in range(n) if r % 3 == 0])  # multiples of 3, ascending
        # MPI's order: union is a's members then b's not in a; intersection and difference
        # keep a's order.
        cases = {
            MPI.Group.Union: members(a, world) + [r for r in members(b, world) if r % 2],
            MPI.Group.Intersection: [r for r in members(a, world) if r % 3 == 0],
            MPI.Group.Intersect: [r for r in members(a, world) if r % 3 == 0],
            MPI.Group.Difference: [r for r in members(a, world) if r % 3],
        }
        for op, expect in cases.items():
            out = op(a, b)
            assert type(out) is MPI.Group
            assert members(out, world) == expect, op
            assert out.Get_rank() == (
                expect.index(world.rank) if world.rank in expect else MPI.UNDEFINED
            )
            out.Free()
        u = MPI.Group.Union(a, MPI.GROUP_EMPTY)
        assert u.Compare(a) == MPI.IDENT
        u.Free()
        d = MPI.Group.Difference(a, a)
        assert d.Get_size() == 0
        d.Free()
        a.Free()
        b.Free()
    finally:
        world.Free()


def test_set_algebra_bad_arguments(group):
    for op in (MPI.Group.Union, MPI.Group.Intersection, MPI.Group.Difference):
        with pytest.raises(TypeError):
            op(group, None)
        with pytest.raises(TypeError):
            op(MPI.COMM_WORLD, group)
        with pytest.raises(MPI.Exception):
            op(group, MPI.GROUP_NULL)


def test_dup(group):
    dup = group.Dup()
    assert dup.Compare(group) == MPI.IDENT
    dup.Free()
    assert dup == MPI.GROUP_NULL
    assert group.Get_size() >= 1  # the original is untouched


def test_free(group):
    g = group.Dup()
    g.Free()
    assert not g
    with pytest.raises(MPI.Exception) as info:
        g.Free()
    assert info.value.Get_error_class() == MPI.ERR_GROUP
    with pytest.raises(MPI.Exception):
        MPI.GROUP_EMPTY.Free()


def test_create_comm_from_group(comm, group, size):
    # Create from an Incl'd group: the new communicator's ranks follow the group's order.
    ranks = list(reversed(range(size)))
    sub = group.Incl(ranks)
    new = comm.Create(sub)
    try:
        assert new.Get_size() == size
        assert new.Get_rank() == size - 1 - comm.Get_rank()
        ng = new.Get_group()
        assert ng.Compare(sub) == MPI.IDENT
        ng.Free()
    finally:
        new.Free()
        sub.Free()


@pytest.mark.skipif(not hasattr(MPI.Group, "Create_from_session_pset"), reason="no sessions")
def test_create_from_session_pset_bad_type():
    with pytest.raises(TypeError):
        MPI.Group.Create_from_session_pset(MPI.COMM_WORLD, "mpi://WORLD")

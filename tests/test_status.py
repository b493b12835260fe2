"""MPI.Status: construction, getters/setters and properties, counts, cancellation, copies,
equality, pickling, Fortran conversion, and statuses filled by real receives."""

import array
import copy
import pickle

import pytest

from mpipy import MPI


def test_default_status():
    s = MPI.Status()
    assert s.Get_source() == MPI.ANY_SOURCE
    assert s.Get_tag() == MPI.ANY_TAG
    assert s.Get_error() == MPI.SUCCESS
    assert s.source == MPI.ANY_SOURCE and s.tag == MPI.ANY_TAG and s.error == MPI.SUCCESS
    assert s.Get_count() == 0
    assert s.Get_count(MPI.INT) == 0
    assert s.Get_elements(MPI.BYTE) == 0
    assert s.count == 0
    assert not s.Is_cancelled()
    assert s.cancelled is False


def test_setters_and_properties():
    s = MPI.Status()
    s.Set_source(3)
    s.Set_tag(17)
    s.Set_error(MPI.ERR_OTHER)
    assert (s.Get_source(), s.Get_tag(), s.Get_error()) == (3, 17, MPI.ERR_OTHER)
    assert (s.source, s.tag, s.error) == (3, 17, MPI.ERR_OTHER)
    s.source, s.tag, s.error = 5, 9, MPI.SUCCESS
    assert (s.Get_source(), s.Get_tag(), s.Get_error()) == (5, 9, MPI.SUCCESS)
    s.Set_cancelled(True)
    assert s.Is_cancelled() and s.cancelled
    s.cancelled = False
    assert not s.Is_cancelled()
    # Setting one field leaves the others alone.
    assert (s.source, s.tag) == (5, 9)


@pytest.mark.parametrize(
    "datatype, count, nbytes",
    [
        ("BYTE", 7, 7),
        ("INT", 5, 20),
        ("DOUBLE", 3, 24),
        ("SHORT", 4, 8),
        ("C_DOUBLE_COMPLEX", 2, 32),
    ],
)
def test_set_elements_get_count(datatype, count, nbytes):
    datatype = getattr(MPI, datatype)
    s = MPI.Status()
    s.Set_elements(datatype, count)
    assert s.Get_count(datatype) == count
    assert s.Get_elements(datatype) == count
    assert s.Get_count() == nbytes
    assert s.Get_count(MPI.BYTE) == nbytes
    assert s.Get_elements(MPI.BYTE) == nbytes
    assert s.count == nbytes
    # Setting the count does not touch the envelope.
    assert s.source == MPI.ANY_SOURCE and s.tag == MPI.ANY_TAG


def test_partial_counts_are_undefined():
    s = MPI.Status()
    s.Set_elements(MPI.BYTE, 10)
    assert s.Get_count(MPI.INT) == MPI.UNDEFINED
    assert s.Get_elements(MPI.INT) == MPI.UNDEFINED
    assert s.Get_count(MPI.SHORT) == 5


def test_large_element_counts():
    s = MPI.Status()
    big = 2**31 + 5
    s.Set_elements(MPI.BYTE, big)
    assert s.Get_count() == big
    assert s.Get_elements(MPI.BYTE) == big
    assert s.Get_count(MPI.SHORT) == MPI.UNDEFINED
    s.Set_elements(MPI.INT, 2**31 + 1)  # 8 GiB worth of ints
    assert s.Get_count(MPI.INT) == 2**31 + 1
    assert s.Get_count(MPI.BYTE) == 4 * (2**31 + 1)


def test_copy_construct():
    s = MPI.Status()
    s.source, s.tag, s.error = 2, 4, MPI.ERR_TAG
    s.Set_elements(MPI.INT, 3)
    for t in (MPI.Status(s), copy.copy(s), copy.deepcopy(s)):
        assert t is not s
        assert (t.source, t.tag, t.error) == (2, 4, MPI.ERR_TAG)
        assert t.Get_count(MPI.INT) == 3
        assert t == s and not (t != s)
        t.source = 99  # independent copies
        assert s.source == 2
        assert t != s and not (t == s)


def test_construct_from_none_or_not_a_status():
    fresh, given_none = MPI.Status(), MPI.Status(None)  # None is the default, as in mpi4py
    assert given_none == fresh and given_none.Get_source() == fresh.Get_source()
    for bad in (3, "status", MPI.COMM_SELF):
        with pytest.raises(TypeError):
            MPI.Status(bad)


class MyStatus(MPI.Status):
    """A subclass: copies keep the class (pickled by reference to this module)."""


def test_count_property_and_subclass_copies():
    s = MPI.Status()
    s.count = 7
    assert s.count == 7 and s.Get_count() == 7 and s.Get_elements(MPI.BYTE) == 7
    s.count = 0
    assert s.count == 0
    with pytest.raises(ValueError):
        s.count = -1
    mine = MyStatus()
    mine.tag = 12
    for t in (copy.copy(mine), copy.deepcopy(mine), pickle.loads(pickle.dumps(mine))):
        assert type(t) is MyStatus and t is not mine
        assert t.tag == 12 and t == mine
    assert type(MyStatus(mine)) is MyStatus and MyStatus(mine).tag == 12


def test_weak_references():
    import weakref

    s = MPI.Status()
    ref = weakref.ref(s)
    assert ref() is s and ref in weakref.getweakrefs(s)
    proxy = weakref.proxy(s)
    assert proxy.tag == MPI.ANY_TAG
    del s
    assert ref() is None


def test_equality():
    a, b = MPI.Status(), MPI.Status()
    assert a == b and not (a != b)
    b.tag = 1
    assert a != b
    b.tag = a.tag
    b.Set_elements(MPI.BYTE, 1)
    assert a != b
    a.Set_elements(MPI.BYTE, 1)
    assert a == b
    b.Set_cancelled(True)
    assert a != b
    # Not equal to other kinds of objects, and not hashable (it is mutable).
    assert a != 1 and a != None  # noqa: E711
    assert not (a == "status")
    with pytest.raises(TypeError):
        hash(a)


def test_pickle():
    s = MPI.Status()
    s.source, s.tag, s.error = 3, 7, MPI.ERR_TAG
    s.Set_elements(MPI.DOUBLE, 6)
    s.Set_cancelled(True)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        t = pickle.loads(pickle.dumps(s, protocol))
        assert isinstance(t, MPI.Status)
        assert (t.source, t.tag, t.error) == (3, 7, MPI.ERR_TAG)
        assert t.Get_count(MPI.DOUBLE) == 6
        assert t.Is_cancelled()
        assert t == s
    # Statuses inside containers, and ones received from a real probe.
    pair = pickle.loads(pickle.dumps([s, MPI.Status()]))
    assert pair[0] == s and pair[1] == MPI.Status()


@pytest.mark.skipif(MPI._mpi_abi is not None, reason="the MPI standard ABI has no Fortran statuses")
def test_py2f_f2py():
    s = MPI.Status()
    s.source, s.tag, s.error = 1, 2, MPI.ERR_RANK
    s.Set_elements(MPI.INT, 4)
    f = s.py2f()
    assert isinstance(f, list) and len(f) == MPI.F_STATUS_SIZE
    assert all(isinstance(v, int) for v in f)
    t = MPI.Status.f2py(f)
    assert t == s
    assert (t.source, t.tag, t.error, t.Get_count(MPI.INT)) == (1, 2, MPI.ERR_RANK, 4)
    with pytest.raises(ValueError):
        MPI.Status.f2py(f[:-1])
    with pytest.raises(TypeError):
        MPI.Status.f2py("status")


def test_tomemory():
    s = MPI.Status()
    mem = s.tomemory()
    assert isinstance(mem, memoryview)
    assert mem.nbytes >= 4 * 5 and not mem.readonly
    before = mem.tobytes()
    s.source = 12345
    assert mem.tobytes() != before  # a view of the status, not a copy
    assert 12345 in mem.cast("B").cast("i").tolist()
    # The view keeps the status alive.
    del s
    import gc

    gc.collect()
    assert 12345 in mem.tolist()


def test_bad_arguments():
    s = MPI.Status()
    with pytest.raises(TypeError):
        s.Get_count(3)
    with pytest.raises(TypeError):
        s.Get_elements("INT")
    with pytest.raises(TypeError):
        s.Get_elements()  # the datatype is required
    with pytest.raises(TypeError):
        s.Set_elements(None, 3)
    with pytest.raises(ValueError):
        s.Set_elements(MPI.INT, -1)
    with pytest.raises(TypeError):
        s.Set_source("1")
    with pytest.raises(TypeError):
        s.tag = 1.5
    with pytest.raises(TypeError):
        MPI.Status(3)
    with pytest.raises(MPI.Exception) as excinfo:
        s.Get_count(MPI.DATATYPE_NULL)
    assert excinfo.value.Get_error_class() == MPI.ERR_TYPE
    with pytest.raises(MPI.Exception) as excinfo:
        s.Set_elements(MPI.DATATYPE_NULL, 1)
    assert excinfo.value.Get_error_class() == MPI.ERR_TYPE


def test_status_of_receive(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    right, left = (rank + 1) % size, (rank - 1) % size
    sreq = comm.Isend(array.array("i", range(6)), right, 300 + rank)
    s = MPI.Status()
    s.error = MPI.ERR_OTHER  # a single receive leaves the error field as it was
    comm.Recv(array.array("i", [0] * 6), MPI.ANY_SOURCE, MPI.ANY_TAG, s)
    sreq.Wait()
    assert (s.source, s.tag) == (left, 300 + left)
    assert s.error == MPI.ERR_OTHER
    assert s.Get_count(MPI.INT) == 6 and s.Get_elements(MPI.INT) == 6
    assert s.Get_count(MPI.BYTE) == 24 and s.count == 24
    assert not s.Is_cancelled()
    # A received status pickles and copies like any other.
    t = pickle.loads(pickle.dumps(s))
    assert t == s and t.Get_count(MPI.INT) == 6
    if MPI._mpi_abi is None:  # the MPI standard ABI has no Fortran statuses
        assert MPI.Status.f2py(s.py2f()).Get_count(MPI.INT) == 6

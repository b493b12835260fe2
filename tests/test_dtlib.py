"""mpipy.util.dtlib, as mpi4py.util.dtlib: NumPy dtype -> new MPI datatype (a Dup for a
scalar, contiguous/subarray for subarrays, a struct resized to the item size for structured
dtypes) and MPI datatype -> NumPy dtype (fields f0, f1, ... at their offsets, flagged aligned
when every field lies at a multiple of its alignment), round trips that settle after one
conversion, real transfers of structured arrays, what does not map, and the dtype
specifications given without NumPy."""

import sys

import pytest

from mpipy import MPI

np = pytest.importorskip("numpy")
from mpipy.util import dtlib  # noqa: E402

SCALARS = list("?bBhHiIlLqQfdgFDG") + ["p", "P", "i1", "u2", "i4", "u8", "f4", "c8", "S1", "U1"]


def settles(start):
    """to_numpy(from_numpy(dtype)) is dtype itself for a dtype to_numpy gave: converting
    again changes nothing (mpi4py's own check). Returns the first dtype."""
    made = []
    try:
        if isinstance(start, MPI.Datatype):
            first = dtlib.to_numpy_dtype(start)
        else:
            made.append(dtlib.from_numpy_dtype(start))
            first = dtlib.to_numpy_dtype(made[-1])
        dtype = first
        for _ in range(2):
            made.append(dtlib.from_numpy_dtype(dtype))
            again = dtlib.to_numpy_dtype(made[-1])
            assert again == dtype
            assert again.itemsize == made[-1].extent
            dtype = again
        return first
    finally:
        for t in made:
            t.Free()


@pytest.mark.parametrize("code", SCALARS)
def test_scalars(code):
    dtype = np.dtype(code)
    datatype = dtlib.from_numpy_dtype(dtype)
    try:
        # A new datatype, the caller's to free: a Dup of the predefined one.
        base, combiner, _ = datatype.decode()
        assert combiner == "DUP" and base.is_named
        assert datatype.Get_size() == datatype.extent == dtype.itemsize
        assert dtlib.to_numpy_dtype(datatype) == dtype
        assert dtlib.to_numpy_dtype(base) == dtype
    finally:
        datatype.Free()


def test_float16():
    if not MPI.FLOAT16_T:
        pytest.skip("this MPI has no 16-bit float datatype")
    test_scalars("e")


def test_strings():
    for code, char in (("S7", MPI.CHAR), ("U5", MPI.WCHAR)):
        datatype = dtlib.from_numpy_dtype(code)
        try:
            assert datatype.decode()[:2] == (char, "CONTIGUOUS")
            back = dtlib.to_numpy_dtype(datatype)  # characters: a subarray of them
            assert back == np.dtype((code[0] + "1", (int(code[1:]),)))
            assert back.itemsize == np.dtype(code).itemsize == datatype.extent
        finally:
            datatype.Free()
    assert dtlib.to_numpy_dtype(MPI.CHAR) == np.dtype("S1")
    assert dtlib.to_numpy_dtype(MPI.WCHAR) == np.dtype("U1")


def test_named_datatypes():
    for name in ("INT", "DOUBLE", "C_BOOL", "BYTE", "AINT", "INTEGER", "REAL8"):
        datatype = getattr(MPI, name)
        if datatype:
            assert dtlib.to_numpy_dtype(datatype).itemsize == datatype.extent, name
    for name, first in [("DOUBLE_INT", "d"), ("FLOAT_INT", "f"), ("SHORT_INT", "h")]:
        dtype = dtlib.to_numpy_dtype(getattr(MPI, name))
        assert dtype == np.dtype(f"{first},i", align=True) and dtype.isalignedstruct


def test_value_index():
    try:
        pair = MPI.Datatype.Get_value_index(MPI.FLOAT, MPI.INT)
    except NotImplementedError:
        pytest.skip("this MPI has no MPI_Type_get_value_index")
    assert dtlib.to_numpy_dtype(pair) == np.dtype("f4,i4", align=True)


STRUCTURED = {
    "aligned": np.dtype([("f0", "i1"), ("f1", "f8"), ("f2", "i4")], align=True),
    "packed": np.dtype([("f0", "i1"), ("f1", "f8"), ("f2", "i4")], align=False),
    "padded_tail": np.dtype([("f0", "f8"), ("f1", "i1")], align=True),
    "offsets": np.dtype(
        {"names": ["f0", "f1"], "formats": ["i4", "f8"], "offsets": [4, 16], "itemsize": 32}
    ),
    "nested": np.dtype(
        [("f0", "i2"), ("f1", [("f0", "f4"), ("f1", "i1")]), ("f2", "f8")], align=True
    ),
    "with_subarray": np.dtype([("f0", "i4", (3,)), ("f1", "f8", (2, 2))], align=True),
    "strings": np.dtype([("f0", "S5"), ("f1", "U3"), ("f2", "?")]),
}


@pytest.mark.parametrize("name", sorted(STRUCTURED))
def test_structured(name):
    dtype = STRUCTURED[name]
    datatype = dtlib.from_numpy_dtype(dtype)
    try:
        assert datatype.decode()[1] == "RESIZED" and datatype.extent == dtype.itemsize
        back = dtlib.to_numpy_dtype(datatype)
        assert back.itemsize == dtype.itemsize and back.names == tuple(
            f"f{i}" for i in range(len(dtype.names))
        )
        offsets = [dtype.fields[n][1] for n in dtype.names]
        assert [back.fields[n][1] for n in back.names] == offsets
        assert back.isalignedstruct == (name not in ("packed", "strings"))
        if name in ("aligned", "padded_tail", "with_subarray"):
            assert back == dtype  # default field names: equal dtypes
    finally:
        datatype.Free()
    settles(dtype)


@pytest.mark.parametrize(
    "spec", [("f8", (3,)), ("i4", (2, 3)), ("i2", (2, 3, 4)), ("c16", (1,)), ("u1", (5, 1))]
)
def test_subarrays(spec):
    dtype = np.dtype(spec)
    datatype = dtlib.from_numpy_dtype(dtype)
    try:
        combiner = datatype.decode()[1]
        assert combiner == ("CONTIGUOUS" if len(spec[1]) == 1 else "SUBARRAY")
        assert dtlib.to_numpy_dtype(datatype) == dtype
    finally:
        datatype.Free()
    fortran = MPI.INT.Create_subarray([2, 3], [2, 3], [0, 0], order=MPI.ORDER_F)
    try:
        assert dtlib.to_numpy_dtype(fortran) == np.dtype(("i4", (3, 2)))
    finally:
        fortran.Free()


def test_vectors():
    i4 = np.dtype("i4")
    made = []
    try:
        vec = MPI.INT.Create_vector(3, 2, 5)
        hvec = MPI.INT.Create_hvector(3, 2, 20)
        made += [vec, hvec]
        dtype = dtlib.to_numpy_dtype(vec)
        assert dtype == dtlib.to_numpy_dtype(hvec)
        assert dtype.names == ("f0", "f1", "f2") and dtype.itemsize == vec.extent
        assert [dtype.fields[n][1] for n in dtype.names] == [0, 20, 40]
        assert all(dtype.fields[n][0] == np.dtype((i4, (2,))) for n in dtype.names)
        assert dtype.isalignedstruct
        odd = MPI.INT.Create_hvector(2, 1, 6)  # the second int at byte 6: not aligned
        made.append(odd)
        dtype = dtlib.to_numpy_dtype(odd)
        assert not dtype.isalignedstruct and dtype.fields["f1"][1] == 6
        for t in (vec, hvec, odd):
            settles(t)
    finally:
        for t in made:
            t.Free()


def test_indexed():
    made = []
    try:
        idx = MPI.DOUBLE.Create_indexed([2, 1], [1, 4])
        block = MPI.DOUBLE.Create_indexed_block(2, [1, 4])
        hidx = MPI.SHORT.Create_hindexed([1, 2], [2, 10])
        made += [idx, block, hidx]
        dtype = dtlib.to_numpy_dtype(idx)  # fields from byte 8 on: the dtype's own item size
        assert [dtype.fields[n][1] for n in dtype.names] == [8, 32]
        assert dtype.fields["f0"][0] == np.dtype(("f8", (2,)))
        assert dtype.fields["f1"][0] == np.dtype(("f8", (1,)))
        assert dtype.isalignedstruct
        assert [dtlib.to_numpy_dtype(block).fields[n][1] for n in ("f0", "f1")] == [8, 32]
        dtype = dtlib.to_numpy_dtype(hidx)
        assert [dtype.fields[n][1] for n in dtype.names] == [2, 10]
        for t in made:
            settles(t)
    finally:
        for t in made:
            t.Free()


def test_structs_of_derived_and_nonzero_lower_bound():
    inner = MPI.Datatype.Create_struct([1, 2, 3], [1, 27, 71], [MPI.INT, MPI.DOUBLE, MPI.INT])
    outer = MPI.Datatype.Create_struct([1], [0], [inner])
    try:
        dtype = dtlib.to_numpy_dtype(inner)
        assert [dtype.fields[n][1] for n in dtype.names] == [1, 27, 71]
        assert dtype.itemsize == inner.extent and not dtype.isalignedstruct
        settles(inner)
        settles(outer)
    finally:
        inner.Free()
        outer.Free()


def test_aligned_struct_in_other_datatypes():
    stp = np.dtype("B,d,B", align=True)
    member = dtlib.from_numpy_dtype("d")
    struct = MPI.Datatype.Create_struct(
        [1, 1, 1], [stp.fields[n][1] for n in stp.names], [MPI.BYTE, member, MPI.BYTE]
    )
    member.Free()
    n1 = stp.itemsize
    cases = [
        (1, struct.Dup()),
        (3, struct.Create_resized(0, 3 * n1)),
        (3, struct.Create_contiguous(3)),
        (5, struct.Create_subarray([5], [5], [0])),
        (7, MPI.Datatype.Create_struct([7], [0], [struct])),
    ]
    try:
        assert dtlib.to_numpy_dtype(struct) == stp
        for n, t in cases:
            dtype = dtlib.to_numpy_dtype(t)
            assert t.extent == dtype.itemsize == n * n1
            assert dtype.isalignedstruct
            settles(t)
    finally:
        for _, t in cases:
            t.Free()
        struct.Free()


def test_structured_transfer(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    dest, source = (rank + 1) % size, (rank - 1) % size
    for align in (True, False):
        dtype = np.dtype([("id", "i2"), ("pos", "f8", (3,)), ("ok", "?")], align=align)
        datatype = dtlib.from_numpy_dtype(dtype).Commit()
        try:
            a = np.zeros(4, dtype=dtype)
            for k in range(4):
                a[k] = (100 * rank + k, (k + 0.5, -k, rank), k % 2 == 0)
            b = np.zeros(4, dtype=dtype)
            comm.Sendrecv([a, datatype], dest, 1, [b, datatype], source, 1)
            for k in range(4):
                assert b[k]["id"] == 100 * source + k
                assert b[k]["pos"].tolist() == [k + 0.5, -k, source]
                assert bool(b[k]["ok"]) == (k % 2 == 0)
            # Every other record through strided views, with a datatype of matching extent.
            every_other = datatype.Create_resized(0, 2 * dtype.itemsize).Commit()
            c = np.zeros(4, dtype=dtype)
            try:
                comm.Sendrecv(
                    [a[::2], 2, every_other], dest, 2, [c[1::2], 2, every_other], source, 2
                )
            finally:
                every_other.Free()
            assert c["id"].tolist() == [0, 100 * source, 0, 100 * source + 2]
            assert c["pos"][3].tolist() == [2.5, -2, source]
        finally:
            datatype.Free()


def test_unmapped():
    with pytest.raises(ValueError):
        dtlib.from_numpy_dtype(object)
    with pytest.raises(ValueError):
        dtlib.from_numpy_dtype([("a", "i4"), ("b", "O")])
    swapped = ">i4" if sys.byteorder == "little" else "<i4"
    with pytest.raises(ValueError):
        dtlib.from_numpy_dtype(swapped)
    for void in ("V", "V3"):
        with pytest.raises(ValueError):
            dtlib.from_numpy_dtype(void)
    with pytest.raises(ValueError):
        dtlib.to_numpy_dtype(MPI.DATATYPE_NULL)
    partial = MPI.INT.Create_subarray([4, 4], [2, 2], [1, 1])
    resized = MPI.INT.Create_resized(0, 32)  # only a struct's resizing has fields to keep
    darray = MPI.INT.Create_darray(
        2, 0, [4], [MPI.DISTRIBUTE_BLOCK], [MPI.DISTRIBUTE_DFLT_DARG], [2]
    )
    try:
        for datatype in (partial, resized, darray):
            with pytest.raises(ValueError):
                dtlib.to_numpy_dtype(datatype)
    finally:
        for t in (partial, resized, darray):
            t.Free()


def test_without_numpy(monkeypatch):
    # to_numpy_dtype gives what numpy.dtype would take; from_numpy_dtype cannot work.
    monkeypatch.setattr(dtlib, "_np_dtype", None)
    assert dtlib.to_numpy_dtype(MPI.DOUBLE) == "d"
    assert dtlib.to_numpy_dtype(MPI.DOUBLE_INT) == ("d,i", {"align": True})
    array = MPI.INT.Create_contiguous(7)
    struct = MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.DOUBLE, MPI.DOUBLE])
    try:
        assert dtlib.to_numpy_dtype(array) == ("i", (7,))
        assert dtlib.to_numpy_dtype(struct) == {
            "names": ["f0", "f1"],
            "formats": ["d", "d"],
            "offsets": [0, 8],
            "itemsize": 16,
            "aligned": True,
        }
    finally:
        array.Free()
        struct.Free()
    with pytest.raises(RuntimeError):
        dtlib.from_numpy_dtype("d")

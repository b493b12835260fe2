"""mpipy.util.dtlib: NumPy dtype <-> MPI datatype for every dtype kind that maps (bool,
signed and unsigned integers, floats, complex, byte and unicode strings, structured aligned
and packed, nested, subarrays), the MPI datatypes' sizes and extents against the dtypes' item
sizes, real transfers of structured arrays, and the dtypes and datatypes that do not map."""

import sys

import pytest

from mpipy import MPI

np = pytest.importorskip("numpy")
from mpipy.util import dtlib  # noqa: E402  (needs NumPy)

SCALARS = list("?bBhHiIlLqQfdgFDG") + ["e", "p", "P", "i1", "u2", "i4", "u8", "f4", "c8"]
STRINGS = ["S1", "S7", "U1", "U5", "V3"]


def free(datatype):
    if datatype and not datatype.is_predefined:
        datatype.Free()


def check_layout(datatype, dtype):
    assert datatype.Get_size() == sum_of_field_sizes(dtype)
    assert datatype.Get_extent() == (0, dtype.itemsize)


def check_exact_round_trip(dtype):
    """dtype to a datatype of its layout, and back to dtype itself."""
    datatype = dtlib.from_numpy_dtype(dtype)
    try:
        check_layout(datatype, dtype)
        assert dtlib.to_numpy_dtype(datatype) == dtype
    finally:
        free(datatype)


def sum_of_field_sizes(dtype):
    if dtype.subdtype is not None:
        base, shape = dtype.subdtype
        return sum_of_field_sizes(base) * int(np.prod(shape))
    if dtype.names is not None:
        return sum(sum_of_field_sizes(dtype.fields[n][0]) for n in dtype.names)
    return dtype.itemsize


def same_layout(a, b):
    """Equal dtypes up to the names of fields."""
    if a.names is None or b.names is None:
        return a == b
    if a.itemsize != b.itemsize or len(a.names) != len(b.names):
        return False
    for na, nb in zip(a.names, b.names):
        (fa, oa), (fb, ob) = a.fields[na][:2], b.fields[nb][:2]
        if oa != ob or not same_layout(fa, fb):
            return False
    return True


@pytest.mark.parametrize("code", SCALARS + STRINGS)
def test_scalar_round_trip(code):
    dtype = np.dtype(code)
    if code == "e" and not MPI.FLOAT16_T:
        pytest.skip("this MPI has no 16-bit float datatype")
    check_exact_round_trip(dtype)


def test_scalars_are_predefined():
    assert dtlib.from_numpy_dtype("d") == MPI.DOUBLE
    assert dtlib.from_numpy_dtype(np.intc) == MPI.INT
    assert dtlib.from_numpy_dtype(np.int64).is_predefined
    assert dtlib.from_numpy_dtype("?") == MPI.C_BOOL
    assert dtlib.from_numpy_dtype("S1") == MPI.CHAR
    assert dtlib.from_numpy_dtype("D") == MPI.C_DOUBLE_COMPLEX
    for datatype in (MPI.INT, MPI.DOUBLE, MPI.FLOAT, MPI.C_BOOL, MPI.SIGNED_CHAR):
        dtype = dtlib.to_numpy_dtype(datatype)
        assert dtype.itemsize == datatype.Get_size()
        assert dtlib.from_numpy_dtype(dtype).Get_size() == datatype.Get_size()


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
def test_structured_round_trip(name):
    dtype = STRUCTURED[name]
    datatype = dtlib.from_numpy_dtype(dtype)
    try:
        check_layout(datatype, dtype)
        back = dtlib.to_numpy_dtype(datatype)
        assert same_layout(back, dtype)
        assert back.itemsize == dtype.itemsize
        if name in ("aligned", "padded_tail", "with_subarray"):
            assert back == dtype  # default field names: equal dtypes
            assert back.isalignedstruct
    finally:
        free(datatype)


def test_named_fields_keep_layout():
    dtype = np.dtype([("x", "f8"), ("y", "f8"), ("tag", "i4")], align=True)
    datatype = dtlib.from_numpy_dtype(dtype)
    try:
        back = dtlib.to_numpy_dtype(datatype)
        assert back.names == ("f0", "f1", "f2")
        assert same_layout(back, dtype)
    finally:
        free(datatype)


@pytest.mark.parametrize(
    "spec", [("f8", (3,)), ("i4", (2, 3)), ("i2", (2, 3, 4)), ("c16", (1,)), ("u1", (5, 1))]
)
def test_subarray_round_trip(spec):
    check_exact_round_trip(np.dtype(spec))


def test_to_numpy_of_constructed_datatypes():
    i4 = np.dtype("i")
    made = []
    try:
        vec = MPI.INT.Create_vector(3, 1, 2)
        made.append(vec)
        dtype = dtlib.to_numpy_dtype(vec)  # ints at bytes 0, 8, 16 of a 20-byte extent
        assert dtype.itemsize == vec.extent == 5 * 4
        assert [dtype.fields[n][1] for n in dtype.names] == [0, 8, 16]
        assert all(dtype.fields[n][0] == i4 for n in dtype.names)
        dense = MPI.INT.Create_vector(2, 3, 3)
        made.append(dense)
        assert dtlib.to_numpy_dtype(dense) == np.dtype((i4, (6,)))
        idx = MPI.DOUBLE.Create_indexed([2, 1], [0, 3])
        made.append(idx)
        dtype = dtlib.to_numpy_dtype(idx)
        assert dtype.itemsize == 4 * 8
        assert [dtype.fields[n][1] for n in dtype.names] == [0, 24]
        assert dtype.fields["f0"][0] == np.dtype(("f8", (2,)))
        hblock = MPI.SHORT.Create_hindexed_block(2, [0, 10])
        made.append(hblock)
        assert [dtlib.to_numpy_dtype(hblock).fields[n][1] for n in ("f0", "f1")] == [0, 10]
        dup = MPI.FLOAT.Dup()
        made.append(dup)
        assert dtlib.to_numpy_dtype(dup) == np.dtype("f")
        fortran = MPI.INT.Create_subarray([2, 3], [2, 3], [0, 0], order=MPI.ORDER_F)
        made.append(fortran)
        assert dtlib.to_numpy_dtype(fortran) == np.dtype((i4, (3, 2)))
    finally:
        for t in made:
            t.Free()


def test_pair_types():
    for name, first in [("DOUBLE_INT", "d"), ("FLOAT_INT", "f"), ("INT_INT", "i")]:
        datatype = getattr(MPI, name)
        dtype = dtlib.to_numpy_dtype(datatype)
        assert dtype.itemsize == datatype.extent
        assert dtype.fields["f0"][0] == np.dtype(first)
        assert dtype.fields["f1"][0] == np.dtype("i")


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
    with pytest.raises(TypeError):
        dtlib.to_numpy_dtype("i4")
    with pytest.raises(ValueError):
        dtlib.to_numpy_dtype(MPI.DATATYPE_NULL)
    partial = MPI.INT.Create_subarray([4, 4], [2, 2], [1, 1])
    shifted = MPI.INT.Create_resized(-4, 8)
    darray = MPI.INT.Create_darray(
        2, 0, [4], [MPI.DISTRIBUTE_BLOCK], [MPI.DISTRIBUTE_DFLT_DARG], [2]
    )
    try:
        for datatype in (partial, shifted, darray):
            with pytest.raises(ValueError):
                dtlib.to_numpy_dtype(datatype)
    finally:
        for t in (partial, shifted, darray):
            t.Free()

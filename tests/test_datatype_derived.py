"""Derived datatypes: every constructor's size, bounds and extents (worked out from the MPI
standard's type maps), envelope, contents and decode round trips, Free and the predefined
datatypes, bad arguments, the safety checks before MPI touches memory, and real transfers
of non-contiguous NumPy views (a column, a strided slice, a 3-D sub-block) checked element by
element, between ranks and at one process to itself."""

import copy
import pickle

import pytest
from helpers import ring

from mpipy import MPI

np = pytest.importorskip("numpy")

INT, DOUBLE = MPI.INT, MPI.DOUBLE
I4 = INT.Get_size()
F8 = DOUBLE.Get_size()


def made(factory):
    """A fixture-like helper: build a datatype, free it after the block."""

    class Scope:
        def __enter__(self):
            self.datatype = factory()
            return self.datatype

        def __exit__(self, *exc):
            if self.datatype:
                self.datatype.Free()

    return Scope()


def bounds(t):
    return {
        "size": t.Get_size(),
        "lb": t.lb,
        "ub": t.ub,
        "extent": t.extent,
        "true_lb": t.true_lb,
        "true_ub": t.true_ub,
        "true_extent": t.true_extent,
    }


def expect(t, size, lb, ub, true_lb=None, true_ub=None):
    true_lb = lb if true_lb is None else true_lb
    true_ub = ub if true_ub is None else true_ub
    assert bounds(t) == {
        "size": size,
        "lb": lb,
        "ub": ub,
        "extent": ub - lb,
        "true_lb": true_lb,
        "true_ub": true_ub,
        "true_extent": true_ub - true_lb,
    }
    assert t.Get_extent() == (lb, ub - lb)
    assert t.Get_true_extent() == (true_lb, true_ub - true_lb)
    assert t.size == size


# -- Each constructor: bounds, combiner, decode ----------------------------------------

# (constructor, expected bounds (size, lb, ub[, true_lb, true_ub]), combiner, decode params)
CASES = {
    "dup": (lambda: INT.Dup(), (I4, 0, I4), "DUP", {}),
    "create_dup": (lambda: DOUBLE.Create_dup(), (F8, 0, F8), "DUP", {}),
    "contiguous": (
        lambda: INT.Create_contiguous(3),
        (3 * I4, 0, 3 * I4),
        "CONTIGUOUS",
        {"count": 3},
    ),
    "contiguous0": (lambda: INT.Create_contiguous(0), (0, 0, 0), "CONTIGUOUS", {"count": 0}),
    "vector": (
        lambda: INT.Create_vector(3, 2, 4),
        (6 * I4, 0, 10 * I4),
        "VECTOR",
        {"count": 3, "blocklength": 2, "stride": 4},
    ),
    "vector_negative_stride": (
        lambda: INT.Create_vector(2, 1, -3),
        (2 * I4, -3 * I4, I4),
        "VECTOR",
        {"count": 2, "blocklength": 1, "stride": -3},
    ),
    "hvector": (
        lambda: INT.Create_hvector(3, 2, 20),
        (6 * I4, 0, 2 * 20 + 2 * I4),
        "HVECTOR",
        {"count": 3, "blocklength": 2, "stride": 20},
    ),
    "indexed": (
        lambda: INT.Create_indexed([2, 1, 3], [0, 4, 10]),
        (6 * I4, 0, 13 * I4),
        "INDEXED",
        {"blocklengths": [2, 1, 3], "displacements": [0, 4, 10]},
    ),
    "indexed_offset": (
        lambda: INT.Create_indexed([1], [2]),
        (I4, 2 * I4, 3 * I4),
        "INDEXED",
        {"blocklengths": [1], "displacements": [2]},
    ),
    "hindexed": (
        lambda: INT.Create_hindexed([2, 1], [4, 20]),
        (3 * I4, 4, 20 + I4),
        "HINDEXED",
        {"blocklengths": [2, 1], "displacements": [4, 20]},
    ),
    "indexed_block": (
        lambda: INT.Create_indexed_block(2, [1, 5]),
        (4 * I4, I4, 7 * I4),
        "INDEXED_BLOCK",
        {"blocklength": 2, "displacements": [1, 5]},
    ),
    "hindexed_block": (
        lambda: DOUBLE.Create_hindexed_block(2, [0, 32]),
        (4 * F8, 0, 32 + 2 * F8),
        "HINDEXED_BLOCK",
        {"blocklength": 2, "displacements": [0, 32]},
    ),
    "subarray_c": (
        lambda: INT.Create_subarray([4, 5], [2, 3], [1, 1]),
        (6 * I4, 0, 20 * I4, 6 * I4, 14 * I4),
        "SUBARRAY",
        {"sizes": [4, 5], "subsizes": [2, 3], "starts": [1, 1], "order": MPI.ORDER_C},
    ),
    "subarray_f": (
        lambda: INT.Create_subarray([4, 5], [2, 3], [1, 1], order=MPI.ORDER_F),
        (6 * I4, 0, 20 * I4, 5 * I4, 15 * I4),
        "SUBARRAY",
        {"sizes": [4, 5], "subsizes": [2, 3], "starts": [1, 1], "order": MPI.ORDER_F},
    ),
    "resized": (
        lambda: INT.Create_resized(-4, 16),
        (I4, -4, 12, 0, I4),
        "RESIZED",
        {"lb": -4, "extent": 16},
    ),
    "resized_alias": (
        lambda: DOUBLE.Resized(0, 24),
        (F8, 0, 24, 0, F8),
        "RESIZED",
        {"lb": 0, "extent": 24},
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_constructor_bounds_and_decode(name):
    factory, expected, combiner, params = CASES[name]
    with made(factory) as t:
        expect(t, *expected)
        assert t.combiner == getattr(MPI, "COMBINER_" + combiner)
        assert not t.is_named and not t.is_predefined
        base, got_combiner, got_params = t.decode()
        assert got_combiner == combiner
        assert got_params == params
        assert base in (INT, DOUBLE)
        assert base.is_predefined  # a named base decodes to the module constant
        # Envelope and contents agree with each other, whichever arrays the MPI uses.
        ni, na, nc, nd, comb = t.Get_envelope()
        assert comb == t.combiner
        assert t.envelope == (ni, na, nc, nd, comb)
        ints, addrs, counts, types = t.Get_contents()
        assert (len(ints), len(addrs), len(counts), len(types)) == (ni, na, nc, nd)
        assert types == [base]
        assert t.contents == (ints, addrs, counts, types)


def test_struct():
    with made(lambda: MPI.Datatype.Create_struct([1, 2], [0, 8], [INT, DOUBLE])) as t:
        expect(t, I4 + 2 * F8, 0, 8 + 2 * F8)
        base, combiner, params = t.decode()
        assert combiner == "STRUCT" and base is MPI.DATATYPE_NULL  # several datatypes
        assert params == {
            "blocklengths": [1, 2],
            "displacements": [0, 8],
            "datatypes": [INT, DOUBLE],
        }
    # A trailing char: the extent is padded to the alignment of double, the true extent not.
    with made(lambda: MPI.Datatype.Create_struct([1, 1], [0, 8], [DOUBLE, MPI.CHAR])) as t:
        assert (t.size, t.true_extent) == (F8 + 1, 9)
        assert t.extent == 16


def test_struct_of_derived_returns_new_datatypes():
    with made(lambda: INT.Create_vector(2, 1, 3)) as v:
        with made(lambda: MPI.Datatype.Create_struct([2], [0], [v])) as t:
            assert (t.size, t.lb, t.extent) == (4 * I4, 0, 8 * I4)
            base, combiner, params = t.decode()
            (inner,) = params["datatypes"]
            assert combiner == "STRUCT" and base is inner  # one datatype: also the base
            assert inner.decode()[1:] == ("VECTOR", {"count": 2, "blocklength": 1, "stride": 3})
            assert inner.Get_extent() == v.Get_extent()
            inner.Free()  # decode's derived datatypes belong to the caller
            assert inner == MPI.DATATYPE_NULL


@pytest.mark.parametrize("order", [MPI.ORDER_C, MPI.ORDER_F])
def test_darray_block(order):
    # 8x8 INT array on a 2x2 process grid, block-distributed: every process owns 4x4.
    for rank in range(4):
        dims = [MPI.DISTRIBUTE_BLOCK] * 2
        args = [MPI.DISTRIBUTE_DFLT_DARG] * 2
        with made(lambda: INT.Create_darray(4, rank, [8, 8], dims, args, [2, 2], order)) as t:
            r, c = divmod(rank, 2)  # the process grid is row-major whatever the order
            if order == MPI.ORDER_F:  # element (i, j) at i + 8 * j
                first = (r * 4 + c * 4 * 8) * I4
            else:
                first = (r * 4 * 8 + c * 4) * I4
            expect(t, 16 * I4, 0, 64 * I4, first, first + (3 * 8 + 4) * I4)
            base, combiner, params = t.decode()
            assert (base, combiner) == (INT, "DARRAY")
            assert params == {
                "size": 4,
                "rank": rank,
                "gsizes": [8, 8],
                "distribs": dims,
                "dargs": args,
                "psizes": [2, 2],
                "order": order,
            }


def test_darray_cyclic():
    # 1-D array of 10 INTs dealt cyclically in blocks of 2 to 3 processes: rank 1 owns 2,3,8,9.
    with made(lambda: INT.Create_darray(3, 1, [10], [MPI.DISTRIBUTE_CYCLIC], [2], [3])) as t:
        assert (t.size, t.lb, t.extent) == (4 * I4, 0, 10 * I4)
        assert (t.true_lb, t.true_ub) == (2 * I4, 10 * I4)
        assert t.decode()[2]["distribs"] == [MPI.DISTRIBUTE_CYCLIC]


def rebuild(base, combiner, params):
    """The datatype that decode() says how to make."""
    if combiner == "DUP":
        return base.Dup()
    if combiner == "STRUCT":
        return MPI.Datatype.Create_struct(**params)
    method = {
        "CONTIGUOUS": base.Create_contiguous,
        "VECTOR": base.Create_vector,
        "HVECTOR": base.Create_hvector,
        "INDEXED": base.Create_indexed,
        "HINDEXED": base.Create_hindexed,
        "INDEXED_BLOCK": base.Create_indexed_block,
        "HINDEXED_BLOCK": base.Create_hindexed_block,
        "SUBARRAY": base.Create_subarray,
        "DARRAY": base.Create_darray,
        "RESIZED": base.Create_resized,
    }[combiner]
    return method(**params)


def nested_type(index):
    """A derived datatype made in one of several ways, some over other derived ones."""
    vec = INT.Create_vector(3, 2, 5)
    made = [
        lambda: vec.Dup(),
        lambda: vec.Create_resized(0, 7 * I4),
        lambda: vec.Create_contiguous(2),
        lambda: MPI.Datatype.Create_struct([1, 1], [0, 64], [vec, DOUBLE]),
        lambda: DOUBLE.Create_subarray([3, 4, 5], [2, 2, 2], [1, 0, 3]),
        lambda: INT.Create_darray(
            2, 1, [6], [MPI.DISTRIBUTE_BLOCK], [MPI.DISTRIBUTE_DFLT_DARG], [2]
        ),
        lambda: DOUBLE.Create_hindexed([1, 3], [16, 48]).Create_hvector(2, 1, 200),
    ][index]()
    vec.Free()  # the new datatype keeps what it needs
    return made


@pytest.mark.parametrize("index", range(7))
def test_decode_round_trip(index):
    t = nested_type(index)
    try:
        base, combiner, params = t.decode()
        types = params.get("datatypes", [])
        again = rebuild(base, combiner, params)
        try:
            base2, combiner2, params2 = again.decode()
            types2 = params2.pop("datatypes", [])
            try:
                assert combiner2 == combiner
                assert params2 == {k: v for k, v in params.items() if k != "datatypes"}
                assert [bounds(d) for d in types2] == [bounds(d) for d in types]
                assert (base2 == MPI.DATATYPE_NULL) == (base == MPI.DATATYPE_NULL)
                if base != MPI.DATATYPE_NULL:
                    assert bounds(base2) == bounds(base)
                assert bounds(again) == bounds(t)
            finally:
                for inner in [base2] + types2:
                    if not inner.is_predefined and inner != again:
                        inner.Free()
        finally:
            again.Free()
            for inner in [base] + types:
                if not inner.is_predefined and inner != t:
                    inner.Free()
    finally:
        t.Free()


def test_named_and_predefined():
    assert INT.decode() == (INT, "NAMED", {})
    assert INT.is_named and INT.is_predefined
    assert INT.combiner == MPI.COMBINER_NAMED
    assert INT.Get_envelope() == (0, 0, 0, 0, MPI.COMBINER_NAMED)
    assert MPI.DATATYPE_NULL.is_predefined
    with pytest.raises(MPI.Exception) as info:
        INT.Get_contents()
    assert info.value.Get_error_class() == MPI.ERR_TYPE
    with pytest.raises(MPI.Exception) as info:
        INT.Free()
    assert info.value.Get_error_class() == MPI.ERR_TYPE
    alias = MPI.Datatype(INT)  # another object holding the same predefined handle
    with pytest.raises(MPI.Exception):
        alias.Free()
    assert INT.Get_size() == I4  # still alive


def test_match_size():
    assert MPI.Datatype.Match_size(MPI.TYPECLASS_INTEGER, 4).Get_size() == 4
    assert MPI.Datatype.Match_size(MPI.TYPECLASS_REAL, 8).Get_size() == 8
    complex16 = MPI.Datatype.Match_size(MPI.TYPECLASS_COMPLEX, 16)
    assert complex16.Get_size() == 16 and complex16.is_predefined
    with pytest.raises(MPI.Exception):
        MPI.Datatype.Match_size(MPI.TYPECLASS_INTEGER, 3)
    with pytest.raises(MPI.Exception):
        complex16.Free()


def test_f90():
    try:
        f_int = MPI.Datatype.Create_f90_integer(9)
        f_real = MPI.Datatype.Create_f90_real(6, 30)
        f_cplx = MPI.Datatype.Create_f90_complex(15, 300)
    except (MPI.Exception, NotImplementedError) as exc:
        pytest.skip(f"this MPI has no Fortran 90 parameterized types: {exc}")
    assert f_int.combiner == MPI.COMBINER_F90_INTEGER and f_int.Get_size() >= 4
    assert f_real.combiner == MPI.COMBINER_F90_REAL and f_real.Get_size() == 4
    assert f_cplx.combiner == MPI.COMBINER_F90_COMPLEX and f_cplx.Get_size() == 16
    assert f_int.decode()[1:] == ("F90_INTEGER", {"r": 9})
    assert f_real.decode()[1:] == ("F90_REAL", {"p": 6, "r": 30})
    assert f_cplx.decode()[1:] == ("F90_COMPLEX", {"p": 15, "r": 300})
    for t in (f_int, f_real, f_cplx):
        assert t.is_predefined and not t.is_named
        with pytest.raises(MPI.Exception) as info:
            t.Free()
        assert info.value.Get_error_class() == MPI.ERR_TYPE
    with pytest.raises(MPI.Exception):
        MPI.Datatype.Create_f90_real(1000, 1000)


def test_commit_free_name():
    t = INT.Create_contiguous(2)
    assert t.Commit() is t
    t.Set_name("pair")
    assert t.Get_name() == "pair" and t.name == "pair"
    copy = MPI.Datatype(t)
    assert copy == t
    t.Free()
    assert t == MPI.DATATYPE_NULL and not t
    with pytest.raises(MPI.Exception):
        t.Free()
    with pytest.raises(MPI.Exception):
        t.Get_size()


def test_subclass_preserved():
    class MyType(MPI.Datatype):
        pass

    mine = MyType(INT)
    with made(lambda: mine.Create_contiguous(2)) as t:
        assert type(t) is MyType
        assert type(mine.Dup()) is MyType


# -- Bad arguments -----------------------------------------------------------------------


def error_class(fn):
    with pytest.raises(MPI.Exception) as info:
        fn()
    return info.value.Get_error_class()


def test_negative_counts_raise_mpi_exception():
    assert error_class(lambda: INT.Create_contiguous(-1)) == MPI.ERR_COUNT
    assert error_class(lambda: INT.Create_vector(-1, 1, 1)) == MPI.ERR_COUNT
    assert error_class(lambda: INT.Create_hvector(-2, 1, 8)) == MPI.ERR_COUNT
    assert error_class(lambda: INT.Create_vector(2, -1, 1)) == MPI.ERR_ARG
    assert error_class(lambda: INT.Create_indexed([1, -1], [0, 2])) == MPI.ERR_ARG
    assert error_class(lambda: INT.Create_indexed_block(-1, [0])) == MPI.ERR_ARG
    assert error_class(lambda: MPI.Datatype.Create_struct([-1], [0], [INT])) == MPI.ERR_ARG


def test_bad_arguments():
    with pytest.raises(ValueError):
        INT.Create_indexed([1, 2], [0])
    with pytest.raises(ValueError):
        INT.Create_hindexed([1], [0, 8])
    with pytest.raises(ValueError):
        MPI.Datatype.Create_struct([1, 1], [0, 4], [INT])
    with pytest.raises(TypeError):
        MPI.Datatype.Create_struct([1], [0], [4])
    with pytest.raises(TypeError):
        INT.Create_contiguous(2.5)
    with pytest.raises(TypeError):
        INT.Create_vector(1, 1, "2")
    with pytest.raises(TypeError):
        INT.Create_indexed(3, [0])
    with pytest.raises(OverflowError):
        INT.Create_contiguous(2**70)
    with pytest.raises(ValueError):
        INT.Create_subarray([4, 5], [2], [0, 0])
    with pytest.raises(MPI.Exception):
        MPI.DATATYPE_NULL.Create_contiguous(2)
    with pytest.raises(MPI.Exception):
        MPI.Datatype.Create_struct([1], [0], [MPI.DATATYPE_NULL])


@pytest.mark.parametrize(
    "sizes, subsizes, starts, order",
    [
        ([4, 5], [2, 6], [0, 0], MPI.ORDER_C),  # subsize beyond size
        ([4, 5], [2, 3], [3, 0], MPI.ORDER_C),  # block runs past the end
        ([4, 5], [2, 3], [-1, 0], MPI.ORDER_C),
        ([0, 5], [0, 3], [0, 0], MPI.ORDER_C),
        ([], [], [], MPI.ORDER_C),
        ([4, 5], [2, 3], [0, 0], 12345),  # not an order
    ],
)
def test_subarray_out_of_bounds(sizes, subsizes, starts, order):
    with pytest.raises(MPI.Exception):
        INT.Create_subarray(sizes, subsizes, starts, order)


def test_darray_bad_arguments():
    block, dflt = MPI.DISTRIBUTE_BLOCK, MPI.DISTRIBUTE_DFLT_DARG
    with pytest.raises(MPI.Exception):  # grid of 2x2 for 3 processes
        INT.Create_darray(3, 0, [8, 8], [block] * 2, [dflt] * 2, [2, 2])
    with pytest.raises(MPI.Exception):  # rank beyond size
        INT.Create_darray(4, 4, [8, 8], [block] * 2, [dflt] * 2, [2, 2])
    with pytest.raises(ValueError):
        INT.Create_darray(4, 0, [8, 8], [block], [dflt] * 2, [2, 2])


# -- Safety before MPI touches memory -------------------------------------------------


def test_uncommitted_datatype_raises(comm):
    t = DOUBLE.Create_vector(2, 1, 2)
    buf = np.zeros(3)
    out = np.zeros(3)
    rank = comm.Get_rank()
    try:
        for call in (
            lambda: comm.Sendrecv([buf, 1, t], rank, 5, [out, 1, t], rank, 5),
            lambda: comm.Send([buf, 1, t], rank, 5),
            lambda: comm.Isend([buf, 1, t], rank, 5),
            lambda: comm.Recv([out, 1, t], rank, 5),  # (with PROC_NULL, the spec is ignored)
            lambda: comm.Bcast([buf, 1, t], 0),
        ):
            with pytest.raises(MPI.Exception) as info:
                call()
            assert info.value.Get_error_class() == MPI.ERR_TYPE
        assert out.tolist() == [0, 0, 0]
    finally:
        t.Free()


def test_freed_datatype_raises():
    t = DOUBLE.Create_contiguous(2).Commit()
    t.Free()
    buf = np.zeros(4)
    with pytest.raises((MPI.Exception, ValueError)):
        MPI.COMM_SELF.Sendrecv([buf, 1, t], 0, 1, [buf, 1, t], 0, 1)


def test_extent_overrun_raises():
    t = DOUBLE.Create_vector(3, 1, 4).Commit()  # spans 9 doubles
    try:
        small = np.zeros(8)
        big = np.zeros(9)
        with pytest.raises(ValueError):
            MPI.COMM_SELF.Sendrecv([small, 1, t], 0, 1, [big, 1, t], 0, 1)
        with pytest.raises(ValueError):
            MPI.COMM_SELF.Sendrecv([big, 1, t], 0, 1, [small, 1, t], 0, 1)
        with pytest.raises(ValueError):  # two entries need 13 doubles
            MPI.COMM_SELF.Sendrecv([big, 2, t], 0, 1, [np.zeros(20), 2, t], 0, 1)
        with pytest.raises(ValueError):  # a displacement past the end
            MPI.COMM_SELF.Sendrecv([big, 1, 1, t], 0, 1, [np.zeros(20), 1, t], 0, 1)
        with pytest.raises(ValueError):  # negative count
            MPI.COMM_SELF.Sendrecv([big, -1, t], 0, 1, [big, 1, t], 0, 1)
        # The untouched buffer still works with the right sizes.
        src = np.arange(9.0)
        dst = np.full(9, -1.0)
        MPI.COMM_SELF.Sendrecv([src, 1, t], 0, 1, [dst, 1, t], 0, 1)
        assert dst.tolist() == [0, -1, -1, -1, 4, -1, -1, -1, 8]
    finally:
        t.Free()


def test_negative_lower_bound_overrun_raises():
    # A block 8 bytes before the buffer's start: entry 0 would read outside it.
    t = DOUBLE.Create_hindexed([1], [-8]).Commit()
    try:
        with pytest.raises(ValueError):
            MPI.COMM_SELF.Sendrecv([np.zeros(2), 1, t], 0, 1, [np.zeros(2), 1, DOUBLE], 0, 1)
    finally:
        t.Free()


# -- Transfers of non-contiguous views --------------------------------------------------


def test_column_of_2d_array(comm):
    rows, cols = 6, 5
    rank = comm.Get_rank()
    dest, source = ring(comm)
    column = DOUBLE.Create_vector(rows, 1, cols).Commit()
    try:
        a = np.arange(rows * cols, dtype="f8").reshape(rows, cols) + 1000 * rank
        b = np.full((rows, cols), -1.0)
        # Send column 3 of a (a view), receive into column 1 of b (a view).
        comm.Sendrecv([a[:, 3], 1, column], dest, 7, [b[:, 1], 1, column], source, 7)
        expected = np.arange(rows * cols, dtype="f8").reshape(rows, cols)[:, 3] + 1000 * source
        for i in range(rows):
            for j in range(cols):
                assert b[i, j] == (expected[i] if j == 1 else -1.0)
        # The same column received contiguously.
        flat = np.zeros(rows)
        comm.Sendrecv([a[:, 3], 1, column], dest, 8, flat, source, 8)
        assert flat.tolist() == expected.tolist()
    finally:
        column.Free()


def test_strided_slice(comm):
    n, step = 20, 3
    dest, source = ring(comm)
    rank = comm.Get_rank()
    count = len(range(0, n, step))
    strided = INT.Create_vector(count, 1, step).Commit()
    every_other = INT.Create_vector(count, 1, 2).Commit()
    try:
        a = np.arange(n, dtype="i") * (rank + 1)
        b = np.full(2 * count, -7, dtype="i")
        # [view, datatype] with no count: as many entries as the view holds, here one.
        comm.Sendrecv([a[::step], strided], dest, 3, [b[::2], every_other], source, 3)
        sent = np.arange(n, dtype="i")[::step] * (source + 1)
        for k in range(2 * count):
            assert b[k] == (sent[k // 2] if k % 2 == 0 else -7)
    finally:
        strided.Free()
        every_other.Free()


def test_send_recv_between_ranks():
    comm = MPI.COMM_WORLD
    if comm.Get_size() < 2:
        pytest.skip("needs two processes")
    rank = comm.Get_rank()
    column = DOUBLE.Create_vector(4, 1, 4).Commit()
    try:
        if rank == 0:
            a = np.arange(16.0).reshape(4, 4)
            comm.Send([a[:, 2], 1, column], 1, 11)
            comm.Send([a, 1, column], 1, 12)  # column 0 through the whole array
        elif rank == 1:
            b = np.full((4, 4), -1.0)
            status = MPI.Status()
            comm.Recv([b[:, 0], 1, column], 0, 11, status)
            assert status.Get_count(column) == 1
            assert status.Get_elements(DOUBLE) == 4
            flat = np.zeros(4)
            comm.Recv(flat, 0, 12)
            assert b[:, 0].tolist() == [2.0, 6.0, 10.0, 14.0]
            assert (b[:, 1:] == -1).all()
            assert flat.tolist() == [0.0, 4.0, 8.0, 12.0]
    finally:
        column.Free()


def test_nonblocking_to_self(comm):
    # Isend/Recv/Wait works at every size, including to oneself.
    rank = comm.Get_rank()
    column = INT.Create_vector(3, 1, 3).Commit()
    try:
        a = np.arange(9, dtype="i").reshape(3, 3) + rank
        b = np.zeros(3, dtype="i")
        request = comm.Isend([a[:, 1], 1, column], rank, 9)
        comm.Recv([b, 3, INT], rank, 9)
        request.Wait()
        assert b.tolist() == [1 + rank, 4 + rank, 7 + rank]
    finally:
        column.Free()


def test_3d_sub_block(comm):
    shape = (6, 7, 8)
    sub, starts = (2, 3, 4), (1, 2, 3)
    rank = comm.Get_rank()
    dest, source = ring(comm)
    block = DOUBLE.Create_subarray(list(shape), list(sub), list(starts)).Commit()
    # The same block relative to its own first element, to receive into a view.
    at_origin = DOUBLE.Create_subarray(list(shape), list(sub), [0, 0, 0]).Commit()
    try:
        a = np.arange(np.prod(shape), dtype="f8").reshape(shape) + 10000 * rank
        b = np.full(shape, -1.0)
        view = b[3:5, 0:3, 1:5]
        comm.Sendrecv([a, 1, block], dest, 4, [view, 1, at_origin], source, 4)
        src = np.arange(np.prod(shape), dtype="f8").reshape(shape) + 10000 * source
        want = src[1:3, 2:5, 3:7]
        for i in range(shape[0]):
            for j in range(shape[1]):
                for k in range(shape[2]):
                    inside = 3 <= i < 5 and 0 <= j < 3 and 1 <= k < 5
                    value = want[i - 3, j, k - 1] if inside else -1.0
                    assert b[i, j, k] == value
        # Sending the view itself with the origin-relative datatype, into a full block.
        packed = np.zeros(sub)
        comm.Sendrecv([a[1:3, 2:5, 3:7], 1, at_origin], dest, 5, packed, source, 5)
        assert packed.tolist() == want.tolist()
    finally:
        block.Free()
        at_origin.Free()


def test_struct_of_arrays_via_bottom(comm):
    # Absolute addresses (Get_address) and BOTTOM: two separate arrays in one message.
    rank = comm.Get_rank()
    dest, source = ring(comm)
    ints = np.arange(3, dtype="i") + rank
    reals = np.arange(2.0) + 0.5 + rank
    t = MPI.Datatype.Create_struct(
        [3, 2], [MPI.Get_address(ints), MPI.Get_address(reals)], [INT, DOUBLE]
    ).Commit()
    try:
        out_i = np.zeros(3, dtype="i")
        out_r = np.zeros(2)
        r = MPI.Datatype.Create_struct(
            [3, 2], [MPI.Get_address(out_i), MPI.Get_address(out_r)], [INT, DOUBLE]
        ).Commit()
        try:
            comm.Sendrecv([MPI.BOTTOM, 1, t], dest, 6, [MPI.BOTTOM, 1, r], source, 6)
        finally:
            r.Free()
        assert out_i.tolist() == [source, source + 1, source + 2]
        assert out_r.tolist() == [0.5 + source, 1.5 + source]
    finally:
        t.Free()


def test_bcast_with_derived_datatype(comm):
    rank = comm.Get_rank()
    column = INT.Create_vector(4, 1, 3).Commit()
    try:
        a = np.arange(12, dtype="i").reshape(4, 3) if rank == 0 else np.full((4, 3), -1, "i")
        comm.Bcast([a[:, 2], 1, column], root=0)
        assert a[:, 2].tolist() == [2, 5, 8, 11]
        if rank != 0:
            assert (a[:, :2] == -1).all()
    finally:
        column.Free()


def test_get_value_index():
    # MPI-4.1's, or (before it) the pairs MINLOC and MAXLOC have always known.
    pair = MPI.Datatype.Get_value_index(DOUBLE, INT)
    assert pair == MPI.DOUBLE_INT and pair.is_predefined
    for value in ("SHORT", "INT", "LONG", "FLOAT", "DOUBLE", "LONG_DOUBLE"):
        pair = getattr(MPI, value + "_INT")
        assert MPI.Datatype.Get_value_index(getattr(MPI, value), INT) == pair
        assert MPI.Datatype.Get_value_index(getattr(MPI, value), MPI.FLOAT) == MPI.DATATYPE_NULL
    for args in ((MPI.DATATYPE_NULL, INT), (INT, MPI.DATATYPE_NULL)):
        with pytest.raises(MPI.Exception) as info:
            MPI.Datatype.Get_value_index(*args)
        assert info.value.Get_error_class() == MPI.ERR_TYPE


def test_contiguous_beyond_int_max():
    int_max = (1 << 31) - 1
    count = int_max + int_max // 1024
    t = MPI.BYTE.Create_contiguous(count)
    try:
        assert t.size == t.extent == count
        base, combiner, params = t.decode()
        if combiner == "CONTIGUOUS":  # MPI-4 large counts
            assert base == MPI.BYTE and params == {"count": count}
        else:  # a vector of INT_MAX-byte blocks, then the rest
            assert (base, combiner) == (MPI.DATATYPE_NULL, "STRUCT")
            blocks, rest = params["datatypes"]
            assert blocks.combiner == MPI.COMBINER_VECTOR and blocks.size == int_max
            assert rest.combiner == MPI.COMBINER_CONTIGUOUS and rest.size == count - int_max
            assert params["displacements"] == [0, int_max]
            blocks.Free()
            rest.Free()
        again = pickle.loads(pickle.dumps(t))
        assert again.size == count
        again.Free()
    finally:
        t.Free()


# -- Pickling ---------------------------------------------------------------------------


def describe(t):
    """The whole construction of a datatype as plain data (named ones by name), freeing the
    datatypes decode hands out."""
    base, combiner, params = t.decode()
    if combiner == "NAMED":
        return t.Get_name()
    inner = [base] + list(params.get("datatypes", []))
    out = (
        None if base == MPI.DATATYPE_NULL else describe(base),
        combiner,
        {k: [describe(d) for d in v] if k == "datatypes" else v for k, v in params.items()},
    )
    for d in inner:
        if d != t and not d.is_predefined:
            d.Free()
    return out


@pytest.mark.parametrize("index", range(7))
def test_pickle_derived(index):
    t = nested_type(index)
    try:
        for protocol in (0, pickle.HIGHEST_PROTOCOL):
            again = pickle.loads(pickle.dumps(t, protocol))
            try:
                assert type(again) is MPI.Datatype and again != t
                assert describe(again) == describe(t)
                assert bounds(again) == bounds(t)
                # Committed: ready for communication.
                n = max(again.ub, again.true_ub)
                sbuf = bytearray(range(256)) * (n // 256 + 1)
                rbuf = bytearray(len(sbuf))
                MPI.COMM_SELF.Sendrecv([sbuf, 1, again], 0, 0, [rbuf, 1, again], 0, 0)
            finally:
                again.Free()
        for copier in (copy.copy, copy.deepcopy):
            again = copier(t)
            assert describe(again) == describe(t)
            again.Free()
    finally:
        t.Free()


def test_pickle_named_and_f90():
    for t in (INT, DOUBLE, MPI.DATATYPE_NULL):
        assert pickle.loads(pickle.dumps(t)) is t
        again = pickle.loads(pickle.dumps(MPI.Datatype(t)))
        assert again == t and again is not t
    try:
        f_real = MPI.Datatype.Create_f90_real(6, 30)
    except (MPI.Exception, NotImplementedError) as exc:
        pytest.skip(f"this MPI has no Fortran 90 parameterized types: {exc}")
    again = pickle.loads(pickle.dumps(f_real))
    assert again.combiner == MPI.COMBINER_F90_REAL and again.is_predefined
    assert again.decode()[1:] == ("F90_REAL", {"p": 6, "r": 30})


def test_pickle_value_index():
    try:
        t = MPI.Datatype.Get_value_index(MPI.DOUBLE, MPI.INT)
    except NotImplementedError:
        pytest.skip("this MPI has no MPI_Type_get_value_index")
    assert pickle.loads(pickle.dumps(t)) == t


def test_from_recipe_bad():
    with pytest.raises(TypeError):
        MPI.Datatype._from_recipe((INT, "CONTIGUOUS"))
    with pytest.raises(ValueError):
        MPI.Datatype._from_recipe((INT, "NO_SUCH", {}))
    with pytest.raises(TypeError):
        MPI.Datatype._from_recipe((INT, "CONTIGUOUS", {"count": "x"}))

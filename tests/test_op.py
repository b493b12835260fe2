"""Reduction operations: predefined ops (properties, Free, Reduce_local on NumPy arrays,
calls on Python objects), user operations from Op.Create (in Reduce_local, in every
buffer reduction, blocking, nonblocking and persistent, on predefined and derived
datatypes, in object reductions, on intercommunicators), their order for non-commutative
operations, and exceptions raised inside them.

Non-commutative operations work element by element (MPI may hand a user function any
slice of the elements): an element of MPI.TWOINT, (a, b), stands for the map
x -> a*x + b, and combining f (lower ranks) with g (higher ranks) gives "f, then g".
"""

import gc
import operator
import pickle
import threading
from functools import reduce as fold

import numpy as np
import pytest
from helpers import split_intercomm

from mpipy import MPI

PREDEFINED = [
    "MAX",
    "MIN",
    "SUM",
    "PROD",
    "LAND",
    "BAND",
    "LOR",
    "BOR",
    "LXOR",
    "BXOR",
    "MAXLOC",
    "MINLOC",
    "REPLACE",
    "NO_OP",
]
COMMUTATIVE = [n for n in PREDEFINED if n not in ("REPLACE", "NO_OP")]


# -- helpers ---------------------------------------------------------------------------


def compose_maps(invec, inoutvec, datatype):
    """inout = in, then inout: (a1, b1) . (a2, b2) = (a1*a2, b1*a2 + b2), per element."""
    assert datatype == MPI.TWOINT
    f = np.frombuffer(invec, dtype="i4").reshape(-1, 2)
    g = np.frombuffer(inoutvec, dtype="i4").reshape(-1, 2)
    a = f[:, 0] * g[:, 0]
    b = f[:, 1] * g[:, 0] + g[:, 1]
    g[:, 0], g[:, 1] = a, b


def compose_py(f, g):
    return (f[0] * g[0], f[1] * g[0] + g[1])


def rank_maps(rank, n):
    """n maps of a process; coefficients small enough for 5 processes in int32."""
    return np.array([[1 + (rank + i) % 2, (rank * 3 + i) % 7 - 3] for i in range(n)], dtype="i4")


def expected_maps(ranks, n):
    out = np.empty((n, 2), dtype="i4")
    for i in range(n):
        out[i] = fold(compose_py, [tuple(rank_maps(r, n)[i]) for r in ranks])
    return out


def keep_first(invec, inoutvec, datatype):
    """inout = in: the result is the lowest rank's value."""
    np.frombuffer(inoutvec, dtype="u1")[:] = np.frombuffer(invec, dtype="u1")


def keep_last(invec, inoutvec, datatype):
    """inout unchanged: the result is the highest rank's value."""


def add_doubles(invec, inoutvec, datatype):
    np.frombuffer(inoutvec, dtype="d")[:] += np.frombuffer(invec, dtype="d")


@pytest.fixture
def maps_op():
    op = MPI.Op.Create(compose_maps, commute=False)
    yield op
    op.Free()


@pytest.fixture
def inter():
    """Two halves of COMM_WORLD joined by an intercommunicator (group 0: the lower half)."""
    world = MPI.COMM_WORLD
    half = world.Get_size() // 2

    def group_of(rank):
        return 0 if rank < half else 1

    with split_intercomm(group_of, tag=23) as (comm, local):
        yield comm, group_of(world.Get_rank()), local.Get_rank(), (half, world.Get_size() - half)


# -- predefined operations: properties and Free ----------------------------------------


@pytest.mark.parametrize("name", PREDEFINED)
def test_predefined_properties(name):
    op = getattr(MPI, name)
    assert op.is_predefined is True
    assert bool(op)
    assert op.is_commutative == op.Is_commutative()
    if name in COMMUTATIVE:
        assert op.Is_commutative() is True


@pytest.mark.parametrize("name", PREDEFINED)
def test_free_predefined_raises(name):
    op = getattr(MPI, name)
    with pytest.raises(MPI.Exception) as excinfo:
        op.Free()
    assert excinfo.value.Get_error_class() == MPI.ERR_OP
    assert op == getattr(MPI, name) and bool(op)
    # a copy of the handle is just as predefined
    with pytest.raises(MPI.Exception):
        MPI.Op(op).Free()
    with pytest.raises(MPI.Exception):
        MPI.Op.fromhandle(op.handle).Free()
    assert MPI.Op.fromhandle(op.handle).is_predefined


def test_op_null():
    assert MPI.OP_NULL.is_predefined is True
    assert not MPI.OP_NULL
    for call in (MPI.OP_NULL.Free, MPI.OP_NULL.Is_commutative, lambda: MPI.OP_NULL.is_commutative):
        with pytest.raises(MPI.Exception) as excinfo:
            call()
        assert excinfo.value.Get_error_class() == MPI.ERR_OP
    with pytest.raises(ValueError):
        MPI.OP_NULL(1, 2)
    with pytest.raises(MPI.Exception):
        MPI.OP_NULL.Reduce_local(np.ones(2), np.ones(2))


# -- predefined operations on Python objects -------------------------------------------


def test_predefined_call_on_objects():
    assert MPI.SUM(2, 3) == 5
    assert MPI.SUM([1], [2, 3]) == [1, 2, 3]
    assert MPI.SUM("ab", "c") == "abc"
    assert MPI.PROD(3, 4) == 12 and MPI.PROD("x", 3) == "xxx"
    assert MPI.MAX(3, 9) == 9 and MPI.MAX(9, 3) == 9 and MPI.MIN("b", "a") == "a"
    assert MPI.MAX((1, 2), (1, 3)) == (1, 3) and MPI.MIN([2], [1, 5]) == [1, 5]
    assert MPI.LAND(1, 0) is False and MPI.LAND("x", [1]) is True
    assert MPI.LOR(0, 2) is True and MPI.LOR(0, "") is False
    assert MPI.LXOR(1, 1) is False and MPI.LXOR(0, 3) is True
    assert MPI.BAND(6, 3) == 2 and MPI.BOR(6, 3) == 7 and MPI.BXOR(6, 3) == 5
    assert MPI.BOR({1}, {2}) == {1, 2}
    assert MPI.REPLACE(1, 2) == 2 and MPI.NO_OP(1, 2) == 1
    a, b = np.arange(3), np.arange(3) * 10
    assert np.array_equal(MPI.SUM(a, b), a + b)
    assert np.array_equal(MPI.PROD(a, b), a * b)
    with pytest.raises(TypeError):
        MPI.SUM(1, "a")
    with pytest.raises(TypeError):
        MPI.SUM(1)


def test_maxloc_minloc_on_pairs():
    assert tuple(MPI.MAXLOC((1, 5), (2, 9))) == (2, 9)
    assert tuple(MPI.MAXLOC((3, 5), (2, 1))) == (3, 5)
    assert tuple(MPI.MINLOC((3, 5), (2, 9))) == (2, 9)
    assert tuple(MPI.MINLOC((0, 5), (1, 2))) == (0, 5)
    # ties: the lower index wins, whichever side it is on
    assert tuple(MPI.MAXLOC((1, 5), (1, 2))) == (1, 2)
    assert tuple(MPI.MAXLOC((1, 2), (1, 5))) == (1, 2)
    # A tie gives the pair with the lower index itself (its very objects), as mpi4py does.
    x, y = [1], [1]
    for op in (MPI.MINLOC, MPI.MAXLOC):
        u, v = [x, 1], [y, 0]
        res = op(u, v)
        assert res[0] is y and res[1] == 0
        res = op(v, u)
        assert res[0] is y and res[1] == 0
    assert tuple(MPI.MINLOC([7.5, 3], [7.5, 4])) == (7.5, 3)
    assert tuple(MPI.MINLOC(("b", 1), ("a", 8))) == ("a", 8)


# -- Reduce_local with predefined operations -------------------------------------------

INT_TYPES = ["i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"]
FLOAT_TYPES = ["f4", "f8"]
ARITH = {
    "SUM": np.add,
    "PROD": np.multiply,
    "MAX": np.maximum,
    "MIN": np.minimum,
}
LOGICAL = {"LAND": np.logical_and, "LOR": np.logical_or, "LXOR": np.logical_xor}
BITWISE = {"BAND": np.bitwise_and, "BOR": np.bitwise_or, "BXOR": np.bitwise_xor}


def local_operands(dtype, n=11):
    a = (np.arange(n) % 5).astype(dtype)
    b = ((np.arange(n) * 3 + 1) % 4).astype(dtype)
    return a, b


@pytest.mark.parametrize("dtype", INT_TYPES + FLOAT_TYPES + ["c8", "c16"])
@pytest.mark.parametrize("name", list(ARITH))
def test_reduce_local_arithmetic(name, dtype):
    if dtype.startswith("c") and name in ("MAX", "MIN"):
        pytest.skip("MAX/MIN are not defined for complex numbers")
    a, b = local_operands(dtype)
    inout = b.copy()
    getattr(MPI, name).Reduce_local(a, inout)
    assert np.array_equal(inout, ARITH[name](a, b).astype(dtype))
    assert np.array_equal(a, local_operands(dtype)[0])  # the input is not written


@pytest.mark.parametrize("dtype", INT_TYPES + ["?"])
@pytest.mark.parametrize("name", list(LOGICAL))
def test_reduce_local_logical(name, dtype):
    a, b = local_operands(dtype)
    inout = b.copy()
    getattr(MPI, name).Reduce_local(a, inout)
    expected = LOGICAL[name](a, b)
    assert np.array_equal(inout != 0, expected)
    assert set(np.unique(inout.astype("i8"))) <= {0, 1}


@pytest.mark.parametrize("dtype", INT_TYPES)
@pytest.mark.parametrize("name", list(BITWISE))
def test_reduce_local_bitwise(name, dtype):
    a, b = local_operands(dtype)
    a = a * 3 + 1
    inout = b.copy()
    getattr(MPI, name).Reduce_local(a, inout)
    assert np.array_equal(inout, BITWISE[name](a, b))


def test_reduce_local_other_buffers():
    """bytearray and array.array through their format, explicit [buf, datatype] specs."""
    import array

    inout = array.array("i", [1, 2, 3])
    MPI.SUM.Reduce_local(array.array("i", [10, 20, 30]), inout)
    assert list(inout) == [11, 22, 33]
    inout = bytearray([1, 2, 255])
    MPI.BXOR.Reduce_local([bytearray([3, 3, 15]), MPI.BYTE], [inout, MPI.BYTE])
    assert list(inout) == [2, 1, 240]
    inout = np.array([5.0, -1.0])
    MPI.MAX.Reduce_local([np.array([2.0, 7.0]), MPI.DOUBLE], [inout, MPI.DOUBLE])
    assert list(inout) == [5.0, 7.0]
    empty = np.zeros(0)
    MPI.SUM.Reduce_local(np.zeros(0), empty)  # zero elements: nothing happens


@pytest.mark.parametrize("name", ["MAXLOC", "MINLOC"])
def test_reduce_local_loc_pairs(name):
    values = np.array([[1, 4], [5, 2], [3, 3], [7, 0]], dtype="i4")
    others = np.array([[2, 9], [5, 1], [0, 8], [7, 5]], dtype="i4")
    inout = others.copy()
    getattr(MPI, name).Reduce_local([values, MPI.TWOINT], [inout, MPI.TWOINT])
    pick = max if name == "MAXLOC" else min
    for v, o, got in zip(values, others, inout):
        best = pick(v[0], o[0])
        index = min(p[1] for p in (v, o) if p[0] == best)
        assert tuple(got) == (best, index)
    # DOUBLE_INT: a C struct {double; int}, padded to 16 bytes
    pair = np.dtype([("v", "f8"), ("i", "i4")], align=True)
    a = np.array([(1.5, 3), (2.5, 1)], dtype=pair)
    b = np.array([(1.5, 2), (0.5, 6)], dtype=pair)
    getattr(MPI, name).Reduce_local([a, MPI.DOUBLE_INT], [b, MPI.DOUBLE_INT])
    if name == "MAXLOC":
        assert b.tolist() == [(1.5, 2), (2.5, 1)]
    else:
        assert b.tolist() == [(1.5, 2), (0.5, 6)]


def test_reduce_local_bad_input():
    with pytest.raises(ValueError):
        MPI.SUM.Reduce_local(np.ones(2), np.ones(3))
    with pytest.raises(ValueError):
        MPI.SUM.Reduce_local(np.ones(2), np.ones(2, dtype="i8"))
    with pytest.raises((TypeError, BufferError)):
        MPI.SUM.Reduce_local(np.ones(2), b"\0" * 16)  # read-only output
    with pytest.raises(TypeError):
        MPI.SUM.Reduce_local(np.ones(2), 5)
    with pytest.raises(MPI.Exception) as excinfo:
        MPI.LAND.Reduce_local(np.ones(2), np.ones(2))  # not defined for floating point
    assert excinfo.value.Get_error_class() in (MPI.ERR_OP, MPI.ERR_TYPE)
    with pytest.raises(MPI.Exception):
        MPI.BXOR.Reduce_local(np.ones(2), np.ones(2))


# -- Op.Create -------------------------------------------------------------------------


def test_create_and_free():
    for commute in (False, True):
        op = MPI.Op.Create(add_doubles, commute=commute)
        assert isinstance(op, MPI.Op) and bool(op)
        assert op.is_predefined is False
        assert op.Is_commutative() is commute and op.is_commutative is commute
        assert op != MPI.SUM and op == MPI.Op(op)
        op.Free()
        assert op == MPI.OP_NULL and not op
        with pytest.raises(MPI.Exception):
            op.Free()
    op = MPI.Op.Create(add_doubles)
    try:
        assert op.Is_commutative() is False  # commute defaults to False
    finally:
        op.Free()


def test_create_bad_function():
    for bad in (5, None, "sum"):
        with pytest.raises(TypeError):
            MPI.Op.Create(bad)


def test_create_slots_run_out_and_come_back():
    """A fixed table of trampolines: a clear error when all are taken, and freed slots are
    reused."""
    ops = []
    try:
        with pytest.raises(RuntimeError):
            for _ in range(10000):
                ops.append(MPI.Op.Create(keep_last))
        assert len(ops) >= 16
        ops.pop().Free()
        ops.append(MPI.Op.Create(add_doubles))  # the freed slot, now doing something else
        inout = np.ones(3)
        ops[-1].Reduce_local(np.full(3, 2.0), inout)
        assert list(inout) == [3.0, 3.0, 3.0]
    finally:
        for op in ops:
            op.Free()
    # every slot is free again
    again = [MPI.Op.Create(keep_last) for _ in range(len(ops))]
    for op in again:
        op.Free()


def test_user_op_call_on_objects():
    """Calling a user operation calls its function with datatype None and returns its
    result, as mpi4py does."""
    seen = []

    def function(a, b, datatype):
        seen.append(datatype)
        return (a, b)

    op = MPI.Op.Create(function)
    try:
        assert op(1, [2]) == (1, [2])
        assert op(None, None) == (None, None)
        assert seen == [None, None]
    finally:
        op.Free()
    with pytest.raises(ValueError):
        op(1, 2)  # freed: OP_NULL


def test_user_op_pickles_as_create():
    op = MPI.Op.Create(add_doubles, commute=True)
    try:
        # A copy made by the constructor still knows its function; one rebuilt from the bare
        # handle does not, and refuses to pickle.
        again = pickle.loads(pickle.dumps(MPI.Op(op)))
        assert again.Is_commutative() is True
        again.Free()
        with pytest.raises(ValueError, match="Op.Create"):
            pickle.dumps(MPI.Op.fromint(op.toint()))
        with pytest.raises(ValueError, match="Op.Create"):
            pickle.dumps(MPI.Op.fromhandle(op.handle))
        copy = pickle.loads(pickle.dumps(op))
        try:
            assert copy != op and not copy.is_predefined
            assert copy.Is_commutative() is True
            inout = np.ones(2)
            copy.Reduce_local(np.ones(2), inout)
            assert list(inout) == [2.0, 2.0]
        finally:
            copy.Free()
    finally:
        op.Free()
    assert pickle.loads(pickle.dumps(MPI.SUM)) is MPI.SUM
    assert pickle.loads(pickle.dumps(op)) == MPI.OP_NULL  # freed: a null handle


def test_reduce_local_user_op_buffers():
    """The function gets MPI.buffer objects of len * extent bytes over MPI's memory (its
    writes to inoutvec land there) and the MPI.Datatype."""
    seen = {}

    def function(invec, inoutvec, datatype):
        seen["types"] = (type(invec), type(inoutvec))
        seen["sizes"] = (len(invec), len(inoutvec))
        seen["datatype"] = datatype
        seen["readonly"] = memoryview(inoutvec).readonly
        seen["kept"] = invec
        out = np.frombuffer(inoutvec, dtype="i8")
        out *= 10
        out += np.frombuffer(invec, dtype="i8")

    op = MPI.Op.Create(function)
    try:
        inout = np.array([1, 2, 3, 4], dtype="i8")
        op.Reduce_local([np.array([5, 6, 7, 8], dtype="i8"), MPI.INT64_T], [inout, MPI.INT64_T])
        assert list(inout) == [15, 26, 37, 48]
        assert seen["types"] == (MPI.buffer, MPI.buffer)
        assert seen["sizes"] == (32, 32)
        assert seen["datatype"] == MPI.INT64_T and isinstance(seen["datatype"], MPI.Datatype)
        assert seen["readonly"] is False
        assert len(seen["kept"]) == 0  # emptied after the call: MPI's memory is not for later
        with pytest.raises(MPI.Exception):
            seen["datatype"].Free()  # not the function's to free
        # zero elements: MPI may skip the call, and nothing changes
        empty = np.zeros(0, dtype="i8")
        op.Reduce_local(np.zeros(0, dtype="i8"), empty)
    finally:
        op.Free()


def test_reduce_local_user_op_derived_datatype():
    """A derived datatype (a duplicate of DOUBLE, and the non-contiguous DOUBLE_INT pair)
    reaches the function as is."""
    dup = MPI.DOUBLE.Dup().Commit()
    seen = []

    def function(invec, inoutvec, datatype):
        seen.append((datatype, len(inoutvec)))
        if datatype == MPI.DOUBLE_INT:
            pair = np.dtype([("v", "f8"), ("i", "i4")], align=True)
            a = np.frombuffer(invec, dtype=pair)
            b = np.frombuffer(inoutvec, dtype=pair)
            b["v"] += a["v"]
            b["i"] = np.maximum(a["i"], b["i"])
        else:
            add_doubles(invec, inoutvec, datatype)

    op = MPI.Op.Create(function, commute=True)
    try:
        inout = np.arange(5.0)
        op.Reduce_local([np.full(5, 0.5), dup], [inout, dup])
        assert list(inout) == [0.5, 1.5, 2.5, 3.5, 4.5]
        assert seen[-1][0] == dup and seen[-1][0].combiner == MPI.COMBINER_DUP
        assert sum(n for t, n in seen) == 5 * 8
        pair = np.dtype([("v", "f8"), ("i", "i4")], align=True)
        a = np.array([(1.0, 7), (2.0, 1)], dtype=pair)
        b = np.array([(0.5, 2), (0.25, 9)], dtype=pair)
        seen.clear()
        op.Reduce_local([a, MPI.DOUBLE_INT], [b, MPI.DOUBLE_INT])
        assert b.tolist() == [(1.5, 7), (2.25, 9)]
        assert seen[-1][0] == MPI.DOUBLE_INT
        assert sum(n for t, n in seen) == 2 * MPI.DOUBLE_INT.extent
    finally:
        op.Free()
        dup.Free()


# -- user operations in buffer collectives ---------------------------------------------


@pytest.mark.parametrize("n", [1, 7, 1000])
def test_noncommutative_reduce_allreduce(comm, maps_op, n):
    rank, size = comm.Get_rank(), comm.Get_size()
    mine = rank_maps(rank, n)
    expected = expected_maps(range(size), n)
    out = np.zeros((n, 2), dtype="i4")
    comm.Allreduce([mine, MPI.TWOINT], [out, MPI.TWOINT], op=maps_op)
    assert np.array_equal(out, expected)
    for root in range(size):
        out = np.full((n, 2), -1, dtype="i4")
        comm.Reduce([mine, MPI.TWOINT], [out, MPI.TWOINT], op=maps_op, root=root)
        if rank == root:
            assert np.array_equal(out, expected)
    # in place
    buf = mine.copy()
    comm.Allreduce(MPI.IN_PLACE, [buf, MPI.TWOINT], op=maps_op)
    assert np.array_equal(buf, expected)
    assert np.array_equal(mine, rank_maps(rank, n))


def test_noncommutative_scan_exscan(comm, maps_op):
    rank = comm.Get_rank()
    n = 9
    mine = rank_maps(rank, n)
    out = np.zeros((n, 2), dtype="i4")
    comm.Scan([mine, MPI.TWOINT], [out, MPI.TWOINT], op=maps_op)
    assert np.array_equal(out, expected_maps(range(rank + 1), n))
    out = np.full((n, 2), -7, dtype="i4")
    comm.Exscan([mine, MPI.TWOINT], [out, MPI.TWOINT], op=maps_op)
    if rank > 0:  # rank 0's receive buffer is undefined
        assert np.array_equal(out, expected_maps(range(rank), n))


def test_noncommutative_reduce_scatter(comm, maps_op):
    rank, size = comm.Get_rank(), comm.Get_size()
    counts = [r % 3 + 1 for r in range(size)]
    total = sum(counts)
    mine = rank_maps(rank, total)
    expected = expected_maps(range(size), total)
    start = sum(counts[:rank])
    out = np.zeros((counts[rank], 2), dtype="i4")
    comm.Reduce_scatter([mine, MPI.TWOINT], [out, MPI.TWOINT], counts, op=maps_op)
    assert np.array_equal(out, expected[start : start + counts[rank]])
    block = 3
    mine = rank_maps(rank, block * size)
    expected = expected_maps(range(size), block * size)
    out = np.zeros((block, 2), dtype="i4")
    comm.Reduce_scatter_block([mine, MPI.TWOINT], [out, MPI.TWOINT], op=maps_op)
    assert np.array_equal(out, expected[rank * block : (rank + 1) * block])


def test_order_keep_first_last(comm):
    """Two operations that only say which operand wins: rank order, on raw bytes."""
    rank, size = comm.Get_rank(), comm.Get_size()
    first, last = MPI.Op.Create(keep_first), MPI.Op.Create(keep_last)
    try:
        mine = np.full(50, rank + 1, dtype="i8")
        out = np.zeros(50, dtype="i8")
        comm.Allreduce(mine, out, op=first)
        assert np.all(out == 1)
        comm.Allreduce(mine, out, op=last)
        assert np.all(out == size)
        comm.Scan(mine, out, op=first)
        assert np.all(out == 1)
        comm.Scan(mine, out, op=last)
        assert np.all(out == rank + 1)
    finally:
        first.Free()
        last.Free()


def test_nonblocking_and_persistent(comm, maps_op):
    rank, size = comm.Get_rank(), comm.Get_size()
    n = 5
    mine = rank_maps(rank, n)
    full = expected_maps(range(size), n)
    outs = [np.zeros((n, 2), dtype="i4") for _ in range(4)]
    requests = [
        comm.Iallreduce([mine, MPI.TWOINT], [outs[0], MPI.TWOINT], op=maps_op),
        comm.Ireduce([mine, MPI.TWOINT], [outs[1], MPI.TWOINT], op=maps_op, root=size - 1),
        comm.Iscan([mine, MPI.TWOINT], [outs[2], MPI.TWOINT], op=maps_op),
        comm.Iexscan([mine, MPI.TWOINT], [outs[3], MPI.TWOINT], op=maps_op),
    ]
    for request in reversed(requests):  # completion in any order
        request.Wait()
    assert np.array_equal(outs[0], full)
    if rank == size - 1:
        assert np.array_equal(outs[1], full)
    assert np.array_equal(outs[2], expected_maps(range(rank + 1), n))
    if rank > 0:
        assert np.array_equal(outs[3], expected_maps(range(rank), n))
    out = np.zeros((1, 2), dtype="i4")
    req = comm.Ireduce_scatter_block(
        [rank_maps(rank, size), MPI.TWOINT], [out, MPI.TWOINT], maps_op
    )
    MPI.Request.Waitall([req])
    assert np.array_equal(out[0], expected_maps(range(size), size)[rank])
    counts = [2] * size
    out = np.zeros((2, 2), dtype="i4")
    req = comm.Ireduce_scatter(
        [rank_maps(rank, 2 * size), MPI.TWOINT], [out, MPI.TWOINT], counts, maps_op
    )
    while not req.Test():
        pass
    assert np.array_equal(out, expected_maps(range(size), 2 * size)[2 * rank : 2 * rank + 2])
    try:
        preq = comm.Allreduce_init([mine, MPI.TWOINT], [outs[0], MPI.TWOINT], op=maps_op)
    except NotImplementedError:
        return
    try:
        for k in range(3):  # restarted with new data each time
            mine[:] = rank_maps(rank + k, n)
            outs[0][:] = 0
            preq.Start()
            preq.Wait()
            assert np.array_equal(outs[0], expected_maps([r + k for r in range(size)], n))
    finally:
        preq.Free()


def test_user_op_derived_datatype_in_collectives(comm):
    """A duplicate of DOUBLE (a derived datatype) with a user sum."""
    rank, size = comm.Get_rank(), comm.Get_size()
    dup = MPI.DOUBLE.Dup().Commit()
    seen = set()

    def function(invec, inoutvec, datatype):
        seen.add(datatype == dup)
        add_doubles(invec, inoutvec, datatype)

    op = MPI.Op.Create(function, commute=True)
    try:
        mine = np.arange(20.0) + rank
        out = np.zeros(20)
        comm.Allreduce([mine, dup], [out, dup], op=op)
        assert np.array_equal(out, np.arange(20.0) * size + size * (size - 1) / 2)
        comm.Reduce_scatter_block([np.tile(mine[:4], size), dup], [out[:4], dup], op=op)
        assert np.array_equal(out[:4], np.arange(4.0) * size + size * (size - 1) / 2)
        assert seen <= {True}  # only ever the datatype given (not called at all at N=1)
    finally:
        op.Free()
        dup.Free()


def test_free_while_pending(comm):
    """MPI lets a pending reduction finish with an operation freed meanwhile."""
    rank, size = comm.Get_rank(), comm.Get_size()
    op = MPI.Op.Create(add_doubles, commute=True)
    out = np.zeros(4)
    req = comm.Iallreduce(np.full(4, rank + 1.0), out, op=op)
    op.Free()
    assert op == MPI.OP_NULL
    req.Wait()
    assert np.all(out == size * (size + 1) / 2)


# -- exceptions raised by user functions -----------------------------------------------


class OpFailure(Exception):
    pass


def test_exception_in_reduce_local():
    calls = []

    def function(invec, inoutvec, datatype):
        calls.append(invec)
        raise OpFailure("from the user function")

    op = MPI.Op.Create(function)
    try:
        inout = np.ones(3)
        with pytest.raises(OpFailure, match="from the user function") as excinfo:
            op.Reduce_local(np.ones(3), inout)
        assert "function" in "".join(str(t.name) for t in excinfo.traceback)
        assert list(inout) == [1.0, 1.0, 1.0]
        assert calls  # called, once at least
        assert all(len(invec) == 0 for invec in calls)  # emptied, even after an exception
        # nothing left over: the next reductions work
        MPI.SUM.Reduce_local(np.ones(3), inout)
        assert list(inout) == [2.0, 2.0, 2.0]
        del excinfo
    finally:
        op.Free()
    gc.collect()


def test_exception_keeps_other_errors_out():
    """A function that returns a wrong type of value is fine (the result is ignored); one
    that fails on its arguments raises in the caller."""
    op = MPI.Op.Create(lambda a, b, t: 42)
    try:
        inout = np.ones(2)
        op.Reduce_local(np.ones(2), inout)
        assert list(inout) == [1.0, 1.0]
    finally:
        op.Free()
    op = MPI.Op.Create(lambda a, b: None)  # wrong arity
    try:
        with pytest.raises(TypeError):
            op.Reduce_local(np.ones(2), np.ones(2))
    finally:
        op.Free()


@pytest.mark.parametrize("mode", ["blocking", "nonblocking"])
def test_exception_in_collective(comm, mode):
    """Every process where MPI called the function gets its exception from the collective
    (MPI finishes the collective first, so nobody hangs); the others complete normally."""
    rank, size = comm.Get_rank(), comm.Get_size()
    called = []

    def function(invec, inoutvec, datatype):
        called.append(True)
        raise OpFailure(f"raised at rank {rank}")

    op = MPI.Op.Create(function, commute=True)
    raised = None
    try:
        out = np.zeros(8)
        try:
            if mode == "blocking":
                comm.Allreduce(np.ones(8), out, op=op)
            else:
                comm.Iallreduce(np.ones(8), out, op=op).Wait()
        except OpFailure as exc:
            raised = str(exc)
    finally:
        op.Free()
    assert raised == (f"raised at rank {rank}" if called else None)
    if size > 1:
        assert any(comm.allgather(bool(called)))  # somebody combined something
    # the communicator is fine afterwards
    total = np.zeros(1)
    comm.Allreduce(np.ones(1), total, op=MPI.SUM)
    assert total[0] == size


def test_exception_in_every_reduction(comm):
    """Reduce, Scan, Exscan, Reduce_scatter_block: same rule."""
    size = comm.Get_size()
    called = []

    def function(invec, inoutvec, datatype):
        called.append(True)
        raise OpFailure("boom")

    op = MPI.Op.Create(function)
    try:
        for call in (
            lambda: comm.Reduce(np.ones(3), np.zeros(3), op=op, root=size - 1),
            lambda: comm.Scan(np.ones(3), np.zeros(3), op=op),
            lambda: comm.Exscan(np.ones(3), np.zeros(3), op=op),
            lambda: comm.Reduce_scatter_block(np.ones(3 * size), np.zeros(3), op=op),
        ):
            called.clear()
            try:
                call()
                assert not called
            except OpFailure:
                assert called
    finally:
        op.Free()


# -- user operations in object collectives ---------------------------------------------


def concat(a, b, datatype):
    assert datatype is None
    return a + b


def test_user_op_in_object_reductions(comm):
    """An Op.Create operation in lowercase reductions: its function is called on the
    objects (datatype None), in rank order."""
    rank, size = comm.Get_rank(), comm.Get_size()
    op = MPI.Op.Create(concat, commute=False)
    try:
        assert comm.allreduce([rank], op=op) == list(range(size))
        for root in range(size):
            got = comm.reduce(f"{rank};", op=op, root=root)
            assert got == ("".join(f"{r};" for r in range(size)) if rank == root else None)
        assert comm.scan((rank,), op=op) == tuple(range(rank + 1))
        assert comm.exscan([rank], op=op) == (list(range(rank)) if rank else None)
        big = "x" * 30000 + str(rank)  # beyond the small-object path: the tree
        assert comm.allreduce(big, op=op) == "".join("x" * 30000 + str(r) for r in range(size))
    finally:
        op.Free()


def test_freed_op_in_object_reduction(comm):
    op = MPI.Op.Create(concat)
    op.Free()
    with pytest.raises(ValueError):
        comm.allreduce(1, op=op)  # OP_NULL: checked everywhere before communicating


def test_user_op_by_handle_in_object_reduction(comm):
    """Another Python object for the same handle finds the same function."""
    rank, size = comm.Get_rank(), comm.Get_size()
    op = MPI.Op.Create(concat)
    try:
        assert comm.allreduce([rank], op=MPI.Op.fromhandle(op.handle)) == list(range(size))
        assert comm.allreduce([rank], op=MPI.Op(op)) == list(range(size))
    finally:
        op.Free()


@pytest.mark.mpi(min_size=2)
def test_user_op_on_intercomm(inter):
    """Object and buffer reductions with a user operation on an intercommunicator: each
    group gets the other group's values, combined in its local rank order."""
    comm, group, rank, sizes = inter
    other = sizes[1 - group]
    op = MPI.Op.Create(concat)
    try:
        assert comm.allreduce([(group, rank)], op=op) == [(1 - group, r) for r in range(other)]
        for root_group in (0, 1):
            if group == root_group:
                root = MPI.ROOT if rank == 0 else MPI.PROC_NULL
            else:
                root = 0
            got = comm.reduce(f"{group}.{rank};", op=op, root=root)
            if root == MPI.ROOT:
                assert got == "".join(f"{1 - group}.{r};" for r in range(other))
            else:
                assert got is None
    finally:
        op.Free()
    maps = MPI.Op.Create(compose_maps)
    try:
        n = 6
        mine = rank_maps(10 * group + rank, n)
        out = np.zeros((n, 2), dtype="i4")
        comm.Allreduce([mine, MPI.TWOINT], [out, MPI.TWOINT], op=maps)
        assert np.array_equal(out, expected_maps([10 * (1 - group) + r for r in range(other)], n))
    finally:
        maps.Free()


@pytest.mark.mpi(min_size=2)
def test_intercomm_object_reductions_predefined(inter):
    """reduce/allreduce with predefined ops on an intercommunicator, every root; PROC_NULL
    processes get None."""
    comm, group, rank, sizes = inter
    other = sizes[1 - group]
    assert comm.allreduce(rank + 1, op=MPI.PROD) == fold(operator.mul, range(1, other + 1))
    assert (
        comm.allreduce(np.full(3, rank + 1.0), op=MPI.SUM).tolist() == [other * (other + 1) / 2] * 3
    )
    for root_group in (0, 1):
        for root_rank in range(sizes[root_group]):
            if group == root_group:
                root = MPI.ROOT if rank == root_rank else MPI.PROC_NULL
            else:
                root = root_rank
            got = comm.reduce((rank % 2, rank), op=MPI.MINLOC, root=root)
            if root == MPI.ROOT:
                low = min(r % 2 for r in range(other))
                assert tuple(got) == (low, min(r for r in range(other) if r % 2 == low))
            else:
                assert got is None
            got = comm.reduce(rank, op=MPI.MAX, root=root)
            assert got == (other - 1 if root == MPI.ROOT else None)


def test_callback_from_another_thread(comm):
    """A user operation used from a second Python thread while the main thread waits."""
    rank, size = comm.Get_rank(), comm.Get_size()
    op = MPI.Op.Create(add_doubles, commute=True)
    result = {}

    def work():
        out = np.zeros(16)
        comm.Allreduce(np.full(16, rank + 1.0), out, op=op)
        result["out"] = out

    try:
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    finally:
        op.Free()
    assert np.all(result["out"] == size * (size + 1) / 2)


class InterError(Exception):
    pass


def always_fail(a, b):
    raise InterError("refused")


@pytest.mark.mpi(min_size=2)
def test_exception_in_intercomm_object_reduction(inter):
    """allreduce on an intercommunicator with an operation that always raises: a process
    raises when the other group had something to combine, or when it combined itself;
    nobody hangs."""
    comm, group, rank, sizes = inter
    mine, other = sizes[group], sizes[1 - group]
    try:
        got = comm.allreduce(rank, op=always_fail)
    except InterError:
        raised = True
    else:
        raised = False
        assert got == 0  # the other group's only value
    if other >= 2 or (mine >= 2 and rank == 0):
        assert raised
    if other == 1 and mine == 1:
        assert not raised
    assert comm.allreduce(1) == other

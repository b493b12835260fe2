"""Collective communication of Python objects (the lowercase methods) on
intracommunicators: barrier, bcast, gather, scatter, allgather, alltoall, reduce,
allreduce, scan, exscan, with many kinds of objects, predefined operations, Python
callables, non-commutative operations (combined in rank order), MAXLOC/MINLOC pairs,
and bad input. Intercommunicators are in test_cco_inter.py.

Each rank can compute every other rank's object (``obj(rank)``), so each checks its
own result. Tests taking ``comm`` run on COMM_SELF, COMM_WORLD and a Dup.
"""

import operator
import threading
from functools import reduce as fold

import numpy as np
import pytest

from mpipy import MPI

MiB = 1 << 20


def obj(rank, kind="mixed"):
    """An object that depends on the rank, of the given kind."""
    if kind == "int":
        return rank * 7 - 3
    if kind == "float":
        return rank / 4 - 1.5
    if kind == "str":
        return f"rank-{rank}-" + "é" * rank
    if kind == "list":
        return [rank, [rank] * rank, (rank, "x")]
    if kind == "dict":
        return {"rank": rank, "sq": rank * rank, "name": f"p{rank}", "nested": {"t": (rank,)}}
    if kind == "none":
        return None
    if kind == "ndarray":
        return np.arange(10, dtype="d") * (rank + 1)
    if kind == "big":
        return np.full(MiB, rank % 256, dtype="B")
    if kind == "bytes":
        return bytes((rank + i) % 256 for i in range(20))
    return {"int": rank, "list": [rank, rank + 1.5, "s"], "set": {rank, -rank}, "none": None}


KINDS = ["int", "float", "str", "list", "dict", "none", "ndarray", "big", "bytes", "mixed"]


def same(a, b):
    """Equality that also compares NumPy arrays (dtype, shape and values)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and np.array_equal(a, b)
        )
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


# -- barrier, bcast, gather, scatter, allgather, alltoall ------------------------------


def test_barrier(comm):
    assert comm.barrier() is None


@pytest.mark.parametrize("kind", KINDS)
def test_bcast(comm, kind):
    rank, size = comm.Get_rank(), comm.Get_size()
    for root in range(size):
        sent = obj(root, kind) if rank == root else "not used"
        got = comm.bcast(sent, root=root)
        assert same(got, obj(root, kind))


def test_bcast_defaults(comm):
    """root defaults to 0 and obj to None."""
    rank = comm.Get_rank()
    assert comm.bcast({"a": 1} if rank == 0 else None) == {"a": 1}
    assert comm.bcast() is None


def test_bcast_receivers_get_copies(comm):
    rank = comm.Get_rank()
    mine = [1, 2, 3]
    got = comm.bcast(mine, root=0)
    assert got == [1, 2, 3]
    if rank != 0:
        assert got is not mine


@pytest.mark.parametrize("kind", KINDS)
def test_gather(comm, kind):
    rank, size = comm.Get_rank(), comm.Get_size()
    for root in range(size):
        got = comm.gather(obj(rank, kind), root=root)
        if rank == root:
            assert isinstance(got, list)
            assert same(got, [obj(r, kind) for r in range(size)])
        else:
            assert got is None


@pytest.mark.parametrize("kind", KINDS)
def test_scatter(comm, kind):
    rank, size = comm.Get_rank(), comm.Get_size()
    for root in range(size):
        objs = [obj(10 * root + r, kind) for r in range(size)] if rank == root else None
        got = comm.scatter(objs, root=root)
        assert same(got, obj(10 * root + rank, kind))


def test_scatter_any_sequence(comm):
    """Any sequence of the right length at the root (a tuple, a range, a generator
    turned list)."""
    rank, size = comm.Get_rank(), comm.Get_size()
    assert comm.scatter(tuple(range(size)) if rank == 0 else None) == rank
    assert comm.scatter(range(100, 100 + size) if rank == 0 else None) == 100 + rank


@pytest.mark.parametrize("kind", KINDS)
def test_allgather(comm, kind):
    rank, size = comm.Get_rank(), comm.Get_size()
    assert same(comm.allgather(obj(rank, kind)), [obj(r, kind) for r in range(size)])


@pytest.mark.parametrize("kind", KINDS)
def test_alltoall(comm, kind):
    rank, size = comm.Get_rank(), comm.Get_size()
    sent = [obj(100 * rank + d, kind) for d in range(size)]
    assert same(comm.alltoall(sent), [obj(100 * s + rank, kind) for s in range(size)])


def test_uneven_sizes(comm):
    """Objects of very different sizes in one gather/alltoall (empty to 1 MiB)."""
    rank, size = comm.Get_rank(), comm.Get_size()

    def payload(a, b):
        return b"x" * ((a * 37 + b * 11) % 5 * (MiB // 4))

    got = comm.allgather(payload(rank, 0))
    assert got == [payload(r, 0) for r in range(size)]
    got = comm.alltoall([payload(rank, d) for d in range(size)])
    assert got == [payload(s, rank) for s in range(size)]


# -- reductions ------------------------------------------------------------------------


# (op, kind of values, Python function that combines two values)
PREDEFINED = [
    ("SUM", "int", operator.add),
    ("SUM", "float", operator.add),
    ("PROD", "int", operator.mul),
    ("MAX", "int", max),
    ("MIN", "float", min),
    ("MAX", "str", max),
    ("MIN", "list", min),
    ("LAND", "int", lambda a, b: bool(a) and bool(b)),
    ("LOR", "int", lambda a, b: bool(a) or bool(b)),
    ("LXOR", "int", lambda a, b: bool(a) != bool(b)),
    ("BAND", "int", operator.and_),
    ("BOR", "int", operator.or_),
    ("BXOR", "int", operator.xor),
    ("SUM", "ndarray", operator.add),
]


def reduction_value(rank, kind):
    if kind == "int":
        return (rank * 5 + 3) % 7  # includes 0 for the logical ops
    if kind == "float":
        return rank * 0.5 - 1.0
    if kind == "str":
        return f"s{(rank * 3) % 5}"
    if kind == "list":
        return [(rank * 3) % 4, rank]
    if kind == "ndarray":
        return np.arange(4) + rank
    raise AssertionError(kind)


def check_result(got, expected):
    if isinstance(expected, np.ndarray):
        assert isinstance(got, np.ndarray) and np.array_equal(got, expected)
    else:
        assert got == expected
        assert type(got) is type(expected)


@pytest.mark.parametrize(
    "opname,kind,pyfunc", PREDEFINED, ids=[f"{o}-{k}" for o, k, _ in PREDEFINED]
)
def test_reduce_allreduce_predefined(comm, opname, kind, pyfunc):
    rank, size = comm.Get_rank(), comm.Get_size()
    op = getattr(MPI, opname)
    values = [reduction_value(r, kind) for r in range(size)]
    expected = fold(pyfunc, values)
    if opname in ("LAND", "LOR", "LXOR") and size == 1:
        expected = values[0]  # one process: its value, not its truth value
    check_result(comm.allreduce(values[rank], op=op), expected)
    for root in range(size):
        got = comm.reduce(values[rank], op=op, root=root)
        if rank == root:
            check_result(got, expected)
        else:
            assert got is None


@pytest.mark.parametrize(
    "opname,kind,pyfunc", PREDEFINED, ids=[f"{o}-{k}" for o, k, _ in PREDEFINED]
)
def test_scan_exscan_predefined(comm, opname, kind, pyfunc):
    rank, size = comm.Get_rank(), comm.Get_size()
    op = getattr(MPI, opname)
    values = [reduction_value(r, kind) for r in range(size)]
    inclusive = fold(pyfunc, values[: rank + 1])
    if opname in ("LAND", "LOR", "LXOR") and rank == 0:
        inclusive = values[0]
    check_result(comm.scan(values[rank], op=op), inclusive)
    got = comm.exscan(values[rank], op=op)
    if rank == 0:
        assert got is None
    else:
        exclusive = (
            values[0]
            if rank == 1 and opname in ("LAND", "LOR", "LXOR")
            else fold(pyfunc, values[:rank])
        )
        check_result(got, exclusive)


def test_default_op_is_sum(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    assert comm.allreduce(rank) == size * (size - 1) // 2
    assert comm.reduce(1, root=size - 1) == (size if rank == size - 1 else None)
    assert comm.scan(1) == rank + 1
    assert comm.exscan(1) == (rank if rank else None)


def test_noncommutative_in_rank_order(comm):
    """List and string concatenation with SUM, a callable, and a callable that is not
    even associative-friendly for reordering: results follow rank order."""
    rank, size = comm.Get_rank(), comm.Get_size()
    assert comm.allreduce([rank]) == list(range(size))
    assert comm.allreduce(f"{rank};") == "".join(f"{r};" for r in range(size))
    concat = lambda a, b: a + b  # noqa: E731
    for root in range(size):
        got = comm.reduce(chr(65 + rank), op=concat, root=root)
        assert got == ("".join(chr(65 + r) for r in range(size)) if rank == root else None)
    assert comm.scan((rank,), op=concat) == tuple(range(rank + 1))
    assert comm.exscan([rank], op=concat) == (list(range(rank)) if rank else None)
    # a matrix product is associative but not commutative
    mats = [np.array([[1, r], [0, 1]]) + np.eye(2, dtype=int) * (r % 2) for r in range(size)]
    expected = fold(np.matmul, mats)
    got = comm.allreduce(mats[rank], op=np.matmul)
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("nbytes", [10, 40_000])
def test_noncommutative_small_and_large(comm, nbytes):
    """Small objects and objects too big to gather everywhere (more than 64 KiB in all)
    take different paths; both combine in rank order."""
    rank, size = comm.Get_rank(), comm.Get_size()
    piece = [chr(65 + r % 26) * nbytes for r in range(size)]
    concat = lambda a, b: a + b  # noqa: E731
    assert comm.allreduce(piece[rank], op=concat) == "".join(piece)
    for root in range(size):
        got = comm.reduce(piece[rank], op=concat, root=root)
        assert got == ("".join(piece) if rank == root else None)
    assert comm.scan(piece[rank], op=concat) == "".join(piece[: rank + 1])
    assert comm.exscan(piece[rank], op=concat) == ("".join(piece[:rank]) if rank else None)
    arrays = [np.full(nbytes // 8 + 1, r + 1.0) for r in range(size)]
    total = comm.allreduce(arrays[rank], op=MPI.SUM)
    assert np.array_equal(total, np.full(nbytes // 8 + 1, size * (size + 1) / 2))
    assert comm.allreduce([rank] * (nbytes // 4)) == [
        r for r in range(size) for _ in range(nbytes // 4)
    ]


def test_callable_ops(comm):
    """Any Python callable: functions, lambdas, builtins, bound methods, classes."""
    rank, size = comm.Get_rank(), comm.Get_size()
    assert comm.allreduce(rank, op=max) == size - 1
    assert comm.allreduce(rank + 1, op=lambda a, b: a * b) == fold(operator.mul, range(1, size + 1))
    assert comm.allreduce({rank}, op=set.union) == set(range(size))
    merged = comm.allreduce({f"k{rank}": rank}, op=lambda a, b: {**a, **b})
    assert merged == {f"k{r}": r for r in range(size)}

    class Pick:
        """Keeps the pair with the larger second item; on ties the first (lower rank)."""

        def __call__(self, a, b):
            return a if a[1] >= b[1] else b

    expected = max(((r, r % 3) for r in range(size)), key=lambda p: (p[1], -p[0]))
    assert comm.allreduce((rank, rank % 3), op=Pick()) == expected


def test_reduction_of_none_and_mixed(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    keep_first = lambda a, b: a  # noqa: E731
    assert comm.allreduce(None, op=keep_first) is None
    assert comm.allreduce(obj(rank), op=keep_first) == obj(0)
    last = comm.allreduce(obj(rank, "ndarray"), op=lambda a, b: b)
    assert np.array_equal(last, obj(size - 1, "ndarray"))


def loc_value(rank):
    """(value, index) with ties: values repeat every 3 ranks, indices not in rank order."""
    return (rank % 3, 10 - rank)


def test_maxloc_minloc(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    pairs = [loc_value(r) for r in range(size)]
    best = max(v for v, _ in pairs)
    expected = (best, min(i for v, i in pairs if v == best))
    got = comm.allreduce(loc_value(rank), op=MPI.MAXLOC)
    assert tuple(got) == expected
    worst = min(v for v, _ in pairs)
    expected = (worst, min(i for v, i in pairs if v == worst))
    assert tuple(comm.allreduce(loc_value(rank), op=MPI.MINLOC)) == expected
    for root in range(size):
        got = comm.reduce(loc_value(rank), op=MPI.MAXLOC, root=root)
        if rank == root:
            assert tuple(got) == (best, min(i for v, i in pairs if v == best))
    got = comm.scan(loc_value(rank), op=MPI.MINLOC)
    head = pairs[: rank + 1]
    low = min(v for v, _ in head)
    assert tuple(got) == (low, min(i for v, i in head if v == low))


def test_maxloc_all_tied(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    got = comm.allreduce((1.5, size - rank), op=MPI.MAXLOC)
    assert tuple(got) == (1.5, 1)
    got = comm.allreduce([2, rank + 5], op=MPI.MINLOC)
    assert tuple(got) == (2, 5)


def test_predefined_op_call():
    """Calling a predefined operation on two objects: MPI.SUM(a, b) is a + b."""
    assert MPI.SUM(2, 3) == 5
    assert MPI.SUM([1], [2]) == [1, 2]
    assert MPI.PROD(3, 4) == 12
    assert MPI.MAX(3, 9) == 9 and MPI.MIN("b", "a") == "a"
    assert MPI.LAND(1, 0) is False and MPI.LOR(0, 2) is True and MPI.LXOR(1, 1) is False
    assert MPI.BAND(6, 3) == 2 and MPI.BOR(6, 3) == 7 and MPI.BXOR(6, 3) == 5
    assert tuple(MPI.MAXLOC((1, 5), (1, 2))) == (1, 2)
    assert tuple(MPI.MINLOC((0, 5), (1, 2))) == (0, 5)
    assert MPI.REPLACE(1, 2) == 2 and MPI.NO_OP(1, 2) == 1


# -- bad input -------------------------------------------------------------------------


def test_invalid_root(comm):
    size = comm.Get_size()
    for root in (size, -1, 1000):
        for call in (
            lambda: comm.bcast(1, root=root),
            lambda: comm.gather(1, root=root),
            lambda: comm.scatter([1] * size, root=root),
            lambda: comm.reduce(1, root=root),
        ):
            with pytest.raises(MPI.Exception) as excinfo:
                call()
            assert excinfo.value.Get_error_class() == MPI.ERR_ROOT


def test_wrong_lengths():
    comm = MPI.COMM_SELF  # root-side checks: one process, nobody left waiting
    with pytest.raises(ValueError):
        comm.scatter([1, 2], root=0)
    with pytest.raises(TypeError):
        comm.scatter(5, root=0)
    with pytest.raises(ValueError):
        comm.alltoall([])
    with pytest.raises(TypeError):
        comm.alltoall(5)


def test_scatter_alltoall_none_and_iterables(comm):
    """None stands for a None per process; any iterable is taken (an iterator too)."""
    rank, size = comm.Get_rank(), comm.Get_size()
    for root in range(size):
        assert comm.scatter(None, root=root) is None
        assert comm.scatter(iter(range(size)) if rank == root else None, root) == rank
    assert comm.alltoall(None) == [None] * size
    assert comm.alltoall(iter([rank] * size)) == [s for s in range(size)]
    assert comm.alltoall(x for x in range(size)) == [rank] * size


def test_bad_sequence_at_one_process_raises_everywhere(comm):
    """A sequence of the wrong length (or no sequence) at the root of scatter, or at one
    process of alltoall, raises there and on the others instead of leaving them waiting."""
    rank, size = comm.Get_rank(), comm.Get_size()
    for bad, error in (([0] * (size + 1), ValueError), (5, TypeError)):
        with pytest.raises(error if rank == 0 else RuntimeError):
            comm.scatter(bad if rank == 0 else None, root=0)
        with pytest.raises(error if rank == 0 else RuntimeError):
            comm.alltoall(bad if rank == 0 else [0] * size)
    assert comm.allgather(rank) == list(range(size))  # still in step


def test_alltoall_wrong_length_everywhere(comm):
    size = comm.Get_size()
    with pytest.raises(ValueError):
        comm.alltoall(list(range(size + 1)))


def test_none_and_iterables_to_send(comm):
    """scatter and alltoall take any iterable of `size` objects, and None for `size`
    Nones (as mpi4py does)."""
    rank, size = comm.Get_rank(), comm.Get_size()
    assert comm.alltoall(None) == [None] * size
    assert comm.alltoall(iter(range(100 * rank, 100 * rank + size))) == [
        100 * s + rank for s in range(size)
    ]
    assert comm.alltoall(f"{rank}{d}" for d in range(size)) == [f"{s}{rank}" for s in range(size)]
    for root in range(size):
        assert comm.scatter(None, root=root) is None
        objs = (("item", i, root) for i in range(size)) if rank == root else None
        assert comm.scatter(objs, root=root) == ("item", rank, root)


def test_wrong_length_on_one_process(comm):
    """Objects the root (alltoall: one process) cannot send: it raises its error, the
    others RuntimeError, nobody waits, and the communicator works afterwards."""
    rank, size = comm.Get_rank(), comm.Get_size()
    root = size - 1
    if rank == root:
        with pytest.raises(ValueError):
            comm.scatter([1] * (size + 1), root=root)
        with pytest.raises(TypeError):
            comm.alltoall(7)
    else:
        with pytest.raises(RuntimeError, match="root"):
            comm.scatter(None, root=root)
        with pytest.raises(RuntimeError, match=f"process {root}"):
            comm.alltoall([rank] * size)
    assert comm.allreduce(1) == size


def test_bad_ops(comm):
    """Checked on every process before any communication."""
    with pytest.raises(TypeError):
        comm.allreduce(1, op="sum")
    with pytest.raises(TypeError):
        comm.reduce(1, op=3, root=0)
    with pytest.raises(TypeError):
        comm.scan(1, op=None)
    with pytest.raises(ValueError):
        comm.allreduce(1, op=MPI.OP_NULL)


def test_unpicklable():
    comm = MPI.COMM_SELF
    with pytest.raises(Exception):
        comm.bcast(lambda: None, root=0)
    with pytest.raises(Exception):
        comm.allgather(lambda: None)


# -- exceptions raised while combining -------------------------------------------------


class CombineError(Exception):
    pass


def concat_failing_at_3(a, b):
    """Concatenation that fails when it joins rank 2's piece to rank 3's."""
    if a.endswith("C") and b.startswith("D"):
        raise CombineError(f"cannot join {a[-1]} and {b[0]}")
    return a + b


@pytest.mark.parametrize("nbytes", [10, 40_000])
def test_exception_in_op_reaches_the_results(comm, nbytes):
    """An exception raised by the operation on one process travels in place of the partial
    result: every process whose result depends on the failed combination raises it (the
    process where it happened too), the others complete, nobody hangs. Small objects
    (gathered) and large ones (tree, recursive doubling) alike."""
    rank, size = comm.Get_rank(), comm.Get_size()
    piece = [chr(65 + r) * nbytes for r in range(size)]
    fails = size >= 4
    if fails:
        with pytest.raises(CombineError, match="cannot join C and D"):
            comm.allreduce(piece[rank], op=concat_failing_at_3)
    else:
        assert comm.allreduce(piece[rank], op=concat_failing_at_3) == "".join(piece)
    for root in range(size):
        try:
            got = comm.reduce(piece[rank], op=concat_failing_at_3, root=root)
        except CombineError:
            assert fails  # at the root, or where the combination failed
        else:
            if rank == root:
                assert not fails and got == "".join(piece)
            else:
                assert got is None
    if rank >= 3:
        with pytest.raises(CombineError):
            comm.scan(piece[rank], op=concat_failing_at_3)
    else:
        assert comm.scan(piece[rank], op=concat_failing_at_3) == "".join(piece[: rank + 1])
    try:
        got = comm.exscan(piece[rank], op=concat_failing_at_3)
    except CombineError:
        assert rank >= 3
    else:
        assert rank <= 3
        assert got == ("".join(piece[:rank]) if rank else None)
    # everybody is still in step
    assert comm.allreduce(1) == size


def test_exception_type_survives(comm):
    """Every process raises the operation's own exception class and message."""
    rank, size = comm.Get_rank(), comm.Get_size()

    def refuse(a, b):
        raise KeyError(f"refused {a}+{b}")

    if size == 1:
        assert comm.allreduce(5, op=refuse) == 5  # nothing to combine
        return
    big = [rank] * 20_000
    for value in (rank, big):
        with pytest.raises(KeyError, match="refused"):
            comm.allreduce(value, op=refuse)
    assert comm.allreduce(rank, op=max) == size - 1


def test_unpicklable_on_one_process(comm):
    """One process's object does not pickle: it raises the pickling error, the others a
    RuntimeError naming it, instead of waiting."""
    rank, size = comm.Get_rank(), comm.Get_size()
    mine = (lambda: None) if rank == size - 1 else rank
    if size == 1:  # a result is a copy, from a pickle, even alone (as with mpi4py)
        with pytest.raises(AttributeError, match="pickle"):
            comm.allreduce(mine, op=lambda a, b: a)
        return
    with pytest.raises(Exception) as excinfo:
        comm.allreduce(mine)
    if rank != size - 1:
        assert excinfo.type is RuntimeError
        assert f"process {size - 1}" in str(excinfo.value)
    with pytest.raises(Exception):
        comm.scan(mine)
    assert comm.allreduce(1) == size


# -- large buffers out of band; results are copies; objects that do not pickle -----------


def big_array(rank, n=MiB // 8):
    """1 MiB of float64 (out of band: above MPI.pickle.THRESHOLD), rank-dependent."""
    return np.arange(n, dtype="d") + rank


def test_large_arrays_everywhere(comm):
    """Arrays sent out of band arrive whole in every collective, mixed with small objects
    in the same container."""
    rank, size = comm.Get_rank(), comm.Get_size()
    mine = {"a": big_array(rank), "b": [big_array(-rank)[:9000], rank], "s": "x" * rank}

    def check(got, r):
        assert np.array_equal(got["a"], big_array(r))
        assert np.array_equal(got["b"][0], big_array(-r)[:9000]) and got["b"][1] == r
        assert got["s"] == "x" * r

    for root in range(size):
        check(comm.bcast(mine if rank == root else None, root=root), root)
        got = comm.gather(mine, root=root)
        if rank == root:
            for r in range(size):
                check(got[r], r)
        sent = (
            [
                {"a": big_array(100 * root + d), "b": [big_array(-d)[:9000], d], "s": ""}
                for d in range(size)
            ]
            if rank == root
            else None
        )
        got = comm.scatter(sent, root=root)
        assert np.array_equal(got["a"], big_array(100 * root + rank))
    for r, got in enumerate(comm.allgather(mine)):
        check(got, r)
    got = comm.alltoall([big_array(10 * rank + d) for d in range(size)])
    for r in range(size):
        assert np.array_equal(got[r], big_array(10 * r + rank))


def test_large_arrays_in_reductions(comm):
    """Out-of-band arrays through the reduction tree: values, rank order (concatenation
    does not commute) and every root."""
    rank, size = comm.Get_rank(), comm.Get_size()
    total = sum(big_array(r) for r in range(size))
    assert np.array_equal(comm.allreduce(big_array(rank)), total)
    assert np.array_equal(comm.scan(big_array(rank)), sum(big_array(r) for r in range(rank + 1)))
    ex = comm.exscan(big_array(rank))
    if rank == 0:
        assert ex is None
    else:
        assert np.array_equal(ex, sum(big_array(r) for r in range(rank)))
    piece = np.full(20_000, rank, dtype="i8")  # 160 KiB each
    concat = lambda a, b: np.concatenate([a, b])  # noqa: E731
    expected = np.concatenate([np.full(20_000, r, dtype="i8") for r in range(size)])
    for root in range(size):
        got = comm.reduce(piece, op=concat, root=root)
        if rank == root:
            assert np.array_equal(got, expected)
        else:
            assert got is None
    assert np.array_equal(comm.allreduce(piece, op=concat), expected)


@pytest.mark.parametrize("kind", ["list", "big"])
def test_results_are_copies(comm, kind):
    """As with mpi4py, no process gets its own object back: roots and single processes
    get a copy too (for arrays, in memory of its own)."""
    rank, size = comm.Get_rank(), comm.Get_size()
    mine = obj(rank, kind)

    def is_copy(got, original):
        assert same(got, original) and got is not original
        if isinstance(original, np.ndarray):
            assert not np.shares_memory(got, original)

    got = comm.bcast(mine, root=0)
    is_copy(got, mine if rank == 0 else obj(0, kind))
    got = comm.gather(mine, root=0)
    if rank == 0:
        is_copy(got[0], mine)
    is_copy(comm.allgather(mine)[rank], mine)
    is_copy(comm.alltoall([mine] * size)[rank], mine)
    is_copy(comm.scatter([mine] * size if rank == 0 else None, root=0), obj(0, kind))
    first = lambda a, b: a  # noqa: E731  (rank 0's own object is the result)
    got = comm.allreduce(mine, op=first)
    is_copy(got, obj(0, kind))
    got = comm.reduce(mine, op=first, root=0)
    if rank == 0:
        is_copy(got, mine)
    got = comm.scan(mine, op=first)
    is_copy(got, obj(0, kind))


class NoPickle:
    def __reduce__(self):
        raise TypeError("NoPickle refuses to be pickled")


def test_unpicklable_in_data_collectives(comm):
    """The last process's object does not pickle (next to large arrays from the others):
    it raises its own error; processes that needed its object raise RuntimeError naming
    it (bcast: the root's exception itself); nobody waits, and the communicator works
    afterwards."""
    rank, size = comm.Get_rank(), comm.Get_size()
    bad = size - 1
    mine = NoPickle() if rank == bad else big_array(rank)

    def expect_failure(call, needs_bad):
        if rank == bad:
            with pytest.raises(TypeError, match="NoPickle refuses"):
                call()
        elif needs_bad:
            with pytest.raises(RuntimeError, match=f"process {bad}"):
                call()
        else:
            return call()

    with pytest.raises(TypeError, match="NoPickle refuses"):  # everyone: the root's error
        comm.bcast(mine, root=bad)
    got = expect_failure(lambda: comm.gather(mine, root=0), rank == 0)
    if rank not in (0, bad):
        assert got is None
    expect_failure(lambda: comm.allgather(mine), True)
    expect_failure(lambda: comm.alltoall([mine] * size), True)
    if rank == bad:
        with pytest.raises(TypeError, match="NoPickle refuses"):
            comm.scatter([mine] * size, root=bad)
    else:
        with pytest.raises(RuntimeError, match="root"):
            comm.scatter(None, root=bad)
    assert comm.allreduce(1) == size
    for r, got in enumerate(comm.allgather(big_array(rank))):
        assert np.array_equal(got, big_array(r))


def test_comm_lock_table(comm):
    """MPI._comm_lock/_comm_lock_table: per communicator, {key: threading.Lock}; once a
    communicator has a table, its object bcast, gather and scatter take their named lock."""
    dup = comm.Dup()
    try:
        table = MPI._comm_lock_table(dup)
        assert table == {} and MPI._comm_lock_table(dup) is table
        dup.allgather(None)
        assert table == {}  # allgather takes no lock, as in mpi4py
        dup.bcast(None, root=0)
        dup.gather(None, root=0)
        dup.scatter(None, root=0)
        assert sorted(table) == ["bcast", "gather", "scatter"]
        lock_type = type(threading.Lock())
        assert all(isinstance(lock, lock_type) and not lock.locked() for lock in table.values())
        assert MPI._comm_lock(dup, "bcast") is table["bcast"]
        assert MPI._comm_lock(dup) is table[None]
        with pytest.raises(TypeError):
            MPI._comm_lock(dup, [])  # unhashable
    finally:
        dup.Free()
    fresh = comm.Dup()  # may reuse the freed handle: its table starts empty
    assert MPI._comm_lock_table(fresh) == {}
    fresh.Free()


@pytest.mark.skipif(MPI.Query_thread() < MPI.THREAD_SERIALIZED, reason="needs threads")
def test_bcast_waits_for_its_comm_lock(comm):
    dup = comm.Dup()
    lock = MPI._comm_lock(dup, "bcast")
    got = []
    worker = threading.Thread(target=lambda: got.append(dup.bcast(dup.Get_rank(), root=0)))
    with lock:
        worker.start()
        worker.join(0.2)
        assert worker.is_alive() and got == []  # held back by the lock (whatever the time)
    worker.join()
    assert got == [0]
    dup.Free()

"""Plain data (None, bool, int, float, str, bytes, and tuples, lists and dicts of them) travels
as pickle streams that mpipy writes and reads itself: the streams must be standard pickle,
the objects received must be exactly those sent (types, values, float bits, order), and
anything else (subclasses, shared or cyclic containers, huge ints, lone surrogates) must go
through the pickle module unchanged."""

import math
import pickle

import pytest

from mpipy import MPI

BIG = 2**63 - 1

PLAIN = [
    None,
    True,
    False,
    0,
    1,
    255,
    256,
    65535,
    65536,
    -1,
    -(2**31),
    2**31 - 1,
    2**31,
    -(2**31) - 1,
    2**40,
    -(2**40),
    BIG,
    -BIG - 1,
    0.0,
    -0.0,
    1.5,
    -2.25e300,
    float("inf"),
    float("-inf"),
    float("nan"),
    "",
    "a",
    "é" * 300,
    "x" * 255,
    "x" * 256,
    "日本",
    b"",
    b"\x00" * 255,
    b"y" * 256,
    (),
    (1,),
    (1, 2),
    (1, 2, 3),
    (1, 2, 3, 4, 5),
    [],
    [None],
    list(range(100)),
    [0.5 * i for i in range(100)],
    {},
    {"a": 1, 2: [3, (4,)], (5, 6): None},
    [[[[1]]]],
    {"k": {"k": {"k": {}}}},
    ("é", b"\x00", 3.25, [True, False]),
]


class MyInt(int):
    pass


def nested_lists(depth):
    top = cur = []
    for _ in range(depth):
        cur.append([])
        cur = cur[0]
    return top


shared = [1]
cyclic = []
cyclic.append(cyclic)
NOT_PLAIN = [
    2**63,
    -(2**63) - 1,
    10**40,
    "\ud800",
    bytearray(b"ab"),
    {1, 2},
    frozenset(),
    MyInt(3),
    [shared, shared],
    (shared, shared),
    nested_lists(40),
    [[i] for i in range(100)],
    complex(1, 2),
]


def same(x, y):
    """Equal, of the same types all the way down, floats bit for bit (nan, -0.0)."""
    if type(x) is not type(y):
        return False
    if isinstance(x, float):
        return (
            math.isnan(x)
            and math.isnan(y)
            or (x == y and math.copysign(1, x) == math.copysign(1, y))
        )
    if isinstance(x, (list, tuple)):
        return len(x) == len(y) and all(same(a, b) for a, b in zip(x, y))
    if isinstance(x, dict):
        return list(x) == list(y) and all(same(x[k], y[k]) for k in x)
    return x == y


def stream_of(comm, obj):
    """The bytes comm.send(obj) puts on the wire, as another rank would receive them."""
    peer = comm.Get_rank()
    request = comm.isend(obj, peer, 41)
    status = MPI.Status()
    comm.Probe(peer, 41, status)
    raw = bytearray(status.Get_count(MPI.BYTE))
    comm.Recv(raw, peer, 41)
    request.wait()
    return bytes(raw)


@pytest.mark.parametrize("obj", PLAIN, ids=lambda o: type(o).__name__)
def test_plain_data_stream_is_standard_pickle(comm, obj):
    raw = stream_of(comm, obj)
    assert raw[:2] == b"\x80\x05"
    assert same(pickle.loads(raw), obj)


@pytest.mark.parametrize("obj", PLAIN + NOT_PLAIN, ids=lambda o: type(o).__name__)
def test_objects_round_trip_exactly(comm, obj):
    peer = comm.Get_rank()
    request = comm.isend(obj, peer, 42)
    got = comm.recv(source=peer, tag=42)
    request.wait()
    if obj is cyclic:
        assert type(got) is list and got[0] is got
    elif obj is NOT_PLAIN[NOT_PLAIN.index([shared, shared])]:
        assert got[0] is got[1]  # shared as pickle shares it
    else:
        assert same(got, obj) or (type(obj) is MyInt and type(got) is MyInt and got == obj)


@pytest.mark.parametrize("obj", PLAIN + NOT_PLAIN[:8], ids=lambda o: type(o).__name__)
def test_standard_streams_are_read_as_pickle_reads_them(comm, obj):
    """Streams written by the pickle module itself (any rank, any library) arrive intact."""
    peer = comm.Get_rank()
    for protocol in (2, 4, 5):
        request = comm.Isend(pickle.dumps(obj, protocol), peer, 43)
        got = comm.recv(source=peer, tag=43)
        request.Wait()
        assert same(got, pickle.loads(pickle.dumps(obj, protocol)))


@pytest.mark.parametrize(
    "raw",
    [
        b"\x80\x05]\x94(K\x01K\x02e.",  # memo: read by pickle
        b"\x80\x05(K\x01K\x02.",  # a mark left open
        b"\x80\x05K\x01K\x02.",  # two objects left on the stack
        b"\x80\x05\x85.",  # TUPLE1 on an empty stack
        b"\x80\x05e.",  # APPENDS without a mark
        b"\x80\x05}(K\x01u.",  # SETITEMS with an odd count
        b"\x80\x05\x8c\x05ab.",  # a string running past the end
        b"\x80\x05K",  # truncated
        b"\x80\x05}(]K\x01u.",  # an unhashable key
    ],
)
def test_malformed_or_unusual_streams_behave_as_in_pickle(comm, raw):
    peer = comm.Get_rank()
    try:
        expected = pickle.loads(raw)
    except Exception as exc:  # noqa: BLE001 - whatever pickle raises, recv must raise it too
        expected = exc
    request = comm.Isend(raw, peer, 44)
    try:
        got = comm.recv(source=peer, tag=44)
    except Exception as exc:  # noqa: BLE001
        got = exc
    request.Wait()
    if isinstance(expected, Exception):
        assert type(got) is type(expected)
    else:
        assert same(got, expected)


def test_pickle_dumps_method_is_the_pickle_modules_stream():
    for obj in PLAIN:
        assert MPI.pickle.dumps(obj) == pickle.dumps(obj, 5)


def test_custom_pickle_gets_its_own_stream(comm):
    """With a user's dumps/loads the stream is theirs, never plain data's."""
    seen = []

    def dumps(obj, protocol=None):
        seen.append("dumps")
        return b"custom:" + pickle.dumps(obj, protocol)

    def loads(data):
        seen.append("loads")
        data = bytes(data)
        assert data.startswith(b"custom:")
        return pickle.loads(data[7:])

    peer = comm.Get_rank()
    try:
        MPI.pickle.__init__(dumps, loads)
        request = comm.isend({"a": [1, 2.5]}, peer, 45)
        got = comm.recv(source=peer, tag=45)
        request.wait()
    finally:
        MPI.pickle.__init__()
    assert got == {"a": [1, 2.5]} and seen == ["dumps", "loads"]


def test_lower_protocols_use_the_pickle_module(comm):
    try:
        MPI.pickle.PROTOCOL = 3
        raw = stream_of(comm, [1, "a"])
    finally:
        MPI.pickle.PROTOCOL = None
    assert raw == pickle.dumps([1, "a"], 3)


def test_plain_data_between_ranks():
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    obj = {"rank": rank, "values": [rank * 0.5] * 10, "name": f"r{rank}", "t": (rank, None)}
    got = comm.sendrecv(obj, (rank + 1) % size, 46, None, (rank - 1) % size, 46)
    src = (rank - 1) % size
    assert same(got, {"rank": src, "values": [src * 0.5] * 10, "name": f"r{src}", "t": (src, None)})
    assert comm.bcast(obj if rank == 0 else None, root=0)["name"] == "r0"
    assert comm.allgather(rank) == list(range(size))
    assert comm.allreduce(rank) == size * (size - 1) // 2


def test_short_strings_read_again_keep_their_characters(comm):
    # Strings are read through a small cache of short ASCII ones: strings that share their
    # length and first and last characters, repeated keys, non-ASCII and long strings must
    # all come back exactly, message after message.
    peer = comm.Get_rank()
    words = ["abc", "axc", "a-c", "abc", "é", "aéc", "x" * 32, "x" * 33, "", "a\ud800c"[:1]]
    for round_ in range(3):
        for word in words:
            msg = {word: round_, "k" + word: [word, word.upper()]}
            request = comm.isend(msg, peer, 43)
            got = comm.recv(source=peer, tag=43)
            request.wait()
            assert same(got, msg)
            assert list(got) == [word, "k" + word]

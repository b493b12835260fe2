"""Packing: Pack/Unpack round trips with predefined and derived datatypes, several items
packed one after another, packed messages sent between ranks as PACKED, the external32
representation (big-endian bytes, checked against the struct module), the size queries,
the address functions, and bad arguments (positions, buffer sizes, read-only buffers)."""

import struct

import pytest

from mpipy import MPI

np = pytest.importorskip("numpy")

INT, DOUBLE = MPI.INT, MPI.DOUBLE


def test_pack_unpack_predefined(comm):
    data = np.arange(5, dtype="i") * 3 - 4
    size = INT.Pack_size(5, comm)
    assert size >= data.nbytes
    packed = bytearray(size)
    position = INT.Pack(data, packed, 0, comm)
    assert position == data.nbytes
    out = np.zeros(5, dtype="i")
    assert INT.Unpack(packed, 0, out, comm) == position
    assert out.tolist() == data.tolist()


def test_pack_several_items(comm):
    ints = np.array([7, -8, 9], dtype="i")
    reals = np.array([0.25, -1.5])
    size = INT.Pack_size(3, comm) + DOUBLE.Pack_size(2, comm)
    packed = np.zeros(size, dtype="B")
    position = INT.Pack(ints, packed, 0, comm)
    position = DOUBLE.Pack(reals, packed, position, comm)
    assert position == ints.nbytes + reals.nbytes
    got_ints, got_reals = np.zeros(3, dtype="i"), np.zeros(2)
    position = INT.Unpack(packed, 0, got_ints, comm)
    position = DOUBLE.Unpack(packed, position, got_reals, comm)
    assert position == ints.nbytes + reals.nbytes
    assert got_ints.tolist() == [7, -8, 9]
    assert got_reals.tolist() == [0.25, -1.5]


def test_pack_derived_column(comm):
    rows, cols = 4, 5
    a = np.arange(rows * cols, dtype="f8").reshape(rows, cols)
    column = DOUBLE.Create_vector(rows, 1, cols).Commit()
    try:
        # The whole array holds one entry of the column datatype: column 0.
        assert column.Pack_size(1, comm) == rows * 8
        packed = bytearray(column.Pack_size(1, comm))
        assert column.Pack(a, packed, 0, comm) == rows * 8
        assert np.frombuffer(packed, dtype="f8").tolist() == a[:, 0].tolist()
        # Unpack into column 0 of a fresh array; the rest stays untouched.
        b = np.full((rows, cols), -1.0)
        assert column.Unpack(packed, 0, b, comm) == rows * 8
        for i in range(rows):
            for j in range(cols):
                assert b[i, j] == (a[i, 0] if j == 0 else -1.0)
    finally:
        column.Free()


def test_packed_message_between_ranks(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    dest, source = (rank + 1) % size, (rank - 1) % size
    ints = np.array([rank, 2 * rank], dtype="i")
    reals = np.array([rank + 0.5])
    capacity = INT.Pack_size(2, comm) + DOUBLE.Pack_size(1, comm)
    packed = bytearray(capacity)
    position = DOUBLE.Pack(reals, packed, INT.Pack(ints, packed, 0, comm), comm)
    received = bytearray(capacity)
    status = MPI.Status()
    comm.Sendrecv(
        [packed, position, MPI.PACKED], dest, 2, [received, MPI.PACKED], source, 2, status
    )
    assert status.Get_count(MPI.PACKED) == position
    got_ints, got_reals = np.zeros(2, dtype="i"), np.zeros(1)
    DOUBLE.Unpack(received, INT.Unpack(received, 0, got_ints, comm), got_reals, comm)
    assert got_ints.tolist() == [source, 2 * source]
    assert got_reals.tolist() == [source + 0.5]


@pytest.mark.parametrize(
    "datatype, dtype, fmt",
    [
        ("INT32_T", "i4", "i"),
        ("UINT16_T", "u2", "H"),
        ("INT64_T", "i8", "q"),
        ("FLOAT", "f4", "f"),
        ("DOUBLE", "f8", "d"),
    ],
)
def test_external32_is_big_endian(datatype, dtype, fmt):
    t = getattr(MPI, datatype)
    values = [1, 2, 300, 7, 100]
    data = np.array(values, dtype=dtype)
    size = t.Pack_external_size("external32", len(values))
    assert size == data.nbytes
    packed = bytearray(size)
    assert t.Pack_external("external32", data, packed, 0) == size
    assert bytes(packed) == struct.pack(f">{len(values)}{fmt}", *values)
    out = np.zeros_like(data)
    assert t.Unpack_external("external32", packed, 0, out) == size
    assert out.tolist() == data.tolist()


def test_external32_derived_and_positions():
    column = INT.Create_vector(3, 1, 2).Commit()  # ints 0, 2, 4 of every 5-int entry
    try:
        a = np.arange(10, dtype="i")  # two entries: extent is 5 ints
        assert column.extent == 5 * 4
        size = column.Pack_external_size("external32", 2)
        assert size == 6 * 4
        packed = bytearray(4 + size)
        end = column.Pack_external("external32", a, packed, 4)
        assert end == 4 + size
        assert bytes(packed[4:]) == struct.pack(">6i", 0, 2, 4, 5, 7, 9)
        b = np.full(10, -1, dtype="i")
        assert column.Unpack_external("external32", packed, 4, b) == end
        assert b.tolist() == [0, -1, 2, -1, 4, 5, -1, 7, -1, 9]
    finally:
        column.Free()


def test_pack_external_bad_arguments():
    data = np.arange(3, dtype="i")
    with pytest.raises(MPI.Exception):
        INT.Pack_external("native", data, bytearray(12), 0)
    with pytest.raises(MPI.Exception):
        INT.Pack_external_size("foo", 3)
    with pytest.raises(ValueError):  # too small
        INT.Pack_external("external32", data, bytearray(11), 0)
    with pytest.raises(ValueError):  # position past the end
        INT.Pack_external("external32", data, bytearray(12), 13)
    with pytest.raises(ValueError):  # input too short for the output
        INT.Unpack_external("external32", bytearray(8), 0, np.zeros(3, dtype="i"))
    with pytest.raises(TypeError):
        INT.Pack_external(b"external32", data, bytearray(12), 0)


def test_pack_bad_arguments(comm):
    data = np.arange(3, dtype="i")
    with pytest.raises(ValueError):  # output too small
        INT.Pack(data, bytearray(11), 0, comm)
    with pytest.raises(ValueError):  # room, but not after position 4
        INT.Pack(data, bytearray(12), 4, comm)
    with pytest.raises(ValueError):
        INT.Pack(data, bytearray(12), -1, comm)
    with pytest.raises(BufferError):  # read-only output
        INT.Pack(data, bytes(12), 0, comm)
    with pytest.raises(TypeError):
        INT.Pack(data, [0] * 12, 0, comm)
    with pytest.raises(ValueError):  # a non-contiguous input
        INT.Pack(np.arange(6, dtype="i")[::2], bytearray(12), 0, comm)
    with pytest.raises(ValueError):  # input shorter than the output needs
        INT.Unpack(bytearray(8), 0, np.zeros(3, dtype="i"), comm)
    with pytest.raises(ValueError):
        INT.Unpack(bytearray(12), -4, np.zeros(3, dtype="i"), comm)
    with pytest.raises(BufferError):
        INT.Unpack(bytearray(12), 0, bytes(12), comm)
    with pytest.raises(MPI.Exception):
        INT.Pack_size(-1, comm)
    with pytest.raises(MPI.Exception):
        MPI.DATATYPE_NULL.Pack(data, bytearray(12), 0, comm)
    with pytest.raises(TypeError):
        INT.Pack(data, bytearray(12), 0, None)


def test_pack_datatype_reaching_outside_input(comm):
    # Every entry of this datatype reads 4 bytes before its start: never allowed.
    shifted = INT.Create_hindexed([1], [-4]).Create_resized(0, 4).Commit()
    try:
        with pytest.raises(ValueError):
            shifted.Pack(np.arange(3, dtype="i"), bytearray(64), 0, comm)
    finally:
        shifted.Free()


@pytest.mark.parametrize("make", ["contiguous", "vector", "dup"])
def test_pack_uncommitted_raises(comm, make):
    # Raised before MPI: some MPIs crash on these calls with an uncommitted datatype.
    if make == "contiguous":
        t = INT.Create_contiguous(2)
    elif make == "vector":
        t = DOUBLE.Create_vector(2, 1, 2)
    else:
        base = DOUBLE.Create_vector(2, 1, 2)
        t = base.Dup()  # a duplicate of an uncommitted datatype is uncommitted
        base.Free()
    try:
        for call in (
            lambda: t.Pack(np.arange(8.0), bytearray(64), 0, comm),
            lambda: t.Unpack(bytearray(64), 0, np.zeros(8), comm),
            lambda: t.Pack_size(1, comm),
            lambda: t.Pack_external_size("external32", 1),
            lambda: t.Pack_external("external32", np.arange(8.0), bytearray(64), 0),
            lambda: t.Unpack_external("external32", bytearray(64), 0, np.zeros(8)),
        ):
            with pytest.raises(MPI.Exception) as info:
                call()
            assert info.value.Get_error_class() == MPI.ERR_TYPE
        t.Commit()
        assert t.Pack_size(1, comm) > 0  # fine once committed
        dup = t.Dup()  # a duplicate of a committed datatype is committed
        try:
            assert dup.Pack_size(1, comm) == t.Pack_size(1, comm)
        finally:
            dup.Free()
    finally:
        t.Free()


def test_empty_input_packs_nothing(comm):
    assert INT.Pack(bytearray(0), bytearray(0), 0, comm) == 0
    assert INT.Pack(bytearray(3), bytearray(8), 5, comm) == 5  # 3 bytes hold no int
    assert INT.Pack_size(0, comm) == 0


def test_get_address():
    a = np.arange(10, dtype="f8")
    base = MPI.Get_address(a)
    assert base == a.ctypes.data
    assert MPI.Get_address(a[3:]) - base == 3 * 8
    assert MPI.Aint_diff(MPI.Get_address(a[7:]), base) == 7 * 8
    assert MPI.Aint_add(base, 40) == MPI.Get_address(a[5:])
    assert MPI.Aint_diff(base, MPI.Aint_add(base, 16)) == -16
    assert MPI.Get_address(a[::-1]) == base + 9 * 8  # a view's first element
    assert MPI.Get_address(b"read-only is fine") != 0
    assert MPI.Get_address(MPI.BOTTOM) == MPI.Get_address(None)
    with pytest.raises(TypeError):
        MPI.Get_address(5)
    with pytest.raises(TypeError):
        MPI.Aint_add(base, 1.5)

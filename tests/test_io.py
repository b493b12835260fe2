"""Parallel I/O, data access: every read and write method of MPI.File (explicit offsets,
individual and shared file pointers; blocking, nonblocking and split collective), views
(subarray and block-cyclic darray filetypes, external32), checked against the file's bytes as
plain Python reads them.

Every rank of the communicator opens the same file (rank 0 picks a fresh directory and tells
the others); on COMM_SELF each rank has its own. Writes are made visible to other ranks the
way MPI's consistency rules require: Sync, Barrier, Sync.
"""

import array
import gc
import os
import shutil
import sys
import tempfile

import pytest

from mpipy import MPI

np = pytest.importorskip("numpy")

DATATYPE_OF = {"B": MPI.UNSIGNED_CHAR, "i": MPI.INT, "d": MPI.DOUBLE}
N = 5  # items per rank
OPEN_MPI = MPI.get_vendor()[0] == "Open MPI"


@pytest.fixture
def path(comm):
    """A file name all ranks of comm share, in a directory removed after the test."""
    directory = tempfile.mkdtemp(prefix="mpipy-io-") if comm.Get_rank() == 0 else None
    directory = comm.bcast(directory, root=0)
    yield os.path.join(directory, "data")
    comm.Barrier()
    if comm.Get_rank() == 0:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def fh(comm, path):
    f = MPI.File.Open(comm, path, MPI.MODE_RDWR | MPI.MODE_CREATE)
    yield f
    if f:
        f.Close()


def typecode_for(bufkind):
    return "B" if bufkind.name == "bytearray" else "i"


def values(seed, n=N):
    return [(seed * 37 + i * 11 + 5) % 251 for i in range(n)]


def native_bytes(typecode, items):
    return array.array(typecode, items).tobytes()


def visible(fh, comm):
    """Make every rank's writes visible to every rank (and to plain Python reads)."""
    fh.Sync()
    comm.Barrier()
    fh.Sync()


def file_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def check_count(status, datatype, n):
    assert status.Get_count(datatype) == n
    assert status.Get_elements(datatype) == n


# -- How each form of an access is called ---------------------------------------------------

FORMS = ["blocking", "collective", "nonblocking", "nonblocking_collective", "split"]


def at(fh, op, form, offset, buf, status):
    """op ('Read' or 'Write') at an explicit offset, in the given form."""
    i_op = "I" + op.lower()
    if form == "blocking":
        getattr(fh, f"{op}_at")(offset, buf, status)
    elif form == "collective":
        getattr(fh, f"{op}_at_all")(offset, buf, status)
    elif form == "nonblocking":
        getattr(fh, f"{i_op}_at")(offset, buf).Wait(status)
    elif form == "nonblocking_collective":
        getattr(fh, f"{i_op}_at_all")(offset, buf).Wait(status)
    else:
        assert getattr(fh, f"{op}_at_all_begin")(offset, buf) is None
        getattr(fh, f"{op}_at_all_end")(buf, status)


def pointer(fh, op, form, buf, status):
    """op at the individual file pointer, in the given form."""
    i_op = "I" + op.lower()
    if form == "blocking":
        getattr(fh, op)(buf, status)
    elif form == "collective":
        getattr(fh, f"{op}_all")(buf, status)
    elif form == "nonblocking":
        getattr(fh, i_op)(buf).Wait(status)
    elif form == "nonblocking_collective":
        getattr(fh, f"{i_op}_all")(buf).Wait(status)
    else:
        getattr(fh, f"{op}_all_begin")(buf)
        getattr(fh, f"{op}_all_end")(buf, status)


# -- Explicit offsets and the individual file pointer -----------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_explicit_offsets(comm, rank, size, fh, path, bufkind, form):
    code = typecode_for(bufkind)
    etype = DATATYPE_OF[code]
    fh.Set_view(0, etype)
    status = MPI.Status()
    at(fh, "Write", form, rank * N, bufkind.make(code, values(rank)), status)
    check_count(status, etype, N)
    visible(fh, comm)
    assert fh.Get_size() == size * N * etype.size
    expected = b"".join(native_bytes(code, values(r)) for r in range(size))
    assert file_bytes(path) == expected

    peer = (rank + 1) % size
    got = bufkind.make(code, N)
    at(fh, "Read", form, peer * N, got, status)
    check_count(status, etype, N)
    assert bufkind.tolist(got) == values(peer)
    # Reading past the end stops there: the status counts what was read. Checked with the
    # independent blocking read only: ROMIO's Iread_at_all and OMPIO's collective reads (at
    # N >= 3) report all they were asked for, ROMIO's filling the rest with stale bytes, and
    # OMPIO's nonblocking and split reads past the end never complete (mpi4py's neither).
    if form != "blocking":
        return
    tail = bufkind.make(code, N + 3)
    at(fh, "Read", form, (size - 1) * N + 1, tail, status)
    check_count(status, etype, N - 1)
    assert bufkind.tolist(tail)[: N - 1] == values(size - 1)[1:]
    assert bufkind.tolist(tail)[N - 1 :] == [0] * 4


@pytest.mark.parametrize("form", FORMS)
def test_individual_pointer(comm, rank, size, fh, path, bufkind, form):
    code = typecode_for(bufkind)
    etype = DATATYPE_OF[code]
    # Each rank's view starts at its block: its pointer 0 is there.
    fh.Set_view(rank * N * etype.size, etype)
    assert fh.Get_position() == 0
    status = MPI.Status()
    pointer(fh, "Write", form, bufkind.make(code, values(rank)), status)
    check_count(status, etype, N)
    assert fh.Get_position() == N
    assert fh.Get_byte_offset(N) == (rank + 1) * N * etype.size
    visible(fh, comm)
    expected = b"".join(native_bytes(code, values(r)) for r in range(size))
    assert file_bytes(path) == expected

    fh.Seek(-N, MPI.SEEK_CUR)
    assert fh.Get_position() == 0
    got = bufkind.make(code, N)
    pointer(fh, "Read", form, got, status)
    assert bufkind.tolist(got) == values(rank)
    # A view at the peer's block; the pointer goes back to 0 with a new view.
    peer = (rank + 1) % size
    fh.Set_view(peer * N * etype.size, etype)
    assert fh.Get_position() == 0
    got = bufkind.make(code, N)
    pointer(fh, "Read", form, got, status)
    check_count(status, etype, N)
    assert bufkind.tolist(got) == values(peer)
    fh.Seek(0, MPI.SEEK_END)
    assert fh.Get_position() == (size - peer) * N


# -- The shared file pointer ------------------------------------------------------------------


@pytest.mark.parametrize("split", [False, True], ids=["ordered", "ordered_split"])
def test_ordered(comm, rank, size, fh, path, bufkind, split):
    code = typecode_for(bufkind)
    etype = DATATYPE_OF[code]
    fh.Set_view(0, etype)
    status = MPI.Status()
    buf = bufkind.make(code, values(rank))
    if split:
        fh.Write_ordered_begin(buf)
        fh.Write_ordered_end(buf, status)
    else:
        fh.Write_ordered(buf, status)
    check_count(status, etype, N)
    assert fh.Get_position_shared() == size * N
    visible(fh, comm)  # also keeps Seek_shared below after every rank's read of the pointer
    expected = b"".join(native_bytes(code, values(r)) for r in range(size))
    assert file_bytes(path) == expected

    fh.Seek_shared(0)
    got = bufkind.make(code, N)
    if split:
        fh.Read_ordered_begin(got)
        fh.Read_ordered_end(got, status)
    else:
        fh.Read_ordered(got, status)
    check_count(status, etype, N)
    assert bufkind.tolist(got) == values(rank)
    assert fh.Get_position_shared() == size * N


@pytest.mark.parametrize("nonblocking", [False, True], ids=["shared", "shared_nonblocking"])
def test_shared(comm, rank, size, fh, path, bufkind, nonblocking):
    code = typecode_for(bufkind)
    etype = DATATYPE_OF[code]
    fh.Set_view(0, etype)
    status = MPI.Status()
    buf = bufkind.make(code, values(rank))
    if nonblocking:
        fh.Iwrite_shared(buf).Wait(status)
    else:
        fh.Write_shared(buf, status)
    check_count(status, etype, N)
    visible(fh, comm)
    assert fh.Get_position_shared() == size * N
    comm.Barrier()  # before Seek_shared, which may move the pointer before others read it
    # Each block once, in whatever order the ranks came.
    data = file_bytes(path)
    width = N * etype.size
    blocks = sorted(data[i * width : (i + 1) * width] for i in range(size))
    assert len(data) == size * width
    assert blocks == sorted(native_bytes(code, values(r)) for r in range(size))

    fh.Seek_shared(0, MPI.SEEK_SET)
    got = bufkind.make(code, N)
    if nonblocking:
        fh.Iread_shared(got).Wait(status)
    else:
        fh.Read_shared(got, status)
    check_count(status, etype, N)
    everything = comm.allgather(bufkind.tolist(got))
    assert sorted(everything) == sorted(values(r) for r in range(size))


# -- Views: write with one, read back with another ----------------------------------------------


def row_blocks(rows, size):
    """(start, count) of each rank's block of rows."""
    base, extra = divmod(rows, size)
    starts = [r * base + min(r, extra) for r in range(size)]
    return [(starts[r], base + (r < extra)) for r in range(size)]


@pytest.mark.parametrize("read_form", ["collective", "nonblocking_collective", "split"])
def test_subarray_then_block_cyclic_darray(comm, rank, size, fh, path, read_form):
    """Rows by blocks (subarray) written, columns block-cyclically (darray) read back."""
    rows, cols = 2 * size + 1, 3 * size + 1
    grid = np.arange(rows * cols, dtype="i").reshape(rows, cols) * 3 - 7
    start, count = row_blocks(rows, size)[rank]
    rows_type = MPI.INT.Create_subarray([rows, cols], [count, cols], [start, 0]).Commit()
    cyclic = MPI.INT.Create_darray(
        size,
        rank,
        [rows, cols],
        [MPI.DISTRIBUTE_NONE, MPI.DISTRIBUTE_CYCLIC],
        [MPI.DISTRIBUTE_DFLT_DARG, 2],
        [1, size],
    ).Commit()
    try:
        fh.Set_view(0, MPI.INT, rows_type)
        fh.Write_at_all(0, np.ascontiguousarray(grid[start : start + count]))
        visible(fh, comm)
        assert file_bytes(path) == grid.tobytes()

        mine = [c for c in range(cols) if (c // 2) % size == rank]
        got = np.zeros((rows, len(mine)), dtype="i")
        fh.Set_view(0, MPI.INT, cyclic)
        status = MPI.Status()
        at(fh, "Read", read_form, 0, got, status)
        check_count(status, MPI.INT, got.size)
        assert (got == grid[:, mine]).all()
        view = fh.Get_view()
        assert view[0] == 0 and view[3] == "native"
        assert view[1] == MPI.INT
        assert (view[2].size, view[2].extent) == (cyclic.size, cyclic.extent)
        view[2].Free()
    finally:
        rows_type.Free()
        cyclic.Free()


def test_vector_view_and_memory_datatype(comm, rank, size, fh, path):
    """Interleaved ranks through a vector filetype; a strided memory layout through a
    [buf, count, datatype] spec whose datatype picks every other item."""
    etype = MPI.INT
    filetype = etype.Create_vector(N, 1, size).Commit()
    memtype = etype.Create_vector(N, 1, 2).Commit()
    try:
        fh.Set_view(rank * etype.size, etype, filetype)
        source = np.arange(2 * N, dtype="i") + 100 * rank
        fh.Write_all([source, 1, memtype])
        visible(fh, comm)
        whole = np.frombuffer(file_bytes(path), dtype="i")
        for r in range(size):
            assert (whole[r::size] == np.arange(0, 2 * N, 2) + 100 * r).all()
        fh.Set_view(0, etype)
        # [buf, (count, displacement), datatype]: into the middle of a buffer.
        got = np.full(size * N + 2, -1, dtype="i")
        fh.Read_at(0, [got, (size * N, 1), MPI.INT])
        assert (got[1:-1] == whole).all() and got[0] == -1 and got[-1] == -1
    finally:
        filetype.Free()
        memtype.Free()


@pytest.mark.parametrize("typecode", ["i", "d", "q"])
def test_external32(comm, rank, size, fh, path, typecode):
    """external32 is big-endian: the file holds what NumPy's '>' types hold."""
    etype = {"i": MPI.INT, "d": MPI.DOUBLE, "q": MPI.INT64_T}[typecode]
    fh.Set_view(0, etype, etype, "external32")
    assert fh.Get_view()[3] == "external32"
    assert fh.Get_type_extent(etype) == np.dtype(typecode).itemsize
    mine = (np.arange(N) - 2 - 1000 * rank).astype(typecode)
    fh.Write_at_all(rank * N, mine)
    visible(fh, comm)
    everything = np.concatenate(
        [(np.arange(N) - 2 - 1000 * r).astype(typecode) for r in range(size)]
    )
    assert file_bytes(path) == everything.astype(">" + typecode).tobytes()

    got = np.zeros(size * N, dtype=typecode)
    fh.Read_at_all(0, got)
    assert (got == everything).all()
    # The same bytes through a native view are byte-swapped (on a little-endian machine).
    fh.Set_view(0, etype)
    raw = np.zeros(size * N, dtype=typecode)
    fh.Read_at(0, raw)
    assert (raw.view(">" + typecode if sys.byteorder == "little" else typecode) == everything).all()


def test_internal_datarep_round_trip(comm, rank, size, fh):
    if OPEN_MPI:  # OMPIO has no "internal": the view stays as it was
        with pytest.raises(MPI.Exception) as excinfo:
            fh.Set_view(0, MPI.DOUBLE, MPI.DOUBLE, "internal")
        assert excinfo.value.Get_error_class() == MPI.ERR_UNSUPPORTED_DATAREP
        assert fh.Get_view()[3] == "native"
        return
    fh.Set_view(0, MPI.DOUBLE, MPI.DOUBLE, "internal")
    assert fh.Get_view()[3] in ("internal", "native")  # ROMIO treats it as native
    fh.Write_at_all(rank * N, np.linspace(rank, rank + 1, N))
    visible(fh, comm)
    got = np.zeros(N)
    fh.Read_at_all(((rank + 1) % size) * N, got)
    assert (got == np.linspace((rank + 1) % size, (rank + 1) % size + 1, N)).all()


# -- Buffers stay pinned while MPI may use them ------------------------------------------------


def test_nonblocking_pins_buffer(comm, rank, fh):
    fh.Write_at(rank * 8, b"abcd")
    buf = bytearray(4)
    request = fh.Iread_at(rank * 8, buf)
    with pytest.raises(BufferError):
        buf.extend(b"x")  # MPI may still write into it
    request.Wait()
    assert buf == b"abcd"
    buf.extend(b"x")
    write = fh.Iwrite_at(rank * 8, buf)
    with pytest.raises(BufferError):
        buf.pop()
    write.Wait()
    buf.pop()


def test_split_collective_pins_buffer(comm, rank, fh):
    fh.Write_at_all(rank * 3, b"xyz")
    visible(fh, comm)
    buf = bytearray(3)
    fh.Read_at_all_begin(rank * 3, buf)
    with pytest.raises(BufferError):
        buf.extend(b"x")
    fh.Read_at_all_end(buf)
    assert buf == b"xyz"
    buf.extend(b"x")


def test_request_keeps_buffer(comm, rank, fh):
    """The Request keeps the memory of a write alive when the program lets go of it."""
    data = np.full(1000, rank + 1, dtype="i")
    request = fh.Iwrite_at(rank * data.nbytes, data)
    del data
    gc.collect()
    request.Wait()
    fh.Sync()
    comm.Barrier()
    fh.Sync()
    got = np.zeros(1000, dtype="i")
    fh.Read_at(rank * got.nbytes, got)
    assert (got == rank + 1).all()


# -- Bad buffers -------------------------------------------------------------------------------


def test_bad_buffers(fh):
    with pytest.raises(BufferError):
        fh.Read_at(0, b"read-only")
    with pytest.raises(TypeError):
        fh.Write_at(0, 42)
    with pytest.raises(TypeError):
        fh.Write(None)
    with pytest.raises(ValueError):
        fh.Write_at(0, [bytearray(4), 5, MPI.BYTE])  # more than the buffer holds
    with pytest.raises(TypeError):
        fh.Read_at("0", bytearray(4))
    with pytest.raises(OverflowError):
        fh.Read_at(2**64, bytearray(4))
    with pytest.raises(TypeError):
        fh.Iread(bytearray(4), None)
    assert fh.Get_size() == 0  # nothing was written

"""NumPy arrays as message buffers.

A contiguous array of a plain number type is read from NumPy's array struct instead of
through its buffer export (msgbuffer.hpp, `PinnedBuffer::acquire`); everything else takes the
export. These tests check that both give the same messages and the same errors, and that the
array stays alive exactly as long as a request needs it. Each rank sends to its right
neighbour and receives from its left one (itself at N = 1).
"""

import gc
import sys
import weakref

import pytest

from mpipy import MPI

np = pytest.importorskip("numpy")

PLAIN = ["?", "b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "e", "f", "d", "g", "F", "D", "G"]


def ring(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    return (rank + 1) % size, (rank - 1) % size


def sample(code, seed, shape=(6,), order="C"):
    values = (np.arange(np.prod(shape)) * 3 + seed) % 7
    if code == "?":
        values = values % 2
    return np.asarray(values.reshape(shape), dtype=code, order=order)


def exchange(comm, sbuf, rbuf, tag=7):
    right, left = ring(comm)
    status = MPI.Status()
    comm.Sendrecv(sbuf, right, tag, rbuf, left, tag, status)
    return status


@pytest.mark.parametrize("code", PLAIN)
def test_plain_types_infer_their_datatype(comm, code):
    right, left = ring(comm)
    sbuf = sample(code, comm.Get_rank())
    rbuf = np.zeros_like(sbuf)
    try:
        MPI.Datatype.fromcode(memoryview(sbuf).format)
    except ValueError:  # half precision: an MPI without a 16-bit float type
        for sent, received in ((sbuf, rbuf), (memoryview(sbuf), memoryview(rbuf))):
            with pytest.raises(KeyError, match="cannot infer"):
                exchange(comm, sent, received)
        return
    status = exchange(comm, sbuf, rbuf)
    assert np.array_equal(rbuf, sample(code, left))
    # the datatype inferred is the one the buffer export names: same count of items, and a
    # memoryview of the same memory (which always takes the export) gives the same message
    datatype = MPI.Datatype.fromcode(memoryview(sbuf).format)
    assert status.Get_count(datatype) == sbuf.size
    assert status.Get_count(MPI.BYTE) == sbuf.nbytes
    again = np.zeros_like(sbuf)
    exchange(comm, memoryview(sbuf), memoryview(again))
    assert np.array_equal(again, rbuf)


@pytest.mark.parametrize("order", ["C", "F"])
def test_multidimensional_contiguous_arrays(comm, order):
    right, left = ring(comm)
    sbuf = sample("d", comm.Get_rank(), (3, 4), order)
    rbuf = np.zeros((3, 4), order=order)
    status = exchange(comm, sbuf, rbuf)
    assert status.Get_count(MPI.DOUBLE) == 12
    assert np.array_equal(rbuf, sample("d", left, (3, 4), order))
    # count and displacement in items of the inferred datatype, in memory order
    part = np.zeros(12)
    exchange(comm, [sbuf, 5, 2, None], [part, 5, 3, None])
    flat = np.ravel(sample("d", left, (3, 4), order), order="K")
    assert np.array_equal(part[3:8], flat[2:7]) and not part[:3].any() and not part[8:].any()


def test_zero_size_and_zero_dimensional_arrays(comm):
    right, left = ring(comm)
    status = exchange(comm, np.zeros(0, "i"), np.zeros(0, "i"))
    assert status.Get_count(MPI.INT) == 0
    scalar = np.array(2.5 + comm.Get_rank())
    out = np.array(0.0)
    status = exchange(comm, scalar, out)
    assert out == 2.5 + left and status.Get_count(MPI.DOUBLE) == 1


def test_layouts_the_struct_cannot_describe_take_the_export(comm):
    strided = np.arange(12.0)[::2]
    with pytest.raises(ValueError, match="not contiguous"):
        exchange(comm, strided, np.zeros(6))
    # with a datatype that describes the layout, the strided array is fine
    right, left = ring(comm)
    got = np.zeros(6)
    every_other = MPI.DOUBLE.Create_vector(6, 1, 2).Commit()
    exchange(comm, [(np.arange(12.0) + comm.Get_rank())[::2], 1, every_other], got)
    every_other.Free()
    assert np.array_equal(got, np.arange(12.0)[::2] + left)
    swapped = np.arange(4, dtype=">f8" if sys.byteorder == "little" else "<f8")
    with pytest.raises(BufferError, match="byte order"):
        exchange(comm, swapped, np.zeros(4))
    with pytest.raises(KeyError):
        record = np.dtype([("a", "i4"), ("b", "f8")])  # a record type has no MPI datatype
        exchange(comm, np.zeros(2, dtype=record), np.zeros(2, dtype=record))


def test_writability_is_read_at_each_call(comm):
    right, left = ring(comm)
    rbuf = np.zeros(4, "i")
    exchange(comm, np.full(4, comm.Get_rank(), "i"), rbuf)
    assert rbuf.tolist() == [left] * 4
    rbuf.flags.writeable = False  # the same array, now read-only
    with pytest.raises(BufferError):
        comm.Irecv(rbuf, left, 9)
    # read-only arrays are fine to send
    back = np.zeros(4, "i")
    exchange(comm, rbuf, back)
    assert back.tolist() == [(left - 1) % comm.Get_size()] * 4
    # a broadcast view is read-only too
    with pytest.raises(BufferError):
        comm.Irecv(np.broadcast_to(np.zeros(1, "i"), (4,)), left, 9)


def test_subclasses_and_views_of_arrays(comm):
    class Tagged(np.ndarray):
        pass

    right, left = ring(comm)
    sbuf = (np.arange(5.0) + comm.Get_rank()).view(Tagged)
    rbuf = np.zeros(5).view(Tagged)
    exchange(comm, sbuf, rbuf)
    assert np.array_equal(rbuf, np.arange(5.0) + left)
    base = np.zeros(10)
    exchange(comm, np.arange(4.0) + comm.Get_rank(), base[3:7])  # a view into base
    assert np.array_equal(base[3:7], np.arange(4.0) + left) and not base[:3].any()


def test_requests_keep_arrays_alive_until_completed(comm):
    right, left = ring(comm)
    rbuf = np.zeros(1000)
    alive = weakref.ref(rbuf)
    request = comm.Irecv(rbuf, left, 11)
    del rbuf
    gc.collect()
    assert alive() is not None  # the request holds the array while MPI may write to it
    view = alive()[:]  # (a view keeps its base: to read the data afterwards)
    comm.Send(np.full(1000, float(comm.Get_rank())), right, 11)
    request.Wait()
    assert (view == left).all()
    del view
    gc.collect()
    assert alive() is None  # completed: the request let it go

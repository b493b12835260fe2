"""MPI.buffer (alias MPI.memory): construction from buffer-like objects, allocation, addresses,
the properties, item and slice access, casting, read-only twins, release (never leaving a view
over freed memory), MPI.Alloc_mem / MPI.Free_mem, and the address constants (BOTTOM, ...)."""

import array
import gc
import operator
import pickle

import pytest

from mpipy import MPI


def test_alias_and_final():
    assert MPI.memory is MPI.buffer
    with pytest.raises(TypeError):
        type("Sub", (MPI.buffer,), {})


def test_empty():
    buf = MPI.buffer()
    assert (buf.address, buf.obj, buf.nbytes, len(buf)) == (0, None, 0, 0)
    assert (buf.readonly, buf.format, buf.itemsize) == (False, "B", 1)
    buf[:] = 0  # nothing to fill
    buf[:] = MPI.buffer()
    view = memoryview(buf)
    assert (view.format, view.itemsize, view.ndim, view.shape, view.strides) == (
        "B",
        1,
        1,
        (0,),
        (1,),
    )
    assert view.tobytes() == b"" and not view.readonly
    with pytest.raises(IndexError):
        buf[0]


def test_constructor_arguments():
    data = bytearray(b"xyz")
    buf = MPI.buffer(data)
    assert (buf.obj, buf.nbytes, bytes(buf)) == (data, 3, b"xyz")
    buf[0] = ord("a")  # the same memory
    assert data == b"ayz"
    with pytest.raises(TypeError):
        MPI.buffer(data, data)  # one argument at most
    with pytest.raises(TypeError):
        MPI.buffer(buf=data)  # positional only
    assert "buffer-like" in MPI.buffer.__init__.__doc__


@pytest.mark.parametrize("obj", [None, 0, 0.0, [], (), "abc"])
def test_not_a_buffer(obj):
    with pytest.raises(TypeError):
        MPI.buffer(obj)
    with pytest.raises(TypeError):
        MPI.buffer.frombuffer(obj)


def test_over_bufkinds(bufkind):
    obj = bufkind.make("B", [1, 2, 3])
    buf = MPI.buffer(obj)
    assert buf.obj is obj and buf.nbytes == 3 and not buf.readonly
    buf[1] = 7
    assert bufkind.tolist(obj) == [1, 7, 3]
    assert memoryview(buf).tolist() == [1, 7, 3]


def test_itemsize_of_exporter():
    obj = array.array("i", [1, 2, 3])
    buf = MPI.buffer(obj)
    assert buf.nbytes == 3 * obj.itemsize == len(buf)
    assert buf.itemsize == obj.itemsize and buf.format == "B"  # bytes, whatever the items


def test_bytes_are_readonly():
    buf = MPI.buffer(b"abc")
    assert buf.readonly and buf.obj == b"abc" and buf.tobytes() == b"abc"
    for item, value in ((0, 1), (slice(None), 0), (slice(0, 1), b"x")):
        with pytest.raises(TypeError):
            buf[item] = value
    with pytest.raises(TypeError):
        memoryview(buf)[0] = 1
    with pytest.raises(BufferError):
        MPI.buffer.frombuffer(buf)  # a writable export is refused


def test_frombuffer_readonly_flag():
    obj = array.array("B", [1, 2, 3])
    ro = MPI.buffer.frombuffer(obj, readonly=True)
    rw = MPI.buffer.frombuffer(obj)
    assert ro.readonly and not rw.readonly and ro.address == rw.address != 0
    assert type(ro.obj) is array.array
    rw[:] = 9
    assert ro.tobytes() == b"\x09\x09\x09"
    with pytest.raises(BufferError):
        MPI.buffer.frombuffer(b"abc", readonly=False)


def test_pins_its_object():
    data = bytearray(b"hello")
    buf = MPI.buffer.frombuffer(data)
    with pytest.raises(BufferError):
        data.extend(b"x" * 100_000)  # exported: cannot move its memory under the buffer
    buf.release()
    data.extend(b"!")  # released: free to resize again
    assert data.startswith(b"hello!")


def test_allocate():
    for size in (0, 1, 2, 1000):
        buf = MPI.buffer.allocate(size)
        assert buf.nbytes == len(buf) == size and buf.address != 0 and not buf.readonly
        assert memoryview(buf.obj).nbytes == size  # obj: the allocation, a buffer itself
        assert MPI.buffer(buf.obj).address == buf.address
    buf = MPI.buffer.allocate(1024, clear=True)
    assert buf.tobytes() == bytes(1024) and buf[0] == buf[-1] == 0
    with pytest.raises(TypeError):
        MPI.buffer.allocate(None)
    with pytest.raises(ValueError):
        MPI.buffer.allocate(-1)


def test_allocate_clear_reuses_no_old_data():
    n = 8 << 20  # large blocks come from a cache of mappings
    for _ in range(3):
        buf = MPI.buffer.allocate(n)
        buf[:] = 7
        del buf
        cleared = MPI.buffer.allocate(n, clear=True)
        assert cleared.tobytes() == bytes(n)
        del cleared


def test_fromaddress():
    obj = array.array("B", [1, 2, 3])
    addr, count = obj.buffer_info()
    buf = MPI.buffer.fromaddress(addr, count)
    assert buf.address == addr and buf.nbytes == 3 and buf.obj is None and not buf.readonly
    buf[1:] = array.array("B", [7, 7])
    assert obj == array.array("B", [1, 7, 7])
    assert MPI.buffer.fromaddress(addr, 3, readonly=True).readonly
    assert MPI.buffer.fromaddress(0, 0).nbytes == 0
    with pytest.raises(ValueError):
        MPI.buffer.fromaddress(addr, -1)
    with pytest.raises(ValueError):
        MPI.buffer.fromaddress(0, 1)
    with pytest.raises(TypeError):
        MPI.buffer.fromaddress(None, 0)


def test_items():
    n = 16
    buf = MPI.buffer.allocate(n, clear=True)
    for i in range(n):
        buf[i] = i
    assert [buf[i] for i in range(n)] == list(range(n))
    assert [buf[i] for i in range(-n, 0)] == list(range(n))
    buf[-1] = 255
    assert buf[n - 1] == 255
    for item, error in (
        (n, IndexError),
        (-n - 1, IndexError),
        (1 << 70, IndexError),
        (None, TypeError),
        (1.0, TypeError),
    ):
        with pytest.raises(error):
            buf[item]
        with pytest.raises(error):
            buf[item] = 0
    for value, error in (
        (256, OverflowError),
        (-1, OverflowError),
        (None, TypeError),
        (1.5, TypeError),
    ):
        with pytest.raises(error):
            buf[0] = value
    with pytest.raises(NotImplementedError):
        del buf[0]


def test_slices():
    n = 16
    buf = MPI.buffer.allocate(n, clear=True)
    buf[: n // 2] = 1
    assert buf.tobytes() == b"\x01" * 8 + bytes(8)
    buf[1:5] = b"abcd"
    buf[10:13] = bytearray(b"xyz")
    part = buf[1:5]
    assert type(part) is MPI.buffer and part.obj is buf and part.tobytes() == b"abcd"
    assert part.address == buf.address + 1 and not part.readonly
    part[0] = ord("A")  # a view: writes reach the parent
    assert buf[1] == ord("A") and buf[10:13].tobytes() == b"xyz"
    assert buf[5:1].nbytes == 0 and buf[-3:].nbytes == 3
    with pytest.raises(IndexError):
        buf[::2]
    with pytest.raises(IndexError):
        buf[::2] = 0
    with pytest.raises(ValueError):
        buf[0:1] = buf[1:3]  # lengths differ
    with pytest.raises(TypeError):
        buf[0:2] = "ab"
    with pytest.raises(OverflowError):
        buf[0:2] = 300
    assert MPI.buffer(b"abc")[1:].readonly


def test_cast_and_tobytes():
    buf = MPI.buffer.allocate(2 * 3 * 4)
    ints = buf.cast("i")
    assert type(ints) is memoryview and ints.shape == (6,)
    for i in range(6):
        ints[i] = i
    grid = buf.cast("i", (2, 3))
    assert grid.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert buf.cast("i", [3, 2]).tolist() == [[0, 1], [2, 3], [4, 5]]
    assert buf.tobytes() == buf.tobytes("C") == bytes(memoryview(buf))
    assert array.array("i", buf.tobytes()).tolist() == list(range(6))


def test_toreadonly():
    obj = bytearray(b"abc")
    rw = MPI.buffer.frombuffer(obj)
    ro = rw.toreadonly()
    assert type(ro) is MPI.buffer and ro.readonly and not rw.readonly
    assert ro.address == rw.address and ro.obj is obj and ro.nbytes == 3
    with pytest.raises(TypeError):
        ro[0] = 1
    rw[0] = ord("x")
    assert ro.tobytes() == b"xbc"
    part = rw[1:].toreadonly()  # the range of the slice, not of its parent
    assert part.nbytes == 2 and part.tobytes() == b"bc"
    alone = MPI.buffer.allocate(4).toreadonly()
    assert alone.readonly and alone.nbytes == 4


def test_release():
    buf = MPI.buffer.frombuffer(array.array("B", [1, 2, 3]))
    buf.release()
    assert (buf.address, buf.nbytes, buf.readonly, buf.obj, len(buf)) == (0, 0, False, None, 0)
    assert buf.tobytes() == b""
    buf.release()  # twice is fine


def test_release_keeps_views_valid():
    buf = MPI.buffer.allocate(1 << 20)
    buf[:] = 5
    view = memoryview(buf)
    part = buf[10:20]
    buf.release()  # its memory stays while the views use it
    assert buf.nbytes == 0
    gc.collect()
    assert view[0] == 5 and view[-1] == 5 and part.tobytes() == b"\x05" * 10
    view[0] = 6
    assert view[0] == 6
    del view, part


def test_not_picklable():
    with pytest.raises(TypeError):
        pickle.dumps(MPI.buffer.allocate(4))


def test_alloc_mem():
    for size in (0, 1, 100, 4096):
        mem = MPI.Alloc_mem(size)
        assert type(mem) is MPI.buffer and len(mem) == mem.nbytes == size
        assert mem.obj is None and not mem.readonly
        if size:
            mem[:] = 3
            assert mem[size - 1] == 3
        MPI.Free_mem(mem)
        assert (mem.address, mem.nbytes, mem.readonly) == (0, 0, False)
    mem = MPI.Alloc_mem(8, MPI.INFO_NULL)
    MPI.Free_mem(mem)
    with pytest.raises(ValueError):
        MPI.Free_mem(mem)  # freed already
    with pytest.raises(ValueError):
        MPI.Alloc_mem(-1)
    with pytest.raises(TypeError):
        MPI.Alloc_mem(8, info=1)


def test_free_mem_refuses_what_alloc_mem_did_not_give():
    with pytest.raises(ValueError):
        MPI.Free_mem(MPI.buffer.allocate(8))
    with pytest.raises(TypeError):
        MPI.Free_mem(bytearray(8))
    mem = MPI.Alloc_mem(8)
    with pytest.raises(ValueError):
        MPI.Free_mem(mem[0:4])
    MPI.Free_mem(mem)


def test_free_mem_refuses_exported_memory():
    mem = MPI.Alloc_mem(16)
    view = memoryview(mem)
    with pytest.raises(BufferError):
        MPI.Free_mem(mem)  # the view would be left over freed memory
    view.release()
    MPI.Free_mem(mem)


def test_alloc_mem_as_bsend_buffer(comm, rank, size):
    mem = MPI.Alloc_mem((1 << 12) + MPI.BSEND_OVERHEAD)
    MPI.Attach_buffer(mem)
    try:
        with pytest.raises(BufferError):
            MPI.Free_mem(mem)  # attached: MPI uses it
        right, left = (rank + 1) % size, (rank - 1) % size
        out = array.array("i", [rank] * 4)
        got = array.array("i", [-1] * 4)
        request = comm.Irecv(got, left, 12)
        comm.Bsend(out, right, 12)
        request.Wait()
        assert got.tolist() == [left] * 4
    finally:
        detached = MPI.Detach_buffer()
    assert detached.address == mem.address and detached.nbytes == mem.nbytes
    del detached
    MPI.Free_mem(mem)


@pytest.mark.parametrize("name", ["BOTTOM", "IN_PLACE", "BUFFER_AUTOMATIC"])
def test_address_constants(name):
    """BOTTOM, IN_PLACE, BUFFER_AUTOMATIC: ints (the C constant's address) of a class whose
    call gives the one object back, exporting an empty buffer at that address, refusing
    arithmetic, pickled by name."""
    constant = getattr(MPI, name)
    value = int(constant)
    assert isinstance(constant, int) and constant == value and hash(constant) == hash(value)
    assert constant != value + 1 and constant is not None and constant != None  # noqa: E711
    assert bool(constant) == bool(value)
    assert type(constant)() is constant
    with pytest.raises(TypeError):
        type(constant)(5)
    assert repr(constant) == str(constant) == name
    view = memoryview(constant)
    assert view.nbytes == 0 and view.obj is None
    assert MPI.Get_address(constant) == value
    for op in (operator.add, operator.sub, operator.mul, operator.floordiv, operator.or_):
        with pytest.raises(TypeError):
            op(constant, 1)
        with pytest.raises(TypeError):
            op(1, constant)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(constant, protocol)) is constant
    assert operator.index(constant) == value
    assert type(constant).__module__ == "mpipy.MPI"

"""Buffers without the buffer protocol, as message buffers: DLPack exporters (versioned and
legacy capsules, hand-made with ctypes or NumPy's own) and CUDA-array-interface exporters,
through point-to-point, collectives, packing, addresses, MPI.buffer and pkl5; and every
malformed export raising the error that says what is wrong."""

import gc
import pickle
import sys
import warnings

import pytest
from foreign_arrays import (
    READ_ONLY,
    CtypesDLPack,
    FakeDeviceArray,
    NumPyDLPack,
    destroyed,
    kDLBool,
    kDLComplex,
    kDLCUDA,
    kDLFloat,
    kDLOpaqueHandle,
    mark_used,
)
from helpers import ring

from mpipy import MPI

try:
    import numpy
except ImportError:  # pragma: no cover
    numpy = None


def producers():
    """(name, make(typecode, values)) of every kind of exporter."""
    kinds = [
        ("ctypes-v1", lambda t, v: CtypesDLPack(t, v, version=1)),
        ("ctypes-v0", lambda t, v: CtypesDLPack(t, v, version=0)),
        ("ctypes-device", lambda t, v: CtypesDLPack(t, v, device_type=kDLCUDA)),
        ("cai", FakeDeviceArray),
    ]
    if numpy is not None:
        kinds += [
            ("numpy-v1", NumPyDLPack),
            ("numpy-v0", lambda t, v: NumPyDLPack(t, v, legacy=True)),
        ]
    return kinds


KINDS = producers()


@pytest.fixture(params=[k for k, _ in KINDS])
def make(request):
    return dict(KINDS)[request.param]


def values(buf):
    return [x.item() if hasattr(x, "item") else x for x in buf.base]


# -- Point-to-point ----------------------------------------------------------------------


@pytest.mark.parametrize("typecode", ["b", "h", "i", "l", "B", "I", "f", "d"])
def test_ring_inferred_datatype(comm, make, typecode):
    right, left = ring(comm)
    rank = comm.Get_rank()
    sbuf = make(typecode, [rank + k for k in range(5)])
    rbuf = make(typecode, [0] * 5)
    status = MPI.Status()
    comm.Sendrecv(sbuf, right, 7, rbuf, left, 7, status)
    assert values(rbuf) == [left + k for k in range(5)]
    expected = MPI.Datatype.fromcode(typecode)
    assert status.Get_count(expected) == 5
    assert status.Get_source() == left


def test_explicit_specs(comm, make):
    right, left = ring(comm)
    sbuf = make("i", range(10))
    rbuf = make("i", [-1] * 10)
    # [buf, (count, displ), datatype] and [buf, count, displ, datatype] on foreign buffers
    comm.Sendrecv([sbuf, (3, 2), MPI.INT], right, 1, [rbuf, (3, 5), MPI.INT], left, 1)
    assert values(rbuf) == [-1] * 5 + [2, 3, 4] + [-1, -1]
    comm.Sendrecv([sbuf, 4, 6, "i"], right, 2, [rbuf, 4, 0, "i"], left, 2)
    assert values(rbuf)[:4] == [6, 7, 8, 9]
    with pytest.raises(ValueError):  # beyond the exported bytes
        comm.Sendrecv([sbuf, 11, MPI.INT], right, 3, [rbuf, 11, MPI.INT], left, 3)


def test_nonblocking_keeps_the_export_alive(comm):
    """A nonblocking receive holds the DLPack capsule until it completes, then lets go."""
    right, left = ring(comm)
    rbuf = CtypesDLPack("d", [0.0] * 4)
    sbuf = CtypesDLPack("d", [1.5, 2.5, 3.5, 4.5])
    gc.collect()
    before = len(destroyed)
    rreq = comm.Irecv(rbuf, left, 11)
    sreq = comm.Isend(sbuf, right, 11)
    gc.collect()
    assert len(destroyed) == before  # both capsules are held by the requests
    MPI.Request.Waitall([rreq, sreq])
    del rreq, sreq
    gc.collect()
    assert len(destroyed) == before + 2
    assert values(rbuf) == [1.5, 2.5, 3.5, 4.5]


def test_blocking_call_releases_the_export(comm):
    right, left = ring(comm)
    sbuf, rbuf = CtypesDLPack("i", [3] * 3), CtypesDLPack("i", [0] * 3)
    gc.collect()
    before = len(destroyed)
    comm.Sendrecv(sbuf, right, 0, rbuf, left, 0)
    gc.collect()
    assert len(destroyed) == before + 2
    assert sys.getrefcount(sbuf.base) == sys.getrefcount(rbuf.base)


def test_device_memory_asks_for_stream_minus_one():
    """Device memory is exported as of now (stream -1); host memory with no stream."""
    host = CtypesDLPack("i", [1])
    device = CtypesDLPack("i", [1], device_type=kDLCUDA)
    MPI.Get_address(host)
    MPI.Get_address(device)
    assert "stream" not in host.calls[-1]
    assert device.calls[-1]["stream"] == -1
    assert device.calls[-1]["max_version"] == (1, 0)
    assert device.calls[-1]["copy"] is False


def test_dlpack_element_types(comm):
    right, left = ring(comm)
    # Two float32 lanes are a complex number.
    sbuf = CtypesDLPack("f", [1.0, 2.0, 3.0, 4.0])
    sbuf.tensor.dtype.lanes, sbuf.shape[0] = 2, 2
    rbuf = CtypesDLPack("f", [0.0] * 4)
    rbuf.tensor.dtype.lanes, rbuf.shape[0] = 2, 2
    status = MPI.Status()
    comm.Sendrecv(sbuf, right, 0, rbuf, left, 0, status)
    assert status.Get_count(MPI.C_FLOAT_COMPLEX) == 2
    assert values(rbuf) == [1.0, 2.0, 3.0, 4.0]
    # kDLComplex of 64 bits likewise; an opaque type and odd lane counts travel as bytes.
    for code, bits, lanes, datatype, count in [
        (kDLComplex, 64, 1, MPI.C_FLOAT_COMPLEX, 2),
        (kDLOpaqueHandle, 32, 1, MPI.BYTE, 16),
        (kDLFloat, 8, 4, MPI.BYTE, 16),
        (kDLBool, 8, 1, MPI.C_BOOL, 16),
    ]:
        sbuf = CtypesDLPack("B", range(16))
        rbuf = CtypesDLPack("B", [0] * 16)
        for b in (sbuf, rbuf):
            b.tensor.dtype.code, b.tensor.dtype.bits, b.tensor.dtype.lanes = code, bits, lanes
            b.shape[0] = 16 * 8 // (bits * lanes)
        comm.Sendrecv(sbuf, right, 0, rbuf, left, 0, status)
        assert status.Get_count(datatype) == count, (code, bits, lanes)
        assert values(rbuf) == list(range(16))


def test_zero_size(comm, make):
    right, left = ring(comm)
    status = MPI.Status()
    comm.Sendrecv(make("d", []), right, 0, make("d", []), left, 0, status)
    assert status.Get_count(MPI.DOUBLE) == 0


# -- Collectives, packing, addresses -------------------------------------------------------


def test_collectives(comm, make):
    rank, size = comm.Get_rank(), comm.Get_size()
    send = make("d", [rank + 1.0, 2.0 * rank])
    total = make("d", [0.0, 0.0])
    comm.Allreduce(send, total, op=MPI.SUM)
    assert values(total) == [size * (size + 1) / 2, float(size * (size - 1))]
    gathered = make("i", [0] * size)
    comm.Allgather(make("i", [rank * 10]), gathered)
    assert values(gathered) == [r * 10 for r in range(size)]
    root_data = make("i", [42, 43] if rank == 0 else [0, 0])
    comm.Bcast(root_data, root=0)
    assert values(root_data) == [42, 43]
    counts = list(range(1, size + 1))
    recv = make("i", [0] * sum(counts))
    comm.Allgatherv(make("i", [rank] * (rank + 1)), [recv, counts])
    assert values(recv) == [r for r in range(size) for _ in range(r + 1)]


def test_pack_unpack(make):
    data = make("i", [5, 6, 7])
    packed = make("B", [0] * 64)
    position = MPI.INT.Pack(data, packed, 0, MPI.COMM_SELF)
    assert position == 12
    out = make("i", [0, 0, 0])
    MPI.INT.Unpack(packed, 0, out, MPI.COMM_SELF)
    assert values(out) == [5, 6, 7]


def test_address_and_byte_offset():
    buf = CtypesDLPack("B", range(8))
    address = buf.base.buffer_info()[0]
    assert MPI.Get_address(buf) == address
    for offset in range(4):
        buf.tensor.byte_offset = offset
        buf.shape[0] = 8 - offset
        assert MPI.Get_address(buf) == address + offset
        rbuf = CtypesDLPack("B", [0] * (8 - offset))
        MPI.COMM_SELF.Sendrecv(buf, 0, 0, rbuf, 0, 0)
        assert values(rbuf) == list(range(offset, 8))
    cai = FakeDeviceArray("i", [1, 2])
    assert MPI.Get_address(cai) == cai.base.buffer_info()[0]


# -- Malformed DLPack exports ----------------------------------------------------------------


def sendrecv(sbuf, rbuf):
    MPI.COMM_SELF.Sendrecv(sbuf, 0, 0, rbuf, 0, 0)


def test_dlpack_read_only():
    sbuf, rbuf = CtypesDLPack("i", [1, 2]), CtypesDLPack("i", [0, 0])
    sbuf.managed.flags |= READ_ONLY
    sendrecv(sbuf, rbuf)  # reading a read-only export is fine
    assert values(rbuf) == [1, 2]
    rbuf.managed.flags |= READ_ONLY
    with pytest.raises(BufferError, match="read-only"):
        sendrecv(sbuf, rbuf)
    assert values(rbuf) == [1, 2]


def test_dlpack_shapes_and_strides():
    buf = CtypesDLPack("i", range(8))
    for shape, strides in [((2, 2, 2), (4, 2, 1)), ((2, 2, 2), (1, 2, 4)), ((8,), None)]:
        buf.set_strides(shape, strides)  # C or Fortran order: contiguous
        assert MPI.Get_address(buf) == buf.base.buffer_info()[0]
    buf.set_strides((1, 4, 1), (99, 1, 7))  # axes of length 1 constrain nothing
    MPI.Get_address(buf)
    for shape, strides in [((2, 2, 2), (4, 1, 2)), ((4,), (2,)), ((1, 3, 1), (1, 0, 1))]:
        buf.set_strides(shape, strides)
        with pytest.raises(BufferError, match="not contiguous"):
            MPI.Get_address(buf)
    buf.set_strides((2, 4), (-4, 1))
    with pytest.raises(BufferError, match="negative strides"):
        MPI.Get_address(buf)
    buf.set_strides((2, -4), None)
    with pytest.raises(BufferError, match="negative shape"):
        MPI.Get_address(buf)
    buf.tensor.ndim = -1
    with pytest.raises(BufferError, match="negative number of dimensions"):
        MPI.Get_address(buf)
    buf.tensor.ndim, buf.tensor.shape = 1, None
    with pytest.raises(BufferError, match="shape is NULL"):
        MPI.Get_address(buf)
    buf.tensor.ndim = 0  # a scalar: one element, no shape needed
    rbuf = CtypesDLPack("i", [-1])
    sendrecv(buf, rbuf)
    assert values(rbuf) == [0]


def test_dlpack_capsules():
    buf = CtypesDLPack("i", [1, 2])
    buf.managed.version.major = 0  # a versioned capsule must say 1.x
    with pytest.raises(BufferError, match="version"):
        MPI.Get_address(buf)
    buf.managed.version.major = 2
    with pytest.raises(BufferError, match="version"):
        MPI.Get_address(buf)
    buf.managed.version.major = 1
    cap = buf.__dlpack__(max_version=(1, 0))
    buf.__dlpack__ = lambda *a, **k: cap
    MPI.Get_address(buf)  # the consumer does not take the capsule: it can be shown again
    MPI.Get_address(buf)
    mark_used(cap)
    with pytest.raises(BufferError, match="capsule"):
        MPI.Get_address(buf)
    buf.__dlpack__ = lambda *a, **k: None
    with pytest.raises(BufferError, match="capsule"):
        MPI.Get_address(buf)
    buf.__dlpack__ = lambda *a, **k: b"not a capsule"
    with pytest.raises(BufferError):
        MPI.Get_address(buf)
    buf.__dlpack__ = lambda *a, **k: 1 / 0
    with pytest.raises(ZeroDivisionError):
        MPI.Get_address(buf)


@pytest.mark.parametrize(
    "device, error",
    [
        (None, TypeError),  # not callable
        (lambda: None, TypeError),
        (lambda: [1, 0], TypeError),
        (lambda: (None, 0), TypeError),
        (lambda: (1, None), TypeError),
        (lambda: (1,), ValueError),
        (lambda: (1, 0, 1), ValueError),
    ],
)
def test_dlpack_bad_device(device, error):
    buf = CtypesDLPack("i", [1, 2])
    buf.__dlpack_device__ = device
    with pytest.raises(error):
        MPI.Get_address(buf)
    del buf.__dlpack_device__  # the class's method again
    MPI.Get_address(buf)


def test_no_interface_at_all():
    class OnlyDLPack:  # __dlpack__ without __dlpack_device__ is not an exporter
        def __dlpack__(self, **kwargs):
            raise AssertionError("must not be called")

    for obj in (OnlyDLPack(), object(), 12, [1, 2]):
        with pytest.raises(TypeError):
            MPI.Get_address(obj)
        with pytest.raises(TypeError):
            MPI.COMM_SELF.Send([obj, MPI.INT], 0)  # refused before anything is sent


# -- Malformed CUDA array interfaces -----------------------------------------------------------


def bad_interface(change, error, match=None):
    smsg, rmsg = FakeDeviceArray("B", [1, 2, 3]), FakeDeviceArray("B", [0, 0, 0])
    change(rmsg)
    with pytest.raises(error, match=match):
        sendrecv(smsg, rmsg)
    assert values(rmsg) == [0, 0, 0]


def drop(key):
    return lambda m: m.interface.pop(key)


def put(key, value):
    return lambda m: m.interface.__setitem__(key, value)


@pytest.mark.parametrize(
    "change, error",
    [
        (lambda m: setattr(m, "__cuda_array_interface__", None), TypeError),
        (lambda m: setattr(m, "__cuda_array_interface__", list(m.interface.items())), TypeError),
        (lambda m: setattr(m, "__cuda_array_interface__", {}), KeyError),
        (drop("data"), KeyError),
        (drop("typestr"), KeyError),
        (drop("shape"), KeyError),
        (put("data", None), TypeError),
        (put("data", 0), TypeError),
        (put("data", (0,)), ValueError),
        (put("data", ()), ValueError),
        (put("data", ("0", False)), TypeError),
        (put("typestr", None), TypeError),
        (put("typestr", 42), TypeError),
        (put("typestr", "|uX"), ValueError),
        (put("typestr", "|u"), ValueError),
        (put("shape", None), TypeError),
        (put("shape", 3), TypeError),
        (put("shape", (3, "1")), TypeError),
        (put("strides", 42), TypeError),
        (put("descr", 42), TypeError),
    ],
)
def test_cai_bad_entries(change, error):
    bad_interface(change, error)


def test_cai_refusals():
    bad_interface(put("mask", True), BufferError, "masked")
    bad_interface(put("shape", (3, -1)), BufferError, "negative shape")
    bad_interface(put("strides", (2,)), BufferError, "not contiguous")
    bad_interface(put("typestr", ">u1"), BufferError, "byte order")  # refused even for bytes
    bad_interface(put("typestr", "#u1"), BufferError, "byte order")
    bad_interface(put("data", (0, True)), BufferError, "read-only")


def test_cai_accepted_variants():
    smsg = FakeDeviceArray("i", [1, 2, 3])
    for change in [
        drop("strides"),
        drop("descr"),
        put("descr", None),
        put("mask", None),
        lambda m: m.interface.update(typestr="|i4", descr=[("", "|i4")]),  # no byte order
        put("strides", (4,)),
        lambda m: m.interface.update(shape=(3, 1), strides=(4, 99)),  # axis of length 1
        lambda m: m.interface.update(shape=(1, 3), strides=(0, 4)),
    ]:
        rmsg = FakeDeviceArray("i", [0, 0, 0])
        change(rmsg)
        status = MPI.Status()
        MPI.COMM_SELF.Sendrecv(smsg, 0, 0, rmsg, 0, 0, status)
        assert values(rmsg) == [1, 2, 3]
        assert status.Get_count(MPI.INT) == 3
    # A read-only export still sends.
    ro = FakeDeviceArray("i", [7, 8, 9], readonly=True)
    rmsg = FakeDeviceArray("i", [0, 0, 0])
    sendrecv(ro, rmsg)
    assert values(rmsg) == [7, 8, 9]
    # No memory: a null pointer is fine with nothing in it.
    empty = FakeDeviceArray("i", [])
    empty.interface["data"] = (None, False)
    sendrecv(empty, FakeDeviceArray("i", []))


def test_cai_descr_with_fields_warns():
    """A record 'descr' is passed on as bytes, with a RuntimeWarning that it was ignored."""
    smsg = FakeDeviceArray("d", range(6))
    rmsg = FakeDeviceArray("d", [0] * 6)
    rmsg.interface.update(shape=(2,), strides=(24,), typestr="|V24", descr=[("", "<f8")] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeWarning, match="descr"):
            sendrecv(smsg, rmsg)
    with pytest.warns(RuntimeWarning, match="descr"):
        sendrecv(smsg, rmsg)
    assert values(rmsg) == list(range(6))


# -- MPI.buffer and pickle-5 transport over foreign memory ---------------------------------


def test_mpi_buffer_of_foreign_memory():
    host = CtypesDLPack("B", [1, 2, 3, 4])
    host.tensor.byte_offset = 1
    host.shape[0] = 3
    mem = MPI.buffer(host)
    assert mem.nbytes == 3 and mem.address == host.base.buffer_info()[0] + 1
    assert mem[0] == 2 and mem.tobytes() == bytes([2, 3, 4])
    mem[1] = 9
    assert values(host) == [1, 2, 9, 4]
    # Device memory goes to MPI, never to the CPU: items, tobytes and cast refuse it.
    for device in (CtypesDLPack("i", [1, 2], device_type=kDLCUDA), FakeDeviceArray("i", [1, 2])):
        mem = MPI.buffer.frombuffer(device)
        assert mem.nbytes == 8
        for touch in (
            lambda: mem[0],
            lambda: mem.__setitem__(0, 1),
            lambda: mem.tobytes(),
            lambda: mem.cast("i"),
            lambda: mem[0:1][0],
        ):
            with pytest.raises(BufferError, match="CPU"):
                touch()
        rbuf = CtypesDLPack("i", [0, 0])
        MPI.COMM_SELF.Sendrecv([mem, MPI.INT], 0, 0, rbuf, 0, 0)  # MPI may read it
        assert values(rbuf) == [1, 2]


class DeviceVector:
    """An array type whose pickling hands its memory out of band as an MPI.buffer over its
    DLPack export, as a GPU array library could."""

    def __init__(self, values):
        self.data = CtypesDLPack("d", values)

    def __reduce_ex__(self, protocol):
        return DeviceVector.rebuild, (pickle.PickleBuffer(MPI.buffer(self.data)),)

    @staticmethod
    def rebuild(buf):
        return DeviceVector(memoryview(buf).cast("d").tolist())


def test_pkl5_moves_foreign_memory_out_of_band(comm):
    from mpipy.util import pkl5

    right, left = ring(comm)
    rank = comm.Get_rank()
    big = [float(rank + k) for k in range(40000)]  # 320 KB: above pkl5's 256 KiB threshold
    p5 = pkl5.Intracomm(comm) if comm.Is_intra() else pkl5.Comm(comm)
    got = p5.sendrecv(DeviceVector(big), dest=right, source=left)
    assert values(got.data) == [float(left + k) for k in range(40000)]
    parts = []
    pickle.dumps(DeviceVector(big), protocol=5, buffer_callback=parts.append)
    assert len(parts) == 1 and parts[0].raw().nbytes == 320000  # out of band indeed

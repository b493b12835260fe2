"""Windows themselves: each creation flavour and what it reports (attributes, flavour, model,
group, memory), the buffer protocol, names, info, error handlers, keyvals and attributes,
the memory a window keeps alive, Free and every use of a freed window."""

import array
import gc

import numpy as np
import pytest

from mpipy import MPI

FLAVOURS = ["create", "allocate", "shared", "dynamic"]


def make(flavour, comm, nbytes=16, disp_unit=4):
    """A window of `nbytes` bytes per process (none for a dynamic one) and the object whose
    memory it exposes (None when MPI allocated it)."""
    if flavour == "create":
        memory = bytearray(nbytes)
        return MPI.Win.Create(memory, disp_unit, MPI.INFO_NULL, comm), memory
    if flavour == "allocate":
        return MPI.Win.Allocate(nbytes, disp_unit, comm=comm), None
    if flavour == "shared":
        return MPI.Win.Allocate_shared(nbytes, disp_unit, comm=comm), None
    return MPI.Win.Create_dynamic(comm=comm), None


FLAVOR_CONSTANT = {
    "create": "WIN_FLAVOR_CREATE",
    "allocate": "WIN_FLAVOR_ALLOCATE",
    "shared": "WIN_FLAVOR_SHARED",
    "dynamic": "WIN_FLAVOR_DYNAMIC",
}


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_flavour_attributes(comm, flavour):
    win, memory = make(flavour, comm)
    try:
        base, size, unit = win.attrs
        assert win.Get_attr(MPI.WIN_BASE) == base
        assert win.Get_attr(MPI.WIN_SIZE) == size
        assert win.Get_attr(MPI.WIN_DISP_UNIT) == unit
        assert win.flavor == win.Get_attr(MPI.WIN_CREATE_FLAVOR)
        assert win.flavor == getattr(MPI, FLAVOR_CONSTANT[flavour])
        assert win.model in (MPI.WIN_SEPARATE, MPI.WIN_UNIFIED)
        assert win.Get_attr(MPI.WIN_MODEL) == win.model
        if flavour == "dynamic":
            assert (base, size) == (0, 0)
            assert len(win.tomemory()) == 0
            assert MPI.Get_address(win.tomemory()) == 0
        else:
            assert (size, unit) == (16, 4)
            assert MPI.Get_address(win.tomemory()) == base
            assert len(win.tomemory()) == 16
        if memory is not None:
            assert base == MPI.Get_address(memory)
        assert win.group_size == comm.Get_size()
        assert win.group_rank == comm.Get_rank()
        group = win.Get_group()
        assert MPI.Group.Compare(group, comm.Get_group()) == MPI.IDENT
        group.Free()
        group = win.group
        assert group.Get_size() == comm.Get_size()
        group.Free()
    finally:
        win.Free()
    assert win == MPI.WIN_NULL
    assert not win


def test_create_empty(comm):
    for memory in (None, MPI.BOTTOM):
        win = MPI.Win.Create(memory, comm=comm)
        assert win.attrs == (0, 0, 1)
        assert len(win.tomemory()) == 0
        win.Free()
    win = MPI.Win.Allocate(0, comm=comm)
    assert win.attrs[1:] == (0, 1)
    win.Free()


def test_memory_views_share_bytes(comm):
    memory = array.array("i", [0] * 4)
    win = MPI.Win.Create(memory, memory.itemsize, comm=comm)
    try:
        view = memoryview(win)
        assert (view.format, view.nbytes, view.readonly) == ("B", 16, False)
        view.cast("i")[2] = 77
        assert memory[2] == 77
        memory[3] = -5
        assert np.frombuffer(win.tomemory(), dtype="i")[3] == -5
        view.release()
    finally:
        win.Free()
    with pytest.raises(MPI.Exception):
        memoryview(win)


def test_allocate_memory_is_writable(comm):
    win = MPI.Win.Allocate(8 * 3, 8, comm=comm)
    try:
        values = np.frombuffer(win.tomemory(), dtype="d")
        values[:] = [1.5, 2.5, 3.5]
        assert list(np.frombuffer(memoryview(win), dtype="d")) == [1.5, 2.5, 3.5]
    finally:
        del values
        win.Free()


def test_create_requires_writable_contiguous_memory():
    with pytest.raises(BufferError):
        MPI.Win.Create(b"read-only")
    with pytest.raises(TypeError):
        MPI.Win.Create(12)
    with pytest.raises(ValueError):
        MPI.Win.Create(np.zeros(8)[::2])


def test_bad_creation_arguments():
    with pytest.raises(MPI.Exception) as info:
        MPI.Win.Allocate(-1)
    assert info.value.Get_error_class() == MPI.ERR_SIZE
    with pytest.raises(MPI.Exception):
        MPI.Win.Allocate_shared(-8)
    with pytest.raises(MPI.Exception):
        MPI.Win.Create(bytearray(4), 0)  # a displacement unit must be positive
    with pytest.raises(TypeError):
        MPI.Win.Create(bytearray(4), 1, MPI.INFO_NULL, "no communicator")
    with pytest.raises(TypeError):
        MPI.Win.Allocate(4, 1, "no info")
    with pytest.raises((TypeError, MPI.Exception)):
        MPI.Win.Allocate(4, 1, MPI.INFO_NULL, MPI.COMM_NULL)


def test_window_keeps_its_memory_alive():
    memory = bytearray(b"\x07" * 32)
    win = MPI.Win.Create(memory, comm=MPI.COMM_SELF)
    del memory
    gc.collect()
    try:
        assert bytes(win.tomemory()) == b"\x07" * 32
        win.Lock(0)
        out = bytearray(32)
        win.Get(out, 0)
        win.Unlock(0)
        assert out == b"\x07" * 32
    finally:
        win.Free()


def test_alloc_mem_in_use_by_window():
    memory = MPI.Alloc_mem(64)
    win = MPI.Win.Create(memory, comm=MPI.COMM_SELF)
    with pytest.raises(BufferError):
        MPI.Free_mem(memory)  # the window still exposes it
    win.Free()
    MPI.Free_mem(memory)


def test_attach_detach(comm):
    win = MPI.Win.Create_dynamic(comm=comm)
    blocks = [bytearray(8), MPI.Alloc_mem(16), np.zeros(4)]
    try:
        for block in blocks:
            win.Attach(block)
        for block in blocks:
            win.Detach(block)
        win.Attach(blocks[0])
        with pytest.raises(BufferError):
            win.Attach(b"read-only")
        win.Detach(blocks[0])
    finally:
        win.Free()
        MPI.Free_mem(blocks[1])


def test_attach_keeps_memory_alive():
    win = MPI.Win.Create_dynamic(comm=MPI.COMM_SELF)
    block = bytearray(b"\x05" * 8)
    win.Attach(block)
    address = MPI.Get_address(block)
    del block
    gc.collect()
    out = bytearray(8)
    win.Lock(0)
    win.Get(out, 0, address)
    win.Unlock(0)
    win.Free()
    assert out == b"\x05" * 8


def test_shared_query(comm):
    win = MPI.Win.Allocate_shared(8 * (comm.Get_rank() + 1), 8, comm=comm)
    try:
        for rank in range(comm.Get_size()):
            memory, unit = win.Shared_query(rank)
            assert unit == 8
            assert len(memory) == 8 * (rank + 1)
        memory, unit = win.Shared_query(comm.Get_rank())
        assert MPI.Get_address(memory) == win.attrs[0]
        with pytest.raises(MPI.Exception):
            win.Shared_query(comm.Get_size())
    finally:
        win.Free()


def test_name(comm):
    win = MPI.Win.Allocate(0, comm=comm)
    try:
        win.Set_name("counters")
        assert win.Get_name() == "counters"
        win.name = "other"
        assert win.name == "other"
        with pytest.raises(TypeError):
            win.Set_name(3)
    finally:
        win.Free()
    assert win.Get_name() == "MPI_WIN_NULL"


def test_info(comm):
    info = MPI.Info.Create()
    info.Set("no_locks", "false")
    win = MPI.Win.Allocate(8, info=info, comm=comm)
    info.Free()
    try:
        current = win.Get_info()
        assert isinstance(current, MPI.Info)
        current.Free()
        hints = MPI.Info.Create()
        hints.Set("accumulate_ordering", "none")
        win.Set_info(hints)
        win.info = hints
        hints.Free()
        current = win.info
        assert isinstance(current, MPI.Info)
        current.Free()
    finally:
        win.Free()


def test_errhandler_default_and_set(comm):
    win = MPI.Win.Allocate(8, comm=comm)
    try:
        eh = win.Get_errhandler()
        assert eh == MPI.ERRORS_RETURN
        eh.Free()
        win.Set_errhandler(MPI.ERRORS_ARE_FATAL)
        eh = win.Get_errhandler()
        assert eh == MPI.ERRORS_ARE_FATAL
        eh.Free()
        win.Set_errhandler(MPI.ERRORS_RETURN)
        win.Call_errhandler(MPI.ERR_OTHER)  # ERRORS_RETURN: the call itself succeeds
    finally:
        win.Free()


def test_python_errhandler(comm):
    seen = []
    eh = MPI.Win.Create_errhandler(lambda w, code: seen.append((w, code)))
    win = MPI.Win.Allocate(8, comm=comm)
    try:
        win.Set_errhandler(eh)
        win.Call_errhandler(MPI.ERR_OTHER)
        assert len(seen) == 1
        assert seen[0][0] == win and seen[0][1] == MPI.ERR_OTHER
        # An error of an RMA call goes to it too (and may then be returned as well).
        try:
            win.Put(bytearray(1), comm.Get_size(), 0)
        except MPI.Exception:
            pass
        assert len(seen) == 2
        assert MPI.Get_error_class(seen[1][1]) in (MPI.ERR_RANK, MPI.ERR_RMA_SYNC)
        win.Set_errhandler(MPI.ERRORS_RETURN)
    finally:
        win.Free()
        eh.Free()
    with pytest.raises(TypeError):
        MPI.Win.Create_errhandler(None)


def test_keyval_attributes(comm):
    deleted = []
    keyval = MPI.Win.Create_keyval(delete_fn=lambda w, k, v: deleted.append(v))
    win = MPI.Win.Allocate(8, comm=comm)
    assert win.Get_attr(keyval) is None
    value = {"a": 1}
    win.Set_attr(keyval, value)
    assert win.Get_attr(keyval) is value
    win.Set_attr(keyval, [2])  # replacing runs the delete callback of the old value
    assert deleted == [value]
    win.Delete_attr(keyval)
    assert deleted == [value, [2]]
    assert win.Get_attr(keyval) is None
    win.Set_attr(keyval, "at free")
    win.Free()
    assert deleted[-1] == "at free"
    assert MPI.Win.Free_keyval(keyval) == MPI.KEYVAL_INVALID
    with pytest.raises(MPI.Exception):
        MPI.Win.Free_keyval(keyval)


def test_keyval_nopython_and_predefined(comm):
    keyval = MPI.Win.Create_keyval(nopython=True)
    win = MPI.Win.Allocate(8, comm=comm)
    try:
        win.Set_attr(keyval, 12345)
        assert win.Get_attr(keyval) == 12345
        with pytest.raises(TypeError):
            win.Set_attr(keyval, "not an integer")
        with pytest.raises(MPI.Exception):
            win.Set_attr(MPI.WIN_BASE, 1)  # predefined attributes are read-only
    finally:
        win.Free()
        MPI.Win.Free_keyval(keyval)


def test_freed_window_raises(comm):
    win = MPI.Win.Allocate(8, comm=comm)
    alias = MPI.Win(win)
    assert alias == win
    win.Free()
    uses = [
        lambda w: w.Fence(),
        lambda w: w.Put(bytearray(1), 0),
        lambda w: w.Get(bytearray(1), 0),
        lambda w: w.Lock(0),
        lambda w: w.Lock_all(),
        lambda w: w.Flush(0),
        lambda w: w.Sync(),
        lambda w: w.tomemory(),
        lambda w: w.attrs,
        lambda w: w.Get_group(),
        lambda w: w.Get_attr(MPI.WIN_BASE),
        lambda w: w.Set_name("x"),
        lambda w: w.Free(),
        lambda w: w.Rput(bytearray(1), 0),
    ]
    for target in (win, alias, MPI.WIN_NULL):
        for use in uses:
            with pytest.raises(MPI.Exception) as info:
                use(target)
            assert info.value.Get_error_class() == MPI.ERR_WIN
    with pytest.raises(MPI.Exception):
        alias.free()
    assert win.handle == MPI.WIN_NULL.handle


def test_constructors_and_handles():
    win = MPI.Win.Allocate(4)
    try:
        same = MPI.Win.fromhandle(win.handle)
        assert same == win and isinstance(same, MPI.Win)
        assert MPI.Win(win) == win
        assert MPI.Win() == MPI.WIN_NULL
        assert MPI.Win.fromint(win.toint()) == win
    finally:
        win.Free()

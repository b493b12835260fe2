"""Parallel I/O, the file itself: opening (file names of every kind, access modes), closing,
deleting, size, group, hints, views, atomicity, file pointers, error handlers, user data
representations, and the errors a program meets (missing file, bad mode, closed file...).
"""

import gc
import os
import pathlib
import pickle
import shutil
import tempfile

import pytest

from mpipy import MPI

OPEN_MPI = MPI.get_vendor()[0] == "Open MPI"
RDWR_CREATE = MPI.MODE_RDWR | MPI.MODE_CREATE


@pytest.fixture
def directory(comm):
    """A fresh directory all ranks of comm share, removed after the test."""
    name = tempfile.mkdtemp(prefix="mpipy-file-") if comm.Get_rank() == 0 else None
    name = comm.bcast(name, root=0)
    yield name
    comm.Barrier()
    if comm.Get_rank() == 0:
        shutil.rmtree(name, ignore_errors=True)


@pytest.fixture
def path(directory):
    return os.path.join(directory, "data")


@pytest.fixture
def fh(comm, path):
    f = MPI.File.Open(comm, path, RDWR_CREATE)
    yield f
    if f:
        f.Close()


def error_class(excinfo):
    return excinfo.value.Get_error_class()


# -- Opening, closing, deleting ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["str", "bytes", "pathlib", "pathlike", "non_ascii"])
def test_file_names(comm, directory, kind):
    name = os.path.join(directory, "f-ü" if kind == "non_ascii" else "f")

    class PathLike:
        def __fspath__(self):
            return name

    arg = {
        "str": name,
        "non_ascii": name,
        "bytes": os.fsencode(name),
        "pathlib": pathlib.Path(name),
        "pathlike": PathLike(),
    }[kind]
    f = MPI.File.Open(comm, arg, RDWR_CREATE)
    assert isinstance(f, MPI.File) and f
    f.Write_at_all(0, b"x")
    f.Close()
    assert not f and f == MPI.FILE_NULL
    assert os.path.exists(name)
    comm.Barrier()
    if comm.Get_rank() == 0:
        MPI.File.Delete(arg)
    comm.Barrier()
    assert not os.path.exists(name)


def test_open_subclass_and_defaults(comm, path):
    class MyFile(MPI.File):
        pass

    f = MyFile.Open(comm, path, RDWR_CREATE)
    assert type(f) is MyFile
    f.Close()
    g = MPI.File.Open(comm, path)  # MODE_RDONLY, INFO_NULL
    assert g.Get_amode() == MPI.MODE_RDONLY
    g.Close()
    h = MPI.File.Open(comm, path, MPI.MODE_RDONLY, None)
    h.Close()


def test_delete_on_close(comm, path):
    f = MPI.File.Open(comm, path, RDWR_CREATE | MPI.MODE_DELETE_ON_CLOSE)
    assert os.path.exists(path)
    f.Close()
    comm.Barrier()
    assert not os.path.exists(path)


def test_open_errors(comm, directory, path):
    missing = os.path.join(directory, "missing")
    with pytest.raises(MPI.Exception) as excinfo:
        MPI.File.Open(comm, missing, MPI.MODE_RDONLY)
    assert error_class(excinfo) == MPI.ERR_NO_SUCH_FILE
    with pytest.raises(MPI.Exception) as excinfo:
        MPI.File.Open(comm, os.path.join(missing, "x"), RDWR_CREATE)
    # ROMIO creates a file on one process: the others learn of a failure, not which.
    if comm.Get_size() == 1:
        assert error_class(excinfo) == MPI.ERR_NO_SUCH_FILE
    assert not os.path.exists(missing)
    for amode in [
        MPI.MODE_RDONLY | MPI.MODE_CREATE,
        MPI.MODE_RDONLY | MPI.MODE_EXCL,
        MPI.MODE_RDWR | MPI.MODE_RDONLY,
        MPI.MODE_RDWR | MPI.MODE_SEQUENTIAL,
        0,
    ]:
        with pytest.raises(MPI.Exception) as excinfo:
            MPI.File.Open(comm, path, amode)
        assert error_class(excinfo) == MPI.ERR_AMODE
    assert not os.path.exists(path)  # no failed open created it
    with pytest.raises(MPI.Exception) as excinfo:  # a directory cannot be written
        MPI.File.Open(comm, directory, MPI.MODE_RDWR)
    assert error_class(excinfo) in (MPI.ERR_BAD_FILE, MPI.ERR_ACCESS, MPI.ERR_IO)
    MPI.File.Open(comm, path, RDWR_CREATE).Close()
    with pytest.raises(MPI.Exception) as excinfo:
        MPI.File.Open(comm, path, RDWR_CREATE | MPI.MODE_EXCL)
    if comm.Get_size() == 1:
        assert error_class(excinfo) == MPI.ERR_FILE_EXISTS
    comm.Barrier()
    if comm.Get_rank() == 0:
        with pytest.raises(MPI.Exception) as excinfo:
            MPI.File.Delete(missing)
        assert error_class(excinfo) == MPI.ERR_NO_SUCH_FILE


def test_open_argument_errors(comm, path):
    with pytest.raises(TypeError):
        MPI.File.Open(comm, 42)
    with pytest.raises(TypeError):
        MPI.File.Open(comm, None)
    with pytest.raises(ValueError):
        MPI.File.Open(comm, path + "\0x", RDWR_CREATE)
    with pytest.raises(TypeError):
        MPI.File.Open(MPI.Comm(comm), path, RDWR_CREATE)  # not an Intracomm
    with pytest.raises(TypeError):
        MPI.File.Open(comm, path, RDWR_CREATE, "info")
    with pytest.raises(TypeError):
        MPI.File.Delete(3.5)
    with pytest.raises(TypeError):
        MPI.File.Open(MPI.COMM_NULL, path, RDWR_CREATE)  # a Comm
    with pytest.raises(MPI.Exception) as excinfo:
        MPI.File.Open(MPI.Intracomm(), path, RDWR_CREATE)
    assert error_class(excinfo) == MPI.ERR_COMM
    assert not os.path.exists(path)


def test_closed_file(comm, path):
    f = MPI.File.Open(comm, path, RDWR_CREATE)
    alias = MPI.File(f)
    f.Close()
    for call in [
        lambda g: g.Get_size(),
        lambda g: g.Write_at(0, b"x"),
        lambda g: g.Read(bytearray(1)),
        lambda g: g.Iwrite_at(0, b"x"),
        lambda g: g.Set_view(0, MPI.BYTE),
        lambda g: g.Close(),
    ]:
        with pytest.raises(MPI.Exception) as excinfo:
            call(f)
        assert error_class(excinfo) == MPI.ERR_FILE
        with pytest.raises(MPI.Exception) as excinfo:  # a copy of the handle knows too
            call(alias)
        assert error_class(excinfo) == MPI.ERR_FILE
    f.free()  # nothing left to do
    assert MPI.FILE_NULL.Get_errhandler() == MPI.ERRORS_RETURN


def test_access_mode_errors(comm, path):
    MPI.File.Open(comm, path, RDWR_CREATE).Close()
    f = MPI.File.Open(comm, path, MPI.MODE_RDONLY)
    with pytest.raises(MPI.Exception) as excinfo:
        f.Write_at(0, b"x")
    assert error_class(excinfo) in (MPI.ERR_READ_ONLY, MPI.ERR_ACCESS)
    f.Close()
    g = MPI.File.Open(comm, path, MPI.MODE_WRONLY)
    with pytest.raises(MPI.Exception) as excinfo:
        g.Read_at(0, bytearray(1))
    assert error_class(excinfo) == MPI.ERR_ACCESS
    g.Close()


def test_argument_errors(comm, fh):
    with pytest.raises(MPI.Exception) as excinfo:
        fh.Write_at(-1, b"x")
    assert error_class(excinfo) == MPI.ERR_ARG
    with pytest.raises(MPI.Exception) as excinfo:
        fh.Set_size(-1)
    assert error_class(excinfo) == MPI.ERR_ARG
    with pytest.raises(MPI.Exception) as excinfo:
        fh.Preallocate(-5)
    assert error_class(excinfo) == MPI.ERR_ARG
    with pytest.raises(OverflowError):
        fh.Set_size(2**70)
    with pytest.raises(TypeError):
        fh.Seek("0")
    uncommitted = MPI.INT.Create_vector(2, 1, 2)
    with pytest.raises(MPI.Exception) as excinfo:
        fh.Set_view(0, MPI.INT, uncommitted)
    assert error_class(excinfo) == MPI.ERR_TYPE
    uncommitted.Free()
    with pytest.raises(TypeError):
        fh.Set_view(0, "i")
    with pytest.raises(MPI.Exception) as excinfo:
        fh.Set_view(0, MPI.INT, MPI.INT, "no-such-representation")
    assert error_class(excinfo) == MPI.ERR_UNSUPPORTED_DATAREP
    assert fh.Get_size() == 0


def test_pickle(fh):
    with pytest.raises(ValueError):
        pickle.dumps(fh)
    assert pickle.loads(pickle.dumps(MPI.FILE_NULL)) is MPI.FILE_NULL


# -- What a file knows -----------------------------------------------------------------------


def test_properties(comm, rank, size, fh):
    assert fh.Get_amode() == fh.amode == RDWR_CREATE
    assert fh.Get_size() == fh.size == 0
    group, comm_group = fh.Get_group(), comm.Get_group()
    assert MPI.Group.Compare(group, comm_group) == MPI.IDENT
    assert group.Get_size() == size and group.Get_rank() == rank
    group.Free()
    comm_group.Free()
    prop = fh.group
    assert type(prop) is MPI.Group
    prop.Free()
    assert fh.group_size == size and fh.group_rank == rank
    info = fh.Get_info()
    assert isinstance(info, MPI.Info)
    fh.Set_info(info)
    fh.info = info
    info.Free()
    info = fh.info
    info.Free()
    assert fh.Get_atomicity() is False and fh.atomicity is False
    fh.Set_atomicity(True)
    assert fh.Get_atomicity() is True
    fh.atomicity = False
    assert fh.atomicity is False


def test_sizes(comm, rank, size, fh, path):
    # Sizes are read independently: a Barrier keeps the next collective change after them
    # (an MPI may truncate on one process before the others enter the call).
    fh.Set_size(100)
    assert fh.Get_size() == 100 and os.path.getsize(path) == 100
    comm.Barrier()
    fh.Set_size(10)  # shrinks
    assert fh.Get_size() == 10
    comm.Barrier()
    fh.Preallocate(50)
    assert fh.Get_size() == 50
    comm.Barrier()
    fh.Preallocate(20)  # never shrinks
    assert fh.Get_size() == 50
    comm.Barrier()
    fh.Write_at_all(100 + rank, b"z")
    fh.Sync()
    comm.Barrier()
    assert fh.Get_size() == 100 + size


def test_views(comm, rank, fh):
    disp, etype, filetype, datarep = fh.Get_view()
    assert (disp, etype, filetype, datarep) == (0, MPI.BYTE, MPI.BYTE, "native")
    fh.Set_view()  # every default
    ftype = MPI.DOUBLE.Create_vector(3, 1, 4).Commit()
    fh.Set_view(16, MPI.DOUBLE, ftype, "native", MPI.INFO_NULL)
    disp, etype, filetype, datarep = fh.Get_view()
    assert disp == 16 and etype == MPI.DOUBLE and datarep == "native"
    assert (filetype.size, filetype.extent) == (ftype.size, ftype.extent)
    assert not filetype.is_predefined
    filetype.Free()
    # Offsets count etypes of the view, bytes count from the start of the file.
    assert fh.Get_byte_offset(0) == 16
    assert fh.Get_byte_offset(1) == 16 + 4 * 8
    assert fh.Get_byte_offset(3) == 16 + ftype.extent
    assert fh.Get_type_extent(MPI.DOUBLE) == 8
    assert fh.Get_type_extent(ftype) == ftype.extent
    ftype.Free()
    fh.Set_view(etype=MPI.INT, filetype=None)  # the filetype defaults to the etype
    assert fh.Get_view()[2] == MPI.INT


def test_file_pointers(comm, rank, size, fh):
    fh.Set_view(0, MPI.INT)
    fh.Set_size(40)
    assert fh.Get_position() == 0
    fh.Seek(3)
    assert fh.Get_position() == 3
    fh.Seek(2, MPI.SEEK_CUR)
    assert fh.Get_position() == 5
    fh.Seek(-1, MPI.SEEK_END)
    assert fh.Get_position() == 9
    fh.Seek_shared(4, MPI.SEEK_SET)
    assert fh.Get_position_shared() == 4
    comm.Barrier()  # every rank read it before the next collective seek moves it
    fh.Seek_shared(0, MPI.SEEK_END)
    assert fh.Get_position_shared() == 10
    comm.Barrier()
    with pytest.raises(MPI.Exception):
        fh.Seek(-100, MPI.SEEK_CUR)


def test_sync(comm, rank, size, fh, path):
    fh.Write_at(rank, bytes([65 + rank]))
    fh.Sync()
    comm.Barrier()
    fh.Sync()
    with open(path, "rb") as f:
        assert f.read() == bytes(65 + r for r in range(size))


# -- Error handlers ----------------------------------------------------------------------------


def test_errhandlers(comm, fh):
    assert fh.Get_errhandler() == MPI.ERRORS_RETURN
    fh.Set_errhandler(MPI.ERRORS_ARE_FATAL)
    eh = fh.Get_errhandler()
    assert eh == MPI.ERRORS_ARE_FATAL
    eh.Free()
    fh.Set_errhandler(MPI.ERRORS_RETURN)
    calls = []
    handler = MPI.File.Create_errhandler(lambda f, code: calls.append((f, code)))
    try:
        fh.Set_errhandler(handler)
        fh.Call_errhandler(MPI.ERR_OTHER)
        assert len(calls) == 1
        assert isinstance(calls[0][0], MPI.File) and calls[0][0] == fh
        assert calls[0][1] == MPI.ERR_OTHER
        # The handler returns: the call fails (Open MPI) or succeeds (MPICH), as the MPI has it.
        try:
            fh.Set_view(0, MPI.INT, MPI.INT, "no-such-representation")
        except MPI.Exception as e:
            assert e.Get_error_class() == MPI.ERR_UNSUPPORTED_DATAREP
        assert len(calls) == 2
        assert MPI.Get_error_class(calls[1][1]) == MPI.ERR_UNSUPPORTED_DATAREP
    finally:
        fh.Set_errhandler(MPI.ERRORS_RETURN)
        handler.Free()


def test_errhandler_exception(comm, fh):
    def fail(f, code):
        raise KeyError("from the handler")

    handler = MPI.File.Create_errhandler(fail)
    try:
        fh.Set_errhandler(handler)
        with pytest.raises(KeyError):
            fh.Call_errhandler(MPI.ERR_OTHER)
    finally:
        fh.Set_errhandler(MPI.ERRORS_RETURN)
        handler.Free()


def test_file_null_errhandler(comm, directory):
    """FILE_NULL's handler serves Open and Delete; files opened take ERRORS_RETURN."""
    saved = MPI.FILE_NULL.Get_errhandler()
    assert saved == MPI.ERRORS_RETURN
    calls = []
    handler = MPI.File.Create_errhandler(lambda f, code: calls.append((f, code)))
    try:
        MPI.FILE_NULL.Set_errhandler(handler)
        # The handler returns: Open fails (Open MPI) or gives a null file (MPICH).
        try:
            f = MPI.File.Open(comm, os.path.join(directory, "missing"))
        except MPI.Exception as e:
            assert e.Get_error_class() == MPI.ERR_NO_SUCH_FILE
        else:
            assert f == MPI.FILE_NULL
        assert len(calls) == 1 and calls[0][0] == MPI.FILE_NULL
        assert MPI.Get_error_class(calls[0][1]) == MPI.ERR_NO_SUCH_FILE
        MPI.FILE_NULL.Set_errhandler(MPI.ERRORS_ARE_FATAL)
        f = MPI.File.Open(comm, os.path.join(directory, "new"), RDWR_CREATE)
        eh = f.Get_errhandler()
        assert eh == MPI.ERRORS_RETURN
        eh.Free()
        f.Close()
    finally:
        MPI.FILE_NULL.Set_errhandler(saved)
        saved.Free()
        handler.Free()
    gc.collect()


# -- User data representations -----------------------------------------------------------------


@pytest.mark.skipif(OPEN_MPI, reason="Open MPI's OMPIO registers no data representations")
def test_register_datarep(comm, rank, size, directory):
    """A representation of our own, without conversion functions (MPICH has none with): the
    file holds native bytes, laid out with the extents the extent function gives. A name
    registered twice: ERR_DUP_DATAREP."""
    import numpy as np

    name = "mpipy-test-extent"
    seen = []

    def extent(datatype):
        seen.append(datatype.Get_size())
        return datatype.extent

    if not getattr(test_register_datarep, "registered", False):
        MPI.Register_datarep(name, None, None, extent)
        test_register_datarep.registered = True
    with pytest.raises(MPI.Exception) as excinfo:
        MPI.Register_datarep(name, None, None, extent)
    assert error_class(excinfo) == MPI.ERR_DUP_DATAREP

    path = os.path.join(directory, "data")
    f = MPI.File.Open(comm, path, RDWR_CREATE)
    try:
        try:
            f.Set_view(0, MPI.INT, MPI.INT, name)
        except MPI.Exception as e:  # MPICH 5.0 registers representations it cannot use
            assert e.Get_error_class() == MPI.ERR_UNSUPPORTED_DATAREP
            return
        assert f.Get_view()[3] == name
        assert f.Get_type_extent(MPI.DOUBLE) == 8
        values = np.arange(4, dtype="i") + 1000 * rank
        f.Write_at_all(4 * rank, values)
        f.Sync()
        comm.Barrier()
        f.Sync()
        expected = np.concatenate([np.arange(4, dtype="i") + 1000 * r for r in range(size)])
        with open(path, "rb") as raw:
            assert raw.read() == expected.tobytes()
        got = np.zeros(4 * size, dtype="i")
        f.Read_at_all(0, got)
        assert (got == expected).all()
    finally:
        f.Close()


def test_register_datarep_with_conversion():
    """Conversion functions: where the MPI takes none, NotImplementedError (MPICH 5's ROMIO
    and Open MPI's OMPIO take none)."""

    def convert(userbuf, datatype, count, filebuf, position):
        pass

    try:
        MPI.Register_datarep(
            f"mpipy-test-convert-{MPI.COMM_WORLD.Get_rank()}", convert, convert, lambda t: t.extent
        )
    except NotImplementedError as e:
        assert "Register_datarep" in str(e)
    else:
        assert not OPEN_MPI and MPI.get_vendor()[0] != "MPICH"


@pytest.mark.skipif(not OPEN_MPI, reason="Open MPI only")
def test_register_datarep_not_implemented():
    with pytest.raises(NotImplementedError):
        MPI.Register_datarep("mpipy-test-ompi", None, None, lambda t: t.extent)


def test_register_datarep_arguments():
    with pytest.raises(TypeError):
        MPI.Register_datarep("mpipy-bad", 1, None, lambda t: t.extent)
    with pytest.raises(TypeError):
        MPI.Register_datarep("mpipy-bad", None, None, None)
    with pytest.raises(TypeError):
        MPI.Register_datarep(b"mpipy-bad", None, None, lambda t: t.extent)

"""The checkpoint/restart demo (demo/checkpoint.py), run in-process at the job's size: a
restart from the file, on another decomposition or on fewer processes, continues exactly
where the uninterrupted run went; the file holds what plain NumPy reads as the field."""

import importlib.util
import os
import pathlib
import shutil
import tempfile

import pytest

from mpipy import MPI

np = pytest.importorskip("numpy")

_path = pathlib.Path(__file__).resolve().parent.parent / "demo" / "checkpoint.py"
_spec = importlib.util.spec_from_file_location("checkpoint", _path)
checkpoint = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(checkpoint)

WORLD = MPI.COMM_WORLD


@pytest.fixture
def path():
    directory = tempfile.mkdtemp(prefix="mpipy-ckpt-") if WORLD.Get_rank() == 0 else None
    directory = WORLD.bcast(directory, root=0)
    yield os.path.join(directory, "state.ckpt")
    WORLD.Barrier()
    if WORLD.Get_rank() == 0:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.parametrize("shape", [(12, 16), (7, 11), (5, 3)])
def test_restart_continues_exactly(path, shape):
    error = checkpoint.run(WORLD, shape, steps=9, at=4, path=path)
    if WORLD.Get_rank() == 0:
        assert error == 0.0


def test_restart_on_fewer_processes(path):
    """Written by every process in 2-D blocks; read back in rows by half of them."""
    shape = (9, 13)
    dec = checkpoint.Decomposition.blocks_2d(WORLD, shape)
    u = checkpoint.initial_field(dec)
    checkpoint.advance(u, dec, 0)
    checkpoint.write_checkpoint(WORLD, path, u, dec, 1)
    whole = checkpoint.gather(WORLD, u, dec)
    whole = WORLD.bcast(whole, root=0)

    readers = max(1, WORLD.Get_size() // 2)
    sub = WORLD.Split(0 if WORLD.Get_rank() < readers else MPI.UNDEFINED, WORLD.Get_rank())
    if sub != MPI.COMM_NULL:
        try:
            assert sub.Get_size() == readers
            v, rows, step = checkpoint.read_checkpoint(sub, path)
            assert step == 1 and rows.dims == [readers, 1]
            r0, n = rows.starts[0], rows.counts[0]
            assert np.array_equal(v, whole[r0 : r0 + n])
        finally:
            sub.Free()


def test_file_layout(path):
    shape = (4, 6)
    dec = checkpoint.Decomposition.blocks_2d(WORLD, shape)
    u = checkpoint.initial_field(dec)
    checkpoint.write_checkpoint(WORLD, path, u, dec, 7)
    whole = checkpoint.gather(WORLD, u, dec)
    assert checkpoint.read_header(WORLD, path) == (4, 6, 7)
    if WORLD.Get_rank() == 0:
        data = pathlib.Path(path).read_bytes()
        assert len(data) == checkpoint.HEADER_BYTES + whole.size * 8
        assert data[:8] == b"MPIPYCKP"
        assert data[checkpoint.HEADER_BYTES :] == whole.astype(">f8").tobytes()


def test_bad_files(path):
    if WORLD.Get_rank() == 0:
        pathlib.Path(path).write_bytes(b"not a checkpoint".ljust(64, b"\0"))
    WORLD.Barrier()
    with pytest.raises(ValueError):
        checkpoint.read_header(WORLD, path)
    WORLD.Barrier()
    # A good header whose field is cut short.
    if WORLD.Get_rank() == 0:
        header = checkpoint.HEADER.pack(checkpoint.MAGIC, checkpoint.VERSION, 4, 4, 0)
        pathlib.Path(path).write_bytes(header.ljust(64, b"\0") + bytes(8 * 5))
    WORLD.Barrier()
    with pytest.raises(ValueError):
        checkpoint.read_checkpoint(WORLD, path)
    with pytest.raises(MPI.Exception) as excinfo:
        checkpoint.read_header(WORLD, path + ".missing")
    assert excinfo.value.Get_error_class() == MPI.ERR_NO_SUCH_FILE

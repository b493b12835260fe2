"""The C API (<mpipy/mpipy.h>): demo/capi/capi_demo.cpp, compiled here with the MPI's mpicxx,
takes communicators, datatypes and statuses out of mpipy objects, calls MPI on them from C++,
and hands new handles back as mpipy objects."""

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile

import pytest

import mpipy
from mpipy import MPI

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, "demo", "capi", "capi_demo.cpp")


def _compiler():
    """The mpicxx beside the mpiexec in use (the MPI mpipy was built against; its _abi
    wrapper for a build against the MPI standard ABI)."""
    names = ("mpicxx_abi",) if MPI._mpi_abi else ("mpicxx", "mpic++", "mpiCC")
    for name in names:
        found = shutil.which(
            name, path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
        )
        if found:
            return found
    return None


def _build(workdir):
    """Compile the demo into workdir: (path, None) or (None, reason)."""
    cxx = _compiler()
    if cxx is None:
        return None, "no mpicxx on PATH to compile the demo with"
    target = os.path.join(workdir, "capi_demo" + sysconfig.get_config_var("EXT_SUFFIX"))
    command = [cxx, "-O1", "-shared", "-fPIC", "-Wall", "-Werror",
               "-I" + sysconfig.get_paths()["include"], "-I" + mpipy.get_include(),
               DEMO, "-o", target]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        return None, "compiling the demo failed:\n" + done.stdout + done.stderr
    return target, None


@pytest.fixture(scope="module")
def demo():
    """The compiled demo module, built once by rank 0 and loaded by every process."""
    world = MPI.COMM_WORLD
    workdir = tempfile.mkdtemp(prefix="mpipy-capi-") if world.Get_rank() == 0 else None
    built = _build(workdir) if workdir else None
    path, problem = world.bcast(built, 0)
    try:
        if problem is not None:
            pytest.fail(problem)  # a compiler was there and the header did not compile
        spec = importlib.util.spec_from_file_location("capi_demo", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        world.Barrier()
        yield module
    finally:
        world.Barrier()
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)


def test_mpi_calls_from_cpp_on_a_python_communicator(demo, comm):
    n = comm.Get_size()
    assert demo.sum_ranks(comm) == n * (n - 1) // 2
    assert demo.sum_ranks(MPI.COMM_WORLD) == sum(range(MPI.COMM_WORLD.Get_size()))


def test_communicator_made_in_cpp_works_in_python(demo, comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    half = demo.split_parity(comm)
    try:
        assert isinstance(half, MPI.Intracomm)
        assert half.Get_size() == len(range(rank % 2, size, 2))
        assert half.Get_rank() == rank // 2
        # Used by mpipy itself: the handle is a real communicator.
        assert half.allreduce(rank) == sum(range(rank % 2, size, 2))
        assert demo.sum_ranks(half) == sum(range(half.Get_size()))
    finally:
        half.Free()
    assert half == MPI.COMM_NULL


def test_datatypes_both_ways(demo):
    for datatype in (MPI.BYTE, MPI.INT, MPI.DOUBLE, MPI.C_DOUBLE_COMPLEX):
        assert demo.type_size(datatype) == datatype.Get_size()
    made = demo.contiguous(3, MPI.INT)
    try:
        assert isinstance(made, MPI.Datatype)
        assert made.Get_size() == 3 * MPI.INT.Get_size()
        assert made.Get_envelope()[-1] == MPI.COMBINER_CONTIGUOUS
        sbuf, rbuf = bytearray(b"abcdefghijkl"), bytearray(12)
        MPI.COMM_SELF.Sendrecv([sbuf, 1, made], 0, 0, [rbuf, 1, made], 0, 0)
        assert rbuf == sbuf
    finally:
        made.Free()


def test_status_read_from_cpp(demo):
    status = MPI.Status()
    MPI.COMM_SELF.Sendrecv(b"x", 0, 7, bytearray(1), MPI.ANY_SOURCE, MPI.ANY_TAG, status)
    assert demo.status_source(status) == 0 == status.Get_source()


def test_wrong_objects_raise_type_error(demo):
    for bad in (None, 3, "COMM_WORLD", MPI.INT, MPI.Status()):
        with pytest.raises(TypeError, match="expected an MPI.Comm"):
            demo.sum_ranks(bad)
    with pytest.raises(TypeError, match="expected an MPI.Datatype"):
        demo.type_size(MPI.COMM_SELF)
    with pytest.raises(TypeError, match="expected an MPI.Status"):
        demo.status_source(MPI.INT)


def test_capsule_names_the_table():
    assert type(MPI._C_API).__name__ == "PyCapsule"
    assert "mpipy.MPI._C_API" in repr(MPI._C_API)

"""The C API (<mpipy/mpipy.h>): demo/capi/capi_demo.cpp, compiled here with the MPI's mpicxx,
takes communicators, datatypes and statuses out of mpipy objects, calls MPI on them from C++,
and hands new handles back as mpipy objects. demo/capi/mpi4py_names.c does the same in C with
mpi4py's names (<mpi4py/mpi4py.h>, MPI.h, MPI_api.h: the class objects, Prequest_New), and
demo/capi/swig_demo.i through the SWIG typemaps (mpi4py/mpi4py.i) when swig is on PATH."""

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
NAMES_DEMO = os.path.join(ROOT, "demo", "capi", "mpi4py_names.c")
SWIG_DEMO = os.path.join(ROOT, "demo", "capi", "swig_demo.i")
PKGDIR = os.path.dirname(os.path.abspath(mpipy.__file__))


def _compiler(language="c++"):
    """The mpicxx (mpicc for C) beside the mpiexec in use (the MPI mpipy was built against;
    its _abi wrapper for a build against the MPI standard ABI)."""
    if language == "c":
        names = ("mpicc_abi",) if MPI._mpi_abi else ("mpicc",)
    else:
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


def _build_names(workdir):
    """Compile demo/capi/mpi4py_names.c (C, mpi4py's names) into workdir."""
    cc = _compiler("c")
    if cc is None:
        return None, "no mpicc on PATH to compile the demo with"
    target = os.path.join(workdir, "mpi4py_names" + sysconfig.get_config_var("EXT_SUFFIX"))
    command = [cc, "-O1", "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror",
               "-I" + sysconfig.get_paths()["include"], "-I" + mpipy.get_include(),
               "-I" + PKGDIR, NAMES_DEMO, "-o", target]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        return None, "compiling the demo failed:\n" + done.stdout + done.stderr
    return target, None


def _build_swig(workdir):
    """Run swig on demo/capi/swig_demo.i and compile its wrapper into workdir: the
    directory of the module swig_demo, or None and why."""
    swig = shutil.which("swig")
    cc = _compiler("c")
    if swig is None or cc is None:
        return None, "skip: no swig on PATH" if swig is None else "no mpicc on PATH"
    wrapper = os.path.join(workdir, "swig_demo_wrap.c")
    done = subprocess.run(
        [swig, "-python", "-I" + mpipy.get_include(), "-outdir", workdir, "-o", wrapper,
         SWIG_DEMO], capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if done.returncode == 0:
        target = os.path.join(workdir, "_swig_demo" + sysconfig.get_config_var("EXT_SUFFIX"))
        done = subprocess.run(
            [cc, "-O1", "-shared", "-fPIC", "-I" + sysconfig.get_paths()["include"],
             "-I" + mpipy.get_include(), wrapper, "-o", target],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    if done.returncode != 0:
        return None, "building the SWIG demo failed:\n" + done.stdout + done.stderr
    return workdir, None


def _built_by_rank0(build, name):
    """Build with build(workdir) at rank 0, and yield what every process then loads: the
    module name from the path built (an extension file, or a directory to import from)."""
    world = MPI.COMM_WORLD
    workdir = tempfile.mkdtemp(prefix="mpipy-capi-") if world.Get_rank() == 0 else None
    built = build(workdir) if workdir else None
    path, problem = world.bcast(built, 0)
    try:
        if problem is not None and problem.startswith("skip: "):
            pytest.skip(problem[len("skip: ") :])
        if problem is not None:
            pytest.fail(problem)  # a compiler was there and the header did not compile
        if os.path.isdir(path):
            sys.path.insert(0, path)
            try:
                module = importlib.import_module(name)
            finally:
                sys.path.remove(path)
        else:
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        world.Barrier()
        yield module
    finally:
        world.Barrier()
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def demo():
    """The compiled demo module, built once by rank 0 and loaded by every process."""
    yield from _built_by_rank0(_build, "capi_demo")


@pytest.fixture(scope="module")
def names_demo():
    """demo/capi/mpi4py_names.c, built once by rank 0 and loaded by every process."""
    yield from _built_by_rank0(_build_names, "mpi4py_names")


@pytest.fixture(scope="module")
def swig_demo():
    """demo/capi/swig_demo.i, wrapped and built once by rank 0, loaded by every process."""
    yield from _built_by_rank0(_build_swig, "swig_demo")


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


def test_mpi4py_header_files_are_where_mpi4py_has_them():
    for path in ("MPI.h", "MPI_api.h", "include/mpi4py/mpi4py.h", "include/mpi4py/pycapi.h",
                 "include/mpi4py/mpi4py.i"):  # fmt: skip
        assert os.path.isfile(os.path.join(PKGDIR, path)), path


def test_classes_by_mpi4py_names(names_demo, comm):
    assert names_demo.kind(comm) == "Intracomm"
    assert names_demo.kind(MPI.INT) == "Datatype"
    assert names_demo.kind(MPI.Status()) == "Status"
    assert names_demo.kind(MPI.REQUEST_NULL) == "Request"
    assert names_demo.kind(MPI.Prequest()) == "Prequest"
    assert names_demo.kind(3) is None
    cart = comm.Create_cart([comm.Get_size()])
    try:
        assert names_demo.kind(cart) == "Cartcomm"
    finally:
        cart.Free()
    assert names_demo.comm_size(comm) == comm.Get_size()
    with pytest.raises(TypeError, match="expected an MPI.Comm"):
        names_demo.comm_size(MPI.INT)


def test_prequest_made_in_c(names_demo):
    request, sent = names_demo.self_send_init(4)
    try:
        assert type(request) is MPI.Prequest and request != MPI.REQUEST_NULL
        sent[:] = b"abcd"
        for _ in range(2):  # persistent: started twice
            got = bytearray(4)
            recv = MPI.COMM_SELF.Irecv(got, 0, 5)
            request.Start()
            MPI.Request.Waitall([request, recv])
            assert got == b"abcd"
    finally:
        request.Free()


def test_status_made_in_c(names_demo):
    status = names_demo.new_status(3, 9)
    assert type(status) is MPI.Status
    assert (status.Get_source(), status.Get_tag()) == (3, 9)


def test_swig_typemaps(swig_demo, comm):
    assert swig_demo.comm_size(comm) == comm.Get_size()
    assert swig_demo.type_size(MPI.DOUBLE) == MPI.DOUBLE.Get_size()
    dup = swig_demo.comm_dup(comm)
    try:
        assert isinstance(dup, MPI.Intracomm) and dup != comm
        assert dup.Compare(comm) == MPI.CONGRUENT
        assert dup.allreduce(1) == comm.Get_size()
    finally:
        dup.Free()
    target = MPI.Comm()  # a null communicator, whose handle the C function sets
    assert swig_demo.point_to_self(target) == 0 and target == MPI.COMM_SELF
    assert swig_demo.point_to_self(None) == 1
    status = MPI.Status()
    MPI.COMM_SELF.Sendrecv(b"x", 0, 1, bytearray(1), MPI.ANY_SOURCE, 1, status)
    assert swig_demo.status_source(status) == 0
    for bad in (3, MPI.INT):
        with pytest.raises(TypeError):
            swig_demo.comm_size(bad)

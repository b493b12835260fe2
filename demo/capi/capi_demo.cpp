// A C++ extension module that calls MPI itself on communicators and datatypes it receives
// from Python as mpipy objects, through mpipy's C API (<mpipy/mpipy.h>).
//
// Build with the mpicxx of the MPI mpipy was built against (tests/test_capi.py does it): with
//   PY=$(python3 -c "import sysconfig; print(sysconfig.get_paths()['include'])")
//   MPIPY=$(python3 -c "import mpipy; print(mpipy.get_include())")
//   EXT=$(python3 -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")
// run
//   mpicxx -O2 -shared -fPIC -I$PY -I$MPIPY capi_demo.cpp -o capi_demo$EXT
#include <mpipy/mpipy.h>

namespace {

// Raise MPI's error string as RuntimeError; true when rc is MPI_SUCCESS.
bool mpi_ok(int rc) {
    if (rc == MPI_SUCCESS) return true;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    PyErr_SetString(PyExc_RuntimeError, text);
    return false;
}

// sum_ranks(comm) -> the sum of the ranks of comm's processes, by MPI_Allreduce from C++.
PyObject *sum_ranks(PyObject *, PyObject *arg) {
    MPI_Comm *comm = PyMPIComm_Get(arg);
    if (!comm) return nullptr;
    int rank = 0, sum = 0;
    if (!mpi_ok(MPI_Comm_rank(*comm, &rank))) return nullptr;
    int rc;
    Py_BEGIN_ALLOW_THREADS rc = MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, *comm);
    Py_END_ALLOW_THREADS if (!mpi_ok(rc)) return nullptr;
    return PyLong_FromLong(sum);
}

// split_parity(comm) -> a new communicator (an mpipy object) of the processes whose rank has
// the same parity; the caller frees it (comm.Free()), as any communicator mpipy gives.
PyObject *split_parity(PyObject *, PyObject *arg) {
    MPI_Comm *comm = PyMPIComm_Get(arg);
    if (!comm) return nullptr;
    int rank = 0;
    if (!mpi_ok(MPI_Comm_rank(*comm, &rank))) return nullptr;
    MPI_Comm half = MPI_COMM_NULL;
    if (!mpi_ok(MPI_Comm_split(*comm, rank % 2, rank, &half))) return nullptr;
    return PyMPIComm_New(half);
}

// type_size(datatype) -> MPI_Type_size of an mpipy Datatype.
PyObject *type_size(PyObject *, PyObject *arg) {
    MPI_Datatype *type = PyMPIDatatype_Get(arg);
    if (!type) return nullptr;
    int size = 0;
    if (!mpi_ok(MPI_Type_size(*type, &size))) return nullptr;
    return PyLong_FromLong(size);
}

// contiguous(count, datatype) -> a new committed datatype made in C++, as an mpipy Datatype.
PyObject *contiguous(PyObject *, PyObject *args) {
    int count = 0;
    PyObject *base = nullptr;
    if (!PyArg_ParseTuple(args, "iO", &count, &base)) return nullptr;
    MPI_Datatype *type = PyMPIDatatype_Get(base);
    if (!type) return nullptr;
    MPI_Datatype made = MPI_DATATYPE_NULL;
    if (!mpi_ok(MPI_Type_contiguous(count, *type, &made))) return nullptr;
    if (!mpi_ok(MPI_Type_commit(&made))) return nullptr;
    return PyMPIDatatype_New(made);
}

// status_source(status) -> the MPI_SOURCE field of an mpipy Status, read from C++.
PyObject *status_source(PyObject *, PyObject *arg) {
    MPI_Status *status = PyMPIStatus_Get(arg);
    if (!status) return nullptr;
    return PyLong_FromLong(status->MPI_SOURCE);
}

PyMethodDef methods[] = {
    {"sum_ranks", sum_ranks, METH_O, "Sum of the ranks, by MPI_Allreduce from C++."},
    {"split_parity", split_parity, METH_O, "A new communicator of the ranks of one parity."},
    {"type_size", type_size, METH_O, "MPI_Type_size of a Datatype."},
    {"contiguous", contiguous, METH_VARARGS, "A committed contiguous Datatype made in C++."},
    {"status_source", status_source, METH_O, "MPI_SOURCE of a Status."},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "capi_demo", "mpipy C API demo.", -1, methods, nullptr, nullptr,
    nullptr, nullptr,
};

}  // namespace

PyMODINIT_FUNC PyInit_capi_demo() {
    if (import_mpipy() < 0) return nullptr;
    return PyModule_Create(&module);
}

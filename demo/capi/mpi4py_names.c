/* A C extension module written against mpi4py's C API names (<mpi4py/mpi4py.h>, MPI.h and
 * MPI_api.h), built over mpipy's: tests/test_capi.py compiles it with the MPI's mpicc, with
 *   -I$(python -c "import mpipy; print(mpipy.get_include())")
 *   -I$(python -c "import mpipy, os; print(os.path.dirname(mpipy.__file__))")
 * and calls it. */
#include <mpi4py/mpi4py.h>

#include "MPI.h"
#include "MPI_api.h"

/* kind(obj) -> which class of mpipy.MPI obj is an instance of, by PyObject_TypeCheck. */
static PyObject *kind(PyObject *self, PyObject *obj) {
    (void)self;
    if (PyObject_TypeCheck(obj, &PyMPICartcomm_Type)) return PyUnicode_FromString("Cartcomm");
    if (PyObject_TypeCheck(obj, &PyMPIIntracomm_Type)) return PyUnicode_FromString("Intracomm");
    if (PyObject_TypeCheck(obj, &PyMPIIntercomm_Type)) return PyUnicode_FromString("Intercomm");
    if (PyObject_TypeCheck(obj, &PyMPIComm_Type)) return PyUnicode_FromString("Comm");
    if (PyObject_TypeCheck(obj, &PyMPIDatatype_Type)) return PyUnicode_FromString("Datatype");
    if (PyObject_TypeCheck(obj, &PyMPIPrequest_Type)) return PyUnicode_FromString("Prequest");
    if (PyObject_TypeCheck(obj, &PyMPIRequest_Type)) return PyUnicode_FromString("Request");
    if (PyObject_TypeCheck(obj, &PyMPIStatus_Type)) return PyUnicode_FromString("Status");
    Py_RETURN_NONE;
}

/* comm_size(comm) -> MPI_Comm_size of an MPI.Comm. */
static PyObject *comm_size(PyObject *self, PyObject *obj) {
    MPI_Comm *comm = PyMPIComm_Get(obj);
    int size = 0;
    (void)self;
    if (!comm) return NULL;
    if (MPI_Comm_size(*comm, &size) != MPI_SUCCESS) {
        PyErr_SetString(PyExc_RuntimeError, "MPI_Comm_size failed");
        return NULL;
    }
    return PyLong_FromLong(size);
}

/* self_send_init(nbytes) -> (a persistent send to self on COMM_SELF as an MPI.Prequest, the
 * bytearray it sends); the caller starts, waits and frees it. */
static PyObject *self_send_init(PyObject *self, PyObject *arg) {
    Py_ssize_t n = PyLong_AsSsize_t(arg);
    PyObject *buffer, *request, *pair;
    MPI_Request handle = MPI_REQUEST_NULL;
    (void)self;
    if (n < 0 && PyErr_Occurred()) return NULL;
    buffer = PyByteArray_FromStringAndSize(NULL, n);
    if (!buffer) return NULL;
    if (MPI_Send_init(PyByteArray_AsString(buffer), (int)n, MPI_BYTE, 0, 5, MPI_COMM_SELF,
                      &handle) != MPI_SUCCESS) {
        Py_DECREF(buffer);
        PyErr_SetString(PyExc_RuntimeError, "MPI_Send_init failed");
        return NULL;
    }
    request = PyMPIPrequest_New(handle);
    if (!request) {
        MPI_Request_free(&handle);
        Py_DECREF(buffer);
        return NULL;
    }
    pair = PyTuple_Pack(2, request, buffer);
    Py_DECREF(request);
    Py_DECREF(buffer);
    return pair;
}

/* new_status(source, tag) -> a new MPI.Status with those fields. */
static PyObject *new_status(PyObject *self, PyObject *args) {
    MPI_Status status;
    int source, tag;
    (void)self;
    if (!PyArg_ParseTuple(args, "ii", &source, &tag)) return NULL;
    status.MPI_SOURCE = source;
    status.MPI_TAG = tag;
    status.MPI_ERROR = MPI_SUCCESS;
    return PyMPIStatus_New(&status);
}

static PyMethodDef methods[] = {
    {"kind", kind, METH_O, NULL},
    {"comm_size", comm_size, METH_O, NULL},
    {"self_send_init", self_send_init, METH_O, NULL},
    {"new_status", new_status, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "mpi4py_names", NULL, -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit_mpi4py_names(void) {
    if (import_mpi4py() < 0) return NULL;
    if (import_mpi4py__MPI() < 0) return NULL; /* again, by Cython's name: a no-op */
    return PyModule_Create(&module);
}

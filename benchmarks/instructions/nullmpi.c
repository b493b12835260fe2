/* A stand-in for an MPI binding whose every method does nothing: the interpreter's own
 * share of each loop of loops.py (the loop, the globals and attributes it looks up, the
 * arguments it builds, and a vectorcall per call, as METH_FASTCALL | METH_KEYWORDS methods of
 * a C type, the convention both Cython and nanobind use). count.sh runs the loops on it as
 * its "null" column: what no binding can take away. Every method returns its object, so that
 * chains such as comm.Isend(...).Wait() run; module attributes (COMM_SELF, SUM, Request, Win,
 * ...) are all that one object. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

typedef struct {
    PyObject_HEAD
} NullObject;

static PyObject *do_nothing(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                            PyObject *kwnames) {
    (void)args, (void)nargs, (void)kwnames;
    return Py_NewRef(self);
}

#define NULL_METHOD(name) {name, (PyCFunction)(void (*)(void))do_nothing, METH_FASTCALL | METH_KEYWORDS, NULL}
static PyMethodDef null_methods[] = {
    NULL_METHOD("Send"), NULL_METHOD("Recv"), NULL_METHOD("Isend"), NULL_METHOD("Irecv"),
    NULL_METHOD("Wait"), NULL_METHOD("Test"), NULL_METHOD("Send_init"), NULL_METHOD("Recv_init"),
    NULL_METHOD("Start"), NULL_METHOD("Startall"), NULL_METHOD("Free"), NULL_METHOD("Sendrecv"),
    NULL_METHOD("Waitall"), NULL_METHOD("Testany"), NULL_METHOD("Iprobe"), NULL_METHOD("Probe"),
    NULL_METHOD("Mprobe"), NULL_METHOD("Barrier"), NULL_METHOD("Bcast"), NULL_METHOD("Allreduce"),
    NULL_METHOD("Allgather"), NULL_METHOD("Ibcast"), NULL_METHOD("Allocate"), NULL_METHOD("Lock_all"),
    NULL_METHOD("Unlock_all"), NULL_METHOD("Put"), NULL_METHOD("Get"), NULL_METHOD("Fetch_and_op"),
    NULL_METHOD("Flush"), NULL_METHOD("send"), NULL_METHOD("recv"), NULL_METHOD("isend"),
    NULL_METHOD("irecv"), NULL_METHOD("wait"), NULL_METHOD("bcast"), NULL_METHOD("allreduce"),
    NULL_METHOD("gather"), NULL_METHOD("scatter"), NULL_METHOD("allgather"), NULL_METHOD("alltoall"),
    {NULL, NULL, 0, NULL},
};

static PyTypeObject NullType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "nullmpi.Null",
    .tp_basicsize = sizeof(NullObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_methods = null_methods,
    .tp_new = PyType_GenericNew,
};

static struct PyModuleDef null_module = {PyModuleDef_HEAD_INIT, "nullmpi", NULL, -1, NULL};

PyMODINIT_FUNC PyInit_nullmpi(void) {
    if (PyType_Ready(&NullType) < 0) return NULL;
    PyObject *module = PyModule_Create(&null_module);
    PyObject *null = module ? PyObject_CallNoArgs((PyObject *)&NullType) : NULL;
    if (!null) return NULL;
    const char *names[] = {"COMM_SELF", "SUM", "Request", "Prequest", "Win"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (PyModule_AddObjectRef(module, names[i], null) < 0) return NULL;
    Py_DECREF(null);
    return module;
}

/* mpi4py's C API, by its names, over mpipy's (<mpipy/mpipy.h>), for extensions and SWIG
 * wrappers written for mpi4py:
 *
 *     if (import_mpi4py_MPI() < 0) return NULL;        (once, in the module's init)
 *     PyObject_TypeCheck(obj, &PyMPIComm_Type)          (the classes of mpipy.MPI)
 *     MPI_Comm *comm = PyMPIComm_Get(obj);              (NULL, TypeError set: not a Comm)
 *     PyObject *obj = PyMPIComm_New(handle);            (a new reference)
 *
 * for Datatype, Status (a pointer: PyMPIStatus_New(MPI_Status *)), Request, Message, Op,
 * Group, Info, Errhandler, Session, Comm, Win and File; PyMPIPrequest_New and
 * PyMPIGrequest_New make a Prequest or Grequest holding a request handle; the _Type of
 * Intracomm, Topocomm, Cartcomm, Graphcomm, Distgraphcomm, Intercomm, Prequest and Grequest
 * are there too. import_mpi4py__MPI is another name of import_mpi4py_MPI, and
 * <mpi4py/mpi4py.h> adds import_mpi4py. Unlike mpi4py's objects, mpipy's are not C structs
 * with a public layout: reach their handles through _Get. */
#ifndef MPIPY_MPI4PY_PYCAPI_H
#define MPIPY_MPI4PY_PYCAPI_H

#include "../mpipy/mpipy.h"

#if !defined(MPIPY_VERSION_ONLY) && !defined(MPIPY_CAPI_IMPLEMENTATION)

#ifdef __cplusplus
extern "C" {
#endif

/* The classes of mpipy.MPI, filled in by import_mpi4py_MPI (a reference to each is kept). */
typedef struct {
    PyTypeObject *Datatype, *Status, *Request, *Prequest, *Grequest, *Message, *Op, *Group,
        *Info, *Errhandler, *Session, *Comm, *Intracomm, *Topocomm, *Cartcomm, *Graphcomm,
        *Distgraphcomm, *Intercomm, *Win, *File;
} MpipyClasses;

static MpipyClasses mpipy_classes;

#define PyMPIDatatype_Type (*mpipy_classes.Datatype)
#define PyMPIStatus_Type (*mpipy_classes.Status)
#define PyMPIRequest_Type (*mpipy_classes.Request)
#define PyMPIPrequest_Type (*mpipy_classes.Prequest)
#define PyMPIGrequest_Type (*mpipy_classes.Grequest)
#define PyMPIMessage_Type (*mpipy_classes.Message)
#define PyMPIOp_Type (*mpipy_classes.Op)
#define PyMPIGroup_Type (*mpipy_classes.Group)
#define PyMPIInfo_Type (*mpipy_classes.Info)
#define PyMPIErrhandler_Type (*mpipy_classes.Errhandler)
#define PyMPISession_Type (*mpipy_classes.Session)
#define PyMPIComm_Type (*mpipy_classes.Comm)
#define PyMPIIntracomm_Type (*mpipy_classes.Intracomm)
#define PyMPITopocomm_Type (*mpipy_classes.Topocomm)
#define PyMPICartcomm_Type (*mpipy_classes.Cartcomm)
#define PyMPIGraphcomm_Type (*mpipy_classes.Graphcomm)
#define PyMPIDistgraphcomm_Type (*mpipy_classes.Distgraphcomm)
#define PyMPIIntercomm_Type (*mpipy_classes.Intercomm)
#define PyMPIWin_Type (*mpipy_classes.Win)
#define PyMPIFile_Type (*mpipy_classes.File)

/* A new object of the request class cls (Prequest, Grequest) holding handle: made null by
 * calling the class, then given the handle through the C API. */
static inline PyObject *mpipy_request_of_class(PyTypeObject *cls, MPI_Request handle) {
    PyObject *obj = PyObject_CallObject((PyObject *)cls, NULL);
    MPI_Request *slot;
    if (!obj) return NULL;
    slot = PyMPIRequest_Get(obj);
    if (!slot) {
        Py_DECREF(obj);
        return NULL;
    }
    *slot = handle;
    return obj;
}
#define PyMPIPrequest_New(h) (mpipy_request_of_class(mpipy_classes.Prequest, (h)))
#define PyMPIGrequest_New(h) (mpipy_request_of_class(mpipy_classes.Grequest, (h)))

static inline int mpipy_import_class(PyObject *module, const char *name, PyTypeObject **slot) {
    PyObject *cls = PyObject_GetAttrString(module, name);
    if (!cls) return -1;
    if (!PyType_Check(cls)) {
        PyErr_Format(PyExc_TypeError, "mpipy.MPI.%s is not a class", name);
        Py_DECREF(cls);
        return -1;
    }
    *slot = (PyTypeObject *)cls;
    return 0;
}

/* Import mpipy.MPI (initializing MPI as mpipy.rc says), check that it was built with this
 * module's MPI, and fill in the classes: 0, or -1 with a Python exception set. */
static inline int import_mpi4py_MPI(void) {
    MpipyClasses found;
    PyObject *module;
    int bad = 0;
    if (mpipy_classes.Comm) return 0;
    if (import_mpipy() < 0) return -1;
    module = PyImport_ImportModule("mpipy.MPI");
    if (!module) return -1;
#define MPIPY_IMPORT_CLASS(name) bad = bad || mpipy_import_class(module, #name, &found.name) < 0
    MPIPY_IMPORT_CLASS(Datatype);
    MPIPY_IMPORT_CLASS(Status);
    MPIPY_IMPORT_CLASS(Request);
    MPIPY_IMPORT_CLASS(Prequest);
    MPIPY_IMPORT_CLASS(Grequest);
    MPIPY_IMPORT_CLASS(Message);
    MPIPY_IMPORT_CLASS(Op);
    MPIPY_IMPORT_CLASS(Group);
    MPIPY_IMPORT_CLASS(Info);
    MPIPY_IMPORT_CLASS(Errhandler);
    MPIPY_IMPORT_CLASS(Session);
    MPIPY_IMPORT_CLASS(Comm);
    MPIPY_IMPORT_CLASS(Intracomm);
    MPIPY_IMPORT_CLASS(Topocomm);
    MPIPY_IMPORT_CLASS(Cartcomm);
    MPIPY_IMPORT_CLASS(Graphcomm);
    MPIPY_IMPORT_CLASS(Distgraphcomm);
    MPIPY_IMPORT_CLASS(Intercomm);
    MPIPY_IMPORT_CLASS(Win);
    MPIPY_IMPORT_CLASS(File);
#undef MPIPY_IMPORT_CLASS
    Py_DECREF(module);
    if (bad) return -1; /* the classes found before the failure stay referenced: harmless */
    mpipy_classes = found;
    return 0;
}
#define import_mpi4py__MPI import_mpi4py_MPI

#ifdef __cplusplus
}
#endif

#endif /* !MPIPY_VERSION_ONLY && !MPIPY_CAPI_IMPLEMENTATION */
#endif /* MPIPY_MPI4PY_PYCAPI_H */

/* mpipy's C API, for extension modules (C, C++ with nanobind or pybind11, Cython) that take
 * MPI handles out of mpipy objects and give handles back to Python as mpipy objects.
 *
 * Compile with -I$(python -c "import mpipy; print(mpipy.get_include())") and the same MPI
 * library mpipy was built against (its mpicc/mpicxx). Then, once per module (in its init):
 *
 *     if (import_mpipy() < 0) return NULL;  // Python error set: mpipy missing or mismatched
 *
 * and anywhere after it, with the GIL held:
 *
 *     MPI_Comm *comm = PyMPIComm_Get(obj);  // NULL (TypeError set) if obj is no MPI.Comm
 *     PyObject *obj = PyMPIComm_New(comm);  // a new MPI.Comm (its subclass) holding comm
 *
 * and the same pair for Datatype, Status, Request, Message, Op, Group, Info, Errhandler, Win,
 * File and Session. A pointer from _Get points into the Python object: valid while the object
 * lives; writing through it changes the object's handle. An object from _New does not own its
 * handle more than any mpipy object does: nothing is freed unless Python calls Free(). The
 * names are mpi4py's, so code written for mpi4py's C API compiles unchanged (with
 * <mpi4py/mpi4py.h>, which also defines import_mpi4py). */
#ifndef MPIPY_MPIPY_H
#define MPIPY_MPIPY_H

#define MPIPY_VERSION_MAJOR 0
#define MPIPY_VERSION_MINOR 1
#define MPIPY_VERSION_PATCH 0

#ifndef MPIPY_VERSION_ONLY /* the version alone needs neither Python.h nor mpi.h */

#include <Python.h>
#include <mpi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Raised by import_mpipy when the table changed incompatibly. */
#define MPIPY_CAPI_VERSION 1

/* Which mpi.h a side was compiled with: handles of one library mean nothing to another. */
#if defined(MPI_ABI_VERSION)
#define MPIPY_MPI_FAMILY 3 /* the MPI-5 standard ABI */
#elif defined(OPEN_MPI)
#define MPIPY_MPI_FAMILY 2
#elif defined(MPICH) || defined(MPICH_VERSION)
#define MPIPY_MPI_FAMILY 1
#else
#define MPIPY_MPI_FAMILY 0
#endif

typedef struct {
    unsigned int version;   /* MPIPY_CAPI_VERSION */
    unsigned int size;      /* sizeof(MpipyCAPI): fields are only ever appended */
    int mpi_family;         /* MPIPY_MPI_FAMILY of mpipy's build */
    int mpi_version;        /* MPI_VERSION of mpipy's build */
    size_t comm_size;       /* sizeof(MPI_Comm) there */
    PyObject *(*Comm_New)(MPI_Comm);
    MPI_Comm *(*Comm_Get)(PyObject *);
    PyObject *(*Datatype_New)(MPI_Datatype);
    MPI_Datatype *(*Datatype_Get)(PyObject *);
    PyObject *(*Status_New)(MPI_Status *);
    MPI_Status *(*Status_Get)(PyObject *);
    PyObject *(*Request_New)(MPI_Request);
    MPI_Request *(*Request_Get)(PyObject *);
    PyObject *(*Message_New)(MPI_Message);
    MPI_Message *(*Message_Get)(PyObject *);
    PyObject *(*Op_New)(MPI_Op);
    MPI_Op *(*Op_Get)(PyObject *);
    PyObject *(*Group_New)(MPI_Group);
    MPI_Group *(*Group_Get)(PyObject *);
    PyObject *(*Info_New)(MPI_Info);
    MPI_Info *(*Info_Get)(PyObject *);
    PyObject *(*Errhandler_New)(MPI_Errhandler);
    MPI_Errhandler *(*Errhandler_Get)(PyObject *);
    PyObject *(*Win_New)(MPI_Win);
    MPI_Win *(*Win_Get)(PyObject *);
    PyObject *(*File_New)(MPI_File);
    MPI_File *(*File_Get)(PyObject *);
#ifdef MPI_SESSION_NULL
    PyObject *(*Session_New)(MPI_Session);
    MPI_Session *(*Session_Get)(PyObject *);
#else /* the same layout; NULL when mpipy's MPI has no sessions */
    void (*Session_New)(void);
    void (*Session_Get)(void);
#endif
} MpipyCAPI;

#define MPIPY_CAPI_CAPSULE "mpipy.MPI._C_API"

#ifndef MPIPY_CAPI_IMPLEMENTATION /* the extension module itself defines the table */

/* One table per translation unit that includes this header (static: no symbol clashes). */
static const MpipyCAPI *mpipy_capi = NULL;

/* Import mpipy.MPI (initializing MPI as mpipy.rc says) and check that this module and mpipy
 * were compiled with the same MPI: 0, or -1 with a Python exception set. */
static int import_mpipy(void) {
    const MpipyCAPI *api;
    if (mpipy_capi) return 0;
    api = (const MpipyCAPI *)PyCapsule_Import(MPIPY_CAPI_CAPSULE, 0);
    if (!api) return -1;
    if (api->version != MPIPY_CAPI_VERSION || api->size < sizeof(MpipyCAPI)) {
        PyErr_Format(PyExc_ImportError,
                     "mpipy's C API is version %u; this module was compiled for version %d",
                     api->version, MPIPY_CAPI_VERSION);
        return -1;
    }
    if (api->mpi_family != MPIPY_MPI_FAMILY || api->comm_size != sizeof(MPI_Comm)) {
        PyErr_SetString(PyExc_ImportError,
                        "this module and mpipy were compiled with different MPI libraries "
                        "(their MPI handles are not interchangeable)");
        return -1;
    }
    mpipy_capi = api;
    return 0;
}

#define PyMPIComm_New(h) (mpipy_capi->Comm_New(h))
#define PyMPIComm_Get(o) (mpipy_capi->Comm_Get(o))
#define PyMPIDatatype_New(h) (mpipy_capi->Datatype_New(h))
#define PyMPIDatatype_Get(o) (mpipy_capi->Datatype_Get(o))
#define PyMPIStatus_New(p) (mpipy_capi->Status_New(p))
#define PyMPIStatus_Get(o) (mpipy_capi->Status_Get(o))
#define PyMPIRequest_New(h) (mpipy_capi->Request_New(h))
#define PyMPIRequest_Get(o) (mpipy_capi->Request_Get(o))
#define PyMPIMessage_New(h) (mpipy_capi->Message_New(h))
#define PyMPIMessage_Get(o) (mpipy_capi->Message_Get(o))
#define PyMPIOp_New(h) (mpipy_capi->Op_New(h))
#define PyMPIOp_Get(o) (mpipy_capi->Op_Get(o))
#define PyMPIGroup_New(h) (mpipy_capi->Group_New(h))
#define PyMPIGroup_Get(o) (mpipy_capi->Group_Get(o))
#define PyMPIInfo_New(h) (mpipy_capi->Info_New(h))
#define PyMPIInfo_Get(o) (mpipy_capi->Info_Get(o))
#define PyMPIErrhandler_New(h) (mpipy_capi->Errhandler_New(h))
#define PyMPIErrhandler_Get(o) (mpipy_capi->Errhandler_Get(o))
#define PyMPIWin_New(h) (mpipy_capi->Win_New(h))
#define PyMPIWin_Get(o) (mpipy_capi->Win_Get(o))
#define PyMPIFile_New(h) (mpipy_capi->File_New(h))
#define PyMPIFile_Get(o) (mpipy_capi->File_Get(o))
#ifdef MPI_SESSION_NULL
#define PyMPISession_New(h) (mpipy_capi->Session_New(h))
#define PyMPISession_Get(o) (mpipy_capi->Session_Get(o))
#endif

#endif /* MPIPY_CAPI_IMPLEMENTATION */

#ifdef __cplusplus
}
#endif

#endif /* MPIPY_VERSION_ONLY */
#endif /* MPIPY_MPIPY_H */

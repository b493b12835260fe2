/* Compatibility name for extensions written for mpi4py (#include <mpi4py/mpi4py.h>, found
 * under mpipy.get_include(), which is also mpi4py.get_include() when mpipy runs as mpi4py).
 * It declares mpipy's C API with mpi4py's names (PyMPIComm_New, PyMPIComm_Get,
 * PyMPIComm_Type, ...: see <mpi4py/pycapi.h> and <mpipy/mpipy.h>) and import_mpi4py(), to
 * call once in the module's init: 0, or -1 with a Python exception set. */
#ifndef MPIPY_MPI4PY_H
#define MPIPY_MPI4PY_H

#include "pycapi.h"

#if !defined(MPIPY_VERSION_ONLY) && !defined(MPIPY_CAPI_IMPLEMENTATION)
static inline int import_mpi4py(void) { return import_mpi4py_MPI(); }
#endif

#endif /* MPIPY_MPI4PY_H */

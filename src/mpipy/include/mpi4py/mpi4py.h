/* Compatibility name for extensions written for mpi4py (#include <mpi4py/mpi4py.h>, found
 * under mpipy.get_include(), which is also mpi4py.get_include() when mpipy runs as mpi4py).
 * It declares mpipy's C API with mpi4py's names (PyMPIComm_New, PyMPIComm_Get, ...): see
 * <mpipy/mpipy.h>; import_mpi4py() is import_mpipy(). */
#ifndef MPIPY_MPI4PY_H
#define MPIPY_MPI4PY_H

#include "../mpipy/mpipy.h"

#if !defined(MPIPY_VERSION_ONLY) && !defined(MPIPY_CAPI_IMPLEMENTATION)
#define import_mpi4py import_mpipy
#endif

#endif /* MPIPY_MPI4PY_H */

/* Compatibility name for extensions written for mpi4py (#include <mpi4py/mpi4py.h>, found
 * under mpipy.get_include(), which is also mpi4py.get_include() when mpipy runs as mpi4py).
 * It declares mpipy's C API: see <mpipy/mpipy.h>. */
#ifndef MPIPY_MPI4PY_H
#define MPIPY_MPI4PY_H

#include "../mpipy/mpipy.h"

#endif /* MPIPY_MPI4PY_H */
